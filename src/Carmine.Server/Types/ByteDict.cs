using System.Numerics;
using Carmine.Server.Keyspace;

namespace Carmine.Server.Types;

/// <summary>
/// Redis's "hashtable" encoding of hashes and sets: byte-string keys with optional byte-string values.
/// Entries sit in a dense array and each owns one byte array (a set's member, or a hash's field and value
/// packed together), so an entry costs one allocation and a uniformly random entry is one index away.
/// Chains hang off a power-of-two bucket array whose order gives SCAN's cursor the guarantee of Redis's
/// dictScan: an entry present for the whole scan is returned at least once, even if the table grows or shrinks.
/// </summary>
public sealed class ByteDict
{
    struct Slot
    {
        public uint Hash;
        /// <summary>Index + 1 of the next slot in the same bucket; 0 ends the chain.</summary>
        public int Next;
        /// <summary>The key; with values, a <see cref="PackedLength"/> key length, the key, then the value.</summary>
        public byte[] Data;
    }

    const int MinBuckets = 4;

    readonly bool withValues;
    /// <summary>Head slot index + 1 of each bucket's chain; 0 for an empty bucket.</summary>
    int[] buckets;
    Slot[] slots;
    int count;

    public ByteDict(bool withValues, int capacity = 0)
    {
        this.withValues = withValues;
        int size = MinBuckets;
        while (size < capacity) size <<= 1;
        buckets = new int[size];
        slots = new Slot[Math.Max(capacity, MinBuckets)];
    }

    public int Count => count;

    /// <summary>The key of the entry at a dense index in [0, Count).</summary>
    public ReadOnlySpan<byte> KeyAt(int index)
    {
        var data = slots[index].Data;
        if (!withValues) return data;
        int pos = 0;
        int len = PackedLength.Read(data, ref pos);
        return new ReadOnlySpan<byte>(data, pos, len);
    }

    public ReadOnlySpan<byte> ValueAt(int index)
    {
        var data = slots[index].Data;
        int pos = 0;
        int len = PackedLength.Read(data, ref pos);
        return data.AsSpan(pos + len);
    }

    static byte[] Pack(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var data = new byte[PackedLength.Size(key.Length) + key.Length + value.Length];
        int pos = PackedLength.Write(data, 0, key.Length);
        key.CopyTo(data.AsSpan(pos));
        value.CopyTo(data.AsSpan(pos + key.Length));
        return data;
    }

    /// <summary>The dense index of a key, or -1.</summary>
    public int Find(ReadOnlySpan<byte> key) => Find(key, KeyHash.Hash(key));

    int Find(ReadOnlySpan<byte> key, uint hash)
    {
        int i = buckets[hash & (uint)(buckets.Length - 1)] - 1;
        while (i >= 0)
        {
            ref var s = ref slots[i];
            if (s.Hash == hash && key.SequenceEqual(KeyAt(i))) return i;
            i = s.Next - 1;
        }
        return -1;
    }

    public bool Contains(ReadOnlySpan<byte> key) => Find(key) >= 0;

    /// <summary>Adds a set member known to be absent, taking ownership of the array.</summary>
    public void AddNew(byte[] key) => Insert(key, KeyHash.Hash(key));

    /// <summary>Adds a hash field known to be absent, with its value.</summary>
    public void AddNew(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Insert(Pack(key, value), KeyHash.Hash(key));

    void Insert(byte[] data, uint hash)
    {
        if (count == slots.Length) Array.Resize(ref slots, slots.Length * 2);
        if (count >= buckets.Length) Rehash(buckets.Length * 2);
        int index = count++;
        ref var head = ref buckets[hash & (uint)(buckets.Length - 1)];
        slots[index] = new Slot { Hash = hash, Next = head, Data = data };
        head = index + 1;
    }

    /// <summary>Adds a set member (copied) if absent; false if it was there.</summary>
    public bool Add(ReadOnlySpan<byte> key)
    {
        uint hash = KeyHash.Hash(key);
        if (Find(key, hash) >= 0) return false;
        Insert(key.ToArray(), hash);
        return true;
    }

    /// <summary>Sets a hash field's value, adding the field if absent; true if it was added.</summary>
    public bool Set(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        uint hash = KeyHash.Hash(key);
        int i = Find(key, hash);
        if (i >= 0)
        {
            slots[i].Data = Pack(key, value);
            return false;
        }
        Insert(Pack(key, value), hash);
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
            LinkTo(last) = index + 1;
            slots[index] = slots[last];
        }
        slots[last] = default;
        // Shrink below 10% fill, as Redis does, to the smallest power of two that holds what is left.
        if (buckets.Length > MinBuckets && count * 10 < buckets.Length)
            Rehash(Math.Max(MinBuckets, (int)BitOperations.RoundUpToPowerOf2((uint)count)));
        if (slots.Length > 64 && count * 4 < slots.Length) Array.Resize(ref slots, slots.Length / 2);
    }

    /// <summary>The bucket head or Next field that points at a slot (both hold index + 1).</summary>
    ref int LinkTo(int index)
    {
        ref int link = ref buckets[slots[index].Hash & (uint)(buckets.Length - 1)];
        while (link != index + 1) link = ref slots[link - 1].Next;
        return ref link;
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

    /// <summary>A copy sharing the entries' arrays, which are never changed in place.</summary>
    public ByteDict Clone()
    {
        var copy = (ByteDict)MemberwiseClone();
        copy.buckets = (int[])buckets.Clone();
        copy.slots = (Slot[])slots.Clone();
        return copy;
    }
}
