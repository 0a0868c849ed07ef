using System.Buffers.Binary;
using System.Text;
using Carmine.Protocol;
using Carmine.Server.Types;

namespace Carmine.Server.Persistence;

/// <summary>
/// Writes RDB version 10 (Redis 7.0): lengths, strings (integer, LZF or raw), the values of every type in the
/// encodings Redis 7.0 writes, and the opcodes of a file. Everything written goes into a running CRC-64.
/// </summary>
public sealed class RdbWriter(Stream output, bool compress, bool checksum = true)
{
    readonly byte[] buffer = new byte[64 * 1024];
    int used;

    public ulong Crc { get; private set; }

    /// <summary>Bytes written so far (INFO's rdb_last_... fields use the file length instead).</summary>
    public long Written { get; private set; }

    public void WriteRaw(ReadOnlySpan<byte> data)
    {
        if (checksum) Crc = Crc64.Update(Crc, data);
        Written += data.Length;
        while (data.Length > 0)
        {
            if (used == buffer.Length) FlushBuffer();
            int n = Math.Min(data.Length, buffer.Length - used);
            data[..n].CopyTo(buffer.AsSpan(used));
            used += n;
            data = data[n..];
        }
    }

    public void WriteByte(byte b) => WriteRaw([b]);

    void FlushBuffer()
    {
        output.Write(buffer, 0, used);
        used = 0;
    }

    public void Flush()
    {
        FlushBuffer();
        output.Flush();
    }

    public void WriteLength(ulong len)
    {
        Span<byte> b = stackalloc byte[9];
        if (len < 64) WriteByte((byte)len);
        else if (len < 16384)
        {
            b[0] = (byte)(0x40 | (len >> 8));
            b[1] = (byte)len;
            WriteRaw(b[..2]);
        }
        else if (len <= uint.MaxValue)
        {
            b[0] = 0x80;
            BinaryPrimitives.WriteUInt32BigEndian(b[1..], (uint)len);
            WriteRaw(b[..5]);
        }
        else
        {
            b[0] = 0x81;
            BinaryPrimitives.WriteUInt64BigEndian(b[1..], len);
            WriteRaw(b[..9]);
        }
    }

    public void WriteString(ReadOnlySpan<byte> s)
    {
        // Short decimal strings become 1-, 2- or 4-byte integers, as rdbTryIntegerEncoding does.
        if (s.Length <= 11 && NumberFormat.TryParseInt64(s, out long v) && v >= int.MinValue && v <= int.MaxValue)
        {
            WriteIntegerString(v);
            return;
        }
        if (compress && s.Length > 20 && TryWriteCompressed(s)) return;
        WriteLength((ulong)s.Length);
        WriteRaw(s);
    }

    public void WriteString(string s) => WriteString(Encoding.UTF8.GetBytes(s));

    /// <summary>An integer as a string object: encoded as a 1/2/4-byte integer when it fits, else as its digits.</summary>
    public void WriteIntegerString(long v)
    {
        Span<byte> b = stackalloc byte[5];
        if (v >= sbyte.MinValue && v <= sbyte.MaxValue)
        {
            b[0] = 0xC0;
            b[1] = (byte)v;
            WriteRaw(b[..2]);
        }
        else if (v >= short.MinValue && v <= short.MaxValue)
        {
            b[0] = 0xC1;
            BinaryPrimitives.WriteInt16LittleEndian(b[1..], (short)v);
            WriteRaw(b[..3]);
        }
        else if (v >= int.MinValue && v <= int.MaxValue)
        {
            b[0] = 0xC2;
            BinaryPrimitives.WriteInt32LittleEndian(b[1..], (int)v);
            WriteRaw(b[..5]);
        }
        else
        {
            var digits = NumberFormat.Int64ToBytes(v);
            WriteLength((ulong)digits.Length);
            WriteRaw(digits);
        }
    }

