using System.Net.Sockets;
using System.Text;
using Carmine.Protocol;

namespace Carmine.Cli.Cluster;

/// <summary>--cluster import (MIGRATE every key of a standalone server to the master serving its slot)
/// and backup (an RDB of every master over SYNC, plus nodes.json).</summary>
public sealed partial class ClusterManager
{
    bool Import(List<string> args)
    {
        if (!HostFromArgs(args, out string ip, out int port)) return InvalidArgs();
        if (command.From is null)
        {
            PrintStderr("[ERR] Option '--cluster-from' is required for subcommand 'import'.\n");
            return false;
        }
        if (!HostFromArgs([command.From], out string srcIp, out int srcPort))
        {
            PrintStderr("[ERR] Invalid --cluster-from host. You need to pass a valid address (ie. 120.0.0.1:7000).\n");
            return false;
        }
        LogInfo($">>> Importing data from {srcIp}:{srcPort} to cluster {ip}:{port}\n");
        if (!LoadInfoFromNode(new ClusterNode(ip, port)) || !CheckCluster(quiet: false)) return false;
        var sourceNode = new ClusterNode(srcIp, srcPort);
        if (!sourceNode.Connect(Tls, suffix: ".")) return false;
        using (var source = sourceNode.Connection!)
        {
            if (command.FromPass is not null)
            {
                var auth = command.FromUser is null ? source.Call("AUTH", command.FromPass) : source.Call("AUTH", command.FromUser, command.FromPass);
                if (auth.IsError)
                {
                    PrintStderr($"AUTH failed: {auth.Text}\n");
                    return false;
                }
            }
            var info = source.Call("INFO");
            if (info.IsError) return SourceError(srcIp, srcPort, info);
            if (InfoField(info.Text!, "cluster_enabled") != 0)
            {
                LogErr("[ERR] The source node should not be a cluster node.\n");
                return false;
            }
            var size = source.Call("DBSIZE");
            if (size.IsError) return SourceError(srcIp, srcPort, size);
            LogWarn($"*** Importing {size.Integer} keys from DB 0\n");
            var slotOwners = new ClusterNode?[ClusterNode.SlotCount];
            for (int s = 0; s < ClusterNode.SlotCount; s++)
                slotOwners[s] = nodes.FirstOrDefault(n => !n.IsSlave && n.SlotsCount > 0 && n.Slots[s]);
            string cursor = "0";
            do
            {
                var scan = source.Call("SCAN", cursor, "COUNT", "1000");
                if (scan.IsError) return SourceError(srcIp, srcPort, scan);
                cursor = scan.Items![0].Text!;
                foreach (var key in scan.Items[1].Items!)
                {
                    var target = slotOwners[HashSlot.Of(key.Bytes!)]!;
                    Console.Out.Write($"Migrating {key.Text} to {target.Ip}:{target.Port}: ");
                    source.Append(ImportMigrate(target, key.Bytes!));
                    source.Flush();
                    var reply = source.ReadReply();
                    if (reply.IsError)
                    {
                        LogErr($"Source {srcIp}:{srcPort} replied with error:\n{reply.Text}\n");
                        return false;
                    }
                    LogOk("OK\n");
                }
            }
            while (cursor != "0");
        }
        return true;
    }

    bool SourceError(string ip, int port, RespValue reply)
    {
        LogErr($"Source {ip}:{port} replied with error:\n{reply.Text}\n");
        return false;
    }

    /// <summary>MIGRATE host port key 0 timeout [AUTH...] [COPY] [REPLACE], sent to the source.</summary>
    List<byte[]> ImportMigrate(ClusterNode target, byte[] key)
    {
        var words = new List<string> { "MIGRATE", target.Ip, target.Port.ToString() };
        var argv = words.Select(Encoding.UTF8.GetBytes).ToList();
        argv.Add(key);
        var rest = new List<string> { "0", command.Timeout.ToString() };
        if (options.Password is not null)
        {
            if (options.User is not null) rest.AddRange(["AUTH2", options.User, options.Password]);
            else rest.AddRange(["AUTH", options.Password]);
        }
        if (command.Copy) rest.Add("COPY");
        if (command.Replace) rest.Add("REPLACE");
        argv.AddRange(rest.Select(Encoding.UTF8.GetBytes));
        return argv;
    }

    bool Backup(List<string> args)
    {
        if (!HostFromArgs(args.GetRange(0, 1), out string ip, out int port)) return InvalidArgs();
        if (!LoadInfoFromNode(new ClusterNode(ip, port))) return false;
        bool noIssues = CheckCluster(quiet: false);
        int errorCount = noIssues ? 0 : errors.Count;
        string dir = args[1];
        if (!dir.EndsWith('/')) dir += "/";
        var json = new StringBuilder("[\n");
        for (int i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            if (i > 0) json.Append(",\n");
            json.Append(NodeJson(n, errorCount));
            if (n.Replicate is not null) continue;
            LogInfo($">>> Node {n.Ip}:{n.Port} -> Saving RDB...\n");
            SaveRdb(n, $"{dir}redis-node-{n.Ip}-{n.Port}-{n.Name}.rdb");
        }
        json.Append("\n]");
        string path = dir + "nodes.json";
        LogInfo($"Saving cluster configuration to: {path}\n");
        try
        {
            File.WriteAllText(path, json.ToString());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogErr($"Could not save nodes to: {path}\n");
            LogOk("[ERR] Failed to back cluster!\n");
            return false;
        }
        if (!noIssues) LogWarn("*** Cluster seems to have some problems, please be aware of it if you're going to restore this backup.\n");
        LogOk($"[OK] Backup created into: {args[1]}\n");
        return true;
    }

