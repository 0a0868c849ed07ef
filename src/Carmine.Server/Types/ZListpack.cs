using System.Buffers.Binary;

namespace Carmine.Server.Types;

/// <summary>
/// The compact encoding of a small sorted set ("listpack" in OBJECT ENCODING): every entry packed in one byte
/// array, sorted by score then member. An entry is [member length, varint][member][score, 8 bytes][entry
/// length, backward varint]; the trailing length lets a reverse range walk back one entry at a time.
/// Lookups are linear, which is cheaper than a skiplist at the sizes this encoding is kept for.
/// </summary>
public sealed class ZListpack
{
    byte[] data;
    int used;

    public ZListpack(int capacity = 64) => data = new byte[capacity];

    public int Count { get; private set; }

    public ZListpack Clone()
    {
        var copy = (ZListpack)MemberwiseClone();
        copy.data = data.AsSpan(0, used).ToArray();
        return copy;
    }

    /// <summary>Bytes in use, for memory accounting.</summary>
    public int Bytes => used;

    /// <summary>Offset of the first entry; equal to <see cref="End"/> when empty.</summary>
    public static int Start => 0;

    /// <summary>The offset one past the last entry.</summary>
    public int End => used;

    public ReadOnlySpan<byte> MemberAt(int offset)
    {
        int len = ReadVarint(offset, out int header);
        return new ReadOnlySpan<byte>(data, offset + header, len);
    }

    public double ScoreAt(int offset)
    {
        int len = ReadVarint(offset, out int header);
        return BinaryPrimitives.ReadDoubleLittleEndian(data.AsSpan(offset + header + len));
    }

    /// <summary>The offset of the entry after the one at <paramref name="offset"/> (<see cref="End"/> after the last).</summary>
    public int Next(int offset)
    {
        int len = ReadVarint(offset, out int header);
        int body = header + len + 8;
        return offset + body + BackLengthSize(body);
    }

    /// <summary>The offset of the entry before the one at <paramref name="offset"/>, or -1 before the first.</summary>
    public int Prev(int offset)
    {
        if (offset == 0) return -1;
        int p = offset - 1;
        int body = 0, shift = 0, size = 0;
        while (true)
        {
            byte b = data[p];
            body |= (b & 0x7f) << shift;
            shift += 7;
            size++;
            if ((b & 0x80) == 0) break;
            p--;
        }
        return offset - size - body;
    }

    /// <summary>The offset of the entry at <paramref name="rank"/> (0-based, in score order); walks from the nearer end.</summary>
    public int OffsetOfRank(long rank)
    {
        if (rank <= Count / 2)
        {
            int off = 0;
            for (long i = 0; i < rank; i++) off = Next(off);
            return off;
        }
        int back = used;
        for (long i = Count; i > rank; i--) back = Prev(back);
        return back;
    }

    /// <summary>The offset of <paramref name="member"/>, or -1; its score in <paramref name="score"/>.</summary>
    public int Find(ReadOnlySpan<byte> member, out double score)
    {
        int off = 0;
        while (off < used)
        {
            int len = ReadVarint(off, out int header);
            int m = off + header;
            if (len == member.Length && member.SequenceEqual(new ReadOnlySpan<byte>(data, m, len)))
            {
                score = BinaryPrimitives.ReadDoubleLittleEndian(data.AsSpan(m + len));
                return off;
            }
            int body = header + len + 8;
            off += body + BackLengthSize(body);
        }
        score = 0;
        return -1;
    }

    /// <summary>The 0-based rank of the entry at <paramref name="offset"/>.</summary>
    public long RankOf(int offset)
    {
        long rank = 0;
        for (int off = 0; off < offset; off = Next(off)) rank++;
        return rank;
    }

    /// <summary>Inserts a member known to be absent at its place in (score, member) order.</summary>
    public void Insert(ReadOnlySpan<byte> member, double score)
    {
        int off = 0;
        while (off < used && SortedSet.Compare(ScoreAt(off), MemberAt(off), score, member) < 0) off = Next(off);
        InsertAt(off, member, score);
    }

