namespace Carmine.Server.Persistence;

/// <summary>The RDB format's numbers (rdb.h): version, object types and opcodes.</summary>
public static class Rdb
{
    public const int Version = 10;

    public const byte TypeString = 0;
    public const byte TypeList = 1;
    public const byte TypeSet = 2;
    public const byte TypeZset = 3;
    public const byte TypeHash = 4;
    public const byte TypeZset2 = 5;
    public const byte TypeModule2 = 7;
    public const byte TypeHashZipmap = 9;
    public const byte TypeListZiplist = 10;
    public const byte TypeSetIntset = 11;
    public const byte TypeZsetZiplist = 12;
    public const byte TypeHashZiplist = 13;
    public const byte TypeListQuicklist = 14;
    public const byte TypeStreamListpacks = 15;
    public const byte TypeHashListpack = 16;
    public const byte TypeZsetListpack = 17;
    public const byte TypeListQuicklist2 = 18;
    public const byte TypeStreamListpacks2 = 19;

    public const byte OpFunction2 = 245;
    public const byte OpFunction = 246;
    public const byte OpModuleAux = 247;
    public const byte OpIdle = 248;
    public const byte OpFreq = 249;
    public const byte OpAux = 250;
    public const byte OpResizeDb = 251;
    public const byte OpExpireTimeMs = 252;
    public const byte OpExpireTime = 253;
    public const byte OpSelectDb = 254;
    public const byte OpEof = 255;

    static volatile bool skipChecksumValidation;

    /// <summary>
    /// DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE payloads and RDB files are read whatever their CRC, so tests can
    /// feed hand-made corrupt data. Process-wide, like Redis's server flag (one server per process).
    /// </summary>
    public static bool SkipChecksumValidation
    {
        get => skipChecksumValidation;
        set => skipChecksumValidation = value;
    }

    /// <summary>Whether a byte after the header may start a key's value (rdbIsObjectType).</summary>
    public static bool IsObjectType(int t) => t is >= 0 and <= 7 or >= 9 and <= 19;
}

/// <summary>
/// Serializers for value types that live in other files (lists, streams): a type registers how it writes
/// itself and which RDB type bytes it reads, and the RDB writer and reader, DUMP and RESTORE pick it up.
/// </summary>
public static class RdbTypeRegistry
{
    public readonly record struct Saver(byte RdbType, Action<RdbWriter, object> Write);

    static readonly Dictionary<Type, Saver> savers = [];
    static readonly Dictionary<byte, Func<RdbReader, byte, RdbLoadLimits, object?>> loaders = [];

    /// <summary>Registers the RDB form of values of the CLR type <paramref name="clrType"/>.</summary>
    public static void Register(Type clrType, byte rdbType, Action<RdbWriter, object> write)
    {
        lock (savers) savers[clrType] = new Saver(rdbType, write);
    }

    /// <summary>Registers a reader for values stored with <paramref name="rdbType"/>; it returns null for an empty value.</summary>
    public static void Register(byte rdbType, Func<RdbReader, byte, RdbLoadLimits, object?> load)
    {
        lock (loaders) loaders[rdbType] = load;
    }

    internal static bool TryGetSaver(Type t, out Saver saver)
    {
        lock (savers) return savers.TryGetValue(t, out saver);
    }

    internal static Func<RdbReader, byte, RdbLoadLimits, object?>? Loader(byte rdbType)
    {
        lock (loaders) return loaders.GetValueOrDefault(rdbType);
    }
}

/// <summary>The encoding thresholds a loaded value is fitted to, read once from the configuration.</summary>
public readonly record struct RdbLoadLimits(long HashMaxEntries, long HashMaxValue, long SetMaxIntsetEntries, Types.ZSetLimits Zset,
    int ListFill = -2, int ListCompressDepth = 0)
{
    public static RdbLoadLimits From(Config.ServerConfig config) => new(
        config.GetLong("hash-max-listpack-entries"), config.GetLong("hash-max-listpack-value"),
        config.GetLong("set-max-intset-entries"),
        new Types.ZSetLimits(config.GetLong("zset-max-listpack-entries"), config.GetLong("zset-max-listpack-value")),
        config.GetInt("list-max-listpack-size"), config.GetInt("list-compress-depth"));
}
