using System.Collections.Concurrent;
using System.Diagnostics;
using Carmine.Server.Commands;
using Carmine.Server.Config;
using Carmine.Server.Network;

namespace Carmine.Server;

/// <summary>
/// The running server: configuration, keyspace, command table, event loops and connected clients.
/// <see cref="Execute"/> is the path every command takes.
/// </summary>
public sealed partial class RedisServer
{
    public const string RedisVersion = "7.0.15";
    public const string CarmineVersion = "0.1.0";

    readonly List<EventLoop> loops = [];
    readonly List<Listener> listeners = [];
    readonly ConcurrentDictionary<long, Client> clients = new();
    readonly ManualResetEventSlim shutdownRequested = new();
    readonly List<Action> unpauseWaiters = [];
    readonly object pauseGate = new();
    Thread? cronThread;

    public ServerConfig Config { get; }
    public Keyspace.Keyspace Keyspace { get; }
    public CommandTable Commands { get; }
    public ServerStats Stats { get; }
    public SlowLog SlowLog { get; } = new();
    public PubSub.PubSubHub PubSub { get; } = new();
    public PubSub.KeyspaceEvents Events { get; }
    public Transactions.WatchedKeys Watches { get; }
    public Tracking.TrackingTable Tracking { get; }
    public LatencyMonitor Latency { get; } = new();
    /// <summary>Clients blocked on keys (BLPOP and the like); INFO's blocked_clients is its count.</summary>
    public Keyspace.BlockingKeys Blocking { get; } = new();
    /// <summary>RDB snapshots: SAVE, BGSAVE, save points, loading at start-up.</summary>
    public Persistence.RdbPersistence Rdb { get; }
    /// <summary>The ordered stream of the dataset's changes that the AOF and the replicas read.</summary>
    public Replication.ReplicationStream Propagation { get; } = new();
    /// <summary>The multi-part append-only file (appendonly yes).</summary>
    public Persistence.AppendOnlyFile Aof { get; }
    Scripting.ScriptEngine? scripts;
    /// <summary>The Lua interpreter and script cache, created on first use.</summary>
    public Scripting.ScriptEngine Scripts => LazyInitializer.EnsureInitialized(ref scripts, () => new Scripting.ScriptEngine(this));
    /// <summary>The script engine if a script or function was ever used, for INFO (which must not start one).</summary>
    public Scripting.ScriptEngine? ScriptsIfStarted => Volatile.Read(ref scripts);
    public string RunId { get; } = RandomHexId();
    /// <summary>The replication ID INFO reports (master_replid); a new one per start, as in Redis.</summary>
    public string MasterReplId { get; private set; } = RandomHexId();
    /// <summary>Live managed heap (after a full collection) once the server was set up, before loading data: INFO's used_memory_startup.</summary>
    public long UsedMemoryStartup { get; private set; }
    public long StartTimeMs { get; } = Clock.NowMs();
    public long StartMonotonicUs { get; } = Clock.MonotonicUs();
    public int TcpPort { get; private set; }
    public bool ActiveExpireEnabled { get; set; } = true;
    /// <summary>True while the dataset is loaded at start-up: commands without the loading flag get LOADING.</summary>
    public bool Loading
    {
        get => Volatile.Read(ref loading);
        set
        {
            if (value) LoadingStartUnix = Clock.NowMs() / 1000;
            Volatile.Write(ref loading, value);
        }
    }
    bool loading;
    public long LoadingStartUnix { get; private set; }
    /// <summary>latency-tracking: whether commands record their latency for LATENCY HISTOGRAM and INFO latencystats.</summary>
    public bool LatencyTracking { get; private set; } = true;
    /// <summary>DEBUG PAUSE-CRON: the background work at hz stops while set.</summary>
    public bool CronPaused { get; set; }
    public int ShutdownExitCode { get; private set; }

    internal IReadOnlyList<EventLoop> Loops => loops;
    internal ICollection<Client> Clients => clients.Values;
    internal int MonitorCount;

