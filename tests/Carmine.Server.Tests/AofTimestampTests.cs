namespace Carmine.Server.Tests;

/// <summary>aof-timestamp-enabled: the AOF's incremental files and a base written as commands open with a #TS annotation.</summary>
public sealed class AofTimestampTests
{
    [Fact]
    public void RewrittenCommandBaseStartsWithATimestamp()
    {
        using var server = new TestServer("--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--aof-timestamp-enabled", "yes");
        using var c = server.Connect();
        c.Call("SET", "aofts:k", "v");
        Assert.Equal("Background append only file rewriting started", c.Str("BGREWRITEAOF"));
        ServerInfo.WaitUntil(() => ServerInfo.Field(c, "persistence", "aof_rewrite_in_progress") == "0", "the rewrite to end");
        string dir = Path.Combine(server.Dir, "appendonlydir");
        string first = File.ReadLines(Directory.GetFiles(dir, "*.base.aof").Single()).First();
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
        string dir = Path.Combine(server.Dir, "appendonlydir");
        Assert.Equal("*2", File.ReadLines(Directory.GetFiles(dir, "*.base.aof").Single()).First());
    }
}
