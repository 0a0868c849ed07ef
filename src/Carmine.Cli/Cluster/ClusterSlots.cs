using System.Text;
using Carmine.Protocol;

namespace Carmine.Cli.Cluster;

/// <summary>Slot operations shared by fix, reshard and rebalance: CLUSTER SETSLOT/ADDSLOTS/DELSLOTS and
/// moving a slot's keys with MIGRATE.</summary>
public sealed partial class ClusterManager
{
    [Flags]
    enum MoveOptions
    {
        None = 0,
        /// <summary>A dot per migrated key.</summary>
        Verbose = 1,
        /// <summary>Only move the keys: no importing/migrating states, no new owner.</summary>
        Cold = 2,
        /// <summary>Update the manager's own view of the two nodes' slots.</summary>
        Update = 4,
        /// <summary>No "Moving slot" line.</summary>
        Quiet = 8,
    }

    /// <summary>CLUSTER SETSLOT slot STATE other-node-id; the error is printed unless asked for.</summary>
    bool SetSlot(ClusterNode node, ClusterNode other, int slot, string state) => SetSlot(node, other, slot, state, out _, print: true);

    bool SetSlot(ClusterNode node, ClusterNode other, int slot, string state, out string? error, bool print = false)
    {
        var reply = node.Call("CLUSTER", "SETSLOT", slot.ToString(), state, other.Name!);
        if (CheckReply(reply, out error)) return true;
        if (print) PrintReplyError(node, error!);
        return false;
    }

    bool ClearSlotStatus(ClusterNode node, int slot) => CheckReply(node, node.Call("CLUSTER", "SETSLOT", slot.ToString(), "STABLE"));

    /// <summary>CLUSTER DELSLOTS; with <paramref name="ignoreUnassigned"/> a slot that was not assigned is no error.</summary>
    bool DelSlot(ClusterNode node, int slot, bool ignoreUnassigned)
    {
        var reply = node.Call("CLUSTER", "DELSLOTS", slot.ToString());
        if (CheckReply(reply, out string? error)) return true;
        if (ignoreUnassigned && reply.IsError)
        {
            var owner = SlotOwner(node, slot, out string? ownerError);
            if (owner is null)
            {
                if (ownerError is null) return true;
                PrintReplyError(node, ownerError);
            }
        }
        PrintReplyError(node, error!);
        return false;
    }

    /// <summary>Keys of the slot on the node; -1 (error printed) when the node refuses.</summary>
    long CountKeysInSlot(ClusterNode node, int slot)
    {
        var reply = node.Call("CLUSTER", "COUNTKEYSINSLOT", slot.ToString());
        if (!CheckReply(node, reply)) return -1;
        return reply.Type == RespType.Integer ? reply.Integer : -1;
    }

    /// <summary>The node serving the slot according to <paramref name="node"/>'s CLUSTER SLOTS; null when unassigned or on error.</summary>
    ClusterNode? SlotOwner(ClusterNode node, int slot, out string? error)
    {
        var reply = node.Call("CLUSTER", "SLOTS");
        if (!CheckReply(reply, out error)) return null;
        foreach (var range in reply.Items!)
        {
            var r = range.Items!;
            if (slot < r[0].Integer || slot > r[1].Integer) continue;
            var master = r[2].Items!;
            ClusterNode? owner = master.Length >= 3
                ? NodeByName(master[2].Text!)
                : nodes.FirstOrDefault(n => n.Ip == master[0].Text && n.Port == master[1].Integer);
            if (owner is not null) return owner;
        }
        return null;
    }

