using Carmine.Protocol;
using Carmine.Server.Keyspace;
using Carmine.Server.Network;
using Carmine.Server.PubSub;
using Carmine.Server.Types;

namespace Carmine.Server.Commands;

/// <summary>The sorted set commands (t_zset.c in Redis), except the blocking BZPOPMIN, BZPOPMAX and BZMPOP.</summary>
static partial class SortedSetCommands
{
    const string NaNError = "ERR resulting score is not a number (NaN)";
    const string ScoreRangeError = "ERR min or max is not a float";
    const string LexRangeError = "ERR min or max not valid string range item";

    /// <summary>The listpack thresholds as configured now (Redis reads them at every insertion).</summary>
    internal static ZSetLimits Limits(Client c) =>
        new(c.Server.Config.GetLong("zset-max-listpack-entries"), c.Server.Config.GetLong("zset-max-listpack-value"));

    /// <summary>One element of a reply: member, then its score if asked; RESP3 pairs them in a nested array, as Redis 7.0 does.</summary>
    static void WriteElement(Client c, ReadOnlySpan<byte> member, double score, bool withScores)
    {
        if (withScores && c.Reply.Resp3) c.Reply.ArrayHeader(2);
        c.Reply.Bulk(member);
        if (withScores) c.Reply.Double(score);
    }

    static void ElementsHeader(Client c, long count, bool withScores) =>
        c.Reply.ArrayHeader(withScores && !c.Reply.Resp3 ? count * 2 : count);

    /// <summary>A keyspace notification about a key of this command (class z unless told otherwise).</summary>
    static void Notify(Client c, string eventName, ReadOnlySpan<byte> key, NotifyFlags type = NotifyFlags.ZSet) =>
        c.Server.Events.Notify(type, eventName, c.Db, key);

    /// <summary>Deletes a key whose sorted set was emptied, with its "del" notification.</summary>
    static void DeleteEmptied(Client c, Entry entry, ReadOnlySpan<byte> key)
    {
        c.Database.Remove(entry);
        Notify(c, "del", key, NotifyFlags.Generic);
    }

    /// <summary>Stores a computed result in the destination key (deleting it when empty) and replies with its size.</summary>
    static void StoreResult(Client c, int destination, List<(byte[] Member, double Score)> items, string eventName)
    {
        var key = c.Args[destination];
        if (items.Count == 0)
        {
            if (c.Database.Delete(key, c.NowMs))
            {
                c.Dirty();
                Notify(c, "del", key, NotifyFlags.Generic);
            }
            c.Reply.Integer(0);
            return;
        }
        var z = SortedSet.Build(items, Limits(c));
        c.Database.Set(key, z, c.NowMs);
        c.Dirty();
        Notify(c, eventName, key);
        c.Reply.Integer(z.Count);
    }

    [Command("zadd", -4, Flags = "write denyoom fast", Acl = "sortedset", Group = "sorted-set", Since = "1.2.0",
        Keys = ["RW update; index 1; range 0 1 0"],
        Summary = "Add one or more members to a sorted set, or update its score if it already exists",
        Complexity = "O(log(N)) for each item added, where N is the number of elements in the sorted set.")]
    static void ZAdd(Client c) => AddGeneric(c, ZAddFlags.None);

    [Command("zincrby", 4, Flags = "write denyoom fast", Acl = "sortedset", Group = "sorted-set", Since = "1.2.0",
        Keys = ["RW access update; index 1; range 0 1 0"],
        Summary = "Increment the score of a member in a sorted set",
        Complexity = "O(log(N)) where N is the number of elements in the sorted set.")]
    static void ZIncrBy(Client c) => AddGeneric(c, ZAddFlags.Incr);

