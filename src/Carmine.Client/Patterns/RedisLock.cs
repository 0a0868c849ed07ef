using System.Security.Cryptography;

namespace Carmine.Client.Patterns;

/// <summary>A lock was not acquired within the time allowed to wait for it.</summary>
public class RedisLockNotAcquiredException(string message) : TimeoutException(message);

/// <summary>
/// A lock on one Redis key, held by whoever SET it (NX PX) with a random token. Release and extension compare the token
/// in a Lua script first, so a holder whose lock expired cannot remove or extend its successor's. While held, the TTL
/// is renewed in the background every third of it. <see cref="FencingToken"/> grows with every acquisition (INCR of
/// "key:fencing"): a resource that remembers the highest token it saw can refuse writes from a holder that lost the lock.
/// </summary>
public sealed class RedisLock : IAsyncDisposable
{
    static readonly LuaScript Release = new("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0");
    static readonly LuaScript Extend = new("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0");

    readonly RedisClient client;
    readonly TimeSpan ttl;
    readonly CancellationTokenSource lost = new();
    readonly CancellationTokenSource stopRenewal = new();
    readonly Task renewal;
    bool released;

    RedisLock(RedisClient client, string key, string token, long fencingToken, TimeSpan ttl, bool autoRenew)
    {
        this.client = client;
        this.ttl = ttl;
        Key = key;
        Token = token;
        FencingToken = fencingToken;
        renewal = autoRenew ? Task.Run(RenewAsync) : Task.CompletedTask;
    }

    public string Key { get; }
    /// <summary>The random value stored in the key; only this holder's scripts match it.</summary>
    public string Token { get; }
    public long FencingToken { get; }
    /// <summary>Cancelled when the lock turned out to be gone (expired, or taken by another) while this holder had it.</summary>
    public CancellationToken Lost => lost.Token;
    public bool IsHeld => !released && !lost.IsCancellationRequested;

    /// <summary>One attempt; null when someone else holds the lock.</summary>
    public static async Task<RedisLock?> TryAcquireAsync(RedisClient client, string key, TimeSpan ttl, bool autoRenew = true)
    {
        string token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        if (!await client.SetAsync(key, token, ttl, onlyIfNotExists: true).ConfigureAwait(false)) return null;
        long fence;
        try
        {
            fence = await client.IncrAsync(key + ":fencing").ConfigureAwait(false);
        }
        catch
        {
            // Without a fencing token the lock is of no use; give it back rather than leave it until it expires.
            await Release.EvaluateAsync(client, [key], token).ConfigureAwait(false);
            throw;
        }
        return new RedisLock(client, key, token, fence, ttl, autoRenew);
    }

    /// <summary>Tries again with growing pauses until the lock is acquired or <paramref name="wait"/> has passed.</summary>
    public static async Task<RedisLock> AcquireAsync(RedisClient client, string key, TimeSpan ttl, TimeSpan wait, bool autoRenew = true)
    {
        var deadline = DateTime.UtcNow + wait;
        var pause = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            if (await TryAcquireAsync(client, key, ttl, autoRenew).ConfigureAwait(false) is { } held) return held;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new RedisLockNotAcquiredException($"the lock {key} was not acquired within {wait.TotalMilliseconds:F0} ms: another holder has it");
            // Random pauses keep waiting clients from retrying in lock step.
            var sleep = pause * (0.5 + Random.Shared.NextDouble());
            await Task.Delay(sleep < left ? sleep : left).ConfigureAwait(false);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromMilliseconds(200).Ticks));
        }
    }

    /// <summary>Sets the remaining time to <paramref name="newTtl"/> (default: the TTL it was acquired with); false when the lock is no longer this holder's.</summary>
    public async Task<bool> ExtendAsync(TimeSpan? newTtl = null)
    {
        if (released) return false;
        var r = await Extend.EvaluateAsync(client, [Key], Token, (long)(newTtl ?? ttl).TotalMilliseconds).ConfigureAwait(false);
        if (r.Integer == 1) return true;
        lost.Cancel();
        return false;
    }

    /// <summary>Stops renewal and deletes the key if it still holds this holder's token; false when the lock was already gone.</summary>
    public async Task<bool> ReleaseAsync()
    {
        if (released) return false;
        released = true;
        stopRenewal.Cancel();
        await renewal.ConfigureAwait(false);
        var r = await Release.EvaluateAsync(client, [Key], Token).ConfigureAwait(false);
        return r.Integer == 1;
    }

    async Task RenewAsync()
    {
        var every = ttl / 3;
        long lastRenewed = Environment.TickCount64;
        while (!stopRenewal.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, stopRenewal.Token).ConfigureAwait(false);
                if (!await ExtendAsync().ConfigureAwait(false)) return;
                lastRenewed = Environment.TickCount64;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException or RedisServerException)
            {
                // A passing outage is retried; once a whole TTL went by without renewal the key has expired.
                if (Environment.TickCount64 - lastRenewed >= ttl.TotalMilliseconds)
                {
                    lost.Cancel();
                    return;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!released)
        {
            try { await ReleaseAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException or ObjectDisposedException)
            {
                // The key expires by itself after its TTL; disposing must not throw for that.
            }
        }
        stopRenewal.Dispose();
        lost.Dispose();
    }
}
