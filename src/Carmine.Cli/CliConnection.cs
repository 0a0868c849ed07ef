using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Carmine.Protocol;

namespace Carmine.Cli;

/// <summary>One blocking connection to the server (TCP or unix socket, with or without TLS): requests are
/// written with <see cref="RespBuffer"/>, replies parsed with <see cref="RespReader"/>.</summary>
public sealed class CliConnection : IDisposable
{
    readonly Socket socket;
    // Set when the link is TLS; all bytes then go through it instead of the socket.
    SslStream? tls;
    readonly RespBuffer output = new();
    byte[] input = new byte[64 * 1024];
    int start;
    int end;

    CliConnection(Socket socket) => this.socket = socket;

    /// <summary>Connects, or throws <see cref="SocketException"/> whose message is what hiredis reports
    /// (<see cref="CliTlsException"/> when <paramref name="tlsOptions"/> are given and TLS fails).</summary>
    public static CliConnection Open(string host, int port, string? unixSocket, CliTlsOptions? tlsOptions = null)
    {
        var connection = Connect(host, port, unixSocket);
        if (tlsOptions is null) return connection;
        try
        {
            connection.tls = CliTls.Handshake(connection.socket, tlsOptions);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    static CliConnection Connect(string host, int port, string? unixSocket)
    {
        Socket s;
        if (unixSocket is not null)
        {
            s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try { s.Connect(new UnixDomainSocketEndPoint(unixSocket)); }
            catch { s.Dispose(); throw; }
        }
        else
        {
            // getaddrinfo finds nothing for an empty name (e.g. from redis://:6380), where .NET would list this machine's addresses.
            if (host.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
            var addresses = IPAddress.TryParse(host, out var ip) ? [ip] : Dns.GetHostAddresses(host);
            SocketException? last = null;
            foreach (var address in addresses)
            {
                s = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    s.Connect(new IPEndPoint(address, port));
                    s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
                    return new CliConnection(s);
                }
                catch (SocketException e)
                {
                    s.Dispose();
                    last = e;
                }
            }
            throw last ?? new SocketException((int)SocketError.HostNotFound);
        }
        return new CliConnection(s);
    }

    public Socket Socket => socket;

    /// <summary>Queues a command; <see cref="Flush"/> sends everything queued.</summary>
    public void Append(IReadOnlyList<byte[]> args)
    {
        output.ArrayHeader(args.Count);
        foreach (var a in args) output.Bulk(a);
    }

    public void Flush()
    {
        Write(output.Written);
        output.Clear();
    }

    /// <summary>Sends raw bytes (the --pipe stream, SYNC).</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        if (tls is not null)
        {
            tls.Write(data);
            return;
        }
        int sent = 0;
        while (sent < data.Length) sent += socket.Send(data[sent..]);
    }

    /// <summary>Raw bytes as they arrive (an RDB payload): what is already buffered first, then at most one receive.
    /// Throws <see cref="IOException"/> on end of stream.</summary>
    public int ReadRaw(Span<byte> destination)
    {
        if (start == end) Fill();
        int n = Math.Min(destination.Length, end - start);
        input.AsSpan(start, n).CopyTo(destination);
        start += n;
        return n;
    }

    public RespValue Call(params string[] args)
    {
        Append(args.Select(System.Text.Encoding.UTF8.GetBytes).ToArray());
        Flush();
        return ReadReply();
    }

    /// <summary>Reads one reply; throws <see cref="IOException"/> when the server closes the connection.</summary>
    public RespValue ReadReply()
    {
        while (true)
        {
            if (TryParse(out var reply)) return reply;
            Fill();
        }
    }

    /// <summary>The type byte of the next reply, waiting for it if needed.</summary>
    public byte PeekType()
    {
        while (start == end) Fill();
        return input[start];
    }

    /// <summary>Parses a reply already received, without waiting for the network.</summary>
    public bool TryParse(out RespValue reply)
    {
        if (end > start && RespReader.TryRead(input.AsSpan(start, end - start), out reply, out int used))
        {
            start += used;
            return true;
        }
        reply = RespValue.NullValue;
        return false;
    }

    /// <summary>Receives more bytes; throws <see cref="IOException"/> on end of stream.</summary>
    public void Fill()
    {
        if (start == end) start = end = 0;
        if (end == input.Length)
        {
            if (start > 0)
            {
                Buffer.BlockCopy(input, start, input, 0, end - start);
                end -= start;
                start = 0;
            }
            else Array.Resize(ref input, input.Length * 2);
        }
        int n = tls is null ? socket.Receive(input, end, input.Length - end, SocketFlags.None) : ReceiveTls();
        if (n == 0) throw new IOException("Server closed the connection");
        end += n;
    }

    // A receive timeout surfaces as the socket's own exception, as without TLS.
    int ReceiveTls()
    {
        try
        {
            return tls!.Read(input, end, input.Length - end);
        }
        catch (IOException e) when (e.InnerException is SocketException s)
        {
            throw s;
        }
    }

    public void Dispose()
    {
        tls?.Dispose();
        socket.Dispose();
    }
}
