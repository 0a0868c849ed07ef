using Carmine.Client.Patterns;

namespace Carmine.Client.Tests;

public abstract partial class ClientApiTests
{
    [Fact]
    public async Task LockIsExclusiveUntilReleased()
    {
        await Client.DelAsync("api:lock:x");
        await using var other = await RedisClient.ConnectAsync(Server.Url);
        var first = await RedisLock.TryAcquireAsync(Client, "api:lock:x", TimeSpan.FromSeconds(30));
        Assert.NotNull(first);
        Assert.Null(await RedisLock.TryAcquireAsync(other, "api:lock:x", TimeSpan.FromSeconds(30)));
        Assert.True(await first.ReleaseAsync());
        await using var second = await RedisLock.TryAcquireAsync(other, "api:lock:x", TimeSpan.FromSeconds(30));
        Assert.NotNull(second);
        Assert.Equal(first.FencingToken + 1, second.FencingToken);
        Assert.NotEqual(first.Token, second.Token);
        Assert.Equal(second.Token, await Client.GetAsync("api:lock:x"));
    }

    [Fact]
    public async Task RenewedLockOutlivesItsTtl()
    {
        await Client.DelAsync("api:lock:renew");
        await using var other = await RedisClient.ConnectAsync(Server.Url);
        await using var held = await RedisLock.AcquireAsync(Client, "api:lock:renew", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        // Held for three TTLs: without renewal the key would have expired twice over.
        for (int i = 0; i < 12; i++)
        {
            await Task.Delay(250);
            Assert.Null(await RedisLock.TryAcquireAsync(other, "api:lock:renew", TimeSpan.FromSeconds(30)));
        }
        Assert.True(held.IsHeld);
        Assert.True(await held.ReleaseAsync());
        Assert.Equal(0, await Client.ExistsAsync("api:lock:renew"));
    }

    [Fact]
    public async Task ExpiredLockCannotBeReleasedOrExtendedByItsOldHolder()
    {
        await Client.DelAsync("api:lock:expired");
        await using var other = await RedisClient.ConnectAsync(Server.Url);
        await using var old = await RedisLock.TryAcquireAsync(Client, "api:lock:expired", TimeSpan.FromMilliseconds(100), autoRenew: false);
        Assert.NotNull(old);
        RedisLock? successor = null;
        await WaitUntil(async () => (successor = await RedisLock.TryAcquireAsync(other, "api:lock:expired", TimeSpan.FromSeconds(30))) is not null);
        await using (successor)
        {
            Assert.False(await old.ExtendAsync());
            Assert.True(old.Lost.IsCancellationRequested);
            Assert.False(await old.ReleaseAsync());
            Assert.Equal(successor!.Token, await Client.GetAsync("api:lock:expired"));
        }
    }

    [Fact]
    public async Task AcquireGivesUpAfterTheWait()
    {
        await Client.DelAsync("api:lock:busy");
        await using var held = await RedisLock.TryAcquireAsync(Client, "api:lock:busy", TimeSpan.FromSeconds(30));
        var e = await Assert.ThrowsAsync<RedisLockNotAcquiredException>(() =>
            RedisLock.AcquireAsync(Client, "api:lock:busy", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100)));
        Assert.Equal("the lock api:lock:busy was not acquired within 100 ms: another holder has it", e.Message);
    }

    [Fact]
    public async Task LockSerialisesReadModifyWrite()
    {
        await Client.SetAsync("api:lock:counter", 0);
        await using var other = await RedisClient.ConnectAsync(Server.Url);
        var workers = Enumerable.Range(0, 8).Select(async w =>
        {
            var client = w % 2 == 0 ? Client : other;
            for (int i = 0; i < 5; i++)
            {
                await using var held = await RedisLock.AcquireAsync(client, "api:lock:mutex", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
                long v = long.Parse((await client.GetAsync("api:lock:counter"))!);
                await Task.Yield();
                await client.SetAsync("api:lock:counter", v + 1);
            }
        });
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("40", await Client.GetAsync("api:lock:counter"));
    }
}
