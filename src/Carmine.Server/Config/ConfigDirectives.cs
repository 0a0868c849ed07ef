namespace Carmine.Server.Config;

/// <summary>
/// Every directive Redis 7.0 accepts (its standardConfig table, TLS ones included as in Debian's build), with
/// Redis's types, defaults, bounds, enum names, aliases and flags. Directives Carmine does not act on yet are
/// marked <see cref="ConfigFlags.NotActedOn"/>: they are validated, stored, shown and rewritten all the same.
/// </summary>
public static class ConfigDirectives
{
    const ConfigFlags Imm = ConfigFlags.Immutable;
    const ConfigFlags Later = ConfigFlags.NotActedOn;
    const ConfigFlags Dbg = ConfigFlags.Debug;
    const ConfigFlags Hidden = ConfigFlags.Hidden;
    const ConfigFlags Multi = ConfigFlags.MultiArg;
    const ConfigFlags Null = ConfigFlags.EmptyIsNull;
    const ConfigFlags U = ConfigFlags.Unsigned;
    const long IntMax = int.MaxValue;
    const long IntMin = int.MinValue;
    const long UIntMax = uint.MaxValue;
    const long LongMax = long.MaxValue;
    /// <summary>ULLONG_MAX, read as unsigned because of <see cref="ConfigFlags.Unsigned"/>.</summary>
    const long ULongMax = -1;

    static ConfigEnum[] Names(params string[] names) => names.Select((n, i) => new ConfigEnum(n, i)).ToArray();

    static readonly ConfigEnum[] ProtectedAction = Names("no", "yes", "local");

    /// <summary>SHUTDOWN's flags; several may be given at once.</summary>
    static readonly ConfigEnum[] ShutdownOnSignal =
        [new("default", 0), new("save", 1), new("nosave", 2), new("now", 4), new("force", 8)];

    static readonly ConfigEnum[] OomScoreAdj = [new("no", 0), new("yes", 1), new("relative", 1), new("absolute", 2)];

    static ConfigDirective Bool(string name, bool def, ConfigFlags flags = 0, string? alias = null) =>
        new(name, ConfigType.Bool, def ? "yes" : "no", Flags: flags, Alias: alias);

    static ConfigDirective Int(string name, long min, long max, long def, ConfigFlags flags = 0, string? alias = null) =>
        new(name, ConfigType.Int, def.ToString(), min, max, Flags: flags, Alias: alias);

    static ConfigDirective Mem(string name, long min, long max, long def, ConfigFlags flags = 0, string? alias = null) =>
        new(name, ConfigType.Memory, def.ToString(), min, max, Flags: flags, Alias: alias);

    static ConfigDirective Str(string name, string def, ConfigFlags flags = 0, string? alias = null) =>
        new(name, ConfigType.String, def, Flags: flags, Alias: alias);

    static ConfigDirective Enum(string name, ConfigEnum[] values, string def, ConfigFlags flags = 0) =>
        new(name, ConfigType.Enum, def, EnumValues: values, Flags: flags);

    static ConfigDirective Special(string name, string def, ConfigFlags flags = 0, string? alias = null) =>
        new(name, ConfigType.Special, def, Flags: flags, Alias: alias);

