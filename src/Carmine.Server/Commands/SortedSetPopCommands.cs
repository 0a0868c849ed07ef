using System.Globalization;
using Carmine.Protocol;
using Carmine.Server.Keyspace;
using Carmine.Server.Network;
using Carmine.Server.PubSub;
using Carmine.Server.Types;

using Carmine.Server.Replication;

namespace Carmine.Server.Commands;

/// <summary>ZPOPMIN, ZPOPMAX, ZMPOP, their blocking forms BZPOPMIN, BZPOPMAX and BZMPOP, ZRANDMEMBER and ZSCAN.</summary>
static partial class SortedSetCommands
{
    [Command("zpopmin", -2, Flags = "write fast", Acl = "sortedset", Group = "sorted-set", Since = "5.0.0",
        Keys = ["RW access delete; index 1; range 0 1 0"],
        Summary = "Remove and return members with the lowest scores in a sorted set",
        Complexity = "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")]
    static void ZPopMin(Client c) => PopMinMax(c, max: false);

    [Command("zpopmax", -2, Flags = "write fast", Acl = "sortedset", Group = "sorted-set", Since = "5.0.0",
        Keys = ["RW access delete; index 1; range 0 1 0"],
        Summary = "Remove and return members with the highest scores in a sorted set",
        Complexity = "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")]
    static void ZPopMax(Client c) => PopMinMax(c, max: true);

    static void PopMinMax(Client c, bool max)
    {
        if (c.Args.Count > 3)
        {
            c.Error(Errors.Syntax);
            return;
        }
        long count = -1;
        if (c.Args.Count == 3 && !c.TryLongInRange(2, 0, long.MaxValue, out count, "ERR value is out of range, must be positive")) return;
        // RESP3 nests member-score pairs when a count was given; a single pop stays flat.
        PopGeneric(c, 1, 1, max, emitKey: false, count, nested: c.Reply.Resp3 && count != -1, nilWhenEmpty: false);
    }

    [Command("zmpop", -4, Flags = "write", Acl = "sortedset", Group = "sorted-set", Since = "7.0.0",
        Keys = ["RW access delete; index 1; keynum 0 1 1"],
        Summary = "Remove and return members with scores in a sorted set",
        Complexity = "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.")]
    static void ZMPop(Client c)
    {
        if (!ParseMPop(c, 1, out int numKeys, out bool max, out long count)) return;
        PopGeneric(c, 2, numKeys, max, emitKey: true, count, nested: true, nilWhenEmpty: true);
    }

    [Command("bzpopmin", -3, Flags = "write noscript fast blocking", Acl = "sortedset", Group = "sorted-set", Since = "5.0.0",
        Keys = ["RW access delete; index 1; range -2 1 0"], History = ["6.0.0: `timeout` is interpreted as a double instead of an integer."],
        Arguments = ["key:key multiple", "timeout:double"],
        Summary = "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
        Complexity = "O(log(N)) with N being the number of elements in the sorted set.")]
    static void BZPopMin(Client c) => BlockingPop(c, 1, c.Args.Count - 2, c.Args.Count - 1, max: false, count: -1, nested: false);

    [Command("bzpopmax", -3, Flags = "write noscript fast blocking", Acl = "sortedset", Group = "sorted-set", Since = "5.0.0",
        Keys = ["RW access delete; index 1; range -2 1 0"], History = ["6.0.0: `timeout` is interpreted as a double instead of an integer."],
        Arguments = ["key:key multiple", "timeout:double"],
        Summary = "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
        Complexity = "O(log(N)) with N being the number of elements in the sorted set.")]
    static void BZPopMax(Client c) => BlockingPop(c, 1, c.Args.Count - 2, c.Args.Count - 1, max: true, count: -1, nested: false);

    [Command("bzmpop", -5, Flags = "write blocking", Acl = "sortedset", Group = "sorted-set", Since = "7.0.0",
        Keys = ["RW access delete; index 2; keynum 0 1 1"],
        Arguments = ["timeout:double", "numkeys:integer", "key:key multiple", "where:oneof (min:pure-token token=MIN | max:pure-token token=MAX)",
            "count:integer token=COUNT optional"],
        Summary = "Remove and return members with scores in a sorted set or block until one is available",
        Complexity = "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.")]
    static void BZMPop(Client c)
    {
        if (!ParseMPop(c, 2, out int numKeys, out bool max, out long count)) return;
        BlockingPop(c, 3, numKeys, 1, max, count, nested: true);
    }

