using System.Buffers.Binary;
using Carmine.Protocol;

namespace Carmine.Server.Persistence;

/// <summary>
/// Redis's on-disk listpack (listpack.c's format), as RDB stores small hashes and sorted sets: a 6-byte header
/// (total bytes, element count), entries that hold an integer or a string followed by their own length
/// backwards, and a 0xFF terminator. Carmine's in-memory encodings differ, so RDB converts at the boundary.
/// </summary>
public sealed class ListpackBuilder
{
    readonly MemoryStream buf = new();
    int count;

    public ListpackBuilder() => buf.Write(new byte[6]);

    public void Append(ReadOnlySpan<byte> s)
    {
        Span<byte> head = stackalloc byte[9];
        int encoded;
        if (s.Length <= 20 && NumberFormat.TryParseInt64(s, out long v)) encoded = EncodeInt(v, head);
        else
        {
            if (s.Length < 64) { head[0] = (byte)(0x80 | s.Length); encoded = 1; }
            else if (s.Length < 4096) { head[0] = (byte)(0xE0 | (s.Length >> 8)); head[1] = (byte)s.Length; encoded = 2; }
            else { head[0] = 0xF0; BinaryPrimitives.WriteInt32LittleEndian(head[1..], s.Length); encoded = 5; }
            buf.Write(head[..encoded]);
            buf.Write(s);
            WriteBackLength(encoded + s.Length);
            count++;
            return;
        }
        buf.Write(head[..encoded]);
        WriteBackLength(encoded);
        count++;
    }

    static int EncodeInt(long v, Span<byte> head)
    {
        if (v >= 0 && v <= 127) { head[0] = (byte)v; return 1; }
        if (v >= -4096 && v <= 4095) { head[0] = (byte)(0xC0 | ((v >> 8) & 0x1F)); head[1] = (byte)v; return 2; }
        if (v >= short.MinValue && v <= short.MaxValue) { head[0] = 0xF1; BinaryPrimitives.WriteInt16LittleEndian(head[1..], (short)v); return 3; }
        if (v >= -(1 << 23) && v < (1 << 23)) { head[0] = 0xF2; head[1] = (byte)v; head[2] = (byte)(v >> 8); head[3] = (byte)(v >> 16); return 4; }
        if (v >= int.MinValue && v <= int.MaxValue) { head[0] = 0xF3; BinaryPrimitives.WriteInt32LittleEndian(head[1..], (int)v); return 5; }
        head[0] = 0xF4;
        BinaryPrimitives.WriteInt64LittleEndian(head[1..], v);
        return 9;
    }

    void WriteBackLength(int l)
    {
        if (l <= 127) buf.WriteByte((byte)l);
        else if (l < 16383) { buf.WriteByte((byte)(l >> 7)); buf.WriteByte((byte)((l & 127) | 128)); }
        else if (l < 2097151) { buf.WriteByte((byte)(l >> 14)); buf.WriteByte((byte)(((l >> 7) & 127) | 128)); buf.WriteByte((byte)((l & 127) | 128)); }
        else if (l < 268435455)
        {
            buf.WriteByte((byte)(l >> 21)); buf.WriteByte((byte)(((l >> 14) & 127) | 128));
            buf.WriteByte((byte)(((l >> 7) & 127) | 128)); buf.WriteByte((byte)((l & 127) | 128));
        }
        else
        {
            buf.WriteByte((byte)(l >> 28)); buf.WriteByte((byte)(((l >> 21) & 127) | 128)); buf.WriteByte((byte)(((l >> 14) & 127) | 128));
            buf.WriteByte((byte)(((l >> 7) & 127) | 128)); buf.WriteByte((byte)((l & 127) | 128));
        }
    }

    public byte[] ToArray()
    {
        buf.WriteByte(0xFF);
        var data = buf.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(data, (uint)data.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(4), (ushort)Math.Min(count, 65535));
        return data;
    }
}

