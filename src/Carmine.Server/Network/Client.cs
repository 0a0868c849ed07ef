using System.Text;
using Carmine.Protocol;

namespace Carmine.Server.Network;

/// <summary>
/// One client connection: its socket, query and reply buffers, and the per-connection state that
/// commands read and change (selected database, protocol version, name, flags).
/// All of it is touched only on the owning loop's thread, except what is marked otherwise.
/// </summary>
public sealed unsafe class Client : IEventHandler
{
    const int InitialQueryBuffer = 16 * 1024;
    const int ReadChunk = 16 * 1024;

    static long nextId;

    readonly RedisServer server;
    byte[] query = new byte[InitialQueryBuffer];
    int qStart, qEnd;
    bool writeInterest;
    bool closed;
    readonly object pushLock = new();
    RespBuffer? pendingPush;
    bool pushPosted;

    public int Fd { get; }
    public EventLoop Loop { get; }
    public long Id { get; } = Interlocked.Increment(ref nextId);
    public RequestParser Parser { get; } = new();
    /// <summary>The request being executed: the parser's arguments, or a queued command's during EXEC.</summary>
    public ArgList Args { get; set; }
    public RespBuffer Reply { get; } = new();
    public string Address { get; }
    public string LocalAddress { get; }
    public bool IsUnixSocket { get; }
    public long CreatedMs { get; } = Clock.NowMs();
    public long LastInteractionMs { get; set; } = Clock.NowMs();

    /// <summary>The database this client has selected.</summary>
    public int Db { get; set; }
    public int Protocol { get; set; } = 2;
    public byte[]? Name { get; set; }
    public string? LibName { get; set; }
    public string? LibVersion { get; set; }
    public bool Authenticated { get; set; }
    public string User { get; set; } = "default";
    public string LastCommand { get; set; } = "NULL";
    public bool CloseAfterReply { get; set; }
    public bool IsMonitor { get; set; }
    /// <summary>The AOF offset that must be written (on disk with appendfsync always) before this client's replies are sent.</summary>
    public long AofWaitOffset { get; set; }
    /// <summary>Replica state: created by REPLCONF, attached to the stream by SYNC or PSYNC.</summary>
    public Replication.ReplicaLink? ReplicaLink { get; set; }
    /// <summary>The client sent SYNC or PSYNC: it is a replica reading the stream.</summary>
    public bool IsReplica => ReplicaLink is { State: not "handshake" };
    /// <summary>CLIENT REPLY state: replies are dropped while off, or for the next command while skipping.</summary>
    public ReplyMode ReplyMode { get; set; } = ReplyMode.On;
    public bool NoEvict { get; set; }
    public bool NoTouch { get; set; }
    /// <summary>Time of the current command, fixed for its whole execution as in Redis.</summary>
    public long NowMs { get; set; }
    public long CommandsProcessed { get; set; }
    public int OutputMemory => Reply.Length;
    /// <summary>
    /// Bytes in the query buffer as Redis's qbuf counts them: while a batch executes, the requests of the batch
    /// already run count too (Redis trims its buffer only after the batch).
    /// </summary>
    public int QueryBufferLength => qEnd - Math.Min(batchStart, qStart);
    public int QueryBufferCapacity => query.Length;
    public bool Closed => closed;
    /// <summary>True while replies wait for the socket to accept them (CLIENT LIST events=rw).</summary>
    public bool WaitingToWrite => writeInterest;

    public RedisServer Server => server;

    /// <summary>The selected database.</summary>
    public Keyspace.Database Database => server.Keyspace[Db];

    /// <summary>True once the current command replied with an error (for failed_calls).</summary>
    public bool CommandFailed { get; set; }

    List<int>? redactedArgs;

    /// <summary>Hides argument <paramref name="index"/> of the current command (a password) from MONITOR and SLOWLOG, as Redis redacts it.</summary>
    public void RedactArgument(int index) => (redactedArgs ??= []).Add(index);

    public bool IsRedacted(int index) => redactedArgs is { Count: > 0 } r && r.Contains(index);

    /// <summary>Forgets the redactions of the previous command.</summary>
    public void ClearRedactions() => redactedArgs?.Clear();

