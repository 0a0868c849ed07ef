using System.Numerics;
using Carmine.Server.Keyspace;

namespace Carmine.Server.Types;

/// <summary>
/// Redis's "hashtable" encoding of hashes and sets: byte-string keys with optional byte-string values.
/// Entries sit in a dense array (no object per entry beyond the strings themselves), so a uniformly random
/// entry is one index away; chains hang off a power-of-two bucket array whose order gives SCAN's cursor
/// the same guarantee as Redis's dictScan: an entry present for the whole scan is returned at least once,
/// even when the table grows or shrinks in between.
/// </summary>
public sealed class ByteDict
{
    struct Slot
    {
        public uint Hash;
        /// <summary>Index + 1 of the next slot in the same bucket; 0 ends the chain.</summary>
        public int Next;
        public byte[] Key;
    }

    const int MinBuckets = 4;

    /// <summary>Head slot index + 1 of each bucket's chain; 0 for an empty bucket.</summary>
    int[] buckets;
    Slot[] slots;
    /// <summary>Values parallel to slots; null for a set.</summary>
    byte[][]? values;
    int count;

    public ByteDict(bool withValues, int capacity = 0)
    {
        int size = MinBuckets;
        while (size < capacity) size <<= 1;
        buckets = new int[size];
        slots = new Slot[Math.Max(capacity, MinBuckets)];
        if (withValues) values = new byte[Math.Max(capacity, MinBuckets)][];
    }

    public int Count => count;

    /// <summary>The key of the entry at a dense index in [0, Count).</summary>
    public byte[] KeyAt(int index) => slots[index].Key;

    public byte[] ValueAt(int index) => values![index];

    /// <summary>The dense index of a key, or -1.</summary>
    public int Find(ReadOnlySpan<byte> key) => Find(key, KeyHash.Hash(key));

    int Find(ReadOnlySpan<byte> key, uint hash)
    {
        int i = buckets[hash & (uint)(buckets.Length - 1)] - 1;
        while (i >= 0)
        {
            ref var s = ref slots[i];
            if (s.Hash == hash && key.SequenceEqual(s.Key)) return i;
            i = s.Next - 1;
        }
        return -1;
    }

    public bool Contains(ReadOnlySpan<byte> key) => Find(key) >= 0;

    /// <summary>Adds a key known to be absent; returns its dense index.</summary>
    public int AddNew(byte[] key, byte[]? value = null) => AddNew(key, KeyHash.Hash(key), value);

    int AddNew(byte[] key, uint hash, byte[]? value)
    {
        if (count == slots.Length)
        {
            int cap = slots.Length * 2;
            Array.Resize(ref slots, cap);
            if (values is not null) Array.Resize(ref values, cap);
        }
        if (count >= buckets.Length) Rehash(buckets.Length * 2);
        int index = count++;
        ref var head = ref buckets[hash & (uint)(buckets.Length - 1)];
        slots[index] = new Slot { Hash = hash, Next = head, Key = key };
        head = index + 1;
        if (values is not null) values[index] = value!;
        return index;
    }

    /// <summary>Adds a key if absent (copying it); false if it was there.</summary>
    public bool Add(ReadOnlySpan<byte> key)
    {
        uint hash = KeyHash.Hash(key);
        if (Find(key, hash) >= 0) return false;
        AddNew(key.ToArray(), hash, null);
        return true;
    }

    /// <summary>Sets a key's value, adding the key (copied) if absent; true if it was added.</summary>
    public bool Set(ReadOnlySpan<byte> key, byte[] value)
    {
        uint hash = KeyHash.Hash(key);
        int i = Find(key, hash);
        if (i >= 0)
        {
            values![i] = value;
            return false;
        }
        AddNew(key.ToArray(), hash, value);
        return true;
    }

    public bool Remove(ReadOnlySpan<byte> key)
    {
        int i = Find(key);
        if (i < 0) return false;
        RemoveAt(i);
        return true;
    }

    /// <summary>Removes the entry at a dense index; the last entry moves into its place.</summary>
    public void RemoveAt(int index)
    {
        LinkTo(index) = slots[index].Next;
        int last = --count;
        if (index != last)
        {
            // Re-point whatever linked to the last slot at its new position.
            LinkTo(last) = index + 1;
            slots[index] = slots[last];
            if (values is not null) values[index] = values[last];
        }
        slots[last] = default;
        if (values is not null) values[last] = null!;
        if (buckets.Length > MinBuckets && count * 10 < buckets.Length) Rehash(Math.Max(MinBuckets, (int)BitOperations.RoundUpToPowerOf2((uint)count)));
        if (slots.Length > 64 && count * 4 < slots.Length) ShrinkSlots(Math.Max(MinBuckets, slots.Length / 2));
    }

    /// <summary>The bucket head or Next field that points at a slot (both hold index + 1).</summary>
    ref int LinkTo(int index)
    {
        ref int link = ref buckets[slots[index].Hash & (uint)(buckets.Length - 1)];
        while (link != index + 1) link = ref slots[link - 1].Next;
        return ref link;
    }

    void ShrinkSlots(int cap)
    {
        Array.Resize(ref slots, cap);
        if (values is not null) Array.Resize(ref values, cap);
    }

    void Rehash(int size)
    {
        buckets = new int[size];
        uint mask = (uint)size - 1;
        for (int i = 0; i < count; i++)
        {
            ref int head = ref buckets[slots[i].Hash & mask];
            slots[i].Next = head;
            head = i + 1;
        }
    }

    /// <summary>
    /// One step of SCAN: adds the dense indexes of the bucket named by <paramref name="cursor"/> to
    /// <paramref name="found"/> and returns the next cursor (0 when the scan is complete).
    /// </summary>
    public ulong ScanStep(ulong cursor, List<int> found)
    {
        ulong mask = (ulong)buckets.Length - 1;
        for (int i = buckets[cursor & mask] - 1; i >= 0; i = slots[i].Next - 1) found.Add(i);
        cursor |= ~mask;
        cursor = KeyHash.Reverse(cursor);
        cursor++;
        return KeyHash.Reverse(cursor);
    }

    public ByteDict Clone()
    {
        var copy = (ByteDict)MemberwiseClone();
        copy.buckets = (int[])buckets.Clone();
        copy.slots = (Slot[])slots.Clone();
        copy.values = (byte[][]?)values?.Clone();
        return copy;
    }
}
