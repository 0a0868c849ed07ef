namespace Carmine.Server.Tests;

public sealed class TransactionTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    [Fact]
    public void ExecReturnsTheRepliesOfTheQueuedCommands()
    {
        Assert.Equal("OK", r.Str("MULTI"));
        Assert.Equal("QUEUED", r.Str("SET", "tx:a", "1"));
        Assert.Equal("QUEUED", r.Str("GET", "tx:a"));
        Assert.Equal("[OK, 1]", r.Str("EXEC"));
    }

    [Fact]
    public void AQueueingErrorAbortsTheTransaction()
    {
        r.Call("MULTI");
        Assert.Equal("ERR wrong number of arguments for 'set' command", r.Str("SET", "tx:b"));
        Assert.Equal("EXECABORT Transaction discarded because of previous errors.", r.Str("EXEC"));
    }

    [Fact]
    public void ExecWithoutMultiIsAnError()
    {
        Assert.Equal("ERR EXEC without MULTI", r.Str("EXEC"));
    }

    [Fact]
    public void NestedMultiIsRefused()
    {
        r.Call("MULTI");
        Assert.Equal("ERR MULTI calls can not be nested", r.Str("MULTI"));
        Assert.Equal("OK", r.Str("DISCARD"));
    }

    [Fact]
    public void AWatchedKeyChangedByAnotherClientFailsExec()
    {
        r.Call("SET", "tx:w", "1");
        r.Call("WATCH", "tx:w");
        using (var other = fixture.Server.Connect()) other.Call("SET", "tx:w", "2");
        r.Call("MULTI");
        r.Call("GET", "tx:w");
        Assert.True(r.Call("EXEC").IsNull);
    }

    [Fact]
    public void AnUntouchedWatchedKeyLetsExecRun()
    {
        r.Call("SET", "tx:u", "1");
        r.Call("WATCH", "tx:u");
        r.Call("MULTI");
        r.Call("GET", "tx:u");
        Assert.Equal("[1]", r.Str("EXEC"));
    }

    [Fact]
    public void WatchInsideMultiIsRefused()
    {
        r.Call("MULTI");
        Assert.Equal("ERR WATCH inside MULTI is not allowed", r.Str("WATCH", "tx:x"));
        r.Call("DISCARD");
    }

    [Fact]
    public void ConcurrentTransactionsNeverInterleave()
    {
        // Two clients each add 1 to both keys in one transaction, many times: the keys never differ in between.
        r.Call("SET", "tx:p{1}", "0");
        r.Call("SET", "tx:q{2}", "0");
        var writers = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            using var c = fixture.Server.Connect();
            for (int i = 0; i < 300; i++)
            {
                c.Call("MULTI");
                c.Call("SET", "tx:p{1}", (i + 1).ToString());
                c.Call("SET", "tx:q{2}", (i + 1).ToString());
                c.Call("EXEC");
            }
        })).ToArray();
        foreach (var w in writers) w.Start();
        using var reader = fixture.Server.Connect();
        while (writers.Any(w => w.IsAlive))
        {
            reader.Call("MULTI");
            reader.Call("GET", "tx:p{1}");
            reader.Call("GET", "tx:q{2}");
            var both = reader.Call("EXEC");
            Assert.Equal(both.Items![0].Text, both.Items[1].Text);
        }
        foreach (var w in writers) w.Join();
    }

    [Fact]
    public void ResetDiscardsTheTransaction()
    {
        r.Call("MULTI");
        r.Call("SET", "tx:reset", "a");
        Assert.Equal("RESET", r.Str("RESET"));
        Assert.Equal("ERR EXEC without MULTI", r.Str("EXEC"));
        Assert.True(r.Call("GET", "tx:reset").IsNull);
    }
}
