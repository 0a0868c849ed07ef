using System.Globalization;
using Carmine.Protocol;

namespace Carmine.Cli.Cluster;

/// <summary>redis-cli's cluster manager (--cluster): the nodes loaded from an entry node, the shared checks
/// and slot operations; the subcommands live in the other files of this folder.</summary>
public sealed partial class ClusterManager
{
    const string InvalidHostArg = "[ERR] Invalid arguments: you need to pass either a valid address (ie. 120.0.0.1:7000) " +
        "or space separated IP and port (ie. 120.0.0.1 7000)\n";

    enum Level { Info, Warn, Err, Ok }

    readonly CliOptions options;
    readonly ClusterManagerOptions command;
    readonly bool colors = Environment.GetEnvironmentVariable("TERM")?.Contains("xterm") == true;
    List<ClusterNode> nodes = [];
    readonly List<string> errors = [];
    int unreachableMasters;

    ClusterManager(CliOptions options)
    {
        this.options = options;
        command = options.ClusterManager!;
    }

    /// <summary>Runs the --cluster subcommand; returns the exit code.</summary>
    public static int Run(CliOptions options)
    {
        var c = options.ClusterManager!;
        if (Environment.GetEnvironmentVariable("REDISCLI_CLUSTER_YES") == "1") c.Yes = true;
        if (c.FromAskPass) c.FromPass = AskPass.Read("Please input import source node password: ");
        var manager = new ClusterManager(options);
        var subcommand = manager.Subcommands().FirstOrDefault(d => d.Name == c.Command);
        if (subcommand is null)
        {
            Console.Error.Write("Unknown --cluster subcommand\n");
            return 1;
        }
        // A positive arity is exact, a negative one a minimum.
        if (subcommand.Arity >= 0 ? c.Args.Count != subcommand.Arity : c.Args.Count < -subcommand.Arity)
        {
            Console.Error.Write("[ERR] Wrong number of arguments for specified --cluster sub command\n");
            return 1;
        }
        try
        {
            return subcommand.Run(c.Args) ? 0 : 1;
        }
        catch (IOException)
        {
            Console.Error.Write("Error: Server closed the connection\n");
            return 1;
        }
        finally
        {
            foreach (var n in manager.nodes) n.Connection?.Dispose();
        }
    }

    void Log(Level level, string text)
    {
        if (colors)
            Console.Out.Write("\x1b[" + level switch
            {
                Level.Info => "29;1m",
                Level.Warn => "33;1m",
                Level.Err => "31;1m",
                _ => "32;1m",
            });
        Console.Out.Write(text);
        if (colors) Console.Out.Write("\x1b[0m");
    }

    void LogInfo(string text) => Log(Level.Info, text);
    void LogWarn(string text) => Log(Level.Warn, text);
    void LogErr(string text) => Log(Level.Err, text);
    void LogOk(string text) => Log(Level.Ok, text);

    void PrintReplyError(ClusterNode n, string error) => LogErr($"Node {n.Ip}:{n.Port} replied with error:\n{error}\n");

    static void PrintStderr(string text)
    {
        Console.Out.Flush();
        Console.Error.Write(text);
    }

    /// <summary>True unless the reply is an error, whose text goes to <paramref name="error"/>.</summary>
    static bool CheckReply(RespValue reply, out string? error)
    {
        error = reply.IsError ? reply.Text : null;
        return !reply.IsError;
    }

    /// <summary>Like <see cref="CheckReply"/>, printing the error.</summary>
    bool CheckReply(ClusterNode n, RespValue reply)
    {
        if (!reply.IsError) return true;
        PrintReplyError(n, reply.Text!);
        return false;
    }

