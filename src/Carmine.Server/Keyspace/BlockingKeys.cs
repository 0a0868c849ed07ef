using Carmine.Protocol;
using Carmine.Server.Network;

namespace Carmine.Server.Keyspace;

/// <summary>
/// Tries to serve a blocked client from the key that became ready. It runs on the thread that made the key ready,
/// holding the shard locks of that key and of <see cref="BlockedClient.Target"/>: it may read and write those
/// keys only. It writes the client's reply into <see cref="ServeContext.Reply"/> and returns true, or returns
/// false (writing nothing) to keep the client waiting.
/// </summary>
public delegate bool ServeBlocked(BlockedClient blocked, ServeContext context);

/// <summary>What a serve callback may use: the key that became ready, its database and the client's reply.</summary>
public sealed class ServeContext(RedisServer server, Database database, byte[] key, RespBuffer reply, long nowMs)
{
    public RedisServer Server { get; } = server;
    public Database Database { get; } = database;
    public byte[] Key { get; } = key;
    public RespBuffer Reply { get; } = reply;
    public long NowMs { get; } = nowMs;

    /// <summary>True once the serve replied with an error (counted as a failed call of the blocked command).</summary>
    public bool Failed { get; private set; }

    /// <summary>Replies an error to the blocked client and counts it in INFO errorstats.</summary>
    public void Error(string message)
    {
        Reply.Error(message);
        Server.Stats.CountError(message);
        Failed = true;
    }

    public void Dirty(long changes = 1) => Server.Stats.Local.Dirty += changes;
}

/// <summary>A client waiting on keys (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK ...), with the callback that serves it.</summary>
public sealed class BlockedClient(Client client, byte[][] keys, long timeoutMs, ServeBlocked serve)
{
    public Client Client { get; } = client;
    public int Db { get; } = client.Db;
    public byte[][] Keys { get; } = keys;
    /// <summary>Relative timeout in milliseconds; 0 waits forever.</summary>
    public long TimeoutMs { get; } = timeoutMs;
    public ServeBlocked Serve { get; } = serve;
    /// <summary>The blocked request, copied: the slowlog records it when the client is unblocked.</summary>
    public ArgList Args { get; } = client.Args.Detach();
    /// <summary>A second key the serve callback writes (BLMOVE's destination); its shard is locked too.</summary>
    public byte[]? Target { get; init; }

    /// <summary>Set, under the registry's lock, once the client was served, timed out, unblocked or closed.</summary>
    internal bool Done;
    internal readonly List<(BlockingKeys.WaitKey Key, LinkedListNode<BlockedClient> Node)> Queued = [];
}

/// <summary>
/// The clients blocked on keys, queued per key in the order they blocked, and the keys made ready by the current
/// command. A key becomes ready when it is created holding an aggregate type (<see cref="Database.Add"/>) or when a
/// command signals it (a stream's XADD). Once the outermost command on a thread completes (RedisServer.Call), that
/// thread serves the clients waiting on its ready keys before it replies, as Redis does after each command, MULTI/EXEC
/// or script. Lock order: shard locks first (ascending), then this registry's lock, which is always the innermost.
/// </summary>
public sealed class BlockingKeys
{
    readonly object gate = new();
    readonly Dictionary<WaitKey, LinkedList<BlockedClient>> waiting = [];
    readonly Dictionary<long, BlockedClient> byClient = [];
    int blockedCount;

    [ThreadStatic] static List<WaitKey>? ready;

    /// <summary>A key of one database, compared by content.</summary>
    internal readonly struct WaitKey(int db, byte[] key) : IEquatable<WaitKey>
    {
        public readonly int Db = db;
        public readonly byte[] Key = key;

        public bool Equals(WaitKey other) => Db == other.Db && Key.AsSpan().SequenceEqual(other.Key);
        public override bool Equals(object? obj) => obj is WaitKey k && Equals(k);
        public override int GetHashCode() => (int)KeyHash.Hash(Key) ^ Db;
    }

    /// <summary>INFO's blocked_clients.</summary>
    public int BlockedClients => Volatile.Read(ref blockedCount);

    /// <summary>
    /// Blocks <see cref="BlockedClient.Client"/> on its keys. Called by the blocking command's handler, on the client's
    /// loop thread, while it holds the shard locks of the keys it found empty: a writer that later creates one
    /// of them takes the same lock and is bound to see this client waiting, so no wake-up is lost.
    /// </summary>
    public void Block(BlockedClient b)
    {
        var c = b.Client;
        lock (gate)
        {
            foreach (var key in b.Keys)
            {
                var wk = new WaitKey(b.Db, key);
                if (b.Queued.Exists(q => q.Key.Equals(wk))) continue;
                if (!waiting.TryGetValue(wk, out var queue)) waiting[wk] = queue = new LinkedList<BlockedClient>();
                b.Queued.Add((wk, queue.AddLast(b)));
            }
            byClient[c.Id] = b;
            blockedCount++;
        }
        c.Block();
        if (b.TimeoutMs > 0) c.Loop.AddTimer(Environment.TickCount64 + b.TimeoutMs, () => TimedOut(b));
    }

