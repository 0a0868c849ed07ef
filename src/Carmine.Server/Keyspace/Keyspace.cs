namespace Carmine.Server.Keyspace;

/// <summary>
/// All databases and the rules that cut across them: lazy and active expiry, and the lock order
/// (database index, then shard index) that every multi-shard operation follows.
/// </summary>
public sealed class Keyspace
{
    readonly Database[] databases;

    /// <summary>Raised, under the shard's lock, when a key is deleted because its time ran out.</summary>
    public event Action<Database, byte[]>? KeyExpired;

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

    public Keyspace(int count, int shardsPerDb)
    {
        databases = new Database[count];
        for (int i = 0; i < count; i++) databases[i] = new Database(this, i, shardsPerDb);
    }

    public int Count => databases.Length;

    /// <summary>How keys' access data is kept (LRU clock or LFU counter), after maxmemory-policy.</summary>
    public KeyAccess Access { get; } = new();

    public Database this[int index] => databases[index];

    public IReadOnlyList<Database> Databases => databases;

    /// <summary>Deletes an expired entry (the caller holds its shard's lock); true if it is gone from the caller's view.</summary>
    internal bool ExpireIfNeeded(Database db, Shard shard, Entry e)
    {
        if (!DeleteExpired) return true;
        shard.BeforeWrite(e.Hash);
        shard.Table.Remove(e);
        shard.RemoveVolatile(e);
        KeyExpired?.Invoke(db, e.Key);
        return true;
    }

    /// <summary>Takes every shard lock of every database, in the global order: the whole server becomes exclusive.</summary>
    public void LockAll()
    {
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
