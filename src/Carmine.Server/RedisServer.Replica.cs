using Carmine.Server.Network;
using Carmine.Server.Replication;

namespace Carmine.Server;

public sealed partial class RedisServer
{
    MasterLink? master;

    /// <summary>The link to our master while this server is a replica (REPLICAOF host port), else null.</summary>
    public MasterLink? Master => Volatile.Read(ref master);

    /// <summary>The replication ID and offset this server had before its last promotion (master_replid2, second_repl_offset).</summary>
    public string MasterReplId2 { get; private set; } = new('0', 40);

    public long SecondReplOffset { get; private set; } = -1;

    /// <summary>
    /// Follows a new master: replicas of ours are dropped (chained replication is not supported), keys stop
    /// expiring locally (the master's DEL arrives in the stream) and the link starts in the background.
    /// Returns false if that master is already the one followed.
    /// </summary>
    public bool ReplicaOf(string host, int port)
    {
        lock (replicas)
        {
            var old = master;
            if (old is not null && old.Host == host && old.Port == port) return false;
            old?.Stop();
            DisconnectReplicas();
            var link = new MasterLink(this, host, port);
            if (old?.ReplId is { } id) link.Resume(id, old.Offset);
            Keyspace.DeleteExpired = false;
            Volatile.Write(ref master, link);
            Log.Role = 'S';
            Log.Notice($"REPLICAOF {host}:{port} enabled (user request from client)");
            link.Start();
            return true;
        }
    }

    /// <summary>REPLICAOF NO ONE: keeps the data, starts a new history and remembers the old one as the second.</summary>
    public void PromoteToMaster()
    {
        lock (replicas)
        {
            var old = master;
            if (old is null) return;
            old.Stop();
            Volatile.Write(ref master, null);
            if (old.ReplId is { } id)
            {
                MasterReplId2 = id;
                SecondReplOffset = old.Offset + 1;
            }
            MasterReplId = RandomHexId();
            DisconnectReplicas();
            Keyspace.DeleteExpired = true;
            Log.Role = 'M';
            Log.Notice("MASTER MODE enabled (user request from client)");
        }
    }

    /// <summary>A read-only replica refuses writes from its ordinary clients; the master's own stream is applied.</summary>
    bool DeniedAsReadOnlyReplica(Client c, Carmine.Server.Commands.CommandDef cmd) =>
        master is not null && !c.IsMaster && c.Fd >= 0 && cmd.Has(Carmine.Server.Commands.CommandFlags.Write) && Config.GetBool("replica-read-only");

    /// <summary>Detached from the stream at once, so nothing emitted after this reaches them, then closed.</summary>
    void DisconnectReplicas()
    {
        foreach (var link in Replicas)
        {
            Propagation.Detach(link);
            link.Client.Kill();
        }
    }

    /// <summary>The replicaof directive of the configuration file, applied once the server listens.</summary>
    void StartConfiguredReplication()
    {
        var words = Config.GetString("replicaof").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 2 && int.TryParse(words[1], out int port)) ReplicaOf(words[0], port);
    }
}