    /// <summary>Marks a key as ready if clients wait on it; the current thread serves them after its command. Shard lock held.</summary>
    public void SignalKeyAsReady(Database db, ReadOnlySpan<byte> key)
    {
        if (Volatile.Read(ref blockedCount) == 0) return;
        var wk = new WaitKey(db.Index, key.ToArray());
        lock (gate)
        {
            if (!waiting.ContainsKey(wk)) return;
        }
        AddReady(wk);
    }

    /// <summary>Marks every key of a database that clients wait on as ready (SWAPDB changed what all of them hold).</summary>
    public void SignalDatabase(int db)
    {
        if (Volatile.Read(ref blockedCount) == 0) return;
        List<WaitKey> keys;
        lock (gate) keys = waiting.Keys.Where(k => k.Db == db).ToList();
        foreach (var k in keys) AddReady(k);
    }

    static void AddReady(WaitKey wk)
    {
        var list = ready ??= [];
        if (!list.Contains(wk)) list.Add(wk);
    }

    /// <summary>
    /// Serves the clients blocked on the keys this thread made ready, in the order they blocked, until no key is
    /// ready: serving one client may make another key ready (BLMOVE pushing to a list someone waits on).
    /// Called with no lock held, after the outermost command completed.
    /// </summary>
    public void HandleReadyKeys(RedisServer server)
    {
        var list = ready;
        if (list is null || list.Count == 0) return;
        while (list.Count > 0)
        {
            var batch = list.ToArray();
            list.Clear();
            foreach (var wk in batch)
            {
                BlockedClient[] queue;
                lock (gate)
                {
                    if (!waiting.TryGetValue(wk, out var q)) continue;
                    queue = [.. q];
                }
                foreach (var b in queue)
                {
                    try
                    {
                        TryServe(server, wk, b);
                    }
                    catch (Exception ex)
                    {
                        // The waiter stays blocked; the command that made the key ready has completed and must still reply.
                        Log.Warning($"Serving a client blocked on a key failed unexpectedly: {ex}");
                    }
                }
            }
        }
    }

