using Carmine.Server.Network;

namespace Carmine.Server.Commands;

/// <summary>Replication: SYNC, PSYNC and REPLCONF (the master side), REPLICAOF and ROLE.</summary>
static class ReplicationCommands
{
    [Command("sync", 1, Flags = "admin noscript no_async_loading no_multi", Acl = "dangerous", Group = "server", Since = "1.0.0",
        Summary = "Internal command used for replication", Exclusive = true)]
    static void Sync(Client c)
    {
        if (c.IsReplica) return;
        c.Server.StartFullSync(c, psync: false);
    }

    [Command("psync", -3, Flags = "admin noscript no_async_loading no_multi", Acl = "dangerous", Group = "server", Since = "2.8.0",
        Summary = "Internal command used for replication", Arguments = ["replicationid:string", "offset:integer"], Exclusive = true)]
    static void Psync(Client c)
    {
        if (c.IsReplica) return;
        if (long.TryParse(c.Args.ToStr(2), out long offset) && c.Server.TryPartialSync(c, c.Args.ToStr(1), offset)) return;
        c.Server.StartFullSync(c, psync: true);
    }

    [Command("replconf", -1, Flags = "admin noscript loading stale allow_busy", Acl = "dangerous", Group = "server", Since = "3.0.0",
        Summary = "An internal command for configuring the replication stream", Complexity = "O(1)")]
    static void Replconf(Client c)
    {
        var args = c.Args;
        if (args.Count % 2 == 0)
        {
            c.Error(Errors.Syntax);
            return;
        }
        bool attached = c.IsReplica;
        var link = c.ReplicaLink ??= new Replication.ReplicaLink(c);
        for (int i = 1; i < args.Count; i += 2)
        {
            string option = args.Lower(i);
            switch (option)
            {
                case "listening-port":
                    if (!long.TryParse(args.ToStr(i + 1), out long port))
                    {
                        c.Error("ERR value is not an integer or out of range");
                        return;
                    }
                    link.ListeningPort = (int)port;
                    break;
                case "ip-address":
                    link.AnnouncedIp = args.ToStr(i + 1);
                    break;
                case "capa":
                    if (args.Is(i + 1, "psync2")) link.CapaPsync2 = true;
                    break;
                case "ack":
                case "fack":
                    // A replica acknowledging its offset gets no reply.
                    if (!attached) return;
                    if (option == "ack" && long.TryParse(args.ToStr(i + 1), out long acked))
                    {
                        if (acked > link.AckOffset) link.AckOffset = acked;
                        link.AckTimeMs = Clock.NowMs();
                        c.Server.ServeWaiters();
                    }
                    return;
                case "getack":
                case "rdb-only":
                case "rdb-filter-only":
                    break;
                default:
                    c.Error($"ERR Unrecognized REPLCONF option: {args.ToStr(i)}");
                    return;
            }
        }
        c.Reply.Ok();
    }

    [Command("replicaof", 3, Flags = "admin noscript stale no_async_loading", Acl = "dangerous", Group = "server", Since = "5.0.0",
        Summary = "Make the server a replica of another instance, or promote it as master.", Complexity = "O(1)",
        Arguments = ["host:string", "port:integer"])]
    static void ReplicaOf(Client c) => ReplicaOfCommand(c);

    [Command("slaveof", 3, Flags = "admin noscript stale no_async_loading", Acl = "dangerous", Group = "server", Since = "1.0.0",
        Summary = "Make the server a replica of another instance, or promote it as master.", Complexity = "O(1)",
        Arguments = ["host:string", "port:integer"], DocFlags = "deprecated", DeprecatedSince = "5.0.0", ReplacedBy = "`REPLICAOF`")]
    static void SlaveOf(Client c) => ReplicaOfCommand(c);

    static void ReplicaOfCommand(Client c)
    {
        var server = c.Server;
        if (server.Config.GetBool("cluster-enabled"))
        {
            c.Error("ERR REPLICAOF not allowed in cluster mode.");
            return;
        }
        if (c.Args.Is(1, "no") && c.Args.Is(2, "one"))
        {
            server.PromoteToMaster();
            c.Reply.Ok();
            return;
        }
        if (c.IsReplica)
        {
            c.Error("ERR Command is not valid when client is a replica.");
            return;
        }
        if (!long.TryParse(c.Args.ToStr(2), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long port)
            || port < 0 || port > 65535)
        {
            c.Error("ERR Invalid master port");
            return;
        }
        if (server.ReplicaOf(c.Args.ToStr(1), (int)port)) c.Reply.Ok();
        else c.Reply.SimpleString("OK Already connected to specified master");
    }

    [Command("wait", 3, Flags = "noscript", Acl = "connection", Group = "generic", Since = "3.0.0",
        Summary = "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
        Complexity = "O(1)", Tips = "request_policy:all_shards response_policy:agg_min", Arguments = ["numreplicas:integer", "timeout:integer"])]
    static void Wait(Client c)
    {
        var server = c.Server;
        if (server.Master is not null)
        {
            c.Error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.");
            return;
        }
        if (!c.TryLong(1, out long numReplicas, "ERR value is not an integer or out of range")) return;
        if (!c.TryLong(2, out long timeout, "ERR timeout is not an integer or out of range")) return;
        if (timeout < 0)
        {
            c.Error("ERR timeout is negative");
            return;
        }
        // Every write of this client so far is at or before the current end of the stream.
        long offset = server.Propagation.MasterOffset;
        int acked = server.ReplicasAcked(offset);
        if (acked >= numReplicas || c.Multi is not null || c.InExec)
        {
            c.Reply.Integer(acked);
            return;
        }
        server.BlockForReplicas(c, offset, numReplicas, timeout == 0 ? 0 : c.NowMs + timeout);
    }

    [Command("role", 1, Flags = "noscript loading stale fast sentinel", Acl = "admin dangerous", Group = "server", Since = "2.8.12",
        Summary = "Return the role of the instance in the context of replication", Complexity = "O(1)")]
    static void Role(Client c)
    {
        if (c.Server.Master is { } master)
        {
            c.Reply.ArrayHeader(5);
            c.Reply.Bulk("slave");
            c.Reply.Bulk(master.Host);
            c.Reply.Integer(master.Port);
            c.Reply.Bulk(master.State);
            c.Reply.Integer(master.ReplId is null ? -1 : master.Offset);
            return;
        }
        var replicas = c.Server.Replicas;
        c.Reply.ArrayHeader(3);
        c.Reply.Bulk("master");
        c.Reply.Integer(c.Server.Propagation.MasterOffset);
        int online = replicas.Count(r => r.State == "online");
        c.Reply.ArrayHeader(online);
        foreach (var r in replicas)
        {
            if (r.State != "online") continue;
            c.Reply.ArrayHeader(3);
            c.Reply.Bulk(r.Ip);
            c.Reply.Bulk(r.ListeningPort);
            c.Reply.Bulk(r.AckOffset);
        }
    }
}
