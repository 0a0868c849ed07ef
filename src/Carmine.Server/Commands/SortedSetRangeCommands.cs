using Carmine.Server.Network;
using Carmine.Server.Types;

namespace Carmine.Server.Commands;

enum RangeBy { Auto, Rank, Score, Lex }

/// <summary>ZRANGE, ZRANGESTORE and the older ZREVRANGE / Z[REV]RANGEBYSCORE / Z[REV]RANGEBYLEX, all one worker as in Redis.</summary>
static partial class SortedSetCommands
{
    [Command("zrange", -4, Flags = "readonly", Acl = "sortedset", Group = "sorted-set", Since = "1.2.0",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Return a range of members in a sorted set",
        Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.")]
    static void ZRange(Client c) => RangeGeneric(c, 1, store: false, RangeBy.Auto, null);

    [Command("zrangestore", -5, Flags = "write denyoom", Acl = "sortedset", Group = "sorted-set", Since = "6.2.0",
        Keys = ["OW update; index 1; range 0 1 0", "RO access; index 2; range 0 1 0"],
        Summary = "Store a range of members from sorted set into another key",
        Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.")]
    static void ZRangeStore(Client c) => RangeGeneric(c, 2, store: true, RangeBy.Auto, null);

    [Command("zrevrange", -4, Flags = "readonly", Acl = "sortedset", Group = "sorted-set", Since = "1.2.0",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Return a range of members in a sorted set, by index, with scores ordered from high to low",
        Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.")]
    static void ZRevRange(Client c) => RangeGeneric(c, 1, store: false, RangeBy.Rank, reverse: true);

    [Command("zrangebyscore", -4, Flags = "readonly", Acl = "sortedset", Group = "sorted-set", Since = "1.0.5",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Return a range of members in a sorted set, by score",
        Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")]
    static void ZRangeByScore(Client c) => RangeGeneric(c, 1, store: false, RangeBy.Score, reverse: false);

    [Command("zrevrangebyscore", -4, Flags = "readonly", Acl = "sortedset", Group = "sorted-set", Since = "2.2.0",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Return a range of members in a sorted set, by score, with scores ordered from high to low",
        Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")]
    static void ZRevRangeByScore(Client c) => RangeGeneric(c, 1, store: false, RangeBy.Score, reverse: true);

    [Command("zrangebylex", -4, Flags = "readonly", Acl = "sortedset", Group = "sorted-set", Since = "2.8.9",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Return a range of members in a sorted set, by lexicographical range",
        Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")]
    static void ZRangeByLex(Client c) => RangeGeneric(c, 1, store: false, RangeBy.Lex, reverse: false);

    [Command("zrevrangebylex", -4, Flags = "readonly", Acl = "sortedset", Group = "sorted-set", Since = "2.8.9",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
        Complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")]
    static void ZRevRangeByLex(Client c) => RangeGeneric(c, 1, store: false, RangeBy.Lex, reverse: true);

    /// <summary>
    /// The shared worker: <c>&lt;src&gt; &lt;min&gt; &lt;max&gt; [BYSCORE|BYLEX] [REV] [WITHSCORES] [LIMIT offset count]</c> starting at
    /// argument <paramref name="src"/>. A fixed <paramref name="by"/> or <paramref name="reverse"/> (the older commands) disables that option.
    /// </summary>
    static void RangeGeneric(Client c, int src, bool store, RangeBy by, bool? reverse)
    {
        var args = c.Args;
        bool withScores = false, rev = reverse ?? false, directionOpen = reverse is null;
        long offset = 0, limit = -1;
        for (int j = src + 3; j < args.Count; j++)
        {
            int left = args.Count - j - 1;
            if (!store && args.Is(j, "withscores")) withScores = true;
            else if (args.Is(j, "limit") && left >= 2)
            {
                if (!c.TryLong(j + 1, out offset) || !c.TryLong(j + 2, out limit)) return;
                j += 2;
            }
            else if (directionOpen && args.Is(j, "rev")) (rev, directionOpen) = (true, false);
            else if (by == RangeBy.Auto && args.Is(j, "bylex")) by = RangeBy.Lex;
            else if (by == RangeBy.Auto && args.Is(j, "byscore")) by = RangeBy.Score;
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        if (by == RangeBy.Auto) by = RangeBy.Rank;
        if (limit != -1 && by == RangeBy.Rank)
        {
            c.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
            return;
        }
        if (withScores && by == RangeBy.Lex)
        {
            c.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
            return;
        }
        // Reversed score and lex ranges are given as max, min.
        int minIdx = src + 1, maxIdx = src + 2;
        if (rev && by != RangeBy.Rank) (minIdx, maxIdx) = (maxIdx, minIdx);
        long start = 0, end = 0;
        ScoreRange scores = default;
        LexRange lex = default;
        switch (by)
        {
            case RangeBy.Rank:
                if (!c.TryLong(minIdx, out start) || !c.TryLong(maxIdx, out end)) return;
                break;
            case RangeBy.Score:
                if (!ScoreRange.TryParse(args[minIdx], args[maxIdx], out scores))
                {
                    c.Error(ScoreRangeError);
                    return;
                }
                break;
            default:
                if (!LexRange.TryParse(args[minIdx], args[maxIdx], out lex))
                {
                    c.Error(LexRangeError);
                    return;
                }
                break;
        }
        if (!c.TryRead<SortedSet>(args[src], out var z)) return;

        // Every kind of range comes down to a first ascending rank, a count, and a direction.
        long firstRank = 0, count = 0;
        if (z is not null)
        {
            long length = z.Count;
            if (by == RangeBy.Rank)
            {
                if (ClampRanks(length, ref start, ref end))
                {
                    firstRank = rev ? length - 1 - start : start;
                    count = end - start + 1;
                }
            }
            else
            {
                var (s, e) = by == RangeBy.Score ? z.RankSpan(scores) : z.RankSpan(lex, rev);
                // A negative offset yields nothing, a negative limit means no limit, as in Redis.
                if (offset >= 0 && e - s > offset)
                {
                    count = e - s - offset;
                    if (limit >= 0) count = Math.Min(count, limit);
                    firstRank = rev ? e - 1 - offset : s + offset;
                }
            }
        }

        if (store)
        {
            var items = new List<(byte[], double)>((int)Math.Min(count, 1 << 16));
            if (count > 0)
            {
                var cur = z!.At(firstRank, rev);
                for (long k = 0; k < count; k++, cur.Next()) items.Add((cur.Member.ToArray(), cur.Score));
            }
            StoreResult(c, 1, items, "zrangestore");
            return;
        }
        ElementsHeader(c, count, withScores);
        if (count == 0) return;
        var cursor = z!.At(firstRank, rev);
        for (long k = 0; k < count; k++, cursor.Next()) WriteElement(c, cursor.Member, cursor.Score, withScores);
    }
}