    /// <summary>Makes <paramref name="owner"/> the slot's owner in one transaction: DELSLOTS (whose failure
    /// does not matter), ADDSLOTS, optionally SETSLOT STABLE, and BUMPEPOCH so the change wins.</summary>
    bool SetSlotOwner(ClusterNode owner, int slot, bool clearStatus)
    {
        if (!CheckReply(owner, owner.Call("MULTI"))) return false;
        string s = slot.ToString();
        owner.Call("CLUSTER", "DELSLOTS", s);
        owner.Call("CLUSTER", "ADDSLOTS", s);
        if (clearStatus) owner.Call("CLUSTER", "SETSLOT", s, "STABLE");
        owner.Call("CLUSTER", "BUMPEPOCH");
        var exec = owner.Call("EXEC");
        if (!CheckReply(owner, exec)) return false;
        if (exec.Type != RespType.Array) return false;
        for (int i = 0; i < exec.Items!.Length; i++)
        {
            // Only the ADDSLOTS (the second command) must succeed.
            if (!exec.Items[i].IsError || i != 1) continue;
            PrintReplyError(owner, exec.Items[i].Text!);
            return false;
        }
        return true;
    }

    /// <summary>Moves one slot, printing any error (what fix does).</summary>
    bool MoveSlot(ClusterNode source, ClusterNode target, int slot, MoveOptions opts) => MoveSlot(source, target, slot, opts, out _, print: true);

    /// <summary>Moves one slot from <paramref name="source"/> to <paramref name="target"/>: open it on both,
    /// migrate its keys, then tell the target, the source and the other masters who owns it. Errors of
    /// CLUSTER SETSLOT are returned in <paramref name="error"/>, or printed with <paramref name="print"/>.</summary>
    bool MoveSlot(ClusterNode source, ClusterNode target, int slot, MoveOptions opts, out string? error, bool print = false)
    {
        if (!opts.HasFlag(MoveOptions.Quiet)) Console.Out.Write($"Moving slot {slot} from {source.Ip}:{source.Port} to {target.Ip}:{target.Port}: ");
        bool cold = opts.HasFlag(MoveOptions.Cold);
        if (!cold)
        {
            if (!SetSlot(target, source, slot, "importing", out error, print)) return false;
            if (!SetSlot(source, target, slot, "migrating", out error, print)) return false;
        }
        bool migrated = MigrateKeysInSlot(source, target, slot, opts.HasFlag(MoveOptions.Verbose), !print, out error);
        if (!opts.HasFlag(MoveOptions.Quiet)) Console.Out.Write("\n");
        if (!migrated) return false;
        if (!cold)
        {
            // The target first: if it crashed before learning it owns the slot, the slot would be left without owner.
            if (!SetSlot(target, target, slot, "node", out error, print)) return false;
            // A source that gave its last slot away may already have turned into a replica: that is fine
            // (an error that was printed does not stop the move either, as in redis-cli).
            if (!SetSlot(source, target, slot, "node", out error, print) && !print
                && !error!.StartsWith("ERR Please use SETSLOT only with masters.", StringComparison.Ordinal))
                return false;
            error = null;
            foreach (var n in nodes)
            {
                if (n == target || n == source || n.IsSlave) continue;
                if (!SetSlot(n, target, slot, "node", out error, print)) return false;
            }
        }
        if (opts.HasFlag(MoveOptions.Update))
        {
            source.Slots[slot] = false;
            target.Slots[slot] = true;
        }
        return true;
    }

