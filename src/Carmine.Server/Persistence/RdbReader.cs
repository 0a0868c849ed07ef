using System.Buffers.Binary;
using System.Text;
using Carmine.Protocol;
using Carmine.Server.Types;

namespace Carmine.Server.Persistence;

/// <summary>A malformed RDB file or DUMP payload; <see cref="Offset"/> is where reading stopped.</summary>
public sealed class RdbFormatException(string message, long offset, bool truncated = false) : Exception($"{message} at offset {offset}")
{
    public long Offset { get; } = offset;
    public string Reason { get; } = message;
    /// <summary>The data ended before what it announced (what Redis reports as an unexpected EOF).</summary>
    public bool Truncated { get; } = truncated;
}

/// <summary>
/// Reads RDB data from memory: lengths, strings in every encoding, and the values of every type Redis 7.0
/// reads, including the older ziplist and zipmap encodings. Values are rebuilt with Carmine's types and fitted
/// to the configured encoding thresholds. Every bound is checked; bad input raises <see cref="RdbFormatException"/>.
/// </summary>
public sealed class RdbReader(ReadOnlyMemory<byte> data)
{
    int pos;

    const ulong MaxLzfExpansion = 88;

    public int Position => pos;
    public int Remaining => data.Length - pos;

    RdbFormatException Bad(string what, bool truncated = false) => new(what, pos, truncated);

    public ReadOnlySpan<byte> ReadRaw(int n)
    {
        if (n < 0 || n > Remaining) throw Bad("Unexpected end of data", truncated: true);
        var s = data.Span.Slice(pos, n);
        pos += n;
        return s;
    }

    public byte ReadByte() => ReadRaw(1)[0];

    /// <summary>A length, or for an encoded string the encoding number with <paramref name="encoded"/> set.</summary>
    public ulong ReadLength(out bool encoded)
    {
        encoded = false;
        byte b = ReadByte();
        switch (b >> 6)
        {
            case 0: return (ulong)(b & 0x3F);
            case 1: return (ulong)(((b & 0x3F) << 8) | ReadByte());
            case 3:
                encoded = true;
                return (ulong)(b & 0x3F);
        }
        if (b == 0x80) return BinaryPrimitives.ReadUInt32BigEndian(ReadRaw(4));
        if (b == 0x81) return BinaryPrimitives.ReadUInt64BigEndian(ReadRaw(8));
        throw Bad($"Unknown length encoding {b} in rdbLoadLen()");
    }

    public ulong ReadLength()
    {
        ulong n = ReadLength(out bool encoded);
        if (encoded) throw Bad("Unexpected encoded length");
        return n;
    }

    /// <summary>A length used to size a collection: refused when larger than the bytes left could hold.</summary>
    public int ReadCount(int minBytesPerItem = 1)
    {
        ulong n = ReadLength();
        if (n > (ulong)Remaining / (ulong)Math.Max(1, minBytesPerItem)) throw Bad("Length exceeds the data left", truncated: true);
        return (int)n;
    }

    public byte[] ReadString()
    {
        ulong len = ReadLength(out bool encoded);
        if (encoded)
        {
            switch (len)
            {
                case 0: return NumberFormat.Int64ToBytes((sbyte)ReadByte());
                case 1: return NumberFormat.Int64ToBytes(BinaryPrimitives.ReadInt16LittleEndian(ReadRaw(2)));
                case 2: return NumberFormat.Int64ToBytes(BinaryPrimitives.ReadInt32LittleEndian(ReadRaw(4)));
                case 3:
                    ulong clen = ReadLength(), ulen = ReadLength();
                    if (clen > (ulong)Remaining) throw Bad("Bad LZF lengths", truncated: true);
                    // An LZF back-reference of 3 bytes yields at most 264: a larger claimed size is corrupt, and
                    // refusing it early avoids allocating whatever a damaged length asks for.
                    if (ulen > int.MaxValue || ulen > clen * MaxLzfExpansion) throw Bad("Invalid LZF compressed string");
                    var compressed = ReadRaw((int)clen);
                    var result = new byte[ulen];
                    if (!Lzf.Decompress(compressed, result)) throw Bad("Invalid LZF compressed string");
                    return result;
                default: throw Bad($"Unknown RDB string encoding type {len}");
            }
        }
        if (len > (ulong)Remaining) throw Bad("String length exceeds the data left", truncated: true);
        return ReadRaw((int)len).ToArray();
    }

    public string ReadAsciiString() => Encoding.UTF8.GetString(ReadString());

    public long ReadMillis() => BinaryPrimitives.ReadInt64LittleEndian(ReadRaw(8));

    public double ReadBinaryDouble() => BinaryPrimitives.ReadDoubleLittleEndian(ReadRaw(8));

    /// <summary>The old string-encoded double of RDB_TYPE_ZSET: a length byte (253 nan, 254 inf, 255 -inf) and text.</summary>
    public double ReadStringDouble()
    {
        byte len = ReadByte();
        switch (len)
        {
            case 253: return double.NaN;
            case 254: return double.PositiveInfinity;
            case 255: return double.NegativeInfinity;
        }
        var text = ReadRaw(len);
        if (!NumberFormat.TryParseDouble(text, out double d)) throw Bad("Invalid double value");
        return d;
    }

