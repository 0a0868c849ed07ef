namespace Carmine.Server.Types;

/// <summary>
/// An entry's fields and values packed into one array: the element count, then each element's length and bytes,
/// counts and lengths as 7-bit varints. One object per entry instead of one per field and value.
/// </summary>
public static class StreamEntryCodec
{
    public static byte[] Pack(byte[][] elements)
    {
        int size = VarintSize((uint)elements.Length);
        foreach (var e in elements) size += VarintSize((uint)e.Length) + e.Length;
        var packed = new byte[size];
        int at = WriteVarint(packed, 0, (uint)elements.Length);
        foreach (var e in elements)
        {
            at = WriteVarint(packed, at, (uint)e.Length);
            e.CopyTo(packed, at);
            at += e.Length;
        }
        return packed;
    }

    /// <summary>How many fields and values the entry holds.</summary>
    public static int Count(byte[] packed)
    {
        int at = 0;
        return (int)ReadVarint(packed, ref at);
    }

    /// <summary>Walks the elements in order.</summary>
    public ref struct Enumerator(byte[] packed)
    {
        int at = Skip(packed);
        int remaining = Count(packed);
        ReadOnlySpan<byte> current;

        public readonly ReadOnlySpan<byte> Current => current;

        public readonly Enumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (remaining == 0) return false;
            remaining--;
            int length = (int)ReadVarint(packed, ref at);
            current = packed.AsSpan(at, length);
            at += length;
            return true;
        }

        static int Skip(byte[] packed)
        {
            int at = 0;
            ReadVarint(packed, ref at);
            return at;
        }
    }

    public static Enumerator Elements(byte[] packed) => new(packed);

    static int VarintSize(uint v)
    {
        int n = 1;
        while (v >= 0x80)
        {
            v >>= 7;
            n++;
        }
        return n;
    }

    static int WriteVarint(byte[] buffer, int at, uint v)
    {
        while (v >= 0x80)
        {
            buffer[at++] = (byte)(v | 0x80);
            v >>= 7;
        }
        buffer[at++] = (byte)v;
        return at;
    }

    static uint ReadVarint(byte[] buffer, ref int at)
    {
        uint v = 0;
        int shift = 0;
        byte b;
        do
        {
            b = buffer[at++];
            v |= (uint)(b & 0x7F) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        return v;
    }
}
