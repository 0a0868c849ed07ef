namespace Carmine.Server.Tests;

/// <summary>
/// BGSAVE without fork (docs/snapshots.md): the file holds the dataset exactly as it was when BGSAVE started, while
/// clients keep changing every key. Each test slows the saver with rdb-key-save-delay so writes land on shards both
/// before and after the saver reaches them, then loads the file in a second server and compares DEBUG DIGESTs.
/// </summary>
public sealed class SnapshotTests
{
    const int KeysPerType = 300;
    static readonly string[] Types = ["str", "hash", "bighash", "list", "set", "intset", "zset", "bigzset", "stream"];

    static TestServer Start() => new("--enable-debug-command", "yes", "--rdb-key-save-delay", "300");

    static void Populate(RespConnection c)
    {
        for (int i = 0; i < KeysPerType; i++)
        {
            c.Call("SET", $"snap:str:{i}", $"v0:{i}");
            c.Call("HSET", $"snap:hash:{i}", "f0", "v0", "f1", "v0");
            c.Call(["HSET", $"snap:bighash:{i}", .. Enumerable.Range(0, 150).SelectMany(j => new[] { $"f{j}", "v0" })]);
            c.Call("RPUSH", $"snap:list:{i}", "v0", "v0", "v0");
            c.Call("SADD", $"snap:set:{i}", "m0", "v0");
            c.Call("SADD", $"snap:intset:{i}", "1", "2", "3");
            c.Call("ZADD", $"snap:zset:{i}", "0", "m0", "0", "m1");
            c.Call(["ZADD", $"snap:bigzset:{i}", .. Enumerable.Range(0, 150).SelectMany(j => new[] { "0", $"m{j}" })]);
            c.Call("XADD", $"snap:stream:{i}", "*", "f", "v0");
            if (i % 10 == 0) c.Call("PEXPIRE", $"snap:str:{i}", "100000000");
        }
    }

    /// <summary>One change of version <paramref name="v"/> to a random key, of a kind that suits its type.</summary>
    static void Mutate(RespConnection c, Random random, long v)
    {
        int i = random.Next(KeysPerType);
        string type = Types[random.Next(Types.Length)];
        string key = $"snap:{type}:{i}";
        string value = $"v{v}";
        bool delete = random.Next(20) == 0;
        if (delete)
        {
            c.Call("DEL", key);
            return;
        }
        switch (type)
        {
            case "str":
                if (random.Next(2) == 0) c.Call("APPEND", key, value);
                else c.Call("SET", key, value);
                break;
            case "hash" or "bighash":
                c.Call("HSET", key, $"f{random.Next(200)}", value);
                break;
            case "list":
                c.Call("RPUSH", key, value);
                c.Call("LPOP", key);
                break;
            case "set":
                c.Call("SADD", key, value);
                break;
            case "intset":
                c.Call("SADD", key, v.ToString());
                break;
            case "zset" or "bigzset":
                c.Call("ZINCRBY", key, "1", $"m{random.Next(200)}");
                break;
            default:
                c.Call("XADD", key, "*", "f", value);
                break;
        }
    }

    /// <summary>Runs <paramref name="work"/> on several connections until the server's BGSAVE ends; returns the changes made meanwhile.</summary>
    static long WhileSaving(TestServer server, int clients, Action<RespConnection, Random, long> work)
    {
        long changes = 0;
        bool stop = false;
        var threads = Enumerable.Range(0, clients).Select(t => new Thread(() =>
        {
            using var c = server.Connect();
            var random = new Random(t);
            while (!Volatile.Read(ref stop)) work(c, random, Interlocked.Increment(ref changes));
        })).ToList();
        threads.ForEach(t => t.Start());
        using var probe = server.Connect();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (probe.Str("INFO", "persistence").Contains("rdb_bgsave_in_progress:1") && DateTime.UtcNow < deadline) Thread.Sleep(20);
        long during = Interlocked.Read(ref changes);
        Volatile.Write(ref stop, true);
        threads.ForEach(t => t.Join());
        Assert.Contains("rdb_last_bgsave_status:ok\r", probe.Str("INFO", "persistence"));
        return during;
    }

