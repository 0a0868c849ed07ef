using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>
/// Sharded Pub/Sub (SSUBSCRIBE, Redis 7) over a cluster: each shard channel is subscribed on the master
/// serving its slot, with one pub/sub connection per node. When the node drops the channel (its slot
/// moved, it answers sunsubscribe) or its connection is lost and the slot map names another master, the
/// channel is subscribed again there. Messages published while a channel moves may be lost, as in Redis.
/// </summary>
public sealed class ShardedSubscriber : IAsyncDisposable
{
    static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(100);

    readonly RedisClusterClient client;
    readonly object gate = new();
    readonly Dictionary<string, List<Subscription>> channels = [];
    // Where each channel is subscribed now; a wanted channel missing here is (re)subscribed by the watcher.
    readonly Dictionary<string, string> homes = [];
    readonly Dictionary<string, Task<RedisConnection>> connections = [];
    // SSUBSCRIBE confirmations awaited, by "address channel".
    readonly Dictionary<string, TaskCompletionSource> confirmations = [];
    readonly SemaphoreSlim homing = new(1, 1);
    readonly CancellationTokenSource disposed = new();
    readonly Task watcher;

    internal ShardedSubscriber(RedisClusterClient client)
    {
        this.client = client;
        watcher = WatchAsync();
    }

