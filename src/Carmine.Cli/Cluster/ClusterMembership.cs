using System.Text;
using Carmine.Protocol;

namespace Carmine.Cli.Cluster;

/// <summary>--cluster add-node, del-node, call, set-timeout and help.</summary>
public sealed partial class ClusterManager
{
    bool AddNode(List<string> args)
    {
        if (!HostFromArgs(args.GetRange(1, 1), out string refIp, out int refPort)) return InvalidArgs();
        if (!HostFromArgs(args.GetRange(0, 1), out string ip, out int port)) return InvalidArgs();
        LogInfo($">>> Adding node {ip}:{port} to cluster {refIp}:{refPort}\n");
        var refNode = new ClusterNode(refIp, refPort);
        if (!LoadInfoFromNode(refNode) || !CheckCluster(quiet: false)) return false;
        ClusterNode? master = null;
        if (command.Slave)
        {
            if (command.MasterId is not null)
            {
                master = NodeByName(command.MasterId);
                if (master is null)
                {
                    LogErr($"[ERR] No such master ID {command.MasterId}\n");
                    return false;
                }
            }
            else
            {
                master = NodeWithLeastReplicas();
                Console.Out.Write($"Automatically selected master {master.Ip}:{master.Port}\n");
            }
        }
        var node = new ClusterNode(ip, port);
        if (!Connect(node))
        {
            LogErr($"[ERR] Sorry, can't connect to node {ip}:{port}\n");
            return false;
        }
        nodes.Add(node);
        if (!CheckNode(node, getFriends: false, requireEmpty: true)) return false;
        var first = nodes[0];
        // A new master gets the cluster's functions; a replica will get them from its master.
        if (master is null && !CopyFunctions(refNode, node, ip, port)) return false;
        LogInfo($">>> Send CLUSTER MEET to node {ip}:{port} to make it join the cluster.\n");
        string? firstIp = ResolveIp(first.Ip);
        if (firstIp is null)
        {
            PrintStderr($"Invalid IP address or hostname specified: {first.Ip}\n");
            return false;
        }
        if (!Meet(node, firstIp, first)) return false;
        if (master is not null)
        {
            Thread.Sleep(1000);
            WaitForClusterJoin();
            LogInfo($">>> Configure node as replica of {master.Ip}:{master.Port}.\n");
            if (!CheckReply(node, node.Call("CLUSTER", "REPLICATE", master.Name!))) return false;
        }
        LogOk("[OK] New node added correctly.\n");
        return true;
    }

    bool CopyFunctions(ClusterNode refNode, ClusterNode node, string ip, int port)
    {
        LogInfo(">>> Getting functions from cluster\n");
        var dump = refNode.Call("FUNCTION", "DUMP");
        if (dump.IsError)
        {
            LogInfo($">>> Failed retrieving Functions from the cluster, skip this step as Redis version do not support function command (error = '{dump.Text}')\n");
            return true;
        }
        LogInfo($">>> Send FUNCTION LIST to {ip}:{port} to verify there is no functions in it\n");
        var list = node.Call("FUNCTION", "LIST");
        if (list.IsError)
        {
            LogErr($">>> Failed on CLUSTER LIST (error = '{list.Text}')\r\n");
            return false;
        }
        if (list.Items!.Length > 0)
        {
            LogErr(">>> New node already contains functions and can not be added to the cluster. Use FUNCTION FLUSH and try again.\r\n");
            return false;
        }
        LogInfo($">>> Send FUNCTION RESTORE to {ip}:{port}\n");
        var restore = node.Call(["FUNCTION"u8.ToArray(), "RESTORE"u8.ToArray(), dump.Bytes!]);
        if (!restore.IsError) return true;
        LogErr($">>> Failed loading functions to the new node (error = '{restore.Text}')\r\n");
        return false;
    }

    /// <summary>The first master with the fewest replicas.</summary>
    ClusterNode NodeWithLeastReplicas()
    {
        ClusterNode? best = null;
        foreach (var n in Masters)
            if (best is null || n.ReplicasCount < best.ReplicasCount) best = n;
        return best!;
    }

    bool DeleteNode(List<string> args)
    {
        if (!HostFromArgs(args.GetRange(0, 1), out string ip, out int port)) return InvalidArgs();
        string id = args[1];
        LogInfo($">>> Removing node {id} from cluster {ip}:{port}\n");
        if (!LoadInfoFromNode(new ClusterNode(ip, port))) return false;
        var node = NodeByName(id);
        if (node is null)
        {
            LogErr($"[ERR] No such node ID {id}\n");
            return false;
        }
        if (node.SlotsCount != 0)
        {
            LogErr($"[ERR] Node {node.Ip}:{node.Port} is not empty! Reshard data away and try again.\n");
            return false;
        }
        LogInfo(">>> Sending CLUSTER FORGET messages to the cluster...\n");
        foreach (var n in nodes)
        {
            if (n == node) continue;
            if (n.Replicate is not null && n.Replicate.Equals(id, StringComparison.OrdinalIgnoreCase))
            {
                // Its replicas follow another master.
                var master = NodeWithLeastReplicas();
                LogInfo($">>> {n.Ip}:{n.Port} as replica of {master.Ip}:{master.Port}\n");
                if (!CheckReply(n, n.Call("CLUSTER", "REPLICATE", master.Name!))) return false;
            }
            if (!CheckReply(n, n.Call("CLUSTER", "FORGET", id))) return false;
        }
        LogInfo(">>> Sending CLUSTER RESET SOFT to the deleted node.\n");
        return CheckReply(node, node.Call("CLUSTER", "RESET", "SOFT"));
    }

