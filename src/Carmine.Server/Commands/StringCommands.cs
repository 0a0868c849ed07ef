using System.Text;
using Carmine.Protocol;
using Carmine.Server.Keyspace;
using Carmine.Server.Network;
using Carmine.Server.PubSub;
using Carmine.Server.Replication;
using Carmine.Server.Types;

namespace Carmine.Server.Commands;

/// <summary>The string commands (t_string.c in Redis).</summary>
static class StringCommands
{
    /// <summary>The options of SET and GETEX, accepted in the same combinations as Redis accepts them.</summary>
    [Flags]
    enum StringOptions
    {
        None = 0,
        Nx = 1 << 0,
        Xx = 1 << 1,
        Ex = 1 << 2,
        Px = 1 << 3,
        KeepTtl = 1 << 4,
        Get = 1 << 5,
        ExAt = 1 << 6,
        PxAt = 1 << 7,
        Persist = 1 << 8,
        AnyExpire = Ex | Px | ExAt | PxAt,
    }

    [Command("get", 2, Flags = "readonly fast", Acl = "string", Group = "string", Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Get the value of a key", Complexity = "O(1)",
        Arguments = ["key:key"])]
    static void Get(Client c) => GetGeneric(c, out _);

    [Command("set", -3, Flags = "write denyoom", Acl = "string", Group = "string", Keys = ["RW access update variable_flags; index 1; range 0 1 0; notes RW and ACCESS due to the optional `GET` argument"],
        KeysFunction = nameof(SetKeys), Summary = "Set the string value of a key", Complexity = "O(1)",
        History = ["2.6.12: Added the `EX`, `PX`, `NX` and `XX` options.", "6.0.0: Added the `KEEPTTL` option.",
            "6.2.0: Added the `GET`, `EXAT` and `PXAT` option.", "7.0.0: Allowed the `NX` and `GET` options to be used together."],
        Arguments = ["key:key", "value:string", "condition:oneof since=2.6.12 optional (nx:pure-token token=NX | xx:pure-token token=XX)", "get:pure-token token=GET since=6.2.0 optional", "expiration:oneof optional (seconds:integer token=EX since=2.6.12 | milliseconds:integer token=PX since=2.6.12 | unix-time-seconds:unix-time token=EXAT since=6.2.0 | unix-time-milliseconds:unix-time token=PXAT since=6.2.0 | keepttl:pure-token token=KEEPTTL since=6.0.0)"])]
    static void Set(Client c)
    {
        if (!TryParseOptions(c, forSet: true, out var flags, out int expireIndex)) return;
        SetGeneric(c, flags, 2, expireIndex, "set", countReply: false);
    }

    [Command("setnx", 3, Flags = "write denyoom fast", Acl = "string", Group = "string", Keys = ["OW insert; index 1; range 0 1 0"],
        Summary = "Set the value of a key, only if the key does not exist", Complexity = "O(1)",
        Arguments = ["key:key", "value:string"])]
    static void SetNx(Client c) => SetGeneric(c, StringOptions.Nx, 2, 0, "setnx", countReply: true);

    [Command("setex", 4, Flags = "write denyoom", Acl = "string", Group = "string", Since = "2.0.0", Keys = ["OW update; index 1; range 0 1 0"],
        Summary = "Set the value and expiration of a key", Complexity = "O(1)",
        Arguments = ["key:key", "seconds:integer", "value:string"])]
    static void SetEx(Client c) => SetGeneric(c, StringOptions.Ex, 3, 2, "setex", countReply: false);

    [Command("psetex", 4, Flags = "write denyoom", Acl = "string", Group = "string", Since = "2.6.0", Keys = ["OW update; index 1; range 0 1 0"],
        Summary = "Set the value and expiration in milliseconds of a key", Complexity = "O(1)",
        Arguments = ["key:key", "milliseconds:integer", "value:string"])]
    static void PSetEx(Client c) => SetGeneric(c, StringOptions.Px, 3, 2, "psetex", countReply: false);

