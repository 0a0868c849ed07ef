using System.Net;

namespace Carmine.Cli.Cluster;

/// <summary>--cluster create: slots split evenly over the masters, replicas placed away from their master's
/// host when possible (anti-affinity), then the nodes configured and joined with CLUSTER MEET.</summary>
public sealed partial class ClusterManager
{
    bool Create(List<string> args)
    {
        foreach (var addr in args)
        {
            if (!ParseAddress(addr, out string ip, out int port, out _))
            {
                PrintStderr($"Invalid address format: {addr}\n");
                return false;
            }
            var node = new ClusterNode(ip, port);
            if (!Connect(node)) return false;
            nodes.Add(node);
            if (!CheckNode(node, getFriends: false, requireEmpty: true)) return false;
        }
        int replicas = command.Replicas;
        int mastersCount = nodes.Count / (replicas + 1);
        if (mastersCount < 3)
        {
            LogErr("*** ERROR: Invalid configuration for cluster creation.\n*** Redis Cluster requires at least 3 master nodes.\n" +
                $"*** This is not possible with {nodes.Count} nodes and {replicas} replicas per node.");
            LogErr($"\n*** At least {3 * (replicas + 1)} nodes are required.\n");
            return false;
        }
        LogInfo($">>> Performing hash slots allocation on {nodes.Count} nodes...\n");
        // Nodes grouped by host, then taken one host at a time so masters land on different hosts.
        var hosts = nodes.GroupBy(n => n.Ip).Select(g => g.ToList()).ToList();
        var interleaved = new List<ClusterNode>();
        for (int round = 0; interleaved.Count < nodes.Count; round++)
            foreach (var host in hosts)
                if (round < host.Count) interleaved.Add(host[round]);
        var masters = interleaved.Take(mastersCount).ToList();
        var spare = interleaved.Skip(mastersCount).ToList<ClusterNode?>();
        AssignSlots(masters);
        // Rotating the spare nodes once tends to give a better start for the optimizer.
        if (spare.Count > 0)
        {
            spare.Add(spare[0]);
            spare.RemoveAt(0);
        }
        AssignReplicas(masters, spare, replicas);
        OptimizeAntiAffinity(hosts);
        ShowNodes();
        if (!Confirm("Can I set the above configuration?", ignoreForce: false)) return true;
        foreach (var node in nodes)
        {
            bool flushed = FlushNodeConfig(node, out string? e);
            if (!flushed && node.Dirty && node.Replicate is null)
            {
                if (e is not null) PrintReplyError(node, e);
                return false;
            }
        }
        LogInfo(">>> Nodes configuration updated\n");
        LogInfo(">>> Assign a different config epoch to each node\n");
        int epoch = 1;
        foreach (var node in nodes) node.Call("CLUSTER", "SET-CONFIG-EPOCH", (epoch++).ToString());
        LogInfo(">>> Sending CLUSTER MEET messages to join the cluster\n");
        var first = nodes[0];
        // CLUSTER MEET needs an IP address; the node may have been given by name.
        string? firstIp = ResolveIp(first.Ip);
        if (firstIp is null)
        {
            PrintStderr($"Invalid IP address or hostname specified: {first.Ip}\n");
            return false;
        }
        foreach (var node in nodes.Skip(1))
        {
            if (!Meet(node, firstIp, first)) return false;
        }
        // One second for the join to start, so the wait does not see empty nodes that trivially agree.
        Thread.Sleep(1000);
        WaitForClusterJoin();
        foreach (var node in nodes)
        {
            if (!node.Dirty) continue;
            bool flushed = FlushNodeConfig(node, out string? e);
            if (!flushed && node.Replicate is null)
            {
                if (e is not null) PrintReplyError(node, e);
                return false;
            }
        }
        foreach (var node in nodes.Skip(1)) node.Connection?.Dispose();
        var entry = new ClusterNode(first.Ip, first.Port) { Connection = first.Connection };
        nodes = [];
        if (!LoadInfoFromNode(entry)) return false;
        CheckCluster(quiet: false);
        return true;
    }

    /// <summary>Master[i] gets the i-th equal share of the 16384 slots.</summary>
    static void AssignSlots(List<ClusterNode> masters)
    {
        float slotsPerNode = ClusterNode.SlotCount / (float)masters.Count;
        long first = 0;
        float cursor = 0;
        for (int i = 0; i < masters.Count; i++)
        {
            var master = masters[i];
            long last = (long)Math.Round((double)(cursor + slotsPerNode - 1), MidpointRounding.AwayFromZero);
            if (last > ClusterNode.SlotCount || i == masters.Count - 1) last = ClusterNode.SlotCount - 1;
            if (last < first) last = first;
            Console.Out.Write($"Master[{i}] -> Slots {first} - {last}\n");
            master.SlotsCount = 0;
            for (long s = first; s <= last; s++)
            {
                master.Slots[s] = true;
                master.SlotsCount++;
            }
            master.Dirty = true;
            first = last + 1;
            cursor += slotsPerNode;
        }
    }

