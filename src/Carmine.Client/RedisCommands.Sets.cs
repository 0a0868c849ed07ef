namespace Carmine.Client;

public abstract partial class RedisCommands
{
    public Task<long> SAddAsync(string key, params object[] members) => Send(Reply.Integer, ["SADD", key], members);
    public Task<long> SRemAsync(string key, params object[] members) => Send(Reply.Integer, ["SREM", key], members);
    public Task<bool> SIsMemberAsync(string key, object member) => Send(Reply.Bool, "SISMEMBER", key, member);
    public Task<long> SCardAsync(string key) => Send(Reply.Integer, "SCARD", key);
    public Task<string[]> SMembersAsync(string key) => Send(Reply.Members, "SMEMBERS", key);
    public Task<string?> SPopAsync(string key) => Send(Reply.String, "SPOP", key);
    public Task<string[]> SInterAsync(params string[] keys) => Send(Reply.Members, ["SINTER"], keys);
    public Task<string[]> SUnionAsync(params string[] keys) => Send(Reply.Members, ["SUNION"], keys);
    public Task<string[]> SDiffAsync(params string[] keys) => Send(Reply.Members, ["SDIFF"], keys);
}