    void TryServe(RedisServer server, WaitKey wk, BlockedClient b)
    {
        var db = server.Keyspace[wk.Db];
        int first = db.ShardIndex(KeyHash.Hash(wk.Key));
        int second = b.Target is null ? first : db.ShardIndex(KeyHash.Hash(b.Target));
        if (second < first) (first, second) = (second, first);
        var reply = new RespBuffer(256) { Resp3 = b.Client.Protocol == 3 };
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        long aofWait = 0;
        Monitor.Enter(db.Shards[first].Lock);
        if (second != first) Monitor.Enter(db.Shards[second].Lock);
        try
        {
            // Serving pops or moves elements: like a write command, the shards are first kept for a running snapshot.
            db.BeforeWrite(wk.Key);
            if (b.Target is not null) db.BeforeWrite(b.Target);
            lock (gate)
            {
                long now = Clock.NowMs(), dirty = server.Stats.Local.Dirty;
                var context = new ServeContext(server, db, wk.Key, reply, now);
                if (b.Done || !ServeAndPropagate(server, b, context, out aofWait)) return;
                Finish(b);
                if (context.Failed) CountFailedCall(server, b.Client);
                if (server.Stats.Local.Dirty != dirty)
                {
                    db.Remeasure(wk.Key);
                    if (b.Target is not null) db.Remeasure(b.Target);
                    // As after any write command, WATCHers of the keys the serve changed must fail their EXEC.
                    server.Watches.Touch(wk.Db, wk.Key, db.Find(wk.Key, now) is not null);
                    if (b.Target is not null) server.Watches.Touch(wk.Db, b.Target, db.Find(b.Target, now) is not null);
                    InvalidateServed(server, wk.Key, b);
                }
            }
        }
        finally
        {
            if (second != first) Monitor.Exit(db.Shards[second].Lock);
            Monitor.Exit(db.Shards[first].Lock);
        }
        long servedUs = (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        b.Client.Loop.Post(() =>
        {
            if (b.Client.Closed) return;
            // As any write's reply, the unblocked client's waits for the AOF to hold what its serve changed.
            if (aofWait > 0) b.Client.AofWaitOffset = aofWait;
            b.Client.Reply.WriteRaw(reply.Written);
            // The client's own invalidations follow the reply of its unblocked command.
            server.Tracking.AfterCommand(b.Client);
            Resume(b, servedUs);
        });
    }

    /// <summary>
    /// Serves the client and, under the locks still held, emits what the serve changed (the plain form of the
    /// blocking command) to the replication stream; <paramref name="aofWait"/> is the AOF offset its reply waits for.
    /// </summary>
    static bool ServeAndPropagate(RedisServer server, BlockedClient b, ServeContext context, out long aofWait)
    {
        aofWait = 0;
        if (!server.Propagation.Active) return b.Serve(b, context);
        var fx = Replication.PendingEffects.Current;
        fx.Depth++;
        try
        {
            return b.Serve(b, context);
        }
        finally
        {
            fx.Depth--;
            if (fx.Depth == 0) aofWait = server.EmitEffects(fx);
        }
    }

    /// <summary>Client-side caching: the keys a serve changed are invalidated as the unblocked client's own changes.</summary>
    static void InvalidateServed(RedisServer server, byte[] key, BlockedClient b)
    {
        if (!server.Tracking.Active) return;
        var previous = Tracking.TrackingTable.Current;
        Tracking.TrackingTable.Current = b.Client;
        try
        {
            server.Tracking.InvalidateKey(key, b.Client);
            if (b.Target is not null) server.Tracking.InvalidateKey(b.Target, b.Client);
        }
        finally
        {
            Tracking.TrackingTable.Current = previous;
        }
    }

    /// <summary>Ends the block on the client's own thread: the slowlog gets the request, then its pipeline runs on.</summary>
    static void Resume(BlockedClient b, long durationUs)
    {
        var c = b.Client;
        var slowLog = c.Server.SlowLog;
        if (slowLog.ThresholdUs >= 0 && durationUs >= slowLog.ThresholdUs)
        {
            var current = c.Args;
            c.Args = b.Args;
            slowLog.Add(c, durationUs);
            c.Args = current;
        }
        c.Unblock();
    }

    /// <summary>The client's timeout elapsed: it gets the null reply of a timed-out blocking command. Loop thread.</summary>
    void TimedOut(BlockedClient b)
    {
        lock (gate)
        {
            if (b.Done) return;
            Finish(b);
        }
        b.Client.Reply.NullArray();
        Resume(b, 0);
    }

    /// <summary>CLIENT UNBLOCK: ends a client's wait as a timeout or with an UNBLOCKED error; false if it was not blocked.</summary>
    public bool Unblock(Client c, bool withError)
    {
        BlockedClient? b;
        lock (gate)
        {
            if (!byClient.TryGetValue(c.Id, out b) || b.Done) return false;
            Finish(b);
        }
        c.Loop.Post(() =>
        {
            if (c.Closed) return;
            if (withError)
            {
                c.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
                CountFailedCall(c.Server, c);
            }
            else c.Reply.NullArray();
            Resume(b, 0);
        });
        return true;
    }

    /// <summary>Ends every wait with <paramref name="error"/> and closes those clients after it (a master turning replica).</summary>
    public void DisconnectAll(string error)
    {
        List<BlockedClient> all;
        lock (gate)
        {
            all = [.. byClient.Values.Where(b => !b.Done)];
            foreach (var b in all) Finish(b);
        }
        foreach (var b in all)
        {
            var c = b.Client;
            c.Loop.Post(() =>
            {
                if (c.Closed) return;
                c.Error(error);
                c.CloseAfterReply = true;
                Resume(b, 0);
            });
        }
    }

    /// <summary>A blocked command that ends in an error counts as failed in INFO commandstats, as Redis counts it on unblock.</summary>
    static void CountFailedCall(RedisServer server, Client c)
    {
        var cmd = server.Commands.Find(c.LastCommand);
        if (cmd is not null) cmd.Stats[ThreadSlot.Current].FailedCalls++;
    }

    /// <summary>Forgets a client that disconnected while blocked.</summary>
    public void OnClientClosed(Client c)
    {
        if (!c.IsBlocked) return;
        lock (gate)
        {
            if (byClient.TryGetValue(c.Id, out var b) && !b.Done) Finish(b);
        }
    }

    /// <summary>Removes a client from every queue it waits in; registry lock held.</summary>
    void Finish(BlockedClient b)
    {
        b.Done = true;
        foreach (var (key, node) in b.Queued)
        {
            var queue = node.List!;
            queue.Remove(node);
            if (queue.Count == 0) waiting.Remove(key);
        }
        b.Queued.Clear();
        byClient.Remove(b.Client.Id);
        blockedCount--;
    }
}
