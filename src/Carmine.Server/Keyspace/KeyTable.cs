using System.Runtime.CompilerServices;

namespace Carmine.Server.Keyspace;

/// <summary>
/// A chained hash table of entries with a power-of-two bucket array. It grows at load factor 1 and
/// shrinks below 1/8, and its bucket order supports Redis's SCAN cursor (reverse binary iteration),
/// which returns every key present for the whole scan even while the table is resized.
/// </summary>
public sealed class KeyTable
{
    const int MinBuckets = 4;
    Entry?[] buckets = new Entry?[MinBuckets];
    int count;

    public int Count => count;
    public int BucketCount => buckets.Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Entry? Find(ReadOnlySpan<byte> key, uint hash)
    {
        var e = buckets[hash & (buckets.Length - 1)];
        while (e is not null)
        {
            if (e.Hash == hash && key.SequenceEqual(e.Key)) return e;
            e = e.Next;
        }
        return null;
    }

    /// <summary>Adds an entry whose key is known to be absent.</summary>
    public void Add(Entry entry)
    {
        if (count >= buckets.Length) Resize(buckets.Length * 2);
        ref var head = ref buckets[entry.Hash & (buckets.Length - 1)];
        entry.Next = head;
        head = entry;
        count++;
    }

    public bool Remove(Entry entry)
    {
        ref var link = ref buckets[entry.Hash & (buckets.Length - 1)];
        while (link is not null)
        {
            if (ReferenceEquals(link, entry))
            {
                link = entry.Next;
                entry.Next = null;
                count--;
                if (buckets.Length > MinBuckets && count < buckets.Length / 8) Resize(Math.Max(MinBuckets, buckets.Length / 2));
                return true;
            }
            link = ref link.Next;
        }
        return false;
    }

    void Resize(int size)
    {
        var fresh = new Entry?[size];
        int mask = size - 1;
        foreach (var head in buckets)
        {
            var e = head;
            while (e is not null)
            {
                var next = e.Next;
                ref var slot = ref fresh[e.Hash & mask];
                e.Next = slot;
                slot = e;
                e = next;
            }
        }
        buckets = fresh;
    }

    /// <summary>Visits the entries of the bucket named by <paramref name="cursor"/> and returns the next cursor (0 at the end).</summary>
    public ulong ScanStep(ulong cursor, Action<Entry> visit)
    {
        ulong mask = (ulong)buckets.Length - 1;
        var e = buckets[cursor & mask];
        while (e is not null)
        {
            var next = e.Next;
            visit(e);
            e = next;
        }
        cursor |= ~mask;
        cursor = KeyHash.Reverse(cursor);
        cursor++;
        return KeyHash.Reverse(cursor);
    }

    /// <summary>A uniformly chosen bucket's random entry, or null when empty (RANDOMKEY, eviction sampling).</summary>
    public Entry? RandomEntry(Random random)
    {
        if (count == 0) return null;
        while (true)
        {
            var e = buckets[random.Next(buckets.Length)];
            if (e is null) continue;
            int len = 0;
            for (var x = e; x is not null; x = x.Next) len++;
            int pick = random.Next(len);
            while (pick-- > 0) e = e!.Next;
            return e;
        }
    }

    /// <summary>
    /// The entries whose hash ends in <paramref name="value"/> (its low <paramref name="bits"/> bits): a segment a
    /// snapshot captures at once. With at least 2^bits buckets they fill every 2^bits-th bucket; with fewer, one.
    /// </summary>
    public IEnumerable<Entry> Segment(uint value, int bits)
    {
        int step = 1 << bits;
        if (buckets.Length >= step)
        {
            for (int b = (int)value; b < buckets.Length; b += step)
                for (var e = buckets[b]; e is not null; e = e.Next)
                    yield return e;
            yield break;
        }
        uint mask = (uint)step - 1;
        for (var e = buckets[value & (uint)(buckets.Length - 1)]; e is not null; e = e.Next)
            if ((e.Hash & mask) == value) yield return e;
    }

    public IEnumerable<Entry> Entries()
    {
        foreach (var head in buckets)
            for (var e = head; e is not null; e = e.Next)
                yield return e;
    }

    public void Clear()
    {
        buckets = new Entry?[MinBuckets];
        count = 0;
    }
}
