namespace Carmine.Client.Tests;

public abstract partial class ClientApiTests
{
    async Task<RedisClient> ClientWith(string options)
    {
        var c = await RedisClient.ConnectAsync(Server.Url + "?" + options);
        Assert.Equal(default, c.PoolStats);
        return c;
    }

    [Fact]
    public async Task BlockingPopLeavesTheSharedConnectionFree()
    {
        await using var c = await ClientWith("pool_size=2");
        await c.DelAsync("api:pool:list");
        var pop = c.BLPopAsync(20, "api:pool:list");
        await WaitUntil(async () => (await c.ExecuteAsync("CLIENT", "LIST")).Text!.Contains("cmd=blpop"));
        // The BLPOP is blocked on the server, and yet the shared connection answers.
        Assert.Equal("PONG", await c.PingAsync());
        Assert.False(pop.IsCompleted);
        await c.RPushAsync("api:pool:list", "x");
        Assert.Equal(("api:pool:list", "x"), await Bounded(pop));
        Assert.Equal(new PoolStats(Hits: 0, Misses: 1, Timeouts: 0, TotalConns: 1, IdleConns: 1, StaleConns: 0), c.PoolStats);
    }

    [Fact]
    public async Task OtherBlockingPopsReturnTheirElements()
    {
        await using var c = await ClientWith("");
        await c.DelAsync("api:pool:r", "api:pool:m", "api:pool:z");
        await c.RPushAsync("api:pool:r", "a", "b");
        await c.ZAddAsync("api:pool:z", ("low", 1), ("high", 2));
        Assert.Equal(("api:pool:r", "b"), await c.BRPopAsync(1, "api:pool:r"));
        Assert.Equal("a", await c.BLMoveAsync("api:pool:r", "api:pool:m", fromLeft: true, toLeft: false, 1));
        Assert.Equal(("api:pool:z", "low", 1.0), await c.BZPopMinAsync(1, "api:pool:z"));
        Assert.Equal(("api:pool:z", "high", 2.0), await c.BZPopMaxAsync(1, "api:pool:z"));
        Assert.Null(await c.BZPopMaxAsync(0.01, "api:pool:z"));
        Assert.Equal(new PoolStats(Hits: 4, Misses: 1, Timeouts: 0, TotalConns: 1, IdleConns: 1, StaleConns: 0), c.PoolStats);
    }

    [Fact]
    public async Task IdlePooledConnectionIsReused()
    {
        await using var c = await ClientWith("pool_size=2");
        for (int i = 0; i < 3; i++) Assert.Null(await c.BLPopAsync(0.01, "api:pool:empty"));
        Assert.Equal(new PoolStats(Hits: 2, Misses: 1, Timeouts: 0, TotalConns: 1, IdleConns: 1, StaleConns: 0), c.PoolStats);
    }

    [Fact]
    public async Task ConcurrentBlockingCommandsEachGetAConnection()
    {
        await using var c = await ClientWith("pool_size=3");
        await c.DelAsync("api:pool:a", "api:pool:b");
        var a = c.BLPopAsync(20, "api:pool:a");
        var b = c.BLPopAsync(20, "api:pool:b");
        await WaitUntil(() => Task.FromResult(c.PoolStats.TotalConns == 2));
        await c.RPushAsync("api:pool:a", 1);
        await c.RPushAsync("api:pool:b", 2);
        Assert.Equal([("api:pool:a", "1"), ("api:pool:b", "2")], [(await Bounded(a))!.Value, (await Bounded(b))!.Value]);
        Assert.Equal(new PoolStats(Hits: 0, Misses: 2, Timeouts: 0, TotalConns: 2, IdleConns: 2, StaleConns: 0), c.PoolStats);
    }

    [Fact]
    public async Task LeaseTimesOutWhenThePoolIsExhausted()
    {
        await using var c = await ClientWith("pool_size=1&pool_timeout=0.1");
        await c.DelAsync("api:pool:full");
        var blocked = c.BLPopAsync(20, "api:pool:full");
        await WaitUntil(() => Task.FromResult(c.PoolStats.TotalConns == 1));
        var e = await Assert.ThrowsAsync<RedisTimeoutException>(() => c.BRPopAsync(1, "api:pool:other"));
        Assert.StartsWith($"no pooled connection to 127.0.0.1:{Server.Port} became free within 100 ms; all 1 are leased", e.Message);
        await c.RPushAsync("api:pool:full", "x");
        await Bounded(blocked);
        Assert.Equal(new PoolStats(Hits: 0, Misses: 1, Timeouts: 1, TotalConns: 1, IdleConns: 1, StaleConns: 0), c.PoolStats);
    }

