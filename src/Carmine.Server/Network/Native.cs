using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Carmine.Server.Network;

/// <summary>The Linux system calls the event loops use: sockets, epoll and eventfd.</summary>
static unsafe partial class Native
{
    public const int AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;
    public const int SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_KEEPALIVE = 9, SO_SNDBUF = 7;
    public const int IPPROTO_TCP = 6, TCP_NODELAY = 1, TCP_KEEPIDLE = 4, TCP_KEEPINTVL = 5, TCP_KEEPCNT = 6;
    public const int IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
    public const uint EPOLLIN = 0x1, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLHUP = 0x10, EPOLLRDHUP = 0x2000;
    public const int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
    public const int EAGAIN = 11, EINTR = 4, EINPROGRESS = 115;
    public const int EFD_NONBLOCK = 0x800, EFD_CLOEXEC = 0x80000;
    public const int SHUT_RDWR = 2;

    /// <summary>struct epoll_event, packed on x86-64 as the kernel defines it.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [LibraryImport("libc", SetLastError = true)] public static partial int socket(int domain, int type, int protocol);
    [LibraryImport("libc", SetLastError = true)] public static partial int setsockopt(int fd, int level, int name, int* value, int len);
    [LibraryImport("libc", SetLastError = true)] public static partial int bind(int fd, byte* addr, int len);
    [LibraryImport("libc", SetLastError = true)] public static partial int listen(int fd, int backlog);
    [LibraryImport("libc", SetLastError = true)] public static partial int accept4(int fd, byte* addr, int* len, int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial int getsockname(int fd, byte* addr, int* len);
    [LibraryImport("libc", SetLastError = true)] public static partial int getpeername(int fd, byte* addr, int* len);
    [LibraryImport("libc", SetLastError = true)] public static partial nint read(int fd, byte* buf, nint count);
    [LibraryImport("libc", SetLastError = true)] public static partial nint write(int fd, byte* buf, nint count);
    [LibraryImport("libc", SetLastError = true)] public static partial int close(int fd);
    [LibraryImport("libc", SetLastError = true)] public static partial int shutdown(int fd, int how);
    [LibraryImport("libc", SetLastError = true)] public static partial int epoll_create1(int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);
    [LibraryImport("libc", SetLastError = true)] public static partial int epoll_wait(int epfd, EpollEvent* events, int max, int timeout);
    [LibraryImport("libc", SetLastError = true)] public static partial int eventfd(uint initval, int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial int chmod(byte* path, uint mode);
    [LibraryImport("libc", SetLastError = true)] public static partial int unlink(byte* path);

    public static int Errno => Marshal.GetLastPInvokeError();

    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    public static void SetInt(int fd, int level, int name, int value) => setsockopt(fd, level, name, &value, sizeof(int));

    /// <summary>Writes what the socket takes in one call and ignores errors: a last message before closing.</summary>
    public static void WriteBestEffort(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data) write(fd, p, data.Length);
    }

    /// <summary>Encodes an endpoint as a sockaddr; returns its length.</summary>
    public static int WriteSockAddr(IPEndPoint ep, Span<byte> dest)
    {
        dest.Clear();
        var addr = ep.Address.GetAddressBytes();
        ushort port = (ushort)ep.Port;
        if (ep.AddressFamily == AddressFamily.InterNetwork)
        {
            dest[0] = AF_INET;
            dest[2] = (byte)(port >> 8);
            dest[3] = (byte)port;
            addr.CopyTo(dest[4..]);
            return 16;
        }
        dest[0] = AF_INET6;
        dest[2] = (byte)(port >> 8);
        dest[3] = (byte)port;
        addr.CopyTo(dest[8..]);
        BitConverter.TryWriteBytes(dest[24..], (uint)ep.Address.ScopeId);
        return 28;
    }

    public static int WriteUnixAddr(string path, Span<byte> dest)
    {
        dest.Clear();
        dest[0] = AF_UNIX;
        int n = System.Text.Encoding.UTF8.GetBytes(path, dest[2..]);
        return 2 + n + 1;
    }

    /// <summary>Formats a sockaddr as Redis does in CLIENT LIST: "ip:port", "[v6]:port" is not used; Redis prints "ip:port" for both.</summary>
    public static string FormatSockAddr(ReadOnlySpan<byte> sa, int len, string unixPath)
    {
        if (len < 2) return "?:0";
        int family = sa[0] | (sa[1] << 8);
        if (family == AF_UNIX) return unixPath + ":0";
        int port = (sa[2] << 8) | sa[3];
        if (family == AF_INET)
            return new IPAddress(sa.Slice(4, 4)).ToString() + ":" + port;
        var v6 = new IPAddress(sa.Slice(8, 16));
        if (v6.IsIPv4MappedToIPv6) return v6.MapToIPv4() + ":" + port;
        return v6 + ":" + port;
    }

    public static string PeerName(int fd, string unixPath)
    {
        Span<byte> sa = stackalloc byte[128];
        int len = 128;
        fixed (byte* p = sa)
            if (getpeername(fd, p, &len) != 0) return "?:0";
        return FormatSockAddr(sa, len, unixPath);
    }

    public static string SockName(int fd, string unixPath)
    {
        Span<byte> sa = stackalloc byte[128];
        int len = 128;
        fixed (byte* p = sa)
            if (getsockname(fd, p, &len) != 0) return "?:0";
        return FormatSockAddr(sa, len, unixPath);
    }

    public static int BoundPort(int fd)
    {
        Span<byte> sa = stackalloc byte[128];
        int len = 128;
        fixed (byte* p = sa)
            if (getsockname(fd, p, &len) != 0) return 0;
        return (sa[2] << 8) | sa[3];
    }
}
