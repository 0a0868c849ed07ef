using System.Buffers.Binary;
using System.Text;
using Carmine.Server.Persistence;

namespace Carmine.Server.Tests;

/// <summary>Lists and streams in RDB files and DUMP payloads, checked against the installed redis-server 7.0.</summary>
public sealed class RdbListStreamTests
{
    static readonly string[] Keys = ["rls:small", "rls:big", "rls:plain", "rls:stream", "rls:bigstream", "rls:emptystream"];

    /// <summary>Small and large lists (compressed nodes, a plain node) and streams with tombstones, groups and pending entries.</summary>
    static void Populate(RespConnection c)
    {
        c.Call("CONFIG", "SET", "list-compress-depth", "1");
        c.Call("CONFIG", "SET", "list-max-listpack-size", "4");
        c.Call("RPUSH", "rls:small", "a", "b", "1", "2", "300", "-5");
        for (int i = 0; i < 200; i++) c.Call("RPUSH", "rls:big", $"element-{i}-" + new string('x', 60), i.ToString());
        c.Call("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100");
        c.Call("RPUSH", "rls:plain", "head", new string('p', 300), "tail");
        c.Call("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0");

        c.Call("XADD", "rls:stream", "1-1", "f", "v", "f2", "v2");
        c.Call("XADD", "rls:stream", "1-2", "f", "v", "f2", "x");
        c.Call("XADD", "rls:stream", "2-0", "other", "1");
        c.Call("XADD", "rls:stream", "3-0", "f", "v", "f2", "v3");
        c.Call("XDEL", "rls:stream", "1-2");
        c.Call("XGROUP", "CREATE", "rls:stream", "g1", "0");
        c.Call("XGROUP", "CREATE", "rls:stream", "g2", "$");
        c.Call("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS", "rls:stream", ">");
        c.Call("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "1", "STREAMS", "rls:stream", ">");
        c.Call("XGROUP", "CREATECONSUMER", "rls:stream", "g1", "carol");
        for (int i = 1; i <= 350; i++)
            c.Call(i % 7 == 0 ? ["XADD", "rls:bigstream", $"{i}-0", "odd", i.ToString()] : ["XADD", "rls:bigstream", $"{i}-0", "n", i.ToString(), "s", "text"]);
        c.Call("XTRIM", "rls:bigstream", "MINID", "120");
        c.Call("XADD", "rls:emptystream", "5-5", "a", "b");
        c.Call("XDEL", "rls:emptystream", "5-5");
    }

    static string Digest(RespConnection c) => c.Call("DEBUG", "DIGEST").Text!;

    static string DigestValue(RespConnection c, string key) => c.Call("DEBUG", "DIGEST-VALUE", key).Items![0].Text!;

    static string StreamInfo(RespConnection c, string key) => c.Call("XINFO", "STREAM", key, "FULL").ToString();

    [Fact]
    public void RedisDumpFileWithListsAndStreamsLoadsWithTheSameDigest()
    {
        string digest, info, dir;
        using (var redis = new RealRedis())
        {
            using var c = redis.Connect();
            Populate(c);
            digest = Digest(c);
            info = StreamInfo(c, "rls:stream");
            Assert.Equal("OK", c.Str("SAVE"));
            dir = redis.Dir;
        }
        using var s = new TestServer("--enable-debug-command", "yes", "--dir", dir);
        using var k = s.Connect();
        Assert.Equal(6, k.Int("DBSIZE"));
        Assert.Equal(digest, Digest(k));
        Assert.Equal(info, StreamInfo(k, "rls:stream"));
    }

    [Fact]
    public void CarmineDumpFileWithListsAndStreamsLoadsInRedisWithTheSameDigest()
    {
        using var s = new TestServer("--enable-debug-command", "yes");
        using var c = s.Connect();
        Populate(c);
        string digest = Digest(c);
        string info = StreamInfo(c, "rls:stream");
        Assert.Equal("OK", c.Str("SAVE"));
        using var redis = new RealRedis(s.Dir);
        using var k = redis.Connect();
        Assert.Equal(6, k.Int("DBSIZE"));
        Assert.Equal(digest, Digest(k));
        Assert.Equal(info, StreamInfo(k, "rls:stream"));
    }

    [Fact]
    public void ListAndStreamDumpPayloadsMoveBothWays()
    {
        using var redis = new RealRedis();
        using var rc = redis.Connect();
        using var s = new TestServer("--enable-debug-command", "yes");
        using var c = s.Connect();
        Populate(rc);
        Populate(c);
        foreach (var key in Keys)
        {
            byte[] Restore(string target) => Encoding.ASCII.GetBytes(target);
            var fromRedis = rc.Call("DUMP", key).Bytes!;
            var fromCarmine = c.Call("DUMP", key).Bytes!;
            Assert.Equal("OK", c.Call([Restore("RESTORE"), Restore("rls:in:" + key), "0"u8.ToArray(), fromRedis]).Text);
            Assert.Equal("OK", rc.Call([Restore("RESTORE"), Restore("rls:in:" + key), "0"u8.ToArray(), fromCarmine]).Text);
            string expected = DigestValue(rc, key);
            Assert.Equal(expected, DigestValue(c, "rls:in:" + key));
            Assert.Equal(expected, DigestValue(rc, "rls:in:" + key));
        }
    }

    [Fact]
    public void StreamDumpIsByteIdenticalToRedisWithoutCompression()
    {
        using var redis = new RealRedis();
        using var rc = redis.Connect();
        using var s = new TestServer("--enable-debug-command", "yes");
        using var c = s.Connect();
        foreach (var conn in new[] { rc, c })
        {
            conn.Call("CONFIG", "SET", "rdbcompression", "no");
            conn.Call("XADD", "rls:s", "1-1", "f", "v", "f2", "v2");
            conn.Call("XADD", "rls:s", "1-2", "g", "1");
            conn.Call("XDEL", "rls:s", "1-1");
            conn.Call("XGROUP", "CREATE", "rls:s", "g", "0");
        }
        Assert.Equal(rc.Call("DUMP", "rls:s").Bytes, c.Call("DUMP", "rls:s").Bytes);
    }

    [Fact]
    public void DebugReloadKeepsListsAndStreams()
    {
        using var s = new TestServer("--enable-debug-command", "yes");
        using var c = s.Connect();
        Populate(c);
        string digest = Digest(c);
        string info = StreamInfo(c, "rls:stream");
        Assert.Equal("OK", c.Str("DEBUG", "RELOAD"));
        Assert.Equal(digest, Digest(c));
        Assert.Equal(info, StreamInfo(c, "rls:stream"));
        Assert.Equal("[a, b, 1, 2, 300, -5]", c.Call("LRANGE", "rls:small", "0", "-1").ToString());
    }

    [Fact]
    public void BgsaveWritesListsAndStreams()
    {
        using var s = new TestServer("--enable-debug-command", "yes");
        string digest;
        using (var c = s.Connect())
        {
            Populate(c);
            digest = Digest(c);
            Assert.Equal("Background saving started", c.Str("BGSAVE"));
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (c.Str("INFO", "persistence").Contains("rdb_bgsave_in_progress:1") && DateTime.UtcNow < deadline) Thread.Sleep(50);
        }
        using var redis = new RealRedis(s.Dir);
        using var k = redis.Connect();
        Assert.Equal(digest, Digest(k));
    }

    /// <summary>A Redis 6 (RDB_TYPE_STREAM_LISTPACKS) payload: one node of entries 5-0 and 5-1, a group at 5-0.</summary>
    static byte[] StreamListpacksV1Payload()
    {
        var lp = new ListpackBuilder();
        foreach (var e in new[] { "2", "0", "1", "f", "0", "2", "0", "0", "v1", "4", "2", "0", "1", "v2", "4" }) lp.Append(Encoding.ASCII.GetBytes(e));
        var body = new MemoryStream();
        var w = new RdbWriter(body, compress: false, checksum: false);
        w.WriteByte(Rdb.TypeStreamListpacks);
        w.WriteLength(1);
        var key = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(key, 5);
        w.WriteString(key);
        w.WriteString(lp.ToArray());
        w.WriteLength(2);
        w.WriteLength(5);
        w.WriteLength(1);
        w.WriteLength(1);
        w.WriteString("grp");
        w.WriteLength(5);
        w.WriteLength(0);
        w.WriteLength(0);
        w.WriteLength(0);
        w.WriteRaw([9, 0]);
        w.Flush();
        var payload = body.ToArray();
        var crc = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(crc, Crc64.Update(0, payload));
        return [.. payload, .. crc];
    }

    [Fact]
    public void Redis6StreamPayloadRestoresWithDerivedCountersAsInRedis()
    {
        var payload = StreamListpacksV1Payload();
        using var redis = new RealRedis();
        using var rc = redis.Connect();
        using var s = new TestServer("--enable-debug-command", "yes");
        using var c = s.Connect();
        foreach (var conn in new[] { rc, c })
            Assert.Equal("OK", conn.Call([.. new[] { "RESTORE", "rls:v1", "0" }.Select(Encoding.ASCII.GetBytes), payload]).Text);
        Assert.Equal(StreamInfo(rc, "rls:v1"), StreamInfo(c, "rls:v1"));
        Assert.Equal("[[name, grp, consumers, 0, pending, 0, last-delivered-id, 5-0, entries-read, 1, lag, 1]]",
            c.Call("XINFO", "GROUPS", "rls:v1").ToString());
    }
}
