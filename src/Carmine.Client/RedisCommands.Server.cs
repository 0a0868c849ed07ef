namespace Carmine.Client;

public abstract partial class RedisCommands
{
    public Task<string> PingAsync() => Send(r => Reply.String(r)!, "PING");
    public Task<string> EchoAsync(string message) => Send(r => Reply.String(r)!, "ECHO", message);
    public Task<string> InfoAsync(string? section = null) =>
        section is null ? Send(r => Reply.String(r)!, "INFO") : Send(r => Reply.String(r)!, "INFO", section);
    public Task<Dictionary<string, string>> ConfigGetAsync(string pattern) => Send(Reply.Map, "CONFIG", "GET", pattern);
    public Task<bool> ConfigSetAsync(string parameter, object value) => Send(Reply.Ok, "CONFIG", "SET", parameter, value);
    public Task<long> DbSizeAsync() => Send(Reply.Integer, "DBSIZE");
    public Task<bool> FlushDbAsync() => Send(Reply.Ok, "FLUSHDB");
    public Task<long> PublishAsync(string channel, object message) => Send(Reply.Integer, "PUBLISH", channel, message);
}