    /// <summary>Runs a command on every node (or only masters / replicas) and prints each raw reply.</summary>
    bool CallCommand(List<string> args)
    {
        if (!HostFromArgs(args.GetRange(0, 1), out string ip, out int port)) return InvalidArgs();
        if (!LoadInfoFromNode(new ClusterNode(ip, port))) return false;
        var argv = args.Skip(1).ToList();
        LogInfo(">>> Calling");
        Console.Out.Write(string.Concat(argv.Select(a => " " + a)) + "\n");
        var bytes = argv.Select(Encoding.UTF8.GetBytes).ToArray();
        foreach (var n in nodes)
        {
            if (command.OnlyMasters && n.Replicate is not null) continue;
            if (command.OnlyReplicas && n.Replicate is null) continue;
            if (n.Connection is null && !Connect(n)) continue;
            RespValue reply;
            try
            {
                reply = n.Call(bytes);
            }
            catch (IOException)
            {
                Console.Out.Write($"{n.Ip}:{n.Port}: Failed!\n");
                continue;
            }
            string text = Encoding.UTF8.GetString(ReplyFormatter.Format(reply, OutputMode.Raw, forceRaw: true, options.BulkDelimiter));
            Console.Out.Write($"{n.Ip}:{n.Port}: {text}\n");
        }
        return true;
    }

    bool SetTimeout(List<string> args)
    {
        if (!HostFromArgs(args.GetRange(0, 1), out string ip, out int port)) return InvalidArgs();
        int timeout = (int)CliOptions.Atoi(args[1]);
        if (timeout < 100)
        {
            PrintStderr("Setting a node timeout of less than 100 milliseconds is a bad idea.\n");
            return false;
        }
        if (!LoadInfoFromNode(new ClusterNode(ip, port))) return false;
        int ok = 0, failed = 0;
        LogInfo(">>> Reconfiguring node timeout in every cluster node...\n");
        foreach (var n in nodes)
        {
            var reply = n.Call("CONFIG", "SET", "cluster-node-timeout", timeout.ToString());
            if (!reply.IsError) reply = n.Call("CONFIG", "REWRITE");
            if (reply.IsError)
            {
                LogErr($"ERR setting node-timeout for {n.Ip}:{n.Port}: {reply.Text}\n");
                failed++;
                continue;
            }
            LogWarn($"*** New timeout set for {n.Ip}:{n.Port}\n");
            ok++;
        }
        LogInfo($">>> New node timeout set. {ok} OK, {failed} ERR.\n");
        return true;
    }

    /// <summary>A --cluster subcommand: its arity (negative: at least that many arguments), the arguments and
    /// --cluster-* options "help" lists, and what runs it.</summary>
    sealed record Subcommand(string Name, int Arity, string? Args, string[] Options, Func<List<string>, bool> Run);

    const string HostArgs = "<host:port> or <host> <port> - separated by either colon or space";

    /// <summary>The subcommands in the order "help" lists them.</summary>
    Subcommand[] Subcommands() =>
    [
        new("create", -2, "host1:port1 ... hostN:portN", ["replicas <arg>"], Create),
        new("check", -1, HostArgs, ["search-multiple-owners"], Check),
        new("info", -1, HostArgs, [], Info),
        new("fix", -1, HostArgs, ["search-multiple-owners", "fix-with-unreachable-masters"], FixCommand),
        new("reshard", -1, HostArgs, ["from <arg>", "to <arg>", "slots <arg>", "yes", "timeout <arg>", "pipeline <arg>", "replace"], Reshard),
        new("rebalance", -1, HostArgs, ["weight <node1=w1...nodeN=wN>", "use-empty-masters", "timeout <arg>", "simulate",
            "pipeline <arg>", "threshold <arg>", "replace"], Rebalance),
        new("add-node", 2, "new_host:new_port existing_host:existing_port", ["slave", "master-id <arg>"], AddNode),
        new("del-node", 2, "host:port node_id", [], DeleteNode),
        new("call", -2, "host:port command arg arg .. arg", ["only-masters", "only-replicas"], CallCommand),
        new("set-timeout", 2, "host:port milliseconds", [], SetTimeout),
        new("import", 1, "host:port", ["from <arg>", "from-user <arg>", "from-pass <arg>", "from-askpass", "copy", "replace"], Import),
        new("backup", 2, "host:port backup_directory", [], Backup),
        new("help", 0, null, [], Help),
    ];

    /// <summary>Lists the subcommands and their options; like redis-cli, exits with 1 all the same.</summary>
    bool Help(List<string> args)
    {
        const int padding = 15;
        var s = new StringBuilder("Cluster Manager Commands:\n");
        foreach (var d in Subcommands())
        {
            s.Append("  ").Append(d.Name.PadRight(padding)).Append(d.Args).Append('\n');
            foreach (var option in d.Options) s.Append(new string(' ', padding)).Append("  --cluster-").Append(option).Append('\n');
        }
        s.Append("\nFor check, fix, reshard, del-node, set-timeout, info, rebalance, call, import, backup you can specify the host " +
            "and port of any working node in the cluster.\n");
        s.Append("\nCluster Manager Options:\n  --cluster-yes  Automatic yes to cluster commands prompts\n\n");
        Console.Out.Write(s.ToString());
        return false;
    }
}
