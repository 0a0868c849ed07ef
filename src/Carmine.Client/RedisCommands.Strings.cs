namespace Carmine.Client;

public abstract partial class RedisCommands
{
    public Task<string?> GetAsync(string key) => Send(Reply.String, "GET", key);
    public Task<byte[]?> GetBytesAsync(string key) => Send(Reply.Bytes, "GET", key);

    /// <summary>SET with an optional expiry; with <paramref name="onlyIfNotExists"/> it is SET NX and returns false when the key existed.</summary>
    public Task<bool> SetAsync(string key, object value, TimeSpan? expiry = null, bool onlyIfNotExists = false)
    {
        var args = new List<object> { "SET", key, value };
        if (expiry is { } ttl) args.AddRange(["PX", (long)ttl.TotalMilliseconds]);
        if (onlyIfNotExists) args.Add("NX");
        return Send(Reply.Ok, args.ToArray());
    }

    public Task<string?> GetSetAsync(string key, object value) => Send(Reply.String, "GETSET", key, value);
    public Task<string?> GetDelAsync(string key) => Send(Reply.String, "GETDEL", key);
    public Task<string?[]> MGetAsync(params string[] keys) => Send(Reply.Strings, ["MGET"], keys);
    public Task<bool> MSetAsync(params (string Key, object Value)[] pairs) =>
        Send(Reply.Ok, ["MSET"], pairs.SelectMany(p => new[] { p.Key, p.Value }));
    public Task<long> IncrAsync(string key, long by = 1) => Send(Reply.Integer, "INCRBY", key, by);
    public Task<long> DecrAsync(string key, long by = 1) => Send(Reply.Integer, "DECRBY", key, by);
    public Task<double> IncrByFloatAsync(string key, double by) => Send(r => Reply.Double(r) ?? 0, "INCRBYFLOAT", key, by);
    public Task<long> AppendAsync(string key, object value) => Send(Reply.Integer, "APPEND", key, value);
    public Task<long> StrLenAsync(string key) => Send(Reply.Integer, "STRLEN", key);
    public Task<string?> GetRangeAsync(string key, long start, long end) => Send(Reply.String, "GETRANGE", key, start, end);
}