    /// <summary>ip:port[@busport]; the port after the last colon, so IPv6 addresses work.</summary>
    public static bool ParseAddress(string addr, out string ip, out int port, out int busPort)
    {
        busPort = 0;
        int at = addr.LastIndexOf('@');
        if (at >= 0)
        {
            busPort = (int)CliOptions.Atoi(addr[(at + 1)..]);
            addr = addr[..at];
        }
        int colon = addr.LastIndexOf(':');
        ip = colon >= 0 ? addr[..colon] : "";
        port = colon >= 0 ? (int)CliOptions.Atoi(addr[(colon + 1)..]) : 0;
        return colon >= 0;
    }

    /// <summary>"host:port" as one argument, or "host port" as two.</summary>
    static bool HostFromArgs(IReadOnlyList<string> args, out string ip, out int port)
    {
        if (args.Count == 1)
        {
            if (!ParseAddress(args[0], out ip, out port, out _)) return false;
        }
        else
        {
            ip = args[0];
            port = (int)CliOptions.Atoi(args[1]);
        }
        return ip.Length > 0 && port != 0;
    }

    static bool InvalidArgs()
    {
        PrintStderr(InvalidHostArg);
        return false;
    }

    /// <summary>The integer after "name:" in an INFO text, 0 when absent.</summary>
    static long InfoField(string info, string name)
    {
        int at = info.IndexOf(name + ":", StringComparison.Ordinal);
        return at < 0 ? 0 : CliOptions.Atoi(info[(at + name.Length + 1)..]);
    }

    /// <summary>The TLS settings every connection of the manager uses, or null without --tls.</summary>
    CliTlsOptions? Tls => options.Tls ? options.TlsOptions : null;

    /// <summary>Connects and authenticates with -a/--user, as every node connection of the manager does.</summary>
    bool Connect(ClusterNode n)
    {
        if (!n.Connect(Tls)) return false;
        if (options.Password is null) return true;
        return CheckReply(n, options.User is null ? n.Call("AUTH", options.Password) : n.Call("AUTH", options.User, options.Password));
    }

    bool IsCluster(ClusterNode n, out string? error)
    {
        var info = n.Call("INFO");
        if (!CheckReply(info, out error)) return false;
        return InfoField(info.Text!, "cluster_enabled") != 0;
    }

    /// <summary>A node is empty when it has no key in db0 and knows no other node.</summary>
    bool IsEmpty(ClusterNode n, out string? error)
    {
        var info = n.Call("INFO");
        if (!CheckReply(info, out error)) return false;
        if (info.Text!.Contains("db0:")) return false;
        var cinfo = n.Call("CLUSTER", "INFO");
        if (!CheckReply(cinfo, out error)) return false;
        return InfoField(cinfo.Text!, "cluster_known_nodes") == 1;
    }

    void PrintNotClusterNodeError(ClusterNode n, string? error) =>
        LogErr($"[ERR] Node {n.Ip}:{n.Port} {error ?? "is not configured as a cluster node."}\n");

    void PrintNotEmptyNodeError(ClusterNode n, string? error) =>
        LogErr($"[ERR] Node {n.Ip}:{n.Port} {error ?? "is not empty. Either the node already knows other nodes (check with CLUSTER NODES) or contains some key in database 0."}\n");

    /// <summary>
    /// A connected node the manager will use: cluster-enabled, its CLUSTER NODES loaded (with its friends when
    /// <paramref name="getFriends"/>), and empty when <paramref name="requireEmpty"/>; prints redis-cli's error otherwise.
    /// </summary>
    bool CheckNode(ClusterNode node, bool getFriends, bool requireEmpty)
    {
        if (!IsCluster(node, out string? e))
        {
            PrintNotClusterNodeError(node, e);
            return false;
        }
        if (!node.LoadInfo(getFriends, out e))
        {
            if (e is not null) PrintReplyError(node, e);
            return false;
        }
        if (requireEmpty && !IsEmpty(node, out e))
        {
            PrintNotEmptyNodeError(node, e);
            return false;
        }
        return true;
    }

