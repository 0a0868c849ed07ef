namespace Carmine.Client.Tests;

public sealed class ClientApiTestsOnRedis(RedisServerFixture f) : ClientApiTests(f.Server), IClassFixture<RedisServerFixture>;

public sealed class ClientApiTestsOnCarmine(CarmineServerFixture f) : ClientApiTests(f.Server), IClassFixture<CarmineServerFixture>;

/// <summary>
/// The typed command families, the connection pool and the patterns (cache, lock), run once against redis-server and
/// once against carmine-server. Each area is in its own file (StreamApiTests.cs, GeoApiTests.cs, ...); keys start with "api:".
/// </summary>
public abstract partial class ClientApiTests(ServerProcess server) : IAsyncLifetime
{
    // Fixtures block a pool thread each while their server starts; on two cores that starves timers (lock renewal)
    // for longer than a short TTL, so the pool starts with more threads than cores.
    static ClientApiTests()
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), io);
    }

    protected ServerProcess Server { get; } = server;
    protected RedisClient Client { get; private set; } = null!;

    public async Task InitializeAsync() => Client = await RedisClient.ConnectAsync(Server.Url);

    public async Task DisposeAsync() => await Client.DisposeAsync();

    /// <summary>Waits for a task that must finish, failing the test rather than hanging it.</summary>
    protected static Task<T> Bounded<T>(Task<T> task) => task.WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>Polls <paramref name="condition"/> until it holds; fails after 10 seconds.</summary>
    protected static async Task WaitUntil(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 10 seconds");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Resp3RepliesGiveTheSameValues()
    {
        await using var c = await RedisClient.ConnectAsync(Server.Url + "?protocol=3");
        var geo = await Sicily("api:resp3:geo");
        var found = await c.GeoSearchAsync(geo, GeoOrigin.Position(15, 37), GeoShape.Radius(100, GeoUnit.Km), withCoord: true, withDist: true);
        Assert.Equal([new GeoSearchResult("Catania", 56.4413, null, new GeoPosition(15.08726745843887329, 37.50266842333162032))], found);
        Assert.Equal(166.2742, await c.GeoDistAsync(geo, "Palermo", "Catania", GeoUnit.Km));

        var stream = await TwoEntries("api:resp3:stream");
        await c.XGroupCreateAsync(stream, "g", "0");
        Assert.Equal(("g", 2L), ((await c.XInfoGroupsAsync(stream)).Single().Name, (await c.XReadGroupAsync("g", "c", [(stream, ">")]))[0].Entries.Length));
        Assert.Equal(2, (await c.XPendingAsync(stream, "g")).Count);

        Assert.Equal(new Dictionary<string, long> { ["api:resp3:none"] = 0 }, await c.PubSubNumSubAsync("api:resp3:none"));
        Assert.Equal(new long?[] { 0 }, await c.BitFieldAsync("api:resp3:none", new BitField().Get("u8", 0)));
        Assert.Equal(new[] { false }, await c.ScriptExistsAsync(new string('0', 40)));
        Assert.Equal("NOSCRIPT", (await Assert.ThrowsAsync<RedisServerException>(() => c.EvalShaAsync(new string('0', 40), []))).Prefix);
        Assert.Equal(1, (await c.EvalAsync("return 1", [])).Integer);
    }
}