    /// <summary>Subscribes to shard channels; returns once each was confirmed by the master of its slot.</summary>
    public async Task<Subscription> SSubscribeAsync(params string[] names)
    {
        var sub = new Subscription(RemoveAsync, names, isPattern: false);
        lock (gate)
        {
            foreach (var n in names)
            {
                if (!channels.TryGetValue(n, out var list)) channels[n] = list = [];
                list.Add(sub);
            }
        }
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await HomeAsync(names).ConfigureAwait(false);
                return sub;
            }
            catch (RedisServerException e) when (e.Prefix == "MOVED" && attempt <= client.Options.MaxRedirects)
            {
                // The map was stale; OnPush already put the new owner in it.
            }
            catch
            {
                await RemoveAsync(sub).ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>The node address each channel is subscribed on.</summary>
    public IReadOnlyDictionary<string, string> Homes
    {
        get { lock (gate) return new Dictionary<string, string>(homes); }
    }

    /// <summary>SSUBSCRIBEs the wanted, unhomed channels among <paramref name="names"/> on their slot's master, one command per slot.</summary>
    async Task HomeAsync(IEnumerable<string> names)
    {
        await homing.WaitAsync(disposed.Token).ConfigureAwait(false);
        try
        {
            foreach (var slot in names.Distinct().GroupBy(HashSlot.Of))
            {
                string address = client.MasterOf(slot.Key) ?? throw new RedisConnectionException($"no master serves slot {slot.Key}");
                var conn = await ConnectionAsync(address).ConfigureAwait(false);
                var waits = new List<Task>();
                var sent = new List<string>();
                lock (gate)
                {
                    foreach (var n in slot)
                    {
                        if (!channels.ContainsKey(n) || homes.ContainsKey(n)) continue;
                        homes[n] = address;
                        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        confirmations[address + " " + n] = tcs;
                        waits.Add(tcs.Task);
                        sent.Add(n);
                    }
                }
                if (sent.Count == 0) continue;
                try
                {
                    await conn.SendAsync(Args.Encode(["SSUBSCRIBE"], sent), expectsReply: false).ConfigureAwait(false);
                    await Task.WhenAll(waits).WaitAsync(conn.Options.ResponseTimeout).ConfigureAwait(false);
                }
                catch
                {
                    lock (gate)
                    {
                        foreach (var n in sent)
                        {
                            confirmations.Remove(address + " " + n);
                            if (homes.GetValueOrDefault(n) == address) homes.Remove(n);
                        }
                    }
                    throw;
                }
            }
        }
        finally
        {
            homing.Release();
        }
    }

    Task<RedisConnection> ConnectionAsync(string address)
    {
        lock (gate)
        {
            if (connections.TryGetValue(address, out var c) && !c.IsFaulted) return c;
            c = RedisConnection.ConnectPubSubAsync(client.OptionsFor(address), push => OnPush(address, push), () => Resubscribe(address));
            connections[address] = c;
            return c;
        }
    }

    /// <summary>After a reconnect to the same node, its channels are subscribed again before anything else.</summary>
    IEnumerable<byte[][]> Resubscribe(string address)
    {
        lock (gate)
        {
            return homes.Where(h => h.Value == address).Select(h => h.Key).GroupBy(HashSlot.Of)
                .Select(g => Args.Encode(["SSUBSCRIBE"], g)).ToList();
        }
    }

    void OnPush(string address, RespValue push)
    {
        if (push.IsError)
        {
            // SSUBSCRIBE refused (MOVED: the map was stale): the channels are subscribed again on the next check.
            if (push.Text!.StartsWith("MOVED ", StringComparison.Ordinal)) client.ApplyMoved(push.Text, address);
            lock (gate)
            {
                foreach (var key in confirmations.Keys.Where(k => k.StartsWith(address + " ", StringComparison.Ordinal)).ToList())
                    if (confirmations.Remove(key, out var refused)) refused.TrySetException(new RedisServerException(push.Text));
            }
            return;
        }
        if (push.Items is not { Length: >= 3 } items || items[1].Text is not { } channel) return;
        lock (gate)
        {
            switch (items[0].Text)
            {
                case "smessage" when homes.GetValueOrDefault(channel) == address && channels.TryGetValue(channel, out var list):
                    var message = new PubSubMessage(channel, items[2].Text ?? "", null);
                    foreach (var sub in list) sub.Post(message);
                    break;
                case "ssubscribe":
                    if (confirmations.Remove(address + " " + channel, out var tcs)) tcs.TrySetResult();
                    break;
                case "sunsubscribe" when homes.GetValueOrDefault(channel) == address:
                    // Not asked for by us: the slot left this node. The watcher subscribes where the map points next.
                    homes.Remove(channel);
                    if (channels.ContainsKey(channel)) client.TriggerRefresh();
                    break;
            }
        }
    }

    /// <summary>Moves channels whose node no longer serves their slot, or whose connection is down, to the slot's current master.</summary>
    async Task WatchAsync()
    {
        try
        {
            while (!disposed.IsCancellationRequested)
            {
                await Task.Delay(CheckInterval, disposed.Token).ConfigureAwait(false);
                var moving = new List<(string Channel, string From)>();
                var unhomed = new List<string>();
                lock (gate)
                {
                    foreach (var channel in channels.Keys)
                    {
                        if (!homes.TryGetValue(channel, out var home))
                        {
                            unhomed.Add(channel);
                            continue;
                        }
                        var master = client.MasterOf(HashSlot.Of(channel));
                        bool down = connections.TryGetValue(home, out var c) && c.IsCompletedSuccessfully && !c.Result.IsConnected;
                        if (master != home) moving.Add((channel, home));
                        else if (down) client.TriggerRefresh();
                    }
                    foreach (var (channel, _) in moving) homes.Remove(channel);
                }
                foreach (var from in moving.GroupBy(m => m.From))
                    await UnsubscribeAsync(from.Key, from.Select(m => m.Channel)).ConfigureAwait(false);
                try
                {
                    await HomeAsync(unhomed.Concat(moving.Select(m => m.Channel))).ConfigureAwait(false);
                }
                catch (Exception e) when (e is RedisConnectionException or RedisServerException or TimeoutException or ObjectDisposedException)
                {
                    // Tried again on the next check, with the map the reload brings.
                    client.TriggerRefresh();
                }
                await ForgetIdleConnectionsAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    async Task UnsubscribeAsync(string address, IEnumerable<string> names)
    {
        Task<RedisConnection>? c;
        lock (gate) connections.TryGetValue(address, out c);
        if (c is not { IsCompletedSuccessfully: true } || !c.Result.IsConnected) return;
        foreach (var slot in names.GroupBy(HashSlot.Of))
        {
            try { await c.Result.SendAsync(Args.Encode(["SUNSUBSCRIBE"], slot), expectsReply: false).ConfigureAwait(false); }
            catch (Exception e) when (e is ObjectDisposedException or RedisConnectionException) { }
        }
    }

    async Task ForgetIdleConnectionsAsync()
    {
        List<Task<RedisConnection>> idle;
        lock (gate)
        {
            var used = homes.Values.ToHashSet();
            var addresses = connections.Keys.Where(a => !used.Contains(a) && connections[a].IsCompleted).ToList();
            idle = addresses.Select(a => connections[a]).ToList();
            foreach (var a in addresses) connections.Remove(a);
        }
        foreach (var c in idle)
            if (c.IsCompletedSuccessfully) await c.Result.DisposeAsync().ConfigureAwait(false);
    }

    async Task RemoveAsync(Subscription sub)
    {
        var drop = new List<(string Channel, string Home)>();
        lock (gate)
        {
            foreach (var n in sub.Names)
            {
                if (!channels.TryGetValue(n, out var list)) continue;
                list.Remove(sub);
                if (list.Count > 0) continue;
                channels.Remove(n);
                if (homes.Remove(n, out var home)) drop.Add((n, home));
            }
        }
        foreach (var from in drop.GroupBy(d => d.Home))
            await UnsubscribeAsync(from.Key, from.Select(d => d.Channel)).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed.IsCancellationRequested) return;
        disposed.Cancel();
        await watcher.ConfigureAwait(false);
        List<Subscription> all;
        List<Task<RedisConnection>> open;
        lock (gate)
        {
            all = channels.Values.SelectMany(l => l).Distinct().ToList();
            open = connections.Values.ToList();
            connections.Clear();
        }
        foreach (var s in all) s.Complete();
        foreach (var c in open)
        {
            try { await (await c.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is RedisConnectionException or RedisServerException or ObjectDisposedException) { }
        }
    }
}
