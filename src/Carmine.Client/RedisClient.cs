using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>
/// The client for one server: all commands from all callers share one multiplexed connection. Blocking commands
/// and WATCH transactions lease a dedicated connection from <see cref="LeaseAsync"/>'s pool; pub/sub and MONITOR
/// open their own (<see cref="SubscriberAsync"/>, <see cref="MonitorAsync"/>).
/// </summary>
public sealed class RedisClient : RedisCommands, IAsyncDisposable, IDisposable
{
    readonly RedisConnection connection;
    // Null for the client of a leased connection: that connection is the caller's already, so it blocks there.
    readonly RedisConnectionPool? pool;

    RedisClient(RedisConnection connection, RedisConnectionPool? pool)
    {
        this.connection = connection;
        this.pool = pool;
    }

    /// <summary>The client of a leased connection; it neither owns the connection nor has a pool.</summary>
    internal RedisClient(RedisConnection leased) : this(leased, null)
    {
    }

    public static Task<RedisClient> ConnectAsync(string connectionString) => ConnectAsync(RedisOptions.Parse(connectionString));

    public static async Task<RedisClient> ConnectAsync(RedisOptions options) =>
        new(await RedisConnection.ConnectAsync(options).ConfigureAwait(false), new RedisConnectionPool(options));

    public static RedisClient Connect(string connectionString) => ConnectAsync(connectionString).GetAwaiter().GetResult();

    public RedisConnection Connection => connection;

    /// <summary>The counters of the pool of dedicated connections (all zero on a leased connection's client).</summary>
    public PoolStats PoolStats => pool?.Stats ?? default;

    /// <summary>A dedicated connection from the pool, for commands that need one to themselves; dispose it to give it back.</summary>
    public Task<PooledConnection> LeaseAsync() =>
        pool?.LeaseAsync() ?? throw new InvalidOperationException("this client runs on a leased connection, which has no pool; use the client it came from");

    private protected override async Task<T> SendAsync<T>(byte[][] args, Func<RespValue, T> convert)
    {
        // A blocking command goes on a pooled connection of its own; the connection gives it its longer reply timeout.
        if (pool is null || BlockingCommand.BlockTime(args) is null) return convert(await connection.SendAsync(args).ConfigureAwait(false));
        var lease = await pool.LeaseAsync().ConfigureAwait(false);
        try
        {
            return convert(await lease.Connection.SendAsync(args).ConfigureAwait(false));
        }
        catch (Exception e) when (e is RedisTimeoutException or RedisConnectionException)
        {
            // The command may still be blocked on the server; nobody else may use that connection.
            lease.Discard();
            throw;
        }
        finally
        {
            await lease.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One command as raw reply, through the same path as the typed API (a blocking one on a pooled connection).</summary>
    internal Task<RespValue> SendRawAsync(byte[][] args) => SendAsync(args, reply => reply);

    /// <summary>Commands queued and sent together when <see cref="Pipeline.ExecAsync"/> is called.</summary>
    public Pipeline CreatePipeline() => new(connection, atomic: false);

    /// <summary>Like a pipeline, but wrapped in MULTI/EXEC so the commands run atomically.</summary>
    public Pipeline CreateTransaction() => new(connection, atomic: true);

    /// <summary>
    /// Optimistic transaction: WATCHes <paramref name="keys"/>, lets <paramref name="build"/> read through its first
    /// argument and queue writes on the transaction, then EXECs; runs again when a watched key changed in between.
    /// </summary>
    public async Task TransactionAsync(string[] keys, Func<RedisCommands, Pipeline, Task> build, int maxAttempts = 10)
    {
        var lease = pool is null ? null : await pool.LeaseAsync().ConfigureAwait(false);
        var conn = lease?.Connection ?? connection;
        var reader = lease?.Client ?? this;
        bool clean = false;
        try
        {
            for (int attempt = 0; attempt < maxAttempts; attempt++)
            {
                Reply.Check(await conn.SendAsync(Args.Encode(["WATCH"], keys)).ConfigureAwait(false));
                var tx = new Pipeline(conn, atomic: true);
                await build(reader, tx).ConfigureAwait(false);
                if (await tx.ExecAsync().ConfigureAwait(false))
                {
                    clean = true;
                    return;
                }
            }
            clean = true;
            throw new RedisTransactionConflictException(
                $"the transaction on {string.Join(", ", keys)} did not run: a watched key changed before EXEC in each of {maxAttempts} attempts");
        }
        finally
        {
            // EXEC clears the watches; after a failure in build they are still set, so the connection is not reused.
            if (lease is not null)
            {
                if (!clean) lease.Discard();
                await lease.DisposeAsync().ConfigureAwait(false);
            }
            else if (!clean)
            {
                // Best effort: when the connection broke, the server dropped the watches with it.
                try { await conn.SendAsync(Args.Encode("UNWATCH")).ConfigureAwait(false); }
                catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException or ObjectDisposedException) { }
            }
        }
    }

    /// <summary>Opens a dedicated pub/sub connection that resubscribes by itself after a reconnect.</summary>
    public Task<RedisSubscriber> SubscriberAsync() => RedisSubscriber.ConnectAsync(connection.Options);

    /// <summary>Starts MONITOR on a dedicated connection; returns once the server streams every command it runs.</summary>
    public Task<RedisMonitor> MonitorAsync() => RedisMonitor.StartAsync(connection.Options);

    public RespValue Execute(string command, params object[] args) => ExecuteAsync(command, args).GetAwaiter().GetResult();
    public string Ping() => PingAsync().GetAwaiter().GetResult();
    public string? Get(string key) => GetAsync(key).GetAwaiter().GetResult();
    public bool Set(string key, object value, TimeSpan? expiry = null, bool onlyIfNotExists = false) =>
        SetAsync(key, value, expiry, onlyIfNotExists).GetAwaiter().GetResult();
    public long Del(params string[] keys) => DelAsync(keys).GetAwaiter().GetResult();
    public long Incr(string key, long by = 1) => IncrAsync(key, by).GetAwaiter().GetResult();

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        // A leased connection's client owns nothing: the lease returns the connection.
        if (pool is null) return;
        await pool.DisposeAsync().ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }
}
