using System.Globalization;
using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>A master and its replicas, serving a set of slots.</summary>
sealed record ClusterShard(string Master, string[] Replicas);

/// <summary>
/// Which shard serves each of the 16384 slots, as one node described the cluster (CLUSTER SHARDS, or
/// CLUSTER SLOTS on servers without it). Addresses are "host:port" after the client's address remapping.
/// </summary>
sealed class ClusterSlotMap
{
    readonly ClusterShard?[] slots = new ClusterShard?[HashSlot.Count];
    // The shards the slots point to (kept so listing masters does not scan 16384 slots); guarded by itself.
    readonly List<ClusterShard> shards = [];

    public ClusterShard? this[int slot] => Volatile.Read(ref slots[slot]);

    /// <summary>The masters the map names (after a MOVED, possibly one that has no slot left until the next load).</summary>
    public string[] Masters
    {
        get { lock (shards) return shards.Select(s => s.Master).Distinct().ToArray(); }
    }

    /// <summary>Every master and replica the map names.</summary>
    public string[] Nodes
    {
        get { lock (shards) return shards.SelectMany(s => s.Replicas.Prepend(s.Master)).Distinct().ToArray(); }
    }

    /// <summary>A MOVED reply: the slot now belongs to <paramref name="master"/>, whose replicas we learn on the next refresh.</summary>
    public void Move(int slot, string master)
    {
        ClusterShard? shard;
        lock (shards)
        {
            shard = shards.FirstOrDefault(s => s.Master == master);
            if (shard is null) shards.Add(shard = new ClusterShard(master, []));
        }
        Volatile.Write(ref slots[slot], shard);
    }

    /// <summary>
    /// Parses CLUSTER SHARDS (a list of maps "slots" and "nodes"); replicas whose health is not "online"
    /// are left out, and so are shards without slots (a failed master whose slots moved to its replica).
    /// </summary>
    public static ClusterSlotMap FromShards(RespValue reply, string queriedHost, bool tls, Func<string, string> remap)
    {
        var map = new ClusterSlotMap();
        foreach (var shard in reply.Items ?? [])
        {
            var fields = Fields(shard);
            if (!fields.TryGetValue("slots", out var ranges) || !fields.TryGetValue("nodes", out var nodes)) continue;
            string? master = null;
            var replicas = new List<string>();
            foreach (var node in nodes.Items ?? [])
            {
                var n = Fields(node);
                var portField = tls && n.ContainsKey("tls-port") ? "tls-port" : "port";
                if (!n.TryGetValue(portField, out var port)) continue;
                string host = Text(n, "endpoint") is { Length: > 0 } e && e != "?" ? e : Text(n, "ip") is { Length: > 0 } ip ? ip : queriedHost;
                string address = remap(Address(host, Integer(port)));
                if (Text(n, "role") == "master") master = address;
                else if (Text(n, "health") == "online") replicas.Add(address);
            }
            if (master is null) continue;
            var bounds = ranges.Items ?? [];
            if (bounds.Length == 0) continue;
            var entry = new ClusterShard(master, replicas.ToArray());
            map.shards.Add(entry);
            for (int i = 0; i + 1 < bounds.Length; i += 2)
                for (long s = Integer(bounds[i]); s <= Integer(bounds[i + 1]); s++) map.slots[s] = entry;
        }
        return map;
    }

    /// <summary>Parses CLUSTER SLOTS: [start, end, [host, port, id, ...] of the master, then of each replica].</summary>
    public static ClusterSlotMap FromSlots(RespValue reply, string queriedHost, Func<string, string> remap)
    {
        var map = new ClusterSlotMap();
        var byMaster = new Dictionary<string, ClusterShard>();
        foreach (var range in reply.Items ?? [])
        {
            if (range.Items is not { Length: >= 3 } r) continue;
            var addresses = r.Skip(2).Where(n => n.Items is { Length: >= 2 }).Select(n =>
            {
                string host = n.Items![0].Text is { Length: > 0 } h && h != "?" ? h : queriedHost;
                return remap(Address(host, Integer(n.Items[1])));
            }).ToArray();
            if (addresses.Length == 0) continue;
            if (!byMaster.TryGetValue(addresses[0], out var entry))
            {
                byMaster[addresses[0]] = entry = new ClusterShard(addresses[0], addresses[1..]);
                map.shards.Add(entry);
            }
            for (long s = Integer(r[0]); s <= Integer(r[1]); s++) map.slots[s] = entry;
        }
        return map;
    }

    public static string Address(string host, long port) =>
        (host.Contains(':') ? "[" + host + "]" : host) + ":" + port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Splits "host:port" or "[v6]:port".</summary>
    public static (string Host, int Port) Split(string address)
    {
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port))
            throw new FormatException($"'{address}' is not host:port");
        return (address[..colon].Trim('[', ']'), port);
    }

    /// <summary>A RESP3 map or a RESP2 flat list of name, value pairs.</summary>
    static Dictionary<string, RespValue> Fields(RespValue map)
    {
        var result = new Dictionary<string, RespValue>();
        var items = map.Items ?? [];
        for (int i = 0; i + 1 < items.Length; i += 2) result[items[i].Text ?? ""] = items[i + 1];
        return result;
    }

    static string? Text(Dictionary<string, RespValue> fields, string name) => fields.TryGetValue(name, out var v) ? v.Text : null;

    static long Integer(RespValue v) => v.Type == RespType.Integer ? v.Integer : long.Parse(v.Text!, CultureInfo.InvariantCulture);
}
