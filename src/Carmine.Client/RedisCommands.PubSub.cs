namespace Carmine.Client;

public abstract partial class RedisCommands
{
    /// <summary>SPUBLISH to a shard channel; returns how many subscribers received it.</summary>
    public Task<long> SPublishAsync(string shardChannel, object message) => Send(Reply.Integer, "SPUBLISH", shardChannel, message);

    /// <summary>PUBSUB CHANNELS: the channels with at least one subscriber, optionally only those matching a glob pattern.</summary>
    public Task<string[]> PubSubChannelsAsync(string? pattern = null) =>
        pattern is null ? Send(Reply.Members, "PUBSUB", "CHANNELS") : Send(Reply.Members, "PUBSUB", "CHANNELS", pattern);

    /// <summary>PUBSUB NUMSUB: the number of subscribers of each channel (patterns not counted).</summary>
    public Task<Dictionary<string, long>> PubSubNumSubAsync(params string[] channels) => Send(Counts, ["PUBSUB", "NUMSUB"], channels);

    /// <summary>PUBSUB NUMPAT: how many patterns are subscribed to, over all clients.</summary>
    public Task<long> PubSubNumPatAsync() => Send(Reply.Integer, "PUBSUB", "NUMPAT");

    public Task<string[]> PubSubShardChannelsAsync(string? pattern = null) =>
        pattern is null ? Send(Reply.Members, "PUBSUB", "SHARDCHANNELS") : Send(Reply.Members, "PUBSUB", "SHARDCHANNELS", pattern);

    public Task<Dictionary<string, long>> PubSubShardNumSubAsync(params string[] shardChannels) =>
        Send(Counts, ["PUBSUB", "SHARDNUMSUB"], shardChannels);

    static Dictionary<string, long> Counts(Protocol.RespValue r)
    {
        var result = new Dictionary<string, long>();
        var items = Reply.Check(r).Items!;
        for (int i = 0; i + 1 < items.Length; i += 2) result[Reply.String(items[i])!] = Reply.Integer(items[i + 1]);
        return result;
    }
}
