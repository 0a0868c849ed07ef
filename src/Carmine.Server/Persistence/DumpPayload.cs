using System.Buffers.Binary;

namespace Carmine.Server.Persistence;

/// <summary>
/// The DUMP / RESTORE payload: the RDB type byte, the value as RDB writes it, the 2-byte RDB version and a
/// CRC-64 of everything before it, all little-endian, exactly as Redis builds it.
/// </summary>
public static class DumpPayload
{
    public static byte[] Create(object value, bool compress)
    {
        var ms = new MemoryStream();
        var w = new RdbWriter(ms, compress, checksum: false);
        w.WriteObjectType(value);
        w.WriteObject(value);
        w.Flush();
        Span<byte> footer = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(footer, Rdb.Version);
        ms.Write(footer);
        var body = ms.ToArray();
        var payload = new byte[body.Length + 8];
        body.CopyTo(payload, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(body.Length), Crc64.Update(0, body));
        return payload;
    }

    /// <summary>
    /// verifyDumpPayload: the version is one we read and the checksum matches, unless DEBUG
    /// SET-SKIP-CHECKSUM-VALIDATION turned the checksum off.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 10) return false;
        var footer = payload[^10..];
        if (BinaryPrimitives.ReadUInt16LittleEndian(footer) > Rdb.Version) return false;
        return Rdb.SkipChecksumValidation || Crc64.Update(0, payload[..^8]) == BinaryPrimitives.ReadUInt64LittleEndian(footer[2..]);
    }

    /// <summary>
    /// The value in a verified payload, or null when it is malformed or empty. Why a malformed one was refused goes
    /// to the log at verbose level, as Redis reports a corrupt RESTORE payload.
    /// </summary>
    public static object? Read(byte[] payload, RdbLoadLimits limits)
    {
        try
        {
            var r = new RdbReader(payload.AsMemory(0, payload.Length - 10));
            byte type = r.ReadByte();
            if (!Rdb.IsObjectType(type)) throw new RdbFormatException($"Unknown RDB encoding type {type}", 0);
            return r.ReadObject(type, limits);
        }
        catch (RdbFormatException e)
        {
            Log.Verbose($"Internal error in RDB reading offset {e.Offset} -> {e.Reason}");
            return null;
        }
    }
}
