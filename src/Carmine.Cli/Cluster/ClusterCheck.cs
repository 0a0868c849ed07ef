namespace Carmine.Cli.Cluster;

/// <summary>--cluster check and fix: configuration agreement, open slots, slot coverage and (optionally)
/// slots with several owners, each repaired when the fix subcommand asked for it.</summary>
public sealed partial class ClusterManager
{
    bool Check(List<string> args)
    {
        if (!HostFromArgs(args, out string ip, out int port)) return InvalidArgs();
        if (!LoadInfoFromNode(new ClusterNode(ip, port))) return false;
        ShowClusterInfo();
        return CheckCluster(quiet: false);
    }

    bool FixCommand(List<string> args)
    {
        command.Fix = true;
        return Check(args);
    }

    bool Info(List<string> args)
    {
        if (!HostFromArgs(args, out string ip, out int port)) return InvalidArgs();
        if (!LoadInfoFromNode(new ClusterNode(ip, port))) return false;
        ShowClusterInfo();
        return true;
    }

    bool CheckCluster(bool quiet)
    {
        if (nodes.Count == 0) return false;
        var entry = nodes[0];
        LogInfo($">>> Performing Cluster Check (using node {entry.Ip}:{entry.Port})\n");
        bool result = true;
        if (!quiet) ShowNodes();
        if (!IsConfigConsistent())
        {
            OnError("[ERR] Nodes don't agree about configuration!");
            result = false;
        }
        else LogOk("[OK] All nodes agree about slots configuration.\n");
        LogInfo(">>> Check for open slots...\n");
        var openSlots = new List<string>();
        foreach (var n in nodes)
        {
            if (n.Migrating.Count > 0)
            {
                foreach (var (slot, _) in n.Migrating) if (!openSlots.Contains(slot)) openSlots.Add(slot);
                OnError($"[WARNING] Node {n.Ip}:{n.Port} has slots in migrating state {string.Join(',', n.Migrating.Select(m => m.Slot))}.");
            }
            if (n.Importing.Count > 0)
            {
                foreach (var (slot, _) in n.Importing) if (!openSlots.Contains(slot)) openSlots.Add(slot);
                OnError($"[WARNING] Node {n.Ip}:{n.Port} has slots in importing state {string.Join(',', n.Importing.Select(m => m.Slot))}.");
            }
        }
        if (openSlots.Count > 0)
        {
            result = false;
            LogErr($"[WARNING] The following slots are open: {string.Join(',', openSlots)}.\n");
            if (command.Fix)
            {
                foreach (var slot in openSlots)
                {
                    result = FixOpenSlot((int)CliOptions.Atoi(slot));
                    if (!result) break;
                }
            }
        }
        LogInfo(">>> Check slots coverage...\n");
        var covered = new bool[ClusterNode.SlotCount];
        int coverage = CoveredSlots(covered);
        if (coverage == ClusterNode.SlotCount) LogOk($"[OK] All {ClusterNode.SlotCount} slots covered.\n");
        else
        {
            OnError($"[ERR] Not all {ClusterNode.SlotCount} slots are covered by nodes.\n");
            result = false;
            if (command.Fix && FixSlotsCoverage(covered) > 0) result = true;
        }
        if (command.SearchMultipleOwners) result = CheckMultipleOwners(result);
        return result;
    }

    int CoveredSlots(bool[] covered)
    {
        int total = 0;
        foreach (var n in nodes)
            for (int s = 0; s < ClusterNode.SlotCount; s++)
                if (n.Slots[s] && !covered[s])
                {
                    covered[s] = true;
                    total++;
                }
        return total;
    }

    /// <summary>Masters claiming a slot, or holding keys of it without claiming it, must be one per slot.
    /// As in redis-cli, a successful fix sets the check's result to success.</summary>
    bool CheckMultipleOwners(bool result)
    {
        LogInfo(">>> Check for multiple slot owners...\n");
        int withMultipleOwners = 0;
        for (int slot = 0; slot < ClusterNode.SlotCount; slot++)
        {
            var owners = Masters.Where(n => n.Slots[slot] || CountKeysInSlot(n, slot) > 0).ToList();
            if (owners.Count <= 1) continue;
            result = false;
            LogErr($"[WARNING] Slot {slot} has {owners.Count} owners:\n");
            foreach (var n in owners) LogErr($"    {n.Ip}:{n.Port}\n");
            withMultipleOwners++;
            if (!command.Fix) continue;
            result = FixMultipleSlotOwners(slot, owners);
            if (!result)
            {
                LogErr($"Failed to fix multiple owners for slot {slot}\n");
                break;
            }
            withMultipleOwners--;
        }
        if (withMultipleOwners == 0) LogOk("[OK] No multiple owners found.\n");
        return result;
    }