    [Command("getex", -2, Flags = "write fast", Acl = "string", Group = "string", Since = "6.2.0", Keys = ["RW access update; index 1; range 0 1 0; notes RW and UPDATE because it changes the TTL"],
        Summary = "Get the value of a key and optionally set its expiration", Complexity = "O(1)",
        Arguments = ["key:key", "expiration:oneof optional (seconds:integer token=EX | milliseconds:integer token=PX | unix-time-seconds:unix-time token=EXAT | unix-time-milliseconds:unix-time token=PXAT | persist:pure-token token=PERSIST)"])]
    static void GetEx(Client c)
    {
        if (!TryParseOptions(c, forSet: false, out var flags, out int expireIndex)) return;
        var e = c.LookupRead(c.Args[1]);
        if (e is null)
        {
            c.Reply.Null();
            return;
        }
        if (!StringValue.IsString(e.Value))
        {
            c.Error(Errors.WrongType);
            return;
        }
        long expireAt = 0;
        if (expireIndex > 0 && !ParseExpire(c, expireIndex, UnitName(flags), "getex", out expireAt)) return;
        c.Reply.Bulk(StringValue.Span(e.Value));
        var db = c.Database;
        if ((flags & (StringOptions.ExAt | StringOptions.PxAt)) != 0 && expireAt <= c.NowMs)
        {
            // An absolute time already past deletes the key at once.
            db.Remove(e);
            Notify(c, NotifyFlags.Generic, "del", c.Args[1]);
            c.Dirty();
            c.Propagate(c.Server.Config.GetBool("lazyfree-lazy-expire") ? "UNLINK" : "DEL", e.Key);
        }
        else if (expireIndex > 0)
        {
            db.SetExpire(e, expireAt);
            Notify(c, NotifyFlags.Generic, "expire", c.Args[1]);
            c.Dirty();
            if (c.Propagating()) c.Propagate("PEXPIREAT", e.Key, expireAt);
        }
        else if ((flags & StringOptions.Persist) != 0 && e.ExpireAt != 0)
        {
            db.RemoveExpire(e);
            Notify(c, NotifyFlags.Generic, "persist", c.Args[1]);
            c.Dirty();
            c.Propagate("PERSIST", e.Key);
        }
    }

    [Command("getdel", 2, Flags = "write fast", Acl = "string", Group = "string", Since = "6.2.0", Keys = ["RW access delete; index 1; range 0 1 0"],
        Summary = "Get the value of a key and delete the key", Complexity = "O(1)",
        Arguments = ["key:key"])]
    static void GetDel(Client c)
    {
        if (!GetGeneric(c, out var e) || e is null) return;
        c.Database.Remove(e);
        Notify(c, NotifyFlags.Generic, "del", c.Args[1]);
        c.Dirty();
        c.Propagate("DEL", e.Key);
    }

    [Command("getset", 3, Flags = "write denyoom fast", Acl = "string", Group = "string", Keys = ["RW access update; index 1; range 0 1 0"],
        Summary = "Set the string value of a key and return its old value", Complexity = "O(1)",
        DocFlags = "deprecated", DeprecatedSince = "6.2.0", ReplacedBy = "`SET` with the `!GET` argument",
        Arguments = ["key:key", "value:string"])]
    static void GetSet(Client c)
    {
        if (!GetGeneric(c, out var e)) return;
        SetKey(c, c.Args[1], e, StoredBytes.Copy(c.Args[2]), keepTtl: false);
        Notify(c, NotifyFlags.String, "set", c.Args[1]);
        c.Dirty();
        // Redis propagates GETSET as the SET it amounts to.
        if (c.Propagating()) c.Propagate("SET", c.Args.ToArray(1), c.Args.ToArray(2));
    }

