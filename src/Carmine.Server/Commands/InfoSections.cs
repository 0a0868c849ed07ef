using System.Globalization;
using System.Text;
using Carmine.Server.Network;

namespace Carmine.Server.Commands;

/// <summary>
/// The sections of INFO, one method each, with Redis 7.0's field names in Redis's order. Fields for
/// machinery Carmine does not have (forks, AOF, replicas, defragmentation) are present with the values
/// Redis shows when that machinery is idle, so that parsers find every field they expect.
/// </summary>
static class InfoSections
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Highest used_memory seen so far (by INFO), as Redis's used_memory_peak.</summary>
    static long peakMemory;

    static StringBuilder Field(this StringBuilder sb, string name, long value) =>
        sb.Append(name).Append(':').Append(value.ToString(Inv)).Append("\r\n");

    static StringBuilder Field(this StringBuilder sb, string name, string value) =>
        sb.Append(name).Append(':').Append(value).Append("\r\n");

    /// <summary>A double as C's "%.2f".</summary>
    static StringBuilder Field2(this StringBuilder sb, string name, double value) =>
        sb.Append(name).Append(':').Append(value.ToString("F2", Inv)).Append("\r\n");

    static long ConfigLong(RedisServer s, string name, long fallback) => s.Config.Exists(name) ? s.Config.GetLong(name) : fallback;

    static string ConfigString(RedisServer s, string name, string fallback) => s.Config.Exists(name) ? s.Config.GetString(name) : fallback;

    public static void Server(StringBuilder sb, RedisServer s)
    {
        long uptime = s.UptimeSeconds;
        int hz = s.Config.GetInt("hz");
        sb.Append("# Server\r\n")
            .Field("redis_version", RedisServer.RedisVersion)
            .Field("redis_git_sha1", "00000000")
            .Field("redis_git_dirty", 0)
            .Field("redis_build_id", "0")
            .Field("redis_mode", ConfigLong(s, "cluster-enabled", 0) != 0 ? "cluster" : "standalone")
            .Field("os", ProcessMetrics.OsName)
            .Field("arch_bits", IntPtr.Size * 8)
            .Field("monotonic_clock", "POSIX clock_gettime")
            .Field("multiplexing_api", "epoll")
            .Field("atomicvar_api", "interlocked")
            .Field("gcc_version", "0.0.0")
            .Field("process_id", Environment.ProcessId)
            .Field("process_supervised", "no")
            .Field("run_id", s.RunId)
            .Field("tcp_port", s.TcpPort)
            .Field("server_time_usec", Clock.NowUs())
            .Field("uptime_in_seconds", uptime)
            .Field("uptime_in_days", uptime / (3600 * 24))
            .Field("hz", hz)
            .Field("configured_hz", hz)
            .Field("lru_clock", LruClock.Now)
            .Field("executable", Environment.ProcessPath ?? "")
            .Field("config_file", s.Config.ConfigFile ?? "")
            .Field("io_threads_active", 0)
            .Field("carmine_version", RedisServer.CarmineVersion);
    }

    public static void Clients(StringBuilder sb, RedisServer s)
    {
        long maxIn = 0, maxOut = 0, blocked = 0;
        foreach (var c in s.Clients)
        {
            maxIn = Math.Max(maxIn, c.QueryBufferLength);
            maxOut = Math.Max(maxOut, c.OutputMemory);
            if (c.IsBlocked || c.IsPostponed) blocked++;
        }
        sb.Append("# Clients\r\n")
            .Field("connected_clients", s.ConnectedClients)
            .Field("cluster_connections", 0)
            .Field("maxclients", s.Config.GetLong("maxclients"))
            .Field("client_recent_max_input_buffer", maxIn)
            .Field("client_recent_max_output_buffer", maxOut)
            .Field("blocked_clients", blocked)
            .Field("tracking_clients", s.Tracking.ClientCount)
            .Field("clients_in_timeout_table", 0);
    }

    /// <summary>The figures INFO memory and MEMORY STATS share, in bytes.</summary>
    internal readonly record struct MemoryFigures(long Used, long Peak, long Rss, long Startup, long ClientsNormal, long Overhead,
        long Dataset, long Allocated, long Active);

    /// <summary>
    /// used_memory is what maxmemory counts (docs/eviction.md): the managed heap once the server was listening (the
    /// startup figure), the keys as MEMORY USAGE estimates them, and the client buffers; overhead is the startup
    /// figure plus client buffers; the dataset is the keys. The allocator figures are the GC's own.
    /// </summary>
    internal static MemoryFigures ComputeMemory(RedisServer s)
    {
        var gc = GC.GetGCMemoryInfo();
        long clientsMemory = s.ClientsMemory(fresh: true);
        long dataset = s.Keyspace.UsedBytes;
        long startup = s.UsedMemoryStartup;
        long used = startup + dataset + clientsMemory;
        long peak = InterlockedMax(ref peakMemory, used);
        long allocated = GC.GetTotalMemory(false);
        // The GC reports committed memory as of its last collection (nothing before the first one).
        long active = Math.Max(allocated, gc.TotalCommittedBytes);
        return new MemoryFigures(used, peak, RedisServer.RssBytes(), startup, clientsMemory, startup + clientsMemory, dataset, allocated, active);
    }

    public static void Memory(StringBuilder sb, RedisServer s)
    {
        var (used, peak, rss, startup, clientsMemory, overhead, dataset, allocated, active) = ComputeMemory(s);
        long netUsage = Math.Max(1, used - startup);
        long maxmemory = ConfigLong(s, "maxmemory", 0);
        long system = ProcessMetrics.TotalSystemMemory;
        var scripts = s.ScriptsIfStarted;
        long lua = scripts?.MemoryBytes ?? 0;
        sb.Append("# Memory\r\n")
            .Field("used_memory", used)
            .Field("used_memory_human", BytesToHuman(used))
            .Field("used_memory_rss", rss)
            .Field("used_memory_rss_human", BytesToHuman(rss))
            .Field("used_memory_peak", peak)
            .Field("used_memory_peak_human", BytesToHuman(peak))
            .Append("used_memory_peak_perc:").Append((used * 100.0 / peak).ToString("F2", Inv)).Append("%\r\n")
            .Field("used_memory_overhead", overhead)
            .Field("used_memory_startup", startup)
            .Field("used_memory_dataset", dataset)
            .Append("used_memory_dataset_perc:").Append((dataset * 100.0 / netUsage).ToString("F2", Inv)).Append("%\r\n")
            .Field("allocator_allocated", allocated)
            .Field("allocator_active", active)
            .Field("allocator_resident", rss)
            .Field("total_system_memory", system)
            .Field("total_system_memory_human", BytesToHuman(system))
            .Field("used_memory_lua", lua)
            .Field("used_memory_vm_eval", lua)
            .Field("used_memory_lua_human", BytesToHuman(lua))
            .Field("used_memory_scripts_eval", 0)
            .Field("number_of_cached_scripts", scripts?.Count ?? 0)
            .Field("number_of_functions", scripts?.FunctionCount ?? 0)
            .Field("number_of_libraries", scripts?.LibraryCount ?? 0)
            .Field("used_memory_vm_functions", 0)
            .Field("used_memory_vm_total", lua)
            .Field("used_memory_vm_total_human", BytesToHuman(lua))
            .Field("used_memory_functions", 0)
            .Field("used_memory_scripts", 0)
            .Field("used_memory_scripts_human", "0B")
            .Field("maxmemory", maxmemory)
            .Field("maxmemory_human", BytesToHuman(maxmemory))
            .Field("maxmemory_policy", ConfigString(s, "maxmemory-policy", "noeviction"))
            .Field2("allocator_frag_ratio", Ratio(active, allocated))
            .Field("allocator_frag_bytes", active - allocated)
            .Field2("allocator_rss_ratio", Ratio(rss, active))
            .Field("allocator_rss_bytes", rss - active)
            .Field2("rss_overhead_ratio", 1.0)
            .Field("rss_overhead_bytes", 0)
            .Field2("mem_fragmentation_ratio", Ratio(rss, used))
            .Field("mem_fragmentation_bytes", rss - used)
            .Field("mem_not_counted_for_evict", 0)
            .Field("mem_replication_backlog", 0)
            .Field("mem_total_replication_buffers", 0)
            .Field("mem_clients_slaves", 0)
            .Field("mem_clients_normal", clientsMemory)
            .Field("mem_cluster_links", 0)
            .Field("mem_aof_buffer", s.Aof.BufferLength)
            .Field("mem_allocator", "dotnet-gc")
            .Field("active_defrag_running", 0)
            .Field("lazyfree_pending_objects", 0)
            .Field("lazyfreed_objects", Interlocked.Read(ref s.Stats.LazyfreedObjects));
    }

    static double Ratio(long a, long b) => b == 0 ? 0 : (double)a / b;

    static long InterlockedMax(ref long target, long value)
    {
        long current = Volatile.Read(ref target);
        while (value > current)
        {
            long seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current) return value;
            current = seen;
        }
        return current;
    }

    /// <summary>Bytes as Redis's bytesToHuman: "123B", "1.50K", "2.00M", "3.25G" ...</summary>
    public static string BytesToHuman(long n)
    {
        if (n < 1024) return n.ToString(Inv) + "B";
        string[] units = ["K", "M", "G", "T", "P"];
        double d = n;
        foreach (var unit in units)
        {
            d /= 1024;
            if (d < 1024) return d.ToString("F2", Inv) + unit;
        }
        return n.ToString(Inv) + "B";
    }

    /// <summary>RDB and AOF state from <see cref="Persistence.RdbPersistence"/> and <see cref="Persistence.AppendOnlyFile"/>.</summary>
    public static void Persistence(StringBuilder sb, RedisServer s)
    {
        var rdb = s.Rdb;
        var aof = s.Aof;
        bool saving = rdb.BgsaveInProgress;
        // The current_* fields follow the running background job, as Redis's follow its child: a BGSAVE, else a rewrite.
        bool rewriting = !saving && aof.RewriteInProgress;
        long cow = saving ? rdb.CurrentCowBytes : rewriting ? aof.CurrentCowBytes : 0;
        long processed = saving ? Interlocked.Read(ref rdb.KeysProcessed) : rewriting ? Interlocked.Read(ref aof.RewriteKeysProcessed) : 0;
        long total = saving ? rdb.KeysTotal : rewriting ? aof.RewriteKeysTotal : 0;
        sb.Append("# Persistence\r\n")
            .Field("loading", s.Loading ? 1 : 0)
            .Field("async_loading", 0)
            // No fork: the copy-on-write figures are the copies writes made for the running snapshot (Snapshot.CopiedBytes),
            // which only grow while it runs and are current at every read (hence an age of 0).
            .Field("current_cow_peak", cow)
            .Field("current_cow_size", cow)
            .Field("current_cow_size_age", 0)
            .Field2("current_fork_perc", total > 0 ? processed * 100.0 / total : 0)
            .Field("current_save_keys_processed", processed)
            .Field("current_save_keys_total", total)
            .Field("rdb_changes_since_last_save", rdb.ChangesSinceLastSave)
            .Field("rdb_bgsave_in_progress", saving ? 1 : 0)
            .Field("rdb_last_save_time", rdb.LastSaveUnix)
            .Field("rdb_last_bgsave_status", rdb.LastBgsaveOk ? "ok" : "err")
            .Field("rdb_last_bgsave_time_sec", rdb.LastBgsaveDurationSec)
            .Field("rdb_current_bgsave_time_sec", rdb.CurrentBgsaveSec)
            .Field("rdb_saves", rdb.Saves)
            .Field("rdb_last_cow_size", rdb.LastCowBytes)
            .Field("rdb_last_load_keys_expired", rdb.LastLoadKeysExpired)
            .Field("rdb_last_load_keys_loaded", rdb.LastLoadKeysLoaded)
            .Field("aof_enabled", aof.Enabled ? 1 : 0)
            .Field("aof_rewrite_in_progress", aof.RewriteInProgress ? 1 : 0)
            .Field("aof_rewrite_scheduled", aof.RewriteScheduled ? 1 : 0)
            .Field("aof_last_rewrite_time_sec", aof.LastRewriteSec)
            .Field("aof_current_rewrite_time_sec", aof.CurrentRewriteSec)
            .Field("aof_last_bgrewrite_status", aof.LastRewriteOk ? "ok" : "err")
            .Field("aof_rewrites", aof.Rewrites)
            .Field("aof_rewrites_consecutive_failures", aof.RewritesConsecutiveFailures)
            .Field("aof_last_write_status", aof.LastWriteOk ? "ok" : "err")
            .Field("aof_last_cow_size", aof.LastCowBytes)
            .Field("module_fork_in_progress", 0)
            .Field("module_fork_last_cow_size", 0);
        if (aof.Enabled)
            sb.Field("aof_current_size", aof.CurrentSize)
                .Field("aof_base_size", aof.BaseSize)
                .Field("aof_pending_rewrite", aof.RewriteScheduled ? 1 : 0)
                .Field("aof_buffer_length", aof.BufferLength)
                .Field("aof_pending_bio_fsync", 0)
                .Field("aof_delayed_fsync", 0);
        if (s.Loading) Loading(sb, s);
    }

    /// <summary>
    /// The load in progress, as Redis estimates it: the share of the file read (of the writer's used-mem when the
    /// size is unknown) and the seconds left at the pace so far. Only RDB loads report their progress.
    /// </summary>
    static void Loading(StringBuilder sb, RedisServer s)
    {
        var load = s.Rdb.CurrentLoad;
        long total = load?.TotalBytes ?? 0, loaded = load?.LoadedBytes ?? 0, usedMem = load?.RdbUsedMem ?? 0;
        double perc = 0;
        long remaining = 1;
        if (total > 0)
        {
            perc = (double)loaded / total * 100;
            remaining = total - loaded;
        }
        else if (usedMem > 0)
        {
            perc = Math.Min((double)loaded / usedMem * 100, 99.99);
            remaining = Math.Max(usedMem - loaded, 1);
        }
        long elapsed = Clock.NowMs() / 1000 - s.LoadingStartUnix;
        sb.Field("loading_start_time", s.LoadingStartUnix)
            .Field("loading_total_bytes", total)
            .Field("loading_rdb_used_mem", usedMem)
            .Field("loading_loaded_bytes", loaded)
            .Field2("loading_loaded_perc", perc)
            .Field("loading_eta_seconds", elapsed == 0 ? 1 : elapsed * remaining / (loaded + 1));
    }

    public static void Stats(StringBuilder sb, RedisServer s)
    {
        var st = s.Stats;
        sb.Append("# Stats\r\n")
            .Field("total_connections_received", st.TotalConnections)
            .Field("total_commands_processed", st.Sum(t => t.Commands))
            .Field("instantaneous_ops_per_sec", (long)s.OpsPerSec.Rate)
            .Field("total_net_input_bytes", st.Sum(t => t.NetInput))
            .Field("total_net_output_bytes", st.Sum(t => t.NetOutput))
            .Field("total_net_repl_input_bytes", 0)
            .Field("total_net_repl_output_bytes", 0)
            .Field2("instantaneous_input_kbps", s.InputKbps.Rate / 1024)
            .Field2("instantaneous_output_kbps", s.OutputKbps.Rate / 1024)
            .Field2("instantaneous_input_repl_kbps", 0)
            .Field2("instantaneous_output_repl_kbps", 0)
            .Field("rejected_connections", st.RejectedConnections)
            .Field("sync_full", Interlocked.Read(ref s.SyncFull))
            .Field("sync_partial_ok", Interlocked.Read(ref s.SyncPartialOk))
            .Field("sync_partial_err", Interlocked.Read(ref s.SyncPartialErr))
            .Field("expired_keys", st.Sum(t => t.ExpiredKeys))
            .Field2("expired_stale_perc", st.ExpiredStalePerc)
            .Field("expired_time_cap_reached_count", 0)
            .Field("expire_cycle_cpu_milliseconds", 0)
            .Field("evicted_keys", st.EvictedKeys)
            .Field("evicted_clients", st.EvictedClients)
            .Field("total_eviction_exceeded_time", s.Eviction.ExceededTotalMs)
            .Field("current_eviction_exceeded_time", s.Eviction.ExceededCurrentMs)
            .Field("keyspace_hits", st.Sum(t => t.KeyspaceHits))
            .Field("keyspace_misses", st.Sum(t => t.KeyspaceMisses))
            .Field("pubsub_channels", s.PubSub.ChannelCount)
            .Field("pubsub_patterns", s.PubSub.PatternCount)
            .Field("pubsubshard_channels", s.PubSub.ShardChannelCount)
            .Field("latest_fork_usec", 0)
            .Field("total_forks", Carmine.Server.Persistence.Snapshot.Started)
            .Field("migrate_cached_sockets", Network.MigrateSockets.Count)
            .Field("slave_expires_tracked_keys", 0)
            .Field("active_defrag_hits", 0)
            .Field("active_defrag_misses", 0)
            .Field("active_defrag_key_hits", 0)
            .Field("active_defrag_key_misses", 0)
            .Field("total_active_defrag_time", 0)
            .Field("current_active_defrag_time", 0)
            .Field("tracking_total_keys", s.Tracking.TotalKeys)
            .Field("tracking_total_items", s.Tracking.TotalItems)
            .Field("tracking_total_prefixes", s.Tracking.TotalPrefixes)
            .Field("unexpected_error_replies", st.UnexpectedErrorReplies)
            .Field("total_error_replies", st.Sum(t => t.ErrorReplies))
            .Field("dump_payload_sanitizations", 0)
            .Field("total_reads_processed", st.Sum(t => t.Reads))
            .Field("total_writes_processed", st.Sum(t => t.Writes))
            .Field("io_threaded_reads_processed", 0)
            .Field("io_threaded_writes_processed", 0)
            .Field("reply_buffer_shrinks", 0)
            .Field("reply_buffer_expands", 0);
    }

    public static void Replication(StringBuilder sb, RedisServer s)
    {
        var replicas = s.Replicas.Where(r => r.State != "handshake").ToArray();
        long now = Clock.NowMs();
        var master = s.Master;
        sb.Append("# Replication\r\n").Field("role", master is null ? "master" : "slave");
        if (master is not null)
        {
            sb.Field("master_host", master.Host)
                .Field("master_port", master.Port)
                .Field("master_link_status", master.LinkUp ? "up" : "down")
                .Field("master_last_io_seconds_ago", master.LinkUp ? (now - master.LastIoMs) / 1000 : -1)
                .Field("master_sync_in_progress", master.SyncInProgress ? 1 : 0)
                .Field("slave_read_repl_offset", master.ReadOffset)
                .Field("slave_repl_offset", master.Offset);
            if (!master.LinkUp) sb.Field("master_link_down_since_seconds", (now - master.DownSinceMs) / 1000);
            sb.Field("slave_priority", ConfigLong(s, "replica-priority", 100))
                .Field("slave_read_only", s.Config.GetBool("replica-read-only") ? 1 : 0)
                .Field("replica_announced", s.Config.GetBool("replica-announced") ? 1 : 0);
        }
        sb.Field("connected_slaves", replicas.Length);
        for (int i = 0; i < replicas.Length; i++)
        {
            var r = replicas[i];
            sb.Append("slave").Append(i).Append(":ip=").Append(r.Ip).Append(",port=").Append(r.ListeningPort)
                .Append(",state=").Append(r.State).Append(",offset=").Append(r.AckOffset)
                .Append(",lag=").Append((now - r.AckTimeMs) / 1000).Append("\r\n");
        }
        var backlog = s.Backlog;
        sb.Field("master_failover_state", "no-failover")
            .Field("master_replid", master?.ReplId ?? s.MasterReplId)
            .Field("master_replid2", s.MasterReplId2)
            .Field("master_repl_offset", master is null ? s.Propagation.MasterOffset : master.Offset)
            .Field("second_repl_offset", s.SecondReplOffset)
            .Field("repl_backlog_active", backlog is null ? 0 : 1)
            .Field("repl_backlog_size", ConfigLong(s, "repl-backlog-size", 1024 * 1024))
            .Field("repl_backlog_first_byte_offset", backlog?.FirstByteOffset ?? 0)
            .Field("repl_backlog_histlen", backlog?.HistLen ?? 0);
    }

    /// <summary>The "main thread" figures are those of the thread running INFO: Carmine executes on every event loop.</summary>
    public static void Cpu(StringBuilder sb, RedisServer s)
    {
        var self = ProcessMetrics.CpuSelf();
        var children = ProcessMetrics.CpuChildren();
        var thread = ProcessMetrics.CpuThread();
        sb.Append("# CPU\r\n")
            .Field("used_cpu_sys", self.Sys)
            .Field("used_cpu_user", self.User)
            .Field("used_cpu_sys_children", children.Sys)
            .Field("used_cpu_user_children", children.User)
            .Field("used_cpu_sys_main_thread", thread.Sys)
            .Field("used_cpu_user_main_thread", thread.User);
    }

    public static void Modules(StringBuilder sb, RedisServer s) => sb.Append("# Modules\r\n");

    public static void CommandStats(StringBuilder sb, RedisServer s)
    {
        sb.Append("# Commandstats\r\n");
        foreach (var cmd in s.Commands.All) AppendCommandStats(sb, cmd);
    }

    static void AppendCommandStats(StringBuilder sb, CommandDef cmd)
    {
        long calls = 0, usec = 0, rejected = 0, failed = 0;
        foreach (var st in cmd.Stats)
        {
            calls += st.Calls;
            usec += st.Microseconds;
            rejected += st.RejectedCalls;
            failed += st.FailedCalls;
        }
        if (calls != 0 || rejected != 0 || failed != 0)
        {
            float perCall = calls == 0 ? 0 : (float)usec / calls;
            sb.Append("cmdstat_").Append(SafeInfoString(cmd.FullName))
                .Append(":calls=").Append(calls.ToString(Inv))
                .Append(",usec=").Append(usec.ToString(Inv))
                .Append(",usec_per_call=").Append(((double)perCall).ToString("F2", Inv))
                .Append(",rejected_calls=").Append(rejected.ToString(Inv))
                .Append(",failed_calls=").Append(failed.ToString(Inv))
                .Append("\r\n");
        }
        if (cmd.Subcommands is null) return;
        foreach (var sub in cmd.Subcommands.Values) AppendCommandStats(sb, sub);
    }

    public static void ErrorStats(StringBuilder sb, RedisServer s)
    {
        sb.Append("# Errorstats\r\n");
        foreach (var (code, count) in s.Stats.ErrorCounts)
            sb.Append("errorstat_").Append(SafeInfoString(code)).Append(":count=").Append(count.ToString(Inv)).Append("\r\n");
    }

    /// <summary>
    /// Percentiles of each command's latency (latency-tracking-info-percentiles), read from the per-command
    /// histogram LATENCY HISTOGRAM also uses; a percentile is the upper bound of the bucket that holds it.
    /// </summary>
    public static void LatencyStats(StringBuilder sb, RedisServer s)
    {
        sb.Append("# Latencystats\r\n");
        if (!s.Config.GetBool("latency-tracking")) return;
        var percentiles = s.Config.GetString("latency-tracking-info-percentiles")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => double.Parse(p, Inv)).ToArray();
        foreach (var cmd in s.Commands.All) AppendLatencyStats(sb, cmd, percentiles);
    }

    static void AppendLatencyStats(StringBuilder sb, CommandDef cmd, double[] percentiles)
    {
        var counts = new long[LatencyHistogram.CountsLength];
        long total = 0;
        foreach (var st in cmd.Stats)
        {
            if (st.Latency is not { } buckets) continue;
            for (int k = 0; k < buckets.Length; k++) counts[k] += buckets[k];
        }
        foreach (long n in counts) total += n;
        if (total > 0)
        {
            sb.Append("latency_percentiles_usec_").Append(SafeInfoString(cmd.FullName)).Append(':');
            for (int j = 0; j < percentiles.Length; j++)
            {
                if (j > 0) sb.Append(',');
                sb.Append('p').Append(percentiles[j].ToString(Inv)).Append('=')
                    .Append(LatencyHistogram.PercentileUs(counts, percentiles[j]).ToString("F3", Inv));
            }
            sb.Append("\r\n");
        }
        if (cmd.Subcommands is null) return;
        foreach (var sub in cmd.Subcommands.Values) AppendLatencyStats(sb, sub, percentiles);
    }

    public static void Cluster(StringBuilder sb, RedisServer s) =>
        sb.Append("# Cluster\r\n").Field("cluster_enabled", ConfigLong(s, "cluster-enabled", 0));

    public static void Keyspace(StringBuilder sb, RedisServer s)
    {
        sb.Append("# Keyspace\r\n");
        long now = Clock.NowMs();
        foreach (var db in s.Keyspace.Databases)
        {
            long keys = db.Count, expires = db.VolatileCount;
            if (keys == 0 && expires == 0) continue;
            sb.Append("db").Append(db.Index.ToString(Inv))
                .Append(":keys=").Append(keys.ToString(Inv))
                .Append(",expires=").Append(expires.ToString(Inv))
                .Append(",avg_ttl=").Append(AverageTtl(db, now).ToString(Inv))
                .Append("\r\n");
        }
    }

    /// <summary>An estimate from a sample of each shard's keys with an expiry, as Redis estimates it from active expiry's samples.</summary>
    static long AverageTtl(Keyspace.Database db, long now)
    {
        const int SamplePerShard = 16;
        long total = 0, n = 0;
        foreach (var shard in db.Shards)
        {
            lock (shard.Lock)
            {
                var list = shard.Volatile;
                int step = Math.Max(1, list.Count / SamplePerShard);
                for (int i = 0; i < list.Count; i += step)
                {
                    long ttl = list[i].ExpireAt - now;
                    if (ttl <= 0) continue;
                    total += ttl;
                    n++;
                }
            }
        }
        return n == 0 ? 0 : total / n;
    }

    /// <summary>Replaces the characters that would break INFO's line format (# : CR LF) with '_', as Redis does.</summary>
    static string SafeInfoString(string s) =>
        s.IndexOfAny(['#', ':', '\r', '\n']) < 0 ? s : s.Replace('#', '_').Replace(':', '_').Replace('\r', '_').Replace('\n', '_');
}
