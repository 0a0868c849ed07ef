using Carmine.Protocol;

namespace Carmine.Server.Tests;

/// <summary>Whole-database commands and SCAN; every test starts from an empty server.</summary>
public sealed class DatabaseTests : IClassFixture<ServerFixture>
{
    readonly RespConnection r;

    public DatabaseTests(ServerFixture fixture)
    {
        r = fixture.Server.Connect();
        r.Call("FLUSHALL");
    }

    /// <summary>Sets db:0 .. db:(n-1) (or another prefix) in one pipeline.</summary>
    void Populate(int n, string prefix = "db:")
    {
        var b = new RespBuffer();
        for (int i = 0; i < n; i++) b.Command("SET", prefix + i, "x");
        r.SendRaw(b.Written);
        for (int i = 0; i < n; i++) r.Read();
    }

    void Pipeline(IEnumerable<string[]> commands)
    {
        var b = new RespBuffer();
        int n = 0;
        foreach (var cmd in commands)
        {
            b.Command(cmd);
            n++;
        }
        r.SendRaw(b.Written);
        for (int i = 0; i < n; i++) r.Read();
    }

    /// <summary>Runs a full SCAN, calling <paramref name="between"/> after each call; returns every key seen.</summary>
    HashSet<string> ScanAll(Action<int>? between = null, params string[] options)
    {
        var seen = new HashSet<string>();
        string cursor = "0";
        int calls = 0;
        do
        {
            var reply = r.Call(["SCAN", cursor, .. options]).Items!;
            cursor = reply[0].Text!;
            foreach (var k in reply[1].Items!) seen.Add(k.Text!);
            between?.Invoke(calls++);
        }
        while (cursor != "0");
        return seen;
    }

    [Fact]
    public void DbsizeCountsTheKeysOfTheSelectedDatabase()
    {
        Populate(6);
        Assert.Equal(6, r.Int("DBSIZE"));
        r.Call("SELECT", "1");
        Assert.Equal(0, r.Int("DBSIZE"));
    }

    [Fact]
    public void FlushdbEmptiesOnlyTheSelectedDatabase()
    {
        Populate(3);
        r.Call("SELECT", "1");
        Populate(2);
        Assert.Equal("OK", r.Str("FLUSHDB"));
        Assert.Equal(0, r.Int("DBSIZE"));
        r.Call("SELECT", "0");
        Assert.Equal(3, r.Int("DBSIZE"));
    }

    [Fact]
    public void FlushallEmptiesEveryDatabase()
    {
        Populate(3);
        r.Call("SELECT", "7");
        Populate(2);
        Assert.Equal("OK", r.Str("FLUSHALL", "ASYNC"));
        Assert.Equal(0, r.Int("DBSIZE"));
        r.Call("SELECT", "0");
        Assert.Equal(0, r.Int("DBSIZE"));
    }

    [Fact]
    public void FlushWithAnUnknownModeIsASyntaxError()
    {
        Assert.Equal("ERR syntax error", r.Str("FLUSHDB", "FOO"));
        Assert.Equal("ERR syntax error", r.Str("FLUSHALL", "SYNC", "ASYNC"));
        Assert.Equal("OK", r.Str("FLUSHALL", "sync"));
    }

    [Fact]
    public void SwapdbExchangesTwoDatabases()
    {
        r.Call("SET", "db:a", "zero", "EX", "100");
        r.Call("SELECT", "2");
        r.Call("SET", "db:b", "two");
        Assert.Equal("OK", r.Str("SWAPDB", "0", "2"));
        Assert.Equal("zero", r.Str("GET", "db:a"));
        Assert.InRange(r.Int("TTL", "db:a"), 95, 100);
        Assert.Equal(0, r.Int("EXISTS", "db:b"));
        r.Call("SELECT", "0");
        Assert.Equal("two", r.Str("GET", "db:b"));
    }

    [Fact]
    public void SwapdbErrors()
    {
        Assert.Equal("ERR invalid first DB index", r.Str("SWAPDB", "x", "0"));
        Assert.Equal("ERR invalid second DB index", r.Str("SWAPDB", "0", "x"));
        Assert.Equal("ERR DB index is out of range", r.Str("SWAPDB", "0", "16"));
        Assert.Equal("OK", r.Str("SWAPDB", "3", "3"));
    }

    /// <summary>WATCH x, run <paramref name="between"/>, then MULTI PING EXEC: the EXEC reply as text.</summary>
    string ExecAfter(Action between)
    {
        r.Call("WATCH", "db:w");
        between();
        r.Call("MULTI");
        r.Call("PING");
        return r.Str("EXEC");
    }

    [Fact]
    public void FlushallTouchesAWatchedKeyThatExisted()
    {
        r.Call("SET", "db:w", "30");
        Assert.Equal("(nil)", ExecAfter(() => r.Call("FLUSHALL")));
    }

