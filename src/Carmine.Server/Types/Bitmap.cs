using System.Numerics;
using System.Runtime.InteropServices;

namespace Carmine.Server.Types;

/// <summary>
/// Bit-level reads and writes on string bytes, as the bitmap commands see them: bit 0 is the most significant
/// bit of the first byte.
/// </summary>
public static class Bitmap
{
    public static long PopCount(ReadOnlySpan<byte> bytes)
    {
        long n = 0;
        var words = MemoryMarshal.Cast<byte, ulong>(bytes);
        foreach (ulong w in words) n += BitOperations.PopCount(w);
        foreach (byte b in bytes[(words.Length * 8)..]) n += BitOperations.PopCount(b);
        return n;
    }

    /// <summary>
    /// The position of the first bit equal to <paramref name="bit"/>. When there is none: -1 for a set bit, and
    /// for a clear bit the position just past the end, since a string reads as zero-padded on the right.
    /// </summary>
    public static long FirstBit(ReadOnlySpan<byte> bytes, int bit)
    {
        byte skip = bit == 1 ? (byte)0 : (byte)0xff;
        int i = bytes.IndexOfAnyExcept(skip);
        if (i < 0) return bit == 1 ? -1 : (long)bytes.Length * 8;
        int b = bit == 1 ? bytes[i] : (byte)~bytes[i];
        return (long)i * 8 + BitOperations.LeadingZeroCount((uint)b) - 24;
    }

    public static int GetBit(ReadOnlySpan<byte> bytes, long offset)
    {
        long index = offset >> 3;
        if (index >= bytes.Length) return 0;
        return (bytes[(int)index] >> (7 - (int)(offset & 7))) & 1;
    }

    /// <summary>Reads <paramref name="bits"/> bits (1..64) from <paramref name="offset"/>; bits past the end read as zero.</summary>
    public static ulong GetUnsigned(ReadOnlySpan<byte> bytes, long offset, int bits)
    {
        ulong value = 0;
        for (int j = 0; j < bits; j++) value = (value << 1) | (uint)GetBit(bytes, offset + j);
        return value;
    }

    /// <summary>Reads a two's complement field, extending its sign bit.</summary>
    public static long GetSigned(ReadOnlySpan<byte> bytes, long offset, int bits)
    {
        ulong u = GetUnsigned(bytes, offset, bits);
        if (bits < 64 && (u & (1UL << (bits - 1))) != 0) u |= ulong.MaxValue << bits;
        return (long)u;
    }

    /// <summary>Writes the low <paramref name="bits"/> bits of <paramref name="value"/>; the bytes must reach that far.</summary>
    public static void SetUnsigned(Span<byte> bytes, long offset, int bits, ulong value)
    {
        for (int j = 0; j < bits; j++)
        {
            long at = offset + j;
            int shift = 7 - (int)(at & 7);
            ref byte b = ref bytes[(int)(at >> 3)];
            int bitval = (int)(value >> (bits - 1 - j)) & 1;
            b = (byte)((b & ~(1 << shift)) | (bitval << shift));
        }
    }
}
