namespace Carmine.Server.Config;

/// <summary>Every directive of Redis 7.0's redis.conf, with Redis's types, defaults and bounds.</summary>
public static class ConfigDirectives
{
    const ConfigFlags Imm = ConfigFlags.Immutable;
    const ConfigFlags Later = ConfigFlags.NotActedOn;

    public static readonly ConfigDirective[] All =
    [
        new("port", ConfigType.Int, "6379", 0, 65535),
        new("bind", ConfigType.Special, "* -::*", Flags: ConfigFlags.MultiArg),
        new("unixsocket", ConfigType.String, "", Flags: Imm),
        new("unixsocketperm", ConfigType.Special, "0", Flags: Imm),
        new("databases", ConfigType.Int, "16", 1, int.MaxValue, Flags: Imm),
        new("daemonize", ConfigType.Bool, "no", Flags: Imm),
        new("logfile", ConfigType.String, "", Flags: Imm),
        new("loglevel", ConfigType.Enum, "notice", EnumValues: ["debug", "verbose", "notice", "warning", "nothing"]),
        new("dir", ConfigType.Special, "."),
        new("requirepass", ConfigType.String, "", Flags: ConfigFlags.Sensitive),
        new("maxclients", ConfigType.Int, "10000", 1, int.MaxValue),
        new("timeout", ConfigType.Int, "0", 0, int.MaxValue),
        new("proto-max-bulk-len", ConfigType.Memory, "536870912", 1024 * 1024, long.MaxValue),
        new("client-query-buffer-limit", ConfigType.Memory, "1073741824", 1024 * 1024, long.MaxValue),
        new("hz", ConfigType.Int, "10", 0, int.MaxValue),
        new("save", ConfigType.Special, "3600 1 300 100 60 10000", Flags: ConfigFlags.MultiArg | Later),
        new("appendonly", ConfigType.Bool, "no", Flags: Later),
        new("enable-debug-command", ConfigType.Enum, "no", EnumValues: ["no", "yes", "local"], Flags: Imm),
        new("enable-protected-configs", ConfigType.Enum, "no", EnumValues: ["no", "yes", "local"], Flags: Imm),
        new("enable-module-command", ConfigType.Enum, "no", EnumValues: ["no", "yes", "local"], Flags: Imm),
        new("always-show-logo", ConfigType.Bool, "no", Flags: Imm),
        new("slowlog-log-slower-than", ConfigType.Int, "10000", -1, long.MaxValue),
        new("slowlog-max-len", ConfigType.Int, "128", 0, long.MaxValue),
        new("latency-monitor-threshold", ConfigType.Int, "0", 0, long.MaxValue),
        new("protected-mode", ConfigType.Bool, "yes"),
        new("tcp-keepalive", ConfigType.Int, "300", 0, int.MaxValue),
        new("client-output-buffer-limit", ConfigType.Special, "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", Flags: ConfigFlags.MultiArg),
        new("notify-keyspace-events", ConfigType.Special, ""),
        new("list-max-listpack-size", ConfigType.Int, "-2", int.MinValue, int.MaxValue, Alias: "list-max-ziplist-size"),
        new("list-compress-depth", ConfigType.Int, "0", 0, int.MaxValue),
        new("tcp-backlog", ConfigType.Int, "511", 0, int.MaxValue, Flags: Imm),
    ];
}
