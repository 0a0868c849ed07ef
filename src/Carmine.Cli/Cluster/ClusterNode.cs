using System.Net.Sockets;
using System.Text;
using Carmine.Protocol;

namespace Carmine.Cli.Cluster;

/// <summary>One node as the cluster manager sees it: its connection, and what its CLUSTER NODES line says
/// (id, address, flags, master, slots, open slots).</summary>
public sealed class ClusterNode(string ip, int port, int busPort = 0)
{
    public const int SlotCount = Carmine.Protocol.HashSlot.Count;
    /// <summary>The cluster bus listens on port + 10000 unless cluster-port says otherwise.</summary>
    public const int BusPortIncrement = 10000;

    public CliConnection? Connection { get; set; }
    public string? Name { get; set; }
    public string Ip { get; } = ip;
    public int Port { get; } = port;
    public int BusPort { get; set; } = busPort != 0 ? busPort : port + BusPortIncrement;
    public long CurrentEpoch { get; set; }
    public bool IsSlave { get; set; }
    /// <summary>noaddr, disconnected or fail: a node the manager cannot rely on.</summary>
    public bool Unusable { get; set; }
    public List<string> Flags { get; } = [];
    /// <summary>The master's id when this node is a replica (or is to become one, during create).</summary>
    public string? Replicate { get; set; }
    /// <summary>Changes planned by create that are not yet sent to the node.</summary>
    public bool Dirty { get; set; }
    public bool[] Slots { get; } = new bool[SlotCount];
    public int SlotsCount { get; set; }
    public int ReplicasCount { get; set; }
    /// <summary>Friends: the other nodes listed in this node's CLUSTER NODES.</summary>
    public List<ClusterNode> Friends { get; } = [];
    /// <summary>(slot, destination id) pairs for slots this node is migrating.</summary>
    public List<(string Slot, string Node)> Migrating { get; } = [];
    /// <summary>(slot, source id) pairs for slots this node is importing.</summary>
    public List<(string Slot, string Node)> Importing { get; } = [];
    public float Weight { get; set; } = 1;
    public int Balance { get; set; }

    public string Address => $"{Ip}:{Port}";

    /// <summary>
    /// Connects, over TLS when <paramref name="tls"/> is given (--tls, as redis-cli secures every manager connection);
    /// prints hiredis' message, followed by <paramref name="suffix"/>, and returns false on failure.
    /// </summary>
    public bool Connect(CliTlsOptions? tls, string suffix = "")
    {
        Connection?.Dispose();
        Connection = null;
        try
        {
            Connection = CliConnection.Open(Ip, Port, null, tls);
            return true;
        }
        catch (CliTlsException e)
        {
            Console.Out.Flush();
            Console.Error.Write(e.Configuration ? $"Could not negotiate a TLS connection: {e.Message}\n" : $"Could not connect to Redis at {Ip}:{Port}: {e.Message}{suffix}\n");
            return false;
        }
        catch (SocketException e)
        {
            Console.Out.Flush();
            Console.Error.Write($"Could not connect to Redis at {Ip}:{Port}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(e.NativeErrorCode)}{suffix}\n");
            return false;
        }
    }

    public RespValue Call(params string[] args) => Call(args.Select(Encoding.UTF8.GetBytes).ToArray());

    public RespValue Call(IReadOnlyList<byte[]> args)
    {
        Connection!.Append(args);
        Connection.Flush();
        return Connection.ReadReply();
    }

    public void ResetSlots()
    {
        Array.Clear(Slots);
        SlotsCount = 0;
    }

