using System.Diagnostics;
using System.Globalization;

namespace Carmine.Client;

/// <summary>How the failover client finds the master, follows it through failovers and keeps the replica list fresh.</summary>
public sealed partial class FailoverClient
{
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
        TaskCompletionSource? changed = null;
        lock (gate)
        {
            // Disposal takes the master under the same lock: a master found after that is closed here, not leaked.
            old = master;
            if (!stopping.IsCancellationRequested)
            {
                master = node;
                changed = masterChanged;
                masterChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        if (changed is null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return false;
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
}