    /// <summary>Each master takes the next spare node on another host (or, failing that, any spare one);
    /// nodes left over after every master has its replicas are handed out one per master.</summary>
    static void AssignReplicas(List<ClusterNode> masters, List<ClusterNode?> spare, int replicas)
    {
        int start = 0;
        int available = spare.Count;
        bool assignUnused = false;
        while (true)
        {
            foreach (var master in masters)
            {
                int assigned = 0;
                while (assigned < replicas && available > 0)
                {
                    ClusterNode? slave = null;
                    int firstIndex = -1;
                    for (int j = start; j < spare.Count; j++)
                    {
                        var n = spare[j];
                        if (n is null) continue;
                        if (n.Ip != master.Ip)
                        {
                            slave = n;
                            spare[j] = null;
                            break;
                        }
                        if (firstIndex < 0) firstIndex = j;
                    }
                    if (slave is null && firstIndex >= 0)
                    {
                        slave = spare[firstIndex];
                        start = firstIndex + 1;
                    }
                    if (slave is null) break;
                    assigned++;
                    available--;
                    slave.Replicate = master.Name;
                    slave.Dirty = true;
                    Console.Out.Write($"Adding replica {slave.Ip}:{slave.Port} to {master.Ip}:{master.Port}\n");
                    if (assignUnused) break;
                }
            }
            if (assignUnused || available == 0) return;
            assignUnused = true;
            Console.Out.Write("Adding extra replicas...\n");
        }
    }

    /// <summary>10000 for every replica on its master's host, 1 for every replica sharing a host with
    /// another replica of the same master; the offenders are the replicas to try moving.</summary>
    int AntiAffinityScore(List<List<ClusterNode>> hosts, List<ClusterNode>? offenders)
    {
        int score = 0;
        foreach (var host in hosts)
        {
            string ip = host[0].Ip;
            // Per master id: "m" first if the master is on this host, then one "s" per replica here.
            var related = new Dictionary<string, string>();
            foreach (var n in host)
            {
                string key = n.Replicate ?? n.Name!;
                related.TryGetValue(key, out string? types);
                related[key] = n.Replicate is not null ? (types ?? "") + "s" : "m" + types;
            }
            foreach (var (name, types) in related)
            {
                if (types.Length < 2) continue;
                score += types[0] == 'm' ? 10000 * (types.Length - 1) : types.Length;
                var offender = nodes.FirstOrDefault(n => n.Replicate == name && n.Ip == ip);
                if (offenders is not null && offender is not null) offenders.Add(offender);
            }
        }
        return score;
    }

    void OptimizeAntiAffinity(List<List<ClusterNode>> hosts)
    {
        int score = AntiAffinityScore(hosts, null);
        if (score == 0) return;
        LogInfo(">>> Trying to optimize slaves allocation for anti-affinity\n");
        for (int iteration = 500 * nodes.Count; iteration > 0; iteration--)
        {
            var offenders = new List<ClusterNode>();
            score = AntiAffinityScore(hosts, offenders);
            if (score == 0 || offenders.Count == 0) break;
            // Swap the masters of an offending replica and a random other replica; keep the swap unless it makes things worse.
            var first = offenders[Random.Shared.Next(offenders.Count)];
            var others = nodes.Where(n => n != first && n.Replicate is not null).ToList();
            if (others.Count == 0) break;
            var second = others[Random.Shared.Next(others.Count)];
            string? firstMaster = first.Replicate, secondMaster = second.Replicate;
            first.Replicate = secondMaster;
            second.Replicate = firstMaster;
            first.Dirty = second.Dirty = true;
            if (AntiAffinityScore(hosts, null) > score)
            {
                first.Replicate = firstMaster;
                second.Replicate = secondMaster;
            }
        }
        score = AntiAffinityScore(hosts, null);
        if (score == 0) LogOk("[OK] Perfect anti-affinity obtained!\n");
        else if (score >= 10000) LogWarn("[WARNING] Some slaves are in the same host as their master\n");
        else LogWarn("[WARNING] Some slaves of the same master are in the same host\n");
    }

    /// <summary>Sends the planned configuration: CLUSTER REPLICATE for replicas, CLUSTER ADDSLOTS for masters.
    /// A replica whose master is not known yet stays dirty, to be flushed again after the join.</summary>
    bool FlushNodeConfig(ClusterNode node, out string? error)
    {
        error = null;
        if (!node.Dirty) return false;
        if (node.Replicate is not null)
        {
            var reply = node.Call("CLUSTER", "REPLICATE", node.Replicate);
            if (!CheckReply(reply, out error)) return false;
        }
        else
        {
            var argv = new List<string> { "CLUSTER", "ADDSLOTS" };
            for (int s = 0; s < ClusterNode.SlotCount; s++)
                if (node.Slots[s]) argv.Add(s.ToString());
            bool added = argv.Count > 2 && CheckReply(node.Call([.. argv]), out error);
            node.Dirty = false;
            return added;
        }
        node.Dirty = false;
        return true;
    }

    static string? ResolveIp(string host)
    {
        if (IPAddress.TryParse(host, out _)) return host;
        try
        {
            var addresses = Dns.GetHostAddresses(host);
            return addresses.Length > 0 ? addresses[0].ToString() : null;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return null;
        }
    }

    /// <summary>CLUSTER MEET from <paramref name="node"/> to <paramref name="first"/>; the bus port is passed
    /// only when it is not the default port + 10000.</summary>
    bool Meet(ClusterNode node, string firstIp, ClusterNode first)
    {
        var reply = first.BusPort == 0 || first.BusPort == first.Port + ClusterNode.BusPortIncrement
            ? node.Call("CLUSTER", "MEET", firstIp, first.Port.ToString())
            : node.Call("CLUSTER", "MEET", firstIp, first.Port.ToString(), first.BusPort.ToString());
        return CheckReply(node, reply);
    }
}
