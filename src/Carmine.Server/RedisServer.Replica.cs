using Carmine.Server.Commands;
using Carmine.Server.Network;
using Carmine.Server.Replication;

namespace Carmine.Server;

public sealed partial class RedisServer
{
    const string UnblockedByRoleChange = "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";

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
            // Clients blocked on this instance as a master could only be served wrongly now.
            Blocking.DisconnectAll(UnblockedByRoleChange);
            DisconnectWaiters(UnblockedByRoleChange);
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

    /// <summary>The replication state's refusal of a command (EXEC is judged by what it queued), or null.</summary>
    string? ReplicationRejection(Client c, CommandDef cmd)
    {
        if (c.IsMaster) return null;
        var link = master;
        // A master with enough good replicas refuses nothing: no need to work out the command's flags.
        if (link is null && EnoughGoodReplicas()) return null;
        bool isExec = cmd.FullName == "exec" && c.Multi is not null;
        // A script or function is judged by the flags it declared (no-writes, allow-stale), as Redis does.
        var flags = Scripting.ScriptEngine.EffectiveFlags(this, c.Args, cmd);
        bool write = (flags & CommandFlags.Write) != 0 || (isExec && c.Multi!.Queued.Any(q => q.Command.Has(CommandFlags.Write)));
        if (link is null) return write ? "NOREPLICAS Not enough good replicas to write." : null;
        if (write && c.Fd >= 0 && Config.GetBool("replica-read-only")) return "READONLY You can't write against a read only replica.";
        bool denyStale = (flags & CommandFlags.Stale) == 0 || (isExec && c.Multi!.Queued.Any(q => !q.Command.Has(CommandFlags.Stale)));
        if (denyStale && !link.LinkUp && !Config.GetBool("replica-serve-stale-data"))
            return "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
        return null;
    }

    /// <summary>min-replicas-to-write: enough replicas online whose last ACK is at most min-replicas-max-lag seconds old.</summary>
    bool EnoughGoodReplicas()
    {
        long need = Config.GetLong("min-replicas-to-write");
        long maxLag = Config.GetLong("min-replicas-max-lag");
        if (need == 0 || maxLag == 0) return true;
        long now = Clock.NowMs();
        return Replicas.Count(r => r.State == "online" && (now - r.AckTimeMs) / 1000 <= maxLag) >= need;
    }

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
