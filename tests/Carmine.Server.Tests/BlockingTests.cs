using System.Diagnostics;

namespace Carmine.Server.Tests;

public sealed class BlockingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    /// <summary>Sends a command without reading its reply, so the connection can block.</summary>
    static void Send(RespConnection conn, params string[] args)
    {
        var b = new Carmine.Protocol.RespBuffer();
        b.Command(args);
        conn.SendRaw(b.Written);
    }

    /// <summary>Waits until the command sent on <paramref name="conn"/> is surely blocked: a PING behind it stays unanswered.</summary>
    static void Settle() => Thread.Sleep(100);

    [Fact]
    public void BLPopIsServedByAPushFromAnotherConnection()
    {
        using var blocked = fixture.Server.Connect();
        Send(blocked, "BLPOP", "block:one", "0");
        Settle();
        Assert.Equal(1, r.Int("LPUSH", "block:one", "hello"));
        Assert.Equal("[block:one, hello]", blocked.Read().ToString());
        Assert.Equal(0, r.Int("LLEN", "block:one"));
    }

    [Fact]
    public void BlockedClientsAreServedInTheOrderTheyBlocked()
    {
        using var first = fixture.Server.Connect();
        using var second = fixture.Server.Connect();
        using var third = fixture.Server.Connect();
        foreach (var conn in new[] { first, second, third })
        {
            Send(conn, "BLPOP", "block:fifo", "0");
            Settle();
        }
        r.Call("RPUSH", "block:fifo", "a", "b", "c");
        Assert.Equal("[block:fifo, a]", first.Read().ToString());
        Assert.Equal("[block:fifo, b]", second.Read().ToString());
        Assert.Equal("[block:fifo, c]", third.Read().ToString());
    }

    [Fact]
    public void TimeoutRepliesNilAfterTheGivenFractionOfASecond()
    {
        var watch = Stopwatch.StartNew();
        Assert.True(r.Call("BRPOP", "block:timeout", "0.1").IsNull);
        Assert.InRange(watch.ElapsedMilliseconds, 90, 1000);
    }

    [Fact]
    public void ABlockedClientDoesNotSpin()
    {
        using var blocked = fixture.Server.Connect();
        Send(blocked, "BLPOP", "block:idle", "0");
        Settle();
        var before = fixture.Server.CpuTime;
        Thread.Sleep(1000);
        var used = fixture.Server.CpuTime - before;
        Assert.True(used < TimeSpan.FromMilliseconds(200), $"server used {used.TotalMilliseconds} ms of CPU in 1 s while a client was blocked");
        r.Call("RPUSH", "block:idle", "x");
        Assert.Equal("[block:idle, x]", blocked.Read().ToString());
    }

    [Fact]
    public void PipelinedCommandsRunAfterTheBlockEnds()
    {
        using var blocked = fixture.Server.Connect();
        Send(blocked, "BLPOP", "block:pipe", "0");
        Send(blocked, "LLEN", "block:pipe");
        Settle();
        r.Call("RPUSH", "block:pipe", "a", "b");
        Assert.Equal("[block:pipe, a]", blocked.Read().ToString());
        Assert.Equal("1", blocked.Read().ToString());
    }

    [Fact]
    public void ChainedBLMovesCompleteBeforeThePushReplies()
    {
        using var one = fixture.Server.Connect();
        using var two = fixture.Server.Connect();
        Send(one, "BLMOVE", "block:l1{t}", "block:l2{t}", "RIGHT", "LEFT", "0");
        Settle();
        Send(two, "BLMOVE", "block:l2{t}", "block:l3{t}", "LEFT", "RIGHT", "0");
        Settle();
        r.Call("RPUSH", "block:l1{t}", "foo");
        Assert.Equal("[foo]", r.Str("LRANGE", "block:l3{t}", "0", "-1"));
        Assert.Equal("[]", r.Str("LRANGE", "block:l2{t}", "0", "-1"));
        Assert.Equal("foo", one.Read().ToString());
        Assert.Equal("foo", two.Read().ToString());
    }

    [Fact]
    public void WrongTypeDestinationFailsTheWaiterAndKeepsTheElement()
    {
        using var failing = fixture.Server.Connect();
        using var waiting = fixture.Server.Connect();
        r.Call("SET", "block:dst1{t}", "not a list");
        Send(failing, "BRPOPLPUSH", "block:src{t}", "block:dst1{t}", "0");
        Settle();
        Send(waiting, "BRPOPLPUSH", "block:src{t}", "block:dst2{t}", "0");
        Settle();
        r.Call("LPUSH", "block:src{t}", "foo");
        Assert.StartsWith("WRONGTYPE", failing.Read().ToString());
        Assert.Equal("foo", waiting.Read().ToString());
        Assert.Equal("[foo]", r.Str("LRANGE", "block:dst2{t}", "0", "-1"));
    }

    [Fact]
    public void AClosedBlockedClientIsForgotten()
    {
        var gone = fixture.Server.Connect();
        Send(gone, "BLPOP", "block:closed", "0");
        Settle();
        gone.Dispose();
        using var waiting = fixture.Server.Connect();
        Send(waiting, "BLPOP", "block:closed", "0");
        Settle();
        r.Call("RPUSH", "block:closed", "x");
        Assert.Equal("[block:closed, x]", waiting.Read().ToString());
    }

    [Fact]
    public void BLMPopBlocksAndPopsACount()
    {
        using var blocked = fixture.Server.Connect();
        Send(blocked, "BLMPOP", "0", "2", "block:m1{t}", "block:m2{t}", "RIGHT", "COUNT", "10");
        Settle();
        r.Call("RPUSH", "block:m2{t}", "a", "b", "c");
        Assert.Equal("[block:m2{t}, [c, b, a]]", blocked.Read().ToString());
    }

    [Fact]
    public void TimeoutErrorsAreRedis()
    {
        Assert.Equal("ERR timeout is negative", r.Str("BLPOP", "block:err", "-1"));
        Assert.Equal("ERR timeout is not a float or out of range", r.Str("BLPOP", "block:err", "abc"));
        Assert.Equal("ERR timeout is negative", r.Str("BLMOVE", "block:err", "block:err2", "LEFT", "LEFT", "inf"));
    }

    [Theory]
    [InlineData("TIMEOUT", "(nil)")]
    [InlineData("ERROR", "UNBLOCKED client unblocked via CLIENT UNBLOCK")]
    public void ClientUnblockEndsTheWait(string reason, string reply)
    {
        using var blocked = fixture.Server.Connect();
        var hello = blocked.Call("HELLO", "2").Items!;
        long id = hello[Array.FindIndex(hello, i => i.Text == "id") + 1].Integer;
        Send(blocked, "BLPOP", "block:unblock", "0");
        Settle();
        Assert.Equal(1, r.Int("CLIENT", "UNBLOCK", id.ToString(), reason));
        Assert.Equal(reply, blocked.Read().ToString());
        Assert.Equal(0, r.Int("CLIENT", "UNBLOCK", id.ToString()));
    }
}
