using System.Globalization;
using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>
/// A connection to one Redis Sentinel and its SENTINEL commands, typed (as go-redis's SentinelClient).
/// Sentinel events (+switch-master, +sdown, ...) are pub/sub messages: see <see cref="SubscriberAsync"/>.
/// </summary>
public sealed class SentinelClient : IAsyncDisposable, IDisposable
{
    readonly RedisConnection connection;

    SentinelClient(RedisConnection connection) => this.connection = connection;

    public static Task<SentinelClient> ConnectAsync(string connectionString) => ConnectAsync(RedisOptions.Parse(connectionString));

    public static async Task<SentinelClient> ConnectAsync(RedisOptions options) =>
        new(await RedisConnection.ConnectAsync(options).ConfigureAwait(false));

    public RedisConnection Connection => connection;

    /// <summary>Any command, its reply returned as parsed; an error reply throws <see cref="RedisServerException"/>.</summary>
    public async Task<RespValue> ExecuteAsync(string command, params object[] args) =>
        Reply.Check(await connection.SendAsync(Args.Encode([command, .. args])).ConfigureAwait(false));

    async Task<T> Sentinel<T>(Func<RespValue, T> convert, params object[] args) =>
        convert(await connection.SendAsync(Args.Encode(["SENTINEL", .. args])).ConfigureAwait(false));

    public async Task<string> PingAsync() => Reply.String(await ExecuteAsync("PING").ConfigureAwait(false))!;

    public async Task<string> InfoAsync(string? section = null) =>
        Reply.String(await (section is null ? ExecuteAsync("INFO") : ExecuteAsync("INFO", section)).ConfigureAwait(false))!;

    /// <summary>SENTINEL GET-MASTER-ADDR-BY-NAME: where the master is now, or null when the name is not monitored.</summary>
    public Task<(string Host, int Port)?> GetMasterAddrByNameAsync(string masterName) => Sentinel(r =>
        Reply.Check(r).IsNull || r.Items is not { Length: 2 } a
            ? ((string, int)?)null
            : (Reply.String(a[0])!, int.Parse(Reply.String(a[1])!, CultureInfo.InvariantCulture)),
        "GET-MASTER-ADDR-BY-NAME", masterName);

    /// <summary>SENTINEL MASTERS: every monitored master and its state.</summary>
    public Task<SentinelInstance[]> MastersAsync() => Sentinel(SentinelInstance.List, "MASTERS");

    /// <summary>SENTINEL MASTER: the state of one monitored master.</summary>
    public Task<SentinelInstance> MasterAsync(string masterName) => Sentinel(r => new SentinelInstance(Reply.Map(r)), "MASTER", masterName);

    /// <summary>SENTINEL REPLICAS: the replicas of a master with their flags (s_down, disconnected, ...).</summary>
    public Task<SentinelInstance[]> ReplicasAsync(string masterName) => Sentinel(SentinelInstance.List, "REPLICAS", masterName);

    /// <summary>SENTINEL SENTINELS: the other sentinels watching the master (this one not included).</summary>
    public Task<SentinelInstance[]> SentinelsAsync(string masterName) => Sentinel(SentinelInstance.List, "SENTINELS", masterName);

    /// <summary>SENTINEL CKQUORUM: "OK n usable Sentinels. ..."; throws with NOQUORUM when a failover could not be authorized.</summary>
    public Task<string> CkQuorumAsync(string masterName) => Sentinel(r => Reply.String(r)!, "CKQUORUM", masterName);

    /// <summary>SENTINEL FAILOVER: promotes a replica without asking the other sentinels; throws INPROG or NOGOODSLAVE.</summary>
    public Task<bool> FailoverAsync(string masterName) => Sentinel(Reply.Ok, "FAILOVER", masterName);

    /// <summary>SENTINEL RESET: forgets the replicas and sentinels of the masters matching a glob pattern; returns how many.</summary>
    public Task<long> ResetAsync(string pattern) => Sentinel(Reply.Integer, "RESET", pattern);

    /// <summary>SENTINEL MONITOR: starts watching a master.</summary>
    public Task<bool> MonitorAsync(string masterName, string host, int port, int quorum) =>
        Sentinel(Reply.Ok, "MONITOR", masterName, host, port, quorum);

    /// <summary>SENTINEL REMOVE: stops watching a master.</summary>
    public Task<bool> RemoveAsync(string masterName) => Sentinel(Reply.Ok, "REMOVE", masterName);

    /// <summary>SENTINEL SET: changes options of a monitored master (down-after-milliseconds, quorum, auth-pass, ...).</summary>
    public Task<bool> SetAsync(string masterName, params (string Option, object Value)[] options) =>
        Sentinel(Reply.Ok, ["SET", masterName, .. options.SelectMany(o => new[] { o.Option, o.Value })]);

    /// <summary>SENTINEL FLUSHCONFIG: rewrites the sentinel's configuration file.</summary>
    public Task<bool> FlushConfigAsync() => Sentinel(Reply.Ok, "FLUSHCONFIG");

    /// <summary>SENTINEL MYID: this sentinel's run id.</summary>
    public Task<string> MyIdAsync() => Sentinel(r => Reply.String(r)!, "MYID");

    /// <summary>SENTINEL CONFIG GET: the sentinel's own settings (resolve-hostnames, announce-ip, ...) matching a glob.</summary>
    public Task<Dictionary<string, string>> ConfigGetAsync(string pattern) => Sentinel(Reply.Map, "CONFIG", "GET", pattern);

    /// <summary>SENTINEL CONFIG SET: changes one of the sentinel's own settings.</summary>
    public Task<bool> ConfigSetAsync(string parameter, object value) => Sentinel(Reply.Ok, "CONFIG", "SET", parameter, value);

    /// <summary>A pub/sub connection to this sentinel, for its events: +switch-master, +sdown, -sdown, +odown, ...</summary>
    public Task<RedisSubscriber> SubscriberAsync() => RedisSubscriber.ConnectAsync(connection.Options);

    public void Dispose() => connection.Dispose();

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
