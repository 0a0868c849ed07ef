using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Carmine.Server.Network;

/// <summary>A listening socket (TCP or Unix) registered on the first event loop; it hands accepted connections to every loop in turn.</summary>
sealed unsafe class Listener : IEventHandler
{
    readonly RedisServer server;
    readonly bool unix;
    int nextLoop;

    public int Fd { get; }

    Listener(RedisServer server, int fd, bool unix)
    {
        this.server = server;
        Fd = fd;
        this.unix = unix;
    }

    /// <summary>Binds a TCP address ("*" and "::*" for any); returns null with the reason on failure.</summary>
    public static Listener? OpenTcp(RedisServer server, string address, int port, int backlog, out string? error)
    {
        error = null;
        IPAddress ip;
        if (address == "*") ip = IPAddress.Any;
        else if (address == "::*") ip = IPAddress.IPv6Any;
        else if (!IPAddress.TryParse(address, out ip!))
        {
            error = "Invalid argument";
            return null;
        }
        int family = ip.AddressFamily == AddressFamily.InterNetworkV6 ? Native.AF_INET6 : Native.AF_INET;
        int fd = Native.socket(family, Native.SOCK_STREAM | Native.SOCK_NONBLOCK | Native.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            error = Native.ErrorText(Native.Errno);
            return null;
        }
        Native.SetInt(fd, Native.SOL_SOCKET, Native.SO_REUSEADDR, 1);
        if (family == Native.AF_INET6) Native.SetInt(fd, Native.IPPROTO_IPV6, Native.IPV6_V6ONLY, 1);
        Span<byte> sa = stackalloc byte[128];
        int len = Native.WriteSockAddr(new IPEndPoint(ip, port), sa);
        fixed (byte* p = sa)
        {
            if (Native.bind(fd, p, len) != 0 || Native.listen(fd, backlog) != 0)
            {
                error = Native.ErrorText(Native.Errno);
                Native.close(fd);
                return null;
            }
        }
        return new Listener(server, fd, false);
    }

    public static Listener? OpenUnix(RedisServer server, string path, long perm, int backlog, out string? error)
    {
        error = null;
        var pathBytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* pp = pathBytes) Native.unlink(pp);
        int fd = Native.socket(Native.AF_UNIX, Native.SOCK_STREAM | Native.SOCK_NONBLOCK | Native.SOCK_CLOEXEC, 0);
        Span<byte> sa = stackalloc byte[128];
        if (path.Length > 100)
        {
            error = "unix socket path too long";
            return null;
        }
        int len = Native.WriteUnixAddr(path, sa);
        fixed (byte* p = sa)
        {
            if (Native.bind(fd, p, len) != 0 || Native.listen(fd, backlog) != 0)
            {
                error = Native.ErrorText(Native.Errno);
                Native.close(fd);
                return null;
            }
        }
        if (perm != 0)
            fixed (byte* pp = pathBytes) Native.chmod(pp, (uint)perm);
        return new Listener(server, fd, true);
    }

    public int Port => Native.BoundPort(Fd);

    public bool IsUnix => unix;

    /// <summary>The loop whose epoll set watches this listener.</summary>
    public EventLoop? Loop { get; set; }

    public void OnEvents(uint events)
    {
        for (int i = 0; i < 1000; i++)
        {
            int fd = Native.accept4(Fd, null, null, Native.SOCK_NONBLOCK | Native.SOCK_CLOEXEC);
            if (fd < 0) return;
            if (!unix)
            {
                Native.SetInt(fd, Native.IPPROTO_TCP, Native.TCP_NODELAY, 1);
                int keepalive = server.Config.GetInt("tcp-keepalive");
                if (keepalive > 0)
                {
                    Native.SetInt(fd, Native.SOL_SOCKET, Native.SO_KEEPALIVE, 1);
                    Native.SetInt(fd, Native.IPPROTO_TCP, Native.TCP_KEEPIDLE, keepalive);
                    Native.SetInt(fd, Native.IPPROTO_TCP, Native.TCP_KEEPINTVL, Math.Max(1, keepalive / 3));
                    Native.SetInt(fd, Native.IPPROTO_TCP, Native.TCP_KEEPCNT, 3);
                }
            }
            var loops = server.Loops;
            var loop = loops[nextLoop++ % loops.Count];
            loop.Post(() => server.AcceptClient(loop, fd, unix));
        }
    }

    public void Close() => Native.close(Fd);
}
