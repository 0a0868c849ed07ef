using System.Runtime.InteropServices;
using Carmine.Protocol;
using Carmine.Server.Network;
using Carmine.Server.Types;

namespace Carmine.Server.Commands;

/// <summary>ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD: one worker, as zunionInterDiffGenericCommand in Redis.</summary>
static partial class SortedSetCommands
{
    enum SetOp { Union, Inter, Diff }

    enum Aggregate { Sum, Min, Max }

    [Command("zunion", -3, Flags = "readonly", Acl = "sortedset", Group = "sorted-set", Since = "6.2.0",
        Keys = ["RO access; index 1; keynum 0 1 1"],
        Summary = "Add multiple sorted sets",
        Complexity = "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.")]
    static void ZUnion(Client c) => SetOpGeneric(c, 1, store: false, SetOp.Union, cardinalityOnly: false);

    [Command("zinter", -3, Flags = "readonly", Acl = "sortedset", Group = "sorted-set", Since = "6.2.0",
        Keys = ["RO access; index 1; keynum 0 1 1"],
        Summary = "Intersect multiple sorted sets",
        Complexity = "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.")]
    static void ZInter(Client c) => SetOpGeneric(c, 1, store: false, SetOp.Inter, cardinalityOnly: false);

    [Command("zdiff", -3, Flags = "readonly", Acl = "sortedset", Group = "sorted-set", Since = "6.2.0",
        Keys = ["RO access; index 1; keynum 0 1 1"],
        Summary = "Subtract multiple sorted sets",
        Complexity = "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.")]
    static void ZDiff(Client c) => SetOpGeneric(c, 1, store: false, SetOp.Diff, cardinalityOnly: false);

    [Command("zintercard", -3, Flags = "readonly", Acl = "sortedset", Group = "sorted-set", Since = "7.0.0",
        Keys = ["RO access; index 1; keynum 0 1 1"],
        Summary = "Intersect multiple sorted sets and return the cardinality of the result",
        Complexity = "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.")]
    static void ZInterCard(Client c) => SetOpGeneric(c, 1, store: false, SetOp.Inter, cardinalityOnly: true);

    [Command("zunionstore", -4, Flags = "write denyoom", Acl = "sortedset", Group = "sorted-set", Since = "2.0.0",
        Keys = ["OW update; index 1; range 0 1 0", "RO access; index 2; keynum 0 1 1"],
        Summary = "Add multiple sorted sets and store the resulting sorted set in a new key",
        Complexity = "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.")]
    static void ZUnionStore(Client c) => SetOpGeneric(c, 2, store: true, SetOp.Union, cardinalityOnly: false);

    [Command("zinterstore", -4, Flags = "write denyoom", Acl = "sortedset", Group = "sorted-set", Since = "2.0.0",
        Keys = ["OW update; index 1; range 0 1 0", "RO access; index 2; keynum 0 1 1"],
        Summary = "Intersect multiple sorted sets and store the resulting sorted set in a new key",
        Complexity = "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.")]
    static void ZInterStore(Client c) => SetOpGeneric(c, 2, store: true, SetOp.Inter, cardinalityOnly: false);

    [Command("zdiffstore", -4, Flags = "write denyoom", Acl = "sortedset", Group = "sorted-set", Since = "6.2.0",
        Keys = ["OW update; index 1; range 0 1 0", "RO access; index 2; keynum 0 1 1"],
        Summary = "Subtract multiple sorted sets and store the resulting sorted set in a new key",
        Complexity = "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.")]
    static void ZDiffStore(Client c) => SetOpGeneric(c, 2, store: true, SetOp.Diff, cardinalityOnly: false);

