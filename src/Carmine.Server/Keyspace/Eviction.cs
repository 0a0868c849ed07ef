using System.Diagnostics;
using Carmine.Server.Commands;
using Carmine.Server.Config;

namespace Carmine.Server.Keyspace;

/// <summary>What <see cref="Eviction.Perform"/> found: memory within the limit, still being freed in the background, or over the limit with nothing left to evict.</summary>
public enum EvictionResult { Ok, Running, Fail }

/// <summary>
/// maxmemory: before a command, when used memory is over the limit, deletes keys chosen by maxmemory-policy until
/// the excess is freed or the time maxmemory-eviction-tenacity allows has passed (a background pass then carries
/// on). LRU, LFU and TTL policies keep Redis's pool of the 16 best candidates, refilled with maxmemory-samples keys
/// drawn from every database; the random policies take a random key, visiting the databases in turn. Only one thread
/// evicts at a time; a candidate is checked and deleted under its shard's lock.
/// </summary>
public sealed class Eviction
{
    [Flags]
    enum Policy { NoEviction = 0, AllKeys = 1, Lru = 2, Lfu = 4, Ttl = 8, Random = 16 }

    const int PoolSize = 16;

    /// <summary>A candidate: higher <see cref="Score"/> is evicted first (idle time, inverted frequency or inverted expiry).</summary>
    struct Candidate
    {
        public ulong Score;
        public Entry? Entry;
        public int Db;
    }

    readonly Keyspace keyspace;
    readonly Func<long> usedMemory;
    readonly Func<bool> safeToEvict;
    readonly Action<string, long> latency;
    readonly Candidate[] pool = new Candidate[PoolSize];
    readonly object gate = new();
    volatile Policy policy;
    volatile int samples = 5;
    volatile int tenacity = 10;
    long limit;
    int nextDb;
    volatile bool backgroundRunning;
    // Time spent over the limit (INFO total_eviction_exceeded_time / current_eviction_exceeded_time).
    long exceededSinceUs, exceededTotalUs;

    /// <param name="usedMemory">used_memory as maxmemory counts it.</param>
    /// <param name="safeToEvict">False while keys must not change on their own (clients paused, a busy script).</param>
    /// <param name="latency">Records a latency event (LATENCY's eviction-cycle) in milliseconds.</param>
    public Eviction(Keyspace keyspace, Func<long> usedMemory, Func<bool> safeToEvict, Action<string, long> latency)
    {
        this.keyspace = keyspace;
        this.usedMemory = usedMemory;
        this.safeToEvict = safeToEvict;
        this.latency = latency;
    }

    /// <summary>maxmemory in bytes; 0 for no limit.</summary>
    public long Limit => Volatile.Read(ref limit);

    public long ExceededTotalMs
    {
        get
        {
            long since = Volatile.Read(ref exceededSinceUs);
            return (Volatile.Read(ref exceededTotalUs) + (since == 0 ? 0 : Clock.MonotonicUs() - since)) / 1000;
        }
    }

    public long ExceededCurrentMs
    {
        get
        {
            long since = Volatile.Read(ref exceededSinceUs);
            return since == 0 ? 0 : (Clock.MonotonicUs() - since) / 1000;
        }
    }

    /// <summary>CONFIG RESETSTAT: the time spent over the limit starts again from zero.</summary>
    public void ResetStats()
    {
        lock (gate)
        {
            exceededTotalUs = 0;
            Volatile.Write(ref exceededSinceUs, 0);
        }
    }

    /// <summary>Reads the maxmemory directives now and on every CONFIG SET; a new limit starts a background pass, as in Redis.</summary>
    public void Follow(ServerConfig config)
    {
        Read(config);
        config.Changed += name =>
        {
            if (name is not ("maxmemory" or "maxmemory-policy" or "maxmemory-samples" or "maxmemory-eviction-tenacity")) return;
            Read(config);
            if (name != "maxmemory" || Limit == 0) return;
            long used = usedMemory();
            if (used > Limit)
                Log.Warning($"WARNING: the new maxmemory value set via CONFIG SET ({Limit}) is smaller than the current memory usage ({used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.");
            StartBackground();
        };
    }

    void Read(ServerConfig config)
    {
        // An unsigned directive: values past long.MaxValue read negative and mean no practical limit.
        long max = config.GetLong("maxmemory");
        Volatile.Write(ref limit, max < 0 ? long.MaxValue : max);
        samples = config.GetInt("maxmemory-samples");
        tenacity = config.GetInt("maxmemory-eviction-tenacity");
        policy = config.GetString("maxmemory-policy") switch
        {
            "allkeys-lru" => Policy.AllKeys | Policy.Lru,
            "allkeys-lfu" => Policy.AllKeys | Policy.Lfu,
            "allkeys-random" => Policy.AllKeys | Policy.Random,
            "volatile-lru" => Policy.Lru,
            "volatile-lfu" => Policy.Lfu,
            "volatile-random" => Policy.Random,
            "volatile-ttl" => Policy.Ttl,
            _ => Policy.NoEviction,
        };
        lock (gate) Array.Clear(pool);
    }

