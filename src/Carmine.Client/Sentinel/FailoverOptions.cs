using System.Globalization;

namespace Carmine.Client;

/// <summary>How a <see cref="FailoverClient"/> finds its master: the name the sentinels monitor and where the sentinels are.</summary>
public sealed class FailoverOptions
{
    /// <summary>The master's name in the sentinels' configuration (sentinel monitor &lt;name&gt; ...).</summary>
    public string MasterName { get; set; } = "mymaster";
    /// <summary>Sentinel addresses as host:port ([::1]:26379 for IPv6); asked in order, the last one that answered first.</summary>
    public List<string> Sentinels { get; set; } = [];
    /// <summary>Settings for the connections to the master and replicas (password, database, timeouts, TLS); Host and Port are ignored.</summary>
    public RedisOptions Redis { get; set; } = new();
    /// <summary>Credentials for the sentinels, which often differ from the data nodes'.</summary>
    public string? SentinelUser { get; set; }
    public string? SentinelPassword { get; set; }
    /// <summary>Bound on each step of finding the master: one sentinel query, one connect and ROLE check of a candidate.</summary>
    public TimeSpan SentinelTimeout { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>Which node serves read-only commands.</summary>
    public ReadFrom ReadFrom { get; set; } = ReadFrom.Master;
    /// <summary>How often the master's role, the replica list (SENTINEL REPLICAS) and the nodes' round-trip times are checked.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>
    /// Subscribes to the sentinels' events (+switch-master, +sdown, ...) to follow a failover as it happens. Turn it off
    /// when the sentinel user may not SUBSCRIBE: the client then notices a failover through lost connections,
    /// READONLY errors and the periodic refresh.
    /// </summary>
    public bool SubscribeToSentinelEvents { get; set; } = true;

    internal RedisOptions SentinelOptions(string address)
    {
        var o = NodeOptions(ParseAddress(address));
        o.User = SentinelUser;
        o.Password = SentinelPassword;
        o.Database = 0;
        o.ConnectTimeout = SentinelTimeout;
        o.ResponseTimeout = SentinelTimeout;
        return o;
    }

    internal RedisOptions NodeOptions((string Host, int Port) endPoint)
    {
        var o = Redis.Clone();
        o.UnixSocket = null;
        o.Host = endPoint.Host;
        o.Port = endPoint.Port;
        return o;
    }

    /// <summary>host:port, with IPv6 hosts in brackets.</summary>
    internal static (string Host, int Port) ParseAddress(string address)
    {
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is 0 or > 65535)
            throw new FormatException($"sentinel address '{address}' is not host:port");
        return (address[..colon].Trim('[', ']'), port);
    }
}
