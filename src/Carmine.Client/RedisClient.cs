using System.Collections.Concurrent;
using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>
/// The client for one server: all commands from all callers share one multiplexed connection.
/// WATCH transactions borrow a dedicated connection, pub/sub opens its own (<see cref="SubscriberAsync"/>).
/// </summary>
public sealed class RedisClient : RedisCommands, IAsyncDisposable, IDisposable
{
    readonly RedisConnection connection;
    readonly bool ownsConnection;
    // Connections kept for WATCH transactions, which need a connection nobody else writes to.
    readonly ConcurrentBag<RedisConnection> dedicated = [];

    RedisClient(RedisConnection connection, bool ownsConnection)
    {
        this.connection = connection;
        this.ownsConnection = ownsConnection;
    }

    public static Task<RedisClient> ConnectAsync(string connectionString) => ConnectAsync(RedisOptions.Parse(connectionString));

    public static async Task<RedisClient> ConnectAsync(RedisOptions options) =>
        new(await RedisConnection.ConnectAsync(options).ConfigureAwait(false), ownsConnection: true);

    public static RedisClient Connect(string connectionString) => ConnectAsync(connectionString).GetAwaiter().GetResult();

    public RedisConnection Connection => connection;

    private protected override async Task<T> SendAsync<T>(byte[][] args, Func<RespValue, T> convert) =>
        convert(await connection.SendAsync(args).ConfigureAwait(false));

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
        var conn = dedicated.TryTake(out var c) ? c : await RedisConnection.ConnectAsync(connection.Options).ConfigureAwait(false);
        var reader = new RedisClient(conn, ownsConnection: false);
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
            if (clean) dedicated.Add(conn);
            else await conn.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Opens a dedicated pub/sub connection that resubscribes by itself after a reconnect.</summary>
    public Task<RedisSubscriber> SubscriberAsync() => RedisSubscriber.ConnectAsync(connection.Options);

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
        while (dedicated.TryTake(out var c)) await c.DisposeAsync().ConfigureAwait(false);
        if (ownsConnection) await connection.DisposeAsync().ConfigureAwait(false);
    }
}
