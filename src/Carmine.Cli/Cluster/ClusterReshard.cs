using System.Globalization;

namespace Carmine.Cli.Cluster;

/// <summary>--cluster reshard (move N slots from chosen masters to one) and rebalance (even out slots by weight).</summary>
public sealed partial class ClusterManager
{
    bool Reshard(List<string> args)
    {
        if (!HostFromArgs(args, out string ip, out int port)) return InvalidArgs();
        if (!LoadInfoFromNode(new ClusterNode(ip, port))) return false;
        CheckCluster(quiet: false);
        if (errors.Count > 0)
        {
            PrintStderr("*** Please fix your cluster problems before resharding\n");
            return false;
        }
        int slots = command.Slots;
        while (slots <= 0 || slots > ClusterNode.SlotCount)
        {
            Console.Out.Write($"How many slots do you want to move (from 1 to {ClusterNode.SlotCount})? ");
            // redis-cli would ask forever at the end of stdin; there is no answer to wait for.
            string? answer = ReadLine(6);
            if (answer is null) return false;
            slots = (int)CliOptions.Atoi(answer);
        }
        string? to = command.To;
        while (string.IsNullOrEmpty(to))
        {
            Console.Out.Write("What is the receiving node ID? ");
            to = ReadLine(255);
            if (to is null) return false;
        }
        var target = NodeForResharding(to, null, out _);
        if (target is null) return false;
        var sources = new List<ClusterNode>();
        bool all = false;
        if (command.From is null)
        {
            Console.Out.Write("Please enter all the source node IDs.\n");
            Console.Out.Write("  Type 'all' to use all the nodes as source nodes for the hash slots.\n");
            Console.Out.Write("  Type 'done' once you entered all the source nodes IDs.\n");
            while (true)
            {
                Console.Out.Write($"Source node #{sources.Count + 1}: ");
                string? id = ReadLine(255);
                if (id is null) return false;
                if (id == "done") break;
                if (id == "all")
                {
                    all = true;
                    break;
                }
                var source = NodeForResharding(id, target, out bool fatal);
                if (source is not null) sources.Add(source);
                else if (fatal) return false;
            }
        }
        else
        {
            foreach (var id in command.From.Split(','))
            {
                if (id == "all")
                {
                    all = true;
                    break;
                }
                if (id.Length == 0) continue;
                var source = NodeForResharding(id, target, out bool fatal);
                if (source is not null) sources.Add(source);
                else if (fatal) return false;
            }
        }
        if (all) sources = Masters.Where(n => n.Replicate is null && n.Name != target.Name).ToList();
        if (sources.Count == 0)
        {
            PrintStderr("*** No source nodes given, operation aborted.\n");
            return false;
        }
        Console.Out.Write($"\nReady to move {slots} slots.\n");
        Console.Out.Write("  Source nodes:\n");
        foreach (var s in sources) Console.Out.Write(s.Info(4) + "\n");
        Console.Out.Write("  Destination node:\n");
        Console.Out.Write(target.Info(4) + "\n");
        var table = ReshardTable(sources, slots);
        Console.Out.Write("  Resharding plan:\n");
        foreach (var (source, slot) in table) Console.Out.Write($"    Moving slot {slot} from {source.Name}\n");
        if (!command.Yes)
        {
            Console.Out.Write("Do you want to proceed with the proposed reshard plan (yes/no)? ");
            if (ReadAnswer(4) != "yes") return false;
        }
        foreach (var (source, slot) in table)
        {
            if (MoveSlot(source, target, slot, MoveOptions.Verbose, out string? error)) continue;
            if (error is not null) LogErr($"clusterManagerMoveSlot failed: {error}\n");
            return false;
        }
        return true;
    }

    /// <summary>A master by id for reshard; <paramref name="fatal"/> when the id is unknown or not a master.</summary>
    ClusterNode? NodeForResharding(string id, ClusterNode? target, out bool fatal)
    {
        var node = NodeByName(id);
        fatal = false;
        if (node is null || node.IsSlave)
        {
            LogErr($"*** The specified node ({id}) is not known or not a master, please retry.\n");
            fatal = true;
            return null;
        }
        if (target is not null && node.Name == target.Name)
        {
            LogErr("*** It is not possible to use the target node as source node.\n");
            return null;
        }
        return node;
    }

