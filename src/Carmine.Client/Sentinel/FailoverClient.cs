using System.Diagnostics;
using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>
/// A client for a master watched by Redis Sentinel (as go-redis's FailoverClient): it asks the sentinels where the
/// master is, follows failovers (+switch-master events, lost connections, READONLY from a demoted master) and sends
/// read-only commands to replicas as <see cref="FailoverOptions.ReadFrom"/> says. See docs/client.md.
/// </summary>
public sealed partial class FailoverClient : RedisCommands, IAsyncDisposable, IDisposable
{
    static readonly TimeSpan RediscoveryPause = TimeSpan.FromMilliseconds(100);
    static readonly TimeSpan MasterPoll = TimeSpan.FromMilliseconds(50);
    static readonly TimeSpan PromotionPoll = TimeSpan.FromMilliseconds(20);

    readonly FailoverOptions options;
    readonly SentinelSet sentinels;
    readonly ReplicaSet replicas;
    readonly CancellationTokenSource stopping = new();
    // One master change at a time: discovery, events and READONLY handling all go through it.
    readonly SemaphoreSlim switching = new(1, 1);
    // Wakes the refresh loop before its interval when an event changed the replica list.
    readonly SemaphoreSlim refreshRequested = new(0, 1);
    readonly object gate = new();
    readonly List<RedisSubscriber> subscribers = [];
    readonly List<RedisConnection> retired = [];
    volatile FailoverNode? master;
    TaskCompletionSource masterChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    Task refreshLoop = Task.CompletedTask;
    int rediscovering;
    long masterSwitches;
    long readOnlyRetries;
    Exception? lastError;

    FailoverClient(FailoverOptions options)
    {
        if (options.Sentinels.Count == 0) throw new ArgumentException("FailoverOptions.Sentinels names no sentinel", nameof(options));
        foreach (var address in options.Sentinels) FailoverOptions.ParseAddress(address);
        this.options = options;
        sentinels = new SentinelSet(options, OnSentinelEventAsync);
        replicas = new ReplicaSet(options);
    }