    void RefuseWithUnreachableMasters(string what)
    {
        if (unreachableMasters == 0 || command.FixWithUnreachableMasters) return;
        LogWarn($"*** Fixing {what} with {unreachableMasters} unreachable masters is dangerous: redis-cli will assume that slots " +
            "about masters that are not reachable are not covered, and will try to reassign them to the reachable nodes. " +
            "This can cause data loss and is rarely what you want to do. If you really want to proceed use the " +
            "--cluster-fix-with-unreachable-masters option.\n");
        Console.Out.Flush();
        Environment.Exit(1);
    }

    /// <summary>Assigns every uncovered slot: to a random master when no node has its keys, to the one
    /// node that has them, or to the node with most keys after moving the others' keys there.</summary>
    int FixSlotsCoverage(bool[] covered)
    {
        RefuseWithUnreachableMasters("slots coverage");
        LogInfo(">>> Fixing slots coverage...\n");
        var holders = new SortedDictionary<int, List<ClusterNode>>();
        for (int s = 0; s < ClusterNode.SlotCount; s++)
        {
            if (covered[s]) continue;
            var withKeys = new List<ClusterNode>();
            foreach (var n in nodes)
            {
                if (n.IsSlave || n.Replicate is not null) continue;
                var reply = n.Call("CLUSTER", "GETKEYSINSLOT", s.ToString(), "1");
                if (!CheckReply(n, reply)) return -1;
                if (reply.Items!.Length > 0) withKeys.Add(n);
            }
            holders[s] = withKeys;
        }
        int fixedCount = 0;
        var none = holders.Where(h => h.Value.Count == 0).Select(h => h.Key).ToList();
        var single = holders.Where(h => h.Value.Count == 1).Select(h => h.Key).ToList();
        var multi = holders.Where(h => h.Value.Count > 1).Select(h => h.Key).ToList();
        if (none.Count > 0)
        {
            Console.Out.Write("The following uncovered slots have no keys across the cluster:\n");
            PrintSlotsList(none);
            if (Confirm("Fix these slots by covering with a random node?", ignoreForce: true))
            {
                foreach (int s in none)
                {
                    var masters = Masters.ToList();
                    var n = masters[Random.Shared.Next(masters.Count)];
                    LogInfo($">>> Covering slot {s} with {n.Ip}:{n.Port}\n");
                    if (!SetSlotOwner(n, s, clearStatus: false)) return -1;
                    n.Slots[s] = true;
                    fixedCount++;
                }
            }
        }
        if (single.Count > 0)
        {
            Console.Out.Write("The following uncovered slots have keys in just one node:\n");
            PrintSlotsList(single);
            if (Confirm("Fix these slots by covering with those nodes?", ignoreForce: true))
            {
                foreach (int s in single)
                {
                    var n = holders[s][0];
                    LogInfo($">>> Covering slot {s} with {n.Ip}:{n.Port}\n");
                    if (!SetSlotOwner(n, s, clearStatus: false)) return -1;
                    n.Slots[s] = true;
                    fixedCount++;
                }
            }
        }
        if (multi.Count > 0)
        {
            Console.Out.Write("The following uncovered slots have keys in multiple nodes:\n");
            PrintSlotsList(multi);
            if (Confirm("Fix these slots by moving keys into a single node?", ignoreForce: true))
            {
                foreach (int s in multi)
                {
                    var target = NodeWithMostKeysInSlot(holders[s], s);
                    if (target is null) return -1;
                    LogInfo($">>> Covering slot {s} moving keys to {target.Ip}:{target.Port}\n");
                    if (!SetSlotOwner(target, s, clearStatus: true)) return -1;
                    target.Slots[s] = true;
                    foreach (var source in holders[s])
                    {
                        if (source == target) continue;
                        // The source takes the target as owner, and is set importing so MIGRATE is not redirected.
                        if (!SetSlot(source, target, s, "NODE") || !SetSlot(source, target, s, "IMPORTING")) return -1;
                        if (!MoveSlot(source, target, s, MoveOptions.Verbose | MoveOptions.Cold)) return -1;
                        if (!ClearSlotStatus(source, s)) return -1;
                    }
                    fixedCount++;
                }
            }
        }
        return fixedCount;
    }

