namespace Carmine.Server.Types;

/// <summary>The length prefix of packed strings: 7 bits per byte, low bits first, the top bit set on all but the last byte.</summary>
static class PackedLength
{
    public static int Read(byte[] b, ref int pos)
    {
        int len = 0, shift = 0;
        while (true)
        {
            byte x = b[pos++];
            len |= (x & 0x7f) << shift;
            if (x < 0x80) return len;
            shift += 7;
        }
    }

    public static int Size(int len)
    {
        int n = 1;
        while (len >= 0x80)
        {
            len >>= 7;
            n++;
        }
        return n;
    }

    /// <summary>Writes <paramref name="len"/> at <paramref name="pos"/> and returns the position after it.</summary>
    public static int Write(byte[] b, int pos, int len)
    {
        uint v = (uint)len;
        while (v >= 0x80)
        {
            b[pos++] = (byte)(v | 0x80);
            v >>= 7;
        }
        b[pos++] = (byte)v;
        return pos;
    }
}
