using System.Runtime.CompilerServices;

namespace Carmine.Server.Keyspace;

/// <summary>
/// One of the numbered databases (SELECT n): a fixed set of shards. Every method expects the caller to hold
/// the lock of the shard the key falls in (see <see cref="Keyspace"/>'s locking helpers).
/// </summary>
public sealed class Database
{
    readonly Shard[] shards;
    readonly int mask;
    readonly Keyspace owner;

    public int Index { get; }

    public Database(Keyspace owner, int index, int shardCount)
    {
        this.owner = owner;
        Index = index;
        shards = new Shard[shardCount];
        for (int i = 0; i < shardCount; i++) shards[i] = new Shard();
        mask = shardCount - 1;
    }

    public IReadOnlyList<Shard> Shards => shards;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ShardIndex(uint hash) => (int)((hash * 0x9E3779B1u) >> 24) & mask;

    public Shard ShardOf(ReadOnlySpan<byte> key) => shards[ShardIndex(KeyHash.Hash(key))];

    /// <summary>Keys in this database; exact when no write is in progress.</summary>
    public long Count
    {
        get
        {
            long n = 0;
            foreach (var s in shards) n += s.Table.Count;
            return n;
        }
    }

    public long VolatileCount
    {
        get
        {
            long n = 0;
            foreach (var s in shards) n += s.Volatile.Count;
            return n;
        }
    }

    /// <summary>Called, with the key's shard lock held, before a command changes the key (see <see cref="Shard.BeforeWrite(uint)"/>).</summary>
    public void BeforeWrite(ReadOnlySpan<byte> key)
    {
        // Outside a snapshot this is one read, as Shard.BeforeWrite is: the key is not hashed a second time.
        if (!Persistence.Snapshot.AnyUnfinished) return;
        uint hash = KeyHash.Hash(key);
        shards[ShardIndex(hash)].BeforeWrite(hash);
    }

    /// <summary>Looks a key up; an expired key is deleted on the spot and reported absent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Entry? Find(ReadOnlySpan<byte> key, long nowMs)
    {
        uint hash = KeyHash.Hash(key);
        var shard = shards[ShardIndex(hash)];
        var e = shard.Table.Find(key, hash);
        if (e is null) return null;
        if (e.ExpireAt != 0 && e.ExpireAt <= nowMs && !owner.IgnoreExpiry && owner.ExpireIfNeeded(this, shard, e)) return null;
        return e;
    }

    /// <summary>Adds a new key (the caller checked it is absent); the entry keeps its own copy of the name.</summary>
    public Entry Add(ReadOnlySpan<byte> key, object value)
    {
        uint hash = KeyHash.Hash(key);
        var e = new Entry(StoredBytes.Copy(key), hash, value) { Lru = owner.Access.Initial(Clock.NowMs()) };
        var shard = shards[ShardIndex(hash)];
        shard.BeforeWrite(hash);
        shard.Table.Add(e);
        shard.Charge(e);
        if (value is Types.IRedisObject) owner.AggregateKeyAdded?.Invoke(this, e.Key);
        return e;
    }

    /// <summary>Sets a key's value, creating it if absent; the expiry is cleared unless <paramref name="keepTtl"/>.</summary>
    public Entry Set(ReadOnlySpan<byte> key, object value, long nowMs, bool keepTtl = false)
    {
        var e = Find(key, nowMs);
        if (e is null) return Add(key, value);
        Replace(e, value);
        if (!keepTtl && e.ExpireAt != 0) RemoveExpire(e);
        return e;
    }

    /// <summary>Gives an existing key a new value, signalling waiters when it now holds an aggregate or no longer a stream.</summary>
    public void Replace(Entry e, object value)
    {
        bool wasStream = e.Value is Types.StreamValue;
        shards[ShardIndex(e.Hash)].BeforeWrite(e.Hash);
        e.Value = value;
        shards[ShardIndex(e.Hash)].Charge(e);
        if (value is Types.IRedisObject || wasStream) owner.AggregateKeyAdded?.Invoke(this, e.Key);
    }

    public bool Delete(ReadOnlySpan<byte> key, long nowMs)
    {
        var e = Find(key, nowMs);
        if (e is null) return false;
        Remove(e);
        return true;
    }