    /// <summary>
    /// <c>numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES] | [LIMIT n]</c> from argument
    /// <paramref name="numKeysIdx"/>. Inputs must be sorted sets; a missing key is an empty set. (Redis also takes plain
    /// </summary>
    static void SetOpGeneric(Client c, int numKeysIdx, bool store, SetOp op, bool cardinalityOnly)
    {
        var args = c.Args;
        if (!c.TryLong(numKeysIdx, out long setCount)) return;
        if (setCount < 1)
        {
            c.Error($"ERR at least 1 input key is needed for '{c.LastCommand}' command");
            return;
        }
        if (setCount > args.Count - (numKeysIdx + 1))
        {
            c.Error(Errors.Syntax);
            return;
        }
        int n = (int)setCount;
        var sets = new OpInput?[n];
        var weights = new double[n];
        for (int i = 0; i < n; i++)
        {
            var e = c.LookupRead(args[numKeysIdx + 1 + i]);
            if (e is not null)
            {
                if (e.Value is SortedSet z) sets[i] = new OpInput(z, null);
                else if (e.Value is SetValue set) sets[i] = new OpInput(null, set);
                else
                {
                    c.Error(Errors.WrongType);
                    return;
                }
            }
            weights[i] = 1;
        }
        var aggregate = Aggregate.Sum;
        bool withScores = false;
        long limit = 0;
        int j = numKeysIdx + 1 + n;
        while (j < args.Count)
        {
            int remaining = args.Count - j;
            if (op != SetOp.Diff && !cardinalityOnly && remaining >= n + 1 && args.Is(j, "weights"))
            {
                j++;
                for (int i = 0; i < n; i++, j++)
                {
                    if (!NumberFormat.TryParseDouble(args[j], out weights[i]))
                    {
                        c.Error("ERR weight value is not a float");
                        return;
                    }
                }
            }
            else if (op != SetOp.Diff && !cardinalityOnly && remaining >= 2 && args.Is(j, "aggregate"))
            {
                if (args.Is(j + 1, "sum")) aggregate = Aggregate.Sum;
                else if (args.Is(j + 1, "min")) aggregate = Aggregate.Min;
                else if (args.Is(j + 1, "max")) aggregate = Aggregate.Max;
                else
                {
                    c.Error(Errors.Syntax);
                    return;
                }
                j += 2;
            }
            else if (!store && !cardinalityOnly && args.Is(j, "withscores"))
            {
                withScores = true;
                j++;
            }
            else if (cardinalityOnly && remaining >= 2 && args.Is(j, "limit"))
            {
                if (!NumberFormat.TryParseInt64(args[j + 1], out limit) || limit < 0)
                {
                    c.Error("ERR LIMIT can't be negative");
                    return;
                }
                j += 2;
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }

        if (op != SetOp.Diff)
        {
            // Smallest first: the intersection walks the smallest set and probes the others.
            var order = Enumerable.Range(0, n).OrderBy(i => sets[i]?.Count ?? 0).ToArray();
            sets = order.Select(i => sets[i]).ToArray();
            weights = order.Select(i => weights[i]).ToArray();
        }

        if (cardinalityOnly)
        {
            c.Reply.Integer(Intersect(sets, weights, aggregate, null, limit));
            return;
        }
        var result = new List<(byte[] Member, double Score)>();
        switch (op)
        {
            case SetOp.Inter: Intersect(sets, weights, aggregate, result, 0); break;
            case SetOp.Union: Union(sets, weights, aggregate, result); break;
            default: Difference(sets, result); break;
        }
        if (store)
        {
            StoreResult(c, 1, result, op switch { SetOp.Union => "zunionstore", SetOp.Inter => "zinterstore", _ => "zdiffstore" });
            return;
        }
        result.Sort((a, b) => SortedSet.Compare(a.Score, a.Member, b.Score, b.Member));
        ElementsHeader(c, result.Count, withScores);
        foreach (var (member, score) in result) WriteElement(c, member, score, withScores);
    }

    static void Combine(ref double target, double value, Aggregate aggregate)
    {
        switch (aggregate)
        {
            case Aggregate.Sum:
                target += value;
                // inf + -inf is NaN; Redis's convention makes it 0.
                if (double.IsNaN(target)) target = 0;
                break;
            case Aggregate.Min:
                target = value < target ? value : target;
                break;
            default:
                target = value > target ? value : target;
                break;
        }
    }

    static double Weighted(double score, double weight)
    {
        double v = score * weight;
        return double.IsNaN(v) ? 0 : v;
    }

    /// <summary>Adds the intersection to <paramref name="result"/>, or only counts it (stopping at <paramref name="limit"/> if not 0) when result is null.</summary>
    static long Intersect(OpInput?[] sets, double[] weights, Aggregate aggregate, List<(byte[], double)>? result, long limit)
    {
        var first = sets[0];
        long found = 0;
        if (first is null || first.Count == 0) return 0;
        first.ForEach((member, memberScore) =>
        {
            double score = Weighted(memberScore, weights[0]);
            for (int k = 1; k < sets.Length; k++)
            {
                if (sets[k] is not { } other || !other.TryGetScore(member, out double value)) return true;
                Combine(ref score, value * weights[k], aggregate);
            }
            found++;
            if (result is not null) result.Add((member.ToArray(), score));
            return result is not null || limit == 0 || found < limit;
        });
        return found;
    }

    static void Union(OpInput?[] sets, double[] weights, Aggregate aggregate, List<(byte[], double)> result)
    {
        var scores = new Dictionary<byte[], double>((int)Math.Min(sets[^1]?.Count ?? 0, 1 << 20), ByteArrayComparer.Instance);
        var lookup = scores.GetAlternateLookup<ReadOnlySpan<byte>>();
        for (int i = 0; i < sets.Length; i++)
        {
            double weight = weights[i];
            sets[i]?.ForEach((member, memberScore) =>
            {
                double score = Weighted(memberScore, weight);
                ref double slot = ref CollectionsMarshal.GetValueRefOrAddDefault(lookup, member, out bool exists);
                if (exists) Combine(ref slot, score, aggregate);
                else slot = score;
                return true;
            });
        }
        foreach (var (member, score) in scores) result.Add((member, score));
    }

    /// <summary>The members of the first set found in none of the others, with their scores in the first.</summary>
    static void Difference(OpInput?[] sets, List<(byte[], double)> result)
    {
        sets[0]?.ForEach((member, score) =>
        {
            for (int k = 1; k < sets.Length; k++)
                if (sets[k] is { } other && other.TryGetScore(member, out _)) return true;
            result.Add((member.ToArray(), score));
            return true;
        });
    }

    /// <summary>Visits one member of an input; returns false to stop.</summary>
    delegate bool MemberVisitor(ReadOnlySpan<byte> member, double score);

    /// <summary>An input of the set operations: a sorted set, or a plain set whose members all score 1, as in Redis.</summary>
    sealed class OpInput(SortedSet? zset, SetValue? set)
    {
        public long Count => zset?.Count ?? set!.Count;

        public bool TryGetScore(ReadOnlySpan<byte> member, out double score)
        {
            if (zset is not null) return zset.TryGetScore(member, out score);
            score = 1;
            return set!.Contains(member);
        }

        public void ForEach(MemberVisitor visit)
        {
            if (zset is not null)
            {
                for (var cur = zset.Iterate(); cur.Valid; cur.Next())
                    if (!visit(cur.Member, cur.Score)) return;
                return;
            }
            Span<byte> scratch = stackalloc byte[20];
            for (int i = 0; i < set!.Count; i++)
                if (!visit(set.MemberAt(i, scratch), 1)) return;
        }
    }
}