    /// <summary>Loads the whole cluster as seen from <paramref name="node"/>: the node first, then every
    /// reachable friend in CLUSTER NODES order.</summary>
    bool LoadInfoFromNode(ClusterNode node)
    {
        if (node.Connection is null && !Connect(node)) return false;
        if (!CheckNode(node, getFriends: true, requireEmpty: false)) return false;
        foreach (var n in nodes) n.Connection?.Dispose();
        nodes = [node];
        foreach (var friend in node.Friends)
        {
            bool valid = false;
            if (friend.Ip.Length > 0 && friend.Port != 0 && Connect(friend))
            {
                if (friend.LoadInfo(getFriends: false, out _)) valid = !friend.Unusable;
                else LogErr($"[ERR] Unable to load info for node {friend.Ip}:{friend.Port}\n");
            }
            if (valid)
            {
                nodes.Add(friend);
                continue;
            }
            if (!friend.IsSlave) unreachableMasters++;
            friend.Connection?.Dispose();
        }
        node.Friends.Clear();
        foreach (var n in nodes)
        {
            if (n.Replicate is null) continue;
            var master = NodeByName(n.Replicate);
            if (master is null) LogWarn($"*** WARNING: {n.Ip}:{n.Port} claims to be slave of unknown node ID {n.Replicate}.\n");
            else master.ReplicasCount++;
        }
        return true;
    }

    ClusterNode? NodeByName(string name)
    {
        string lower = name.ToLowerInvariant();
        return nodes.FirstOrDefault(n => n.Name == lower);
    }

    ClusterNode? NodeByAbbreviatedName(string name)
    {
        string lower = name.ToLowerInvariant();
        return nodes.FirstOrDefault(n => n.Name is not null && n.Name.StartsWith(lower, StringComparison.Ordinal));
    }

    IEnumerable<ClusterNode> Masters => nodes.Where(n => !n.IsSlave);

    void ShowNodes()
    {
        foreach (var n in nodes) Console.Out.Write(n.Info() + "\n");
    }

    /// <summary>Per master: keys, slots and replicas; then the totals (info and check print this).</summary>
    void ShowClusterInfo()
    {
        int masters = 0;
        long keys = 0;
        foreach (var n in nodes)
        {
            if (n.IsSlave || n.Name is null) continue;
            int replicas = nodes.Count(r => r != n && r.IsSlave && r.Replicate == n.Name);
            var reply = n.Call("DBSIZE");
            if (reply.Type != RespType.Integer)
            {
                PrintReplyError(n, reply.IsError ? reply.Text! : "");
                return;
            }
            Console.Out.Write($"{n.Ip}:{n.Port} ({n.Name[..Math.Min(8, n.Name.Length)]}...) -> {reply.Integer} keys | {n.SlotsCount} slots | {replicas} slaves.\n");
            masters++;
            keys += reply.Integer;
        }
        LogOk($"[OK] {keys} keys in {masters} masters.\n");
        Console.Out.Write(((float)keys / ClusterNode.SlotCount).ToString("F2", CultureInfo.InvariantCulture) + " keys per slot on average.\n");
    }

    /// <summary>"id:slots|id:slots..." for the masters with slots, sorted, as <paramref name="n"/> sees them.</summary>
    static string? ConfigSignature(ClusterNode n)
    {
        var reply = n.Call("CLUSTER", "NODES");
        if (reply.IsError) return null;
        var configs = new List<string>();
        foreach (var line in reply.Text!.Split('\n'))
        {
            var f = line.Split(' ');
            if (f.Length < 9) continue;
            var slots = f.Skip(8).Where(s => s.Length > 0 && !s.StartsWith('[')).ToList();
            if (slots.Count == 0) continue;
            slots.Sort(string.CompareOrdinal);
            configs.Add(f[0] + ":" + string.Join(',', slots));
        }
        if (configs.Count == 0) return null;
        configs.Sort(string.CompareOrdinal);
        return string.Join('|', configs);
    }

