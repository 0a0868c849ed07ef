using Carmine.Client.Patterns;

namespace Carmine.Client.Tests;

public abstract partial class ClientApiTests
{
    [Fact]
    public async Task ConcurrentMissesRunTheLoaderOnce()
    {
        await Client.DelAsync("api:cache:sf");
        var cache = new RedisCache(Client);
        int loads = 0;
        async Task<string?> Loader()
        {
            Interlocked.Increment(ref loads);
            await Task.Delay(200);
            return "loaded";
        }
        var callers = Enumerable.Range(0, 50).Select(_ => cache.GetOrSetAsync("api:cache:sf", Loader, TimeSpan.FromMinutes(1)));
        var values = await Bounded(Task.WhenAll(callers));
        Assert.Equal((1, 50), (loads, values.Count(v => v == "loaded")));
        Assert.Equal("loaded", await Client.GetAsync("api:cache:sf"));
    }

    [Fact]
    public async Task CachedValueIsNotLoadedAgain()
    {
        await Client.DelAsync("api:cache:hit");
        var cache = new RedisCache(Client);
        int loads = 0;
        for (int i = 0; i < 3; i++)
            Assert.Equal("v1", await cache.GetOrSetAsync("api:cache:hit", () => Task.FromResult<string?>("v" + Interlocked.Increment(ref loads)), TimeSpan.FromMinutes(1)));
        Assert.Equal(1, loads);
        await cache.InvalidateAsync("api:cache:hit");
        Assert.Equal("v2", await cache.GetOrSetAsync("api:cache:hit", () => Task.FromResult<string?>("v" + Interlocked.Increment(ref loads)), TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task MissIsCachedWithTheShortTtl()
    {
        await Client.DelAsync("api:cache:miss");
        var cache = new RedisCache(Client, new RedisCacheOptions { MissTtl = TimeSpan.FromSeconds(30), TtlJitter = 0 });
        int loads = 0;
        for (int i = 0; i < 3; i++)
            Assert.Null(await cache.GetOrSetAsync("api:cache:miss", () => { loads++; return Task.FromResult<string?>(null); }, TimeSpan.FromHours(1)));
        Assert.Equal(1, loads);
        Assert.Equal("\0carmine:cache-miss\0", await Client.GetAsync("api:cache:miss"));
        Assert.InRange((await Client.TtlAsync("api:cache:miss"))!.Value.TotalSeconds, 20, 30);
    }

    [Fact]
    public async Task TtlsGetJitter()
    {
        var cache = new RedisCache(Client, new RedisCacheOptions { TtlJitter = 0.5 });
        var ttls = new List<double>();
        for (int i = 0; i < 20; i++)
        {
            await Client.DelAsync($"api:cache:j{i}");
            await cache.GetOrSetAsync($"api:cache:j{i}", () => Task.FromResult<string?>("v"), TimeSpan.FromSeconds(1000));
            ttls.Add((await Client.TtlAsync($"api:cache:j{i}"))!.Value.TotalSeconds);
        }
        Assert.All(ttls, t => Assert.InRange(t, 990, 1500));
        Assert.True(ttls.Distinct().Count() > 1, "20 TTLs with 50% jitter were all equal");
    }

    [Fact]
    public async Task LoaderErrorReachesEveryCallerAndIsNotCached()
    {
        await Client.DelAsync("api:cache:err");
        var cache = new RedisCache(Client);
        int loads = 0;
        async Task<string?> Failing()
        {
            Interlocked.Increment(ref loads);
            await Task.Delay(100);
            throw new InvalidOperationException("database down");
        }
        var callers = Enumerable.Range(0, 10).Select(_ => cache.GetOrSetAsync("api:cache:err", Failing, TimeSpan.FromMinutes(1))).ToArray();
        foreach (var c in callers) await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded(c));
        Assert.Equal(1, loads);
        Assert.Equal(0, await Client.ExistsAsync("api:cache:err"));
    }
}
