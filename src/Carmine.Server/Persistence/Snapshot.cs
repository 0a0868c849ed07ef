using Carmine.Server.Keyspace;

namespace Carmine.Server.Persistence;

/// <summary>
/// A snapshot shard's place: empty until the shard is captured, then the shard's keys as they were when the
/// snapshot started. Written and read under the shard's lock.
/// </summary>
public sealed class SnapshotSlot(Snapshot owner)
{
    internal readonly Snapshot Owner = owner;
    internal IEnumerable<KeyImage>? Image;
}

/// <summary>
/// A point-in-time view of the whole keyspace without fork and without a stop-the-world copy (docs/snapshots.md):
/// <see cref="Start"/> only marks every shard pending under the all-locks moment; <see cref="WriteRdb"/> then walks
/// the shards, copying each under its lock and serializing outside it, while a write that reaches a shard still
/// pending first copies it (<see cref="Shard.BeforeWrite"/>). The RDB produced is the dataset at the start.
/// BGSAVE, a replica's full resync and an AOF rewrite base all use it; several may run at once.
/// </summary>
public sealed class Snapshot : IDisposable
{
    readonly Keyspace.Keyspace keyspace;
    readonly SnapshotSlot[][] slots;
    readonly long[] keyCounts;
    readonly long[] volatileCounts;
    volatile bool finished;

    Snapshot(Keyspace.Keyspace keyspace)
    {
        this.keyspace = keyspace;
        slots = new SnapshotSlot[keyspace.Count][];
        keyCounts = new long[keyspace.Count];
        volatileCounts = new long[keyspace.Count];
        StartedAtMs = Clock.NowMs();
        for (int d = 0; d < keyspace.Count; d++)
        {
            var shards = keyspace[d].Shards;
            slots[d] = new SnapshotSlot[shards.Count];
            for (int i = 0; i < shards.Count; i++)
            {
                var shard = shards[i];
                keyCounts[d] += shard.Table.Count;
                volatileCounts[d] += shard.Volatile.Count;
                var slot = new SnapshotSlot(this);
                slots[d][i] = slot;
                // Slots of snapshots that ended before reaching the shard are dropped here.
                shard.PendingSnapshots?.RemoveAll(s => s.Owner.finished);
                (shard.PendingSnapshots ??= []).Add(slot);
            }
        }
    }

    /// <summary>
    /// Starts a snapshot of the dataset as of now. <paramref name="atCapturePoint"/> runs inside the same all-locks
    /// moment, so state recorded there (the dirty counter, a replication offset) matches the snapshot exactly.
    /// </summary>
    public static Snapshot Start(Keyspace.Keyspace keyspace, Action? atCapturePoint = null)
    {
        keyspace.LockAll();
        try
        {
            var snapshot = new Snapshot(keyspace);
            try
            {
                atCapturePoint?.Invoke();
            }
            catch
            {
                snapshot.Dispose();
                throw;
            }
            return snapshot;
        }
        finally
        {
            keyspace.UnlockAll();
        }
    }

    /// <summary>When the snapshot was taken, in Unix milliseconds.</summary>
    public long StartedAtMs { get; }

    /// <summary>Keys in the snapshot, logically expired ones included.</summary>
    public long KeyCount => keyCounts.Sum();

    /// <summary>
    /// Writes the snapshot as an RDB file to <paramref name="output"/> on the calling thread; call it once. A cancelled
    /// write throws <see cref="OperationCanceledException"/> soon, even while it waits for a shard lock the canceller
    /// holds (FLUSHALL abandons a BGSAVE with every lock held).
    /// </summary>
    public void WriteRdb(Stream output, RdbWriteOptions options, CancellationToken cancel = default)
    {
        try
        {
            RdbFile.Write(output, Sections(cancel), options);
        }
        finally
        {
            Dispose();
        }
    }

    /// <summary>Ends the snapshot: shards it has not reached stop waiting for it, so writers pay nothing more.</summary>
    public void Dispose() => finished = true;

    IEnumerable<DbSection> Sections(CancellationToken cancel)
    {
        for (int d = 0; d < slots.Length; d++)
            if (keyCounts[d] > 0) yield return new DbSection(d, keyCounts[d], volatileCounts[d], Keys(d, cancel));
    }

    IEnumerable<KeyImage> Keys(int db, CancellationToken cancel)
    {
        for (int i = 0; i < slots[db].Length; i++)
        {
            cancel.ThrowIfCancellationRequested();
            foreach (var k in Take(keyspace[db].Shards[i], slots[db][i], cancel))
                yield return k;
        }
    }

    /// <summary>The shard's image: captured now under its lock unless a write captured it already.</summary>
    static IEnumerable<KeyImage> Take(Shard shard, SnapshotSlot slot, CancellationToken cancel)
    {
        while (!Monitor.TryEnter(shard.Lock, 5)) cancel.ThrowIfCancellationRequested();
        try
        {
            if (slot.Image is null) Capture(shard, detached: false);
            var image = slot.Image!;
            // The slot lets go so the copy can be collected once it is written.
            slot.Image = [];
            return image;
        }
        finally
        {
            Monitor.Exit(shard.Lock);
        }
    }

    /// <summary>
    /// Gives every snapshot waiting for the shard its contents as they are now, and stops it waiting; the caller
    /// holds the shard's lock. One copy serves them all. A <paramref name="detached"/> table is leaving the keyspace
    /// (FLUSHALL) and is kept as it is, without a copy.
    /// </summary>
    internal static void Capture(Shard shard, bool detached)
    {
        var waiting = shard.PendingSnapshots!;
        shard.PendingSnapshots = null;
        IEnumerable<KeyImage>? image = null;
        foreach (var slot in waiting)
        {
            if (slot.Owner.finished) continue;
            image ??= detached ? Live(shard.Table) : Copy(shard.Table);
            slot.Image = image;
        }
    }

    static List<KeyImage> Copy(KeyTable table)
    {
        var keys = new List<KeyImage>(table.Count);
        foreach (var e in table.Entries()) keys.Add(new KeyImage(e.Key, RdbFile.CopyValue(e.Value), e.ExpireAt));
        return keys;
    }

    static IEnumerable<KeyImage> Live(KeyTable table)
    {
        foreach (var e in table.Entries()) yield return new KeyImage(e.Key, e.Value, e.ExpireAt);
    }
}
