using Carmine.Protocol;
using Carmine.Server.Network;

namespace Carmine.Server.PubSub;

/// <summary>
/// Channels, patterns and shard channels with their subscribers. PUBLISH may come from any loop thread;
/// messages reach each subscriber through <see cref="Client.Push"/>, in publish order per publisher.
/// </summary>
public sealed class PubSubHub
{
    readonly Dictionary<byte[], HashSet<Client>> channels = new(ByteArrayComparer.Instance);
    readonly Dictionary<byte[], HashSet<Client>> patterns = new(ByteArrayComparer.Instance);
    readonly Dictionary<byte[], HashSet<Client>> shardChannels = new(ByteArrayComparer.Instance);
    readonly object gate = new();

    public enum Kind { Channel, Pattern, Shard }

    Dictionary<byte[], HashSet<Client>> Map(Kind kind) => kind switch
    {
        Kind.Channel => channels,
        Kind.Pattern => patterns,
        _ => shardChannels,
    };

    /// <summary>Subscribes; false if the client was already subscribed.</summary>
    public bool Subscribe(Client c, Kind kind, byte[] name)
    {
        lock (gate)
        {
            var map = Map(kind);
            if (!map.TryGetValue(name, out var set)) map[name] = set = [];
            return set.Add(c);
        }
    }

    public bool Unsubscribe(Client c, Kind kind, byte[] name)
    {
        lock (gate)
        {
            var map = Map(kind);
            if (!map.TryGetValue(name, out var set) || !set.Remove(c)) return false;
            if (set.Count == 0) map.Remove(name);
            return true;
        }
    }

    /// <summary>Delivers a message to the channel's subscribers and to every matching pattern's; returns the receivers.</summary>
    public int Publish(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message)
    {
        var ch = channel.ToArray();
        var msg = message.ToArray();
        List<Client>? direct = null;
        List<(Client, byte[])>? matched = null;
        lock (gate)
        {
            if (channels.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out var set)) direct = [.. set];
            foreach (var (pattern, subs) in patterns)
            {
                if (!GlobMatch.Match(pattern, ch)) continue;
                matched ??= [];
                foreach (var s in subs) matched.Add((s, pattern));
            }
        }
        int receivers = 0;
        if (direct is not null)
        {
            foreach (var c in direct)
            {
                c.Push(r => WriteMessage(r, "message"u8, ch, msg));
                receivers++;
            }
        }
        if (matched is not null)
        {
            foreach (var (c, pattern) in matched)
            {
                c.Push(r =>
                {
                    r.PushHeader(4);
                    r.Bulk("pmessage"u8);
                    r.Bulk(pattern);
                    r.Bulk(ch);
                    r.Bulk(msg);
                });
                receivers++;
            }
        }
        return receivers;
    }

    /// <summary>SPUBLISH: delivers to the shard channel's subscribers only.</summary>
    public int PublishShard(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message)
    {
        var ch = channel.ToArray();
        var msg = message.ToArray();
        List<Client>? subs = null;
        lock (gate)
            if (shardChannels.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out var set)) subs = [.. set];
        if (subs is null) return 0;
        foreach (var c in subs) c.Push(r => WriteMessage(r, "smessage"u8, ch, msg));
        return subs.Count;
    }

    static void WriteMessage(RespBuffer r, ReadOnlySpan<byte> kind, byte[] channel, byte[] message)
    {
        r.PushHeader(3);
        r.Bulk(kind);
        r.Bulk(channel);
        r.Bulk(message);
    }

    /// <summary>Active channels (with at least one subscriber) matching an optional pattern.</summary>
    public List<byte[]> ActiveChannels(Kind kind, ReadOnlySpan<byte> pattern, bool hasPattern)
    {
        lock (gate)
        {
            var result = new List<byte[]>();
            foreach (var name in Map(kind).Keys)
                if (!hasPattern || GlobMatch.Match(pattern, name)) result.Add(name);
            return result;
        }
    }

    public int SubscriberCount(Kind kind, ReadOnlySpan<byte> name)
    {
        lock (gate)
            return Map(kind).GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(name, out var set) ? set.Count : 0;
    }

    public int PatternCount
    {
        get { lock (gate) return patterns.Count; }
    }

    public int ChannelCount
    {
        get { lock (gate) return channels.Count; }
    }

    public int ShardChannelCount
    {
        get { lock (gate) return shardChannels.Count; }
    }

    /// <summary>Drops every subscription of a disconnected client.</summary>
    public void RemoveClient(Client c)
    {
        if (c.Channels is not null) foreach (var ch in c.Channels) Unsubscribe(c, Kind.Channel, ch);
        if (c.Patterns is not null) foreach (var p in c.Patterns) Unsubscribe(c, Kind.Pattern, p);
        if (c.ShardChannels is not null) foreach (var s in c.ShardChannels) Unsubscribe(c, Kind.Shard, s);
    }
}