    [Fact]
    public void FlushdbDoesNotTouchAWatchedKeyThatWasMissing()
    {
        Assert.Equal("[PONG]", ExecAfter(() => r.Call("FLUSHDB")));
    }

    [Fact]
    public void SwapdbTouchesAWatchedKeyThatAppears()
    {
        r.Call("SELECT", "1");
        r.Call("SET", "db:w", "30");
        r.Call("SELECT", "0");
        Assert.Equal("(nil)", ExecAfter(() => r.Call("SWAPDB", "0", "1")));
    }

    [Fact]
    public void SwapdbDoesNotTouchAWatchedKeyMissingInBoth()
    {
        r.Call("SELECT", "1");
        r.Call("SET", "db:other", "30");
        r.Call("SELECT", "0");
        Assert.Equal("[PONG]", ExecAfter(() => r.Call("SWAPDB", "0", "1")));
    }

    [Fact]
    public void RandomKeyOfAnEmptyDatabaseIsNil()
    {
        Assert.True(r.Call("RANDOMKEY").IsNull);
        r.Call("SET", "db:x", "10");
        r.Call("DEL", "db:x");
        Assert.True(r.Call("RANDOMKEY").IsNull);
    }

    [Fact]
    public void RandomKeyReturnsEachKeySometimes()
    {
        r.Call("SET", "db:foo", "x");
        r.Call("SET", "db:bar", "y");
        var seen = new HashSet<string>();
        for (int i = 0; i < 200 && seen.Count < 2; i++) seen.Add(r.Str("RANDOMKEY"));
        Assert.Equal(["db:bar", "db:foo"], seen.Order().ToArray());
    }

    [Fact]
    public void RandomKeyNeverReturnsAnExpiredKey()
    {
        Pipeline(Enumerable.Range(0, 500).Select(i => new[] { "SET", "db:short" + i, "x", "PX", "1" }));
        r.Call("SET", "db:kept", "x");
        Thread.Sleep(20);
        for (int i = 0; i < 20; i++) Assert.Equal("db:kept", r.Str("RANDOMKEY"));
    }

    [Fact]
    public void ScanReturnsEveryKey()
    {
        Populate(1000);
        Assert.Equal(1000, ScanAll().Count);
        Assert.Equal(1000, ScanAll(null, "COUNT", "5").Count);
    }

    [Fact]
    public void ScanMatchAndType()
    {
        Populate(1000);
        Assert.Equal(100, ScanAll(null, "MATCH", "db:1??").Count);
        Assert.Empty(ScanAll(null, "TYPE", "list"));
        Assert.Equal(1000, ScanAll(null, "TYPE", "STRING", "MATCH", "db:*", "COUNT", "10").Count);
    }

    [Fact]
    public void ScanReturnsEveryKeyWhileTheTablesGrow()
    {
        Populate(100);
        // Twenty new keys per call: the tables double several times before the iteration ends.
        var seen = ScanAll(call => Populate(20, $"db:grow{call}:"));
        for (int i = 0; i < 100; i++) Assert.Contains("db:" + i, seen);
    }

    [Fact]
    public void ScanReturnsEveryKeyWhileTheTablesShrink()
    {
        Populate(100);
        Populate(5000, "db:drop:");
        var seen = ScanAll(call =>
        {
            if (call == 2) Pipeline(Enumerable.Range(0, 5000).Select(i => new[] { "DEL", "db:drop:" + i }));
        }, "COUNT", "20");
        for (int i = 0; i < 100; i++) Assert.Contains("db:" + i, seen);
    }

    [Fact]
    public void ScanSkipsExpiredKeys()
    {
        Populate(20);
        Pipeline(Enumerable.Range(0, 20).Select(i => new[] { "SET", "db:short" + i, "x", "PX", "1" }));
        Thread.Sleep(20);
        Assert.Equal(20, ScanAll().Count);
    }

    [Fact]
    public void ScanArgumentErrors()
    {
        Assert.Equal("ERR invalid cursor", r.Str("SCAN", "abc"));
        Assert.Equal("ERR invalid cursor", r.Str("SCAN", " 1"));
        Assert.Equal("ERR invalid cursor", r.Str("SCAN", "18446744073709551616"));
        Assert.Equal("ERR syntax error", r.Str("SCAN", "0", "COUNT", "0"));
        Assert.Equal("ERR value is not an integer or out of range", r.Str("SCAN", "0", "COUNT", "x"));
        Assert.Equal("ERR syntax error", r.Str("SCAN", "0", "MATCH"));
    }

    [Fact]
    public void ScanOfAnEmptyDatabaseEndsAtOnce()
    {
        var reply = r.Call("SCAN", "0").Items!;
        Assert.Equal("0", reply[0].Text);
        Assert.Empty(reply[1].Items!);
    }

    [Fact]
    public void SelectOfANonNumberIsAnIntegerError()
    {
        Assert.Equal("ERR value is not an integer or out of range", r.Str("SELECT", "abc"));
        Assert.Equal("ERR DB index is out of range", r.Str("SELECT", "16"));
    }
}
