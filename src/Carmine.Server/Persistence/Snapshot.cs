using Carmine.Server.Keyspace;

namespace Carmine.Server.Persistence;

/// <summary>
/// A snapshot's place for one shard: the segments not captured yet, and the captured ones' keys as they were when
/// the snapshot started. Written and read under the shard's lock.
/// </summary>
public sealed class SnapshotSlot(Snapshot owner)
{
    internal readonly Snapshot Owner = owner;
    /// <summary>One bit per segment still to capture.</summary>
    internal ulong Pending = ulong.MaxValue;
    internal readonly IEnumerable<KeyImage>?[] Images = new IEnumerable<KeyImage>?[Snapshot.Segments];
}

/// <summary>
/// A point-in-time view of the whole keyspace without fork and without a stop-the-world copy (docs/snapshots.md):
/// <see cref="Start"/> only marks every shard pending under the all-locks moment; <see cref="WriteRdb"/> then walks
/// the shards segment by segment (keys grouped by the low bits of their hash), copying each under the shard's lock
/// and serializing outside it, while a write to a key whose segment is still pending first copies that segment
/// (<see cref="Shard.BeforeWrite(uint)"/>). The RDB produced is the dataset at the start.
/// BGSAVE, a replica's full resync and an AOF rewrite base all use it; several may run at once.
/// </summary>
public sealed class Snapshot : IDisposable
{
    /// <summary>Segments per shard: the unit a write copies, 1/64 of a shard (a pending mask is one ulong).</summary>
    internal const int Segments = 64;
    const int SegmentBits = 6;

    readonly Keyspace.Keyspace keyspace;
    readonly SnapshotSlot[][] slots;
    readonly long[] keyCounts;
    readonly long[] volatileCounts;
    readonly CopyArena arena = new();
    volatile bool finished;
    long copiedBytes;

    Snapshot(Keyspace.Keyspace keyspace)
    {
        Interlocked.Increment(ref unfinished);
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

    /// <summary>Snapshots started since start-up: INFO's total_forks, as each would have been a fork in Redis.</summary>
    public static long Started => Volatile.Read(ref started);
    static long started;

    /// <summary>
    /// Starts a snapshot of the dataset as of now. <paramref name="atCapturePoint"/> runs inside the same all-locks
    /// moment, so state recorded there (the dirty counter, a replication offset) matches the snapshot exactly.
    /// </summary>
    public static Snapshot Start(Keyspace.Keyspace keyspace, Action? atCapturePoint = null)
    {
        Interlocked.Increment(ref started);
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
    /// The estimated size (as MEMORY USAGE counts keys) of the segments that writes copied for this snapshot: the
    /// memory held twice because clients wrote during the save, what Redis reports as a fork child's copy-on-write.
    /// The saver's own copies are transient and not counted, as a child reading its pages copies nothing.
    /// </summary>
    public long CopiedBytes => Interlocked.Read(ref copiedBytes);

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
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0) Interlocked.Decrement(ref unfinished);
        finished = true;
    }

    int disposed;
    static int unfinished;

    /// <summary>Whether any snapshot is still running: when none is, writers need not look for pending segments.</summary>
    public static bool AnyUnfinished => Volatile.Read(ref unfinished) > 0;

    /// <summary>The snapshot's databases, for a writer of another format (an AOF base of commands); call once, then Dispose.</summary>
    public IEnumerable<DbSection> Sections(CancellationToken cancel)
    {
        for (int d = 0; d < slots.Length; d++)
            if (keyCounts[d] > 0) yield return new DbSection(d, keyCounts[d], volatileCounts[d], Keys(d, cancel));
    }

    IEnumerable<KeyImage> Keys(int db, CancellationToken cancel)
    {
        // The saver's own copies go through one reused list: each is written out before the next is taken.
        var scratch = new List<KeyImage>();
        for (int i = 0; i < slots[db].Length; i++)
        {
            for (int segment = 0; segment < Segments; segment++)
            {
                cancel.ThrowIfCancellationRequested();
                foreach (var k in Take(keyspace[db].Shards[i], slots[db][i], segment, scratch, cancel))
                    yield return k;
            }
        }
    }

    /// <summary>A segment's image: copied now under the shard's lock unless a write captured it already.</summary>
    static IEnumerable<KeyImage> Take(Shard shard, SnapshotSlot slot, int segment, List<KeyImage> scratch, CancellationToken cancel)
    {
        ulong bit = 1UL << segment;
        while (!Monitor.TryEnter(shard.Lock, 5)) cancel.ThrowIfCancellationRequested();
        try
        {
            if ((slot.Pending & bit) != 0)
            {
                // Another snapshot waiting for the same segment needs a copy of its own to keep.
                if (shard.PendingSnapshots!.Exists(s => s != slot && (s.Pending & bit) != 0 && !s.Owner.finished))
                    Capture(shard, (uint)segment);
                else
                {
                    scratch.Clear();
                    CopyInto(scratch, shard.Table, segment);
                    slot.Pending &= ~bit;
                    Forget(shard);
                    return scratch;
                }
            }
            var image = slot.Images[segment]!;
            // The slot lets go so the copy can be collected once it is written.
            slot.Images[segment] = null;
            return image;
        }
        finally
        {
            Monitor.Exit(shard.Lock);
        }
    }

