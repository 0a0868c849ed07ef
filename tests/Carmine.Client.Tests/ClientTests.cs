using Carmine.Protocol;

namespace Carmine.Client.Tests;

public sealed class ClientTestsOnRedis(RedisServerFixture f) : ClientTests(f.Server), IClassFixture<RedisServerFixture>;

public sealed class ClientTestsOnCarmine(CarmineServerFixture f) : ClientTests(f.Server), IClassFixture<CarmineServerFixture>;

/// <summary>The client's behaviour, run once against redis-server and once against carmine-server.</summary>
public abstract class ClientTests(ServerProcess server) : IAsyncLifetime
{
    protected ServerProcess Server { get; } = server;
    protected RedisClient Client { get; private set; } = null!;

    public async Task InitializeAsync() => Client = await RedisClient.ConnectAsync(Server.Url);

    public async Task DisposeAsync() => await Client.DisposeAsync();

    [Fact]
    public async Task SetThenGet()
    {
        await Client.SetAsync("client:str", "hello");
        Assert.Equal("hello", await Client.GetAsync("client:str"));
    }

    [Fact]
    public async Task UniversalClientWithOneAddressIsASingleServerClient()
    {
        await using var client = await UniversalClient.ConnectAsync(new UniversalOptions { Addresses = [$"127.0.0.1:{Server.Port}"] });
        Assert.Equal(UniversalKind.Single, client.Kind);
        Assert.IsType<RedisClient>(client.Commands);
        await client.Commands.SetAsync("client:universal", "one");
        Assert.Equal("one", await client.Commands.GetAsync("client:universal"));
    }

    [Fact]
    public async Task GetOfMissingKeyIsNull()
    {
        Assert.Null(await Client.GetAsync("client:missing"));
    }

    [Fact]
    public async Task SetNxReportsWhetherItSet()
    {
        await Client.DelAsync("client:nx");
        Assert.True(await Client.SetAsync("client:nx", "a", onlyIfNotExists: true));
        Assert.False(await Client.SetAsync("client:nx", "b", onlyIfNotExists: true));
    }

    [Fact]
    public async Task SetWithExpiryHasTtl()
    {
        await Client.SetAsync("client:ttl", "v", TimeSpan.FromSeconds(100));
        var ttl = await Client.TtlAsync("client:ttl");
        Assert.InRange(ttl!.Value.TotalSeconds, 90, 100);
    }

    [Fact]
    public async Task ErrorReplyThrowsServerException()
    {
        await Client.SetAsync("client:wrongtype", "v");
        var e = await Assert.ThrowsAsync<RedisServerException>(() => Client.LPushAsync("client:wrongtype", "x"));
        Assert.Equal("WRONGTYPE Operation against a key holding the wrong kind of value", e.Message);
    }

    [Fact]
    public async Task ListPushAndRange()
    {
        await Client.DelAsync("client:list");
        await Client.RPushAsync("client:list", "a", "b", "c");
        Assert.Equal(new string?[] { "a", "b", "c" }, await Client.LRangeAsync("client:list", 0, -1));
    }

    [Fact]
    public async Task HashSetAndGetAll()
    {
        await Client.DelAsync("client:hash");
        await Client.HSetAsync("client:hash", ("f1", "v1"), ("f2", 2));
        var all = await Client.HGetAllAsync("client:hash");
        Assert.Equal("v1,2", $"{all["f1"]},{all["f2"]}");
    }

    [Fact]
    public async Task SetMembers()
    {
        await Client.DelAsync("client:set");
        Assert.Equal(2, await Client.SAddAsync("client:set", "x", "y", "x"));
        Assert.Equal(["x", "y"], (await Client.SMembersAsync("client:set")).Order());
    }

    [Fact]
    public async Task SortedSetRangeWithScores()
    {
        await Client.DelAsync("client:zset");
        await Client.ZAddAsync("client:zset", ("b", 2), ("a", 1.5));
        Assert.Equal([("a", 1.5), ("b", 2.0)], await Client.ZRangeWithScoresAsync("client:zset", 0, -1));
    }

    [Fact]
    public async Task ConfigGetReturnsPairs()
    {
        var c = await Client.ConfigGetAsync("maxmemory-policy");
        Assert.Equal("noeviction", c["maxmemory-policy"]);
    }

    [Fact]
    public async Task InfoHasServerSection()
    {
        Assert.Contains("redis_version:", await Client.InfoAsync("server"));
    }

    [Fact]
    public async Task RawExecuteReturnsRespValue()
    {
        var r = await Client.ExecuteAsync("ECHO", "raw");
        Assert.Equal((RespType.BulkString, "raw"), (r.Type, r.Text));
    }

    [Fact]
    public void SyncWrappers()
    {
        Client.Set("client:sync", 41);
        Assert.Equal(42, Client.Incr("client:sync"));
        Assert.Equal("42", Client.Get("client:sync"));
    }

    [Fact]
    public async Task HundredConcurrentCallersGetTheirOwnReplies()
    {
        var callers = Enumerable.Range(0, 100).Select(async i =>
        {
            for (int n = 0; n < 50; n++)
            {
                string value = $"{i}-{n}";
                await Client.SetAsync($"client:conc:{i}", value);
                Assert.Equal(value, await Client.GetAsync($"client:conc:{i}"));
                Assert.Equal(i, (await Client.ExecuteAsync("ECHO", i)).Text is { } t ? int.Parse(t) : -1);
            }
        });
        await Task.WhenAll(callers);
    }

