using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Carmine.Server.Tests;

/// <summary>A real redis-server (the installed 7.0) on a free loopback port, stopped on Dispose.</summary>
sealed class RealRedis : IDisposable
{
    readonly Process process;

    public int Port { get; } = TestServer.FreePort();
    public string Dir { get; }

    public RealRedis(string? dir = null, params string[] extraArgs)
    {
        Dir = dir ?? Directory.CreateTempSubdirectory("carmine-redis-").FullName;
        var psi = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--dir", Dir, "--enable-debug-command", "yes" }.Concat(extraArgs))
            psi.ArgumentList.Add(a);
        process = Process.Start(psi)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var probe = Connect();
                if (probe.Call("PING").Text == "PONG") return;
            }
            catch (SocketException)
            {
            }
            if (process.HasExited || DateTime.UtcNow > deadline) throw new InvalidOperationException("redis-server did not start");
            Thread.Sleep(50);
        }
    }

    public RespConnection Connect() => new(Port);

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit(10_000);
        }
        process.Dispose();
    }
}

public sealed class RdbTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    /// <summary>Keys of every type and encoding that main has, with an expiry and a second database.</summary>
    internal static void Populate(RespConnection c)
    {
        c.Call("SELECT", "0");
        c.Call("SET", "rdb:str", "hello");
        c.Call("SET", "rdb:int", "12345");
        c.Call("SET", "rdb:bigint", "9999999999999");
        c.Call("SET", "rdb:long", new string('x', 300));
        c.Call("SET", "rdb:ttl", "v", "PX", "100000000");
        c.Call("HSET", "rdb:hash", "a", "1", "b", "hello", "c", "-4000");
        c.Call(["HSET", "rdb:bighash", .. Enumerable.Range(0, 600).SelectMany(i => new[] { "f" + i, "v" + i })]);
        c.Call("SADD", "rdb:intset", "1", "2", "-5", "100000", "5000000000");
        c.Call("SADD", "rdb:set", "a", "b", "1");
        c.Call("ZADD", "rdb:zset", "1", "a", "2.5", "b", "-3", "c", "1e20", "d", "inf", "e");
        c.Call(["ZADD", "rdb:bigzset", .. Enumerable.Range(0, 200).SelectMany(i => new[] { i + ".5", "m" + i })]);
        c.Call("SELECT", "5");
        c.Call("SET", "rdb:other", "db5");
        c.Call("SELECT", "0");
    }

    static string Digest(RespConnection c) => c.Call("DEBUG", "DIGEST").Text!;

    [Fact]
    public void DumpRestoreRoundTripsEveryType()
    {
        foreach (var (key, build) in new (string, string[])[]
        {
            ("rdb:dr:s", ["SET", "rdb:dr:s", "value"]),
            ("rdb:dr:h", ["HSET", "rdb:dr:h", "f", "v"]),
            ("rdb:dr:i", ["SADD", "rdb:dr:i", "1", "2"]),
            ("rdb:dr:z", ["ZADD", "rdb:dr:z", "1.5", "m"]),
        })
        {
            r.Call(build);
            var payload = r.Call("DUMP", key).Bytes!;
            var before = r.Call("DEBUG", "DIGEST-VALUE", key).Items![0].Text;
            r.Call("DEL", key);
            Assert.Equal("OK", r.Call([Encoding.ASCII.GetBytes("RESTORE"), Encoding.ASCII.GetBytes(key), "0"u8.ToArray(), payload]).Text);
            Assert.Equal(before, r.Call("DEBUG", "DIGEST-VALUE", key).Items![0].Text);
        }
    }

    [Fact]
    public void DumpOfAStringIsRedisPayloadFormat()
    {
        r.Call("SET", "rdb:fmt", "hi");
        var payload = r.Call("DUMP", "rdb:fmt").Bytes!;
        // type 0, length 2, "hi", RDB version 10, then the CRC-64.
        Assert.Equal(new byte[] { 0, 2, (byte)'h', (byte)'i', 10, 0 }, payload[..6]);
        Assert.Equal(14, payload.Length);
    }

    [Fact]
    public void RestoreRefusesABadChecksum()
    {
        r.Call("SET", "rdb:crc", "hi");
        var payload = r.Call("DUMP", "rdb:crc").Bytes!;
        payload[^1] ^= 0xFF;
        var reply = r.Call([Encoding.ASCII.GetBytes("RESTORE"), "rdb:crc2"u8.ToArray(), "0"u8.ToArray(), payload]);
        Assert.Equal("ERR DUMP payload version or checksum are wrong", reply.Text);
    }

    [Fact]
    public void RestoreRefusesAnExistingKeyWithoutReplace()
    {
        r.Call("SET", "rdb:busy", "x");
        var payload = r.Call("DUMP", "rdb:busy").Bytes!;
        var reply = r.Call([Encoding.ASCII.GetBytes("RESTORE"), "rdb:busy"u8.ToArray(), "0"u8.ToArray(), payload]);
        Assert.Equal("BUSYKEY Target key name already exists.", reply.Text);
    }

    [Fact]
    public void LastsaveMovesAfterSave()
    {
        Assert.Equal("OK", r.Str("SAVE"));
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(r.Int("LASTSAVE"), now - 2, now);
    }

    [Fact]
    public void BgsaveResetsTheChangeCounter()
    {
        using var s = new TestServer("--enable-debug-command", "yes");
        using var c = s.Connect();
        c.Call("SET", "rdb:a", "1");
        Assert.Contains("rdb_changes_since_last_save:1\r", c.Str("INFO", "persistence"));
        Assert.Equal("Background saving started", c.Str("BGSAVE"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (c.Str("INFO", "persistence").Contains("rdb_bgsave_in_progress:1") && DateTime.UtcNow < deadline) Thread.Sleep(20);
        var info = c.Str("INFO", "persistence");
        Assert.Contains("rdb_changes_since_last_save:0\r", info);
        Assert.Contains("rdb_last_bgsave_status:ok\r", info);
        Assert.True(File.Exists(Path.Combine(s.Dir, "dump.rdb")));
    }

    [Fact]
    public void DebugReloadKeepsTheDigest()
    {
        using var s = new TestServer("--enable-debug-command", "yes");
        using var c = s.Connect();
        Populate(c);
        string before = Digest(c);
        Assert.Equal("OK", c.Str("DEBUG", "RELOAD"));
        Assert.Equal(before, Digest(c));
        Assert.Equal("listpack", c.Str("OBJECT", "ENCODING", "rdb:hash"));
        Assert.Equal("hashtable", c.Str("OBJECT", "ENCODING", "rdb:bighash"));
        Assert.Equal("intset", c.Str("OBJECT", "ENCODING", "rdb:intset"));
        Assert.Equal("skiplist", c.Str("OBJECT", "ENCODING", "rdb:bigzset"));
    }

    [Fact]
    public void EmptyServerDigestIsZero()
    {
        using var s = new TestServer("--enable-debug-command", "yes");
        using var c = s.Connect();
        Assert.Equal("0000000000000000000000000000000000000000", Digest(c));
    }

    [Fact]
    public void RedisDumpFileLoadsWithTheSameDigest()
    {
        string redisDigest, dir;
        using (var redis = new RealRedis())
        {
            using var c = redis.Connect();
            Populate(c);
            redisDigest = Digest(c);
            Assert.Equal("OK", c.Str("SAVE"));
            dir = redis.Dir;
        }
        using var s = new TestServer("--enable-debug-command", "yes", "--dir", dir);
        using var k = s.Connect();
        Assert.Equal(redisDigest, Digest(k));
        k.Call("SELECT", "5");
        Assert.Equal("db5", k.Str("GET", "rdb:other"));
    }

    [Fact]
    public void CarmineDumpFileLoadsInRedisWithTheSameDigest()
    {
        using var s = new TestServer("--enable-debug-command", "yes");
        using var c = s.Connect();
        Populate(c);
        string digest = Digest(c);
        Assert.Equal("OK", c.Str("SAVE"));
        using var redis = new RealRedis(s.Dir);
        using var k = redis.Connect();
        Assert.Equal(digest, Digest(k));
    }

    [Fact]
    public void DumpPayloadsMoveBothWaysBetweenRedisAndCarmine()
    {
        using var redis = new RealRedis();
        using var rc = redis.Connect();
        Populate(rc);
        Populate(r);
        foreach (var key in new[] { "rdb:str", "rdb:int", "rdb:long", "rdb:hash", "rdb:bighash", "rdb:intset", "rdb:set", "rdb:zset", "rdb:bigzset" })
        {
            var fromRedis = rc.Call("DUMP", key).Bytes!;
            var fromCarmine = r.Call("DUMP", key).Bytes!;
            Assert.Equal("OK", r.Call([Encoding.ASCII.GetBytes("RESTORE"), Encoding.ASCII.GetBytes("rdb:in:" + key), "0"u8.ToArray(), fromRedis]).Text);
            Assert.Equal("OK", rc.Call([Encoding.ASCII.GetBytes("RESTORE"), Encoding.ASCII.GetBytes("rdb:in:" + key), "0"u8.ToArray(), fromCarmine]).Text);
            string expected = rc.Call("DEBUG", "DIGEST-VALUE", key).Items![0].Text!;
            Assert.Equal(expected, r.Call("DEBUG", "DIGEST-VALUE", "rdb:in:" + key).Items![0].Text);
            Assert.Equal(expected, rc.Call("DEBUG", "DIGEST-VALUE", "rdb:in:" + key).Items![0].Text);
        }
    }

    [Fact]
    public void CorruptFileIsRefusedNamingTheOffset()
    {
        var dir = Directory.CreateTempSubdirectory("carmine-rdb-").FullName;
        using (var s = new TestServer("--enable-debug-command", "yes", "--dir", dir))
        {
            using var c = s.Connect();
            c.Call("SET", "rdb:k", "v");
            Assert.Equal("OK", c.Str("SAVE"));
        }
        var path = Path.Combine(dir, "dump.rdb");
        var bytes = File.ReadAllBytes(path);
        bytes[^3] ^= 0x55;
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<InvalidOperationException>(() => new TestServer("--dir", dir));
        Assert.Contains("RDB CRC error", ex.Message);
        Assert.Contains($"at offset {bytes.Length - 8}", ex.Message);
    }

    [Fact]
    public void Crc64MatchesRedisCheckValue()
    {
        Assert.Equal(0xe9c6d914c4b8d9caUL, Persistence.Crc64.Update(0, "123456789"u8));
    }

    [Fact]
    public void LzfRoundTripsRepetitiveAndRandomData()
    {
        var rng = new Random(7);
        foreach (var input in new[] { Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("abcabcabd", 500))), Enumerable.Range(0, 5000).Select(i => (byte)rng.Next(4)).ToArray() })
        {
            var compressed = new byte[input.Length];
            int n = Persistence.Lzf.Compress(input, compressed);
            Assert.InRange(n, 1, input.Length - 1);
            var back = new byte[input.Length];
            Assert.True(Persistence.Lzf.Decompress(compressed.AsSpan(0, n), back));
            Assert.Equal(input, back);
        }
    }

    [Fact]
    public void MigrateMovesAKeyToAnotherServer()
    {
        using var target = new TestServer();
        using var t = target.Connect();
        r.Call("SET", "rdb:mig", "moving");
        Assert.Equal("OK", r.Str("MIGRATE", "127.0.0.1", target.Port.ToString(), "rdb:mig", "0", "5000"));
        Assert.Equal("(nil)", r.Str("GET", "rdb:mig"));
        Assert.Equal("moving", t.Str("GET", "rdb:mig"));
        Assert.Equal("NOKEY", r.Str("MIGRATE", "127.0.0.1", target.Port.ToString(), "rdb:mig", "0", "5000"));
    }

    [Fact]
    public void FailedBgsaveStopsWritesWithMisconf()
    {
        using var s = new TestServer("--save", "900 1");
        using var c = s.Connect();
        Directory.CreateDirectory(Path.Combine(s.Dir, "dump.rdb"));
        Assert.Equal("Background saving started", c.Str("BGSAVE"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!c.Str("INFO", "persistence").Contains("rdb_last_bgsave_status:err") && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.StartsWith("MISCONF Redis is configured to save RDB snapshots", c.Str("SET", "rdb:x", "1"));
        Assert.Equal("OK", c.Str("CONFIG", "SET", "stop-writes-on-bgsave-error", "no"));
        Assert.Equal("OK", c.Str("SET", "rdb:x", "1"));
    }
}