    /// <summary>Parses ZMPOP's and BZMPOP's "numkeys key... MIN|MAX [COUNT count]" with Redis's errors; count defaults to 1.</summary>
    static bool ParseMPop(Client c, int numKeysIndex, out int numKeys, out bool max, out long count)
    {
        var args = c.Args;
        numKeys = 0;
        max = false;
        count = -1;
        if (!c.TryLongInRange(numKeysIndex, 1, long.MaxValue, out long n, "ERR numkeys should be greater than 0")) return false;
        if (n >= args.Count - numKeysIndex - 1)
        {
            c.Error(Errors.Syntax);
            return false;
        }
        int whereIdx = numKeysIndex + 1 + (int)n;
        if (args.Is(whereIdx, "min")) max = false;
        else if (args.Is(whereIdx, "max")) max = true;
        else
        {
            c.Error(Errors.Syntax);
            return false;
        }
        for (int j = whereIdx + 1; j < args.Count; j++)
        {
            if (count == -1 && args.Is(j, "count") && j + 1 < args.Count)
            {
                j++;
                if (!c.TryLongInRange(j, 1, long.MaxValue, out count, "ERR count should be greater than 0")) return false;
            }
            else
            {
                c.Error(Errors.Syntax);
                return false;
            }
        }
        if (count == -1) count = 1;
        numKeys = (int)n;
        return true;
    }

    /// <summary>
    /// BZPOPMIN/BZPOPMAX (count -1, flat [key, member, score]) and BZMPOP (nested [key, [[member, score]...]]): pops
    /// from the first non-empty key, or blocks until one of the keys receives a sorted set. Inside MULTI/EXEC a
    /// missing set is a timeout at once.
    /// </summary>
    static void BlockingPop(Client c, int firstKey, int numKeys, int timeoutIndex, bool max, long count, bool nested)
    {
        if (!c.TryTimeout(timeoutIndex, out long timeout)) return;
        var args = c.Args;
        for (int k = firstKey; k < firstKey + numKeys; k++)
        {
            if (!c.TryWrite(args[k], out var entry, out SortedSet? z)) return;
            if (z is null) continue;
            c.Dirty(PopFrom(c.Server, c.Reply, c.Database, entry!, z, max, emitKey: true, count, nested));
            return;
        }
        if (c.InExec)
        {
            c.Reply.NullArray();
            return;
        }
        var keys = new byte[numKeys][];
        for (int i = 0; i < numKeys; i++) keys[i] = args.ToArray(firstKey + i);
        c.Server.Blocking.Block(new BlockedClient(c, keys, timeout, (_, ctx) =>
        {
            // A key recreated with another type keeps the client waiting, as in Redis.
            if (ctx.Database.Find(ctx.Key, ctx.NowMs) is not { Value: SortedSet z } e) return false;
            ctx.Dirty(PopFrom(ctx.Server, ctx.Reply, ctx.Database, e, z, max, emitKey: true, count, nested));
            return true;
        }));
    }

    /// <summary>
    /// Pops from the first existing key among <paramref name="keyCount"/> keys from <paramref name="firstKey"/>. The reply is
    /// flat (member, score, ...), or with <paramref name="nested"/> an array of pairs; with <paramref name="emitKey"/> it is [key, pairs].
    /// </summary>
    static void PopGeneric(Client c, int firstKey, int keyCount, bool max, bool emitKey, long count, bool nested, bool nilWhenEmpty)
    {
        var args = c.Args;
        Entry? entry = null;
        SortedSet? z = null;
        for (int k = firstKey; k < firstKey + keyCount; k++)
        {
            if (!c.TryWrite(args[k], out entry, out z)) return;
            if (z is not null) break;
        }
        if (z is null)
        {
            if (nilWhenEmpty) c.Reply.NullArray();
            else c.Reply.EmptyArray();
            return;
        }
        if (count == 0)
        {
            c.Reply.EmptyArray();
            return;
        }
        c.Dirty(PopFrom(c.Server, c.Reply, c.Database, entry!, z, max, emitKey, count, nested));
    }

