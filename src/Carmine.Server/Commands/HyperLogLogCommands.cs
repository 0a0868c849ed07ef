using Carmine.Server.Keyspace;
using Carmine.Server.Network;
using Carmine.Server.PubSub;
using Carmine.Server.Types;

namespace Carmine.Server.Commands;

/// <summary>The HyperLogLog commands (hyperloglog.c in Redis). An HLL is a plain string value in Redis's own layout.</summary>
static class HyperLogLogCommands
{
    const string NotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
    const string Corrupted = "INVALIDOBJ Corrupted HLL object detected";

    static long SparseMaxBytes(Client c) => c.Server.Config.GetLong("hll-sparse-max-bytes");

    /// <summary>Checks that a key's value is an HLL string, replying WRONGTYPE (Redis's two texts) if not.</summary>
    static bool CheckHll(Client c, Entry e)
    {
        if (!StringValue.IsString(e.Value))
        {
            c.Error(Errors.WrongType);
            return false;
        }
        if (HyperLogLog.IsValid(StringValue.Span(e.Value))) return true;
        c.Error(NotHll);
        return false;
    }

    /// <summary>The key's value as a string this key alone owns and that can be changed in place, as Redis's dbUnshareStringValue.</summary>
    static RawString Unshare(Entry e)
    {
        if (e.Value is RawString raw) return raw;
        raw = new RawString((byte[])e.Value);
        e.Value = raw;
        return raw;
    }

    [Command("pfadd", -2, Flags = "write denyoom fast", Acl = "hyperloglog", Group = "hyperloglog", Since = "2.8.9",
        Keys = ["RW insert; index 1; range 0 1 0"],
        Summary = "Adds the specified elements to the specified HyperLogLog.", Complexity = "O(1) to add every element.",
        Arguments = ["key:key", "element:string optional multiple"])]
    static void PfAdd(Client c)
    {
        var args = c.Args;
        var e = c.LookupWrite(args[1]);
        int updated = 0;
        if (e is null)
        {
            e = c.Database.Add(args[1], new RawString(HyperLogLog.Create()));
            updated++;
        }
        else if (!CheckHll(c, e)) return;
        var hll = Unshare(e);
        long sparseMaxBytes = SparseMaxBytes(c);
        int result = 0;
        for (int i = 2; i < args.Count && result >= 0; i++)
        {
            result = HyperLogLog.Add(ref hll, args[i], sparseMaxBytes);
            if (result > 0) updated++;
        }
        // A promotion to dense replaces the string; registers raised before a corrupt part stay raised, as in Redis.
        e.Value = hll;
        if (result < 0)
        {
            c.Error(Corrupted);
            return;
        }
        if (updated > 0)
        {
            HyperLogLog.InvalidateCache(hll.Writable);
            c.Server.Events.Notify(NotifyFlags.String, "pfadd", c.Db, args[1]);
            c.Dirty(updated);
        }
        c.Reply.Integer(updated > 0 ? 1 : 0);
    }

    [Command("pfcount", -2, Flags = "readonly may_replicate", Acl = "hyperloglog", Group = "hyperloglog", Since = "2.8.9",
        Keys = ["RW access; index 1; range -1 1 0; notes RW because it may change the internal representation of the key, and propagate to replicas"],
        Summary = "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
        Complexity = "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
        Arguments = ["key:key multiple"])]
    static void PfCount(Client c)
    {
        var args = c.Args;
        if (args.Count > 2)
        {
            // The union is counted from a temporary; nothing is cached.
            var max = new byte[HyperLogLog.Registers];
            if (!MergeKeys(c, 1, max, out _)) return;
            c.Reply.Integer((long)HyperLogLog.Count(max));
            return;
        }

        var e = c.LookupRead(args[1]);
        if (e is null)
        {
            c.Reply.Integer(0);
            return;
        }
        if (!CheckHll(c, e)) return;
        var hll = Unshare(e);
        if (!HyperLogLog.TryGetCachedCount(hll.Span, out ulong count))
        {
            if (!HyperLogLog.TryCount(hll.Span, out count))
            {
                c.Error(Corrupted);
                return;
            }
            // Refreshing the cache changes the string, so it counts as a write (Redis propagates it).
            HyperLogLog.SetCachedCount(hll.Writable, count);
            c.Dirty();
        }
        c.Reply.Integer((long)count);
    }

