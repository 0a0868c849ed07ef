using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Carmine.Server.Config;
using Carmine.Server.Persistence;

namespace Carmine.CheckRdb;

/// <summary>
/// Walks an RDB file the way redis-check-rdb 7.0 does and prints the same report: each aux field and SELECTDB with
/// the offset reached, then either "RDB looks OK" or the error, the offset where it was found, what was being read
/// and the counts so far. Values are parsed and checked by the server's own <see cref="RdbReader"/>.
/// </summary>
public sealed class RdbCheck(TextWriter output)
{
    /// <summary>What the walk was reading when it stopped, in redis-check-rdb's words.</summary>
    enum Doing { Start, ReadType, ReadExpire, ReadKey, ReadObjectValue, CheckSum, ReadLen, ReadAux, ReadModuleAux, ReadFunctions }

    static readonly string[] DoingNames =
        ["start", "read-type", "read-expire", "read-key", "read-object-value", "check-sum", "read-len", "read-aux", "read-module-aux", "read-functions"];

    static readonly string[] TypeNames =
    [
        "string", "list-linked", "set-hashtable", "zset-v1", "hash-hashtable", "zset-v2", "module-value", "", "",
        "hash-zipmap", "list-ziplist", "set-intset", "zset-ziplist", "hash-ziplist", "quicklist", "stream", "hash-listpack",
        "zset-listpack", "quicklist-v2",
    ];

    RdbReader? reader;
    Doing doing = Doing.Start;
    byte[]? key;
    // As in redis-check-rdb, the type reads 0 until the first key is complete, then -1 between keys.
    int keyType;
    long keys, expires, alreadyExpired;

    /// <summary>Checks the file and prints the report; true if the file is sound.</summary>
    public bool Run(string path)
    {
        Info($"Checking RDB file {path}");
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        try
        {
            if (!Check(data)) return false;
        }
        catch (RdbFormatException e) when (e.Truncated)
        {
            Error("Unexpected EOF reading RDB file");
            return false;
        }
        catch (RdbFormatException e)
        {
            // Redis names its source line here; the reason is the same text. Then it logs its exit, as the server does.
            Error($"Internal error in RDB reading offset 0 -> {e.Reason}");
            output.WriteLine($"{Environment.ProcessId}:C {DateTime.Now.ToString("dd MMM yyyy HH:mm:ss.fff", CultureInfo.InvariantCulture)} # Terminating server after rdb file reading failure.");
            return false;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Error("Server crash checking the specified RDB file!");
            return false;
        }
        Info("\\o/ RDB looks OK! \\o/");
        Counts();
        return true;
    }

    bool Check(byte[] data)
    {
        var r = reader = new RdbReader(data);
        var magic = r.ReadRaw(9);
        if (!magic[..5].SequenceEqual("REDIS"u8))
        {
            Error("Wrong signature trying to load DB from file");
            return false;
        }
        int version = LeadingInt(magic[5..]);
        if (version < 1 || version > Rdb.Version)
        {
            Error($"Can't handle RDB format version {version}");
            return false;
        }
        var limits = RdbLoadLimits.From(new ServerConfig());
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long? expireAt = null;
        while (true)
        {
            doing = Doing.ReadType;
            byte type = r.ReadByte();
            switch (type)
            {
                case Rdb.OpExpireTime:
                    doing = Doing.ReadExpire;
                    expireAt = BinaryPrimitives.ReadInt32LittleEndian(r.ReadRaw(4)) * 1000L;
                    continue;
                case Rdb.OpExpireTimeMs:
                    doing = Doing.ReadExpire;
                    expireAt = r.ReadMillis();
                    continue;
                case Rdb.OpFreq:
                    r.ReadByte();
                    continue;
                case Rdb.OpIdle:
                    r.ReadLength();
                    continue;
                case Rdb.OpEof:
                    return CheckSum(data, version);
                case Rdb.OpSelectDb:
                    doing = Doing.ReadLen;
                    Info($"Selecting DB ID {r.ReadLength()}");
                    continue;
                case Rdb.OpResizeDb:
                    doing = Doing.ReadLen;
                    r.ReadLength();
                    r.ReadLength();
                    continue;
                case Rdb.OpAux:
                    {
                        doing = Doing.ReadAux;
                        var name = r.ReadString();
                        var value = r.ReadString();
                        Info($"AUX FIELD {CString(name)} = '{CString(value)}'");
                        continue;
                    }
                case Rdb.OpModuleAux:
                    doing = Doing.ReadModuleAux;
                    Error("Module data is not supported by carmine-check-rdb");
                    return false;
                case Rdb.OpFunction:
                    doing = Doing.ReadFunctions;
                    Error("Failed loading library, Pre-GA function format not supported");
                    return false;
                case Rdb.OpFunction2:
                    doing = Doing.ReadFunctions;
                    r.ReadString();
                    continue;
            }
            if (!Rdb.IsObjectType(type))
            {
                Error($"Invalid object type: {type}");
                return false;
            }
            keyType = type;
            doing = Doing.ReadKey;
            key = r.ReadString();
            keys++;
            doing = Doing.ReadObjectValue;
            // An empty value is refused, as Redis's loader refuses it, and reported the same way as a short read.
            if (r.ReadObject(type, limits) is null) throw new RdbFormatException("Empty key", r.Position, truncated: true);
            if (expireAt is { } at)
            {
                expires++;
                if (at < now) alreadyExpired++;
            }
            key = null;
            keyType = -1;
            expireAt = null;
        }
    }

    bool CheckSum(byte[] data, int version)
    {
        if (version < 5) return true;
        var r = reader!;
        doing = Doing.CheckSum;
        ulong expected = Crc64.Update(0, data.AsSpan(0, r.Position));
        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(r.ReadRaw(8));
        if (stored == 0) Info("RDB file was saved with checksum disabled: no check performed.");
        else if (stored != expected)
        {
            Error("RDB CRC error");
            return false;
        }
        else Info("Checksum OK");
        return true;
    }

    long Offset => reader?.Position ?? 0;

    void Info(string message) => output.WriteLine($"[offset {Offset}] {message}");

    void Error(string message)
    {
        output.WriteLine("--- RDB ERROR DETECTED ---");
        output.WriteLine($"[offset {Offset}] {message}");
        output.WriteLine($"[additional info] While doing: {DoingNames[(int)doing]}");
        if (key is not null) output.WriteLine($"[additional info] Reading key '{CString(key)}'");
        if (keyType != -1) output.WriteLine($"[additional info] Reading type {keyType} ({(keyType < TypeNames.Length ? TypeNames[keyType] : "unknown")})");
        Counts();
    }

    void Counts()
    {
        output.WriteLine($"[info] {keys} keys read");
        output.WriteLine($"[info] {expires} expires");
        output.WriteLine($"[info] {alreadyExpired} already expired");
    }

    /// <summary>Bytes as C's printf("%s") shows them: up to the first NUL.</summary>
    static string CString(byte[] s)
    {
        int end = Array.IndexOf(s, (byte)0);
        return Encoding.UTF8.GetString(s, 0, end < 0 ? s.Length : end);
    }

    /// <summary>The leading decimal number of the version digits, like C's atoi.</summary>
    static int LeadingInt(ReadOnlySpan<byte> digits)
    {
        int n = 0;
        foreach (byte b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9') break;
            n = n * 10 + (b - '0');
        }
        return n;
    }
}