    /// <summary>
    /// Pops up to <paramref name="count"/> (-1: one) members of a non-empty sorted set and replies with them: flat
    /// (member, score, ...), prefixed by the key with <paramref name="emitKey"/> (BZPOPMIN); or, <paramref name="nested"/>,
    /// an array of pairs, inside [key, pairs] with <paramref name="emitKey"/> (ZMPOP). Deletes an emptied key; returns how many were popped.
    /// </summary>
    static long PopFrom(RedisServer server, RespBuffer reply, Database db, Entry entry, SortedSet z, bool max, bool emitKey, long count, bool nested)
    {
        bool single = count == -1;
        if (single) count = 1;
        long n = Math.Min(count, z.Count);
        if (emitKey && nested)
        {
            reply.ArrayHeader(2);
            reply.Bulk(entry.Key);
            reply.ArrayHeader(n);
        }
        else if (emitKey)
        {
            reply.ArrayHeader(n * 2 + 1);
            reply.Bulk(entry.Key);
        }
        else reply.ArrayHeader(nested ? n : n * 2);
        var cur = max ? z.At(z.Count - 1, reverse: true) : z.At(0, reverse: false);
        for (long i = 0; i < n; i++, cur.Next())
        {
            if (nested) reply.ArrayHeader(2);
            reply.Bulk(cur.Member);
            reply.Double(cur.Score);
        }
        z.DeleteRange(max ? z.Count - n : 0, n);
        server.Events.Notify(NotifyFlags.ZSet, max ? "zpopmax" : "zpopmin", db.Index, entry.Key);
        // BZPOPMIN, ZMPOP and BZMPOP reach replicas as the plain pop of the key they took from.
        if (emitKey && PropagationHelpers.Collecting)
        {
            if (single) PropagationHelpers.PropagateIn(db.Index, max ? "ZPOPMAX" : "ZPOPMIN", entry.Key);
            else PropagationHelpers.PropagateIn(db.Index, max ? "ZPOPMAX" : "ZPOPMIN", entry.Key, n);
        }
        if (z.Count == 0)
        {
            db.Remove(entry);
            server.Events.Notify(NotifyFlags.Generic, "del", db.Index, entry.Key);
        }
        return n;
    }

    [Command("zrandmember", -2, Flags = "readonly", Acl = "sortedset", Group = "sorted-set", Since = "6.2.0",
        Keys = ["RO access; index 1; range 0 1 0"], Tips = "nondeterministic_output",
        Summary = "Get one or multiple random elements from a sorted set",
        Complexity = "O(N) where N is the number of elements returned")]
    static void ZRandMember(Client c)
    {
        var args = c.Args;
        if (args.Count == 2)
        {
            if (!c.TryRead<SortedSet>(args[1], out var single)) return;
            if (single is null) c.Reply.Null();
            else c.Reply.Bulk(single.At(Random.Shared.NextInt64(single.Count), false).Member);
            return;
        }
        if (!c.TryLong(2, out long l)) return;
        if (l == long.MinValue)
        {
            c.Error($"ERR value is out of range, value must between {-long.MaxValue} and {long.MaxValue}");
            return;
        }
        bool withScores = false;
        if (args.Count > 4 || (args.Count == 4 && !args.Is(3, "withscores")))
        {
            c.Error(Errors.Syntax);
            return;
        }
        if (args.Count == 4)
        {
            withScores = true;
            // The reply holds two entries per element; keep that count representable, as Redis does.
            if (l < -long.MaxValue / 2 || l > long.MaxValue / 2)
            {
                c.Error("ERR value is out of range");
                return;
            }
        }
        if (!c.TryRead<SortedSet>(args[1], out var z)) return;
        if (z is null || l == 0)
        {
            c.Reply.EmptyArray();
            return;
        }
        var random = Random.Shared;
        long size = z.Count;
        if (l < 0 || l == 1)
        {
            // With repetitions: each pick is independent.
            long picks = l < 0 ? -l : 1;
            ElementsHeader(c, picks, withScores);
            for (long i = 0; i < picks; i++)
            {
                var cur = z.At(random.NextInt64(size), false);
                WriteElement(c, cur.Member, cur.Score, withScores);
            }
            return;
        }
        ElementsHeader(c, Math.Min(l, size), withScores);
        if (l >= size)
        {
            // Highest score first, the order of Redis's set-operation iterator.
            for (var cur = z.Iterate(reverse: true); cur.Valid; cur.Next()) WriteElement(c, cur.Member, cur.Score, withScores);
            return;
        }
        // Distinct picks: a partial shuffle of the ranks when many are wanted, otherwise rejection of repeats.
        int want = (int)l;
        if (l * 3 > size)
        {
            var ranks = new long[size];
            for (long i = 0; i < size; i++) ranks[i] = i;
            for (int i = 0; i < want; i++)
            {
                long swap = i + random.NextInt64(size - i);
                (ranks[i], ranks[swap]) = (ranks[swap], ranks[i]);
                var cur = z.At(ranks[i], false);
                WriteElement(c, cur.Member, cur.Score, withScores);
            }
            return;
        }
        var seen = new HashSet<long>();
        while (seen.Count < want)
        {
            long rank = random.NextInt64(size);
            if (!seen.Add(rank)) continue;
            var cur = z.At(rank, false);
            WriteElement(c, cur.Member, cur.Score, withScores);
        }
    }