    [Command("mget", -2, Flags = "readonly fast", Acl = "string", Group = "string", Keys = ["RO access; index 1; range -1 1 0"],
        Tips = "request_policy:multi_shard", Summary = "Get the values of all the given keys", Complexity = "O(N) where N is the number of keys to retrieve.",
        Arguments = ["key:key multiple"])]
    static void MGet(Client c)
    {
        c.Reply.ArrayHeader(c.Args.Count - 1);
        for (int i = 1; i < c.Args.Count; i++)
        {
            var e = c.LookupRead(c.Args[i]);
            if (e is null || !StringValue.IsString(e.Value)) c.Reply.Null();
            else c.Reply.Bulk(StringValue.Span(e.Value));
        }
    }

    [Command("mset", -3, Flags = "write denyoom", Acl = "string", Group = "string", Since = "1.0.1", Keys = ["OW update; index 1; range -1 2 0"],
        Tips = "request_policy:multi_shard response_policy:all_succeeded", Summary = "Set multiple keys to multiple values",
        Complexity = "O(N) where N is the number of keys to set.",
        Arguments = ["key_value:block multiple (key:key | value:string)"])]
    static void MSet(Client c) => MSetGeneric(c, nx: false);

    [Command("msetnx", -3, Flags = "write denyoom", Acl = "string", Group = "string", Since = "1.0.1", Keys = ["OW insert; index 1; range -1 2 0"],
        Tips = "request_policy:multi_shard response_policy:agg_min", Summary = "Set multiple keys to multiple values, only if none of the keys exist",
        Complexity = "O(N) where N is the number of keys to set.",
        Arguments = ["key_value:block multiple (key:key | value:string)"])]
    static void MSetNx(Client c) => MSetGeneric(c, nx: true);

    static void MSetGeneric(Client c, bool nx)
    {
        var args = c.Args;
        if (args.Count % 2 == 0)
        {
            c.Error(Errors.WrongArgs(nx ? "msetnx" : "mset"));
            return;
        }
        if (nx)
        {
            for (int i = 1; i < args.Count; i += 2)
            {
                if (c.LookupWrite(args[i]) is not null)
                {
                    c.Reply.Integer(0);
                    return;
                }
            }
        }
        for (int i = 1; i < args.Count; i += 2)
        {
            SetKey(c, args[i], c.LookupWrite(args[i]), StoredBytes.Copy(args[i + 1]), keepTtl: false);
            Notify(c, NotifyFlags.String, "set", args[i]);
        }
        c.Dirty((args.Count - 1) / 2);
        if (nx) c.Reply.Integer(1);
        else c.Reply.Ok();
    }

    [Command("incr", 2, Flags = "write denyoom fast", Acl = "string", Group = "string", Keys = ["RW access update; index 1; range 0 1 0"],
        Summary = "Increment the integer value of a key by one", Complexity = "O(1)",
        Arguments = ["key:key"])]
    static void Incr(Client c) => IncrDecr(c, 1);

    [Command("decr", 2, Flags = "write denyoom fast", Acl = "string", Group = "string", Keys = ["RW access update; index 1; range 0 1 0"],
        Summary = "Decrement the integer value of a key by one", Complexity = "O(1)",
        Arguments = ["key:key"])]
    static void Decr(Client c) => IncrDecr(c, -1);

    [Command("incrby", 3, Flags = "write denyoom fast", Acl = "string", Group = "string", Keys = ["RW access update; index 1; range 0 1 0"],
        Summary = "Increment the integer value of a key by the given amount", Complexity = "O(1)",
        Arguments = ["key:key", "increment:integer"])]
    static void IncrBy(Client c)
    {
        if (c.TryLong(2, out long incr)) IncrDecr(c, incr);
    }

    [Command("decrby", 3, Flags = "write denyoom fast", Acl = "string", Group = "string", Keys = ["RW access update; index 1; range 0 1 0"],
        Summary = "Decrement the integer value of a key by the given number", Complexity = "O(1)",
        Arguments = ["key:key", "decrement:integer"])]
    static void DecrBy(Client c)
    {
        if (!c.TryLong(2, out long decr)) return;
        if (decr == long.MinValue)
        {
            c.Error("ERR decrement would overflow");
            return;
        }
        IncrDecr(c, -decr);
    }