/// <summary>Reads the elements of compact blobs found in RDB files: listpack, ziplist, zipmap and intset, checking every bound.</summary>
public static class CompactBlob
{
    /// <summary>The elements of a listpack as strings (integers in decimal); null when malformed.</summary>
    public static List<byte[]>? ReadListpack(ReadOnlySpan<byte> lp)
    {
        if (lp.Length < 7 || BinaryPrimitives.ReadUInt32LittleEndian(lp) != lp.Length || lp[^1] != 0xFF) return null;
        int declared = BinaryPrimitives.ReadUInt16LittleEndian(lp[4..]);
        var items = new List<byte[]>();
        int p = 6;
        while (p < lp.Length - 1)
        {
            int b = lp[p];
            int encoded;
            byte[] item;
            if ((b & 0x80) == 0) { item = Int(b); encoded = 1; }
            else if ((b & 0xC0) == 0x80) { int n = b & 0x3F; if (p + 1 + n > lp.Length - 1) return null; item = lp.Slice(p + 1, n).ToArray(); encoded = 1 + n; }
            else if ((b & 0xE0) == 0xC0)
            {
                if (p + 2 > lp.Length - 1) return null;
                int v = ((b & 0x1F) << 8) | lp[p + 1];
                if (v >= 1 << 12) v -= 1 << 13;
                item = Int(v); encoded = 2;
            }
            else if ((b & 0xF0) == 0xE0)
            {
                if (p + 2 > lp.Length - 1) return null;
                int n = ((b & 0x0F) << 8) | lp[p + 1];
                if (p + 2 + n > lp.Length - 1) return null;
                item = lp.Slice(p + 2, n).ToArray(); encoded = 2 + n;
            }
            else
            {
                int size = b switch { 0xF0 => 5, 0xF1 => 3, 0xF2 => 4, 0xF3 => 5, 0xF4 => 9, _ => -1 };
                if (size < 0 || p + size > lp.Length - 1) return null;
                var d = lp.Slice(p + 1, size - 1);
                switch (b)
                {
                    case 0xF0:
                        long n = BinaryPrimitives.ReadUInt32LittleEndian(d);
                        if (p + 5 + n > lp.Length - 1) return null;
                        item = lp.Slice(p + 5, (int)n).ToArray(); encoded = 5 + (int)n;
                        break;
                    case 0xF1: item = Int(BinaryPrimitives.ReadInt16LittleEndian(d)); encoded = 3; break;
                    case 0xF2: item = Int((d[0] | (d[1] << 8) | (d[2] << 16)) << 8 >> 8); encoded = 4; break;
                    case 0xF3: item = Int(BinaryPrimitives.ReadInt32LittleEndian(d)); encoded = 5; break;
                    default: item = Int(BinaryPrimitives.ReadInt64LittleEndian(d)); encoded = 9; break;
                }
            }
            int back = encoded <= 127 ? 1 : encoded < 16383 ? 2 : encoded < 2097151 ? 3 : encoded < 268435455 ? 4 : 5;
            if (p + encoded + back > lp.Length - 1 || !BacklenMatches(lp.Slice(p + encoded, back), encoded)) return null;
            p += encoded + back;
            items.Add(item);
        }
        if (declared != 65535 && declared != items.Count) return null;
        return items;
    }

    /// <summary>
    /// Whether an entry's back-length (its size, 7 bits a byte from the end, all but the first byte flagged) says
    /// <paramref name="size"/>, as Redis's listpack validation requires.
    /// </summary>
    static bool BacklenMatches(ReadOnlySpan<byte> backlen, int size)
    {
        for (int i = 0; i < backlen.Length; i++)
        {
            int expected = ((size >> (7 * (backlen.Length - 1 - i))) & 127) | (i == 0 ? 0 : 128);
            if (backlen[i] != expected) return false;
        }
        return true;
    }

