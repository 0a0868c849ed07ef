using System.Text;
using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>What the cluster client must know of a command to route it: whether it only reads, and where its keys are.</summary>
/// <param name="First">Position of the first key (0: no keys).</param>
/// <param name="Last">Position of the last key; negative counts from the end (-1 is the last argument).</param>
/// <param name="Step">Distance between keys (2 for MSET's key value pairs).</param>
sealed record CommandSpec(bool ReadOnly, int First, int Last, int Step);

/// <summary>
/// Key positions and read-only flags of commands, read from the servers' COMMAND reply so every command
/// the server knows is routed by its own metadata; a built-in table covers servers without COMMAND.
/// Commands whose keys are found through a count or a keyword (EVAL, ZUNIONSTORE, XREAD) are handled here by name.
/// </summary>
sealed class ClusterCommandTable
{
    readonly Dictionary<string, CommandSpec> specs;
    // Commands with subcommands ("config", "object"): only for these is "name|sub" looked up.
    readonly HashSet<string> containers;

    ClusterCommandTable(Dictionary<string, CommandSpec> specs)
    {
        this.specs = specs;
        containers = new HashSet<string>(specs.Keys.Where(k => k.Contains('|')).Select(k => k[..k.IndexOf('|')]), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The table from a COMMAND reply, subcommands named "object|encoding" as Redis names them.</summary>
    public static ClusterCommandTable FromCommandReply(RespValue reply)
    {
        var specs = new Dictionary<string, CommandSpec>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in reply.Items ?? []) Add(specs, entry);
        return new ClusterCommandTable(specs);
    }

    static void Add(Dictionary<string, CommandSpec> specs, RespValue entry)
    {
        if (entry.Items is not { Length: >= 6 } e || e[0].Text is not { } name) return;
        bool readOnly = e[2].Items?.Any(f => f.Text == "readonly") == true;
        specs[name] = new CommandSpec(readOnly, (int)e[3].Integer, (int)e[4].Integer, (int)e[5].Integer);
        if (e.Length >= 10)
            foreach (var sub in e[9].Items ?? []) Add(specs, sub);
    }

    public static ClusterCommandTable BuiltIn { get; } = new(BuildBuiltIn());

    static Dictionary<string, CommandSpec> BuildBuiltIn()
    {
        var specs = new Dictionary<string, CommandSpec>(StringComparer.OrdinalIgnoreCase);
        string[] reads =
        [
            "get", "getrange", "strlen", "mget", "exists", "ttl", "pttl", "type", "dump", "getbit", "bitcount", "bitpos",
            "hget", "hmget", "hgetall", "hexists", "hlen", "hkeys", "hvals", "hstrlen", "hrandfield", "hscan",
            "llen", "lrange", "lindex", "lpos", "sismember", "smismember", "scard", "smembers", "srandmember", "sscan",
            "sinter", "sunion", "sdiff", "zscore", "zmscore", "zcard", "zrank", "zrevrank", "zrange", "zrangebyscore",
            "zrevrange", "zrevrangebyscore", "zrangebylex", "zcount", "zlexcount", "zscan", "xrange", "xrevrange", "xlen",
        ];
        foreach (var r in reads) specs[r] = new CommandSpec(true, 1, 1, 1);
        foreach (var r in new[] { "mget", "exists", "sinter", "sunion", "sdiff" }) specs[r] = new CommandSpec(true, 1, -1, 1);
        foreach (var w in new[] { "del", "unlink", "touch", "watch", "sinterstore", "sunionstore", "sdiffstore", "pfcount", "pfmerge" })
            specs[w] = new CommandSpec(false, 1, -1, 1);
        foreach (var w in new[] { "mset", "msetnx" }) specs[w] = new CommandSpec(false, 1, -1, 2);
        foreach (var w in new[] { "rename", "renamenx", "smove", "rpoplpush", "lmove", "blmove", "copy" }) specs[w] = new CommandSpec(false, 1, 2, 1);
        foreach (var w in new[] { "blpop", "brpop", "bzpopmin", "bzpopmax" }) specs[w] = new CommandSpec(false, 1, -2, 1);
        string[] keyless =
        [
            "ping", "echo", "info", "config", "dbsize", "flushdb", "flushall", "publish", "keys", "scan", "randomkey",
            "script", "function", "command", "cluster", "time", "client", "hello", "auth", "select", "readonly", "readwrite",
        ];
        foreach (var k in keyless) specs[k] = new CommandSpec(false, 0, 0, 0);
        return specs;
    }

    /// <summary>The spec of a command as sent: "CONFIG GET" finds "config|get" when the table has subcommands.</summary>
    public CommandSpec Find(byte[][] args)
    {
        string name = Encoding.UTF8.GetString(args[0]);
        if (args.Length > 1 && containers.Contains(name) && specs.TryGetValue(name + "|" + Encoding.UTF8.GetString(args[1]), out var sub)) return sub;
        if (specs.TryGetValue(name, out var spec)) return spec;
        // Unknown to us and to the server's table: most commands take their key first.
        return new CommandSpec(false, args.Length > 1 ? 1 : 0, 1, 1);
    }

    public bool IsReadOnly(byte[][] args) => Find(args).ReadOnly;

    /// <summary>The arguments of <paramref name="args"/> that are keys.</summary>
    public List<byte[]> Keys(byte[][] args)
    {
        var keys = new List<byte[]>();
        string name = Encoding.UTF8.GetString(args[0]).ToUpperInvariant();
        switch (name)
        {
            // The number of keys precedes them (and, for the *STORE forms, follows a destination key).
            case "EVAL" or "EVALSHA" or "EVAL_RO" or "EVALSHA_RO" or "FCALL" or "FCALL_RO" or "BLMPOP" or "BZMPOP":
                AddCounted(keys, args, 2);
                return keys;
            case "ZUNION" or "ZINTER" or "ZDIFF" or "SINTERCARD" or "ZINTERCARD" or "LMPOP" or "ZMPOP":
                AddCounted(keys, args, 1);
                return keys;
            case "ZUNIONSTORE" or "ZINTERSTORE" or "ZDIFFSTORE":
                if (args.Length > 1) keys.Add(args[1]);
                AddCounted(keys, args, 2);
                return keys;
            case "XREAD" or "XREADGROUP":
                // After STREAMS come the keys, then as many IDs.
                int streams = Array.FindIndex(args, a => Encoding.UTF8.GetString(a).Equals("STREAMS", StringComparison.OrdinalIgnoreCase));
                if (streams > 0)
                {
                    int n = (args.Length - streams - 1) / 2;
                    for (int i = 0; i < n; i++) keys.Add(args[streams + 1 + i]);
                }
                return keys;
            case "SORT" or "SORT_RO":
                if (args.Length > 1) keys.Add(args[1]);
                for (int i = 2; i + 1 < args.Length; i++)
                    if (Encoding.UTF8.GetString(args[i]).Equals("STORE", StringComparison.OrdinalIgnoreCase)) keys.Add(args[i + 1]);
                return keys;
        }
        var spec = Find(args);
        if (spec.First <= 0 || spec.First >= args.Length) return keys;
        int last = spec.Last < 0 ? args.Length + spec.Last : Math.Min(spec.Last, args.Length - 1);
        int step = Math.Max(1, spec.Step);
        for (int i = spec.First; i <= last; i += step) keys.Add(args[i]);
        return keys;
    }

    static void AddCounted(List<byte[]> keys, byte[][] args, int countAt)
    {
        if (args.Length <= countAt || !int.TryParse(Encoding.UTF8.GetString(args[countAt]), out int n)) return;
        for (int i = countAt + 1; i < args.Length && i <= countAt + n; i++) keys.Add(args[i]);
    }
}
