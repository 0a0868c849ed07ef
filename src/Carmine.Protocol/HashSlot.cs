using System.Text;

namespace Carmine.Protocol;

/// <summary>
/// The cluster's key-to-slot function: CRC16 (XMODEM) of the key modulo 16384, where a key with a
/// non-empty {hash tag} is hashed on the tag alone so related keys can share a slot.
/// </summary>
public static class HashSlot
{
    public const int Count = 16384;

    static readonly ushort[] Table = BuildTable();

    static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (int i = 0; i < 256; i++)
        {
            int crc = i << 8;
            for (int bit = 0; bit < 8; bit++) crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            table[i] = (ushort)crc;
        }
        return table;
    }

    public static int Of(string key) => Of(Encoding.UTF8.GetBytes(key));

    public static int Of(ReadOnlySpan<byte> key)
    {
        int open = key.IndexOf((byte)'{');
        if (open >= 0)
        {
            int close = key[(open + 1)..].IndexOf((byte)'}');
            // "{}" is not a tag: the whole key is hashed.
            if (close > 0) key = key.Slice(open + 1, close);
        }
        return Crc16(key) & (Count - 1);
    }

    public static ushort Crc16(ReadOnlySpan<byte> data)
    {
        ushort crc = 0;
        foreach (byte b in data) crc = (ushort)((crc << 8) ^ Table[((crc >> 8) ^ b) & 0xff]);
        return crc;
    }
}
