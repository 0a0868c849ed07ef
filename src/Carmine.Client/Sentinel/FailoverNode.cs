using System.Diagnostics;

namespace Carmine.Client;

/// <summary>A master or replica the failover client holds a connection to, and what it knows of the node's health.</summary>
sealed class FailoverNode(string host, int port, RedisConnection connection)
{
    double latencyMs = double.NaN;

    public string EndPoint { get; } = $"{host}:{port}";
    public RedisConnection Connection { get; } = connection;
    /// <summary>A sentinel reported the replica down (+sdown, or flags in SENTINEL REPLICAS) and has not reported it up since.</summary>
    public volatile bool DownBySentinel;
    /// <summary>The master answered READONLY or ROLE slave: it was demoted, so commands wait for the new master instead.</summary>
    public volatile bool Demoted;

    public bool IsUp => !DownBySentinel && Connection.IsConnected;

    /// <summary>Smoothed PING round trip in milliseconds; NaN until measured.</summary>
    public double LatencyMs => Volatile.Read(ref latencyMs);

    public async Task MeasureLatencyAsync(TimeSpan limit)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            await Connection.SendAsync(Args.Encode("PING")).WaitAsync(limit).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or RedisConnectionException or ObjectDisposedException)
        {
            // A node that does not answer in time is as slow as the limit.
        }
        double sample = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        double old = LatencyMs;
        Volatile.Write(ref latencyMs, double.IsNaN(old) ? sample : 0.7 * old + 0.3 * sample);
    }

    /// <summary>The first word of ROLE ("master", "slave"), or null when the node did not answer within the limit.</summary>
    public static async Task<string?> RoleAsync(RedisConnection connection, TimeSpan limit)
    {
        try
        {
            var r = await connection.SendAsync(Args.Encode("ROLE")).WaitAsync(limit).ConfigureAwait(false);
            return r.Items is { Length: > 0 } items ? items[0].Text : null;
        }
        catch (Exception e) when (e is TimeoutException or RedisConnectionException or ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>Connects within <paramref name="limit"/>; a connect still going on after that is closed when it completes.</summary>
    public static async Task<RedisConnection> ConnectAsync(RedisOptions options, TimeSpan limit, CancellationToken token)
    {
        var connecting = RedisConnection.ConnectAsync(options);
        try
        {
            return await connecting.WaitAsync(limit, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            _ = connecting.ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully) t.Result.Dispose();
                else _ = t.Exception;
            }, TaskScheduler.Default);
            if (e is OperationCanceledException) throw;
            throw new RedisConnectionException($"cannot connect to {options.EndPoint} within {limit.TotalMilliseconds:F0} ms", e);
        }
    }
}
