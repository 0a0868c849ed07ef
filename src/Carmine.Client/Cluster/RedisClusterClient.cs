using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>
/// The client for a Redis Cluster: the typed command API of <see cref="RedisCommands"/>, each command sent to
/// the node serving its keys' slot. It follows MOVED and ASK, retries across a failover, reads from replicas
/// under <see cref="ReadFrom"/>, and checks client side that a command's keys share one slot. See docs/client.md.
/// </summary>
public sealed partial class RedisClusterClient : RedisCommands, IAsyncDisposable, IDisposable
{
    static readonly byte[][] Asking = Args.Encode("ASKING");

    readonly RedisClusterOptions options;
    readonly RedisOptions nodeOptions;
    readonly Func<string, string> remap;
    readonly ConcurrentDictionary<string, ClusterNode> nodes = new();
    readonly CancellationTokenSource disposed = new();
    readonly SemaphoreSlim loading = new(1, 1);
    ClusterSlotMap map = new();
    ClusterCommandTable table = ClusterCommandTable.BuiltIn;
    Task periodic = Task.CompletedTask;
    Task refresh = Task.CompletedTask;
    int refreshing;
    volatile bool refreshAgain;

    RedisClusterClient(RedisClusterOptions options)
    {
        if (options.Seeds.Count == 0) throw new ArgumentException("RedisClusterOptions.Seeds names no node", nameof(options));
        this.options = options;
        nodeOptions = options.Node.Clone();
        nodeOptions.ReadOnly = options.ReadFrom != ReadFrom.Master;
        remap = options.NatMap ?? (a => a);
    }

    public static Task<RedisClusterClient> ConnectAsync(string seeds) => ConnectAsync(RedisClusterOptions.Parse(seeds));

