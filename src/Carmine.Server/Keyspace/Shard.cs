using System.Runtime.CompilerServices;
using Carmine.Server.Persistence;

namespace Carmine.Server.Keyspace;

/// <summary>
/// A stripe of one database: its own lock, hash table and list of keys with an expiry. A command holds
/// the locks of the shards its keys fall in, so commands on different shards run in parallel.
/// </summary>
public sealed class Shard
{
    public readonly object Lock = new();
    public KeyTable Table = new();
    /// <summary>The entries that have an expiry, for active expiry's random sampling.</summary>
    public List<Entry> Volatile = [];
    /// <summary>The sum of the <see cref="Entry.Size"/> of the keys in this shard: its part of used_memory.</summary>
    public long UsedBytes;
    /// <summary>The bytes keys in this shard grew by, never decreasing: what the cron's young collections follow (<see cref="Keyspace.CollectYoungIfGrown"/>).</summary>
    public long GrownBytes;

    /// <summary>Snapshots that still need this shard as it was when they started (docs/snapshots.md); guarded by <see cref="Lock"/>.</summary>
    internal List<SnapshotSlot>? PendingSnapshots;

    /// <summary>
    /// Called with the lock held before the key with this hash changes: a snapshot still waiting for the key's
    /// segment of the shard first takes a copy of that segment. Outside a snapshot this is one field read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void BeforeWrite(uint hash)
    {
        if (PendingSnapshots is not null) Snapshot.Capture(this, hash);
    }

    /// <inheritdoc cref="BeforeWrite(uint)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void BeforeWrite(ReadOnlySpan<byte> key)
    {
        if (PendingSnapshots is not null) Snapshot.Capture(this, KeyHash.Hash(key));
    }

    public void AddVolatile(Entry e)
    {
        if (e.VolatileIndex >= 0) return;
        e.VolatileIndex = Volatile.Count;
        Volatile.Add(e);
    }

    public void RemoveVolatile(Entry e)
    {
        int i = e.VolatileIndex;
        if (i < 0) return;
        int last = Volatile.Count - 1;
        var moved = Volatile[last];
        Volatile[i] = moved;
        moved.VolatileIndex = i;
        Volatile.RemoveAt(last);
        e.VolatileIndex = -1;
    }

    /// <summary>Exchanges contents with another shard (SWAPDB); both locks must be held.</summary>
    public void SwapContents(Shard other)
    {
        if (PendingSnapshots is not null) Snapshot.CaptureAll(this, detached: false);
        if (other.PendingSnapshots is not null) Snapshot.CaptureAll(other, detached: false);
        (Table, other.Table) = (other.Table, Table);
        (Volatile, other.Volatile) = (other.Volatile, Volatile);
        (UsedBytes, other.UsedBytes) = (other.UsedBytes, UsedBytes);
    }

    public void Clear()
    {
        // The old table leaves the keyspace and never changes again: a waiting snapshot can keep it as it is.
        if (PendingSnapshots is not null) Snapshot.CaptureAll(this, detached: true);
        Table = new KeyTable();
        Volatile = [];
        UsedBytes = 0;
    }

    /// <summary>Charges a key its current size (after it was added or its value changed).</summary>
    /// <summary>
    /// After a write to the key: charges its new size unless its value is an immutable string, which was charged when
    /// it was stored. The caller holds the lock.
    /// </summary>
    public void ChargeInPlace(ReadOnlySpan<byte> key, uint hash)
    {
        if (Table.Find(key, hash) is { } e && e.Value is not byte[]) Charge(e);
    }

    public void Charge(Entry e)
    {
        int size = KeySize.Of(e);
        UsedBytes += size - e.Size;
        if (size > e.Size) GrownBytes += size - e.Size;
        e.Size = size;
    }

    /// <summary>Takes a removed key's size off the shard.</summary>
    public void Release(Entry e)
    {
        UsedBytes -= e.Size;
        e.Size = 0;
    }

    /// <summary>Adds to (or takes from) a key's size without measuring its value again (its expires entry came or went).</summary>
    public void Adjust(Entry e, int delta)
    {
        e.Size += delta;
        UsedBytes += delta;
        if (delta > 0) GrownBytes += delta;
    }
}
