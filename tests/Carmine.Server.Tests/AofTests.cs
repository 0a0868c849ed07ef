using System.Collections.Concurrent;

namespace Carmine.Server.Tests;

public sealed class AofTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static string NewDir() => Directory.CreateTempSubdirectory("carmine-aof-").FullName;

    static TestServer Start(string dir, params string[] extra) =>
        new(["--dir", dir, "--appendonly", "yes", "--enable-debug-command", "yes", .. extra]);

    static string Digest(RespConnection c) => c.Call("DEBUG", "DIGEST").Text!;

    static void PopulateAllTypes(RespConnection c)
    {
        RdbTests.Populate(c);
        c.Call("RPUSH", "aof:list", "a", "b", "c");
        c.Call("XADD", "aof:stream", "1-1", "f", "v");
        c.Call("XGROUP", "CREATE", "aof:stream", "g", "0");
        c.Call("INCRBYFLOAT", "aof:float", "2.5");
    }

    [Fact]
    public void TheDatasetSurvivesAKillAndRestart()
    {
        string dir = NewDir();
        string digest;
        using (var s = Start(dir))
        {
            using var c = s.Connect();
            PopulateAllTypes(c);
            digest = Digest(c);
            Assert.Equal("1", ServerInfo.Field(c, "persistence", "aof_enabled"));
        }
        Assert.Equal(
            ["appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof", "appendonly.aof.manifest"],
            Directory.GetFiles(Path.Combine(dir, "appendonlydir")).Select(f => Path.GetFileName(f)).Order().ToArray());
        Assert.Equal("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
            File.ReadAllText(Path.Combine(dir, "appendonlydir", "appendonly.aof.manifest")));
        using (var s = Start(dir))
        {
            using var c = s.Connect();
            Assert.Equal(digest, Digest(c));
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void RealRedisLoadsCarminesAofAndCarmineLoadsRedises()
    {
        string dir = NewDir();
        string digest;
        using (var s = Start(dir, "--appendfsync", "always"))
        {
            using var c = s.Connect();
            PopulateAllTypes(c);
            digest = Digest(c);
        }
        using (var redis = new RealRedis(dir, "--appendonly", "yes"))
        {
            using var rc = redis.Connect();
            Assert.Equal(digest, Digest(rc));
            rc.Call("SET", "aof:from-redis", "1");
            Assert.Equal("Background append only file rewriting started", rc.Call("BGREWRITEAOF").Text);
            ServerInfo.WaitUntil(() => ServerInfo.Field(rc, "persistence", "aof_rewrite_in_progress") == "0", "the rewrite to end");
            rc.Call("HSET", "aof:after-rewrite", "f", "v");
            digest = Digest(rc);
            // SHUTDOWN writes and syncs the AOF and closes the connection without a reply.
            rc.SendRaw("*1\r\n$8\r\nSHUTDOWN\r\n");
            Assert.True(rc.IsClosedByServer(10_000));
        }
        using (var s = Start(dir))
        {
            using var c = s.Connect();
            Assert.Equal(digest, Digest(c));
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void BgrewriteaofStartsANewBaseAndKeepsWritesMadeDuringIt()
    {
        string dir = NewDir();
        string digest;
        using (var s = Start(dir))
        {
            using var c = s.Connect();
            for (int i = 0; i < 2000; i++) c.Call("SET", "aof:k" + i, "v" + i);
            Assert.Equal("Background append only file rewriting started", c.Call("BGREWRITEAOF").Text);
            for (int i = 0; i < 200; i++) c.Call("INCR", "aof:counter");
            ServerInfo.WaitUntil(() => ServerInfo.Field(c, "persistence", "aof_rewrite_in_progress") == "0", "the rewrite to end");
            Assert.Equal("1", ServerInfo.Field(c, "persistence", "aof_rewrites"));
            Assert.Equal("ok", ServerInfo.Field(c, "persistence", "aof_last_bgrewrite_status"));
            digest = Digest(c);
            Assert.Equal("OK", c.Call("DEBUG", "LOADAOF").Text);
            Assert.Equal(digest, Digest(c));
        }
        Assert.Equal("file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
            File.ReadAllText(Path.Combine(dir, "appendonlydir", "appendonly.aof.manifest")));
        using (var s = Start(dir))
        {
            using var c = s.Connect();
            Assert.Equal(digest, Digest(c));
            Assert.Equal("200", c.Call("GET", "aof:counter").Text);
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void ACommandsBaseIsWrittenWithoutTheRdbPreamble()
    {
        string dir = NewDir();
        string digest;
        using (var s = Start(dir, "--aof-use-rdb-preamble", "no"))
        {
            using var c = s.Connect();
            PopulateAllTypes(c);
            c.Call("BGREWRITEAOF");
            ServerInfo.WaitUntil(() => ServerInfo.Field(c, "persistence", "aof_rewrite_in_progress") == "0", "the rewrite to end");
            digest = Digest(c);
        }
        var baseFile = Path.Combine(dir, "appendonlydir", "appendonly.aof.2.base.aof");
        Assert.StartsWith("*2\r\n$6\r\nSELECT\r\n", File.ReadAllText(baseFile));
        using (var redis = new RealRedis(dir, "--appendonly", "yes"))
        {
            using var rc = redis.Connect();
            Assert.Equal(digest, Digest(rc));
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void ATruncatedTailIsCutWhenAllowedAndRefusedOtherwise()
    {
        string dir = NewDir();
        using (var s = Start(dir))
        {
            using var c = s.Connect();
            c.Call("SET", "aof:whole", "1");
            c.Call("SET", "aof:cut", "2");
        }
        string incr = Path.Combine(dir, "appendonlydir", "appendonly.aof.1.incr.aof");
        var bytes = File.ReadAllBytes(incr);
        File.WriteAllBytes(incr, bytes[..^5]);
        var refused = Assert.Throws<InvalidOperationException>(() => Start(dir, "--aof-load-truncated", "no"));
        Assert.Contains("Unexpected end of file reading the append only file appendonly.aof.1.incr.aof", refused.Message);
        using (var s = Start(dir, "--aof-load-truncated", "yes"))
        {
            using var c = s.Connect();
            Assert.Equal("1", c.Call("GET", "aof:whole").Text);
            Assert.True(c.Call("GET", "aof:cut").IsNull);
            // The log is read asynchronously: give it a moment to arrive.
            ServerInfo.WaitUntil(() => s.Output.Contains("!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!"), "the log line");
        }
        Directory.Delete(dir, true);
    }

    /// <summary>
    /// appendfsync always: clients INCR their own counters while the server is killed with SIGKILL; after the
    /// restart every counter is at least the last value a client saw acknowledged. Twenty kills in a row.
    /// </summary>
    [Fact]
    public async Task AcknowledgedWritesSurviveTwentySigkills()
    {
        string dir = NewDir();
        var acked = new ConcurrentDictionary<string, long>();
        int kills = 0;
        for (int round = 0; round < 20; round++)
        {
            var s = Start(dir, "--appendfsync", "always");
            using (var check = s.Connect())
                foreach (var (key, value) in acked)
                    Assert.True(long.Parse(check.Call("GET", key).Text ?? "0") >= value, $"{key} lost acknowledged writes in round {round}");
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
            {
                string key = "aof:crash:" + w;
                try
                {
                    using var c = s.Connect();
                    while (!stop.IsCancellationRequested)
                    {
                        var reply = c.Call("INCR", key);
                        if (reply.IsError) return;
                        acked.AddOrUpdate(key, reply.Integer, (_, old) => Math.Max(old, reply.Integer));
                    }
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
                {
                    // The kill cut the connection: whatever was not acknowledged may be lost.
                }
            })).ToArray();
            Thread.Sleep(150);
            s.Dispose();
            kills++;
            stop.Cancel();
            await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(10));
        }
        using (var s = Start(dir))
        using (var c = s.Connect())
            foreach (var (key, value) in acked)
                Assert.True(long.Parse(c.Call("GET", key).Text ?? "0") >= value, $"{key} lost acknowledged writes after the last kill");
        Assert.Equal(20, kills);
        Assert.True(acked.Values.Sum() > 0);
        output.WriteLine($"{kills} SIGKILLs, {acked.Values.Sum()} acknowledged INCRs over 4 counters, none lost");
        Directory.Delete(dir, true);
    }
}