    bool IsConfigConsistent()
    {
        if (nodes.Count <= 1) return true;
        string? first = null;
        foreach (var n in nodes)
        {
            string? signature = ConfigSignature(n);
            if (signature is null) return false;
            if (first is null) first = signature;
            else if (signature != first) return false;
        }
        return true;
    }

    /// <summary>Unreachable node address → the nodes that cannot reach it, from the links
    /// that CLUSTER NODES shows as disconnected or still handshaking.</summary>
    Dictionary<string, List<string>> LinkStatus()
    {
        var status = new Dictionary<string, List<string>>();
        foreach (var n in nodes)
        {
            var reply = n.Call("CLUSTER", "NODES");
            if (!CheckReply(n, reply)) continue;
            foreach (var line in reply.Text!.Split('\n'))
            {
                var f = line.Split(' ');
                if (f.Length < 8 || f[2].Contains("myself")) continue;
                if (!f[2].Contains("disconnected") && !f[7].Contains("disconnected") && !f[2].Contains("handshake")) continue;
                if (!status.TryGetValue(f[1], out var from)) status[f[1]] = from = [];
                from.Add($"{n.Ip}:{n.Port}");
            }
        }
        return status;
    }

    void WaitForClusterJoin()
    {
        Console.Out.Write("Waiting for the cluster to join\n");
        int counter = 0;
        int checkAfter = 10 + (int)(nodes.Count * 0.15f);
        while (!IsConfigConsistent())
        {
            Console.Out.Write(".");
            Thread.Sleep(1000);
            if (++counter <= checkAfter) continue;
            var status = LinkStatus();
            if (status.Count > 0)
            {
                Console.Out.Write("\n");
                LogErr($"Warning: {status.Count} node(s) may be unreachable\n");
                foreach (var (addr, from) in status)
                {
                    if (ParseAddress(addr, out string ip, out _, out int bus) && bus != 0)
                        LogErr($" - The port {bus} of node {ip} may be unreachable from:\n");
                    else LogErr($" - Node {addr} may be unreachable from:\n");
                    foreach (var f in from) LogErr($"   {f}\n");
                    LogErr("Cluster bus ports must be reachable by every node.\nRemember that cluster bus ports are different from standard instance ports.\n");
                }
            }
            counter = 0;
        }
        Console.Out.Write("\n");
    }

    void OnError(string error)
    {
        errors.Add(error);
        LogErr(error + "\n");
    }

    /// <summary>Asks on stdin unless --cluster-yes was given (and the question may be skipped).</summary>
    bool Confirm(string question, bool ignoreForce)
    {
        if (!ignoreForce && command.Yes) return true;
        Console.Out.Write($"{question} (type 'yes' to accept): ");
        return ReadAnswer(4) == "yes";
    }

    static readonly Lazy<Stream> Stdin = new(Console.OpenStandardInput);

    /// <summary>One read of up to <paramref name="max"/> bytes from stdin, cut to max-1 characters as redis-cli does.</summary>
    static string? ReadAnswer(int max)
    {
        Console.Out.Flush();
        var buffer = new byte[max];
        int n = Stdin.Value.Read(buffer, 0, max);
        if (n <= 0) return null;
        return System.Text.Encoding.UTF8.GetString(buffer, 0, Math.Min(n, max - 1));
    }

    /// <summary>One line typed at a reshard question (at most <paramref name="max"/>-1 characters kept);
    /// null at the end of stdin.</summary>
    static string? ReadLine(int max)
    {
        Console.Out.Flush();
        var line = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            int n = Stdin.Value.Read(one, 0, 1);
            if (n <= 0)
            {
                if (line.Count == 0) return null;
                break;
            }
            if (one[0] == '\n') break;
            line.Add(one[0]);
        }
        return System.Text.Encoding.UTF8.GetString(line.Take(max - 1).ToArray());
    }
}
