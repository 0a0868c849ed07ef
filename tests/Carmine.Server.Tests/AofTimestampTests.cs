namespace Carmine.Server.Tests;

/// <summary>aof-timestamp-enabled: the AOF's incremental files and a base written as commands open with a #TS annotation.</summary>
public sealed class AofTimestampTests
{
    /// <summary>The base file the manifest names: the one before the rewrite may still be on disk, being removed as history.</summary>
    static string CurrentBase(TestServer server)
    {
        string dir = Path.Combine(server.Dir, "appendonlydir");
        string line = File.ReadLines(Path.Combine(dir, "appendonly.aof.manifest")).Single(l => l.EndsWith(" type b", StringComparison.Ordinal));
        return Path.Combine(dir, line.Split(' ')[1]);
    }

    [Fact]
    public void RewrittenCommandBaseStartsWithATimestamp()
    {
        using var server = new TestServer("--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--aof-timestamp-enabled", "yes");
        using var c = server.Connect();
        c.Call("SET", "aofts:k", "v");
        Assert.Equal("Background append only file rewriting started", c.Str("BGREWRITEAOF"));
        ServerInfo.WaitUntil(() => ServerInfo.Field(c, "persistence", "aof_rewrite_in_progress") == "0", "the rewrite to end");
        string first = File.ReadLines(CurrentBase(server)).First();
        Assert.Matches(@"^#TS:\d+$", first);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(long.Parse(first[4..]), now - 60, now);
    }

    [Fact]
    public void RewrittenCommandBaseHasNoTimestampWhenDisabled()
    {
        using var server = new TestServer("--appendonly", "yes", "--aof-use-rdb-preamble", "no");
        using var c = server.Connect();
        c.Call("SET", "aofts:k", "v");
        c.Str("BGREWRITEAOF");
        ServerInfo.WaitUntil(() => ServerInfo.Field(c, "persistence", "aof_rewrite_in_progress") == "0", "the rewrite to end");
        Assert.Equal("*2", File.ReadLines(CurrentBase(server)).First());
    }
}