    /// <summary>
    /// A value of RDB type <paramref name="type"/> (rdbLoadObject). Returns null for a value that is empty once
    /// read (Redis skips such keys when loading a file and refuses them in RESTORE).
    /// </summary>
    public object? ReadObject(byte type, RdbLoadLimits limits)
    {
        switch (type)
        {
            case Rdb.TypeString: return ReadString();
            case Rdb.TypeSet: return ReadSet(limits);
            case Rdb.TypeZset:
            case Rdb.TypeZset2: return ReadZset(type, limits);
            case Rdb.TypeHash: return ReadHash(limits);
            case Rdb.TypeSetIntset:
                {
                    int at = pos;
                    var ints = CompactBlob.ReadIntset(ReadString()) ?? throw new RdbFormatException("Intset integrity check failed.", at);
                    var set = new SetValue();
                    foreach (long v in ints) set.Add(v, limits.SetMaxIntsetEntries);
                    return set;
                }
            case Rdb.TypeHashZipmap: return HashFromPairs(CompactBlob.ReadZipmap, "Zipmap integrity check failed.", limits);
            case Rdb.TypeHashZiplist: return HashFromPairs(CompactBlob.ReadZiplist, "Hash ziplist integrity check failed.", limits);
            case Rdb.TypeHashListpack: return HashFromPairs(CompactBlob.ReadListpack, "Hash listpack integrity check failed.", limits);
            case Rdb.TypeZsetZiplist: return ZsetFromPairs(CompactBlob.ReadZiplist, "Zset ziplist integrity check failed.", limits);
            case Rdb.TypeZsetListpack: return ZsetFromPairs(CompactBlob.ReadListpack, "Zset listpack integrity check failed.", limits);
        }
        var loader = RdbTypeRegistry.Loader(type);
        if (loader is not null) return loader(this, type, limits);
        throw Bad($"Unknown RDB encoding type {type}");
    }

    SetValue? ReadSet(RdbLoadLimits limits)
    {
        int n = ReadCount();
        if (n == 0) return null;
        SetValue? set = null;
        for (int i = 0; i < n; i++)
        {
            var m = ReadString();
            set ??= n > limits.SetMaxIntsetEntries ? NonIntset(m) : new SetValue(m);
            if (!set.Add(m, limits.SetMaxIntsetEntries)) throw Bad("Duplicate set members detected");
        }
        return set;
    }

    static SetValue NonIntset(byte[] first)
    {
        var s = new SetValue(first);
        s.ConvertToDict();
        return s;
    }

    SortedSet? ReadZset(byte type, RdbLoadLimits limits)
    {
        int n = ReadCount(2);
        if (n == 0) return null;
        var items = new List<(byte[] Member, double Score)>(n);
        var seen = new HashSet<byte[]>(ByteArrayComparer.Instance);
        for (int i = 0; i < n; i++)
        {
            var m = ReadString();
            double score = type == Rdb.TypeZset2 ? ReadBinaryDouble() : ReadStringDouble();
            if (double.IsNaN(score)) throw Bad("Zset with NAN score detected");
            if (!seen.Add(m)) throw Bad("Duplicate zset fields detected");
            items.Add((m, score));
        }
        return SortedSet.Build(items, limits.Zset);
    }

    HashValue? ReadHash(RdbLoadLimits limits)
    {
        int n = ReadCount(2);
        if (n == 0) return null;
        var h = new HashValue();
        if (n > limits.HashMaxEntries) h.ConvertToDict();
        for (int i = 0; i < n; i++)
        {
            var f = ReadString();
            var v = ReadString();
            if (!h.Set(f, v, limits.HashMaxEntries, limits.HashMaxValue)) throw Bad("Duplicate hash fields detected");
        }
        return h;
    }

    HashValue? HashFromPairs(BlobParser parse, string error, RdbLoadLimits limits)
    {
        int at = pos;
        var items = parse(ReadString());
        if (items is null || items.Count % 2 != 0) throw new RdbFormatException(error, at);
        if (items.Count == 0) return null;
        var h = new HashValue();
        for (int i = 0; i < items.Count; i += 2)
            if (!h.Set(items[i], items[i + 1], limits.HashMaxEntries, limits.HashMaxValue)) throw new RdbFormatException(error, at);
        return h;
    }

    SortedSet? ZsetFromPairs(BlobParser parse, string error, RdbLoadLimits limits)
    {
        int at = pos;
        var items = parse(ReadString());
        if (items is null || items.Count % 2 != 0) throw new RdbFormatException(error, at);
        if (items.Count == 0) return null;
        var pairs = new List<(byte[] Member, double Score)>(items.Count / 2);
        var seen = new HashSet<byte[]>(ByteArrayComparer.Instance);
        for (int i = 0; i < items.Count; i += 2)
        {
            if (!NumberFormat.TryParseDouble(items[i + 1], out double score) || double.IsNaN(score) || !seen.Add(items[i]))
                throw new RdbFormatException(error, at);
            pairs.Add((items[i], score));
        }
        return SortedSet.Build(pairs, limits.Zset);
    }
}

/// <summary>Reads the elements of one compact blob encoding; null when malformed.</summary>
delegate List<byte[]>? BlobParser(ReadOnlySpan<byte> blob);
