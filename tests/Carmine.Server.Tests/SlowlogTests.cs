namespace Carmine.Server.Tests;

/// <summary>Each test starts its own server: the slow log is server-wide.</summary>
public sealed class SlowlogTests
{
    [Fact]
    public void SlowCommandIsLoggedWithItsClientAndArguments()
    {
        using var server = new TestServer("--enable-debug-command", "yes", "--slowlog-log-slower-than", "100000");
        using var r = server.Connect();
        r.Call("PING");
        r.Call("DEBUG", "SLEEP", "0.2");
        var entry = r.Call("SLOWLOG", "GET").Items![0];
        Assert.Equal(6, entry.Items!.Length);
        Assert.True(entry.Items[2].Integer > 100000);
        Assert.Equal("[DEBUG, SLEEP, 0.2]", entry.Items[3].ToString());
        Assert.StartsWith("127.0.0.1:", entry.Items[4].Text);
        Assert.Equal("", entry.Items[5].Text);
    }

    [Fact]
    public void FastCommandsAreNotLogged()
    {
        // A threshold of 10 s: no PING comes near it, even on a loaded machine that pauses the server.
        using var server = new TestServer("--slowlog-log-slower-than", "10000000");
        using var r = server.Connect();
        r.Call("PING");
        Assert.Equal(0, r.Int("SLOWLOG", "LEN"));
    }

    [Fact]
    public void MaxLenKeepsTheNewestEntries()
    {
        using var server = new TestServer("--slowlog-log-slower-than", "0", "--slowlog-max-len", "10");
        using var r = server.Connect();
        for (int i = 0; i < 20; i++) r.Call("PING", i.ToString());
        var entries = r.Call("SLOWLOG", "GET", "-1").Items!;
        Assert.Equal(10, entries.Length);
        Assert.Equal("[PING, 19]", entries[0].Items![3].ToString());
        Assert.Equal("[PING, 10]", entries[9].Items![3].ToString());
    }

    [Fact]
    public void GetCountLimitsTheReply()
    {
        using var server = new TestServer("--slowlog-log-slower-than", "0");
        using var r = server.Connect();
        for (int i = 0; i < 5; i++) r.Call("PING");
        Assert.Equal(2, r.Call("SLOWLOG", "GET", "2").Items!.Length);
        Assert.Empty(r.Call("SLOWLOG", "GET", "0").Items!);
    }

    [Fact]
    public void ResetEmptiesTheLog()
    {
        using var server = new TestServer("--slowlog-log-slower-than", "0");
        using var r = server.Connect();
        r.Call("PING");
        Assert.Equal("OK", r.Str("SLOWLOG", "RESET"));
        Assert.Equal(1, r.Int("SLOWLOG", "LEN"));
    }

    [Fact]
    public void NegativeThresholdDisablesTheLog()
    {
        using var server = new TestServer("--slowlog-log-slower-than", "-1");
        using var r = server.Connect();
        r.Call("PING");
        Assert.Equal(0, r.Int("SLOWLOG", "LEN"));
    }

    [Fact]
    public void LongArgumentsAreTrimmed()
    {
        using var server = new TestServer("--slowlog-log-slower-than", "0");
        using var r = server.Connect();
        r.Call("ECHO", new string('A', 129));
        var args = r.Call("SLOWLOG", "GET", "1").Items![0].Items![3];
        Assert.Equal(new string('A', 128) + "... (1 more bytes)", args.Items![1].Text);
    }

    [Fact]
    public void CountBelowMinusOneIsRejected()
    {
        using var server = new TestServer();
        using var r = server.Connect();
        Assert.Equal("ERR count should be greater than or equal to -1", r.Str("SLOWLOG", "GET", "-2"));
    }

