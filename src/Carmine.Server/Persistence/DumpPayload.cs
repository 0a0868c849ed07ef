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
        return Seal(ms.ToArray());
    }

    /// <summary>Appends the footer to serialized data: the RDB version, then a CRC-64 of everything before the CRC.</summary>
    public static byte[] Seal(ReadOnlySpan<byte> data)
    {
        var payload = new byte[data.Length + 10];
        data.CopyTo(payload);
        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(data.Length), Rdb.Version);
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(data.Length + 2), Crc64.Update(0, payload.AsSpan(0, data.Length + 2)));
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
