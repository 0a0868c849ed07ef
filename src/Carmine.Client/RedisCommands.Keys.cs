namespace Carmine.Client;

public abstract partial class RedisCommands
{
    public Task<long> DelAsync(params string[] keys) => Send(Reply.Integer, ["DEL"], keys);
    public Task<long> UnlinkAsync(params string[] keys) => Send(Reply.Integer, ["UNLINK"], keys);
    public Task<long> ExistsAsync(params string[] keys) => Send(Reply.Integer, ["EXISTS"], keys);
    public Task<bool> ExpireAsync(string key, TimeSpan ttl) => Send(Reply.Bool, "PEXPIRE", key, (long)ttl.TotalMilliseconds);
    public Task<bool> PersistAsync(string key) => Send(Reply.Bool, "PERSIST", key);
    /// <summary>The remaining time to live; null when the key has none or does not exist.</summary>
    public Task<TimeSpan?> TtlAsync(string key) =>
        Send(r => Reply.Integer(r) is var ms && ms < 0 ? (TimeSpan?)null : TimeSpan.FromMilliseconds(ms), "PTTL", key);
    public Task<string> TypeAsync(string key) => Send(r => Reply.String(r)!, "TYPE", key);
    public Task<bool> RenameAsync(string key, string newKey) => Send(Reply.Ok, "RENAME", key, newKey);
    public Task<string[]> KeysAsync(string pattern) => Send(Reply.Members, "KEYS", pattern);
    public Task<string?> RandomKeyAsync() => Send(Reply.String, "RANDOMKEY");

    /// <summary>All keys matching <paramref name="pattern"/>, fetched with SCAN a page at a time.</summary>
    public async IAsyncEnumerable<string> ScanAsync(string pattern = "*", int pageSize = 100)
    {
        string cursor = "0";
        do
        {
            var page = await ExecuteAsync("SCAN", cursor, "MATCH", pattern, "COUNT", pageSize).ConfigureAwait(false);
            cursor = Reply.String(page.Items![0])!;
            foreach (var key in page.Items[1].Items!) yield return Reply.String(key)!;
        } while (cursor != "0");
    }
}
