using System.Diagnostics;

namespace Carmine.Client;

/// <summary>
/// One node of the cluster as the cluster client sees it: its address, a <see cref="RedisClient"/>
/// connected on first use (again after a failed connect), and its measured round-trip time.
/// </summary>
sealed class ClusterNode(string address, RedisOptions options) : IAsyncDisposable
{
    readonly object gate = new();
    volatile Task<RedisClient>? client;
    volatile bool disposed;
    double latencyMs = double.NaN;

    public string Address { get; } = address;

    /// <summary>Known to be unreachable: its connect failed or its connection is down and reconnecting.</summary>
    public bool IsDown
    {
        get
        {
            var c = client;
            return c is not null && (c.IsFaulted || c.IsCompletedSuccessfully && !c.Result.Connection.IsConnected);
        }
    }

    /// <summary>The smoothed PING round trip in milliseconds; NaN until measured.</summary>
    public double LatencyMs => Volatile.Read(ref latencyMs);

    public Task<RedisClient> ClientAsync()
    {
        var connected = client;
        if (connected is { IsCompletedSuccessfully: true } && !disposed) return connected;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (client is null || client.IsFaulted || client.IsCanceled) client = RedisClient.ConnectAsync(options);
            return client;
        }
    }

    public async Task MeasureLatencyAsync()
    {
        try
        {
            var c = await ClientAsync().ConfigureAwait(false);
            long start = Stopwatch.GetTimestamp();
            await c.PingAsync().ConfigureAwait(false);
            double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            double old = LatencyMs;
            Volatile.Write(ref latencyMs, double.IsNaN(old) ? ms : 0.7 * old + 0.3 * ms);
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException or ObjectDisposedException or RedisServerException)
        {
            Volatile.Write(ref latencyMs, double.NaN);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task<RedisClient>? c;
        lock (gate)
        {
            disposed = true;
            c = client;
        }
        if (c is null) return;
        try { await (await c.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false); }
        catch (Exception e) when (e is RedisConnectionException or RedisServerException or ObjectDisposedException) { }
    }
}