    [Fact]
    public async Task ResponseTimeoutSaysWhatTimedOut()
    {
        var o = RedisOptions.Parse(Server.Url);
        o.ResponseTimeout = TimeSpan.FromMilliseconds(200);
        await using var c = await RedisClient.ConnectAsync(o);
        var e = await Assert.ThrowsAsync<RedisTimeoutException>(() => c.ExecuteAsync("DEBUG", "SLEEP", "2"));
        Assert.StartsWith($"Timeout waiting for the reply to DEBUG from 127.0.0.1:{Server.Port} after ", e.Message);
        Assert.Contains("(response timeout 200 ms); connection connected, 1 commands awaiting replies", e.Message);
    }

    [Fact]
    public async Task RepliesStayMatchedAfterATimeout()
    {
        var o = RedisOptions.Parse(Server.Url);
        o.ResponseTimeout = TimeSpan.FromMilliseconds(200);
        await using var c = await RedisClient.ConnectAsync(o);
        await Assert.ThrowsAsync<RedisTimeoutException>(() => c.ExecuteAsync("DEBUG", "SLEEP", "1"));
        await Task.Delay(1200);
        Assert.Equal("after", (await c.ExecuteAsync("ECHO", "after")).Text);
    }

    [Fact]
    public async Task DatabaseFromConnectionString()
    {
        await using var db3 = await RedisClient.ConnectAsync(Server.Url + "/3");
        await db3.SetAsync("client:db", "three");
        Assert.Null(await Client.GetAsync("client:db"));
        await using var again = await RedisClient.ConnectAsync(Server.Url + "?db=3");
        Assert.Equal("three", await again.GetAsync("client:db"));
    }

    [Fact]
    public async Task ClientNameIsSet()
    {
        await using var c = await RedisClient.ConnectAsync(Server.Url + "?client_name=carmine-test");
        Assert.Equal("carmine-test", (await c.ExecuteAsync("CLIENT", "GETNAME")).Text);
    }

    [Fact]
    public async Task Resp3ConnectionGetsMaps()
    {
        await using var c = await RedisClient.ConnectAsync(Server.Url + "?protocol=3");
        await c.HSetAsync("client:r3", ("f", "v"));
        Assert.Equal(RespType.Map, (await c.ExecuteAsync("HGETALL", "client:r3")).Type);
        Assert.Equal("v", (await c.HGetAllAsync("client:r3"))["f"]);
    }

    [Fact]
    public async Task PipelineDeliversEachReply()
    {
        var p = Client.CreatePipeline();
        var set = p.SetAsync("client:pipe", "1");
        var incr = p.IncrAsync("client:pipe");
        var get = p.GetAsync("client:pipe");
        await p.ExecAsync();
        Assert.Equal((true, 2L, "2"), (await set, await incr, await get));
    }

    [Fact]
    public async Task TransactionRunsAtomically()
    {
        await Client.DelAsync("client:multi");
        var tx = Client.CreateTransaction();
        var a = tx.IncrAsync("client:multi");
        var b = tx.IncrAsync("client:multi", 10);
        Assert.True(await tx.ExecAsync());
        Assert.Equal((1L, 11L), (await a, await b));
    }

    [Fact]
    public async Task TransactionCommandErrorFaultsOnlyThatCommand()
    {
        await Client.SetAsync("client:multierr", "text");
        var tx = Client.CreateTransaction();
        var bad = tx.IncrAsync("client:multierr");
        var good = tx.GetAsync("client:multierr");
        await tx.ExecAsync();
        await Assert.ThrowsAsync<RedisServerException>(() => bad);
        Assert.Equal("text", await good);
    }

    [Fact]
    public async Task WatchTransactionRetriesOnConflict()
    {
        await Client.SetAsync("client:watch", 10);
        int attempts = 0;
        await Client.TransactionAsync(["client:watch"], async (reader, tx) =>
        {
            long value = long.Parse((await reader.GetAsync("client:watch"))!);
            // The first time round, another client changes the key between the read and EXEC.
            if (attempts++ == 0) await Client.SetAsync("client:watch", 100);
            _ = tx.SetAsync("client:watch", value * 2);
        });
        Assert.Equal((2, "200"), (attempts, await Client.GetAsync("client:watch")));
    }

    [Fact]
    public async Task SubscriptionReceivesPublishedMessages()
    {
        await using var subscriber = await Client.SubscriberAsync();
        await using var sub = await subscriber.SubscribeAsync("client:chan");
        await Client.PublishAsync("client:chan", "hi");
        await using var e = sub.GetAsyncEnumerator();
        Assert.True(await e.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(new PubSubMessage("client:chan", "hi", null), e.Current);
    }

    [Fact]
    public async Task Resp3SubscriptionReceivesPushes()
    {
        await using var c = await RedisClient.ConnectAsync(Server.Url + "?protocol=3");
        await using var subscriber = await c.SubscriberAsync();
        await using var sub = await subscriber.SubscribeAsync("client:chan3");
        await c.PublishAsync("client:chan3", "pushed");
        await using var e = sub.GetAsyncEnumerator();
        Assert.True(await e.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(new PubSubMessage("client:chan3", "pushed", null), e.Current);
    }

    [Fact]
    public async Task PatternSubscriptionReceivesMatches()
    {
        await using var subscriber = await Client.SubscriberAsync();
        await using var sub = await subscriber.PSubscribeAsync("client:pat:*");
        await Client.PublishAsync("client:pat:x", "m");
        await using var e = sub.GetAsyncEnumerator();
        Assert.True(await e.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(new PubSubMessage("client:pat:x", "m", "client:pat:*"), e.Current);
    }

    [Fact]
    public async Task ScanVisitsEveryKey()
    {
        for (int i = 0; i < 30; i++) await Client.SetAsync($"client:scan:{i}", i);
        var seen = new HashSet<string>();
        await foreach (var k in Client.ScanAsync("client:scan:*", 7)) seen.Add(k);
        Assert.Equal(30, seen.Count);
    }
}
