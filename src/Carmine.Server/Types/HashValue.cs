namespace Carmine.Server.Types;

/// <summary>
/// A hash value. Small hashes are a "listpack": one byte array of length-prefixed field and value strings,
/// one after another, searched linearly; a hash that outgrows hash-max-listpack-entries or gets a string longer
/// than hash-max-listpack-value becomes a <see cref="ByteDict"/> ("hashtable") for good, as in Redis.
/// The hashtable's entries are never changed in place, so a clone shares them.
/// </summary>
public sealed class HashValue : IRedisObject, ICopyable
{
    /// <summary>Redis refuses to let a listpack grow past 1 GB (lpSafeToAdd).</summary>
    const long ListpackSafetySize = 1L << 30;

    byte[] lp;
    int lpLength;
    int lpCount;
    /// <summary>Offsets of the listpack's pairs, built on demand for indexed access and dropped by any change.</summary>
    int[]? lpIndex;
    ByteDict? dict;

    public HashValue() => lp = new byte[16];

    public string TypeName => "hash";

    public string Encoding => dict is null ? "listpack" : "hashtable";

    public bool IsListpack => dict is null;

    /// <summary>Number of fields.</summary>
    public int Count => dict?.Count ?? lpCount;

    // ---- listpack entries: a PackedLength, then the bytes ----

    static int WriteEntry(byte[] b, int pos, ReadOnlySpan<byte> s)
    {
        pos = PackedLength.Write(b, pos, s.Length);
        s.CopyTo(b.AsSpan(pos));
        return pos + s.Length;
    }

    static int EntrySize(ReadOnlySpan<byte> s) => PackedLength.Size(s.Length) + s.Length;

    ReadOnlySpan<byte> EntryAt(scoped ref int pos)
    {
        int len = PackedLength.Read(lp, ref pos);
        var s = new ReadOnlySpan<byte>(lp, pos, len);
        pos += len;
        return s;
    }

    void SkipEntry(ref int pos)
    {
        int len = PackedLength.Read(lp, ref pos);
        pos += len;
    }

    /// <summary>The offset of the pair whose field is <paramref name="field"/>, or -1.</summary>
    int ListpackFind(ReadOnlySpan<byte> field)
    {
        int pos = 0;
        while (pos < lpLength)
        {
            int start = pos;
            int flen = PackedLength.Read(lp, ref pos);
            if (flen == field.Length && field.SequenceEqual(new ReadOnlySpan<byte>(lp, pos, flen))) return start;
            pos += flen;
            SkipEntry(ref pos);
        }
        return -1;
    }

    void MakeRoom(int at, int oldSize, int newSize)
    {
        int delta = newSize - oldSize;
        if (delta > 0 && lpLength + delta > lp.Length)
            Array.Resize(ref lp, Math.Max(lp.Length * 2, lpLength + delta));
        Buffer.BlockCopy(lp, at + oldSize, lp, at + newSize, lpLength - at - oldSize);
        lpLength += delta;
        lpIndex = null;
    }

    // ---- the hash operations ----

    public bool TryGet(ReadOnlySpan<byte> field, out ReadOnlySpan<byte> value)
    {
        if (dict is not null)
        {
            int i = dict.Find(field);
            value = i >= 0 ? dict.ValueAt(i) : default;
            return i >= 0;
        }
        int pos = ListpackFind(field);
        if (pos < 0)
        {
            value = default;
            return false;
        }
        EntryAt(ref pos);
        value = EntryAt(ref pos);
        return true;
    }

    public bool Contains(ReadOnlySpan<byte> field) => dict is not null ? dict.Contains(field) : ListpackFind(field) >= 0;

