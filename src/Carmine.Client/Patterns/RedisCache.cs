using System.Collections.Concurrent;

namespace Carmine.Client.Patterns;

/// <summary>How <see cref="RedisCache"/> stores what its loaders return.</summary>
public sealed class RedisCacheOptions
{
    /// <summary>How long a miss (the loader returned null) is remembered, so a key that does not exist is not loaded on every call.</summary>
    public TimeSpan MissTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Each TTL is lengthened by a random fraction up to this, so keys cached together do not all expire together.</summary>
    public double TtlJitter { get; set; } = 0.1;

    /// <summary>The value stored for a miss; a loader must never return it as a real value.</summary>
    public string MissMarker { get; set; } = "\0carmine:cache-miss\0";
}

/// <summary>
/// Cache-aside over string keys: GET, and on a miss run the loader and SET its result with a TTL. Concurrent callers
/// for the same missing key in this process share one loader call (single-flight); misses are cached briefly with a
/// marker value (against cache penetration); TTLs get random jitter (against an avalanche of expiries).
/// </summary>
public sealed class RedisCache(RedisClient client, RedisCacheOptions? options = null)
{
    readonly RedisCacheOptions options = options ?? new RedisCacheOptions();
    // The load under way for each key; every caller that missed joins it instead of calling the loader again.
    readonly ConcurrentDictionary<string, Task<string?>> flights = new();

    /// <summary>The cached value of <paramref name="key"/>, or the loader's result stored for <paramref name="ttl"/>; null when the loader found nothing.</summary>
    public async Task<string?> GetOrSetAsync(string key, Func<Task<string?>> loader, TimeSpan ttl)
    {
        var cached = await client.GetAsync(key).ConfigureAwait(false);
        if (cached is not null) return cached == options.MissMarker ? null : cached;
        var mine = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var flight = flights.GetOrAdd(key, mine.Task);
        if (flight == mine.Task) await LoadAsync(key, loader, ttl, mine).ConfigureAwait(false);
        return await flight.ConfigureAwait(false);
    }

    /// <summary>Deletes the cached value (or cached miss), so the next call loads again.</summary>
    public Task<long> InvalidateAsync(string key) => client.DelAsync(key);

    async Task LoadAsync(string key, Func<Task<string?>> loader, TimeSpan ttl, TaskCompletionSource<string?> flight)
    {
        try
        {
            // A flight that ended between our GET and joining has stored the value already.
            var cached = await client.GetAsync(key).ConfigureAwait(false);
            if (cached is not null)
            {
                flight.SetResult(cached == options.MissMarker ? null : cached);
                return;
            }
            var value = await loader().ConfigureAwait(false);
            await client.SetAsync(key, value ?? options.MissMarker, Jitter(value is null ? options.MissTtl : ttl)).ConfigureAwait(false);
            flight.SetResult(value);
        }
        catch (Exception e)
        {
            // Every caller of this flight sees the loader's error; nothing is cached, so the next call tries again.
            flight.SetException(e);
        }
        finally
        {
            flights.TryRemove(new KeyValuePair<string, Task<string?>>(key, flight.Task));
        }
    }

    TimeSpan Jitter(TimeSpan ttl) => ttl * (1 + Random.Shared.NextDouble() * options.TtlJitter);
}