    /// <summary>Finds the master through the sentinels and connects to it (and to its replicas when reads may go there).</summary>
    public static async Task<FailoverClient> ConnectAsync(FailoverOptions options)
    {
        var client = new FailoverClient(options);
        try
        {
            if (!await client.DiscoverAsync().ConfigureAwait(false))
                throw new RedisConnectionException(client.NoMasterMessage("none of the sentinels named a reachable master"), client.lastError);
            if (options.SubscribeToSentinelEvents) await client.sentinels.SubscribeAsync().ConfigureAwait(false);
            if (options.ReadFrom != ReadFrom.Master) await client.RefreshReplicasAsync().ConfigureAwait(false);
            client.refreshLoop = Task.Run(client.RefreshLoopAsync);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The master's host:port as last verified (null only after disposal began).</summary>
    public string? MasterEndPoint => master?.EndPoint;
    /// <summary>The replicas reads may go to now: listed by the sentinels, not down, connected.</summary>
    public string[] ReplicaEndPoints => replicas.All.Where(n => n.IsUp).Select(n => n.EndPoint).ToArray();
    /// <summary>How many times the client moved to a master at another address.</summary>
    public long MasterSwitches => Interlocked.Read(ref masterSwitches);
    /// <summary>How many commands got READONLY from a demoted master and were sent again to the new one.</summary>
    public long ReadOnlyRetries => Interlocked.Read(ref readOnlyRetries);

    private protected override async Task<T> SendAsync<T>(byte[][] args, Func<RespValue, T> convert) =>
        convert(options.ReadFrom != ReadFrom.Master && ReadOnlyCommands.Contains(args)
            ? await ReadAsync(args).ConfigureAwait(false)
            : await OnMasterAsync(args).ConfigureAwait(false));

    /// <summary>Commands queued and sent together to the master when <see cref="Pipeline.ExecAsync"/> is called.</summary>
    public Pipeline CreatePipeline() => new(CurrentMaster.Connection, atomic: false);

    /// <summary>Like a pipeline, but wrapped in MULTI/EXEC on the master.</summary>
    public Pipeline CreateTransaction() => new(CurrentMaster.Connection, atomic: true);

    FailoverNode CurrentMaster => master ?? throw new ObjectDisposedException(nameof(FailoverClient));

    /// <summary>A pub/sub connection to the master that follows it to the new master after a failover and resubscribes there.</summary>
    public async Task<RedisSubscriber> SubscriberAsync()
    {
        var subscriber = await RedisSubscriber.ConnectAsync(CurrentMaster.Connection.Options).ConfigureAwait(false);
        lock (gate)
        {
            subscribers.RemoveAll(s => s.IsDisposed);
            subscribers.Add(subscriber);
        }
        return subscriber;
    }

    async Task<RespValue> OnMasterAsync(byte[][] args)
    {
        long start = Stopwatch.GetTimestamp();
        bool retried = false;
        while (true)
        {
            var node = await MasterAsync(start).ConfigureAwait(false);
            RespValue reply;
            try
            {
                reply = await node.Connection.SendAsync(args).ConfigureAwait(false);
            }
            catch (CommandNotSentException) when (!stopping.IsCancellationRequested)
            {
                // The connection was replaced before the command went out: it goes to the new master instead.
                continue;
            }
            if (retried || !reply.IsError || reply.Text?.StartsWith("READONLY ", StringComparison.Ordinal) != true) return reply;
            // The master was demoted under us: wait for the sentinels' new master and send the command once more.
            retried = true;
            Interlocked.Increment(ref readOnlyRetries);
            node.Demoted = true;
            StartRediscovery();
        }
    }

    /// <summary>
    /// A read on the node the policy picks. Reads are safe to run twice, so one that fails on a replica (connection lost,
    /// data still loading) goes to another node, and under ReadFrom.Replica a read waits for a replica to be up.
    /// </summary>
    async Task<RespValue> ReadAsync(byte[][] args)
    {
        long start = Stopwatch.GetTimestamp();
        FailoverNode? failed = null;
        while (true)
        {
            var node = replicas.Pick(options.ReadFrom, CurrentMaster, failed) ?? replicas.Pick(options.ReadFrom, CurrentMaster, null);
            bool late = Stopwatch.GetElapsedTime(start) >= options.Redis.ResponseTimeout;
            if (node is null)
            {
                if (late)
                    throw new RedisConnectionException($"no replica of '{options.MasterName}' was up within the response timeout of " +
                        $"{options.Redis.ResponseTimeout.TotalMilliseconds:F0} ms, and ReadFrom.Replica reads from replicas only", lastError);
                await Task.Delay(MasterPoll).ConfigureAwait(false);
                continue;
            }
            if (node == master) return await OnMasterAsync(args).ConfigureAwait(false);
            if (node == failed) await Task.Delay(MasterPoll).ConfigureAwait(false);
            try
            {
                var reply = await node.Connection.SendAsync(args).ConfigureAwait(false);
                if (late || !reply.IsError || reply.Text?.Split(' ', 2)[0] is not ("LOADING" or "MASTERDOWN")) return reply;
            }
            catch (Exception e) when (!late && e is RedisConnectionException or ObjectDisposedException)
            {
                // Tried again below, on another node when there is one.
            }
            failed = node;
        }
    }

    /// <summary>The master to send to, waiting (within the response timeout) while there is none: during a failover.</summary>
    async ValueTask<FailoverNode> MasterAsync(long start)
    {
        while (true)
        {
            var m = master;
            if (m is { Demoted: false } && m.Connection.IsConnected) return m;
            if (stopping.IsCancellationRequested) throw new ObjectDisposedException(nameof(FailoverClient));
            Task changed;
            lock (gate) changed = masterChanged.Task;
            StartRediscovery();
            var left = options.Redis.ResponseTimeout - Stopwatch.GetElapsedTime(start);
            if (left <= TimeSpan.Zero)
                throw new RedisConnectionException(NoMasterMessage(
                    $"no master within the response timeout of {options.Redis.ResponseTimeout.TotalMilliseconds:F0} ms"), lastError);
            await Task.WhenAny(changed, Task.Delay(left < MasterPoll ? left : MasterPoll)).ConfigureAwait(false);
        }
    }

    string NoMasterMessage(string what) =>
        $"{what} for '{options.MasterName}' (sentinels {string.Join(", ", options.Sentinels)}; last master {master?.EndPoint ?? "none"})" +
        (lastError is null ? "" : $"; last error: {lastError.Message}");

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (stopping.IsCancellationRequested) return;
        stopping.Cancel();
        await refreshLoop.ConfigureAwait(false);
        await sentinels.DisposeAsync().ConfigureAwait(false);
        await replicas.DisposeAsync().ConfigureAwait(false);
        RedisConnection[] left;
        lock (gate)
        {
            left = [.. retired];
            retired.Clear();
            if (master is { } m) left = [.. left, m.Connection];
            master = null;
        }
        foreach (var c in left) await c.DisposeAsync().ConfigureAwait(false);
    }
}
