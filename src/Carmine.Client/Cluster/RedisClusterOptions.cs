namespace Carmine.Client;

/// <summary>How the cluster client finds the cluster and routes, redirects and retries commands.</summary>
public sealed class RedisClusterOptions
{
    /// <summary>"host:port" of one or more nodes; the rest of the cluster is learned from them.</summary>
    public List<string> Seeds { get; set; } = [];

    /// <summary>
    /// Settings every node connection shares (password, TLS, timeouts, client name, protocol); its Host, Port
    /// and Database are not used, a cluster has only database 0.
    /// </summary>
    public RedisOptions Node { get; set; } = new();

    /// <summary>Which node serves read-only commands. With anything but Master, connections send READONLY.</summary>
    public ReadFrom ReadFrom { get; set; } = ReadFrom.Master;

    /// <summary>How many MOVED or ASK redirections one command may follow.</summary>
    public int MaxRedirects { get; set; } = 5;

    /// <summary>How many times a command is retried after a connection error, CLUSTERDOWN, TRYAGAIN or a demoted master.</summary>
    public int MaxRetries { get; set; } = 20;

    /// <summary>The first delay before a retry; it doubles up to <see cref="MaxRetryBackoff"/>.</summary>
    public TimeSpan MinRetryBackoff { get; set; } = TimeSpan.FromMilliseconds(10);
    public TimeSpan MaxRetryBackoff { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the slot map is reloaded and node latencies measured when nothing asks for it sooner.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Maps an address the cluster announces ("host:port", as in CLUSTER SHARDS and MOVED) to one this
    /// client can reach (NAT, containers, port forwarding); null keeps addresses as announced.
    /// </summary>
    public Func<string, string>? NatMap { get; set; }

    /// <summary>Sets <see cref="NatMap"/> from a table; addresses not in it are kept as announced.</summary>
    public RedisClusterOptions WithNatMap(IReadOnlyDictionary<string, string> table)
    {
        var copy = new Dictionary<string, string>(table);
        NatMap = a => copy.TryGetValue(a, out var mapped) ? mapped : a;
        return this;
    }

    /// <summary>Seeds from "redis://host:port,host:port" or "host:port,host:port"; the first URL's other settings apply to every node.</summary>
    public static RedisClusterOptions Parse(string seeds)
    {
        var parts = seeds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new FormatException("no cluster node given; expected host:port[,host:port...]");
        var o = new RedisClusterOptions();
        foreach (var p in parts)
        {
            var node = RedisOptions.Parse(p.Contains("://") ? p : "redis://" + p);
            if (o.Seeds.Count == 0) o.Node = node;
            o.Seeds.Add(ClusterSlotMap.Address(node.Host, node.Port));
        }
        return o;
    }
}