    /// <summary>Appends a member that sorts after every present one (building from an ordered source).</summary>
    public void Append(ReadOnlySpan<byte> member, double score) => InsertAt(used, member, score);

    void InsertAt(int off, ReadOnlySpan<byte> member, double score)
    {
        score = PositiveZero(score);
        int header = VarintSize(member.Length);
        int body = header + member.Length + 8;
        int size = body + BackLengthSize(body);
        if (used + size > data.Length) Array.Resize(ref data, Math.Max(data.Length * 2, used + size));
        Buffer.BlockCopy(data, off, data, off + size, used - off);
        int p = WriteVarint(off, member.Length);
        member.CopyTo(data.AsSpan(p));
        p += member.Length;
        BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(p), score);
        WriteBackLength(p + 8, body);
        used += size;
        Count++;
    }

    /// <summary>Removes <paramref name="count"/> consecutive entries starting at <paramref name="offset"/>.</summary>
    public void DeleteRange(int offset, long count)
    {
        int end = offset;
        for (long i = 0; i < count; i++) end = Next(end);
        Buffer.BlockCopy(data, end, data, offset, used - end);
        used -= end - offset;
        Count -= (int)count;
        if (data.Length > 256 && used < data.Length / 4) Array.Resize(ref data, Math.Max(64, used * 2));
    }

    /// <summary>Replaces a member's score, moving the entry if its place changes.</summary>
    public void UpdateScore(int offset, ReadOnlySpan<byte> member, double score)
    {
        int prev = Prev(offset);
        int next = Next(offset);
        bool inPlace = (prev < 0 || SortedSet.Compare(ScoreAt(prev), MemberAt(prev), score, member) < 0)
            && (next >= used || SortedSet.Compare(score, member, ScoreAt(next), MemberAt(next)) < 0);
        if (inPlace)
        {
            score = PositiveZero(score);
            BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(offset + VarintSize(member.Length) + member.Length), score);
            return;
        }
        // The member span points into data, which DeleteRange moves: keep a copy for the re-insert.
        byte[] copy = member.ToArray();
        DeleteRange(offset, 1);
        Insert(copy, score);
    }

    /// <summary>The number of leading entries that pass <paramref name="test"/> (a test true on a prefix of the order).</summary>
    public long CountWhile<T>(T test) where T : struct, IZElementTest
    {
        long n = 0;
        for (int off = 0; off < used; off = Next(off))
        {
            if (!test.Test(ScoreAt(off), MemberAt(off))) break;
            n++;
        }
        return n;
    }

    // Redis keeps listpack scores as integers when they are whole, which turns -0 into 0; so do we.
    static double PositiveZero(double score) => score == 0 ? 0.0 : score;

    int ReadVarint(int offset, out int size)
    {
        int value = 0, shift = 0;
        size = 0;
        while (true)
        {
            byte b = data[offset + size++];
            value |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) return value;
            shift += 7;
        }
    }

    int WriteVarint(int offset, int value)
    {
        while (value >= 0x80)
        {
            data[offset++] = (byte)(value | 0x80);
            value >>= 7;
        }
        data[offset++] = (byte)value;
        return offset;
    }

    // The back length is written most significant group first, so that reading from its last byte
    // backwards yields the low bits first; every byte but the first carries the continuation bit.
    void WriteBackLength(int offset, int body)
    {
        int size = BackLengthSize(body);
        for (int i = size - 1; i >= 0; i--)
        {
            byte b = (byte)(body & 0x7f);
            if (i > 0) b |= 0x80;
            data[offset + i] = b;
            body >>= 7;
        }
    }

    static int VarintSize(int value) => value < 1 << 7 ? 1 : value < 1 << 14 ? 2 : value < 1 << 21 ? 3 : value < 1 << 28 ? 4 : 5;

    static int BackLengthSize(int body) => VarintSize(body);
}