    public void Remove(Entry e)
    {
        var shard = shards[ShardIndex(e.Hash)];
        shard.BeforeWrite(e.Hash);
        shard.Table.Remove(e);
        shard.RemoveVolatile(e);
        shard.Release(e);
        e.ExpireAt = 0;
        if (e.Value is Types.StreamValue) owner.AggregateKeyAdded?.Invoke(this, e.Key);
    }

    /// <summary>
    /// Deletes a key chosen by maxmemory eviction (the caller holds its shard's lock) and raises
    /// <see cref="Keyspace.KeyEvicted"/>: the one place where eviction deletes, for notifications and propagation.
    /// Returns the bytes it freed.
    /// </summary>
    public long Evict(Entry e)
    {
        long freed = e.Size;
        Remove(e);
        owner.KeyEvicted?.Invoke(this, e.Key);
        return freed;
    }

    /// <summary>Charges a key its size again after a command changed its value in place (LPUSH, APPEND ...).</summary>
    public void Remeasure(ReadOnlySpan<byte> key)
    {
        uint hash = KeyHash.Hash(key);
        var shard = shards[ShardIndex(hash)];
        lock (shard.Lock)
            if (shard.Table.Find(key, hash) is { } e) shard.Charge(e);
    }

    /// <summary>Bytes the keys of this database are charged (an estimate; exact when no write is in progress).</summary>
    /// <summary>The sum of the shards' <see cref="Shard.GrownBytes"/>.</summary>
    public long GrownBytes
    {
        get
        {
            long n = 0;
            foreach (var s in shards) n += Volatile.Read(ref s.GrownBytes);
            return n;
        }
    }

    public long UsedBytes
    {
        get
        {
            long n = 0;
            foreach (var s in shards) n += Volatile.Read(ref s.UsedBytes);
            return n;
        }
    }

    public void SetExpire(Entry e, long atMs)
    {
        var shard = shards[ShardIndex(e.Hash)];
        shard.BeforeWrite(e.Hash);
        if (e.ExpireAt == 0) shard.Adjust(e, KeySize.ExpiresEntry);
        e.ExpireAt = atMs;
        shard.AddVolatile(e);
    }

    public void RemoveExpire(Entry e)
    {
        var shard = shards[ShardIndex(e.Hash)];
        shard.BeforeWrite(e.Hash);
        if (e.ExpireAt != 0) shard.Adjust(e, -KeySize.ExpiresEntry);
        e.ExpireAt = 0;
        shard.RemoveVolatile(e);
    }

    /// <summary>Empties the database; all its shard locks must be held.</summary>
    public void Clear()
    {
        foreach (var s in shards) s.Clear();
        owner.ContentsReplaced?.Invoke(this);
    }

    /// <summary>Exchanges contents with another database (SWAPDB); every lock of both must be held.</summary>
    public void SwapWith(Database other)
    {
        for (int i = 0; i < shards.Length; i++) shards[i].SwapContents(other.shards[i]);
    }

    /// <summary>
    /// A random live key, or null when empty; takes the shard locks itself. An expired key drawn is deleted and
    /// another drawn. Where expired keys stay (a replica) and every key is volatile, one may be returned after
    /// 100 draws, as Redis does, rather than looping forever.
    /// </summary>
    public Entry? RandomEntry(long nowMs)
    {
        var random = Random.Shared;
        int expiredDraws = 0;
        while (true)
        {
            long total = Count;
            if (total == 0) return null;
            // Pick a shard weighted by its size, then a key in it.
            long pick = random.NextInt64(total);
            foreach (var shard in shards)
            {
                lock (shard.Lock)
                {
                    int n = shard.Table.Count;
                    if (pick >= n) { pick -= n; continue; }
                    var e = shard.Table.RandomEntry(random);
                    if (e is null) break;
                    if (e.ExpireAt != 0 && e.ExpireAt <= nowMs)
                    {
                        if (!owner.DeleteExpired && ++expiredDraws >= 100 && VolatileCount == Count) return e;
                        owner.ExpireIfNeeded(this, shard, e);
                        break;
                    }
                    return e;
                }
            }
        }
    }
}
