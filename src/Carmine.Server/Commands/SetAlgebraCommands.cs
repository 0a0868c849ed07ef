using Carmine.Server.Network;
using Carmine.Server.PubSub;
using Carmine.Server.Types;
using static Carmine.Server.Commands.SetCommands;

namespace Carmine.Server.Commands;

/// <summary>The set algebra commands: SINTER, SUNION, SDIFF, their STORE forms and SINTERCARD (t_set.c in Redis).</summary>
static class SetAlgebraCommands
{
    /// <summary>
    /// Looks up the source sets of an intersection, union or difference (missing keys are null). False after
    /// replying WRONGTYPE for any of them, as Redis checks every key before it computes anything.
    /// </summary>
    static bool LookupSources(Client c, int first, int count, out SetValue?[] sets)
    {
        sets = new SetValue?[count];
        for (int j = 0; j < count; j++)
        {
            var e = c.LookupRead(c.Args[first + j]);
            if (e is null) continue;
            if (e.Value is not SetValue s)
            {
                c.Error(Errors.WrongType);
                return false;
            }
            sets[j] = s;
        }
        return true;
    }

    /// <summary>Stores a computed set at the destination key, or deletes the key when the result is empty.</summary>
    static void Store(Client c, int dstIndex, SetValue result, string evt)
    {
        var db = c.Database;
        var dst = c.Args[dstIndex];
        if (result.Count > 0)
        {
            db.Set(dst, result, c.NowMs);
            Notify(c, evt, dst);
            c.Dirty();
            c.Reply.Integer(result.Count);
            return;
        }
        if (db.Delete(dst, c.NowMs))
        {
            Notify(c, "del", dst, NotifyFlags.Generic);
            c.Dirty();
        }
        c.Reply.Integer(0);
    }

