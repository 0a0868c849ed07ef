namespace Carmine.Server.Tests;

public sealed class MemoryTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    [Fact]
    public void UsageOfAMissingKeyIsNull() => Assert.True(r.Call("MEMORY", "USAGE", "memory:none").IsNull);

    [Fact]
    public void UsageOfStringsFollowsTheirEncoding()
    {
        r.Call("SET", "memory:int", "12345");
        r.Call("SET", "memory:embstr", "hello");
        r.Call("SET", "memory:raw", new string('a', 1000));
        // Key (sds + dict entry) plus the object, in jemalloc classes, as Redis 7.0 reports them.
        Assert.Equal(56, r.Int("MEMORY", "USAGE", "memory:int"));
        Assert.Equal(72, r.Int("MEMORY", "USAGE", "memory:embstr"));
        Assert.Equal(1080, r.Int("MEMORY", "USAGE", "memory:raw"));
    }

    [Fact]
    public void UsageGrowsWithAnAggregate()
    {
        r.Call("HSET", "memory:hash", "f", "v");
        long small = r.Int("MEMORY", "USAGE", "memory:hash");
        for (int i = 0; i < 600; i++) r.Call("HSET", "memory:hash", $"field{i}", $"value{i}");
        long big = r.Int("MEMORY", "USAGE", "memory:hash", "SAMPLES", "0");
        // Redis 7.0 reports 72, then 41784 for this hash table.
        Assert.Equal(72, small);
        Assert.InRange(big, 35000, 50000);
    }

    [Fact]
    public void SamplesZeroMeasuresEveryElement()
    {
        r.Call("RPUSH", "memory:list", "a", "b", "c", "dddddddddddddddddddddddddddddddddddddddddddddddddddd");
        long sampled = r.Int("MEMORY", "USAGE", "memory:list", "SAMPLES", "1");
        long all = r.Int("MEMORY", "USAGE", "memory:list", "SAMPLES", "0");
        Assert.True(all > sampled, $"all {all}, sampled {sampled}");
    }

    [Fact]
    public void UsageRefusesBadOptions()
    {
        r.Call("SET", "memory:opts", "v");
        Assert.Equal("ERR syntax error", r.Str("MEMORY", "USAGE", "memory:opts", "SAMPLES", "-1"));
        Assert.Equal("ERR syntax error", r.Str("MEMORY", "USAGE", "memory:opts", "FOO"));
        Assert.Equal("ERR value is not an integer or out of range", r.Str("MEMORY", "USAGE", "memory:opts", "SAMPLES", "x"));
    }

    [Fact]
    public void StatsHasRedisFieldNames()
    {
        r.Call("SET", "memory:stats", "v");
        var text = r.Str("MEMORY", "STATS");
        foreach (var name in new[] { "peak.allocated", "total.allocated", "startup.allocated", "clients.normal", "overhead.hashtable.main",
            "overhead.total", "keys.count", "keys.bytes-per-key", "dataset.bytes", "dataset.percentage", "peak.percentage", "fragmentation.bytes" })
            Assert.Contains(name, text);
    }

    [Fact]
    public void DoctorRepliesWithAReport() => Assert.StartsWith("Hi Sam", r.Str("MEMORY", "DOCTOR"));

    [Fact]
    public void PurgeAndMallocStatsReply()
    {
        Assert.Equal("OK", r.Str("MEMORY", "PURGE"));
        Assert.Equal("Stats not supported for the current allocator", r.Str("MEMORY", "MALLOC-STATS"));
    }

    [Fact]
    public void HelpListsTheSubcommands() =>
        Assert.StartsWith("[MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, DOCTOR", r.Str("MEMORY", "HELP"));
}
