namespace Carmine.Server.Tests;

/// <summary>maxmemory and maxmemory-policy. Every test empties the server and sets its own limit, so they run one after another on one server.</summary>
public sealed class EvictionTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    const string Oom = "OOM command not allowed when used memory > 'maxmemory'.";

    readonly RespConnection r = Reset(fixture.Server.Connect());

    static RespConnection Reset(RespConnection r)
    {
        r.Call("CONFIG", "SET", "maxmemory", "0");
        r.Call("FLUSHALL");
        r.Call("CONFIG", "SET", "maxmemory-policy", "noeviction", "maxmemory-samples", "5", "lfu-log-factor", "10", "notify-keyspace-events", "", "maxmemory-clients", "0");
        return r;
    }

    public void Dispose()
    {
        Reset(r);
        r.Dispose();
    }

    long Info(string field)
    {
        foreach (var line in r.Str("INFO").Split("\r\n"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal)) return long.Parse(line[(field.Length + 1)..]);
        throw new InvalidOperationException(field + " not in INFO");
    }

    /// <summary>Sets maxmemory a few bytes under what is used now: the next command evicts exactly one key.</summary>
    void LimitJustUnderUsage(string policy)
    {
        r.Call("CONFIG", "SET", "maxmemory-policy", policy);
        WaitForOnlyThisClient();
        r.Call("CONFIG", "SET", "maxmemory", (Info("used_memory") - 8).ToString());
    }

    bool Exists(string key) => r.Int("EXISTS", key) == 1;

    /// <summary>Eviction may finish in the background (past maxmemory-eviction-tenacity's time budget), as in Redis.</summary>
    void WaitForDbsize(long expected)
    {
        for (int i = 0; i < 100 && r.Int("DBSIZE") != expected; i++) Thread.Sleep(20);
        Assert.Equal(expected, r.Int("DBSIZE"));
    }

    /// <summary>Connections of earlier tests must be gone: their buffers count in used_memory until then.</summary>
    void WaitForOnlyThisClient()
    {
        for (int i = 0; i < 100 && Info("connected_clients") != 1; i++) Thread.Sleep(20);
    }

    [Fact]
    public void NoevictionRefusesDenyoomCommandsWithRedisOomError()
    {
        r.Call("SET", "ev:ne:a", "1");
        r.Call("CONFIG", "SET", "maxmemory", "1");
        Assert.Equal(Oom, r.Str("SET", "ev:ne:b", "2"));
        Assert.Equal("1", r.Str("GET", "ev:ne:a"));
        Assert.Equal(1, r.Int("DEL", "ev:ne:a"));
    }

    [Fact]
    public void OomIsCountedAsRejectedCallAndInErrorstats()
    {
        r.Call("CONFIG", "RESETSTAT");
        r.Call("CONFIG", "SET", "maxmemory", "1");
        r.Call("SET", "ev:stat", "x");
        string set = r.Str("INFO", "commandstats").Split("\r\n").Single(l => l.StartsWith("cmdstat_set:", StringComparison.Ordinal));
        Assert.StartsWith("cmdstat_set:calls=0,", set);
        Assert.EndsWith(",rejected_calls=1,failed_calls=0", set);
        Assert.Contains("errorstat_OOM:count=1", r.Str("INFO", "errorstats"));
    }

    [Fact]
    public void OomInsideMultiAbortsTheTransaction()
    {
        r.Call("CONFIG", "SET", "maxmemory", "1");
        Assert.Equal("OK", r.Str("MULTI"));
        Assert.Equal(Oom, r.Str("GET", "ev:multi"));
        Assert.Equal("EXECABORT Transaction discarded because of previous errors.", r.Str("EXEC"));
    }

    [Fact]
    public void AllkeysLruEvictsTheLeastRecentlyUsedKey()
    {
        r.Call("SET", "ev:lru:old", "a");
        r.Call("SET", "ev:lru:new", "b");
        Thread.Sleep(1100);
        r.Call("GET", "ev:lru:new");
        LimitJustUnderUsage("allkeys-lru");
        Assert.Equal(1, r.Int("DBSIZE"));
        Assert.True(Exists("ev:lru:new"));
    }

    [Fact]
    public void AllkeysLfuEvictsTheLeastFrequentlyUsedKey()
    {
        r.Call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu", "lfu-log-factor", "0");
        r.Call("SET", "ev:lfu:cold", "a");
        r.Call("SET", "ev:lfu:hot", "b");
        for (int i = 0; i < 10; i++) r.Call("GET", "ev:lfu:hot");
        LimitJustUnderUsage("allkeys-lfu");
        Assert.Equal(1, r.Int("DBSIZE"));
        Assert.True(Exists("ev:lfu:hot"));
    }

    [Fact]
    public void VolatileTtlEvictsTheKeyThatExpiresFirst()
    {
        r.Call("SET", "ev:ttl:soon", "a", "EX", "100");
        r.Call("SET", "ev:ttl:late", "b", "EX", "10000");
        r.Call("SET", "ev:ttl:none", "c");
        LimitJustUnderUsage("volatile-ttl");
        Assert.Equal(2, r.Int("DBSIZE"));
        Assert.False(Exists("ev:ttl:soon"));
    }

    [Theory]
    [InlineData("volatile-lru")]
    [InlineData("volatile-lfu")]
    [InlineData("volatile-random")]
    [InlineData("volatile-ttl")]
    public void VolatilePoliciesEvictOnlyKeysWithAnExpiry(string policy)
    {
        r.Call("CONFIG", "SET", "maxmemory-policy", policy);
        for (int i = 0; i < 20; i++)
        {
            r.Call("SET", $"ev:vol:{i}", "x", "EX", "1000");
            r.Call("SET", $"ev:keep:{i}", "x");
        }
        r.Call("CONFIG", "SET", "maxmemory", "1");
        WaitForDbsize(20);
        Assert.Equal(Oom, r.Str("SET", "ev:vol:new", "x"));
        Assert.False(Exists("ev:vol:0"));
        Assert.True(Exists("ev:keep:0"));
        Assert.True(Exists("ev:keep:19"));
    }

    [Theory]
    [InlineData("allkeys-lru")]
    [InlineData("allkeys-lfu")]
    [InlineData("allkeys-random")]
    public void AllkeysPoliciesEvictKeysWithoutAnExpiry(string policy)
    {
        for (int i = 0; i < 20; i++) r.Call("SET", $"ev:all:{i}", "x");
        r.Call("CONFIG", "SET", "maxmemory-policy", policy);
        r.Call("CONFIG", "SET", "maxmemory", "1");
        WaitForDbsize(0);
    }

    [Fact]
    public void EvictionStaysUnderTheLimitWhileWriting()
    {
        r.Call("CONFIG", "RESETSTAT");
        WaitForOnlyThisClient();
        long limit = Info("used_memory") + 20_000;
        r.Call("CONFIG", "SET", "maxmemory-policy", "allkeys-random");
        r.Call("CONFIG", "SET", "maxmemory", limit.ToString());
        for (int i = 0; i < 2000; i++) r.Call("SET", $"ev:fill:{i}", "0123456789");
        Assert.InRange(Info("used_memory"), 0, limit + 200);
        Assert.InRange(r.Int("DBSIZE"), 100, 1999);
        Assert.Equal(2000 - r.Int("DBSIZE"), Info("evicted_keys"));
    }

    [Fact]
    public void EvictedKeysAreCountedInInfo()
    {
        r.Call("CONFIG", "RESETSTAT");
        for (int i = 0; i < 3; i++) r.Call("SET", $"ev:count:{i}", "x");
        r.Call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
        r.Call("CONFIG", "SET", "maxmemory", "1");
        WaitForDbsize(0);
        Assert.Equal(3, Info("evicted_keys"));
        Assert.Equal(0, Info("evicted_clients"));
    }

    [Fact]
    public void EvictionPublishesTheEvictedKeyspaceEvent()
    {
        using var sub = fixture.Server.Connect();
        r.Call("CONFIG", "SET", "notify-keyspace-events", "Ee");
        sub.Call("PSUBSCRIBE", "__keyevent@*");
        r.Call("SET", "ev:notify", "bar");
        r.Call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
        r.Call("CONFIG", "SET", "maxmemory", "1");
        Assert.Equal("[pmessage, __keyevent@*, __keyevent@0__:evicted, ev:notify]", sub.Read().ToString());
    }

    [Fact]
    public void EvictionOfAWatchedKeyFailsTheTransaction()
    {
        using var other = fixture.Server.Connect();
        r.Call("SET", "ev:watched", "1");
        r.Call("WATCH", "ev:watched");
        other.Call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
        other.Call("CONFIG", "SET", "maxmemory", "1");
        WaitForDbsize(0);
        other.Call("CONFIG", "SET", "maxmemory", "0");
        r.Call("MULTI");
        r.Call("PING");
        Assert.True(r.Call("EXEC").IsNull);
    }

    [Fact]
    public void EvictionInvalidatesTrackedKeys()
    {
        using var tracker = fixture.Server.Connect();
        tracker.Call("HELLO", "3");
        tracker.Call("CLIENT", "TRACKING", "on");
        r.Call("SET", "ev:tracked", "1");
        tracker.Call("GET", "ev:tracked");
        r.Call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
        r.Call("CONFIG", "SET", "maxmemory", "1");
        Assert.Equal("[invalidate, [ev:tracked]]", tracker.Read().ToString());
    }

    [Fact]
    public void UsedMemoryDatasetGrowsByTheMemoryUsageOfANewKey()
    {
        long before = Info("used_memory_dataset");
        r.Call("SET", "ev:size", "some value");
        Assert.Equal(before + r.Int("MEMORY", "USAGE", "ev:size"), Info("used_memory_dataset"));
    }

    [Fact]
    public void AListGrownInPlaceIsChargedItsNewSize()
    {
        r.Call("RPUSH", "ev:list", "a");
        long one = Info("used_memory_dataset");
        r.Call("RPUSH", "ev:list", "0123456789012345678901234567890123456789");
        Assert.Equal(r.Int("MEMORY", "USAGE", "ev:list"), Info("used_memory_dataset"));
        Assert.True(Info("used_memory_dataset") > one);
    }

    [Fact]
    public void ScriptWithoutFlagsCannotWriteWhenOutOfMemory()
    {
        r.Call("CONFIG", "SET", "maxmemory", "1");
        Assert.StartsWith(Oom, r.Str("EVAL", "redis.call('set', KEYS[1], 1) return 1", "1", "ev:script"));
        Assert.Equal("1", r.Str("EVAL", "#!lua flags=allow-oom\nredis.call('set', KEYS[1], 1) return 1", "1", "ev:script"));
        Assert.Equal(Oom, r.Str("EVAL", "#!lua\nreturn 1", "0"));
    }

    [Fact]
    public void UnlinkOfALargeValueCountsAsLazyfreed()
    {
        r.Call("CONFIG", "RESETSTAT");
        var sadd = new List<string> { "SADD", "ev:lazy:big" };
        for (int i = 0; i < 100; i++) sadd.Add("member" + i);
        r.Call([.. sadd]);
        r.Call("SADD", "ev:lazy:small", "a");
        Assert.Equal(2, r.Int("UNLINK", "ev:lazy:big", "ev:lazy:small"));
        Assert.Equal(1, Info("lazyfreed_objects"));
    }

    [Fact]
    public void MaxmemoryClientsDisconnectsTheLargestClientButNotANoEvictOne()
    {
        r.Call("CONFIG", "RESETSTAT");
        r.Call("CLIENT", "NO-EVICT", "on");
        using var big = fixture.Server.Connect();
        big.SendRaw("*2\r\n$4\r\nECHO\r\n$400000\r\n" + new string('x', 300_000));
        r.Call("CONFIG", "SET", "maxmemory-clients", "200kb");
        Assert.True(big.IsClosedByServer());
        Assert.Equal("PONG", r.Str("PING"));
        Assert.Equal(1, Info("evicted_clients"));
        r.Call("CONFIG", "SET", "maxmemory-clients", "0");
    }

    [Fact]
    public void MaxmemoryIsShownInInfo()
    {
        r.Call("CONFIG", "SET", "maxmemory", "100mb", "maxmemory-policy", "volatile-lfu");
        Assert.Equal(104857600, Info("maxmemory"));
        string memory = r.Str("INFO", "memory");
        Assert.Contains("maxmemory_human:100.00M\r\n", memory);
        Assert.Contains("maxmemory_policy:volatile-lfu\r\n", memory);
        Assert.Contains("mem_not_counted_for_evict:0\r\n", memory);
    }
}
