using Carmine.Protocol;
using Carmine.Server.Keyspace;
using Carmine.Server.Network;
using Carmine.Server.Types;

namespace Carmine.Server.Commands;

/// <summary>Argument parsing and key lookups shared by every command family, replying with Redis's errors.</summary>
public static class CommandHelpers
{
    /// <summary>Parses argument <paramref name="i"/> as an integer; on failure replies <paramref name="error"/> and returns false.</summary>
    public static bool TryLong(this Client c, int i, out long value, string error = Errors.NotInteger)
    {
        if (NumberFormat.TryParseInt64(c.Args[i], out value)) return true;
        c.Error(error);
        return false;
    }

    /// <summary>Parses an integer that must lie in [min, max], with Redis's "value is out of range" style errors.</summary>
    public static bool TryLongInRange(this Client c, int i, long min, long max, out long value, string error)
    {
        if (NumberFormat.TryParseInt64(c.Args[i], out value) && value >= min && value <= max) return true;
        c.Error(error);
        return false;
    }

    public static bool TryDouble(this Client c, int i, out double value, string error = Errors.NotFloat)
    {
        if (NumberFormat.TryParseDouble(c.Args[i], out value)) return true;
        c.Error(error);
        return false;
    }

    /// <summary>
    /// A lookup for reading: counts keyspace hits and misses and refreshes the access time, unless
    /// <paramref name="touch"/> is false (TTL, TYPE, EXISTS, OBJECT inspect a key without touching it).
    /// </summary>
    public static Entry? LookupRead(this Client c, ReadOnlySpan<byte> key, bool touch = true)
    {
        var e = c.Database.Find(key, c.NowMs);
        var counters = c.Server.Stats.Local;
        if (e is null)
        {
            counters.KeyspaceMisses++;
            return null;
        }
        counters.KeyspaceHits++;
        if (touch && !c.NoTouch) e.Lru = c.Server.Keyspace.Access.Touched(e.Lru, c.NowMs);
        return e;
    }

    /// <summary>A lookup for writing: no hit/miss accounting, access time refreshed.</summary>
    public static Entry? LookupWrite(this Client c, ReadOnlySpan<byte> key)
    {
        var e = c.Database.Find(key, c.NowMs);
        if (e is not null) e.Lru = c.Server.Keyspace.Access.Touched(e.Lru, c.NowMs);
        return e;
    }

    /// <summary>Looks up a string for reading. Returns false (after replying WRONGTYPE) if the key holds another type.</summary>
    public static bool TryReadString(this Client c, ReadOnlySpan<byte> key, out Entry? entry)
    {
        entry = c.LookupRead(key);
        if (entry is null || StringValue.IsString(entry.Value)) return true;
        c.Error(Errors.WrongType);
        return false;
    }

    /// <summary>Looks up a value of type <typeparamref name="T"/>; false (after replying WRONGTYPE) if another type is there.</summary>
    public static bool TryRead<T>(this Client c, ReadOnlySpan<byte> key, out T? value) where T : class
    {
        var e = c.LookupRead(key);
        value = null;
        if (e is null) return true;
        value = e.Value as T;
        if (value is not null) return true;
        c.Error(Errors.WrongType);
        return false;
    }

    /// <summary>Like <see cref="TryRead{T}"/> for a write; the entry is returned too so the caller can delete it when emptied.</summary>
    public static bool TryWrite<T>(this Client c, ReadOnlySpan<byte> key, out Entry? entry, out T? value) where T : class
    {
        entry = c.LookupWrite(key);
        value = null;
        if (entry is null) return true;
        value = entry.Value as T;
        if (value is not null) return true;
        c.Error(Errors.WrongType);
        return false;
    }

    /// <summary>Records that a write command changed the dataset (INFO's rdb_changes_since_last_save, and later propagation).</summary>
    public static void Dirty(this Client c, long changes = 1) => c.Server.Stats.Local.Dirty += changes;

    /// <summary>A Redis-style "ERR unknown subcommand" reply for a container's subcommand.</summary>
    public static void UnknownSubcommand(this Client c) =>
        c.Error($"ERR unknown subcommand '{c.Args.ToStr(1)}'. Try {c.Args.ToStr(0).ToUpperInvariant()} HELP.");

    /// <summary>Redis's reply when a command that parses its own subcommands gets an unknown one or the wrong argument count.</summary>
    public static void SubcommandSyntaxError(this Client c)
    {
        string sub = c.Args.ToStr(1);
        if (sub.Length > 128) sub = sub[..128];
        c.Error($"ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {c.Args.ToStr(0).ToUpperInvariant()} HELP.");
    }

    /// <summary>Writes HELP text lines as Redis does: a status line per entry.</summary>
    public static void HelpReply(this Client c, string container, params string[] lines)
    {
        c.Reply.ArrayHeader(lines.Length + 3);
        c.Reply.SimpleString($"{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
        foreach (var l in lines) c.Reply.SimpleString(l);
        c.Reply.SimpleString("HELP");
        c.Reply.SimpleString("    Prints this help.");
    }
}

/// <summary>Redis's LRU clock: seconds, wrapped to 24 bits.</summary>
public static class LruClock
{
    public const uint Max = (1 << 24) - 1;

    public static uint Now => At(Clock.NowMs());

    public static uint At(long nowMs) => (uint)(nowMs / 1000) & Max;

    /// <summary>Seconds since the access time <paramref name="lru"/>.</summary>
    public static long IdleSeconds(uint lru)
    {
        uint now = Now;
        return now >= lru ? now - lru : Max - lru + now;
    }
}
