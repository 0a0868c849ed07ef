using System.Globalization;
using System.Net.Security;

namespace Carmine.Client;

/// <summary>Where and how to connect: parsed from a redis://, rediss:// or unix:// connection string, or set directly.</summary>
public sealed class RedisOptions
{
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 6379;
    /// <summary>A Unix socket path; when set, Host and Port are not used.</summary>
    public string? UnixSocket { get; set; }
    public bool Tls { get; set; }
    /// <summary>TLS settings (trusted certificates, client certificate); the target host defaults to <see cref="Host"/>.</summary>
    public SslClientAuthenticationOptions? TlsOptions { get; set; }
    public string? User { get; set; }
    public string? Password { get; set; }
    public int Database { get; set; }
    public string? ClientName { get; set; }
    /// <summary>2 for RESP2, 3 to send HELLO 3 on connect.</summary>
    public int Protocol { get; set; } = 2;
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>How long a command may wait for its reply (including time spent waiting for a reconnect).</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>TCP keep-alive idle time; zero turns keep-alive off.</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>First delay between reconnect attempts; it doubles up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan MinReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(50);
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(2);
    /// <summary>At most this many dedicated connections (blocking commands, WATCH transactions) are open at once.</summary>
    public int PoolSize { get; set; } = 10;
    /// <summary>How long a lease waits for a dedicated connection when all <see cref="PoolSize"/> are in use.</summary>
    public TimeSpan PoolTimeout { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>An idle pooled connection older than this is closed instead of reused; zero keeps them forever.</summary>
    public TimeSpan PoolIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>Sends READONLY on connect, so a cluster replica serves reads (set by the cluster client).</summary>
    internal bool ReadOnly { get; set; }

    public string EndPoint => UnixSocket is not null ? "unix:" + UnixSocket : $"{Host}:{Port}";

    public RedisOptions Clone() => (RedisOptions)MemberwiseClone();

    /// <summary>Parses redis://[user][:password@]host[:port][/db], rediss://... (TLS) and unix:///path?db=N.</summary>
    public static RedisOptions Parse(string connectionString)
    {
        if (!Uri.TryCreate(connectionString, UriKind.Absolute, out var uri))
            throw new FormatException($"'{connectionString}' is not a connection string; expected redis://host:port/db or unix:///path");
        var o = new RedisOptions();
        switch (uri.Scheme)
        {
            case "redis":
            case "rediss":
                o.Tls = uri.Scheme == "rediss";
                if (uri.Host.Length > 0) o.Host = uri.Host.Trim('[', ']');
                if (!uri.IsDefaultPort) o.Port = uri.Port;
                string path = uri.AbsolutePath.Trim('/');
                if (path.Length > 0) o.Database = ParseDb(path, connectionString);
                break;
            case "unix":
                if (uri.AbsolutePath.Length <= 1)
                    throw new FormatException($"'{connectionString}' names no socket path; expected unix:///path/to/redis.sock");
                o.UnixSocket = Uri.UnescapeDataString(uri.AbsolutePath);
                break;
            default:
                throw new FormatException($"unknown scheme '{uri.Scheme}' in '{connectionString}'; use redis://, rediss:// or unix://");
        }
        if (uri.UserInfo.Length > 0)
        {
            int colon = uri.UserInfo.IndexOf(':');
            string user = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon < 0)
            {
                // redis://secret@host is a password alone, as redis-cli -u reads it.
                o.Password = user;
            }
            else
            {
                if (user.Length > 0) o.User = user;
                o.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            string name = eq < 0 ? pair : pair[..eq];
            string value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            switch (name)
            {
                case "db": o.Database = ParseDb(value, connectionString); break;
                case "protocol": o.Protocol = value == "3" ? 3 : value == "2" ? 2 : throw new FormatException($"protocol must be 2 or 3, not '{value}'"); break;
                case "client_name": o.ClientName = value; break;
                case "connect_timeout": o.ConnectTimeout = ParseSeconds(value, name); break;
                case "response_timeout": o.ResponseTimeout = ParseSeconds(value, name); break;
                case "keep_alive": o.KeepAlive = ParseSeconds(value, name); break;
                case "pool_size": o.PoolSize = ParsePoolSize(value); break;
                case "pool_timeout": o.PoolTimeout = ParseSeconds(value, name); break;
                case "pool_idle_timeout": o.PoolIdleTimeout = ParseSeconds(value, name); break;
                default: throw new FormatException($"unknown option '{name}' in '{connectionString}'");
            }
        }
        return o;
    }

    static int ParseDb(string s, string cs) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int db)
            ? db
            : throw new FormatException($"database '{s}' in '{cs}' is not a number");

    static int ParsePoolSize(string s) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : throw new FormatException($"pool_size must be a positive number, not '{s}'");

    static TimeSpan ParseSeconds(string s, string name) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double sec) && sec >= 0
            ? TimeSpan.FromSeconds(sec)
            : throw new FormatException($"{name} must be a number of seconds, not '{s}'");
}