    [Command("zscan", -3, Flags = "readonly", Acl = "sortedset", Group = "sorted-set", Since = "2.8.0",
        Keys = ["RO access; index 1; range 0 1 0"], Tips = "nondeterministic_output",
        Summary = "Incrementally iterate sorted sets elements and associated scores",
        Complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..")]
    static void ZScan(Client c)
    {
        var args = c.Args;
        if (!TryParseCursor(args[2], out ulong cursor))
        {
            c.Error("ERR invalid cursor");
            return;
        }
        if (!c.TryRead<SortedSet>(args[1], out var z)) return;
        if (z is null)
        {
            c.Reply.ArrayHeader(2);
            c.Reply.Bulk("0"u8);
            c.Reply.EmptyArray();
            return;
        }
        long count = 10;
        byte[]? pattern = null;
        for (int i = 3; i < args.Count; i += 2)
        {
            if (args.Is(i, "count") && i + 1 < args.Count)
            {
                if (!c.TryLong(i + 1, out count)) return;
                if (count < 1)
                {
                    c.Error(Errors.Syntax);
                    return;
                }
            }
            else if (args.Is(i, "match") && i + 1 < args.Count)
            {
                var p = args[i + 1];
                pattern = p.Length == 1 && p[0] == '*' ? null : p.ToArray();
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        var found = new List<(byte[] Member, double Score)>();
        if (z.Index is { } index)
        {
            var nodes = new List<SkipNode>();
            long maxIterations = count * 10;
            do cursor = index.ScanStep(cursor, nodes);
            while (cursor != 0 && maxIterations-- > 0 && nodes.Count < count);
            foreach (var node in nodes) found.Add((node.Member, node.Score));
        }
        else
        {
            // A compact set is returned whole, with cursor 0, as Redis does.
            for (var cur = z.Iterate(); cur.Valid; cur.Next()) found.Add((cur.Member.ToArray(), cur.Score));
            cursor = 0;
        }
        if (pattern is not null) found.RemoveAll(e => !GlobMatch.Match(pattern, e.Member));
        c.Reply.ArrayHeader(2);
        c.Reply.Bulk(cursor.ToString(CultureInfo.InvariantCulture));
        c.Reply.ArrayHeader(found.Count * 2);
        Span<byte> text = stackalloc byte[40];
        foreach (var (member, score) in found)
        {
            c.Reply.Bulk(member);
            c.Reply.Bulk(text[..NumberFormat.FormatDouble(score, text)]);
        }
    }

    /// <summary>Reads a SCAN cursor as C's strtoul does for Redis: an optional sign ("-1" wraps around), digits, no overflow; "" is 0.</summary>
    static bool TryParseCursor(ReadOnlySpan<byte> s, out ulong cursor)
    {
        cursor = 0;
        bool negative = s.Length > 0 && s[0] == '-';
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+')) s = s[1..];
        if (s.Length > 0 && !ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out cursor)) return false;
        if (negative) cursor = 0 - cursor;
        return true;
    }
}
