using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Carmine.Cli;

/// <summary>A table of values by name that iterates in exactly the order redis-cli's own hash table (dict.c)
/// would: SipHash-1-2 with a zero key, power-of-two tables from 4 buckets, new entries at the head of their
/// bucket, and incremental rehashing by one bucket per add or lookup. --bigkeys prints its per-type summary
/// in this order, which shifts with the number of lookups made, so it is modelled rather than sorted.</summary>
public sealed class CliDict<TValue> where TValue : class
{
    sealed class Entry(string key, TValue value, Entry? next)
    {
        public string Key { get; } = key;
        public TValue Value { get; } = value;
        public Entry? Next { get; set; } = next;
    }

    const int InitialSize = 4;
    readonly Entry?[]?[] tables = new Entry?[]?[2];
    readonly long[] used = new long[2];
    // The next bucket of table 0 to move into table 1; -1 when not rehashing.
    long rehashIndex = -1;

    bool Rehashing => rehashIndex != -1;

    public long Count => used[0] + used[1];

    /// <summary>Adds a name not yet in the table.</summary>
    public void Add(string key, TValue value)
    {
        if (Rehashing) RehashStep();
        ExpandIfNeeded();
        int t = Rehashing ? 1 : 0;
        var table = tables[t]!;
        long index = (long)(Hash(key) & (ulong)(table.Length - 1));
        table[index] = new Entry(key, value, table[index]);
        used[t]++;
    }

    public TValue? Find(string key)
    {
        if (Count == 0) return null;
        if (Rehashing) RehashStep();
        ulong h = Hash(key);
        for (int t = 0; t <= 1; t++)
        {
            var table = tables[t];
            if (table is null) break;
            for (var e = table[(long)(h & (ulong)(table.Length - 1))]; e is not null; e = e.Next)
                if (e.Key == key) return e.Value;
            if (!Rehashing) break;
        }
        return null;
    }

    /// <summary>The values in dict iteration order: table 0 bucket by bucket, then table 1 while rehashing.</summary>
    public IEnumerable<TValue> Values
    {
        get
        {
            for (int t = 0; t <= (Rehashing ? 1 : 0); t++)
            {
                if (tables[t] is not { } table) continue;
                foreach (var head in table)
                    for (var e = head; e is not null; e = e.Next) yield return e.Value;
            }
        }
    }

    void ExpandIfNeeded()
    {
        if (Rehashing) return;
        if (tables[0] is null)
        {
            tables[0] = new Entry?[InitialSize];
            return;
        }
        if (used[0] < tables[0]!.Length) return;
        tables[1] = new Entry?[BitOperations.RoundUpToPowerOf2((ulong)used[0] + 1)];
        rehashIndex = 0;
    }

    // Moves one non-empty bucket of table 0, visiting at most ten empty ones, as dictRehash(d, 1) does.
    void RehashStep()
    {
        var from = tables[0]!;
        var to = tables[1]!;
        if (used[0] != 0)
        {
            int emptyVisits = 10;
            while (from[rehashIndex] is null)
            {
                rehashIndex++;
                if (--emptyVisits == 0) return;
            }
            for (var e = from[rehashIndex]; e is not null;)
            {
                var next = e.Next;
                long index = (long)(Hash(e.Key) & (ulong)(to.Length - 1));
                e.Next = to[index];
                to[index] = e;
                used[0]--;
                used[1]++;
                e = next;
            }
            from[rehashIndex] = null;
            rehashIndex++;
        }
        if (used[0] != 0) return;
        tables[0] = to;
        used[0] = used[1];
        tables[1] = null;
        used[1] = 0;
        rehashIndex = -1;
    }

    /// <summary>SipHash-1-2 (one compression round, two finalization rounds) under an all-zero key.</summary>
    static ulong Hash(string key)
    {
        byte[] m = Encoding.UTF8.GetBytes(key);
        ulong v0 = 0x736f6d6570736575UL, v1 = 0x646f72616e646f6dUL, v2 = 0x6c7967656e657261UL, v3 = 0x7465646279746573UL;
        void Round()
        {
            v0 += v1; v1 = BitOperations.RotateLeft(v1, 13); v1 ^= v0; v0 = BitOperations.RotateLeft(v0, 32);
            v2 += v3; v3 = BitOperations.RotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = BitOperations.RotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = BitOperations.RotateLeft(v1, 17); v1 ^= v2; v2 = BitOperations.RotateLeft(v2, 32);
        }
        int whole = m.Length - m.Length % 8;
        for (int i = 0; i < whole; i += 8)
        {
            ulong word = BinaryPrimitives.ReadUInt64LittleEndian(m.AsSpan(i));
            v3 ^= word;
            Round();
            v0 ^= word;
        }
        ulong last = (ulong)m.Length << 56;
        for (int i = whole; i < m.Length; i++) last |= (ulong)m[i] << (8 * (i - whole));
        v3 ^= last;
        Round();
        v0 ^= last;
        v2 ^= 0xff;
        Round();
        Round();
        return v0 ^ v1 ^ v2 ^ v3;
    }
}