    /// <summary>The DEBUG DIGEST of the server's dump.rdb, loaded by a second server.</summary>
    static string DigestOfDump(TestServer server)
    {
        using var loaded = new TestServer("--enable-debug-command", "yes", "--dir", server.Dir);
        using var c = loaded.Connect();
        return c.Str("DEBUG", "DIGEST");
    }

    [Fact]
    public void BgsaveWritesTheDatasetAsItWasAtTheStartWhileClientsChangeEveryKey()
    {
        using var server = Start();
        using var c = server.Connect();
        Populate(c);
        string before = c.Str("DEBUG", "DIGEST");
        Assert.Equal("Background saving started", c.Str("BGSAVE"));
        long during = WhileSaving(server, 4, Mutate);

        Assert.True(during > 200, $"only {during} changes ran during the save");
        Assert.NotEqual(before, c.Str("DEBUG", "DIGEST"));
        Assert.Equal(before, DigestOfDump(server));
    }

    [Fact]
    public void BgsaveIgnoresTransactionsScriptsSwapdbAndFlushdbThatRunDuringIt()
    {
        using var server = Start();
        using var c = server.Connect();
        Populate(c);
        c.Call("SELECT", "1");
        c.Call("SET", "snap:db1", "v0");
        c.Call("SELECT", "2");
        c.Call("SET", "snap:db2", "v0");
        c.Call("SELECT", "0");
        string before = c.Str("DEBUG", "DIGEST");
        Assert.Equal("Background saving started", c.Str("BGSAVE"));
        long during = WhileSaving(server, 2, (w, random, v) =>
        {
            switch (v % 5)
            {
                case 0:
                    w.Call("MULTI");
                    w.Call("SET", $"snap:str:{random.Next(KeysPerType)}", $"v{v}");
                    w.Call("HSET", $"snap:hash:{random.Next(KeysPerType)}", "f0", $"v{v}");
                    w.Call("EXEC");
                    break;
                case 1:
                    w.Call("EVAL", "redis.call('del', KEYS[1]) return redis.call('rpush', KEYS[2], ARGV[1])", "2",
                        $"snap:set:{random.Next(KeysPerType)}", $"snap:list:{random.Next(KeysPerType)}", $"v{v}");
                    break;
                case 2:
                    w.Call("SWAPDB", "0", "1");
                    break;
                case 3:
                    w.Call("SELECT", "2");
                    w.Call("FLUSHDB");
                    w.Call("SET", "snap:db2", $"v{v}");
                    w.Call("SELECT", "0");
                    break;
                default:
                    Mutate(w, random, v);
                    break;
            }
        });

        Assert.True(during > 20, $"only {during} changes ran during the save");
        Assert.NotEqual(before, c.Str("DEBUG", "DIGEST"));
        Assert.Equal(before, DigestOfDump(server));
    }

    [Fact]
    public void BgsaveKeepsKeysThatExpireOrArePoppedDuringIt()
    {
        using var server = Start();
        using var c = server.Connect();
        Populate(c);
        for (int i = 0; i < KeysPerType; i++) c.Call("RPUSH", $"snap:queue:{i}", "v0", "v0");
        string before = c.Str("DEBUG", "DIGEST");
        Assert.Equal("Background saving started", c.Str("BGSAVE"));
        // Keys given a short life after the start are deleted by reads (lazy expiry) and by active expiry.
        for (int i = 0; i < KeysPerType; i++) c.Call("PEXPIRE", $"snap:hash:{i}", "1");
        Thread.Sleep(5);
        for (int i = 0; i < KeysPerType; i += 2) c.Call("EXISTS", $"snap:hash:{i}");
        long during = WhileSaving(server, 2, (w, random, v) =>
        {
            string queue = $"snap:queue:{random.Next(KeysPerType)}";
            w.Call("BLPOP", queue, "0.01");
            w.Call("RPUSH", queue, $"v{v}");
        });

        Assert.True(during > 20, $"only {during} changes ran during the save");
        Assert.Equal("0", c.Str("EXISTS", "snap:hash:0"));
        Assert.Equal(before, DigestOfDump(server));
    }
}