    /// <summary>The elements of a (pre-7.0) ziplist; null when malformed.</summary>
    public static List<byte[]>? ReadZiplist(ReadOnlySpan<byte> zl)
    {
        if (zl.Length < 11 || BinaryPrimitives.ReadUInt32LittleEndian(zl) != zl.Length || zl[^1] != 0xFF) return null;
        int declared = BinaryPrimitives.ReadUInt16LittleEndian(zl[8..]);
        var items = new List<byte[]>();
        int p = 10, end = zl.Length - 1;
        while (p < end)
        {
            p += zl[p] < 254 ? 1 : 5;
            if (p >= end) return null;
            int b = zl[p];
            int top = b >> 6;
            if (top == 0 || top == 1 || top == 2)
            {
                long n;
                int header;
                if (top == 0) { n = b & 0x3F; header = 1; }
                else if (top == 1) { if (p + 2 > end) return null; n = ((b & 0x3F) << 8) | zl[p + 1]; header = 2; }
                else { if (p + 5 > end) return null; n = BinaryPrimitives.ReadUInt32BigEndian(zl[(p + 1)..]); header = 5; }
                if (p + header + n > end) return null;
                items.Add(zl.Slice(p + header, (int)n).ToArray());
                p += header + (int)n;
                continue;
            }
            int size = b switch { 0xC0 => 2, 0xD0 => 4, 0xE0 => 8, 0xF0 => 3, 0xFE => 1, _ => b >= 0xF1 && b <= 0xFD ? 0 : -1 };
            if (size < 0 || p + 1 + size > end) return null;
            var d = zl.Slice(p + 1, size);
            long v = b switch
            {
                0xC0 => BinaryPrimitives.ReadInt16LittleEndian(d),
                0xD0 => BinaryPrimitives.ReadInt32LittleEndian(d),
                0xE0 => BinaryPrimitives.ReadInt64LittleEndian(d),
                0xF0 => (d[0] | (d[1] << 8) | (d[2] << 16)) << 8 >> 8,
                0xFE => (sbyte)d[0],
                _ => (b & 0x0F) - 1,
            };
            items.Add(NumberFormat.Int64ToBytes(v));
            p += 1 + size;
        }
        if (declared != 65535 && declared != items.Count) return null;
        return items;
    }

    /// <summary>The keys and values, alternating, of a (pre-2.6) zipmap; null when malformed.</summary>
    public static List<byte[]>? ReadZipmap(ReadOnlySpan<byte> zm)
    {
        if (zm.Length < 2) return null;
        var items = new List<byte[]>();
        int p = 1;
        while (true)
        {
            if (p >= zm.Length) return null;
            if (zm[p] == 0xFF) return p == zm.Length - 1 ? items : null;
            if (!ReadZipmapLength(zm, ref p, out int klen) || p + klen > zm.Length) return null;
            items.Add(zm.Slice(p, klen).ToArray());
            p += klen;
            if (!ReadZipmapLength(zm, ref p, out int vlen) || p >= zm.Length) return null;
            int free = zm[p++];
            if (p + vlen + free > zm.Length) return null;
            items.Add(zm.Slice(p, vlen).ToArray());
            p += vlen + free;
        }
    }

    static bool ReadZipmapLength(ReadOnlySpan<byte> zm, ref int p, out int len)
    {
        len = 0;
        if (p >= zm.Length) return false;
        int b = zm[p++];
        if (b < 254) { len = b; return true; }
        if (b != 254 || p + 4 > zm.Length) return false;
        uint l = BinaryPrimitives.ReadUInt32LittleEndian(zm[p..]);
        p += 4;
        if (l > int.MaxValue) return false;
        len = (int)l;
        return true;
    }

    /// <summary>The integers of an intset blob, which must be sorted and distinct; null when malformed.</summary>
    public static List<long>? ReadIntset(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 8) return null;
        uint width = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(blob[4..]);
        if (width is not (2 or 4 or 8) || 8 + (long)width * count != blob.Length) return null;
        var values = new List<long>((int)count);
        for (int i = 0; i < count; i++)
        {
            var d = blob.Slice(8 + i * (int)width);
            long v = width == 2 ? BinaryPrimitives.ReadInt16LittleEndian(d) : width == 4 ? BinaryPrimitives.ReadInt32LittleEndian(d) : BinaryPrimitives.ReadInt64LittleEndian(d);
            if (values.Count > 0 && v <= values[^1]) return null;
            values.Add(v);
        }
        return values;
    }

    /// <summary>An intset blob as Redis lays it out: width, count, then the sorted values little-endian.</summary>
    public static byte[] WriteIntset(Types.IntSet set)
    {
        int width = set.Width;
        var blob = new byte[8 + width * set.Count];
        BinaryPrimitives.WriteUInt32LittleEndian(blob, (uint)width);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), (uint)set.Count);
        for (int i = 0; i < set.Count; i++)
        {
            var d = blob.AsSpan(8 + i * width);
            if (width == 2) BinaryPrimitives.WriteInt16LittleEndian(d, (short)set[i]);
            else if (width == 4) BinaryPrimitives.WriteInt32LittleEndian(d, (int)set[i]);
            else BinaryPrimitives.WriteInt64LittleEndian(d, set[i]);
        }
        return blob;
    }

    static byte[] Int(long v) => NumberFormat.Int64ToBytes(v);
}
