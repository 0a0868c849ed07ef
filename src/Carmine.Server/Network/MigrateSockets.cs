using System.Net.Sockets;
using Carmine.Protocol;

namespace Carmine.Server.Network;

/// <summary>
/// MIGRATE's connections to target servers, kept for reuse as Redis does and closed after 10 seconds unused
/// (INFO's migrate_cached_sockets counts them).
/// </summary>
public static class MigrateSockets
{
    const long IdleTtlMs = 10_000;
    const int MaxCached = 64;

    public sealed class Connection(Socket socket)
    {
        readonly byte[] buffer = new byte[64 * 1024];
        int start, end;

        public long LastDb = -1;
        public long LastUseMs = Clock.NowMs();

        public void Send(ReadOnlySpan<byte> data, int timeoutMs)
        {
            socket.SendTimeout = timeoutMs;
            while (data.Length > 0) data = data[socket.Send(data)..];
        }

        public RespValue Read(int timeoutMs)
        {
            socket.ReceiveTimeout = timeoutMs;
            while (true)
            {
                if (end > start && RespReader.TryRead(buffer.AsSpan(start, end - start), out var value, out int used))
                {
                    start += used;
                    LastUseMs = Clock.NowMs();
                    return value;
                }
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                if (end == buffer.Length) throw new IOException("reply too large");
                int n = socket.Receive(buffer, end, buffer.Length - end, SocketFlags.None);
                if (n == 0) throw new IOException("connection closed by the target");
                end += n;
            }
        }

        public void Close() => socket.Dispose();
    }

    static readonly Dictionary<string, Connection> cache = [];

    public static int Count
    {
        get { lock (cache) return cache.Count; }
    }

    /// <summary>A cached connection to host:port, or a new one made within <paramref name="timeoutMs"/>; null if it cannot connect.</summary>
    public static Connection? Get(string host, string port, int timeoutMs)
    {
        string name = host + ":" + port;
        lock (cache)
        {
            if (cache.TryGetValue(name, out var c))
            {
                c.LastUseMs = Clock.NowMs();
                return c;
            }
        }
        if (!int.TryParse(port, out int p)) return null;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var cts = new CancellationTokenSource(timeoutMs);
            socket.ConnectAsync(host, p, cts.Token).AsTask().Wait();
        }
        catch (AggregateException)
        {
            socket.Dispose();
            return null;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
        var conn = new Connection(socket);
        lock (cache)
        {
            if (cache.Count >= MaxCached)
            {
                var victim = cache.First();
                victim.Value.Close();
                cache.Remove(victim.Key);
            }
            cache[name] = conn;
        }
        return conn;
    }

    public static void Close(string host, string port)
    {
        lock (cache)
            if (cache.Remove(host + ":" + port, out var c)) c.Close();
    }

    /// <summary>The cron's sweep: closes connections unused for 10 seconds.</summary>
    public static void CloseIdle()
    {
        long now = Clock.NowMs();
        lock (cache)
        {
            foreach (var (name, c) in cache.Where(kv => now - kv.Value.LastUseMs > IdleTtlMs).ToList())
            {
                c.Close();
                cache.Remove(name);
            }
        }
    }
}
