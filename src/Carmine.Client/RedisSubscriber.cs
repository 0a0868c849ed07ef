using System.Threading.Channels;
using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>A message received on a subscribed channel; <see cref="Pattern"/> is set for PSUBSCRIBE matches.</summary>
public sealed record PubSubMessage(string Channel, string Message, string? Pattern);

/// <summary>
/// Pub/Sub on a dedicated connection. Each subscription is an async stream of messages; after a reconnect
/// every live channel and pattern is subscribed again before anything else is sent.
/// </summary>
public sealed class RedisSubscriber : IAsyncDisposable
{
    readonly object gate = new();
    readonly Dictionary<string, List<Subscription>> channels = [];
    readonly Dictionary<string, List<Subscription>> patterns = [];
    // Subscribe confirmations awaited by SubscribeAsync, by "subscribe:name" / "psubscribe:name".
    readonly Dictionary<string, TaskCompletionSource> confirmations = [];
    RedisConnection? connection;
    volatile bool disposed;

    RedisSubscriber()
    {
    }

    internal static async Task<RedisSubscriber> ConnectAsync(RedisOptions options)
    {
        var s = new RedisSubscriber();
        s.connection = await RedisConnection.ConnectPubSubAsync(options, s.OnPush, s.Resubscribe).ConfigureAwait(false);
        return s;
    }

    public RedisConnection Connection => connection!;

    internal bool IsDisposed => disposed;

    /// <summary>
    /// Moves every subscription to another server (the failover client's new master): the new connection
    /// subscribes to all live channels and patterns before the old one is closed.
    /// </summary>
    internal async Task MoveToAsync(RedisOptions options)
    {
        if (disposed) return;
        var next = await RedisConnection.ConnectPubSubAsync(options, OnPush, Resubscribe).ConfigureAwait(false);
        var old = Interlocked.Exchange(ref connection, next);
        if (old is not null) await old.DisposeAsync().ConfigureAwait(false);
        // Disposed while moving: DisposeAsync may have closed the old connection only.
        if (disposed) await next.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Subscribes to channels; returns once the server confirmed, so messages published afterwards arrive.</summary>
    public Task<Subscription> SubscribeAsync(params string[] names) => AddAsync(names, pattern: false);

    public Task<Subscription> PSubscribeAsync(params string[] names) => AddAsync(names, pattern: true);

    async Task<Subscription> AddAsync(string[] names, bool pattern)
    {
        string kind = pattern ? "psubscribe" : "subscribe";
        var sub = new Subscription(this, names, pattern);
        var waits = new List<Task>();
        lock (gate)
        {
            var map = pattern ? patterns : channels;
            foreach (var n in names)
            {
                if (!map.TryGetValue(n, out var list)) map[n] = list = [];
                list.Add(sub);
                if (!confirmations.TryGetValue(kind + ":" + n, out var tcs))
                    confirmations[kind + ":" + n] = tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                waits.Add(tcs.Task);
            }
        }
        await connection!.SendAsync(Args.Encode([kind.ToUpperInvariant()], names), expectsReply: false).ConfigureAwait(false);
        await Task.WhenAll(waits).WaitAsync(connection.Options.ResponseTimeout).ConfigureAwait(false);
        return sub;
    }

    internal async Task RemoveAsync(Subscription sub)
    {
        var drop = new List<string>();
        lock (gate)
        {
            var map = sub.IsPattern ? patterns : channels;
            foreach (var n in sub.Names)
            {
                if (!map.TryGetValue(n, out var list)) continue;
                list.Remove(sub);
                if (list.Count == 0)
                {
                    map.Remove(n);
                    drop.Add(n);
                }
            }
        }
        if (drop.Count > 0 && connection is not null)
        {
            try { await connection.SendAsync(Args.Encode([sub.IsPattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE"], drop), expectsReply: false).ConfigureAwait(false); }
            catch (ObjectDisposedException) { }
        }
    }

    IEnumerable<byte[][]> Resubscribe()
    {
        lock (gate)
        {
            var result = new List<byte[][]>();
            if (channels.Count > 0) result.Add(Args.Encode(["SUBSCRIBE"], channels.Keys));
            if (patterns.Count > 0) result.Add(Args.Encode(["PSUBSCRIBE"], patterns.Keys));
            return result;
        }
    }

    void OnPush(RespValue push)
    {
        if (push.Items is not { Length: >= 3 } items) return;
        string kind = items[0].Text ?? "";
        lock (gate)
        {
            switch (kind)
            {
                case "message":
                    Deliver(channels, items[1].Text!, new PubSubMessage(items[1].Text!, items[2].Text ?? "", null));
                    break;
                case "pmessage" when items.Length >= 4:
                    Deliver(patterns, items[1].Text!, new PubSubMessage(items[2].Text!, items[3].Text ?? "", items[1].Text));
                    break;
                case "subscribe":
                case "psubscribe":
                    if (confirmations.Remove(kind + ":" + items[1].Text, out var tcs)) tcs.TrySetResult();
                    break;
            }
        }
    }

    static void Deliver(Dictionary<string, List<Subscription>> map, string name, PubSubMessage message)
    {
        if (!map.TryGetValue(name, out var list)) return;
        foreach (var sub in list) sub.Post(message);
    }

    public async ValueTask DisposeAsync()
    {
        disposed = true;
        List<Subscription> all;
        lock (gate) all = channels.Values.Concat(patterns.Values).SelectMany(l => l).Distinct().ToList();
        foreach (var s in all) s.Complete();
        if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>The messages of one SUBSCRIBE or PSUBSCRIBE call, read with await foreach; disposing it unsubscribes.</summary>
public sealed class Subscription : IAsyncEnumerable<PubSubMessage>, IAsyncDisposable
{
    // Unsubscribes when nobody else listens; the owner is a RedisSubscriber or the cluster's ShardedSubscriber.
    readonly Func<Subscription, Task> remove;
    readonly Channel<PubSubMessage> messages = Channel.CreateUnbounded<PubSubMessage>(new UnboundedChannelOptions { SingleWriter = true });

    internal Subscription(RedisSubscriber owner, string[] names, bool isPattern)
        : this(owner.RemoveAsync, names, isPattern)
    {
    }

    internal Subscription(Func<Subscription, Task> remove, string[] names, bool isPattern)
    {
        this.remove = remove;
        Names = names;
        IsPattern = isPattern;
    }

    public string[] Names { get; }
    public bool IsPattern { get; }

    internal void Post(PubSubMessage m) => messages.Writer.TryWrite(m);
    internal void Complete() => messages.Writer.TryComplete();

    public IAsyncEnumerator<PubSubMessage> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        messages.Reader.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        Complete();
        await remove(this).ConfigureAwait(false);
    }
}