    static void IncrDecr(Client c, long incr)
    {
        var e = c.LookupWrite(c.Args[1]);
        long value = 0;
        if (e is not null)
        {
            if (!StringValue.IsString(e.Value))
            {
                c.Error(Errors.WrongType);
                return;
            }
            if (!NumberFormat.TryParseInt64(StringValue.Span(e.Value), out value))
            {
                c.Error(Errors.NotInteger);
                return;
            }
        }
        if ((incr < 0 && value < 0 && incr < long.MinValue - value) || (incr > 0 && value > 0 && incr > long.MaxValue - value))
        {
            c.Error(Errors.Overflow);
            return;
        }
        value += incr;
        Span<byte> digits = stackalloc byte[20];
        value.TryFormat(digits, out int written, provider: System.Globalization.CultureInfo.InvariantCulture);
        Overwrite(c, e, StoredBytes.Copy(digits[..written]));
        Notify(c, NotifyFlags.String, "incrby", c.Args[1]);
        c.Dirty();
        c.Reply.Integer(value);
    }

    [Command("incrbyfloat", 3, Flags = "write denyoom fast", Acl = "string", Group = "string", Since = "2.6.0", Keys = ["RW access update; index 1; range 0 1 0"],
        Summary = "Increment the float value of a key by the given amount", Complexity = "O(1)",
        Arguments = ["key:key", "increment:double"])]
    static void IncrByFloat(Client c)
    {
        var e = c.LookupWrite(c.Args[1]);
        LongDouble value = default;
        if (e is not null)
        {
            if (!StringValue.IsString(e.Value))
            {
                c.Error(Errors.WrongType);
                return;
            }
            if (!LongDouble.TryParse(StringValue.Span(e.Value), out value))
            {
                c.Error(Errors.NotFloat);
                return;
            }
        }
        if (!LongDouble.TryParse(c.Args[2], out var incr))
        {
            c.Error(Errors.NotFloat);
            return;
        }
        var sum = value + incr;
        if (sum.IsInfinity)
        {
            c.Error("ERR increment would produce NaN or Infinity");
            return;
        }
        var text = StoredBytes.Copy(Encoding.ASCII.GetBytes(sum.ToHumanString()));
        Overwrite(c, e, text);
        Notify(c, NotifyFlags.String, "incrbyfloat", c.Args[1]);
        c.Dirty();
        // The exact result, not the increment: a replica's float arithmetic could differ.
        if (c.Propagating()) c.Propagate("SET", c.Args.ToArray(1), text, "KEEPTTL");
        c.Reply.Bulk(text);
    }

    [Command("append", 3, Flags = "write denyoom fast", Acl = "string", Group = "string", Since = "2.0.0", Keys = ["RW insert; index 1; range 0 1 0"],
        Summary = "Append a value to a key",
        Complexity = "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
        Arguments = ["key:key", "value:string"])]
    static void Append(Client c)
    {
        var more = c.Args[2];
        var e = c.LookupWrite(c.Args[1]);
        long length;
        if (e is null)
        {
            AddKey(c, c.Args[1], StoredBytes.Copy(more));
            length = more.Length;
        }
        else
        {
            if (!StringValue.IsString(e.Value))
            {
                c.Error(Errors.WrongType);
                return;
            }
            if (!CheckStringLength(c, StringValue.Span(e.Value).Length, more.Length)) return;
            var raw = Unshare(e);
            raw.Append(more);
            length = raw.Length;
        }
        Notify(c, NotifyFlags.String, "append", c.Args[1]);
        c.Dirty();
        c.Reply.Integer(length);
    }

