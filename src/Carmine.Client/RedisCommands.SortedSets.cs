namespace Carmine.Client;

public abstract partial class RedisCommands
{
    public Task<long> ZAddAsync(string key, params (object Member, double Score)[] members) =>
        Send(Reply.Integer, ["ZADD", key], members.SelectMany(m => new[] { m.Score, m.Member }));
    public Task<long> ZRemAsync(string key, params object[] members) => Send(Reply.Integer, ["ZREM", key], members);
    public Task<double?> ZScoreAsync(string key, object member) => Send(Reply.Double, "ZSCORE", key, member);
    public Task<double> ZIncrByAsync(string key, double by, object member) => Send(r => Reply.Double(r) ?? 0, "ZINCRBY", key, by, member);
    public Task<long> ZCardAsync(string key) => Send(Reply.Integer, "ZCARD", key);
    public Task<long?> ZRankAsync(string key, object member) => Send(r => Reply.Check(r).IsNull ? (long?)null : r.Integer, "ZRANK", key, member);
    public Task<string[]> ZRangeAsync(string key, long start, long stop) => Send(Reply.Members, "ZRANGE", key, start, stop);
    public Task<(string Member, double Score)[]> ZRangeWithScoresAsync(string key, long start, long stop) =>
        Send(Reply.ScoredMembers, "ZRANGE", key, start, stop, "WITHSCORES");
    public Task<(string Member, double Score)[]> ZRangeByScoreWithScoresAsync(string key, double min, double max) =>
        Send(Reply.ScoredMembers, "ZRANGEBYSCORE", key, min, max, "WITHSCORES");
    public Task<long> ZCountAsync(string key, double min, double max) => Send(Reply.Integer, "ZCOUNT", key, min, max);

    /// <summary>BZPOPMIN with a timeout in seconds (0: forever), on a pooled connection; null when it timed out.</summary>
    public Task<(string Key, string Member, double Score)?> BZPopMinAsync(double timeoutSeconds, params string[] keys) =>
        Send(KeyMemberScore, ["BZPOPMIN", .. keys], new object[] { timeoutSeconds });

    public Task<(string Key, string Member, double Score)?> BZPopMaxAsync(double timeoutSeconds, params string[] keys) =>
        Send(KeyMemberScore, ["BZPOPMAX", .. keys], new object[] { timeoutSeconds });

    static (string Key, string Member, double Score)? KeyMemberScore(Protocol.RespValue r) =>
        Reply.Check(r).IsNull ? null : (Reply.String(r.Items![0])!, Reply.String(r.Items[1])!, Reply.Double(r.Items[2]) ?? 0);
}