    static void PrintSlotsList(List<int> slots)
    {
        var map = new bool[ClusterNode.SlotCount];
        foreach (int s in slots) map[s] = true;
        Console.Out.Write(ClusterNode.SlotsString(map) + "\n");
    }

    ClusterNode? NodeWithMostKeysInSlot(IEnumerable<ClusterNode> candidates, int slot)
    {
        ClusterNode? best = null;
        long most = 0;
        foreach (var n in candidates)
        {
            if (n.IsSlave || n.Replicate is not null) continue;
            var reply = n.Call("CLUSTER", "COUNTKEYSINSLOT", slot.ToString());
            if (!CheckReply(n, reply)) return null;
            if (reply.Integer > most || best is null)
            {
                most = reply.Integer;
                best = n;
            }
        }
        return best;
    }

    /// <summary>A slot left migrating or importing (an interrupted reshard, a restart): find its owner,
    /// then finish the move or close the slot, depending on which nodes have it open and hold its keys.</summary>
    bool FixOpenSlot(int slot)
    {
        RefuseWithUnreachableMasters("open slots");
        LogInfo($">>> Fixing open slot {slot}\n");
        var owners = new List<ClusterNode>();
        foreach (var n in Masters)
        {
            if (n.Slots[slot]) owners.Add(n);
            else
            {
                long count = CountKeysInSlot(n, slot);
                if (count < 0) return false;
                if (count == 0) continue;
                LogWarn($"*** Found keys about slot {slot} in non-owner node {n.Ip}:{n.Port}!\n");
                owners.Add(n);
            }
        }
        var owner = owners.Count == 1 ? owners[0] : null;
        var migrating = new List<ClusterNode>();
        var importing = new List<ClusterNode>();
        string slotText = slot.ToString();
        foreach (var n in Masters)
        {
            if (n.Migrating.Any(m => CliOptions.Atoi(m.Slot) == slot)) migrating.Add(n);
            else if (n.Importing.Any(m => CliOptions.Atoi(m.Slot) == slot)) importing.Add(n);
            else if (n != owner)
            {
                long count = CountKeysInSlot(n, slot);
                if (count < 0) return false;
                if (count == 0) continue;
                LogWarn($"*** Found keys about slot {slot} in node {n.Ip}:{n.Port}!\n");
                importing.Add(n);
            }
        }
        string migratingText = string.Join(',', migrating.Select(n => n.Address));
        string importingText = string.Join(',', importing.Select(n => n.Address));
        if (migratingText.Length > 0) Console.Out.Write($"Set as migrating in: {migratingText}\n");
        if (importingText.Length > 0) Console.Out.Write($"Set as importing in: {importingText}\n");
        if (owner is null)
        {
            LogInfo(">>> No single clear owner for the slot, selecting an owner by # of keys...\n");
            owner = NodeWithMostKeysInSlot(nodes, slot);
            if (owner is null)
            {
                LogErr("[ERR] Can't select a slot owner. Impossible to fix.\n");
                return false;
            }
            LogWarn($"*** Configuring {owner.Ip}:{owner.Port} as the slot owner\n");
            if (!ClearSlotStatus(owner, slot) || !SetSlotOwner(owner, slot, clearStatus: false)) return false;
            owner.Slots[slot] = true;
            migrating.Remove(owner);
            importing.Remove(owner);
        }
        // Several owners: one keeps the slot, the others give it up and are treated as importing.
        if (owners.Count > 1)
        {
            foreach (var n in owners)
            {
                if (n == owner) continue;
                if (!DelSlot(n, slot, ignoreUnassigned: true)) return false;
                n.Slots[slot] = false;
                if (!SetSlot(n, owner, slot, "node") || !SetSlot(n, owner, slot, "importing")) return false;
                importing.Remove(n);
                importing.Add(n);
                migrating.Remove(n);
            }
        }
        if (migrating.Count == 1 && importing.Count == 1)
        {
            var src = migrating[0];
            var dst = importing[0];
            LogInfo($">>> Case 1: Moving slot {slot} from {src.Ip}:{src.Port} to {dst.Ip}:{dst.Port}\n");
            return MoveSlot(src, dst, slot, MoveOptions.Verbose | MoveOptions.Update);
        }
        if (migrating.Count == 0 && importing.Count > 0)
        {
            LogInfo($">>> Case 2: Moving all the {slot} slot keys to its owner {owner.Ip}:{owner.Port}\n");
            foreach (var n in importing)
            {
                if (n == owner) continue;
                if (!MoveSlot(n, owner, slot, MoveOptions.Verbose | MoveOptions.Cold)) return false;
                LogInfo($">>> Setting {slot} as STABLE in {n.Ip}:{n.Port}\n");
                if (!ClearSlotStatus(n, slot)) return false;
            }
            // The keys moved "cold": every other master must now learn the owner.
            foreach (var n in Masters.ToList())
            {
                if (n == owner) continue;
                if (!SetSlot(n, owner, slot, "NODE")) return false;
            }
            return true;
        }
        if (migrating.Count == 1 && importing.Count > 1)
        {
            var src = migrating[0];
            string target = src.Migrating.First(m => CliOptions.Atoi(m.Slot) == slot).Node;
            ClusterNode? dst = null;
            bool tryToFix = true;
            foreach (var n in importing)
            {
                if (CountKeysInSlot(n, slot) > 0)
                {
                    tryToFix = false;
                    break;
                }
                if (n.Name == target) dst = n;
            }
            if (tryToFix)
            {
                if (dst is not null)
                {
                    LogInfo($">>> Case 3: Moving slot {slot} from {src.Ip}:{src.Port} to {dst.Ip}:{dst.Port} and closing it on all the other importing nodes.\n");
                    if (!MoveSlot(src, dst, slot, MoveOptions.Verbose)) return false;
                    return importing.Where(n => n != dst).All(n => ClearSlotStatus(n, slot));
                }
                LogInfo($">>> Case 3: Closing slot {slot} on both migrating and importing nodes.\n");
                return ClearSlotStatus(src, slot) && importing.All(n => ClearSlotStatus(n, slot));
            }
        }
        else
        {
            bool tryToClose = importing.Count == 0 && migrating.Count == 1;
            if (tryToClose && owner != migrating[0])
            {
                var n = migrating[0];
                var reply = n.Call("CLUSTER", "GETKEYSINSLOT", slotText, "10");
                if (!CheckReply(n, reply)) return false;
                tryToClose = reply.Items!.Length == 0;
            }
            // Case 4: only a migrating node, with no keys or owning the slot: an interrupted reshard.
            if (tryToClose)
            {
                var n = migrating[0];
                LogInfo($">>> Case 4: Closing slot {slot} on {n.Ip}:{n.Port}\n");
                return CheckReply(n, n.Call("CLUSTER", "SETSLOT", slotText, "STABLE"));
            }
        }
        LogErr($"[ERR] Sorry, redis-cli can't fix this slot yet (work in progress). Slot is set as migrating in {migratingText}, " +
            $"as importing in {importingText}, owner is {owner.Ip}:{owner.Port}\n");
        return false;
    }

    bool FixMultipleSlotOwners(int slot, List<ClusterNode> owners)
    {
        LogInfo($">>> Fixing multiple owners for slot {slot}...\n");
        var owner = NodeWithMostKeysInSlot(owners, slot) ?? owners[0];
        LogInfo($">>> Setting slot {slot} owner: {owner.Ip}:{owner.Port}\n");
        if (!SetSlotOwner(owner, slot, clearStatus: false)) return false;
        bool success = false;
        foreach (var n in Masters.ToList())
        {
            if (n == owner) continue;
            long count = CountKeysInSlot(n, slot);
            success = count >= 0;
            if (!success) break;
            DelSlot(n, slot, ignoreUnassigned: true);
            if (!SetSlot(n, owner, slot, "node")) return false;
            if (count > 0)
            {
                success = MoveSlot(n, owner, slot, MoveOptions.Verbose | MoveOptions.Cold);
                if (!success) break;
            }
        }
        return success;
    }
}