    /// <summary>Loads the slot map from the first seed that answers and the command table from a master (and, for LowestLatency, measures every node).</summary>
    public static async Task<RedisClusterClient> ConnectAsync(RedisClusterOptions options)
    {
        var c = new RedisClusterClient(options);
        try
        {
            await c.LoadSlotMapAsync(throwOnFailure: true).ConfigureAwait(false);
            await c.LoadCommandTableAsync().ConfigureAwait(false);
            if (options.ReadFrom == ReadFrom.LowestLatency) await c.MeasureLatenciesAsync().ConfigureAwait(false);
        }
        catch
        {
            await c.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        c.periodic = c.RefreshPeriodicallyAsync();
        return c;
    }

    public RedisClusterOptions Options => options;

    public ClusterStats Stats { get; } = new();

    /// <summary>The address ("host:port") of the master serving <paramref name="slot"/> in the current map.</summary>
    public string? MasterOf(int slot) => Volatile.Read(ref map)[slot]?.Master;

    /// <summary>The addresses of the replicas serving <paramref name="slot"/> in the current map.</summary>
    public string[] ReplicasOf(int slot) => Volatile.Read(ref map)[slot]?.Replicas ?? [];

    /// <summary>Runs <paramref name="action"/> on every master (e.g. SCAN, DBSIZE or INFO per node).</summary>
    public Task ForEachMasterAsync(Func<RedisClient, Task> action) => ForEachAsync(Volatile.Read(ref map).Masters, action);

    /// <summary>Runs <paramref name="action"/> on every master and replica the slot map names.</summary>
    public Task ForEachNodeAsync(Func<RedisClient, Task> action) => ForEachAsync(Volatile.Read(ref map).Nodes, action);

    async Task ForEachAsync(IEnumerable<string> addresses, Func<RedisClient, Task> action) =>
        await Task.WhenAll(addresses.Select(async a => await action(await Node(a).ClientAsync().ConfigureAwait(false)).ConfigureAwait(false))).ConfigureAwait(false);

    /// <summary>The client of one node, for commands meant for that node only.</summary>
    public Task<RedisClient> NodeAsync(string address) => Node(address).ClientAsync();

    /// <summary>Commands sent per node in one batch each when <see cref="ClusterPipeline.ExecAsync"/> is called.</summary>
    public ClusterPipeline CreatePipeline() => new(this, atomic: false);

    /// <summary>A MULTI/EXEC transaction; all its keys must hash to one slot.</summary>
    public ClusterPipeline CreateTransaction() => new(this, atomic: true);

    /// <summary>
    /// Optimistic transaction (WATCH, read, MULTI/EXEC, rerun on conflict) on the master of the keys' slot;
    /// see <see cref="RedisClient.TransactionAsync"/>. All keys must hash to one slot.
    /// </summary>
    public async Task TransactionAsync(string[] keys, Func<RedisCommands, Pipeline, Task> build, int maxAttempts = 10)
    {
        int slot = CommonSlot(keys.Select(Encoding.UTF8.GetBytes), "WATCH");
        var master = await Node(PickNode(slot, read: false)).ClientAsync().ConfigureAwait(false);
        await master.TransactionAsync(keys, build, maxAttempts).ConfigureAwait(false);
    }

    /// <summary>A pub/sub connection to one master; classic PUBLISH reaches subscribers on every node of the cluster.</summary>
    public async Task<RedisSubscriber> SubscriberAsync() =>
        await (await Node(PickNode(-1, read: false)).ClientAsync().ConfigureAwait(false)).SubscriberAsync().ConfigureAwait(false);

    /// <summary>Sharded Pub/Sub (SSUBSCRIBE): each channel is subscribed on its slot's master and follows the slot when it moves.</summary>
    public ShardedSubscriber CreateShardedSubscriber() => new(this);

    private protected override async Task<T> SendAsync<T>(byte[][] args, Func<RespValue, T> convert)
    {
        var fanOut = FanOut(args);
        if (fanOut is not null) return convert(await fanOut.ConfigureAwait(false));
        return convert(await SendToSlotAsync(args, SlotOf(args), IsRead(args)).ConfigureAwait(false));
    }

    internal bool IsRead(byte[][] args) => options.ReadFrom != ReadFrom.Master && Volatile.Read(ref table).IsReadOnly(args);

    /// <summary>The slot of the command's keys, -1 when it has none; throws when they hash to different slots.</summary>
    internal int SlotOf(byte[][] args) => CommonSlot(KeysOf(args), Encoding.UTF8.GetString(args[0]));

    internal List<byte[]> KeysOf(byte[][] args) => Volatile.Read(ref table).Keys(args);

    internal static int CommonSlot(IEnumerable<byte[]> keys, string command)
    {
        int slot = -1;
        byte[]? first = null;
        foreach (var key in keys)
        {
            int s = HashSlot.Of(key);
            if (slot >= 0 && s != slot)
                throw new RedisCrossSlotException(
                    $"CROSSSLOT Keys in request don't hash to the same slot: {command} has '{Encoding.UTF8.GetString(first!)}' in slot {slot} " +
                    $"and '{Encoding.UTF8.GetString(key)}' in slot {s} (checked by the client before sending); put a common {{hash tag}} in the keys");
            slot = s;
            first ??= key;
        }
        return slot;
    }

    /// <summary>
    /// Keyless commands that concern the whole keyspace run on every master: FLUSHDB and FLUSHALL, DBSIZE (summed),
    /// KEYS (concatenated), SCRIPT LOAD and SCRIPT FLUSH. SCAN's cursor belongs to one node, so it is refused.
    /// </summary>
    Task<RespValue>? FanOut(byte[][] args)
    {
        string name = Encoding.UTF8.GetString(args[0]).ToUpperInvariant();
        return name switch
        {
            "FLUSHDB" or "FLUSHALL" => OnAllMasters(args, replies => replies[0]),
            "SCRIPT" when args.Length > 1 && Encoding.UTF8.GetString(args[1]).ToUpperInvariant() is "LOAD" or "FLUSH" => OnAllMasters(args, replies => replies[0]),
            "DBSIZE" => OnAllMasters(args, replies => new RespValue { Type = RespType.Integer, Integer = replies.Sum(r => r.Integer) }),
            "KEYS" => OnAllMasters(args, replies => new RespValue { Type = RespType.Array, Items = replies.SelectMany(r => r.Items ?? []).ToArray() }),
            "SCAN" => throw new NotSupportedException("SCAN's cursor belongs to one node; use ForEachMasterAsync(node => node.ScanAsync(...)) to scan every master"),
            _ => null,
        };
    }

    async Task<RespValue> OnAllMasters(byte[][] args, Func<RespValue[], RespValue> combine)
    {
        var replies = await Task.WhenAll(Volatile.Read(ref map).Masters.Select(async a =>
            (await (await Node(a).ClientAsync().ConfigureAwait(false)).Connection.SendAsync(args).ConfigureAwait(false)))).ConfigureAwait(false);
        return replies.FirstOrDefault(r => r.IsError) ?? combine(replies);
    }

    /// <summary>
    /// Sends one command to the node serving <paramref name="slot"/> and follows what the cluster answers:
    /// MOVED (the map is fixed and reloaded), ASK (ASKING then the command on the target), and retries with
    /// backoff after connection errors, CLUSTERDOWN, TRYAGAIN, LOADING and a write refused by a demoted master.
    /// <paramref name="first"/> is an error reply already received for this command (from a pipeline).
    /// </summary>
    internal async Task<RespValue> SendToSlotAsync(byte[][] args, int slot, bool read, RespValue? first = null, string? firstAddress = null)
    {
        int redirects = 0, retries = 0;
        string? ask = null;
        string? address = firstAddress;
        var reply = first;
        while (true)
        {
            if (reply is null)
            {
                address = ask ?? PickNode(slot, read);
                try
                {
                    var client = await Node(address).ClientAsync().ConfigureAwait(false);
                    var conn = client.Connection;
                    // A command queued on a connection that is reconnecting would wait out its timeout there.
                    if (!conn.IsConnected) throw new RedisConnectionException($"{address} is not connected");
                    // Through the node's client: a blocking command then holds a pooled connection, not the shared one.
                    reply = ask is null ? await client.SendRawAsync(args).ConfigureAwait(false) : await SendAskingAsync(conn, args).ConfigureAwait(false);
                }
                catch (Exception e) when (e is RedisConnectionException or ObjectDisposedException)
                {
                    Stats.OnRetry();
                    if (++retries > options.MaxRetries)
                        throw new RedisConnectionException($"{Encoding.UTF8.GetString(args[0])} for slot {slot} failed after {retries} attempts; last error: {e.Message}", e);
                    ask = null;
                    TriggerRefresh();
                    await BackoffAsync(retries).ConfigureAwait(false);
                    continue;
                }
            }
            if (!reply.IsError) return reply;
            var error = reply;
            string text = error.Text ?? "";
            string prefix = text.Split(' ', 2)[0];
            reply = null;
            switch (prefix)
            {
                case "MOVED" or "ASK":
                    if (++redirects > options.MaxRedirects) return error;
                    if (prefix == "ASK")
                    {
                        Stats.OnAsk();
                        ask = ParseRedirect(text, address!).Address;
                    }
                    else
                    {
                        ask = null;
                        ApplyMoved(text, address!);
                    }
                    continue;
                case "TRYAGAIN" or "CLUSTERDOWN" or "LOADING" or "MASTERDOWN" or "READONLY":
                    Stats.OnRetry();
                    if (++retries > options.MaxRetries) return error;
                    ask = null;
                    if (prefix != "TRYAGAIN") TriggerRefresh();
                    await BackoffAsync(retries).ConfigureAwait(false);
                    continue;
                default:
                    return error;
            }
        }
    }

    /// <summary>Error replies that <see cref="SendToSlotAsync"/> follows or retries instead of returning.</summary>
    internal static bool IsRetryable(string error) =>
        error.Split(' ', 2)[0] is "MOVED" or "ASK" or "TRYAGAIN" or "CLUSTERDOWN" or "LOADING" or "MASTERDOWN" or "READONLY";

    /// <summary>A MOVED reply from <paramref name="from"/>: the slot's new master goes into the map at once, the rest comes with a reload.</summary>
    internal void ApplyMoved(string error, string from)
    {
        Stats.OnMoved();
        var (slot, target) = ParseRedirect(error, from);
        Volatile.Read(ref map).Move(slot, target);
        TriggerRefresh();
    }

    /// <summary>ASKING and the command written back to back, so no other caller's command comes between them.</summary>
    static async Task<RespValue> SendAskingAsync(RedisConnection conn, byte[][] args)
    {
        var replies = conn.SendBatch([Asking, args]);
        await Task.WhenAll(replies).ConfigureAwait(false);
        return replies[1].Result;
    }

    /// <summary>"MOVED 3999 127.0.0.1:6381": the slot and the (remapped) address; an empty host is the replying node's.</summary>
    (int Slot, string Address) ParseRedirect(string error, string from)
    {
        var parts = error.Split(' ');
        int slot = int.Parse(parts[1], CultureInfo.InvariantCulture);
        string target = parts[2];
        if (target.StartsWith(':')) target = ClusterSlotMap.Split(from).Host + target;
        return (slot, remap(target));
    }

    internal Task BackoffAsync(int attempt)
    {
        double ms = Math.Min(options.MaxRetryBackoff.TotalMilliseconds, options.MinRetryBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 20)));
        return Task.Delay(TimeSpan.FromMilliseconds(ms), disposed.Token);
    }

    /// <summary>The node a command for <paramref name="slot"/> goes to: the master, or for reads a node chosen by <see cref="ReadFrom"/>.</summary>
    internal string PickNode(int slot, bool read)
    {
        var current = Volatile.Read(ref map);
        var shard = slot >= 0 ? current[slot] : null;
        if (shard is null)
        {
            // No key, or a slot nobody serves (yet): any master answers or redirects.
            var masters = current.Masters;
            if (masters.Length == 0) return options.Seeds[System.Random.Shared.Next(options.Seeds.Count)];
            if (slot >= 0) TriggerRefresh();
            return masters[System.Random.Shared.Next(masters.Length)];
        }
        if (!read) return shard.Master;
        var replicas = shard.Replicas.Where(r => !Node(r).IsDown).ToArray();
        switch (options.ReadFrom)
        {
            case ReadFrom.Replica:
                if (replicas.Length == 0)
                    throw new RedisConnectionException($"no reachable replica serves slot {slot} (ReadFrom.Replica never reads from the master {shard.Master})");
                return replicas[System.Random.Shared.Next(replicas.Length)];
            case ReadFrom.PreferReplica:
                return replicas.Length == 0 ? shard.Master : replicas[System.Random.Shared.Next(replicas.Length)];
            case ReadFrom.LowestLatency:
                return replicas.Prepend(shard.Master)
                    .Select(a => (Address: a, Latency: Node(a).LatencyMs))
                    .Where(n => !double.IsNaN(n.Latency))
                    .OrderBy(n => n.Latency)
                    .Select(n => n.Address)
                    .FirstOrDefault() ?? shard.Master;
            case ReadFrom.Random:
                var all = replicas.Prepend(shard.Master).ToArray();
                return all[System.Random.Shared.Next(all.Length)];
            default:
                return shard.Master;
        }
    }

    /// <summary>The connection settings of one node: the shared template with the node's host and port.</summary>
    internal RedisOptions OptionsFor(string address)
    {
        var (host, port) = ClusterSlotMap.Split(address);
        var o = nodeOptions.Clone();
        o.Host = host;
        o.Port = port;
        o.UnixSocket = null;
        o.Database = 0;
        return o;
    }

    ClusterNode Node(string address)
    {
        // A reload still running while the client is disposed must not open new connections.
        ObjectDisposedException.ThrowIf(disposed.IsCancellationRequested, this);
        return nodes.GetOrAdd(address, a => new ClusterNode(a, OptionsFor(a)));
    }

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
        if (disposed.IsCancellationRequested) return;
        disposed.Cancel();
        await periodic.ConfigureAwait(false);
        await refresh.ConfigureAwait(false);
        foreach (var node in nodes.Values) await node.DisposeAsync().ConfigureAwait(false);
        nodes.Clear();
    }
}