    static string NodeJson(ClusterNode n, int errorCount)
    {
        var s = new StringBuilder();
        s.Append("  {\n");
        s.Append($"    \"name\": \"{n.Name}\",\n");
        s.Append($"    \"host\": \"{n.Ip}\",\n");
        s.Append($"    \"port\": {n.Port},\n");
        s.Append($"    \"replicate\": {(n.Replicate is null ? "null" : $"\"{n.Replicate}\"")},\n");
        s.Append($"    \"slots\": [{ClusterNode.SlotsString(n.Slots).Replace('-', ',')}],\n");
        s.Append($"    \"slots_count\": {n.SlotsCount},\n");
        s.Append($"    \"flags\": \"{n.FlagString}\",\n");
        s.Append($"    \"current_epoch\": {n.CurrentEpoch}");
        if (errorCount > 0) s.Append($",\n    \"cluster_errors\": {errorCount}");
        if (n.Migrating.Count > 0)
            s.Append(",\n    \"migrating\": {" + string.Join(',', n.Migrating.Select(m => $"\"{m.Slot}\": \"{m.Node}\"")) + "}");
        if (n.Importing.Count > 0)
            s.Append(",\n    \"importing\": {" + string.Join(',', n.Importing.Select(m => $"\"{m.Slot}\": \"{m.Node}\"")) + "}");
        s.Append("\n  }");
        return s.ToString();
    }

    /// <summary>Fetches the node's RDB with SYNC, as a replica would, into <paramref name="file"/>;
    /// the connection is closed afterwards. Failures end the process, as in redis-cli.</summary>
    static void SaveRdb(ClusterNode node, string file)
    {
        var socket = node.Connection!.Socket;
        socket.Send("SYNC\r\n"u8);
        var header = new List<byte>();
        var one = new byte[1];
        // The master may send newlines to keep the link alive while it writes the RDB.
        while (true)
        {
            if (socket.Receive(one) <= 0) Fatal("Error reading bulk length while SYNCing\n");
            if (one[0] == '\n' && header.Count > 0) break;
            if (one[0] != '\n') header.Add(one[0]);
        }
        string line = Encoding.ASCII.GetString(header.ToArray()).TrimEnd('\r');
        if (line.StartsWith('-')) Fatal($"SYNC with master failed: {line}\n");
        const int EofMarkSize = 40;
        byte[]? eofMark = line.StartsWith("$EOF:", StringComparison.Ordinal) && line.Length >= 5 + EofMarkSize
            ? Encoding.ASCII.GetBytes(line.Substring(5, EofMarkSize)) : null;
        long payload = eofMark is null ? CliOptions.Atoi(line[1..]) : long.MaxValue;
        Console.Out.Flush();
        if (eofMark is null) Console.Error.Write($"SYNC sent to master, writing {payload} bytes to '{file}'\n");
        else Console.Error.Write($"SYNC sent to master, writing bytes of bulk transfer until EOF marker to '{file}'\n");
        using (var output = OpenRdbFile(file))
        {
            var buffer = new byte[4096];
            var tail = new List<byte>();
            long written = 0;
            while (payload > 0)
            {
                int n = socket.Receive(buffer, 0, (int)Math.Min(buffer.Length, payload), SocketFlags.None);
                if (n <= 0) Fatal("I/O Error reading RDB payload from socket\n");
                output.Write(buffer, 0, n);
                payload -= n;
                written += n;
                if (eofMark is null) continue;
                tail.AddRange(buffer.AsSpan(0, n).ToArray());
                if (tail.Count > EofMarkSize) tail.RemoveRange(0, tail.Count - EofMarkSize);
                if (tail.Count == EofMarkSize && tail.SequenceEqual(eofMark)) break;
            }
            if (eofMark is not null)
            {
                output.SetLength(written - EofMarkSize);
                Console.Error.Write($"Transfer finished with success after {written - EofMarkSize} bytes\n");
            }
            else Console.Error.Write("Transfer finished with success.\n");
            node.Connection.Dispose();
            node.Connection = null;
            output.Flush(flushToDisk: true);
        }
    }

    static FileStream OpenRdbFile(string file)
    {
        try
        {
            return new FileStream(file, FileMode.Create, FileAccess.Write);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fatal($"Error opening '{file}': {(e is DirectoryNotFoundException or FileNotFoundException ? "No such file or directory" : e is UnauthorizedAccessException ? "Permission denied" : e.Message)}\n");
            throw;
        }
    }

    static void Fatal(string message)
    {
        Console.Out.Flush();
        Console.Error.Write(message);
        Environment.Exit(1);
    }
}