    /// <summary>
    /// Gives every snapshot waiting for the segment of <paramref name="hash"/> its contents as they are now; the
    /// caller holds the shard's lock. One copy serves them all.
    /// </summary>
    internal static void Capture(Shard shard, uint hash)
    {
        CaptureSegment(shard, (int)(hash & (Segments - 1)), detached: false);
        Forget(shard);
    }

    /// <summary>
    /// Captures every pending segment of the shard (SWAPDB, FLUSHDB). A <paramref name="detached"/> table is leaving
    /// the keyspace and never changes again, so it is kept as it is, without a copy.
    /// </summary>
    internal static void CaptureAll(Shard shard, bool detached)
    {
        for (int segment = 0; segment < Segments; segment++) CaptureSegment(shard, segment, detached);
        Forget(shard);
    }

    static void CaptureSegment(Shard shard, int segment, bool detached)
    {
        ulong bit = 1UL << segment;
        IEnumerable<KeyImage>? image = null;
        long bytes = 0;
        foreach (var slot in shard.PendingSnapshots!)
        {
            if ((slot.Pending & bit) == 0 || slot.Owner.finished) continue;
            if (image is null)
            {
                // A detached table is kept, not copied: it costs no memory beyond what it held already.
                if (detached) image = Live(shard.Table, segment);
                else (image, bytes) = slot.Owner.arena.Copy(shard.Table, segment);
            }
            slot.Images[segment] = image;
            slot.Pending &= ~bit;
            Interlocked.Add(ref slot.Owner.copiedBytes, bytes);
        }
    }

    /// <summary>Drops the slots that wait for nothing more, and the list when it is empty: writes then cost one field read.</summary>
    static void Forget(Shard shard)
    {
        var waiting = shard.PendingSnapshots!;
        waiting.RemoveAll(s => s.Pending == 0 || s.Owner.finished);
        if (waiting.Count == 0) shard.PendingSnapshots = null;
    }

    static void CopyInto(List<KeyImage> keys, KeyTable table, int segment)
    {
        foreach (var e in table.Segment((uint)segment, SegmentBits)) keys.Add(Image(e));
    }

    static KeyImage Image(Entry e) => new(e.Key, RdbFile.CopyValue(e.Value), e.ExpireAt);

    /// <summary>
    /// Where writers' copies of segments go. A copy lives until the saver writes it, often for seconds, and during a
    /// save under load writers copy nearly every segment: as small arrays those copies would be promoted through the
    /// young generations, a long GC pause. They are cut from chunks over the large-object threshold instead, which
    /// the runtime allocates in its oldest generation (docs/memory.md); a chunk goes when its last copy is written.
    /// </summary>
    sealed class CopyArena
    {
        /// <summary>4096 images of 24 bytes: over the 85,000-byte threshold of the large object heap.</summary>
        const int ChunkLength = 4096;
        readonly Lock gate = new();
        KeyImage[] chunk = [];
        int used;

        /// <summary>
        /// Copies a segment, with the bytes its keys are charged (<see cref="Entry.Size"/>): what INFO reports as
        /// copy-on-write. The caller holds the shard's lock, so the segment does not change meanwhile.
        /// </summary>
        public (ArraySegment<KeyImage> Copy, long Bytes) Copy(KeyTable table, int segment)
        {
            int count = 0;
            long bytes = 0;
            foreach (var e in table.Segment((uint)segment, SegmentBits))
            {
                count++;
                bytes += e.Size;
            }
            if (count == 0) return (ArraySegment<KeyImage>.Empty, 0);
            KeyImage[] target;
            int start;
            lock (gate)
            {
                if (count > ChunkLength) (target, start) = (new KeyImage[count], 0);
                else
                {
                    if (used + count > chunk.Length) (chunk, used) = (new KeyImage[ChunkLength], 0);
                    (target, start) = (chunk, used);
                    used += count;
                }
            }
            int i = start;
            foreach (var e in table.Segment((uint)segment, SegmentBits)) target[i++] = Image(e);
            return (new ArraySegment<KeyImage>(target, start, count), bytes);
        }
    }

    static IEnumerable<KeyImage> Live(KeyTable table, int segment)
    {
        foreach (var e in table.Segment((uint)segment, SegmentBits)) yield return new KeyImage(e.Key, e.Value, e.ExpireAt);
    }
}