    /// <summary>Reads CLUSTER NODES: this node's own line fills this object; with <paramref name="getFriends"/>
    /// every other line becomes a friend. Returns false (with the error text, if the server gave one) on failure.</summary>
    public bool LoadInfo(bool getFriends, out string? error)
    {
        var reply = Call("CLUSTER", "NODES");
        error = reply.IsError ? reply.Text : null;
        if (reply.IsError) return false;
        foreach (var line in reply.Text!.Split('\n'))
        {
            if (line.Length == 0) continue;
            var f = line.Split(' ');
            if (f.Length < 3) return false;
            if (!ClusterManager.ParseAddress(f[1], out string ip, out int port, out int busPort))
            {
                Console.Out.Flush();
                Console.Error.Write("Error: invalid CLUSTER NODES reply\n");
                return false;
            }
            bool myself = f[2].Contains("myself");
            ClusterNode current;
            if (myself)
            {
                BusPort = busPort;
                current = this;
                ResetSlots();
                Migrating.Clear();
                Importing.Clear();
                for (int i = 8; i < f.Length; i++) ParseSlotRange(f[i]);
                Dirty = false;
            }
            else if (!getFriends) continue;
            else
            {
                current = new ClusterNode(ip, port, busPort);
                Friends.Add(current);
            }
            current.Name = f[0];
            current.Flags.Clear();
            foreach (var flag in f[2].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (flag is "noaddr" or "disconnected" or "fail") current.Unusable = true;
                else if (flag == "slave")
                {
                    current.IsSlave = true;
                    if (f.Length > 3) current.Replicate = f[3];
                }
                current.Flags.Add(flag);
            }
            if (f.Length > 6) current.CurrentEpoch = CliOptions.Atoi(f[6]);
            if (!getFriends && myself) break;
        }
        return true;
    }

    void ParseSlotRange(string def)
    {
        if (def.StartsWith('['))
        {
            string body = def[1..].TrimEnd(']');
            int at = body.IndexOf("->-", StringComparison.Ordinal);
            if (at >= 0)
            {
                Migrating.Add((body[..at], body[(at + 3)..]));
                return;
            }
            at = body.IndexOf("-<-", StringComparison.Ordinal);
            if (at >= 0) Importing.Add((body[..at], body[(at + 3)..]));
            return;
        }
        int dash = def.IndexOf('-');
        if (dash >= 0)
        {
            int start = (int)CliOptions.Atoi(def[..dash]);
            int stop = (int)CliOptions.Atoi(def[(dash + 1)..]);
            for (int s = start; s <= stop; s++) Slots[s] = true;
            SlotsCount += stop - start + 1;
        }
        else if (def.Length > 0)
        {
            Slots[CliOptions.Atoi(def)] = true;
            SlotsCount++;
        }
    }

    /// <summary>The flags as redis-cli prints them: comma-separated, without "myself".</summary>
    public string FlagString => string.Join(',', Flags.Where(f => f != "myself"));

    /// <summary>Slot ranges as "[0-5460],[5462]".</summary>
    public static string SlotsString(bool[] slots)
    {
        var s = new StringBuilder();
        int first = -1;
        for (int i = 0; i <= SlotCount; i++)
        {
            bool has = i < SlotCount && slots[i];
            if (has && first < 0) first = i;
            else if (!has && first >= 0)
            {
                if (s.Length > 0) s.Append(',');
                s.Append('[').Append(first);
                if (i - 1 != first) s.Append('-').Append(i - 1);
                s.Append(']');
                first = -1;
            }
        }
        return s.ToString();
    }

    /// <summary>The node as check, create and reshard list it ("M: id ip:port", slots, flags, replicas).</summary>
    public string Info(int indent = 0)
    {
        string spaces = new(' ', indent);
        var s = new StringBuilder(spaces);
        if (Dirty && Replicate is not null) s.Append($"S: {Name} {Ip}:{Port}");
        else
            s.Append($"{(IsSlave ? "S" : "M")}: {Name} {Ip}:{Port}\n{spaces}   slots:{SlotsString(Slots)} ({SlotsCount} slots) {FlagString}");
        if (Replicate is not null) s.Append($"\n{spaces}   replicates {Replicate}");
        else if (ReplicasCount > 0) s.Append($"\n{spaces}   {ReplicasCount} additional replica(s)");
        return s.ToString();
    }
}