    public static readonly ConfigDirective[] All =
    [
        // Booleans.
        Bool("rdbchecksum", true, Imm),
        Bool("daemonize", false, Imm | Later),
        Bool("io-threads-do-reads", false, Dbg | Imm | Later),
        Bool("always-show-logo", false, Imm),
        Bool("protected-mode", true),
        Bool("rdbcompression", true),
        Bool("rdb-del-sync-files", false, Later),
        Bool("activerehashing", true, Later),
        Bool("stop-writes-on-bgsave-error", true),
        Bool("set-proc-title", true, Imm),
        Bool("dynamic-hz", true, Later),
        Bool("lazyfree-lazy-eviction", false, Dbg),
        Bool("lazyfree-lazy-expire", false, Dbg),
        Bool("lazyfree-lazy-server-del", false, Dbg),
        Bool("lazyfree-lazy-user-del", false, Dbg | Later),
        Bool("lazyfree-lazy-user-flush", false, Dbg | Later),
        Bool("repl-disable-tcp-nodelay", false, Later),
        Bool("repl-diskless-sync", true, Dbg | Later),
        Bool("aof-rewrite-incremental-fsync", true, Later),
        Bool("no-appendfsync-on-rewrite", false, Later),
        Bool("cluster-require-full-coverage", true, Later),
        Bool("rdb-save-incremental-fsync", true, Later),
        Bool("aof-load-truncated", true),
        Bool("aof-use-rdb-preamble", true),
        Bool("aof-timestamp-enabled", false),
        Bool("cluster-replica-no-failover", false, Later, "cluster-slave-no-failover"),
        Bool("replica-lazy-flush", false, Later, "slave-lazy-flush"),
        Bool("replica-serve-stale-data", true, 0, "slave-serve-stale-data"),
        Bool("replica-read-only", true, Dbg, "slave-read-only"),
        Bool("replica-ignore-maxmemory", true, Later, "slave-ignore-maxmemory"),
        Bool("jemalloc-bg-thread", true, Later),
        Bool("activedefrag", false, Dbg | Later),
        Bool("syslog-enabled", false, Imm | Later),
        Bool("cluster-enabled", false, Imm | Later),
        Bool("appendonly", false, ConfigFlags.DenyLoading),
        Bool("cluster-allow-reads-when-down", false, Later),
        Bool("cluster-allow-pubsubshard-when-down", true, Later),
        Bool("crash-log-enabled", true, Later),
        Bool("crash-memcheck-enabled", true, Later),
        Bool("use-exit-on-panic", false, Hidden | Later),
        Bool("disable-thp", true, Imm | Later),
        Bool("cluster-allow-replica-migration", true, Later),
        Bool("replica-announced", true),
        Bool("latency-tracking", true),
        Bool("aof-disable-auto-gc", false),
        Bool("replica-ignore-disk-write-errors", false, Later),

        // Strings. EmptyIsNull ones have no default: an empty value means "unset".
        Str("aclfile", "", Imm | Later),
        Str("unixsocket", "", Imm | Null),
        Str("pidfile", "", Imm | Null | Later),
        Str("replica-announce-ip", "", Null | Later, "slave-announce-ip"),
        Str("masteruser", "", ConfigFlags.Sensitive | Null),
        Str("cluster-announce-ip", "", Null | Later),
        Str("cluster-config-file", "nodes.conf", Imm | Later),
        Str("cluster-announce-hostname", "", Null | Later),
        Str("syslog-ident", "redis", Imm | Later),
        Str("dbfilename", "dump.rdb", ConfigFlags.Protected),
        Str("appendfilename", "appendonly.aof", Imm),
        Str("appenddirname", "appendonlydir", Imm),
        Str("server_cpulist", "", Imm | Null | Later),
        Str("bio_cpulist", "", Imm | Null | Later),
        Str("aof_rewrite_cpulist", "", Imm | Null | Later),
        Str("bgsave_cpulist", "", Imm | Null | Later),
        Str("ignore-warnings", "", Later),
        Str("proc-title-template", "{title} {listen-addr} {server-mode}"),
        Str("bind-source-addr", "", Null | Later),
        Str("logfile", "", Imm),
        Str("masterauth", "", ConfigFlags.Sensitive | Null),
        Str("requirepass", "", ConfigFlags.Sensitive | Null),

        // Enumerations.
        Enum("supervised", Names("upstart", "systemd", "auto", "no"), "no", Imm | Later),
        Enum("syslog-facility", Names("user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"), "local0", Imm | Later),
        Enum("repl-diskless-load", Names("disabled", "on-empty-db", "swapdb"), "disabled", Dbg | ConfigFlags.DenyLoading | Later),
        Enum("loglevel", Names("debug", "verbose", "notice", "warning"), "notice"),
        Enum("maxmemory-policy", Names("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"), "noeviction"),
        Enum("appendfsync", Names("everysec", "always", "no"), "everysec"),
        Enum("oom-score-adj", OomScoreAdj, "no"),
        Enum("acl-pubsub-default", Names("allchannels", "resetchannels"), "resetchannels", Later),
        Enum("sanitize-dump-payload", Names("no", "yes", "clients"), "no", Dbg | Later),
        Enum("enable-protected-configs", ProtectedAction, "no", Imm),
        Enum("enable-debug-command", ProtectedAction, "no", Imm),
        Enum("enable-module-command", ProtectedAction, "no", Imm),
        Enum("cluster-preferred-endpoint-type", Names("ip", "hostname", "unknown-endpoint"), "ip", Later),
        Enum("propagation-error-behavior", Names("ignore", "panic", "panic-on-replicas"), "ignore", Later),
        Enum("shutdown-on-sigint", ShutdownOnSignal, "default", Multi),
        Enum("shutdown-on-sigterm", ShutdownOnSignal, "default", Multi),

        // Integers.
        Int("databases", 1, IntMax, 16, Imm),
        Int("port", 0, 65535, 6379),
        Int("io-threads", 1, 128, 1, Dbg | Imm | Later),
        Int("auto-aof-rewrite-percentage", 0, IntMax, 100),
        Int("cluster-replica-validity-factor", 0, IntMax, 10, Later, "cluster-slave-validity-factor"),
        Int("list-max-listpack-size", IntMin, IntMax, -2, alias: "list-max-ziplist-size"),
        Int("tcp-keepalive", 0, IntMax, 300),
        Int("cluster-migration-barrier", 0, IntMax, 1, Later),
        Int("active-defrag-cycle-min", 1, 99, 1, Later),
        Int("active-defrag-cycle-max", 1, 99, 25, Later),
        Int("active-defrag-threshold-lower", 0, 1000, 10, Later),
        Int("active-defrag-threshold-upper", 0, 1000, 100, Later),
        Int("lfu-log-factor", 0, IntMax, 10),
        Int("lfu-decay-time", 0, IntMax, 1),
        Int("replica-priority", 0, IntMax, 100, 0, "slave-priority"),
        Int("repl-diskless-sync-delay", 0, IntMax, 5, Later),
        Int("maxmemory-samples", 1, IntMax, 5),
        Int("maxmemory-eviction-tenacity", 0, 100, 10),
        Int("timeout", 0, IntMax, 0),
        Int("replica-announce-port", 0, 65535, 0, Later, "slave-announce-port"),
        Int("tcp-backlog", 0, IntMax, 511, Imm),
        Int("cluster-port", 0, 65535, 0, Imm | Later),
        Int("cluster-announce-bus-port", 0, 65535, 0, Later),
        Int("cluster-announce-port", 0, 65535, 0, Later),
        Int("cluster-announce-tls-port", 0, 65535, 0, Later),
        Int("repl-timeout", 1, IntMax, 60),
        Int("repl-ping-replica-period", 1, IntMax, 10, ConfigFlags.None, "repl-ping-slave-period"),
        Int("list-compress-depth", 0, IntMax, 0, Dbg),
        Int("rdb-key-save-delay", IntMin, IntMax, 0, Hidden),
        Int("key-load-delay", IntMin, IntMax, 0, Hidden),
        Int("active-expire-effort", 1, 10, 1, Later),
        Int("hz", 0, IntMax, 10),
        Int("min-replicas-to-write", 0, IntMax, 0, 0, "min-slaves-to-write"),
        Int("min-replicas-max-lag", 0, IntMax, 10, 0, "min-slaves-max-lag"),
        Int("watchdog-period", 0, IntMax, 0, Hidden | Later),
        Int("shutdown-timeout", 0, IntMax, 10, Later),
        Int("repl-diskless-sync-max-replicas", 0, IntMax, 0, Later),
        Int("maxclients", 1, UIntMax, 10000, U),
        new("unixsocketperm", ConfigType.Octal, "0", 0, Convert.ToInt64("777", 8), Flags: Imm | U),
        Int("socket-mark-id", 0, UIntMax, 0, Imm | U | Later),
        Int("active-defrag-max-scan-fields", 1, LongMax, 1000, Later),
        Int("slowlog-max-len", 0, LongMax, 128),
        Int("acllog-max-len", 0, LongMax, 128, Later),
        Int("busy-reply-threshold", 0, LongMax, 5000, ConfigFlags.None, "lua-time-limit"),
        Int("cluster-node-timeout", 0, LongMax, 15000, Later),
        Int("slowlog-log-slower-than", -1, LongMax, 10000),
        Int("latency-monitor-threshold", 0, LongMax, 0),
        Mem("proto-max-bulk-len", 1024 * 1024, LongMax, 512L * 1024 * 1024, Dbg),
        Int("stream-node-max-entries", 0, LongMax, 100),
        Mem("repl-backlog-size", 1, LongMax, 1024 * 1024),
        Mem("maxmemory", 0, ULongMax, 0, U),
        Mem("cluster-link-sendbuf-limit", 0, ULongMax, 0, U | Later),
        Int("hash-max-listpack-entries", 0, LongMax, 512, U, "hash-max-ziplist-entries"),
        Int("set-max-intset-entries", 0, LongMax, 512, U),
        Int("zset-max-listpack-entries", 0, LongMax, 128, U, "zset-max-ziplist-entries"),
        Mem("active-defrag-ignore-bytes", 1, LongMax, 100L << 20, U | Later),
        Mem("hash-max-listpack-value", 0, LongMax, 64, U, "hash-max-ziplist-value"),
        Mem("stream-node-max-bytes", 0, LongMax, 4096, U),
        Mem("zset-max-listpack-value", 0, LongMax, 64, U, "zset-max-ziplist-value"),
        Mem("hll-sparse-max-bytes", 0, LongMax, 3000, U),
        Int("tracking-table-max-keys", 0, LongMax, 1000000, U),
        Mem("client-query-buffer-limit", 1024 * 1024, LongMax, 1024L * 1024 * 1024, Dbg | U),
        Mem("maxmemory-clients", -100, LongMax, 0, ConfigFlags.Percent),
        Int("repl-backlog-ttl", 0, LongMax, 3600, Later),
        Mem("auto-aof-rewrite-min-size", 0, LongMax, 64L * 1024 * 1024),
        Int("loading-process-events-interval-bytes", 1024, IntMax, 2 * 1024 * 1024, Hidden | Later),

        // TLS (Debian builds Redis with TLS support, so these exist there).
        Int("tls-port", 0, 65535, 0, Later),
        Int("tls-session-cache-size", 0, IntMax, 20 * 1024, Later),
        Int("tls-session-cache-timeout", 0, IntMax, 300, Later),
        Bool("tls-cluster", false, Later),
        Bool("tls-replication", false, Later),
        Enum("tls-auth-clients", Names("no", "yes", "optional"), "yes", Later),
        Bool("tls-prefer-server-ciphers", false, Later),
        Bool("tls-session-caching", true, Later),
        Str("tls-cert-file", "", Null | Later),
        Str("tls-key-file", "", Null | Later),
        Str("tls-key-file-pass", "", Null | Later),
        Str("tls-client-cert-file", "", Null | Later),
        Str("tls-client-key-file", "", Null | Later),
        Str("tls-client-key-file-pass", "", Null | Later),
        Str("tls-dh-params-file", "", Null | Later),
        Str("tls-ca-cert-file", "", Null | Later),
        Str("tls-ca-cert-dir", "", Null | Later),
        Str("tls-protocols", "", Null | Later),
        Str("tls-ciphers", "", Null | Later),
        Str("tls-ciphersuites", "", Null | Later),

        // Values with their own syntax (SpecialConfigs).
        Special("dir", "", ConfigFlags.Protected | ConfigFlags.DenyLoading),
        Special("save", "3600 1 300 100 60 10000", Multi),
        Special("client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", Multi),
        Special("oom-score-adj-values", "0 200 800", Multi),
        Special("notify-keyspace-events", ""),
        Special("bind", "* -::*", Multi),
        Special("replicaof", "", Imm | Multi, "slaveof"),
        Special("latency-tracking-info-percentiles", "50 99 99.9", Multi),
    ];
}