    static void AddGeneric(Client c, ZAddFlags flags)
    {
        var args = c.Args;
        bool ch = false;
        int first = 2;
        for (; first < args.Count; first++)
        {
            if (args.Is(first, "nx")) flags |= ZAddFlags.NX;
            else if (args.Is(first, "xx")) flags |= ZAddFlags.XX;
            else if (args.Is(first, "ch")) ch = true;
            else if (args.Is(first, "incr")) flags |= ZAddFlags.Incr;
            else if (args.Is(first, "gt")) flags |= ZAddFlags.GT;
            else if (args.Is(first, "lt")) flags |= ZAddFlags.LT;
            else break;
        }
        int pairs = args.Count - first;
        if (pairs % 2 != 0 || pairs == 0)
        {
            c.Error(Errors.Syntax);
            return;
        }
        pairs /= 2;
        bool incr = (flags & ZAddFlags.Incr) != 0, nx = (flags & ZAddFlags.NX) != 0, xx = (flags & ZAddFlags.XX) != 0;
        bool gt = (flags & ZAddFlags.GT) != 0, lt = (flags & ZAddFlags.LT) != 0;
        if (nx && xx)
        {
            c.Error("ERR XX and NX options at the same time are not compatible");
            return;
        }
        if ((gt && nx) || (lt && nx) || (gt && lt))
        {
            c.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
            return;
        }
        if (incr && pairs > 1)
        {
            c.Error("ERR INCR option supports a single increment-element pair");
            return;
        }
        // Every score is checked before anything changes: the command applies fully or not at all.
        Span<double> scores = pairs <= 32 ? stackalloc double[pairs] : new double[pairs];
        for (int j = 0; j < pairs; j++)
        {
            if (!NumberFormat.TryParseDouble(args[first + 2 * j], out scores[j]))
            {
                c.Error(Errors.NotFloat);
                return;
            }
        }
        if (!c.TryWrite<SortedSet>(args[1], out _, out var z)) return;
        long added = 0, updated = 0, processed = 0;
        double score = 0;
        // Only the compact encoding consults the thresholds; a skiplist never goes back.
        var limits = z is null || z.IsCompact ? Limits(c) : default;
        if (z is null && !xx)
        {
            z = SortedSet.Create(limits, args[first + 1].Length);
            c.Database.Add(args[1], z);
        }
        if (z is not null)
        {
            for (int j = 0; j < pairs; j++)
            {
                var result = z.Add(args[first + 1 + 2 * j], scores[j], flags, limits, out double newScore);
                if (result == ZAddResult.NaN)
                {
                    c.Error(NaNError);
                    return;
                }
                if (result == ZAddResult.Added) added++;
                else if (result == ZAddResult.Updated) updated++;
                if (result != ZAddResult.Nop) processed++;
                score = newScore;
            }
            c.Dirty(added + updated);
            if (added + updated > 0) Notify(c, incr ? "zincr" : "zadd", args[1]);
        }
        if (incr)
        {
            if (processed > 0) c.Reply.Double(score);
            else c.Reply.Null();
        }
        else c.Reply.Integer(ch ? added + updated : added);
    }

    [Command("zrem", -3, Flags = "write fast", Acl = "sortedset", Group = "sorted-set", Since = "1.2.0",
        Keys = ["RW delete; index 1; range 0 1 0"],
        Summary = "Remove one or more members from a sorted set",
        Complexity = "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.")]
    static void ZRem(Client c)
    {
        var args = c.Args;
        if (!c.TryWrite<SortedSet>(args[1], out var entry, out var z)) return;
        long deleted = 0;
        if (z is not null)
        {
            for (int j = 2; j < args.Count && z.Count > 0; j++)
                if (z.Remove(args[j])) deleted++;
            if (deleted > 0)
            {
                c.Dirty(deleted);
                Notify(c, "zrem", args[1]);
            }
            if (z.Count == 0) DeleteEmptied(c, entry!, args[1]);
        }
        c.Reply.Integer(deleted);
    }

    [Command("zcard", 2, Flags = "readonly fast", Acl = "sortedset", Group = "sorted-set", Since = "1.2.0",
        Keys = ["RO; index 1; range 0 1 0"],
        Summary = "Get the number of members in a sorted set", Complexity = "O(1)")]
    static void ZCard(Client c)
    {
        if (!c.TryRead<SortedSet>(c.Args[1], out var z)) return;
        c.Reply.Integer(z?.Count ?? 0);
    }