    /// <summary>
    /// Sets a field, converting to a hashtable first if a string is longer than <paramref name="maxValue"/>
    /// and after if there are more than <paramref name="maxEntries"/> fields. True if the field is new.
    /// </summary>
    public bool Set(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value, long maxEntries, long maxValue)
    {
        if (dict is null && (field.Length > maxValue || value.Length > maxValue ||
                             lpLength + (long)field.Length + value.Length > ListpackSafetySize))
            ConvertToDict();
        if (dict is not null) return dict.Set(field, value);
        int pos = ListpackFind(field);
        if (pos >= 0)
        {
            int valuePos = pos;
            EntryAt(ref valuePos);
            int end = valuePos;
            EntryAt(ref end);
            int size = EntrySize(value);
            MakeRoom(valuePos, end - valuePos, size);
            WriteEntry(lp, valuePos, value);
            return false;
        }
        int at = lpLength;
        MakeRoom(at, 0, EntrySize(field) + EntrySize(value));
        WriteEntry(lp, WriteEntry(lp, at, field), value);
        lpCount++;
        if (lpCount > maxEntries) ConvertToDict();
        return true;
    }

    public bool Delete(ReadOnlySpan<byte> field)
    {
        if (dict is not null) return dict.Remove(field);
        int pos = ListpackFind(field);
        if (pos < 0) return false;
        int end = pos;
        EntryAt(ref end);
        EntryAt(ref end);
        MakeRoom(pos, end - pos, 0);
        lpCount--;
        if (lp.Length > 256 && lpLength * 4 < lp.Length) Array.Resize(ref lp, lp.Length / 2);
        return true;
    }

    /// <summary>Switches to the hashtable encoding (there is no way back, as in Redis).</summary>
    public void ConvertToDict()
    {
        if (dict is not null) return;
        var d = new ByteDict(true, lpCount);
        int pos = 0;
        while (pos < lpLength)
        {
            var f = EntryAt(ref pos);
            var v = EntryAt(ref pos);
            d.AddNew(f, v);
        }
        dict = d;
        lp = [];
        lpLength = lpCount = 0;
        lpIndex = null;
    }

    // ---- indexed access (random sampling, SCAN) ----

    int PairOffset(int index)
    {
        if (lpIndex is null)
        {
            var offsets = new int[lpCount];
            int pos = 0;
            for (int i = 0; i < lpCount; i++)
            {
                offsets[i] = pos;
                SkipEntry(ref pos);
                SkipEntry(ref pos);
            }
            lpIndex = offsets;
        }
        return lpIndex[index];
    }

    /// <summary>The field of the pair at <paramref name="index"/> in [0, Count).</summary>
    public ReadOnlySpan<byte> FieldAt(int index)
    {
        if (dict is not null) return dict.KeyAt(index);
        int pos = PairOffset(index);
        return EntryAt(ref pos);
    }

    public ReadOnlySpan<byte> ValueAt(int index)
    {
        if (dict is not null) return dict.ValueAt(index);
        int pos = PairOffset(index);
        EntryAt(ref pos);
        return EntryAt(ref pos);
    }

    /// <summary>The hashtable behind a hash in that encoding (for SCAN's cursor), else null.</summary>
    public ByteDict? Dict => dict;

    public Enumerator GetEnumerator() => new(this);

    /// <summary>Walks the pairs in storage order without allocating.</summary>
    public ref struct Enumerator(HashValue hash)
    {
        int pos;
        int index = -1;

        public ReadOnlySpan<byte> Field { get; private set; }
        public ReadOnlySpan<byte> Value { get; private set; }

        public bool MoveNext()
        {
            if (hash.dict is { } d)
            {
                if (++index >= d.Count) return false;
                Field = d.KeyAt(index);
                Value = d.ValueAt(index);
                return true;
            }
            if (pos >= hash.lpLength) return false;
            Field = hash.EntryAt(ref pos);
            Value = hash.EntryAt(ref pos);
            return true;
        }

        public readonly Enumerator Current => this;
    }

    IRedisObject ICopyable.DeepCopy() => Clone();

    public HashValue Clone()
    {
        var copy = (HashValue)MemberwiseClone();
        copy.lp = (byte[])lp.Clone();
        copy.lpIndex = null;
        copy.dict = dict?.Clone();
        return copy;
    }
}
