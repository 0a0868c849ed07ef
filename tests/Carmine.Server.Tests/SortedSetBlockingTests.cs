using System.Diagnostics;

namespace Carmine.Server.Tests;

public sealed class SortedSetBlockingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    /// <summary>Sends a command without reading its reply, so the connection can block.</summary>
    static void Send(RespConnection conn, params string[] args)
    {
        var b = new Carmine.Protocol.RespBuffer();
        b.Command(args);
        conn.SendRaw(b.Written);
    }

    /// <summary>Gives a command sent with <see cref="Send"/> time to reach the server and block.</summary>
    static void Settle() => Thread.Sleep(100);

    [Fact]
    public void BZPopMinPopsAtOnceFromTheFirstNonEmptyKey()
    {
        r.Call("ZADD", "zsetb:now2", "3", "c", "1", "a");
        Assert.Equal("[zsetb:now2, a, 1]", r.Str("BZPOPMIN", "zsetb:now1", "zsetb:now2", "0"));
        Assert.Equal("[zsetb:now2, c, 3]", r.Str("BZPOPMAX", "zsetb:now1", "zsetb:now2", "0"));
        Assert.Equal(0, r.Int("EXISTS", "zsetb:now2"));
    }

    [Fact]
    public void BZPopMaxIsServedByAZaddFromAnotherConnection()
    {
        using var blocked = fixture.Server.Connect();
        Send(blocked, "BZPOPMAX", "zsetb:wake", "0");
        Settle();
        Assert.Equal(2, r.Int("ZADD", "zsetb:wake", "1", "a", "2", "b"));
        Assert.Equal("[zsetb:wake, b, 2]", blocked.Read().ToString());
        Assert.Equal("[a, 1]", r.Str("ZRANGE", "zsetb:wake", "0", "-1", "WITHSCORES"));
    }

    [Fact]
    public void ZUnionStoreMakesTheDestinationReady()
    {
        using var blocked = fixture.Server.Connect();
        Send(blocked, "BZPOPMIN", "zsetb:dest", "0");
        Settle();
        r.Call("ZADD", "zsetb:src", "5", "x");
        Assert.Equal(1, r.Int("ZUNIONSTORE", "zsetb:dest", "1", "zsetb:src"));
        Assert.Equal("[zsetb:dest, x, 5]", blocked.Read().ToString());
    }

    [Fact]
    public void WaitersAreServedInTheOrderTheyBlocked()
    {
        using var first = fixture.Server.Connect();
        using var second = fixture.Server.Connect();
        Send(first, "BZPOPMIN", "zsetb:fifo", "0");
        Settle();
        Send(second, "BZPOPMIN", "zsetb:fifo", "0");
        Settle();
        r.Call("ZADD", "zsetb:fifo", "1", "a", "2", "b");
        Assert.Equal("[zsetb:fifo, a, 1]", first.Read().ToString());
        Assert.Equal("[zsetb:fifo, b, 2]", second.Read().ToString());
    }

    [Fact]
    public void BZMPopRepliesWithTheKeyAndNestedPairs()
    {
        using var blocked = fixture.Server.Connect();
        Send(blocked, "BZMPOP", "0", "2", "zsetb:m1", "zsetb:m2", "MAX", "COUNT", "2");
        Settle();
        r.Call("ZADD", "zsetb:m2", "1", "a", "2", "b", "3", "c");
        Assert.Equal("[zsetb:m2, [[c, 3], [b, 2]]]", blocked.Read().ToString());
    }

    [Fact]
    public void AKeyRecreatedWithAnotherTypeKeepsTheClientWaiting()
    {
        using var blocked = fixture.Server.Connect();
        Send(blocked, "BZPOPMIN", "zsetb:type", "0");
        Settle();
        r.Call("LPUSH", "zsetb:type", "x");
        r.Call("DEL", "zsetb:type");
        r.Call("ZADD", "zsetb:type", "7", "m");
        Assert.Equal("[zsetb:type, m, 7]", blocked.Read().ToString());
    }

    [Fact]
    public void TimeoutRepliesANullArray()
    {
        var watch = Stopwatch.StartNew();
        Assert.True(r.Call("BZPOPMIN", "zsetb:timeout", "0.1").IsNull);
        Assert.True(r.Call("BZMPOP", "0.1", "1", "zsetb:timeout", "MIN").IsNull);
        Assert.InRange(watch.ElapsedMilliseconds, 180, 2000);
    }

    [Fact]
    public void InsideMultiAnEmptyKeyRepliesNullWithoutBlocking()
    {
        r.Call("MULTI");
        r.Call("BZPOPMIN", "zsetb:multi", "0");
        r.Call("BZMPOP", "0", "1", "zsetb:multi", "MIN");
        Assert.Equal("[(nil), (nil)]", r.Str("EXEC"));
    }

    [Fact]
    public void Resp3RepliesWithDoubleScores()
    {
        using var conn = fixture.Server.Connect();
        conn.Call("HELLO", "3");
        conn.Call("ZADD", "zsetb:resp3", "1.5", "a", "2", "b");
        Assert.Equal("[zsetb:resp3, a, 1.5]", conn.Str("BZPOPMIN", "zsetb:resp3", "0"));
        var reply = conn.Call("BZMPOP", "0", "1", "zsetb:resp3", "MIN");
        Assert.Equal("[zsetb:resp3, [[b, 2]]]", reply.ToString());
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        Assert.Equal("ERR timeout is not a float or out of range", r.Str("BZPOPMIN", "zsetb:bad", "x"));
        Assert.Equal("ERR timeout is negative", r.Str("BZPOPMAX", "zsetb:bad", "-1"));
        Assert.Equal("ERR numkeys should be greater than 0", r.Str("BZMPOP", "0", "0", "zsetb:bad", "MIN"));
        Assert.Equal("ERR syntax error", r.Str("BZMPOP", "0", "1", "zsetb:bad", "LEFT"));
        Assert.Equal("ERR count should be greater than 0", r.Str("BZMPOP", "0", "1", "zsetb:bad", "MIN", "COUNT", "0"));
        r.Call("SET", "zsetb:str", "x");
        Assert.Equal("WRONGTYPE Operation against a key holding the wrong kind of value", r.Str("BZPOPMIN", "zsetb:str", "0"));
    }
}