    /// <summary>Which slots to take from which source: each gives its share of <paramref name="count"/> in proportion
    /// to its slots, the biggest source rounding up, the others down, lowest slots first.</summary>
    static List<(ClusterNode Source, int Slot)> ReshardTable(List<ClusterNode> sources, int count)
    {
        var moved = new List<(ClusterNode, int)>();
        int total = sources.Sum(s => s.SlotsCount);
        var sorted = sources.OrderByDescending(s => s.SlotsCount).ToList();
        for (int i = 0; i < sorted.Count; i++)
        {
            var node = sorted[i];
            float share = (float)count / total * node.SlotsCount;
            int max = (int)(i == 0 ? MathF.Ceiling(share) : MathF.Floor(share));
            int taken = 0;
            for (int s = 0; s < ClusterNode.SlotCount; s++)
            {
                if (!node.Slots[s]) continue;
                if (taken >= max || moved.Count >= count) break;
                moved.Add((node, s));
                taken++;
            }
        }
        return moved;
    }

    bool Rebalance(List<string> args)
    {
        if (!HostFromArgs(args, out string ip, out int port)) return InvalidArgs();
        if (!LoadInfoFromNode(new ClusterNode(ip, port))) return false;
        foreach (var w in command.Weights ?? [])
        {
            int eq = w.IndexOf('=');
            string name = w[..eq];
            var n = NodeByAbbreviatedName(name);
            if (n is null)
            {
                LogErr($"*** No such master node {name}\n");
                return false;
            }
            n.Weight = float.TryParse(w[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out float weight) ? weight : 0;
        }
        float totalWeight = 0;
        var involved = new List<ClusterNode>();
        foreach (var n in nodes)
        {
            if (n.IsSlave || n.Replicate is not null) continue;
            if (!command.UseEmptyMasters && n.SlotsCount == 0)
            {
                n.Weight = 0;
                continue;
            }
            totalWeight += n.Weight;
            involved.Add(n);
        }
        CheckCluster(quiet: true);
        if (errors.Count > 0)
        {
            LogErr("*** Please fix your cluster problems before rebalancing\n");
            return false;
        }
        // Balance: how many slots a node should give (positive) or take (negative).
        bool thresholdReached = false;
        int totalBalance = 0;
        float threshold = command.Threshold;
        foreach (var n in involved)
        {
            int expected = (int)((float)ClusterNode.SlotCount / totalWeight * n.Weight);
            n.Balance = n.SlotsCount - expected;
            totalBalance += n.Balance;
            if (threshold > 0)
            {
                if (n.SlotsCount > 0)
                {
                    double errorPercent = Math.Abs(100 - 100.0 * expected / n.SlotsCount);
                    if (errorPercent > threshold) thresholdReached = true;
                }
                else if (expected > 1) thresholdReached = true;
            }
        }
        if (!thresholdReached)
        {
            LogWarn($"*** No rebalancing needed! All nodes are within the {threshold.ToString("F2", CultureInfo.InvariantCulture)}% threshold.\n");
            return true;
        }
        // Rounding can leave the sum positive: givers must be matched by takers.
        while (totalBalance > 0)
        {
            foreach (var n in involved)
            {
                if (n.Balance > 0 || totalBalance <= 0) continue;
                n.Balance--;
                totalBalance--;
            }
        }
        var weighted = involved.OrderBy(n => n.Balance).ToList();
        LogInfo($">>> Rebalancing across {involved.Count} nodes. Total weight = {totalWeight.ToString("F2", CultureInfo.InvariantCulture)}\n");
        if (options.Verbose)
            foreach (var n in weighted) Console.Out.Write($"{n.Ip}:{n.Port} balance is {n.Balance} slots\n");
        // Takers at the start, givers at the end: walk both ends toward each other.
        int dstIndex = 0, srcIndex = weighted.Count - 1;
        while (dstIndex < srcIndex)
        {
            var dst = weighted[dstIndex];
            var src = weighted[srcIndex];
            int count = Math.Min(Math.Abs(dst.Balance), Math.Abs(src.Balance));
            if (count > 0)
            {
                Console.Out.Write($"Moving {count} slots from {src.Ip}:{src.Port} to {dst.Ip}:{dst.Port}\n");
                var table = ReshardTable([src], count);
                if (table.Count != count)
                {
                    LogErr("*** Assertion failed: Reshard table != number of slots");
                    return false;
                }
                if (command.Simulate) Console.Out.Write(new string('#', table.Count));
                else
                {
                    foreach (var (source, slot) in table)
                    {
                        if (!MoveSlot(source, dst, slot, MoveOptions.Quiet | MoveOptions.Update, out string? error))
                        {
                            LogErr($"*** clusterManagerMoveSlot: {error}\n");
                            return false;
                        }
                        Console.Out.Write("#");
                    }
                }
                Console.Out.Write("\n");
            }
            dst.Balance += count;
            src.Balance -= count;
            if (dst.Balance == 0) dstIndex++;
            if (src.Balance == 0) srcIndex--;
        }
        return true;
    }
}
