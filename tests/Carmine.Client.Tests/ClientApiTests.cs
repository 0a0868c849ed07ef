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
}
