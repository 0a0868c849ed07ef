namespace Carmine.Client;

public abstract partial class RedisCommands
{
    public Task<long> HSetAsync(string key, params (string Field, object Value)[] pairs) =>
        Send(Reply.Integer, ["HSET", key], pairs.SelectMany(p => new[] { p.Field, p.Value }));
    public Task<bool> HSetNxAsync(string key, string field, object value) => Send(Reply.Bool, "HSETNX", key, field, value);
    public Task<string?> HGetAsync(string key, string field) => Send(Reply.String, "HGET", key, field);
    public Task<string?[]> HMGetAsync(string key, params string[] fields) => Send(Reply.Strings, ["HMGET", key], fields);
    public Task<Dictionary<string, string>> HGetAllAsync(string key) => Send(Reply.Map, "HGETALL", key);
    public Task<long> HDelAsync(string key, params string[] fields) => Send(Reply.Integer, ["HDEL", key], fields);
    public Task<bool> HExistsAsync(string key, string field) => Send(Reply.Bool, "HEXISTS", key, field);
    public Task<long> HLenAsync(string key) => Send(Reply.Integer, "HLEN", key);
    public Task<long> HIncrByAsync(string key, string field, long by) => Send(Reply.Integer, "HINCRBY", key, field, by);
    public Task<string[]> HKeysAsync(string key) => Send(Reply.Members, "HKEYS", key);
    public Task<string?[]> HValsAsync(string key) => Send(Reply.Strings, "HVALS", key);
}