    [Command("pfmerge", -2, Flags = "write denyoom", Acl = "hyperloglog", Group = "hyperloglog", Since = "2.8.9",
        Keys = ["RW access insert; index 1; range 0 1 0", "RO access; index 2; range -1 1 0"],
        Summary = "Merge N different HyperLogLogs into a single one.",
        Complexity = "O(N) to merge N HyperLogLogs, but with high constant times.",
        Arguments = ["destkey:key", "sourcekey:key multiple"])]
    static void PfMerge(Client c)
    {
        var args = c.Args;
        var max = new byte[HyperLogLog.Registers];
        // The destination's own registers take part in the union.
        if (!MergeKeys(c, 1, max, out bool anyDense)) return;

        var e = c.LookupWrite(args[1]) ?? c.Database.Add(args[1], new RawString(HyperLogLog.Create()));
        var hll = Unshare(e);
        // A dense input makes the result dense at once rather than growing a sparse one into it.
        if (anyDense && !HyperLogLog.ToDense(ref hll))
        {
            c.Error(Corrupted);
            return;
        }
        long sparseMaxBytes = SparseMaxBytes(c);
        for (int i = 0; i < max.Length; i++)
            if (max[i] != 0) HyperLogLog.SetIfGreater(ref hll, i, max[i], sparseMaxBytes);
        e.Value = hll;
        HyperLogLog.InvalidateCache(hll.Writable);
        // Redis announces a merge as a PFADD, a mass addition of elements.
        c.Server.Events.Notify(NotifyFlags.String, "pfadd", c.Db, args[1]);
        c.Dirty();
        c.Reply.Ok();
    }

    /// <summary>Takes the register-wise maximum of the HLLs at keys <paramref name="from"/>.. into <paramref name="max"/>; missing keys count as empty.</summary>
    static bool MergeKeys(Client c, int from, byte[] max, out bool anyDense)
    {
        anyDense = false;
        for (int i = from; i < c.Args.Count; i++)
        {
            var e = c.LookupRead(c.Args[i]);
            if (e is null) continue;
            if (!CheckHll(c, e)) return false;
            var hll = StringValue.Span(e.Value);
            if (!HyperLogLog.IsSparse(hll)) anyDense = true;
            if (!HyperLogLog.MergeInto(max, hll))
            {
                c.Error(Corrupted);
                return false;
            }
        }
        return true;
    }

    [Command("pfdebug", 3, Flags = "write denyoom admin", Acl = "hyperloglog", Group = "hyperloglog", Since = "2.8.9",
        Keys = ["RW access; index 2; range 0 1 0"], Summary = "Internal commands for debugging HyperLogLog values", Complexity = "N/A",
        DocFlags = "syscmd", Arguments = ["subcommand:string", "key:key"])]
    static void PfDebug(Client c)
    {
        var e = c.LookupWrite(c.Args[2]);
        if (e is null)
        {
            c.Error("ERR The specified key does not exist");
            return;
        }
        if (!CheckHll(c, e)) return;
        var hll = Unshare(e);
        if (c.Args.Is(1, "getreg"))
        {
            if (!ToDenseForDebug(c, e, ref hll)) return;
            var registers = new byte[HyperLogLog.Registers];
            HyperLogLog.UnpackDense(hll.Span, registers);
            c.Reply.ArrayHeader(registers.Length);
            foreach (byte r in registers) c.Reply.Integer(r);
        }
        else if (c.Args.Is(1, "decode"))
        {
            if (!HyperLogLog.IsSparse(hll.Span)) c.Error("ERR HLL encoding is not sparse");
            else c.Reply.Bulk(HyperLogLog.Decode(hll.Span));
        }
        else if (c.Args.Is(1, "encoding"))
        {
            c.Reply.SimpleString(HyperLogLog.IsSparse(hll.Span) ? "sparse" : "dense");
        }
        else if (c.Args.Is(1, "todense"))
        {
            bool wasSparse = HyperLogLog.IsSparse(hll.Span);
            if (!ToDenseForDebug(c, e, ref hll)) return;
            c.Reply.Integer(wasSparse ? 1 : 0);
        }
        else c.Error($"ERR Unknown PFDEBUG subcommand '{c.Args.ToStr(1)}'");
    }

    /// <summary>Converts to dense for PFDEBUG; a conversion counts as a write so that it is propagated.</summary>
    static bool ToDenseForDebug(Client c, Entry e, ref RawString hll)
    {
        if (!HyperLogLog.IsSparse(hll.Span)) return true;
        if (!HyperLogLog.ToDense(ref hll))
        {
            c.Error(Corrupted);
            return false;
        }
        e.Value = hll;
        c.Dirty();
        return true;
    }

    [Command("pfselftest", 1, Flags = "admin", Acl = "hyperloglog", Group = "hyperloglog", Since = "2.8.9",
        Summary = "An internal command for testing HyperLogLog values", Complexity = "N/A", DocFlags = "syscmd")]
    static void PfSelfTest(Client c)
    {
        var failure = HyperLogLog.SelfTest(SparseMaxBytes(c));
        if (failure is null) c.Reply.Ok();
        else c.Error(failure);
    }
}