    [Fact]
    public void LatencyHistogramCountsCalls()
    {
        using var server = new TestServer();
        using var r = server.Connect();
        r.Call("SET", "slowlog:a", "b");
        r.Call("SET", "slowlog:a", "c");
        var histogram = r.Call("LATENCY", "HISTOGRAM", "set", "nosuch");
        Assert.Equal("set", histogram.Items![0].Text);
        Assert.Equal("calls", histogram.Items[1].Items![0].Text);
        Assert.Equal(2, histogram.Items[1].Items![1].Integer);
    }

    [Fact]
    public void LatencyHistogramOfSubcommands()
    {
        using var server = new TestServer();
        using var r = server.Connect();
        r.Call("COMMAND", "COUNT");
        Assert.Equal("command|count", r.Call("LATENCY", "HISTOGRAM", "command").Items![0].Text);
    }

    [Fact]
    public void LatencyEventIsRecordedAboveThreshold()
    {
        using var server = new TestServer("--enable-debug-command", "yes", "--latency-monitor-threshold", "100");
        using var r = server.Connect();
        r.Call("DEBUG", "SLEEP", "0.15");
        var latest = r.Call("LATENCY", "LATEST").Items!.Single(e => e.Items![0].Text == "command");
        Assert.True(latest.Items![2].Integer >= 150);
        Assert.Single(r.Call("LATENCY", "HISTORY", "command").Items!);
        Assert.Equal(1, r.Int("LATENCY", "RESET", "command"));
    }

    [Fact]
    public void LatencyGraphOfUnknownEvent()
    {
        using var server = new TestServer();
        using var r = server.Connect();
        Assert.Equal("ERR No samples available for event 'nosuch'", r.Str("LATENCY", "GRAPH", "nosuch"));
    }

    [Fact]
    public void LatencyDoctorWhenMonitoringIsOff()
    {
        using var server = new TestServer();
        using var r = server.Connect();
        Assert.StartsWith("I'm sorry, Dave, I can't do that.", r.Str("LATENCY", "DOCTOR"));
    }
}

public sealed class LatencyHistogramTests
{
    static long[] Record(params (long Us, int Times)[] calls)
    {
        var counts = new long[LatencyHistogram.CountsLength];
        foreach (var (us, times) in calls) counts[LatencyHistogram.Index(us)] += times;
        return counts;
    }

    [Fact]
    public void CumulativeBucketsEndWhereRedisEndsThem()
    {
        var counts = Record((0, 1), (1, 1), (3, 1), (270_000, 1));
        Assert.Equal([(1L, 2L), (4L, 3L), (270532L, 4L)], LatencyHistogram.Cumulative(counts));
    }

    [Fact]
    public void PercentilesAreTheHighestValueOfTheirSlot()
    {
        var counts = Record((1, 99), (1000, 1));
        Assert.Equal(1.003, LatencyHistogram.PercentileUs(counts, 50));
        Assert.Equal(1003.519, LatencyHistogram.PercentileUs(counts, 100));
        Assert.Equal(1.0, LatencyHistogram.PercentileUs(counts, 0));
    }

    [Fact]
    public void LatencyAboveOneSecondCountsAsOneSecond()
    {
        Assert.Equal(LatencyHistogram.Index(1_000_000), LatencyHistogram.Index(5_000_000));
    }
}

public sealed class LatencyTrackingTests
{
    [Fact]
    public void NoLatencyTrackingRecordsNothing()
    {
        using var server = new TestServer("--latency-tracking", "no");
        using var r = server.Connect();
        r.Call("SET", "lt:a", "b");
        Assert.Equal("[]", r.Str("LATENCY", "HISTOGRAM", "set"));
    }
}

public sealed class LatencyResetTests
{
    [Fact]
    public void ConfigResetstatClearsLatencyHistograms()
    {
        using var server = new TestServer();
        using var r = server.Connect();
        r.Call("SET", "lr:a", "b");
        r.Call("CONFIG", "RESETSTAT");
        Assert.Equal("[config|resetstat]", "[" + string.Join(", ", r.Call("LATENCY", "HISTOGRAM").Items!.Where((_, i) => i % 2 == 0).Select(i => i.Text)) + "]");
    }
}
