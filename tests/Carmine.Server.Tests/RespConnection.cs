using System.Net.Sockets;
using System.Text;
using Carmine.Protocol;

namespace Carmine.Server.Tests;

/// <summary>A plain blocking RESP connection for tests, built on Carmine.Protocol.</summary>
public sealed class RespConnection : IDisposable
{
    readonly Socket socket;
    byte[] buffer = new byte[64 * 1024];
    int start, end;

    public RespConnection(int port)
    {
        socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 10_000 };
        socket.Connect("127.0.0.1", port);
    }

    /// <summary>Sends a command and reads its reply.</summary>
    public RespValue Call(params string[] args)
    {
        var b = new RespBuffer();
        b.Command(args);
        SendRaw(b.Written);
        return Read();
    }

    public RespValue Call(params byte[][] args)
    {
        var b = new RespBuffer();
        b.Command(args);
        SendRaw(b.Written);
        return Read();
    }

    /// <summary>The reply of a command as text ("(nil)" for null, the message for errors, integers as decimals).</summary>
    public string Str(params string[] args) => Call(args).ToString();

    public long Int(params string[] args)
    {
        var v = Call(args);
        if (v.Type != RespType.Integer) throw new InvalidOperationException("expected an integer, got " + v.Type + ": " + v);
        return v.Integer;
    }

    public void SendRaw(ReadOnlySpan<byte> data)
    {
        while (data.Length > 0)
        {
            int n = socket.Send(data);
            data = data[n..];
        }
    }

    public void SendRaw(string text) => SendRaw(Encoding.UTF8.GetBytes(text));

    /// <summary>Reads one reply; throws on timeout.</summary>
    public RespValue Read()
    {
        while (true)
        {
            if (end > start && RespReader.TryRead(buffer.AsSpan(start, end - start), out var value, out int used))
            {
                start += used;
                return value;
            }
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            int n = socket.Receive(buffer, end, buffer.Length - end, SocketFlags.None);
            if (n == 0) throw new IOException("connection closed by server");
            end += n;
        }
    }

    /// <summary>True if the server closed the connection (read returns 0) within the timeout.</summary>
    public bool IsClosedByServer(int millis = 2000)
    {
        socket.ReceiveTimeout = millis;
        try
        {
            var tmp = new byte[1024];
            return socket.Receive(tmp) == 0;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose() => socket.Dispose();
}
