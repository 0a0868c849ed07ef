namespace Carmine.Server.Keyspace;

/// <summary>
/// All databases and the rules that cut across them: lazy and active expiry, and the lock order
/// (database index, then shard index) that every multi-shard operation follows.
/// </summary>
public sealed class Keyspace
{
    readonly Database[] databases;

    /// <summary>
    /// Called when a bulk load ends (an RDB or AOF loaded, DEBUG POPULATE): its entries were created young, and young
    /// collections would later move them to the oldest generation while clients wait. One full compacting collection
    /// does it at once, while the server is still loading (docs/memory.md).
    /// </summary>
    public static void SettleAfterBulkLoad() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);

    /// <summary>Keys may grow by this many bytes of young objects before the cron promotes them (docs/memory.md).</summary>
    const long YoungGrowthPerCollection = 1024 * 1024;
    long grownAtLastCollection;
    int gen1CountAtLastCollection;

    /// <summary>
    /// Called by the cron: new keys and new elements are young objects referenced from old ones, and the runtime's
    /// own budgets let many megabytes of them gather before one collection promotes them all, a pause of hundreds of
    /// milliseconds on a large keyspace. Once the keys grew by <see cref="YoungGrowthPerCollection"/> since the last
    /// generation-1 collection, a short one runs now instead. Returns true when it collected.
    /// </summary>
    public bool CollectYoungIfGrown()
    {
        long grown = 0, keys = 0;
        foreach (var db in databases)
        {
            grown += db.GrownBytes;
            keys += db.Count;
        }
        StoredBytes.FollowKeyCount(keys);
        int gen1 = GC.CollectionCount(1);
        if (gen1 != gen1CountAtLastCollection)
        {
            gen1CountAtLastCollection = gen1;
            grownAtLastCollection = grown;
            return false;
        }
        if (grown - grownAtLastCollection < YoungGrowthPerCollection) return false;
        GC.Collect(1, GCCollectionMode.Forced, blocking: true, compacting: false);
        gen1CountAtLastCollection = GC.CollectionCount(1);
        grownAtLastCollection = grown;
        return true;
    }

    /// <summary>Raised, under the shard's lock, when a key is deleted because its time ran out.</summary>
    public event Action<Database, byte[]>? KeyExpired;

    /// <summary>
    /// Called, under the shard's lock, when maxmemory eviction deleted a key (<see cref="Database.Evict"/>): the hook for
    /// the evicted notification, WATCH, client tracking and the DEL that replicas and the AOF must see.
    /// </summary>
    public Action<Database, byte[]>? KeyEvicted;

    /// <summary>
    /// Called, under the key's shard lock, when a key is created or overwritten with an aggregate value (list, zset,
    /// stream ...): clients blocked on that key may now be served. Also when a stream is deleted or overwritten, as
    /// clients blocked in XREADGROUP on it must then get an error.
    /// </summary>
    public Action<Database, byte[]>? AggregateKeyAdded;

    /// <summary>
    /// Called when a database is emptied (FLUSHDB, FLUSHALL): clients blocked in XREADGROUP on its streams must
    /// learn they are gone.
    /// </summary>
    public Action<Database>? ContentsReplaced;

    /// <summary>When false, expired keys are still reported absent but stay in memory (a replica waits for its master's DEL).</summary>
    public bool DeleteExpired { get; set; } = true;

    /// <summary>
    /// While an AOF is replayed nothing expires, as in Redis: a key whose time ran out still takes the commands that
    /// follow it in the file and is expired once loading is over.
    /// </summary>
    public bool IgnoreExpiry { get; set; }

    public Keyspace(int count, int shardsPerDb)
    {
        databases = new Database[count];
        for (int i = 0; i < count; i++) databases[i] = new Database(this, i, shardsPerDb);
    }

    public int Count => databases.Length;

    /// <summary>How keys' access data is kept (LRU clock or LFU counter), after maxmemory-policy.</summary>
    public KeyAccess Access { get; } = new();

    public Database this[int index] => databases[index];

    /// <summary>Bytes charged for every key of every database: the dataset part of used_memory.</summary>
    public long UsedBytes
    {
        get
        {
            long n = 0;
            foreach (var db in databases) n += db.UsedBytes;
            return n;
        }
    }

    public IReadOnlyList<Database> Databases => databases;

    /// <summary>Deletes an expired entry (the caller holds its shard's lock); true if it is gone from the caller's view.</summary>
    internal bool ExpireIfNeeded(Database db, Shard shard, Entry e)
    {
        if (!DeleteExpired) return true;
        shard.BeforeWrite(e.Hash);
        shard.Table.Remove(e);
        shard.RemoveVolatile(e);
        shard.Release(e);
        KeyExpired?.Invoke(db, e.Key);
        return true;
    }

    /// <summary>
    /// Held by whoever locks shards in more than one database (LockAll, scripts, EXEC across databases): with it,
    /// such lockers never wait for each other in opposite orders, and every other locker stays within one database.
    /// </summary>
    public object ExclusiveGate { get; } = new();

    /// <summary>Takes every shard lock of every database, in the global order: the whole server becomes exclusive.</summary>
    public void LockAll()
    {
        Monitor.Enter(ExclusiveGate);
        foreach (var db in databases)
            foreach (var s in db.Shards)
                Monitor.Enter(s.Lock);
    }

    public void UnlockAll()
    {
        for (int d = databases.Length - 1; d >= 0; d--)
        {
            var shards = databases[d].Shards;
            for (int i = shards.Count - 1; i >= 0; i--) Monitor.Exit(shards[i].Lock);
        }
        Monitor.Exit(ExclusiveGate);
    }

    /// <summary>Every shard lock of one database (the caller holds <see cref="ExclusiveGate"/>).</summary>
    public void LockDatabase(int index)
    {
        foreach (var s in databases[index].Shards) Monitor.Enter(s.Lock);
    }

    public void UnlockDatabase(int index)
    {
        var shards = databases[index].Shards;
        for (int i = shards.Count - 1; i >= 0; i--) Monitor.Exit(shards[i].Lock);
    }

    /// <summary>
    /// One round of active expiry over every database: samples keys with an expiry and deletes the expired
    /// ones, repeating on a shard while more than a quarter of a sample had expired, within a time budget.
    /// </summary>
    public long ActiveExpireCycle(long budgetUs)
    {
        long start = Clock.MonotonicUs();
        long expired = 0;
        var random = Random.Shared;
        foreach (var db in databases)
        {
            foreach (var shard in db.Shards)
            {
                if (shard.Volatile.Count == 0) continue;
                while (true)
                {
                    int sampled = 0, hits = 0;
                    lock (shard.Lock)
                    {
                        long now = Clock.NowMs();
                        int n = Math.Min(20, shard.Volatile.Count);
                        for (int i = 0; i < n && shard.Volatile.Count > 0; i++)
                        {
                            var e = shard.Volatile[random.Next(shard.Volatile.Count)];
                            sampled++;
                            if (e.ExpireAt <= now && DeleteExpired)
                            {
                                ExpireIfNeeded(db, shard, e);
                                hits++;
                            }
                        }
                    }
                    expired += hits;
                    if (sampled == 0 || hits * 4 <= sampled) break;
                    if (Clock.MonotonicUs() - start > budgetUs) return expired;
                }
            }
        }
        return expired;
    }
}
