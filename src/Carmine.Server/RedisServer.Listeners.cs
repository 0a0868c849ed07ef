using Carmine.Server.Network;

namespace Carmine.Server;

public sealed partial class RedisServer
{
    readonly object listenerGate = new();

    /// <summary>
    /// Binds <paramref name="port"/> on every bind address, as Redis's listenToPort: an address marked optional
    /// ("-::*") or of an unsupported family is skipped; any other failure closes what was opened and returns null.
    /// </summary>
    List<Listener>? OpenTcpListeners(int port)
    {
        int backlog = Config.GetInt("tcp-backlog");
        var opened = new List<Listener>();
        foreach (var raw in Config.GetString("bind").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            bool optional = raw.StartsWith('-');
            string addr = optional ? raw[1..] : raw;
            var listener = Listener.OpenTcp(this, addr, port, backlog, out string? error);
            if (listener is not null)
            {
                opened.Add(listener);
                continue;
            }
            Log.Warning($"Warning: Could not create server TCP listening socket {addr}:{port}: bind: {error}");
            error ??= "";
            if (optional && error.Contains("Cannot assign requested address")) continue;
            if (error.Contains("not supported") || error.Contains("Protocol not available")) continue;
            foreach (var l in opened) l.Close();
            return null;
        }
        return opened;
    }

    /// <summary>Registers a listener with a loop; the loop's own thread is the one that may change its epoll set.</summary>
    static void Watch(EventLoop loop, Listener l)
    {
        l.Loop = loop;
        loop.Register(l, Native.EPOLLIN);
    }

    /// <summary>
    /// Closes the TCP listeners and listens again with the current port and bind addresses, as Redis does on
    /// CONFIG SET port/bind. Port 0 leaves the server without TCP listeners.
    /// </summary>
    string? Relisten(string failure)
    {
        lock (listenerGate)
        {
            foreach (var l in listeners.Where(l => !l.IsUnix).ToList())
            {
                l.Loop?.Unregister(l);
                l.Close();
                listeners.Remove(l);
            }
            TcpPort = 0;
            int port = Config.GetInt("port");
            if (port == 0) return null;
            var opened = OpenTcpListeners(port);
            if (opened is null) return failure;
            var current = loops.FirstOrDefault(l => l.OnLoopThread);
            foreach (var l in opened)
            {
                listeners.Add(l);
                if (current is not null) Watch(current, l);
                else loops[0].Post(() => Watch(loops[0], l));
            }
            TcpPort = port;
            return null;
        }
    }
}