    [Command("strlen", 2, Flags = "readonly fast", Acl = "string", Group = "string", Since = "2.2.0", Keys = ["RO; index 1; range 0 1 0"],
        Summary = "Get the length of the value stored in a key", Complexity = "O(1)",
        Arguments = ["key:key"])]
    static void StrLen(Client c)
    {
        if (!c.TryReadString(c.Args[1], out var e)) return;
        c.Reply.Integer(e is null ? 0 : StringValue.Span(e.Value).Length);
    }

    [Command("getrange", 4, Flags = "readonly", Acl = "string", Group = "string", Since = "2.4.0", Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Get a substring of the string stored at a key",
        Complexity = "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
        Arguments = ["key:key", "start:integer", "end:integer"])]
    [Command("substr", 4, Flags = "readonly", Acl = "string", Group = "string", Keys = ["RO access; index 1; range 0 1 0"],
        DocFlags = "deprecated", DeprecatedSince = "2.0.0", ReplacedBy = "`GETRANGE`",
        Summary = "Get a substring of the string stored at a key",
        Complexity = "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
        Arguments = ["key:key", "start:integer", "end:integer"])]
    static void GetRange(Client c)
    {
        if (!c.TryLong(2, out long start) || !c.TryLong(3, out long end)) return;
        var e = c.LookupRead(c.Args[1]);
        if (e is null)
        {
            c.Reply.Bulk(ReadOnlySpan<byte>.Empty);
            return;
        }
        if (!StringValue.IsString(e.Value))
        {
            c.Error(Errors.WrongType);
            return;
        }
        var s = StringValue.Span(e.Value);
        if (start < 0 && end < 0 && start > end)
        {
            c.Reply.Bulk(ReadOnlySpan<byte>.Empty);
            return;
        }
        long len = s.Length;
        if (start < 0) start = Math.Max(0, len + start);
        if (end < 0) end = Math.Max(0, len + end);
        if (end >= len) end = len - 1;
        if (start > end || len == 0) c.Reply.Bulk(ReadOnlySpan<byte>.Empty);
        else c.Reply.Bulk(s.Slice((int)start, (int)(end - start + 1)));
    }

    [Command("setrange", 4, Flags = "write denyoom", Acl = "string", Group = "string", Since = "2.2.0", Keys = ["RW update; index 1; range 0 1 0"],
        Summary = "Overwrite part of a string at key starting at the specified offset",
        Complexity = "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
        Arguments = ["key:key", "offset:integer", "value:string"])]
    static void SetRange(Client c)
    {
        if (!c.TryLong(2, out long offset)) return;
        if (offset < 0)
        {
            c.Error("ERR offset is out of range");
            return;
        }
        var value = c.Args[3];
        var e = c.LookupWrite(c.Args[1]);
        RawString raw;
        if (e is null)
        {
            if (value.Length == 0)
            {
                c.Reply.Integer(0);
                return;
            }
            if (!CheckStringLength(c, offset, value.Length)) return;
            raw = AddRawString(c, (int)offset + value.Length);
        }
        else
        {
            if (!StringValue.IsString(e.Value))
            {
                c.Error(Errors.WrongType);
                return;
            }
            if (value.Length == 0)
            {
                c.Reply.Integer(StringValue.Span(e.Value).Length);
                return;
            }
            if (!CheckStringLength(c, offset, value.Length)) return;
            raw = Unshare(e);
        }
        raw.EnsureLength((int)offset + value.Length);
        value.CopyTo(raw.Writable[(int)offset..]);
        Notify(c, NotifyFlags.String, "setrange", c.Args[1]);
        c.Dirty();
        c.Reply.Integer(raw.Length);
    }

