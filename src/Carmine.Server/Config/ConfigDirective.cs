namespace Carmine.Server.Config;

public enum ConfigType { Bool, Int, Memory, Enum, String, Special }

[Flags]
public enum ConfigFlags
{
    None = 0,
    /// <summary>Only settable at start-up (file or command line).</summary>
    Immutable = 1,
    /// <summary>Hidden from CONFIG GET output of logs (passwords).</summary>
    Sensitive = 2,
    /// <summary>CONFIG SET refuses it unless enable-protected-configs allows.</summary>
    Protected = 4,
    /// <summary>Accepted but not yet acted on by Carmine (listed in the README).</summary>
    NotActedOn = 8,
    /// <summary>A percentage may be given as "N%" and is stored as a negative number, as Redis does.</summary>
    Percent = 16,
    /// <summary>Memory value printed with a unit in CONFIG REWRITE; CONFIG GET prints bytes.</summary>
    DenyLoading = 32,
    /// <summary>Several words in one value (e.g. "save 3600 1 300 100").</summary>
    MultiArg = 64,
}

/// <summary>One configuration directive of redis.conf: its name, type, default and bounds.</summary>
public sealed record ConfigDirective(
    string Name,
    ConfigType Type,
    string Default,
    long Min = long.MinValue,
    long Max = long.MaxValue,
    string[]? EnumValues = null,
    ConfigFlags Flags = ConfigFlags.None,
    string? Alias = null);