    public RedisServer(ServerConfig config)
    {
        Config = config;
        int loopCount = Math.Max(1, Environment.ProcessorCount);
        ThreadSlot.Count = loopCount + 1;
        Stats = new ServerStats(loopCount + 1);
        Commands = new CommandTable(loopCount + 1, config.CommandRenames);
        Keyspace = new Keyspace.Keyspace(config.GetInt("databases"), 16);
        Keyspace.Access.Follow(Config);
        Events = new PubSub.KeyspaceEvents(PubSub);
        Watches = new Transactions.WatchedKeys(Keyspace.Count);
        Tracking = new Tracking.TrackingTable(this);
        Rdb = new Persistence.RdbPersistence(this);
        Aof = new Persistence.AppendOnlyFile(this);
        InitMaxmemory();
        Keyspace.KeyExpired += (db, key) =>
        {
            Stats.Local.ExpiredKeys++;
            Watches.Touch(db.Index, key, existsNow: false);
            Tracking.InvalidateKey(key, null);
            Events.Notify(Carmine.Server.PubSub.NotifyFlags.Expired, "expired", db.Index, key);
            PropagateDeletion(db.Index, key, Config.GetBool("lazyfree-lazy-expire"));
        };
        Keyspace.AggregateKeyAdded = (db, key) => Blocking.SignalKeyAsReady(db, key);
        Keyspace.ContentsReplaced = db => Blocking.SignalDatabase(db.Index);
        for (int i = 0; i < loopCount; i++) loops.Add(new EventLoop(i));
        Config.Changed += OnConfigChanged;
        Config.Apply = ApplyConfig;
        foreach (var name in new[] { "loglevel", "notify-keyspace-events", "slowlog-log-slower-than", "slowlog-max-len", "latency-monitor-threshold", "latency-tracking" })
            OnConfigChanged(name);
        oomScoreAdj.Apply(Config);
        // Before any data is loaded, as Redis measures it after initServer: keys count separately in used_memory.
        UsedMemoryStartup = GC.GetTotalMemory(forceFullCollection: true);
    }

    public bool RequiresAuth => Config.GetString("requirepass").Length > 0;

    /// <summary>Opens the listeners and starts the loops; false (after logging why) if a port cannot be bound.</summary>
    public bool Start()
    {
        int port = Config.GetInt("port");
        int backlog = Config.GetInt("tcp-backlog");
        if (port != 0)
        {
            var tcp = OpenTcpListeners(port);
            if (tcp is null)
            {
                Log.Warning($"Failed listening on port {port} (tcp), aborting.");
                return false;
            }
            listeners.AddRange(tcp);
            TcpPort = port;
        }
        string unix = Config.GetString("unixsocket");
        if (unix.Length > 0)
        {
            var listener = Listener.OpenUnix(this, unix, Config.GetLong("unixsocketperm"), backlog, out string? error);
            if (listener is null)
            {
                Log.Warning($"Failed opening Unix socket: {error}");
                return false;
            }
            listeners.Add(listener);
        }
        for (int i = 0; i < loops.Count; i++)
        {
            int slot = i;
            loops[i].Post(() => ThreadSlot.Assign(slot));
            loops[i].Start();
        }
        foreach (var l in listeners) Watch(loops[0], l);
        cronThread = new Thread(Cron) { IsBackground = true, Name = "carmine-cron" };
        cronThread.Start();
        StartConfiguredReplication();
        return true;
    }