    /// <summary>Replies with an error and counts it in INFO errorstats.</summary>
    public void Error(string message)
    {
        Reply.Error(message);
        server.Stats.CountError(message);
        CommandFailed = true;
    }

    public Client(RedisServer server, EventLoop loop, int fd, bool unixSocket)
    {
        this.server = server;
        Loop = loop;
        Fd = fd;
        IsUnixSocket = unixSocket;
        string unixPath = server.Config.GetString("unixsocket");
        Address = Native.PeerName(fd, unixPath);
        LocalAddress = Native.SockName(fd, unixPath);
        Authenticated = !server.RequiresAuth;
        Parser.Authenticated = Authenticated;
        Parser.MaxBulkLength = server.Config.GetLong("proto-max-bulk-len");
        Args = Parser.Args;
    }

    /// <summary>A client without a socket, through which scripts run their commands (Redis's Lua client).</summary>
    public Client(RedisServer server, EventLoop loop)
    {
        this.server = server;
        Loop = loop;
        Fd = -1;
        Address = "";
        LocalAddress = "";
        Authenticated = true;
        Args = Parser.Args;
    }

    /// <summary>Non-null between MULTI and EXEC/DISCARD.</summary>
    public Transactions.MultiState? Multi { get; set; }

    /// <summary>True while EXEC runs this client's queued commands: blocking commands must not block.</summary>
    public bool InExec { get; set; }

    /// <summary>The socketless client that runs the commands of scripts (Redis's CLIENT_SCRIPT).</summary>
    public bool IsScript { get; init; }

    /// <summary>The socketless client that applies the master's stream on a replica (Redis's CLIENT_MASTER).</summary>
    public bool IsMaster { get; init; }

    /// <summary>The keys this client WATCHes, as (database, key).</summary>
    public List<(int Db, byte[] Key)>? Watched { get; set; }

    /// <summary>CLIENT TRACKING state; null while tracking is off.</summary>
    public Tracking.ClientTracking? Tracking { get; set; }

    /// <summary>A watched key changed: the next EXEC fails.</summary>
    public volatile bool WatchDirty;

    /// <summary>Pub/Sub subscriptions; only this client's loop thread changes them.</summary>
    public HashSet<byte[]>? Channels, Patterns, ShardChannels;

    public int SubscriptionCount => (Channels?.Count ?? 0) + (Patterns?.Count ?? 0);

    public bool IsSubscriber => SubscriptionCount > 0 || (ShardChannels?.Count ?? 0) > 0;

    public void Start()
    {
        Loop.Register(this, Native.EPOLLIN);
    }

    public void OnEvents(uint events)
    {
        if (closed) return;
        if ((events & (Native.EPOLLERR | Native.EPOLLHUP)) != 0 && (events & Native.EPOLLIN) == 0)
        {
            Close();
            return;
        }
        if ((events & Native.EPOLLOUT) != 0)
        {
            FlushReply();
            if (closed) return;
        }
        if ((events & Native.EPOLLIN) != 0) ReadAndProcess();
    }

    void ReadAndProcess()
    {
        if (!MakeRoomForRead()) return;
        nint n;
        fixed (byte* p = &query[qEnd])
            n = Native.read(Fd, p, query.Length - qEnd);
        if (n <= 0)
        {
            if (n < 0 && (Native.Errno == Native.EAGAIN || Native.Errno == Native.EINTR)) return;
            Close();
            return;
        }
        qEnd += (int)n;
        server.Stats.AddNetInput(n);
        server.Stats.Local.Reads++;
        LastInteractionMs = Clock.NowMs();
        // Pushes queued from other threads before this request arrived go before its reply.
        DrainPushes();
        ProcessQuery();
        FlushReply();
    }

