using System.Net;
using System.Net.Sockets;
using System.Text;
using Carmine.Protocol;

namespace Carmine.Server.Tests;

/// <summary>A raw SYNC connection: the snapshot, then the commands of the replication stream, as a replica reads them.</summary>
sealed class ReplicationStreamReader : IDisposable
{
    readonly Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
    readonly List<byte> pending = [];

    public ReplicationStreamReader(int port)
    {
        socket.Connect(IPAddress.Loopback, port);
        socket.Send("SYNC\r\n"u8);
        string header = ReadLine();
        while (header.Length == 0) header = ReadLine();
        Assert.StartsWith("$", header);
        Take(int.Parse(header[1..]));
    }

    string ReadLine()
    {
        while (true)
        {
            int nl = pending.IndexOf((byte)'\n');
            if (nl >= 0)
            {
                string line = Encoding.ASCII.GetString(pending.GetRange(0, nl).ToArray()).TrimEnd('\r');
                pending.RemoveRange(0, nl + 1);
                return line;
            }
            Fill();
        }
    }

    byte[] Take(int n)
    {
        while (pending.Count < n) Fill();
        var bytes = pending.GetRange(0, n).ToArray();
        pending.RemoveRange(0, n);
        return bytes;
    }

    void Fill()
    {
        var buf = new byte[64 * 1024];
        int n = socket.Receive(buf);
        if (n <= 0) throw new IOException("stream closed");
        pending.AddRange(buf.AsSpan(0, n).ToArray());
    }

    /// <summary>The next command of the stream, with its name lowercased (as Redis's tests compare it).</summary>
    public string[] Next()
    {
        while (true)
        {
            var span = pending.ToArray();
            if (RespReader.TryRead(span, out var value, out int consumed))
            {
                pending.RemoveRange(0, consumed);
                var args = value.Items!.Select(i => i.Text!).ToArray();
                args[0] = args[0].ToLowerInvariant();
                return args;
            }
            Fill();
        }
    }

    public void Dispose() => socket.Dispose();
}

public sealed class ReplicationStreamTests
{
    static void AssertCommand(string[] actual, params string[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (expected[i] != "*") Assert.Equal(expected[i], actual[i]);
    }

    [Fact]
    public void WritesReachTheStreamAsDeterministicEffects()
    {
        using var s = new TestServer();
        using var c = s.Connect();
        c.Call("SADD", "rs:set", "only");
        using var stream = new ReplicationStreamReader(s.Port);
        c.Call("SET", "rs:a", "1", "EX", "100");
        c.Call("EXPIRE", "rs:a", "200");
        c.Call("INCRBYFLOAT", "rs:f", "1.5");
        c.Call("SPOP", "rs:set");
        c.Call("GET", "rs:a");
        c.Call("MULTI");
        c.Call("SET", "rs:b", "1");
        c.Call("INCR", "rs:b");
        c.Call("EXEC");
        c.Call("SELECT", "3");
        c.Call("RPUSH", "rs:l", "x");
        c.Call("BLPOP", "rs:l", "0");
        AssertCommand(stream.Next(), "select", "0");
        AssertCommand(stream.Next(), "set", "rs:a", "1", "PXAT", "*");
        AssertCommand(stream.Next(), "pexpireat", "rs:a", "*");
        AssertCommand(stream.Next(), "set", "rs:f", "1.5", "KEEPTTL");
        AssertCommand(stream.Next(), "srem", "rs:set", "only");
        AssertCommand(stream.Next(), "multi");
        AssertCommand(stream.Next(), "set", "rs:b", "1");
        AssertCommand(stream.Next(), "incr", "rs:b");
        AssertCommand(stream.Next(), "exec");
        AssertCommand(stream.Next(), "select", "3");
        AssertCommand(stream.Next(), "rpush", "rs:l", "x");
        AssertCommand(stream.Next(), "lpop", "rs:l");
    }

    [Fact]
    public void ExpiredKeysAndServedBlockedPopsAreStreamed()
    {
        using var s = new TestServer("--enable-debug-command", "yes");
        using var c = s.Connect();
        c.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
        c.Call("SET", "rs:gone", "v", "PX", "1");
        Thread.Sleep(20);
        using var stream = new ReplicationStreamReader(s.Port);
        using var blocked = s.Connect();
        blocked.SendRaw("*3\r\n$5\r\nBLPOP\r\n$4\r\nrs:q\r\n$1\r\n0\r\n");
        Thread.Sleep(100);
        Assert.True(c.Call("GET", "rs:gone").IsNull);
        c.Call("LPUSH", "rs:q", "item");
        Assert.Equal("item", blocked.Read().Items![1].Text);
        AssertCommand(stream.Next(), "select", "0");
        AssertCommand(stream.Next(), "del", "rs:gone");
        AssertCommand(stream.Next(), "lpush", "rs:q", "item");
        AssertCommand(stream.Next(), "lpop", "rs:q");
    }

    [Fact]
    public void RealRedisReplicaFollowsCarmineAndContinuesAfterADisconnect()
    {
        using var s = new TestServer("--enable-debug-command", "yes");
        using var c = s.Connect();
        RdbTests.Populate(c);
        using var replica = new RealRedis(null, "--replicaof", "127.0.0.1", s.Port.ToString());
        using var rc = replica.Connect();
        c.Call("RPUSH", "rs:list", "a", "b", "c");
        c.Call("XADD", "rs:stream", "*", "f", "v");
        c.Call("SELECT", "7");
        c.Call("SET", "rs:db7", "x", "EX", "1000");
        ServerInfo.WaitInSync(c, rc);
        Assert.Equal(c.Call("DEBUG", "DIGEST").Text, rc.Call("DEBUG", "DIGEST").Text);
        Assert.Equal("1", ServerInfo.Field(c, "replication", "connected_slaves"));

        // The replica reconnects with PSYNC and is served from the backlog instead of a new snapshot.
        c.Call("CLIENT", "KILL", "TYPE", "replica");
        c.Call("SET", "rs:after", "kill");
        ServerInfo.WaitInSync(c, rc);
        Assert.Equal(c.Call("DEBUG", "DIGEST").Text, rc.Call("DEBUG", "DIGEST").Text);
        Assert.Equal("1", ServerInfo.Field(c, "stats", "sync_full"));
        Assert.Equal("1", ServerInfo.Field(c, "stats", "sync_partial_ok"));
    }
}
