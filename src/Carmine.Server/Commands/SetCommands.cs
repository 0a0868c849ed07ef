using Carmine.Server.Network;
using Carmine.Server.PubSub;
using Carmine.Server.Types;

using Carmine.Server.Replication;

namespace Carmine.Server.Commands;

/// <summary>The set commands (t_set.c in Redis).</summary>
static class SetCommands
{
    internal static long MaxIntsetEntries(Client c) => c.Server.Config.GetLong("set-max-intset-entries");

    internal static void Notify(Client c, string evt, ReadOnlySpan<byte> key, NotifyFlags type = NotifyFlags.Set) =>
        c.Server.Events.Notify(type, evt, c.Db, key);

    [Command("sadd", -3, Flags = "write denyoom fast", Acl = "set", Group = "set", Keys = ["RW insert; index 1; range 0 1 0"],
        Summary = "Add one or more members to a set",
        Complexity = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")]
    static void SAdd(Client c)
    {
        var args = c.Args;
        if (!c.TryWrite<SetValue>(args[1], out _, out var set)) return;
        if (set is null)
        {
            set = new SetValue(args[2]);
            c.Database.Add(args[1], set);
        }
        long max = set.IsIntset ? MaxIntsetEntries(c) : long.MaxValue;
        int added = 0;
        for (int i = 2; i < args.Count; i++)
            if (set.Add(args[i], max)) added++;
        if (added > 0) Notify(c, "sadd", args[1]);
        c.Dirty(added);
        c.Reply.Integer(added);
    }

    [Command("srem", -3, Flags = "write fast", Acl = "set", Group = "set", Keys = ["RW delete; index 1; range 0 1 0"],
        Summary = "Remove one or more members from a set", Complexity = "O(N) where N is the number of members to be removed.")]
    static void SRem(Client c)
    {
        var args = c.Args;
        if (!c.TryWrite<SetValue>(args[1], out var entry, out var set)) return;
        int deleted = 0;
        bool removed = false;
        if (set is not null)
        {
            for (int i = 2; i < args.Count; i++)
            {
                if (!set.Remove(args[i])) continue;
                deleted++;
                if (set.Count == 0)
                {
                    c.Database.Remove(entry!);
                    removed = true;
                    break;
                }
            }
        }
        if (deleted > 0)
        {
            Notify(c, "srem", args[1]);
            if (removed) Notify(c, "del", args[1], NotifyFlags.Generic);
        }
        c.Dirty(deleted);
        c.Reply.Integer(deleted);
    }

    [Command("smove", 4, Flags = "write fast", Acl = "set", Group = "set",
        Keys = ["RW access delete; index 1; range 0 1 0", "RW insert; index 2; range 0 1 0"],
        Summary = "Move a member from one set to another", Complexity = "O(1)")]
    static void SMove(Client c)
    {
        var args = c.Args;
        var srcEntry = c.LookupWrite(args[1]);
        var dstEntry = c.LookupWrite(args[2]);
        if (srcEntry is null)
        {
            c.Reply.Integer(0);
            return;
        }
        if (srcEntry.Value is not SetValue src || (dstEntry is not null && dstEntry.Value is not SetValue))
        {
            c.Error(Errors.WrongType);
            return;
        }
        var member = args[3];
        if (ReferenceEquals(srcEntry, dstEntry))
        {
            c.Reply.Integer(src.Contains(member) ? 1 : 0);
            return;
        }
        if (!src.Remove(member))
        {
            c.Reply.Integer(0);
            return;
        }
        Notify(c, "srem", args[1]);
        if (src.Count == 0)
        {
            c.Database.Remove(srcEntry);
            Notify(c, "del", args[1], NotifyFlags.Generic);
        }
        var dst = (SetValue?)dstEntry?.Value;
        if (dst is null)
        {
            dst = new SetValue(member);
            c.Database.Add(args[2], dst);
        }
        c.Dirty();
        if (dst.Add(member, dst.IsIntset ? MaxIntsetEntries(c) : long.MaxValue))
        {
            c.Dirty();
            Notify(c, "sadd", args[2]);
        }
        c.Reply.Integer(1);
    }

    [Command("sismember", 3, Flags = "readonly fast", Acl = "set", Group = "set", Keys = ["RO; index 1; range 0 1 0"],
        Summary = "Determine if a given value is a member of a set", Complexity = "O(1)")]
    static void SIsMember(Client c)
    {
        if (!c.TryRead<SetValue>(c.Args[1], out var set)) return;
        c.Reply.Integer(set is not null && set.Contains(c.Args[2]) ? 1 : 0);
    }

    [Command("smismember", -3, Flags = "readonly fast", Acl = "set", Group = "set", Since = "6.2.0", Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Returns the membership associated with the given elements for a set",
        Complexity = "O(N) where N is the number of elements being checked for membership")]
    static void SMIsMember(Client c)
    {
        if (!c.TryRead<SetValue>(c.Args[1], out var set)) return;
        var args = c.Args;
        c.Reply.ArrayHeader(args.Count - 2);
        for (int i = 2; i < args.Count; i++) c.Reply.Integer(set is not null && set.Contains(args[i]) ? 1 : 0);
    }

    [Command("scard", 2, Flags = "readonly fast", Acl = "set", Group = "set", Keys = ["RO; index 1; range 0 1 0"],
        Summary = "Get the number of members in a set", Complexity = "O(1)")]
    static void SCard(Client c)
    {
        if (!c.TryRead<SetValue>(c.Args[1], out var set)) return;
        c.Reply.Integer(set?.Count ?? 0);
    }

    [Command("spop", -2, Flags = "write fast", Acl = "set", Group = "set", Keys = ["RW access delete; index 1; range 0 1 0"],
        Tips = "nondeterministic_output", Summary = "Remove and return one or multiple random members from a set",
        Complexity = "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.")]
    static void SPop(Client c)
    {
        var args = c.Args;
        if (args.Count > 3)
        {
            c.Error(Errors.Syntax);
            return;
        }
        Span<byte> scratch = stackalloc byte[24];
        if (args.Count == 2)
        {
            if (!c.TryWrite<SetValue>(args[1], out var e, out var one)) return;
            if (one is null)
            {
                c.Reply.Null();
                return;
            }
            int i = Random.Shared.Next(one.Count);
            c.Reply.Bulk(one.MemberAt(i, scratch));
            // Replicas must remove the same member: SPOP is propagated as SREM.
            if (c.Propagating()) c.Propagate("SREM", e!.Key, one.MemberAt(i, scratch).ToArray());
            one.RemoveAt(i);
            Notify(c, "spop", args[1]);
            if (one.Count == 0)
            {
                c.Database.Remove(e!);
                Notify(c, "del", args[1], NotifyFlags.Generic);
            }
            c.Dirty();
            return;
        }
        if (!c.TryLongInRange(2, 0, long.MaxValue, out long count, "ERR value is out of range, must be positive")) return;
        if (!c.TryWrite<SetValue>(args[1], out var entry, out var set)) return;
        if (set is null || count == 0)
        {
            c.Reply.SetHeader(0);
            return;
        }
        int size = set.Count;
        Notify(c, "spop", args[1]);
        if (count >= size)
        {
            ReplyMembers(c, set);
            c.Database.Remove(entry!);
            Notify(c, "del", args[1], NotifyFlags.Generic);
            c.Dirty(size);
            c.Propagate(c.Server.Config.GetBool("lazyfree-lazy-server-del") ? "UNLINK" : "DEL", entry!.Key);
            return;
        }
        c.Dirty(count);
        c.Reply.SetHeader(count);
        long remaining = size - count;
        var random = Random.Shared;
        var popped = c.Propagating() ? new List<byte[]>() : null;
        // Popping most of a large set: move the few survivors to a new set and return what is left, as Redis does.
        if (remaining * 5 <= count)
        {
            SetValue? kept = null;
            long maxIntset = MaxIntsetEntries(c);
            for (long k = 0; k < remaining; k++)
            {
                int i = random.Next(set.Count);
                var member = set.MemberAt(i, scratch);
                kept ??= new SetValue(member);
                kept.Add(member, maxIntset);
                set.RemoveAt(i);
            }
            ReplyAll(c, set, scratch);
            if (popped is not null)
                for (int i = 0; i < set.Count; i++) popped.Add(set.MemberAt(i, scratch).ToArray());
            entry!.Value = kept!;
            PropagateRemovals(c, entry.Key, popped);
            return;
        }
        for (long k = 0; k < count; k++)
        {
            int i = random.Next(set.Count);
            c.Reply.Bulk(set.MemberAt(i, scratch));
            popped?.Add(set.MemberAt(i, scratch).ToArray());
            set.RemoveAt(i);
        }
        PropagateRemovals(c, entry!.Key, popped);
    }

    /// <summary>SPOP with a count reaches replicas as SREMs of the members it popped, 1024 to a command as in Redis.</summary>
    static void PropagateRemovals(Client c, byte[] key, List<byte[]>? popped)
    {
        if (popped is null) return;
        for (int at = 0; at < popped.Count; at += 1024)
        {
            var batch = popped.GetRange(at, Math.Min(1024, popped.Count - at));
            c.Propagate([(object)"SREM", key, .. batch]);
        }
    }

    internal static void ReplyMembers(Client c, SetValue set)
    {
        Span<byte> scratch = stackalloc byte[24];
        c.Reply.SetHeader(set.Count);
        ReplyAll(c, set, scratch);
    }

    static void ReplyAll(Client c, SetValue set, Span<byte> scratch)
    {
        for (int i = 0; i < set.Count; i++) c.Reply.Bulk(set.MemberAt(i, scratch));
    }

    [Command("srandmember", -2, Flags = "readonly", Acl = "set", Group = "set", Keys = ["RO access; index 1; range 0 1 0"],
        Tips = "nondeterministic_output", Summary = "Get one or multiple random members from a set",
        Complexity = "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.")]
    static void SRandMember(Client c)
    {
        var args = c.Args;
        if (args.Count > 3)
        {
            c.Error(Errors.Syntax);
            return;
        }
        Span<byte> scratch = stackalloc byte[24];
        if (args.Count == 2)
        {
            if (!c.TryRead<SetValue>(args[1], out var one)) return;
            if (one is null) c.Reply.Null();
            else c.Reply.Bulk(one.MemberAt(Random.Shared.Next(one.Count), scratch));
            return;
        }
        if (!c.TryLong(2, out long l)) return;
        if (l == long.MinValue)
        {
            c.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
            return;
        }
        if (!c.TryRead<SetValue>(args[1], out var set)) return;
        if (set is null || l == 0)
        {
            c.Reply.EmptyArray();
            return;
        }
        int size = set.Count;
        // A negative count may repeat members and returns them in random order.
        if (l < 0 || l == 1)
        {
            long n = l < 0 ? -l : l;
            c.Reply.ArrayHeader(n);
            var random = Random.Shared;
            for (long k = 0; k < n; k++) c.Reply.Bulk(set.MemberAt(random.Next(size), scratch));
            return;
        }
        if (l >= size)
        {
            c.Reply.ArrayHeader(size);
            ReplyAll(c, set, scratch);
            return;
        }
        c.Reply.ArrayHeader(l);
        foreach (int i in RandomSample.Distinct(size, (int)l)) c.Reply.Bulk(set.MemberAt(i, scratch));
    }

    [Command("smembers", 2, Flags = "readonly", Acl = "set", Group = "set", Keys = ["RO access; index 1; range 0 1 0"],
        Tips = "nondeterministic_output_order", Summary = "Get all the members in a set", Complexity = "O(N) where N is the set cardinality.")]
    static void SMembers(Client c)
    {
        if (!c.TryRead<SetValue>(c.Args[1], out var set)) return;
        if (set is null) c.Reply.SetHeader(0);
        else ReplyMembers(c, set);
    }

    [Command("sscan", -3, Flags = "readonly", Acl = "set", Group = "set", Since = "2.8.0", Keys = ["RO access; index 1; range 0 1 0"],
        Tips = "nondeterministic_output", Summary = "Incrementally iterate Set elements",
        Complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..")]
    static void SScan(Client c)
    {
        if (!CollectionScan.TryParseCursor(c, 2, out ulong cursor)) return;
        if (!c.TryRead<SetValue>(c.Args[1], out var set)) return;
        if (set is null) CollectionScan.EmptyReply(c);
        else CollectionScan.Set(c, set, cursor);
    }
}