    [Command("lcs", -3, Flags = "readonly", Acl = "string", Group = "string", Since = "7.0.0", Keys = ["RO access; index 1; range 1 1 0"],
        Summary = "Find longest common substring", Complexity = "O(N*M) where N and M are the lengths of s1 and s2, respectively",
        Arguments = ["key1:key", "key2:key spec=0", "len:pure-token token=LEN optional", "idx:pure-token token=IDX optional", "len:integer token=MINMATCHLEN optional", "withmatchlen:pure-token token=WITHMATCHLEN optional"])]
    static void Lcs(Client c)
    {
        var args = c.Args;
        var ea = c.LookupRead(args[1]);
        var eb = c.LookupRead(args[2]);
        if ((ea is not null && !StringValue.IsString(ea.Value)) || (eb is not null && !StringValue.IsString(eb.Value)))
        {
            c.Error("ERR The specified keys must contain string values");
            return;
        }
        bool getLen = false, getIdx = false, withMatchLen = false;
        long minMatchLen = 0;
        for (int i = 3; i < args.Count; i++)
        {
            if (args.Is(i, "idx")) getIdx = true;
            else if (args.Is(i, "len")) getLen = true;
            else if (args.Is(i, "withmatchlen")) withMatchLen = true;
            else if (args.Is(i, "minmatchlen") && i + 1 < args.Count)
            {
                if (!c.TryLong(++i, out minMatchLen)) return;
                if (minMatchLen < 0) minMatchLen = 0;
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        if (getLen && getIdx)
        {
            c.Error("ERR If you want both the length and indexes, please just use IDX.");
            return;
        }
        ReadOnlySpan<byte> a = ea is null ? [] : StringValue.Span(ea.Value);
        ReadOnlySpan<byte> b = eb is null ? [] : StringValue.Span(eb.Value);
        long cells = (long)(a.Length + 1) * (b.Length + 1);
        if (cells * sizeof(uint) > c.Server.Config.GetLong("proto-max-bulk-len") || cells > Array.MaxLength)
        {
            c.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
            return;
        }
        var table = LcsTable(a, b);
        int width = b.Length + 1;
        uint total = table[a.Length * width + b.Length];
        if (getLen)
        {
            c.Reply.Integer(total);
            return;
        }
        LcsTrace(c, a, b, table, getIdx, withMatchLen, minMatchLen);
    }

    /// <summary>The dynamic programming table: cell (i, j) holds the LCS length of a[..i] and b[..j].</summary>
    static uint[] LcsTable(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int width = b.Length + 1;
        var table = new uint[(a.Length + 1) * width];
        for (int i = 1; i <= a.Length; i++)
        {
            int row = i * width, up = row - width;
            for (int j = 1; j <= b.Length; j++)
                table[row + j] = a[i - 1] == b[j - 1] ? table[up + j - 1] + 1 : Math.Max(table[up + j], table[row + j - 1]);
        }
        return table;
    }

    /// <summary>
    /// Walks the table back from the end, building the common string and, for IDX, the matching ranges
    /// from last to first, the order Redis replies them in.
    /// </summary>
    static void LcsTrace(Client c, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, uint[] table, bool getIdx, bool withMatchLen, long minMatchLen)
    {
        int width = b.Length + 1;
        uint total = table[a.Length * width + b.Length];
        var result = new byte[total];
        int idx = (int)total;
        int deferred = 0, ranges = 0;
        if (getIdx)
        {
            c.Reply.MapHeader(2);
            c.Reply.Bulk("matches"u8);
            deferred = c.Reply.BeginDeferred();
        }
        int i = a.Length, j = b.Length;
        // A range is open while aStart >= 0; it grows backwards along a diagonal.
        int aStart = -1, aEnd = 0, bStart = 0, bEnd = 0;
        while (i > 0 && j > 0)
        {
            bool emit = false;
            if (a[i - 1] == b[j - 1])
            {
                result[--idx] = a[i - 1];
                if (aStart < 0)
                {
                    aStart = aEnd = i - 1;
                    bStart = bEnd = j - 1;
                }
                else
                {
                    aStart--;
                    bStart--;
                }
                if (aStart == 0 || bStart == 0) emit = true;
                i--;
                j--;
            }
            else
            {
                if (table[(i - 1) * width + j] > table[i * width + j - 1]) i--;
                else j--;
                if (aStart >= 0) emit = true;
            }
            if (!emit) continue;
            long matchLen = aEnd - aStart + 1;
            if (getIdx && (minMatchLen == 0 || matchLen >= minMatchLen))
            {
                c.Reply.ArrayHeader(withMatchLen ? 3 : 2);
                c.Reply.ArrayHeader(2);
                c.Reply.Integer(aStart);
                c.Reply.Integer(aEnd);
                c.Reply.ArrayHeader(2);
                c.Reply.Integer(bStart);
                c.Reply.Integer(bEnd);
                if (withMatchLen) c.Reply.Integer(matchLen);
                ranges++;
            }
            aStart = -1;
        }
        if (getIdx)
        {
            c.Reply.EndDeferredArray(deferred, ranges);
            c.Reply.Bulk("len"u8);
            c.Reply.Integer(total);
        }
        else c.Reply.Bulk(result);
    }

    /// <summary>GET's reply: nil, the value, or WRONGTYPE (then false). The entry found is returned for GETDEL and GETSET.</summary>
    static bool GetGeneric(Client c, out Entry? e)
    {
        e = c.LookupRead(c.Args[1]);
        if (e is null)
        {
            c.Reply.Null();
            return true;
        }
        if (!StringValue.IsString(e.Value))
        {
            c.Error(Errors.WrongType);
            return false;
        }
        c.Reply.Bulk(StringValue.Span(e.Value));
        return true;
    }

    /// <summary>SET and its variants SETNX, SETEX, PSETEX; SETNX answers 1/0 where SET answers OK/nil.</summary>
    static void SetGeneric(Client c, StringOptions flags, int valueIndex, int expireIndex, string command, bool countReply)
    {
        long expireAt = 0;
        if (expireIndex > 0 && !ParseExpire(c, expireIndex, UnitName(flags), command, out expireAt)) return;
        bool get = (flags & StringOptions.Get) != 0;
        if (get && !GetGeneric(c, out _)) return;
        var key = c.Args[1];
        var e = c.LookupWrite(key);
        if (((flags & StringOptions.Nx) != 0 && e is not null) || ((flags & StringOptions.Xx) != 0 && e is null))
        {
            if (get) return;
            if (countReply) c.Reply.Integer(0);
            else c.Reply.Null();
            return;
        }
        var value = StoredBytes.Copy(c.Args[valueIndex]);
        e = SetKey(c, key, e, value, keepTtl: (flags & StringOptions.KeepTtl) != 0);
        Notify(c, NotifyFlags.String, "set", key);
        if (expireIndex > 0)
        {
            c.Database.SetExpire(e, expireAt);
            Notify(c, NotifyFlags.Generic, "expire", key);
            // Relative expiries reach replicas and the AOF as an absolute time, as Redis 7.0 propagates them.
            if (c.Propagating()) c.Propagate("SET", e.Key, value, "PXAT", expireAt);
        }
        c.Dirty();
        if (get) return;
        if (countReply) c.Reply.Integer(1);
        else c.Reply.Ok();
    }

    /// <summary>
    /// Parses the options of SET (from argument 3) or GETEX (from argument 2), refusing conflicting ones with a
    /// syntax error. A repeated expiry option is allowed, the last one wins.
    /// </summary>
    static bool TryParseOptions(Client c, bool forSet, out StringOptions flags, out int expireIndex)
    {
        var args = c.Args;
        flags = StringOptions.None;
        expireIndex = 0;
        for (int i = forSet ? 3 : 2; i < args.Count; i++)
        {
            bool hasNext = i + 1 < args.Count;
            var expireKind = ExpireKind(args, i);
            if (forSet && args.Is(i, "nx") && (flags & StringOptions.Xx) == 0) flags |= StringOptions.Nx;
            else if (forSet && args.Is(i, "xx") && (flags & StringOptions.Nx) == 0) flags |= StringOptions.Xx;
            else if (forSet && args.Is(i, "get")) flags |= StringOptions.Get;
            else if (forSet && args.Is(i, "keepttl") && (flags & (StringOptions.Persist | StringOptions.AnyExpire)) == 0)
                flags |= StringOptions.KeepTtl;
            else if (!forSet && args.Is(i, "persist") && (flags & (StringOptions.KeepTtl | StringOptions.AnyExpire)) == 0)
                flags |= StringOptions.Persist;
            else if (expireKind != StringOptions.None && hasNext
                && (flags & (StringOptions.KeepTtl | StringOptions.Persist | (StringOptions.AnyExpire & ~expireKind))) == 0)
            {
                flags |= expireKind;
                expireIndex = ++i;
            }
            else
            {
                c.Error(Errors.Syntax);
                return false;
            }
        }
        return true;
    }

    /// <summary>SET only reads its key with GET; otherwise the old value is overwritten unseen.</summary>
    static bool SetKeys(ArgList args, List<KeyReference> keys)
    {
        bool get = false;
        for (int i = 3; i < args.Count; i++) get |= args.Is(i, "get");
        keys.Add(new KeyReference(1, get ? ["RW", "access", "update"] : ["OW", "update"]));
        return true;
    }

    static StringOptions ExpireKind(ArgList args, int i)
    {
        if (args.Is(i, "ex")) return StringOptions.Ex;
        if (args.Is(i, "px")) return StringOptions.Px;
        if (args.Is(i, "exat")) return StringOptions.ExAt;
        if (args.Is(i, "pxat")) return StringOptions.PxAt;
        return StringOptions.None;
    }

    static string UnitName(StringOptions flags) => (flags & StringOptions.AnyExpire) switch
    {
        StringOptions.Ex => "ex",
        StringOptions.Px => "px",
        StringOptions.ExAt => "exat",
        _ => "pxat",
    };

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

    /// <summary>Stores a value under a key whose lookup gave <paramref name="e"/>, as Redis's setKey: the expiry goes unless kept.</summary>
    internal static Entry SetKey(Client c, ReadOnlySpan<byte> key, Entry? e, object value, bool keepTtl)
    {
        if (e is null) return AddKey(c, key, value);
        c.Database.Replace(e, value);
        if (!keepTtl && e.ExpireAt != 0) c.Database.RemoveExpire(e);
        return e;
    }

    /// <summary>Replaces the value and keeps the expiry (INCR and friends), or creates the key.</summary>
    static void Overwrite(Client c, Entry? e, object value)
    {
        if (e is null) AddKey(c, c.Args[1], value);
        else e.Value = value;
    }

    static Entry AddKey(Client c, ReadOnlySpan<byte> key, object value)
    {
        var e = c.Database.Add(key, value);
        Notify(c, NotifyFlags.New, "new", key);
        return e;
    }

    /// <summary>A keyspace notification about a key of the client's database.</summary>
    internal static void Notify(Client c, NotifyFlags type, string eventName, ReadOnlySpan<byte> key) =>
        c.Server.Events.Notify(type, eventName, c.Db, key);

    /// <summary>The value as a <see cref="RawString"/> that can be changed in place, converting it on first use.</summary>
    internal static RawString Unshare(Entry e)
    {
        if (e.Value is RawString raw) return raw;
        raw = new RawString((byte[])e.Value);
        e.Value = raw;
        return raw;
    }

    /// <summary>Refuses a string that would grow past proto-max-bulk-len (or what a .NET array can hold).</summary>
    internal static bool CheckStringLength(Client c, long size, long append)
    {
        long max = Math.Min(c.Server.Config.GetLong("proto-max-bulk-len"), Array.MaxLength);
        if (size > max - append)
        {
            c.Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
            return false;
        }
        return true;
    }

    /// <summary>A new string key created by a command that writes into it (SETRANGE, SETBIT, BITFIELD).</summary>
    internal static RawString AddRawString(Client c, int length)
    {
        var raw = new RawString([], length);
        raw.EnsureLength(length);
        AddKey(c, c.Args[1], raw);
        return raw;
    }
}