    static string RandomHexId() => Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20)).ToLowerInvariant();

    internal void AcceptClient(EventLoop loop, int fd, bool unix)
    {
        if (clients.Count >= Config.GetLong("maxclients"))
        {
            // As Redis: a best-effort error written straight to the socket, no client created (no ID used, no error stats).
            Network.Native.WriteBestEffort(fd, "-ERR max number of clients reached\r\n"u8);
            Network.Native.close(fd);
            Interlocked.Increment(ref Stats.RejectedConnections);
            return;
        }
        var client = new Client(this, loop, fd, unix);
        if (ProtectedModeRejection(client) is { } denied)
        {
            Network.Native.WriteBestEffort(fd, System.Text.Encoding.ASCII.GetBytes("-" + denied + "\r\n"));
            Network.Native.close(fd);
            Interlocked.Increment(ref Stats.RejectedConnections);
            return;
        }
        clients[client.Id] = client;
        Interlocked.Increment(ref Stats.TotalConnections);
        client.Start();
    }

    internal void OnClientClosed(Client c)
    {
        clients.TryRemove(c.Id, out _);
        ForgetClientsMemory();
        Blocking.OnClientClosed(c);
        PubSub.RemoveClient(c);
        Watches.UnwatchAll(c);
        Tracking.Disable(c);
        if (c.IsMonitor) Interlocked.Decrement(ref MonitorCount);
        DetachReplica(c);
    }

    public int ConnectedClients => clients.Count;

    internal Client? FindClient(long id) => clients.GetValueOrDefault(id);

    /// <summary>Blocks the calling thread until SHUTDOWN or SIGTERM, then closes everything.</summary>
    public void WaitForShutdown()
    {
        shutdownRequested.Wait();
        CloseListeners();
        if (Aof.Enabled)
        {
            Log.Notice("Calling fsync() on the AOF file.");
            Aof.FlushAndSync();
        }
        string unix = Config.GetString("unixsocket");
        if (unix.Length > 0) File.Delete(unix);
        Log.Notice("Carmine is now ready to exit, bye bye...");
    }

    public void RequestShutdown(int exitCode = 0)
    {
        ShutdownExitCode = exitCode;
        // Redis exits inside SHUTDOWN: once it returns (even from a loop held by a busy script), connections are refused.
        CloseListeners();
        shutdownRequested.Set();
    }

    int listenersClosed;

    void CloseListeners()
    {
        if (Interlocked.Exchange(ref listenersClosed, 1) != 0) return;
        foreach (var l in listeners) l.Close();
    }

    void OnConfigChanged(string name)
    {
        switch (name)
        {
            case "loglevel":
                ApplyLogLevel();
                break;
            case "notify-keyspace-events":
                ApplyNotifyFlags();
                break;
            case "slowlog-log-slower-than":
                SlowLog.ThresholdUs = Config.GetLong(name);
                break;
            case "slowlog-max-len":
                SlowLog.MaxLength = (int)Math.Min(Config.GetLong(name), int.MaxValue);
                SlowLog.Trim();
                break;
            case "latency-monitor-threshold":
                Latency.ThresholdMs = Config.GetLong(name);
                break;
            case "latency-tracking":
                LatencyTracking = Config.GetBool(name);
                break;
            case "proto-max-bulk-len":
                // Redis checks the limit as each bulk header is read, so connected clients see the new one too.
                foreach (var c in clients.Values) c.Parser.MaxBulkLength = Config.GetLong(name);
                break;
        }
    }

    void ApplyNotifyFlags() =>
        Events.Flags = Carmine.Server.PubSub.KeyspaceEvents.Parse(Config.GetString("notify-keyspace-events")) ?? Carmine.Server.PubSub.NotifyFlags.None;

    void ApplyLogLevel() => Log.Level = Config.GetString("loglevel") switch
    {
        "debug" => LogLevel.Debug,
        "verbose" => LogLevel.Verbose,
        "warning" => LogLevel.Warning,
        _ => LogLevel.Notice,
    };

    /// <summary>Background work at hz: active expiry, client timeouts, pause expiry.</summary>
    void Cron()
    {
        while (!shutdownRequested.IsSet)
        {
            int hz = Math.Clamp(Config.GetInt("hz"), 1, 500);
            Thread.Sleep(1000 / hz);
            if (CronPaused || Loading) continue;
            try
            {
                if (ActiveExpireEnabled && !Paused)
                {
                    long cycleStart = Stopwatch.GetTimestamp();
                    Keyspace.ActiveExpireCycle(25_000 / hz * 10);
                    Latency.Add("expire-cycle", (long)Stopwatch.GetElapsedTime(cycleStart).TotalMilliseconds);
                }
                CheckPauseTimeout();
                CloseIdleClients();
                EvictClients(null);
                Rdb.Cron();
                Aof.Cron();
                ReplicationCron();
                Network.MigrateSockets.CloseIdle();
                SampleInstantaneousMetrics();
                Keyspace.CollectYoungIfGrown();
                ShutdownCron();
            }
            catch (Exception ex)
            {
                Log.Warning("Error in server cron: " + ex);
            }
        }
    }

    void CloseIdleClients()
    {
        long timeout = Config.GetLong("timeout");
        if (timeout <= 0) return;
        long now = Clock.NowMs();
        foreach (var c in clients.Values)
        {
            if (c.IsBlocked || c.IsMonitor) continue;
            if (now - c.LastInteractionMs > timeout * 1000)
            {
                Log.Verbose("Closing idle client");
                c.Kill();
            }
        }
    }

    public long UptimeSeconds => (Clock.MonotonicUs() - StartMonotonicUs) / 1_000_000;

    public static long RssBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException)
        {
        }
        return Process.GetCurrentProcess().WorkingSet64;
    }
}