    [Fact]
    public async Task ConnectionIdleTooLongIsStale()
    {
        await using var c = await ClientWith("pool_idle_timeout=0.05");
        Assert.Null(await c.BLPopAsync(0.01, "api:pool:stale"));
        await Task.Delay(200);
        Assert.Null(await c.BLPopAsync(0.01, "api:pool:stale"));
        Assert.Equal(new PoolStats(Hits: 0, Misses: 2, Timeouts: 0, TotalConns: 1, IdleConns: 1, StaleConns: 1), c.PoolStats);
    }

    [Fact]
    public async Task BlockingCommandMayOutwaitTheResponseTimeout()
    {
        await using var c = await ClientWith("response_timeout=0.2");
        Assert.Null(await c.BLPopAsync(0.5, "api:pool:slow"));
        Assert.Empty(await c.XReadAsync([("api:pool:nostream", "$")], block: TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task WatchTransactionLeasesFromThePool()
    {
        await using var c = await ClientWith("pool_size=1");
        await c.SetAsync("api:pool:watch", 1);
        for (int i = 0; i < 2; i++)
            await c.TransactionAsync(["api:pool:watch"], async (reader, tx) =>
            {
                long v = long.Parse((await reader.GetAsync("api:pool:watch"))!);
                _ = tx.SetAsync("api:pool:watch", v + 1);
            });
        Assert.Equal("3", await c.GetAsync("api:pool:watch"));
        Assert.Equal(new PoolStats(Hits: 1, Misses: 1, Timeouts: 0, TotalConns: 1, IdleConns: 1, StaleConns: 0), c.PoolStats);
    }

    [Fact]
    public async Task FailedTransactionDiscardsItsConnection()
    {
        await using var c = await ClientWith("");
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            c.TransactionAsync(["api:pool:fail"], (_, _) => throw new InvalidOperationException("build failed")));
        Assert.Equal(new PoolStats(Hits: 0, Misses: 1, Timeouts: 0, TotalConns: 0, IdleConns: 0, StaleConns: 0), c.PoolStats);
    }

    [Fact]
    public async Task DisposingTheClientEndsACommandBlockedForever()
    {
        var c = await ClientWith("");
        await c.DelAsync("api:pool:forever");
        var pop = c.BLPopAsync(0, "api:pool:forever");
        await WaitUntil(() => Task.FromResult(c.PoolStats.TotalConns == 1));
        await c.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Bounded(pop));
    }

    [Fact]
    public async Task LeasedConnectionIsTheCallersAlone()
    {
        await using var c = await ClientWith("");
        long shared = (await c.ExecuteAsync("CLIENT", "ID")).Integer;
        await using (var lease = await c.LeaseAsync())
        {
            long leased = (await lease.Client.ExecuteAsync("CLIENT", "ID")).Integer;
            Assert.NotEqual(shared, leased);
            Assert.Equal(default, lease.Client.PoolStats);
            Assert.Equal(new PoolStats(Hits: 0, Misses: 1, Timeouts: 0, TotalConns: 1, IdleConns: 0, StaleConns: 0), c.PoolStats);
        }
        Assert.Equal(1, c.PoolStats.IdleConns);
    }
}

/// <summary>Pool settings from the connection string.</summary>
public class PoolOptionsTests
{
    [Fact]
    public void PoolOptionsFromTheConnectionString()
    {
        var o = RedisOptions.Parse("redis://h:1?pool_size=3&pool_timeout=0.5&pool_idle_timeout=60");
        Assert.Equal((3, TimeSpan.FromMilliseconds(500), TimeSpan.FromMinutes(1)), (o.PoolSize, o.PoolTimeout, o.PoolIdleTimeout));
    }

    [Fact]
    public void PoolSizeMustBePositive()
    {
        var e = Assert.Throws<FormatException>(() => RedisOptions.Parse("redis://h:1?pool_size=0"));
        Assert.Equal("pool_size must be a positive number, not '0'", e.Message);
    }
}
