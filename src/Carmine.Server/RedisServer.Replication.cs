using Carmine.Server.Network;
using Carmine.Server.Persistence;
using Carmine.Server.Replication;

namespace Carmine.Server;

public sealed partial class RedisServer
{
    static readonly byte[] DelName = "DEL"u8.ToArray();
    static readonly byte[] UnlinkName = "UNLINK"u8.ToArray();
    static readonly byte[][] PingArgv = ["PING"u8.ToArray()];

    readonly List<ReplicaLink> replicas = [];
    ReplicationBacklog? backlog;
    long lastReplicaPingMs = Clock.NowMs();

    public long SyncFull;
    public long SyncPartialOk;
    public long SyncPartialErr;

    /// <summary>The backlog, once the first replica attached (Redis keeps it from then on).</summary>
    public ReplicationBacklog? Backlog => backlog;

    /// <summary>The connected replicas, for INFO and ROLE.</summary>
    public ReplicaLink[] Replicas
    {
        get { lock (replicas) return [.. replicas]; }
    }

    /// <summary>
    /// A key deleted by the server itself (expired or evicted) reaches replicas and the AOF as DEL, or UNLINK when
    /// the matching lazyfree option is on, as Redis propagates it. The caller holds the key's shard lock.
    /// </summary>
    public void PropagateDeletion(int db, byte[] key, bool lazy)
    {
        if (!Propagation.Active) return;
        Propagation.Emit(new Effect(db, [lazy ? UnlinkName : DelName, key], PropagateTo.All));
    }

    /// <summary>
    /// SYNC, or a PSYNC that cannot continue: snapshot the dataset and attach the replica to the stream in one
    /// moment (the caller holds every shard lock), then send the snapshot from a background thread; the stream
    /// written meanwhile waits in the link and follows the snapshot.
    /// </summary>
    public void StartFullSync(Client c, bool psync)
    {
        var link = AttachReplica(c);
        long offset = 0;
        IReadOnlyList<byte[]> functions = [];
        var snapshot = Snapshot.Start(Keyspace, () =>
        {
            functions = Rdb.Functions;
            lock (Propagation.Gate)
            {
                EnsureBacklog();
                offset = Propagation.MasterOffset;
                Propagation.Attach(link);
            }
        });
        Interlocked.Increment(ref SyncFull);
        if (psync) c.Reply.SimpleString($"FULLRESYNC {MasterReplId} {offset}");
        Log.Notice($"Replica {link.Ip}:{link.ListeningPort} asks for synchronization");
        Log.Notice("Starting BGSAVE for SYNC with target: replicas sockets");
        var options = Rdb.WriteOptions with
        {
            Functions = functions,
            ExtraAux = [("repl-stream-db", "0"), ("repl-id", MasterReplId), ("repl-offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture))],
        };
        var thread = new Thread(() => SendSnapshot(link, snapshot, options)) { IsBackground = true, Name = "carmine-sync" };
        thread.Start();
    }

    void SendSnapshot(ReplicaLink link, Snapshot snapshot, RdbWriteOptions options)
    {
        BackgroundPriority.Lower();
        var rdb = new MemoryStream();
        try
        {
            snapshot.WriteRdb(rdb, options);
        }
        catch (Exception ex)
        {
            Log.Warning($"Producing the snapshot for replica {link.Ip}:{link.ListeningPort} failed: {ex.Message}");
            link.Client.Kill();
            return;
        }
        lock (Propagation.Gate)
        {
            link.State = "send_bulk";
            // The stream's own buffer goes to the reply as it is: no copy of the whole RDB in between.
            link.Client.Push(r =>
            {
                r.WriteRaw("$" + rdb.Length + "\r\n");
                r.WriteRaw(rdb.GetBuffer().AsSpan(0, (int)rdb.Length));
            });
            link.GoOnline();
        }
        Log.Notice($"Synchronization with replica {link.Ip}:{link.ListeningPort} succeeded");
    }

    /// <summary>PSYNC replid offset: continues from the backlog when it holds that offset of this history.</summary>
    public bool TryPartialSync(Client c, string replId, long offset)
    {
        lock (Propagation.Gate)
        {
            if (backlog is null || replId != MasterReplId || !backlog.Covers(offset))
            {
                if (replId != "?") Interlocked.Increment(ref SyncPartialErr);
                return false;
            }
            var link = AttachReplica(c);
            var missing = backlog.CopyFrom(offset);
            c.Reply.SimpleString(link.CapaPsync2 ? $"CONTINUE {MasterReplId}" : "CONTINUE");
            c.Reply.WriteRaw(missing);
            link.GoOnline();
            Propagation.Attach(link);
            Interlocked.Increment(ref SyncPartialOk);
            Log.Notice($"Partial resynchronization request from {link.Ip}:{link.ListeningPort} accepted. Sending {missing.Length} bytes of backlog starting from offset {offset}.");
            return true;
        }
    }

    ReplicaLink AttachReplica(Client c)
    {
        var link = c.ReplicaLink ??= new ReplicaLink(c);
        link.State = "wait_bgsave";
        lock (replicas)
            if (!replicas.Contains(link)) replicas.Add(link);
        return link;
    }

    void EnsureBacklog()
    {
        if (backlog is not null) return;
        backlog = new ReplicationBacklog((int)Math.Min(Config.GetLong("repl-backlog-size"), int.MaxValue), Propagation.MasterOffset);
        Propagation.Attach(backlog);
    }

    void DetachReplica(Client c)
    {
        if (!c.IsReplica) return;
        var link = c.ReplicaLink!;
        Propagation.Detach(link);
        lock (replicas) replicas.Remove(link);
        Log.Notice($"Connection with replica {link.Ip}:{link.ListeningPort} lost.");
    }

    /// <summary>Every repl-ping-replica-period seconds the replicas get a PING in the stream, so they can tell a live master.</summary>
    void ReplicationCron()
    {
        if (backlog is not null && Config.GetLong("repl-backlog-size") is long size && size != backlog.Size)
            lock (Propagation.Gate) backlog.Resize((int)Math.Min(size, int.MaxValue));
        ServeWaiters();
        long now = Clock.NowMs();
        if (now - lastReplicaPingMs < Config.GetLong("repl-ping-replica-period") * 1000) return;
        lastReplicaPingMs = now;
        if (Replicas.Length > 0) Propagation.Emit(new Effect(-1, PingArgv, PropagateTo.Replicas));
    }
}
