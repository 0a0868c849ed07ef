using System.Runtime.InteropServices;

namespace Carmine.Server.Types;

/// <summary>
/// Redis's intset: a sorted array of distinct integers packed at the narrowest width (2, 4 or 8 bytes)
/// that holds them all; adding a wider value upgrades the whole array once.
/// </summary>
public sealed class IntSet
{
    byte[] data;
    int width = 2;
    int count;

    public IntSet(int capacity = 4) => data = new byte[capacity * 2];

    public int Count => count;

    /// <summary>Bytes per element: 2, 4 or 8, as Redis's INTSET_ENC_INT16/32/64.</summary>
    public int Width => width;

    public long this[int index] => Read(data, width, index);

    static long Read(byte[] data, int width, int index) => width switch
    {
        2 => MemoryMarshal.Cast<byte, short>(data.AsSpan())[index],
        4 => MemoryMarshal.Cast<byte, int>(data.AsSpan())[index],
        _ => MemoryMarshal.Cast<byte, long>(data.AsSpan())[index],
    };

    static int WidthFor(long v) => v >= short.MinValue && v <= short.MaxValue ? 2 : v >= int.MinValue && v <= int.MaxValue ? 4 : 8;

    /// <summary>Binary search: the index of <paramref name="value"/>, or the bitwise complement of its insertion point.</summary>
    int Search(long value)
    {
        if (WidthFor(value) > width) return value < 0 ? ~0 : ~count;
        return width switch
        {
            2 => MemoryMarshal.Cast<byte, short>(data.AsSpan(0, count * 2)).BinarySearch((short)value),
            4 => MemoryMarshal.Cast<byte, int>(data.AsSpan(0, count * 4)).BinarySearch((int)value),
            _ => MemoryMarshal.Cast<byte, long>(data.AsSpan(0, count * 8)).BinarySearch(value),
        };
    }

    public bool Contains(long value) => Search(value) >= 0;

    /// <summary>Adds a value; false if it was already there.</summary>
    public bool Add(long value)
    {
        int need = WidthFor(value);
        if (need > width) Upgrade(need);
        int pos = Search(value);
        if (pos >= 0) return false;
        pos = ~pos;
        if ((count + 1) * width > data.Length) Array.Resize(ref data, Math.Max(data.Length * 2, (count + 1) * width));
        Buffer.BlockCopy(data, pos * width, data, (pos + 1) * width, (count - pos) * width);
        count++;
        Write(pos, value);
        return true;
    }

    public bool Remove(long value)
    {
        int pos = Search(value);
        if (pos < 0) return false;
        RemoveAt(pos);
        return true;
    }

    public void RemoveAt(int pos)
    {
        Buffer.BlockCopy(data, (pos + 1) * width, data, pos * width, (count - pos - 1) * width);
        count--;
        if (data.Length > 64 && count * width * 4 < data.Length) Array.Resize(ref data, data.Length / 2);
    }

    void Write(int index, long value)
    {
        switch (width)
        {
            case 2: MemoryMarshal.Cast<byte, short>(data.AsSpan())[index] = (short)value; break;
            case 4: MemoryMarshal.Cast<byte, int>(data.AsSpan())[index] = (int)value; break;
            default: MemoryMarshal.Cast<byte, long>(data.AsSpan())[index] = value; break;
        }
    }

    void Upgrade(int newWidth)
    {
        var old = data;
        int oldWidth = width;
        data = new byte[Math.Max(count + 1, 4) * newWidth];
        width = newWidth;
        for (int i = 0; i < count; i++) Write(i, Read(old, oldWidth, i));
    }

    public IntSet Clone()
    {
        var copy = (IntSet)MemberwiseClone();
        copy.data = (byte[])data.Clone();
        return copy;
    }
}