    /// <summary>Compacts or grows the query buffer so a read has room; false if the client was closed for a too large query.</summary>
    bool MakeRoomForRead()
    {
        int used = qEnd - qStart;
        long limit = server.Config.GetLong("client-query-buffer-limit");
        if (used >= limit)
        {
            Log.Warning($"Closing client that reached max query buffer length: id={Id} addr={Address} qbuf={used}");
            Close();
            return false;
        }
        long pendingBulk = Parser.PendingBulkLength;
        int needed = ReadChunk;
        if (pendingBulk > 0)
        {
            // Make room for the whole bulk argument at once, as Redis does for big arguments.
            long want = (long)Parser.BytesScanned(qStart) + pendingBulk + 2 + 64 - used;
            if (want > needed) needed = (int)Math.Min(want, int.MaxValue - 1024);
        }
        if (query.Length - qEnd >= needed) return true;
        if (qStart > 0 && query.Length - used >= needed)
        {
            Buffer.BlockCopy(query, qStart, query, 0, used);
            Parser.Rebase(query, query, -qStart);
            qEnd = used;
            qStart = 0;
            return true;
        }
        long size = Math.Max((long)query.Length * 2, (long)used + needed);
        var bigger = new byte[Math.Min(size, Array.MaxLength)];
        Buffer.BlockCopy(query, qStart, bigger, 0, used);
        Parser.Rebase(query, bigger, -qStart);
        query = bigger;
        qEnd = used;
        qStart = 0;
        return true;
    }

    /// <summary>Parses and executes every complete request in the query buffer.</summary>
    public void ProcessQuery()
    {
        executing = true;
        try
        {
            ProcessRequests();
        }
        finally
        {
            executing = false;
        }
    }

    bool executing;
    bool flushPosted;

    void ProcessRequests()
    {
        batchStart = qStart;
        while (!closed && !CloseAfterReply && qStart < qEnd && !IsBlocked)
        {
            int requestStart = qStart;
            var result = Parser.TryParse(query, qStart, qEnd, out int consumed);
            if (result == ParseResult.Incomplete) break;
            if (result == ParseResult.Error)
            {
                server.Stats.ProtocolErrors++;
                Log.Verbose($"Protocol error ({Parser.Error}) from client: id={Id} addr={Address}");
                Reply.Error("ERR " + Parser.Error);
                CloseAfterReply = true;
                qStart = qEnd;
                break;
            }
            qStart = consumed;
            if (Args.Count == 0) continue;
            Args = Parser.Args;
            if (!server.Execute(this))
            {
                // Paused: the request is parsed again when the pause ends.
                qStart = requestStart;
                WaitForUnpause();
                break;
            }
            server.Tracking.AfterCommand(this);
            if (Reply.Length > 64 * 1024) FlushReply();
        }
        if (qStart == qEnd && !Parser.InProgress)
        {
            qStart = qEnd = 0;
            if (query.Length > 4 * InitialQueryBuffer && !IsBlocked) query = new byte[InitialQueryBuffer];
        }
        batchStart = qStart;
    }

    int batchStart;

    bool waitingForUnpause;

    /// <summary>True while a command waits for CLIENT PAUSE to end; Redis counts such a client as blocked.</summary>
    public bool IsPostponed => waitingForUnpause;

    // A paused client keeps reading (so a disconnect is seen) but executes nothing until the pause ends.
    void WaitForUnpause()
    {
        if (waitingForUnpause) return;
        waitingForUnpause = true;
        server.WhenUnpaused(() => Loop.Post(() =>
        {
            waitingForUnpause = false;
            Resume();
        }));
    }

    /// <summary>A blocked client keeps reading (so a disconnect is seen) but executes nothing until it is served or times out.</summary>
    public bool IsBlocked { get; private set; }

    public void Block() => IsBlocked = true;

    /// <summary>Ends a block and executes the requests that arrived meanwhile. Loop thread only.</summary>
    public void Unblock()
    {
        IsBlocked = false;
        Resume();
    }

    void Resume()
    {
        if (closed) return;
        ProcessQuery();
        FlushReply();
    }

