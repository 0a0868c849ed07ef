namespace Carmine.Client;

/// <summary>
/// The sentinels of a failover client: one query connection each, asked in order with the last one that
/// answered first (as go-redis does), and one event subscription each.
/// </summary>
sealed class SentinelSet(FailoverOptions options, Func<PubSubMessage, Task> onEvent) : IAsyncDisposable
{
    /// <summary>The events that move the master or change the replica list.</summary>
    static readonly string[] Events =
        ["+failover-state-send-slaveof-noone", "+promoted-slave", "+switch-master", "+sdown", "-sdown", "+slave", "+slave-reconf-done", "+convert-to-slave"];

    readonly object gate = new();
    readonly List<string> order = [.. options.Sentinels];
    readonly Dictionary<string, SentinelClient> clients = [];
    readonly Dictionary<string, RedisSubscriber> subscribers = [];
    readonly List<Task> listeners = [];
    bool disposed;

    /// <summary>The last failure to reach or subscribe to a sentinel, for error messages.</summary>
    public Exception? LastError { get; private set; }

    public string[] Ordered()
    {
        lock (gate) return [.. order];
    }

    /// <summary>Asks this sentinel first from now on.</summary>
    public void Prefer(string address)
    {
        lock (gate)
        {
            order.Remove(address);
            order.Insert(0, address);
        }
    }

    /// <summary>The query connection to a sentinel, or null while it cannot be reached.</summary>
    public async Task<SentinelClient?> ClientAsync(string address)
    {
        lock (gate)
        {
            // A known sentinel that is not connected is reconnecting by itself; asking it now would only wait.
            if (clients.TryGetValue(address, out var known)) return known.Connection.IsConnected ? known : null;
        }
        SentinelClient client;
        try
        {
            client = await SentinelClient.ConnectAsync(options.SentinelOptions(address)).ConfigureAwait(false);
        }
        catch (RedisConnectionException e)
        {
            LastError = e;
            return null;
        }
        SentinelClient? kept;
        lock (gate)
        {
            // Another caller may have connected meanwhile: keep one connection per sentinel.
            kept = disposed ? null : clients.TryAdd(address, client) ? client : clients[address];
        }
        if (kept != client) await client.DisposeAsync().ConfigureAwait(false);
        return kept;
    }

    /// <summary>The first answer from any sentinel, in order; null when none answered.</summary>
    public async Task<T?> FirstAsync<T>(Func<SentinelClient, Task<T>> query) where T : class
    {
        foreach (var address in Ordered())
        {
            if (await ClientAsync(address).ConfigureAwait(false) is not { } sentinel) continue;
            try
            {
                return await query(sentinel).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisServerException or RedisConnectionException or TimeoutException or ObjectDisposedException)
            {
                LastError = e;
            }
        }
        return null;
    }

    /// <summary>Subscribes to the events of every sentinel not subscribed yet; the subscriptions renew themselves after reconnects.</summary>
    public async Task SubscribeAsync()
    {
        foreach (var address in Ordered())
        {
            lock (gate)
            {
                if (disposed || subscribers.ContainsKey(address)) continue;
            }
            RedisSubscriber? subscriber = null;
            try
            {
                subscriber = await RedisSubscriber.ConnectAsync(options.SentinelOptions(address)).ConfigureAwait(false);
                var events = await subscriber.SubscribeAsync(Events).ConfigureAwait(false);
                lock (gate)
                {
                    if (!disposed && subscribers.TryAdd(address, subscriber))
                    {
                        listeners.Add(Task.Run(() => ListenAsync(events)));
                        subscriber = null;
                    }
                }
            }
            catch (Exception e) when (e is RedisConnectionException or TimeoutException or ObjectDisposedException)
            {
                LastError = e;
            }
            if (subscriber is not null) await subscriber.DisposeAsync().ConfigureAwait(false);
        }
    }

    async Task ListenAsync(Subscription events)
    {
        await foreach (var message in events.WithCancellation(CancellationToken.None).ConfigureAwait(false))
        {
            try
            {
                await onEvent(message).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LastError = e;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<IAsyncDisposable> all;
        lock (gate)
        {
            disposed = true;
            all = [.. clients.Values, .. subscribers.Values];
            clients.Clear();
            subscribers.Clear();
        }
        foreach (var d in all) await d.DisposeAsync().ConfigureAwait(false);
        Task[] running;
        lock (gate) running = [.. listeners];
        await Task.WhenAll(running).ConfigureAwait(false);
    }
}
