namespace Carmine.Client;

public abstract partial class RedisCommands
{
    public Task<long> LPushAsync(string key, params object[] values) => Send(Reply.Integer, ["LPUSH", key], values);
    public Task<long> RPushAsync(string key, params object[] values) => Send(Reply.Integer, ["RPUSH", key], values);
    public Task<string?> LPopAsync(string key) => Send(Reply.String, "LPOP", key);
    public Task<string?> RPopAsync(string key) => Send(Reply.String, "RPOP", key);
    public Task<long> LLenAsync(string key) => Send(Reply.Integer, "LLEN", key);
    public Task<string?[]> LRangeAsync(string key, long start, long stop) => Send(Reply.Strings, "LRANGE", key, start, stop);
    public Task<string?> LIndexAsync(string key, long index) => Send(Reply.String, "LINDEX", key, index);
    public Task<bool> LSetAsync(string key, long index, object value) => Send(Reply.Ok, "LSET", key, index, value);
    public Task<long> LRemAsync(string key, long count, object value) => Send(Reply.Integer, "LREM", key, count, value);
    public Task<bool> LTrimAsync(string key, long start, long stop) => Send(Reply.Ok, "LTRIM", key, start, stop);

    /// <summary>
    /// BLPOP with a timeout in seconds (0: forever); null when it timed out. It blocks a pooled connection, not the
    /// shared one, and may take its timeout plus the response timeout.
    /// </summary>
    public Task<(string Key, string Value)?> BLPopAsync(double timeoutSeconds, params string[] keys) =>
        Send(KeyAndValue, ["BLPOP", .. keys], new object[] { timeoutSeconds });

    /// <summary>BRPOP, as <see cref="BLPopAsync"/> from the tail.</summary>
    public Task<(string Key, string Value)?> BRPopAsync(double timeoutSeconds, params string[] keys) =>
        Send(KeyAndValue, ["BRPOP", .. keys], new object[] { timeoutSeconds });

    /// <summary>BLMOVE: pops from one end of <paramref name="source"/>, pushes to one end of <paramref name="destination"/>; null when it timed out.</summary>
    public Task<string?> BLMoveAsync(string source, string destination, bool fromLeft, bool toLeft, double timeoutSeconds) =>
        Send(Reply.String, "BLMOVE", source, destination, fromLeft ? "LEFT" : "RIGHT", toLeft ? "LEFT" : "RIGHT", timeoutSeconds);

    static (string Key, string Value)? KeyAndValue(Protocol.RespValue r) => Reply.Strings(r) is [{ } k, { } v] ? (k, v) : null;
}
