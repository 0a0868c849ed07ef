using Carmine.Protocol;
using Carmine.Server.Network;
using Carmine.Server.Types;

namespace Carmine.Server.Commands;

/// <summary>The string commands (t_string.c in Redis).</summary>
static class StringCommands
{
    [Command("get", 2, Flags = "readonly fast", Acl = "string", Group = "string", Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Get the value of a key", Complexity = "O(1)")]
    static void Get(Client c)
    {
        if (!c.TryReadString(c.Args[1], out var e)) return;
        if (e is null) c.Reply.Null();
        else c.Reply.Bulk(StringValue.Span(e.Value));
    }

    [Command("set", -3, Flags = "write denyoom", Acl = "string", Group = "string", Keys = ["RW access update variable_flags; index 1; range 0 1 0"],
        KeysFunction = nameof(SetKeys), Summary = "Set the string value of a key", Complexity = "O(1)")]
    static void Set(Client c)
    {
        var args = c.Args;
        bool nx = false, xx = false, get = false, keepTtl = false;
        long expireAt = 0;
        string? unit = null;
        for (int i = 3; i < args.Count; i++)
        {
            bool hasNext = i + 1 < args.Count;
            if (args.Is(i, "nx") && !xx) nx = true;
            else if (args.Is(i, "xx") && !nx) xx = true;
            else if (args.Is(i, "get")) get = true;
            else if (args.Is(i, "keepttl") && unit is null) keepTtl = true;
            else if (hasNext && unit is null && !keepTtl && (args.Is(i, "ex") || args.Is(i, "px") || args.Is(i, "exat") || args.Is(i, "pxat")))
            {
                unit = args.Lower(i);
                i++;
                if (!ParseExpire(c, i, unit, "set", out expireAt)) return;
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        var db = c.Database;
        var existing = c.LookupWrite(args[1]);
        if (get)
        {
            if (existing is not null && !StringValue.IsString(existing.Value))
            {
                c.Error(Errors.WrongType);
                return;
            }
        }
        if ((nx && existing is not null) || (xx && existing is null))
        {
            if (get)
            {
                if (existing is null) c.Reply.Null();
                else c.Reply.Bulk(StringValue.Span(existing.Value));
            }
            else c.Reply.Null();
            return;
        }
        if (get)
        {
            if (existing is null) c.Reply.Null();
            else c.Reply.Bulk(StringValue.Span(existing.Value));
        }
        var entry = db.Set(args[1], args.ToArray(2), c.NowMs, keepTtl);
        if (expireAt != 0) db.SetExpire(entry, expireAt);
        c.Dirty();
        if (!get) c.Reply.Ok();
    }

    /// <summary>SET's key only reads the old value with GET; otherwise it is overwritten.</summary>
    static bool SetKeys(ArgList args, List<KeyReference> keys)
    {
        bool get = false;
        for (int i = 3; i < args.Count; i++) get |= args.Is(i, "get");
        keys.Add(new KeyReference(1, get ? ["RW", "access", "update"] : ["OW", "update"]));
        return true;
    }

    /// <summary>Reads an EX/PX/EXAT/PXAT argument as an absolute Unix time in milliseconds, with Redis's errors.</summary>
    internal static bool ParseExpire(Client c, int i, string unit, string command, out long expireAtMs)
    {
        expireAtMs = 0;
        if (!NumberFormat.TryParseInt64(c.Args[i], out long n))
        {
            c.Error(Errors.NotInteger);
            return false;
        }
        bool seconds = unit is "ex" or "exat";
        if (n <= 0 || (seconds && n > long.MaxValue / 1000))
        {
            c.Error($"ERR invalid expire time in '{command}' command");
            return false;
        }
        long ms = seconds ? n * 1000 : n;
        if (unit is "ex" or "px")
        {
            if (ms > long.MaxValue - c.NowMs)
            {
                c.Error($"ERR invalid expire time in '{command}' command");
                return false;
            }
            ms += c.NowMs;
        }
        expireAtMs = ms;
        return true;
    }
}