    [Command("sinter", -2, Flags = "readonly", Acl = "set", Group = "set", Keys = ["RO access; index 1; range -1 1 0"],
        Tips = "nondeterministic_output_order", Summary = "Intersect multiple sets",
        Complexity = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.")]
    static void SInter(Client c) => InterGeneric(c, 1, c.Args.Count - 1, -1, false, 0);

    [Command("sinterstore", -3, Flags = "write denyoom", Acl = "set", Group = "set",
        Keys = ["RW update; index 1; range 0 1 0", "RO access; index 2; range -1 1 0"],
        Summary = "Intersect multiple sets and store the resulting set in a key",
        Complexity = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.")]
    static void SInterStore(Client c) => InterGeneric(c, 2, c.Args.Count - 2, 1, false, 0);

    [Command("sintercard", -3, Flags = "readonly", Acl = "set", Group = "set", Since = "7.0.0", Keys = ["RO access; index 1; keynum 0 1 1"],
        Summary = "Intersect multiple sets and return the cardinality of the result",
        Complexity = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.")]
    static void SInterCard(Client c)
    {
        var args = c.Args;
        if (!c.TryLongInRange(1, 1, long.MaxValue, out long numKeys, "ERR numkeys should be greater than 0")) return;
        if (numKeys > args.Count - 2)
        {
            c.Error("ERR Number of keys can't be greater than number of args");
            return;
        }
        long limit = 0;
        for (int j = 2 + (int)numKeys; j < args.Count; j++)
        {
            if (args.Is(j, "limit") && j + 1 < args.Count)
            {
                j++;
                if (!c.TryLongInRange(j, 0, long.MaxValue, out limit, "ERR LIMIT can't be negative")) return;
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        InterGeneric(c, 2, (int)numKeys, -1, true, limit);
    }

    /// <summary>
    /// SINTER, SMEMBERS, SINTERSTORE and SINTERCARD: walks the smallest set and keeps what every other set holds.
    /// <paramref name="dstIndex"/> is the destination key's argument (-1: reply with the members);
    /// <paramref name="cardinalityOnly"/> counts up to <paramref name="limit"/> (0: no limit).
    /// </summary>
    static void InterGeneric(Client c, int first, int count, int dstIndex, bool cardinalityOnly, long limit)
    {
        if (!LookupSources(c, first, count, out var found)) return;
        if (Array.IndexOf(found, null) >= 0)
        {
            if (dstIndex >= 0) Store(c, dstIndex, new SetValue(), "sinterstore");
            else if (cardinalityOnly) c.Reply.Integer(0);
            else c.Reply.SetHeader(0);
            return;
        }
        var sets = found!;
        Array.Sort(sets, (a, b) => a!.Count.CompareTo(b!.Count));
        var smallest = sets[0]!;
        SetValue? result = dstIndex >= 0 ? new SetValue() : null;
        long maxIntset = dstIndex >= 0 ? MaxIntsetEntries(c) : 0;
        int deferred = !cardinalityOnly && result is null ? c.Reply.BeginDeferred() : 0;
        long cardinality = 0;
        Span<byte> scratch = stackalloc byte[24];
        var ints = smallest.Ints;
        for (int i = 0; i < smallest.Count; i++)
        {
            bool inAll = true;
            if (ints is not null)
            {
                long v = ints[i];
                for (int j = 1; j < sets.Length && inAll; j++)
                    if (!ReferenceEquals(sets[j], smallest)) inAll = sets[j]!.Contains(v);
            }
            else
            {
                var member = smallest.Dict!.KeyAt(i);
                for (int j = 1; j < sets.Length && inAll; j++)
                    if (!ReferenceEquals(sets[j], smallest)) inAll = sets[j]!.Contains(member);
            }
            if (!inAll) continue;
            cardinality++;
            if (cardinalityOnly)
            {
                if (limit != 0 && cardinality >= limit) break;
            }
            else if (result is not null)
            {
                if (ints is not null) result.Add(ints[i], maxIntset);
                else result.Add(smallest.Dict!.KeyAt(i), maxIntset);
            }
            else c.Reply.Bulk(smallest.MemberAt(i, scratch));
        }
        if (cardinalityOnly) c.Reply.Integer(cardinality);
        else if (result is not null) Store(c, dstIndex, result, "sinterstore");
        else c.Reply.EndDeferredSet(deferred, cardinality);
    }

    [Command("sunion", -2, Flags = "readonly", Acl = "set", Group = "set", Keys = ["RO access; index 1; range -1 1 0"],
        Tips = "nondeterministic_output_order", Summary = "Add multiple sets",
        Complexity = "O(N) where N is the total number of elements in all given sets.")]
    static void SUnion(Client c) => UnionDiffGeneric(c, 1, -1, diff: false);

    [Command("sunionstore", -3, Flags = "write denyoom", Acl = "set", Group = "set",
        Keys = ["OW update; index 1; range 0 1 0", "RO access; index 2; range -1 1 0"],
        Summary = "Add multiple sets and store the resulting set in a key",
        Complexity = "O(N) where N is the total number of elements in all given sets.")]
    static void SUnionStore(Client c) => UnionDiffGeneric(c, 2, 1, diff: false);

    [Command("sdiff", -2, Flags = "readonly", Acl = "set", Group = "set", Keys = ["RO access; index 1; range -1 1 0"],
        Tips = "nondeterministic_output_order", Summary = "Subtract multiple sets",
        Complexity = "O(N) where N is the total number of elements in all given sets.")]
    static void SDiff(Client c) => UnionDiffGeneric(c, 1, -1, diff: true);

    [Command("sdiffstore", -3, Flags = "write denyoom", Acl = "set", Group = "set",
        Keys = ["OW update; index 1; range 0 1 0", "RO access; index 2; range -1 1 0"],
        Summary = "Subtract multiple sets and store the resulting set in a key",
        Complexity = "O(N) where N is the total number of elements in all given sets.")]
    static void SDiffStore(Client c) => UnionDiffGeneric(c, 2, 1, diff: true);

    /// <summary>SUNION, SDIFF and their STORE forms; the result starts as an intset, as in Redis, so its encoding matches.</summary>
    static void UnionDiffGeneric(Client c, int first, int dstIndex, bool diff)
    {
        if (!LookupSources(c, first, c.Args.Count - first, out var sets)) return;
        var result = new SetValue();
        long maxIntset = MaxIntsetEntries(c);
        Span<byte> scratch = stackalloc byte[24];
        var head = sets[0];
        if (!diff)
        {
            foreach (var s in sets)
            {
                if (s?.Ints is { } ints)
                    for (int i = 0; i < ints.Count; i++) result.Add(ints[i], maxIntset);
                else if (s is not null)
                    for (int i = 0; i < s.Count; i++) result.Add(s.MemberAt(i, scratch), maxIntset);
            }
        }
        else if (head is not null && Array.IndexOf(sets, head, 1) < 0)
        {
            // Redis's two algorithms: test each member of the first set against the others, or copy the first
            // set and remove the others' members, whichever touches fewer elements.
            long oneWork = 0, twoWork = 0;
            foreach (var s in sets)
            {
                if (s is null) continue;
                oneWork += head.Count;
                twoWork += s.Count;
            }
            if (oneWork / 2 <= twoWork)
            {
                var others = sets.Skip(1).Where(s => s is not null).OrderByDescending(s => s!.Count).ToArray();
                for (int i = 0; i < head.Count; i++)
                {
                    var member = head.MemberAt(i, scratch);
                    bool elsewhere = false;
                    foreach (var s in others)
                        if (s!.Contains(member)) { elsewhere = true; break; }
                    if (!elsewhere) result.Add(member, maxIntset);
                }
            }
            else
            {
                for (int i = 0; i < head.Count; i++) result.Add(head.MemberAt(i, scratch), maxIntset);
                for (int j = 1; j < sets.Length && result.Count > 0; j++)
                {
                    var s = sets[j];
                    if (s is null) continue;
                    for (int i = 0; i < s.Count; i++) result.Remove(s.MemberAt(i, scratch));
                }
            }
        }
        if (dstIndex >= 0) Store(c, dstIndex, result, diff ? "sdiffstore" : "sunionstore");
        else ReplyMembers(c, result);
    }
}
