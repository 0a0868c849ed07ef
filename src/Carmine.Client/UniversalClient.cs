namespace Carmine.Client;

/// <summary>
/// Options for <see cref="UniversalClient"/>, which picks the kind of client from them as go-redis's
/// NewUniversalClient does: a master name means Sentinel, several addresses mean Cluster, one address a single server.
/// </summary>
public sealed class UniversalOptions
{
    /// <summary>host:port of the server, of cluster nodes (seeds), or of the sentinels when <see cref="MasterName"/> is set.</summary>
    public List<string> Addresses { get; set; } = [];
    /// <summary>The name the sentinels monitor; set, the client is a <see cref="FailoverClient"/>.</summary>
    public string? MasterName { get; set; }
    /// <summary>Connection settings shared by every node (password, database, TLS, timeouts, protocol).</summary>
    public RedisOptions Redis { get; set; } = new();
    /// <summary>Which node serves reads in a Sentinel or Cluster setup.</summary>
    public ReadFrom ReadFrom { get; set; } = ReadFrom.Master;
    /// <summary>Forces a cluster client for a single seed address.</summary>
    public bool Cluster { get; set; }
}

/// <summary>The kind of client <see cref="UniversalClient"/> chose.</summary>
public enum UniversalKind
{
    Single,
    Failover,
    Cluster,
}

/// <summary>
/// The client that fits <see cref="UniversalOptions"/>: <see cref="Commands"/> is a <see cref="RedisClient"/>,
/// a <see cref="FailoverClient"/> or a <see cref="RedisClusterClient"/>, all with the same typed API.
/// </summary>
public sealed class UniversalClient : IAsyncDisposable, IDisposable
{
    readonly IAsyncDisposable inner;

    UniversalClient(RedisCommands commands, IAsyncDisposable inner, UniversalKind kind)
    {
        Commands = commands;
        this.inner = inner;
        Kind = kind;
    }

    public RedisCommands Commands { get; }
    public UniversalKind Kind { get; }

    public static async Task<UniversalClient> ConnectAsync(UniversalOptions options)
    {
        if (options.Addresses.Count == 0) throw new ArgumentException("no address given", nameof(options));
        if (options.MasterName is { Length: > 0 } name)
        {
            var failover = await FailoverClient.ConnectAsync(new FailoverOptions
            {
                MasterName = name,
                Sentinels = [.. options.Addresses],
                Redis = options.Redis.Clone(),
                ReadFrom = options.ReadFrom,
            }).ConfigureAwait(false);
            return new UniversalClient(failover, failover, UniversalKind.Failover);
        }
        if (options.Addresses.Count > 1 || options.Cluster)
        {
            var cluster = await RedisClusterClient.ConnectAsync(new RedisClusterOptions
            {
                Seeds = [.. options.Addresses],
                Node = options.Redis.Clone(),
                ReadFrom = options.ReadFrom,
            }).ConfigureAwait(false);
            return new UniversalClient(cluster, cluster, UniversalKind.Cluster);
        }
        var single = options.Redis.Clone();
        var address = RedisOptions.Parse(options.Addresses[0].Contains("://") ? options.Addresses[0] : "redis://" + options.Addresses[0]);
        single.Host = address.Host;
        single.Port = address.Port;
        var client = await RedisClient.ConnectAsync(single).ConfigureAwait(false);
        return new UniversalClient(client, client, UniversalKind.Single);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    public void Dispose() => inner.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