    [Command("zscore", 3, Flags = "readonly fast", Acl = "sortedset", Group = "sorted-set", Since = "1.2.0",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Get the score associated with the given member in a sorted set", Complexity = "O(1)")]
    static void ZScore(Client c)
    {
        if (!c.TryRead<SortedSet>(c.Args[1], out var z)) return;
        if (z is not null && z.TryGetScore(c.Args[2], out double score)) c.Reply.Double(score);
        else c.Reply.Null();
    }

    [Command("zmscore", -3, Flags = "readonly fast", Acl = "sortedset", Group = "sorted-set", Since = "6.2.0",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Get the score associated with the given members in a sorted set",
        Complexity = "O(N) where N is the number of members being requested.")]
    static void ZMScore(Client c)
    {
        var args = c.Args;
        if (!c.TryRead<SortedSet>(args[1], out var z)) return;
        c.Reply.ArrayHeader(args.Count - 2);
        for (int j = 2; j < args.Count; j++)
        {
            if (z is not null && z.TryGetScore(args[j], out double score)) c.Reply.Double(score);
            else c.Reply.Null();
        }
    }

    [Command("zrank", 3, Flags = "readonly fast", Acl = "sortedset", Group = "sorted-set", Since = "2.0.0",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Determine the index of a member in a sorted set", Complexity = "O(log(N))")]
    static void ZRank(Client c) => RankGeneric(c, reverse: false);

    [Command("zrevrank", 3, Flags = "readonly fast", Acl = "sortedset", Group = "sorted-set", Since = "2.0.0",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Determine the index of a member in a sorted set, with scores ordered from high to low", Complexity = "O(log(N))")]
    static void ZRevRank(Client c) => RankGeneric(c, reverse: true);

    static void RankGeneric(Client c, bool reverse)
    {
        if (!c.TryRead<SortedSet>(c.Args[1], out var z)) return;
        long rank = z?.Rank(c.Args[2]) ?? -1;
        if (rank < 0) c.Reply.Null();
        else c.Reply.Integer(reverse ? z!.Count - 1 - rank : rank);
    }

    [Command("zcount", 4, Flags = "readonly fast", Acl = "sortedset", Group = "sorted-set", Since = "2.0.0",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Count the members in a sorted set with scores within the given values",
        Complexity = "O(log(N)) with N being the number of elements in the sorted set.")]
    static void ZCount(Client c)
    {
        if (!ScoreRange.TryParse(c.Args[2], c.Args[3], out var range))
        {
            c.Error(ScoreRangeError);
            return;
        }
        if (!c.TryRead<SortedSet>(c.Args[1], out var z)) return;
        var (start, end) = z?.RankSpan(range) ?? (0, 0);
        c.Reply.Integer(Math.Max(0, end - start));
    }

    [Command("zlexcount", 4, Flags = "readonly fast", Acl = "sortedset", Group = "sorted-set", Since = "2.8.9",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Count the number of members in a sorted set between a given lexicographical range",
        Complexity = "O(log(N)) with N being the number of elements in the sorted set.")]
    static void ZLexCount(Client c)
    {
        if (!LexRange.TryParse(c.Args[2], c.Args[3], out var range))
        {
            c.Error(LexRangeError);
            return;
        }
        if (!c.TryRead<SortedSet>(c.Args[1], out var z)) return;
        c.Reply.Integer(z?.LexCount(range) ?? 0);
    }

    [Command("zremrangebyrank", 4, Flags = "write", Acl = "sortedset", Group = "sorted-set", Since = "2.0.0",
        Keys = ["RW delete; index 1; range 0 1 0"],
        Summary = "Remove all members in a sorted set within the given indexes",
        Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")]
    static void ZRemRangeByRank(Client c) => RemoveRangeGeneric(c, RangeBy.Rank);

    [Command("zremrangebyscore", 4, Flags = "write", Acl = "sortedset", Group = "sorted-set", Since = "1.2.0",
        Keys = ["RW delete; index 1; range 0 1 0"],
        Summary = "Remove all members in a sorted set within the given scores",
        Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")]
    static void ZRemRangeByScore(Client c) => RemoveRangeGeneric(c, RangeBy.Score);

    [Command("zremrangebylex", 4, Flags = "write", Acl = "sortedset", Group = "sorted-set", Since = "2.8.9",
        Keys = ["RW delete; index 1; range 0 1 0"],
        Summary = "Remove all members in a sorted set between the given lexicographical range",
        Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")]
    static void ZRemRangeByLex(Client c) => RemoveRangeGeneric(c, RangeBy.Lex);

    static void RemoveRangeGeneric(Client c, RangeBy by)
    {
        var args = c.Args;
        long start = 0, end = 0;
        ScoreRange scores = default;
        LexRange lex = default;
        if (by == RangeBy.Rank)
        {
            if (!c.TryLong(2, out start) || !c.TryLong(3, out end)) return;
        }
        else if (by == RangeBy.Score && !ScoreRange.TryParse(args[2], args[3], out scores))
        {
            c.Error(ScoreRangeError);
            return;
        }
        else if (by == RangeBy.Lex && !LexRange.TryParse(args[2], args[3], out lex))
        {
            c.Error(LexRangeError);
            return;
        }
        if (!c.TryWrite<SortedSet>(args[1], out var entry, out var z)) return;
        if (z is null)
        {
            c.Reply.Integer(0);
            return;
        }
        long first, count;
        if (by == RangeBy.Rank)
        {
            if (!ClampRanks(z.Count, ref start, ref end))
            {
                c.Reply.Integer(0);
                return;
            }
            (first, count) = (start, end - start + 1);
        }
        else
        {
            var (s, e) = by == RangeBy.Score ? z.RankSpan(scores) : z.RankSpan(lex);
            (first, count) = (s, Math.Max(0, e - s));
        }
        z.DeleteRange(first, count);
        if (count > 0)
        {
            c.Dirty(count);
            Notify(c, by switch { RangeBy.Rank => "zremrangebyrank", RangeBy.Score => "zremrangebyscore", _ => "zremrangebylex" }, args[1]);
        }
        if (z.Count == 0) DeleteEmptied(c, entry!, args[1]);
        c.Reply.Integer(count);
    }

    /// <summary>Resolves negative indexes and clips to the set, as Redis does; false when the range is empty.</summary>
    static bool ClampRanks(long length, ref long start, ref long end)
    {
        if (start < 0) start += length;
        if (end < 0) end += length;
        if (start < 0) start = 0;
        if (start > end || start >= length) return false;
        if (end >= length) end = length - 1;
        return true;
    }
}
