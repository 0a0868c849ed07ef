using System.Text;
using Carmine.Server.Persistence;

namespace Carmine.Server.Scripting;

/// <summary>
/// Function libraries in RDB form, shared by RDB files and FUNCTION DUMP / RESTORE payloads: each library is the
/// RDB_OPCODE_FUNCTION2 opcode and its code as an RDB string. The pre-GA RDB_OPCODE_FUNCTION form (7.0-rc1/rc2:
/// name, engine, optional description, body) is read too, its code rebuilt with the shebang it lacked.
/// </summary>
public static class FunctionsRdb
{
    public static void Write(RdbWriter w, IReadOnlyList<byte[]> codes)
    {
        foreach (var code in codes)
        {
            w.WriteByte(Rdb.OpFunction2);
            w.WriteString(code);
        }
    }

    /// <summary>The code of the library after an opcode <paramref name="type"/> just read; throws with Redis's message if it is cut short.</summary>
    public static byte[] Read(RdbReader r, byte type)
    {
        if (type == Rdb.OpFunction2) return Field(r, "Failed loading library payload");
        byte[] name = Field(r, "Failed loading library name");
        byte[] engine = Field(r, "Failed loading engine name");
        ulong hasDescription = Guard(r, r.ReadLength, "Failed loading library description indicator");
        if (hasDescription != 0) Field(r, "Failed loading library description");
        byte[] body = Field(r, "Failed loading library blob");
        return [.. Encoding.ASCII.GetBytes("#!"), .. engine, .. " name="u8, .. name, (byte)'\n', .. body];
    }

    static byte[] Field(RdbReader r, string error) => Guard(r, r.ReadString, error);

    static T Guard<T>(RdbReader r, Func<T> read, string error)
    {
        try
        {
            return read();
        }
        catch (RdbFormatException)
        {
            throw new RdbFormatException(error, r.Position);
        }
    }

    /// <summary>FUNCTION DUMP: every library in the RDB form, then the RDB version and CRC-64 of a DUMP payload.</summary>
    public static byte[] Dump(IReadOnlyList<byte[]> codes, bool compress)
    {
        var body = new MemoryStream();
        var w = new RdbWriter(body, compress, checksum: false);
        Write(w, codes);
        w.Flush();
        return DumpPayload.Seal(body.ToArray());
    }

    /// <summary>FUNCTION RESTORE: the codes in a verified payload; throws with the reason Redis gives.</summary>
    public static List<byte[]> Restore(byte[] payload)
    {
        var r = new RdbReader(payload.AsMemory(0, payload.Length - 10));
        var codes = new List<byte[]>();
        while (r.Remaining > 0)
        {
            byte type = r.ReadByte();
            if (type != Rdb.OpFunction && type != Rdb.OpFunction2) throw new RdbFormatException("given type is not a function", r.Position);
            codes.Add(Read(r, type));
        }
        return codes;
    }
}