    /// <summary>MIGRATEs the slot's keys, --cluster-pipeline at a time. A BUSYKEY error (the key exists on the target)
    /// is retried with REPLACE when --cluster-replace is given or both copies have the same value.</summary>
    bool MigrateKeysInSlot(ClusterNode source, ClusterNode target, int slot, bool verbose, bool reportKeysError, out string? error)
    {
        error = null;
        while (true)
        {
            var keysReply = source.Call("CLUSTER", "GETKEYSINSLOT", slot.ToString(), command.Pipeline.ToString());
            if (keysReply.IsError)
            {
                // Only a caller that wants the error sees why the keys could not be listed.
                if (reportKeysError)
                {
                    error = keysReply.Text;
                    PrintReplyError(source, error!);
                }
                return false;
            }
            var keys = keysReply.Items!.Select(k => k.Bytes!).ToList();
            if (keys.Count == 0) return true;
            var migrate = Migrate(source, target, keys, replace: false);
            if (migrate.IsError)
            {
                bool busy = migrate.Text!.Contains("BUSYKEY");
                bool notServed = false;
                if (!busy)
                {
                    var servedBy = SlotOwner(source, slot, out string? ownerError);
                    if (servedBy is null)
                    {
                        if (ownerError is null) notServed = true;
                        else PrintReplyError(source, ownerError);
                    }
                }
                if (!busy && !notServed)
                {
                    error = migrate.Text;
                    Console.Out.Write("\n");
                    PrintReplyError(source, migrate.Text!);
                    return false;
                }
                if (command.Fix && notServed)
                {
                    LogWarn($"*** Slot was not served, setting owner to node {target.Ip}:{target.Port}.\n");
                    SetSlot(source, target, slot, "node");
                }
                if (busy)
                {
                    LogWarn("\n*** Target key exists\n");
                    if (!command.Replace && !SameValues(source, target, keys)) return false;
                    LogWarn("*** Replacing target keys...\n");
                }
                migrate = Migrate(source, target, keys, replace: busy);
                if (migrate.IsError)
                {
                    error = migrate.Text;
                    Console.Out.Write("\n");
                    PrintReplyError(source, migrate.Text!);
                    return false;
                }
            }
            if (verbose) Console.Out.Write(new string('.', keys.Count));
        }
    }

    /// <summary>MIGRATE host port "" 0 timeout [REPLACE] [AUTH pass | AUTH2 user pass] KEYS k1 k2 ...</summary>
    RespValue Migrate(ClusterNode source, ClusterNode target, List<byte[]> keys, bool replace)
    {
        var argv = new List<byte[]>();
        void Add(string s) => argv.Add(Encoding.UTF8.GetBytes(s));
        Add("MIGRATE");
        Add(target.Ip);
        Add(target.Port.ToString());
        Add("");
        Add("0");
        Add(command.Timeout.ToString());
        if (replace) Add("REPLACE");
        if (options.Password is not null)
        {
            if (options.User is not null)
            {
                Add("AUTH2");
                Add(options.User);
            }
            else Add("AUTH");
            Add(options.Password);
        }
        Add("KEYS");
        argv.AddRange(keys);
        return source.Call(argv);
    }

    /// <summary>Compares DEBUG DIGEST-VALUE of the keys on both nodes; prints the keys that differ.</summary>
    bool SameValues(ClusterNode source, ClusterNode target, List<byte[]> keys)
    {
        LogWarn("*** Checking key values on both nodes...\n");
        var argv = new List<byte[]> { "DEBUG"u8.ToArray(), "DIGEST-VALUE"u8.ToArray() };
        argv.AddRange(keys);
        var r1 = source.Call(argv);
        var r2 = target.Call(argv);
        if (r1.IsError) PrintReplyError(source, r1.Text!);
        if (r2.IsError) PrintReplyError(target, r2.Text!);
        if (r1.IsError || r2.IsError)
        {
            LogErr("*** Value check failed!\n");
            return false;
        }
        const string zero = "0000000000000000000000000000000000000000";
        var diffs = new List<string>();
        for (int i = 0; i < keys.Count; i++)
        {
            string h1 = r1.Items![i].Text!, h2 = r2.Items![i].Text!;
            if (h1 == zero || h2 == zero) continue;
            if (h1 != h2) diffs.Add(Encoding.UTF8.GetString(keys[i]));
        }
        if (diffs.Count == 0) return true;
        LogErr($"*** Found {diffs.Count} key(s) in both source node and target node having different values.\n" +
            $"    Source node: {source.Ip}:{source.Port}\n    Target node: {target.Ip}:{target.Port}\n    Keys(s):\n");
        foreach (var k in diffs) LogErr($"    - {k}\n");
        LogErr("Please fix the above key(s) manually and try again or relaunch the command \nwith --cluster-replace option to force key overriding.\n");
        return false;
    }
}