    /// <summary>Writes as much of the reply buffer as the socket takes; waits for EPOLLOUT for the rest.</summary>
    public void FlushReply()
    {
        if (closed) return;
        if (AofWaitOffset > 0)
        {
            server.Aof.WaitFor(AofWaitOffset, durable: server.Aof.FsyncAlways);
            AofWaitOffset = 0;
        }
        DrainPushes();
        if (Reply.Length > 0) server.Stats.Local.Writes++;
        while (Reply.Length > 0)
        {
            nint n;
            fixed (byte* p = Reply.Data)
                n = Native.write(Fd, p, Reply.Length);
            if (n < 0)
            {
                int errno = Native.Errno;
                if (errno == Native.EINTR) continue;
                if (errno == Native.EAGAIN)
                {
                    if (!writeInterest)
                    {
                        writeInterest = true;
                        Loop.Modify(this, Native.EPOLLIN | Native.EPOLLOUT);
                    }
                    return;
                }
                Close();
                return;
            }
            server.Stats.AddNetOutput(n);
            Reply.Consume((int)n);
        }
        Reply.TrimIfLarge(64 * 1024);
        if (writeInterest)
        {
            writeInterest = false;
            Loop.Modify(this, Native.EPOLLIN);
        }
        if (CloseAfterReply) Close();
    }

    /// <summary>
    /// Queues out-of-band data (pub/sub messages, MONITOR lines, invalidations) from any thread;
    /// the owning loop appends it to the reply stream and sends it.
    /// </summary>
    public void Push(Action<RespBuffer> write)
    {
        if (Loop.OnLoopThread)
        {
            // Same thread as this client's I/O: write in order with its replies, after what other threads queued.
            if (closed) return;
            DrainPushes();
            write(Reply);
            if (!CheckOutputLimit(Reply.Length)) return;
            if (!executing && !flushPosted)
            {
                flushPosted = true;
                Loop.Post(() =>
                {
                    flushPosted = false;
                    FlushReply();
                });
            }
            return;
        }
        lock (pushLock)
        {
            if (closed) return;
            pendingPush ??= new RespBuffer(1024) { Resp3 = Protocol == 3 };
            pendingPush.Resp3 = Protocol == 3;
            write(pendingPush);
            if (!CheckOutputLimit(pendingPush.Length + Reply.Length)) return;
            if (pushPosted) return;
            pushPosted = true;
        }
        Loop.Post(FlushReply);
    }

    long softLimitSinceMs;

    /// <summary>
    /// Enforces client-output-buffer-limit for the client's class (pubsub for subscribers): past the hard
    /// limit, or past the soft limit for longer than its seconds, the client is disconnected.
    /// </summary>
    bool CheckOutputLimit(long pending)
    {
        var limit = server.OutputLimitFor(this);
        if (limit.Hard == 0 && limit.Soft == 0) return true;
        bool over = limit.Hard > 0 && pending >= limit.Hard;
        if (!over && limit.Soft > 0 && pending >= limit.Soft)
        {
            long now = Clock.NowMs();
            if (softLimitSinceMs == 0) softLimitSinceMs = now;
            else if (now - softLimitSinceMs > limit.Seconds * 1000) over = true;
        }
        else if (pending < limit.Soft) softLimitSinceMs = 0;
        if (!over) return true;
        Log.Warning($"Client id={Id} addr={Address} scheduled to be closed ASAP for overcoming of output buffer limits.");
        Interlocked.Increment(ref server.Stats.ClientOutputBufferLimitDisconnections);
        Kill();
        return false;
    }

    void DrainPushes()
    {
        if (!pushPosted) return;
        lock (pushLock)
        {
            pushPosted = false;
            if (pendingPush is null || pendingPush.Length == 0) return;
            Reply.WriteRaw(pendingPush.Written);
            pendingPush.Clear();
        }
    }

    /// <summary>Closes the connection; from another thread, use <see cref="Kill"/>.</summary>
    public void Close()
    {
        if (closed) return;
        lock (pushLock) closed = true;
        Loop.Unregister(this);
        Native.close(Fd);
        server.OnClientClosed(this);
    }

    /// <summary>Closes the connection from any thread (CLIENT KILL, shutdown).</summary>
    public void Kill()
    {
        if (Loop.OnLoopThread) Close();
        else Loop.Post(Close);
    }

    /// <summary>Client names may not contain spaces, newlines or other characters outside '!'..'~'.</summary>
    public static bool IsValidName(ReadOnlySpan<byte> name)
    {
        foreach (byte b in name)
            if (b < '!' || b > '~') return false;
        return true;
    }

    public string NameText => Name is null ? "" : Encoding.UTF8.GetString(Name);
}

public enum ReplyMode { On, Off, Skip, SkipNext }
