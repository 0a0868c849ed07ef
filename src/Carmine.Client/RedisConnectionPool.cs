namespace Carmine.Client;

/// <summary>
/// Counters of a <see cref="RedisConnectionPool"/>, named as go-redis's PoolStats: Hits are leases served by an idle
/// connection, Misses leases that had to open one, Timeouts leases that gave up waiting for a free slot, StaleConns
/// connections closed because they sat idle too long or had lost their socket.
/// </summary>
public readonly record struct PoolStats(long Hits, long Misses, long Timeouts, int TotalConns, int IdleConns, long StaleConns);

/// <summary>
/// Dedicated connections for what must not share the multiplexed one: blocking commands (BLPOP, XREAD BLOCK) and
/// WATCH transactions. At most <see cref="RedisOptions.PoolSize"/> connections exist; a lease waits up to
/// <see cref="RedisOptions.PoolTimeout"/> for one to come back. See docs/client.md.
/// </summary>
public sealed class RedisConnectionPool : IAsyncDisposable
{
    readonly RedisOptions options;
    readonly SemaphoreSlim slots;
    // Idle connections, the most recently returned last: leases take from the end so the least used ones age out.
    readonly List<(RedisConnection Connection, long ReturnedAt)> idle = [];
    // Leased connections are closed too when the pool is disposed, so a command blocked forever on one ends.
    readonly HashSet<RedisConnection> leased = [];
    long hits, misses, timeouts, stale;
    int total;
    bool disposed;

    public RedisConnectionPool(RedisOptions options)
    {
        if (options.PoolSize < 1) throw new ArgumentOutOfRangeException(nameof(options), $"PoolSize must be at least 1, not {options.PoolSize}");
        this.options = options.Clone();
        slots = new SemaphoreSlim(options.PoolSize, options.PoolSize);
    }

    public RedisOptions Options => options;

    public PoolStats Stats
    {
        get
        {
            lock (idle) return new PoolStats(hits, misses, timeouts, total, idle.Count, stale);
        }
    }

    /// <summary>
    /// A connection for the caller alone until the lease is disposed. An idle one is reused when it is still connected
    /// and was idle less than <see cref="RedisOptions.PoolIdleTimeout"/>; otherwise a new one is opened.
    /// </summary>
    public async Task<PooledConnection> LeaseAsync()
    {
        if (!await slots.WaitAsync(options.PoolTimeout).ConfigureAwait(false))
        {
            lock (idle) timeouts++;
            throw new RedisTimeoutException(
                $"no pooled connection to {options.EndPoint} became free within {options.PoolTimeout.TotalMilliseconds:F0} ms; " +
                $"all {options.PoolSize} are leased (raise PoolSize, or look for leases that are not disposed)");
        }
        try
        {
            var reused = TakeIdle(out var staleOnes);
            foreach (var s in staleOnes) await s.DisposeAsync().ConfigureAwait(false);
            var connection = reused ?? await RedisConnection.ConnectAsync(options).ConfigureAwait(false);
            lock (idle)
            {
                if (reused is null) total++;
                leased.Add(connection);
            }
            return new PooledConnection(this, connection);
        }
        catch
        {
            slots.Release();
            throw;
        }
    }

    RedisConnection? TakeIdle(out List<RedisConnection> staleOnes)
    {
        staleOnes = [];
        lock (idle)
        {
            while (idle.Count > 0)
            {
                var (c, returnedAt) = idle[^1];
                idle.RemoveAt(idle.Count - 1);
                if (IsStale(c, returnedAt))
                {
                    staleOnes.Add(c);
                    continue;
                }
                hits++;
                return c;
            }
            misses++;
            return null;
        }
    }

    // Called with the lock held; counts the connection as gone.
    bool IsStale(RedisConnection c, long returnedAt)
    {
        bool fresh = options.PoolIdleTimeout <= TimeSpan.Zero || Environment.TickCount64 - returnedAt < options.PoolIdleTimeout.TotalMilliseconds;
        if (c.IsConnected && fresh) return false;
        stale++;
        total--;
        return true;
    }

    /// <summary>Takes a connection back; <paramref name="discard"/> closes it instead (its state is unknown).</summary>
    internal async ValueTask ReturnAsync(RedisConnection connection, bool discard)
    {
        var close = new List<RedisConnection>();
        lock (idle)
        {
            leased.Remove(connection);
            if (discard || disposed || !connection.IsConnected)
            {
                total--;
                close.Add(connection);
            }
            else
            {
                idle.Add((connection, Environment.TickCount64));
            }
            // The oldest idle connections are at the front; closing them here keeps an unused pool from holding sockets.
            while (idle.Count > 0 && IsStale(idle[0].Connection, idle[0].ReturnedAt))
            {
                close.Add(idle[0].Connection);
                idle.RemoveAt(0);
            }
        }
        slots.Release();
        foreach (var c in close) await c.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        List<RedisConnection> close;
        lock (idle)
        {
            disposed = true;
            close = [.. idle.Select(i => i.Connection), .. leased];
            total -= idle.Count;
            idle.Clear();
        }
        foreach (var c in close) await c.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// A connection leased from a <see cref="RedisConnectionPool"/>; disposing it returns the connection. Call
/// <see cref="Discard"/> when its state changed (SELECT, a pending WATCH, a blocking command that timed out).
/// </summary>
public sealed class PooledConnection : IAsyncDisposable
{
    readonly RedisConnectionPool pool;
    bool discard;
    bool returned;

    internal PooledConnection(RedisConnectionPool pool, RedisConnection connection)
    {
        this.pool = pool;
        Connection = connection;
        Client = new RedisClient(connection);
    }

    public RedisConnection Connection { get; }

    /// <summary>Commands on this connection alone; blocking ones wait here too, since the connection is the caller's.</summary>
    public RedisClient Client { get; }

    /// <summary>Closes the connection when the lease ends instead of returning it to the pool.</summary>
    public void Discard() => discard = true;

    public ValueTask DisposeAsync()
    {
        if (returned) return ValueTask.CompletedTask;
        returned = true;
        return pool.ReturnAsync(Connection, discard);
    }
}
