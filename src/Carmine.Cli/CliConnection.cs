using System.Net;
using System.Net.Sockets;
using Carmine.Protocol;

namespace Carmine.Cli;

/// <summary>One blocking connection to the server (TCP or unix socket): requests are written with
/// <see cref="RespBuffer"/>, replies parsed with <see cref="RespReader"/>.</summary>
public sealed class CliConnection : IDisposable
{
    readonly Socket socket;
    readonly RespBuffer output = new();
    byte[] input = new byte[64 * 1024];
    int start;
    int end;

    CliConnection(Socket socket) => this.socket = socket;

    /// <summary>Connects, or throws <see cref="SocketException"/> whose message is what hiredis reports.</summary>
    public static CliConnection Open(string host, int port, string? unixSocket)
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
        var data = output.Written;
        int sent = 0;
        while (sent < data.Length) sent += socket.Send(data[sent..]);
        output.Clear();
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
        int n = socket.Receive(input, end, input.Length - end, SocketFlags.None);
        if (n == 0) throw new IOException("Server closed the connection");
        end += n;
    }

    public void Dispose() => socket.Dispose();
}
