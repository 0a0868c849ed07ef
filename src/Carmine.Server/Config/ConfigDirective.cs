namespace Carmine.Server.Config;

/// <summary>
/// How a directive's value is parsed and printed. Memory values accept units (1k, 2mb, 1gb) and CONFIG GET
/// prints them in bytes; Octal is parsed and printed in base 8 (unixsocketperm).
/// </summary>
public enum ConfigType { Bool, Int, Memory, Octal, Enum, String, Special }

[Flags]
public enum ConfigFlags
{
    None = 0,
    /// <summary>Only settable at start-up (file or command line).</summary>
    Immutable = 1,
    /// <summary>Holds a secret (a password) that logs such as the slowlog must not show.</summary>
    Sensitive = 2,
    /// <summary>CONFIG SET refuses it unless enable-protected-configs allows.</summary>
    Protected = 4,
    /// <summary>Accepted and shown by CONFIG GET, but not yet acted on by Carmine.</summary>
    NotActedOn = 8,
    /// <summary>A percentage may be given as "N%" and is stored as a negative number, as Redis does.</summary>
    Percent = 16,
    /// <summary>CONFIG SET refuses it while a data set is loading.</summary>
    DenyLoading = 32,
    /// <summary>Several words in one value (e.g. "save 3600 1 300 100"); for enums, a set of flags.</summary>
    MultiArg = 64,
    /// <summary>CONFIG GET with a pattern skips it; only its exact name shows it (test knobs).</summary>
    Hidden = 128,
    /// <summary>Listed by DEBUG's config dump (Redis's DEBUG_CONFIG).</summary>
    Debug = 256,
    /// <summary>An unsigned C type in Redis: bounds are compared, and memory values printed, as unsigned.</summary>
    Unsigned = 512,
    /// <summary>An empty string means "not set": CONFIG REWRITE then removes the directive from the file.</summary>
    EmptyIsNull = 1024,
}

/// <summary>One name of an enumerated directive and the value it stands for (several names may share a value).</summary>
public readonly record struct ConfigEnum(string Name, int Value);

/// <summary>One configuration directive of redis.conf: its name, type, default and bounds.</summary>
public sealed record ConfigDirective(
    string Name,
    ConfigType Type,
    string Default,
    long Min = long.MinValue,
    long Max = long.MaxValue,
    ConfigEnum[]? EnumValues = null,
    ConfigFlags Flags = ConfigFlags.None,
    string? Alias = null)
{
    public bool Has(ConfigFlags flag) => (Flags & flag) != 0;
}