    /// <summary>
    /// Brings used memory back under maxmemory if it is over: Ok when it is (or eviction must not run now), Running
    /// when keys were evicted but a background pass goes on, Fail when over the limit with nothing left to evict
    /// (commands that add data are then refused with -OOM).
    /// </summary>
    public EvictionResult Perform()
    {
        if (!safeToEvict()) return EvictionResult.Ok;
        var result = PerformCore();
        UpdateExceededTime(result);
        return result;
    }

    EvictionResult PerformCore()
    {
        long max = Limit;
        if (max == 0 || usedMemory() <= max) return EvictionResult.Ok;
        var p = policy;
        if (p == Policy.NoEviction) return EvictionResult.Fail;
        lock (gate)
        {
            long toFree = usedMemory() - max;
            long start = Stopwatch.GetTimestamp();
            long limitUs = TimeLimitUs(tenacity);
            long freed = 0;
            int keysFreed = 0;
            bool exhausted = false;
            while (freed < toFree)
            {
                long size = (p & Policy.Random) != 0 ? EvictRandom(p) : EvictFromPool(p);
                if (size < 0)
                {
                    exhausted = true;
                    break;
                }
                freed += size;
                keysFreed++;
                // Past the time allowed, a background pass finishes the work so this command is not held up longer.
                if (keysFreed % 16 == 0 && Stopwatch.GetElapsedTime(start).TotalMicroseconds > limitUs)
                {
                    StartBackground();
                    break;
                }
            }
            latency("eviction-cycle", (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            return exhausted ? EvictionResult.Fail : backgroundRunning ? EvictionResult.Running : EvictionResult.Ok;
        }
    }

    /// <summary>maxmemory-eviction-tenacity as a time budget: 0..500 µs up to 10, then 15% more per step, unlimited at 100.</summary>
    static long TimeLimitUs(int tenacity) => tenacity switch
    {
        <= 10 => 50L * tenacity,
        < 100 => (long)(500.0 * Math.Pow(1.15, tenacity - 10.0)),
        _ => long.MaxValue,
    };

    void StartBackground()
    {
        lock (gate)
        {
            if (backgroundRunning) return;
            backgroundRunning = true;
        }
        ThreadPool.UnsafeQueueUserWorkItem(_ =>
        {
            try
            {
                while (Perform() == EvictionResult.Running) Thread.Yield();
            }
            catch (Exception ex)
            {
                Log.Warning("Background eviction failed: " + ex);
            }
            finally
            {
                backgroundRunning = false;
            }
        }, null);
    }

    void UpdateExceededTime(EvictionResult result)
    {
        if (result == EvictionResult.Ok)
        {
            if (Volatile.Read(ref exceededSinceUs) == 0) return;
            lock (gate)
            {
                if (exceededSinceUs == 0) return;
                exceededTotalUs += Clock.MonotonicUs() - exceededSinceUs;
                Volatile.Write(ref exceededSinceUs, 0);
            }
        }
        else if (Volatile.Read(ref exceededSinceUs) == 0)
        {
            lock (gate)
                if (exceededSinceUs == 0) Volatile.Write(ref exceededSinceUs, Clock.MonotonicUs());
        }
    }

    /// <summary>Evicts the best candidate of the pool, refilling it from every database until one is still there; -1 if no key qualifies.</summary>
    long EvictFromPool(Policy p)
    {
        bool allKeys = (p & Policy.AllKeys) != 0;
        while (true)
        {
            long total = 0;
            for (int i = 0; i < keyspace.Count; i++)
            {
                var db = keyspace[i];
                long keys = allKeys ? db.Count : db.VolatileCount;
                if (keys == 0) continue;
                Populate(db, p);
                total += keys;
            }
            if (total == 0) return -1;
            for (int k = PoolSize - 1; k >= 0; k--)
            {
                var candidate = pool[k];
                if (candidate.Entry is null) continue;
                pool[k] = default;
                long freed = TryEvict(keyspace[candidate.Db], candidate.Entry, allKeys);
                if (freed >= 0) return freed;
            }
        }
    }

    /// <summary>
    /// Draws maxmemory-samples keys of a database (those with an expiry for volatile policies) into the pool; a
    /// database with no more keys than that offers all of them, as Redis's sampling of a small dictionary does.
    /// </summary>
    void Populate(Database db, Policy p)
    {
        bool allKeys = (p & Policy.AllKeys) != 0;
        var random = Random.Shared;
        long now = Clock.NowMs();
        int n = samples;
        if ((allKeys ? db.Count : db.VolatileCount) <= n)
        {
            PopulateAll(db, p, now);
            return;
        }
        for (int j = 0; j < n; j++)
        {
            var shard = PickShard(db, allKeys, random);
            if (shard is null) return;
            Entry? e;
            ulong score;
            lock (shard.Lock)
            {
                e = allKeys ? shard.Table.RandomEntry(random)
                    : shard.Volatile.Count > 0 ? shard.Volatile[random.Next(shard.Volatile.Count)] : null;
                if (e is null) continue;
                score = Score(e, p, now);
            }
            Insert(score, e, db.Index);
        }
    }

    void PopulateAll(Database db, Policy p, long now)
    {
        bool allKeys = (p & Policy.AllKeys) != 0;
        var found = new List<(ulong Score, Entry Entry)>();
        foreach (var shard in db.Shards)
        {
            lock (shard.Lock)
            {
                if (allKeys)
                    foreach (var e in shard.Table.Entries()) found.Add((Score(e, p, now), e));
                else
                    foreach (var e in shard.Volatile) found.Add((Score(e, p, now), e));
            }
        }
        foreach (var (score, e) in found) Insert(score, e, db.Index);
    }

    ulong Score(Entry e, Policy p, long now)
    {
        if ((p & Policy.Lru) != 0) return (ulong)LruClock.IdleSeconds(e.Lru);
        if ((p & Policy.Lfu) != 0) return 255 - keyspace.Access.Frequency(e.Lru, now);
        return ulong.MaxValue - (ulong)e.ExpireAt;
    }

    /// <summary>Puts a candidate in the pool, kept in ascending order of score; when full, the worst one makes room.</summary>
    void Insert(ulong score, Entry e, int db)
    {
        int k = 0;
        while (k < PoolSize && pool[k].Entry is not null && pool[k].Score < score) k++;
        if (k == 0 && pool[PoolSize - 1].Entry is not null) return;
        if (k == PoolSize || pool[k].Entry is not null)
        {
            if (pool[PoolSize - 1].Entry is null) Array.Copy(pool, k, pool, k + 1, PoolSize - k - 1);
            else
            {
                // Full: drop the worst candidate on the left.
                k--;
                Array.Copy(pool, 1, pool, 0, k);
            }
        }
        pool[k] = new Candidate { Score = score, Entry = e, Db = db };
    }

    /// <summary>allkeys-random / volatile-random: a random key of the next database that has one.</summary>
    long EvictRandom(Policy p)
    {
        bool allKeys = (p & Policy.AllKeys) != 0;
        var random = Random.Shared;
        for (int i = 0; i < keyspace.Count; i++)
        {
            nextDb = (nextDb + 1) % keyspace.Count;
            var db = keyspace[nextDb];
            while ((allKeys ? db.Count : db.VolatileCount) > 0)
            {
                var shard = PickShard(db, allKeys, random);
                if (shard is null) break;
                Entry? e;
                lock (shard.Lock)
                {
                    e = allKeys ? shard.Table.RandomEntry(random)
                        : shard.Volatile.Count > 0 ? shard.Volatile[random.Next(shard.Volatile.Count)] : null;
                }
                if (e is null) continue;
                long freed = TryEvict(db, e, allKeys);
                if (freed >= 0) return freed;
            }
        }
        return -1;
    }

    /// <summary>A shard of the database chosen with probability proportional to its keys (with an expiry, for volatile policies).</summary>
    static Shard? PickShard(Database db, bool allKeys, Random random)
    {
        var shards = db.Shards;
        long total = 0;
        foreach (var s in shards) total += allKeys ? s.Table.Count : s.Volatile.Count;
        if (total == 0) return null;
        long pick = random.NextInt64(total);
        foreach (var s in shards)
        {
            long n = allKeys ? s.Table.Count : s.Volatile.Count;
            if (pick < n) return s;
            pick -= n;
        }
        return shards[^1];
    }

    /// <summary>Deletes the candidate if it is still in the database (and still volatile, for volatile policies); the bytes freed, or -1.</summary>
    static long TryEvict(Database db, Entry e, bool allKeys)
    {
        var shard = db.ShardOf(e.Key);
        lock (shard.Lock)
        {
            if (!ReferenceEquals(shard.Table.Find(e.Key, e.Hash), e) || (!allKeys && e.ExpireAt == 0)) return -1;
            return db.Evict(e);
        }
    }
}
