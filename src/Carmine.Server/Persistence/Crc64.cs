namespace Carmine.Server.Persistence;

/// <summary>
/// The CRC-64 Redis puts at the end of RDB files and DUMP payloads: the "Jones" polynomial, reflected input
/// and output, initial value 0 and no final xor (crc64("123456789") = 0xe9c6d914c4b8d9ca).
/// </summary>
public static class Crc64
{
    const ulong ReflectedPoly = 0x95ac9329ac4bc9b5UL;
    static readonly ulong[] Table = BuildTable();

    static ulong[] BuildTable()
    {
        var t = new ulong[256];
        for (ulong i = 0; i < 256; i++)
        {
            ulong crc = i;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ ReflectedPoly : crc >> 1;
            t[i] = crc;
        }
        return t;
    }

    public static ulong Update(ulong crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) crc = Table[(byte)(crc ^ b)] ^ (crc >> 8);
        return crc;
    }
}
