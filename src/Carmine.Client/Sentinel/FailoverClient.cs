using System.Diagnostics;
using System.Globalization;
using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>
/// A client for a master watched by Redis Sentinel (as go-redis's FailoverClient): it asks the sentinels where the
/// master is, follows failovers (+switch-master events, lost connections, READONLY from a demoted master) and sends
/// read-only commands to replicas as <see cref="FailoverOptions.ReadFrom"/> says. See docs/client.md.
/// </summary>
public sealed class FailoverClient : RedisCommands, IAsyncDisposable, IDisposable
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

    /// <summary>Asks the sentinels again, in the background, until a master is verified; one such loop at a time.</summary>
    void StartRediscovery()
    {
        if (Interlocked.Exchange(ref rediscovering, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            try
            {
                while (!await DiscoverAsync().ConfigureAwait(false))
                    await Task.Delay(RediscoveryPause, stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Disposed.
            }
            finally
            {
                Volatile.Write(ref rediscovering, 0);
            }
        });
    }

    /// <summary>
    /// True when the current master still says ROLE master; otherwise asks each sentinel in turn for the master's
    /// address and moves to the first one that says ROLE master. False when none did.
    /// </summary>
    async Task<bool> DiscoverAsync()
    {
        await switching.WaitAsync(stopping.Token).ConfigureAwait(false);
        try
        {
            var m = master;
            if (m is { Demoted: false } && m.Connection.IsConnected)
            {
                string? role = await FailoverNode.RoleAsync(m.Connection, options.SentinelTimeout).ConfigureAwait(false);
                if (role == "master") return true;
                if (role is not null) m.Demoted = true;
            }
            // Sentinels mostly agree: a dead master they all still name is tried once per round, not once per sentinel.
            var tried = new HashSet<string>();
            foreach (var address in sentinels.Ordered())
            {
                if (await sentinels.ClientAsync(address).ConfigureAwait(false) is not { } sentinel)
                {
                    lastError = sentinels.LastError ?? lastError;
                    continue;
                }
                (string Host, int Port)? found;
                try
                {
                    found = await sentinel.GetMasterAddrByNameAsync(options.MasterName).ConfigureAwait(false);
                }
                catch (Exception e) when (e is RedisServerException or RedisConnectionException or TimeoutException or ObjectDisposedException)
                {
                    lastError = e;
                    continue;
                }
                if (found is not { } addr)
                {
                    lastError = new RedisConnectionException($"sentinel {address} monitors no master named '{options.MasterName}'");
                    continue;
                }
                if (!tried.Add($"{addr.Host}:{addr.Port}")) continue;
                if (await TryMoveToAsync(addr.Host, addr.Port).ConfigureAwait(false))
                {
                    sentinels.Prefer(address);
                    return true;
                }
            }
            return false;
        }
        finally
        {
            switching.Release();
        }
    }

    /// <summary>Moves to the master a sentinel announced (+switch-master, +promoted-slave) unless already there.</summary>
    async Task MoveToAnnouncedAsync(string host, string port)
    {
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p)) return;
        await switching.WaitAsync(stopping.Token).ConfigureAwait(false);
        try
        {
            var m = master;
            if (m is { Demoted: false } && m.EndPoint == $"{host}:{p}" && m.Connection.IsConnected) return;
            await TryMoveToAsync(host, p).ConfigureAwait(false);
        }
        finally
        {
            switching.Release();
        }
    }

    /// <summary>
    /// The leader sentinel is promoting a replica: writes the old master acknowledges from now on would be lost, so
    /// commands wait until the replica says ROLE master and go there. When it does not within the sentinel timeout the
    /// failover was aborted, and discovery finds the master again.
    /// </summary>
    async Task FollowPromotionAsync(string host, string port)
    {
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p)) return;
        await switching.WaitAsync(stopping.Token).ConfigureAwait(false);
        try
        {
            var old = master;
            if (old is null || old.EndPoint == $"{host}:{p}") return;
            old.Demoted = true;
            var waited = Stopwatch.StartNew();
            while (waited.Elapsed < options.SentinelTimeout && !await TryMoveToAsync(host, p).ConfigureAwait(false))
                await Task.Delay(PromotionPoll, stopping.Token).ConfigureAwait(false);
        }
        finally
        {
            switching.Release();
        }
    }

    /// <summary>Connects to a candidate and makes it the master if it says ROLE master. Called holding <see cref="switching"/>.</summary>
    async Task<bool> TryMoveToAsync(string host, int port)
    {
        RedisConnection connection;
        try
        {
            connection = await FailoverNode.ConnectAsync(options.NodeOptions((host, port)), options.SentinelTimeout, stopping.Token).ConfigureAwait(false);
        }
        catch (RedisConnectionException e)
        {
            lastError = e;
            return false;
        }
        string? role = await FailoverNode.RoleAsync(connection, options.SentinelTimeout).ConfigureAwait(false);
        if (role != "master")
        {
            lastError = new RedisConnectionException($"{host}:{port}, named master by a sentinel, answers ROLE {role ?? "nothing"}");
            await connection.DisposeAsync().ConfigureAwait(false);
            return false;
        }
        var node = new FailoverNode(host, port, connection);
        FailoverNode? old;
        TaskCompletionSource changed;
        lock (gate)
        {
            old = master;
            master = node;
            changed = masterChanged;
            masterChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
        if (old is null) return true;
        Retire(old.Connection);
        if (old.EndPoint != node.EndPoint)
        {
            Interlocked.Increment(ref masterSwitches);
            MoveSubscribers(node.Connection.Options);
            RequestRefresh();
        }
        return true;
    }

    /// <summary>
    /// Closes the old master's connection: at once when it is down (its queued commands fail as not sent and go to the
    /// new master), else after the response timeout, so the replies to commands already sent still arrive.
    /// </summary>
    void Retire(RedisConnection connection)
    {
        if (!connection.IsConnected)
        {
            _ = connection.DisposeAsync().AsTask();
            return;
        }
        lock (gate) retired.Add(connection);
        _ = Task.Delay(options.Redis.ResponseTimeout, stopping.Token).ContinueWith(async _ =>
        {
            lock (gate) retired.Remove(connection);
            await connection.DisposeAsync().ConfigureAwait(false);
        }, TaskScheduler.Default);
    }

    void MoveSubscribers(RedisOptions to)
    {
        RedisSubscriber[] all;
        lock (gate)
        {
            subscribers.RemoveAll(s => s.IsDisposed);
            all = [.. subscribers];
        }
        foreach (var s in all)
        {
            _ = s.MoveToAsync(to).ContinueWith(t => lastError = t.Exception?.InnerException ?? lastError,
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    Task OnSentinelEventAsync(PubSubMessage e)
    {
        var w = e.Message.Split(' ');
        // Instance events read "<type> <name> <ip> <port> @ <master-name> <master-ip> <master-port>".
        bool ours = w.Length >= 8 && w[4] == "@" && w[5] == options.MasterName;
        string endPoint = ours ? $"{w[2]}:{w[3]}" : "";
        switch (e.Channel)
        {
            case "+failover-state-send-slaveof-noone" when ours:
                return FollowPromotionAsync(w[2], w[3]);
            case "+switch-master" when w.Length == 5 && w[0] == options.MasterName:
                return MoveToAnnouncedAsync(w[3], w[4]);
            case "+promoted-slave" when ours:
                return MoveToAnnouncedAsync(w[2], w[3]);
            case "+sdown" when ours && w[0] == "slave":
                replicas.MarkDown(endPoint, down: true);
                break;
            case "-sdown" when ours && w[0] == "slave":
                replicas.MarkDown(endPoint, down: false);
                RequestRefresh();
                break;
            case "+slave" or "+slave-reconf-done" or "+convert-to-slave" when ours:
                RequestRefresh();
                break;
        }
        return Task.CompletedTask;
    }

    void RequestRefresh()
    {
        if (options.ReadFrom == ReadFrom.Master) return;
        try
        {
            refreshRequested.Release();
        }
        catch (SemaphoreFullException)
        {
            // A refresh is already due.
        }
    }

    async Task RefreshLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                bool requested = await refreshRequested.WaitAsync(options.RefreshInterval, stopping.Token).ConfigureAwait(false);
                if (!requested)
                {
                    if (!await DiscoverAsync().ConfigureAwait(false)) StartRediscovery();
                    if (options.SubscribeToSentinelEvents) await sentinels.SubscribeAsync().ConfigureAwait(false);
                }
                if (options.ReadFrom != ReadFrom.Master) await RefreshReplicasAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The loop must outlive a failed refresh; the next one tries again.
                lastError = e;
            }
        }
    }

    async Task RefreshReplicasAsync()
    {
        var m = master;
        if (m is null) return;
        var listed = await sentinels.FirstAsync(s => s.ReplicasAsync(options.MasterName)).ConfigureAwait(false);
        if (listed is not null) await replicas.UpdateAsync(listed, m.EndPoint, stopping.Token).ConfigureAwait(false);
        if (options.ReadFrom == ReadFrom.LowestLatency)
            await Task.WhenAll(replicas.All.Append(m).Select(n => n.MeasureLatencyAsync(options.SentinelTimeout))).ConfigureAwait(false);
    }

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
        }
        foreach (var c in left) await c.DisposeAsync().ConfigureAwait(false);
        var m = Interlocked.Exchange(ref master, null);
        if (m is not null) await m.Connection.DisposeAsync().ConfigureAwait(false);
    }
}