    bool TryWriteCompressed(ReadOnlySpan<byte> s)
    {
        // Like Redis, keep the compressed form only when it saves more than 4 bytes.
        var outBuf = new byte[s.Length - 4];
        int n = Lzf.Compress(s, outBuf);
        if (n == 0) return false;
        WriteByte(0xC3);
        WriteLength((ulong)n);
        WriteLength((ulong)s.Length);
        WriteRaw(outBuf.AsSpan(0, n));
        return true;
    }

    public void WriteMillis(long ms)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, ms);
        WriteRaw(b);
    }

    public void WriteBinaryDouble(double d)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(b, d);
        WriteRaw(b);
    }

    public void WriteAux(string key, string value)
    {
        WriteByte(Rdb.OpAux);
        WriteString(key);
        WriteString(value);
    }

    /// <summary>The RDB type byte a value is stored with (rdbSaveObjectType).</summary>
    public static byte TypeOf(object value) => value switch
    {
        byte[] or RawString => Rdb.TypeString,
        HashValue h => h.IsListpack ? Rdb.TypeHashListpack : Rdb.TypeHash,
        SetValue s => s.IsIntset ? Rdb.TypeSetIntset : Rdb.TypeSet,
        SortedSet z => z.IsCompact ? Rdb.TypeZsetListpack : Rdb.TypeZset2,
        _ => RdbTypeRegistry.TryGetSaver(value.GetType(), out var saver)
            ? saver.RdbType
            : throw new NotSupportedException($"values of type {RedisObject.TypeName(value)} cannot be written to RDB yet"),
    };

    public void WriteObjectType(object value) => WriteByte(TypeOf(value));

    /// <summary>A value's body, after its type byte (rdbSaveObject).</summary>
    public void WriteObject(object value)
    {
        switch (value)
        {
            case byte[] b: WriteString(b); break;
            case RawString r: WriteString(r.Span); break;
            case HashValue h: WriteHash(h); break;
            case SetValue s: WriteSet(s); break;
            case SortedSet z: WriteZset(z); break;
            default:
                if (!RdbTypeRegistry.TryGetSaver(value.GetType(), out var saver))
                    throw new NotSupportedException($"values of type {RedisObject.TypeName(value)} cannot be written to RDB yet");
                saver.Write(this, value);
                break;
        }
    }

    void WriteHash(HashValue h)
    {
        if (h.IsListpack)
        {
            var lp = new ListpackBuilder();
            foreach (var pair in h)
            {
                lp.Append(pair.Field);
                lp.Append(pair.Value);
            }
            WriteString(lp.ToArray());
            return;
        }
        WriteLength((ulong)h.Count);
        foreach (var pair in h)
        {
            WriteString(pair.Field);
            WriteString(pair.Value);
        }
    }

    void WriteSet(SetValue s)
    {
        if (s.Ints is { } ints)
        {
            WriteString(CompactBlob.WriteIntset(ints));
            return;
        }
        WriteLength((ulong)s.Count);
        Span<byte> scratch = stackalloc byte[24];
        for (int i = 0; i < s.Count; i++) WriteString(s.MemberAt(i, scratch));
    }

    void WriteZset(SortedSet z)
    {
        if (z.IsCompact)
        {
            var lp = new ListpackBuilder();
            Span<byte> score = stackalloc byte[32];
            for (var cur = z.Iterate(); cur.Valid; cur.Next())
            {
                lp.Append(cur.Member);
                lp.Append(score[..FormatScore(cur.Score, score)]);
            }
            WriteString(lp.ToArray());
            return;
        }
        // Redis writes a skiplist from the tail so that loading inserts each member at the head.
        WriteLength((ulong)z.Count);
        for (var cur = z.Iterate(reverse: true); cur.Valid; cur.Next())
        {
            WriteString(cur.Member);
            WriteBinaryDouble(cur.Score);
        }
    }

    /// <summary>A score as a listpack stores it (d2string): exact integers as integers, else %.17g.</summary>
    static int FormatScore(double score, Span<byte> dest)
    {
        if (score == Math.Floor(score) && Math.Abs(score) <= long.MaxValue / 2 && score != 0)
        {
            System.Buffers.Text.Utf8Formatter.TryFormat((long)score, dest, out int n);
            return n;
        }
        return NumberFormat.FormatDouble(score, dest);
    }
}
