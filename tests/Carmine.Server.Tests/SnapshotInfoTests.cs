using System.Diagnostics;
using System.Globalization;

namespace Carmine.Server.Tests;

/// <summary>
/// What INFO persistence tells about a BGSAVE or an AOF rewrite without fork: its progress in keys, and as copy-on-write the copies that
/// writes made for it (docs/snapshots.md), with rdb-key-save-delay pausing the saver even below a millisecond.
/// </summary>
public sealed class SnapshotInfoTests
{
    static long Long(RespConnection c, string name) => long.Parse(ServerInfo.Field(c, "persistence", name), CultureInfo.InvariantCulture);

    [Fact]
    public void NoSaveRunningReportsZeroCopyOnWriteAndProgress()
    {
        using var server = new TestServer("--enable-debug-command", "yes");
        using var c = server.Connect();
        c.Call("DEBUG", "POPULATE", "100", "snapinfo");
        AssertNoJobRunning(c);
        Assert.Equal("0", ServerInfo.Field(c, "persistence", "rdb_last_cow_size"));
    }

    /// <summary>The current_* fields with no BGSAVE or rewrite running.</summary>
    static void AssertNoJobRunning(RespConnection c)
    {
        Assert.Equal("0", ServerInfo.Field(c, "persistence", "current_cow_size"));
        Assert.Equal("0", ServerInfo.Field(c, "persistence", "current_cow_peak"));
        Assert.Equal("0.00", ServerInfo.Field(c, "persistence", "current_fork_perc"));
        Assert.Equal("0", ServerInfo.Field(c, "persistence", "current_save_keys_processed"));
        Assert.Equal("0", ServerInfo.Field(c, "persistence", "current_save_keys_total"));
    }

    [Fact]
    public void SubMillisecondKeySaveDelayPausesTheSaver()
    {
        using var server = new TestServer("--enable-debug-command", "yes", "--rdb-key-save-delay", "200");
        using var c = server.Connect();
        c.Call("DEBUG", "POPULATE", "2000", "snapinfo");
        var watch = Stopwatch.StartNew();
        Assert.Equal("Background saving started", c.Str("BGSAVE"));
        ServerInfo.WaitUntil(() => ServerInfo.Field(c, "persistence", "rdb_bgsave_in_progress") == "0", "the save to end");
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(400), $"2000 keys at 200 µs each were saved in {watch.Elapsed}");
        Assert.Equal("ok", ServerInfo.Field(c, "persistence", "rdb_last_bgsave_status"));
    }

    /// <summary>
    /// Starts <paramref name="command"/> over 5000 keys slowed to 200 µs each, then overwrites 16 of them while it runs;
    /// checks the job counts all keys, is still running (<paramref name="inProgress"/> is 1) and that its copy-on-write
    /// grew by the copies the writes forced. Returns the progress seen before the writes and the copy-on-write after.
    /// </summary>
    static (long ProcessedBefore, long Cow) WriteDuring(RespConnection c, string command, string inProgress)
    {
        c.Call("DEBUG", "POPULATE", "5000", "snapinfo", "500");
        Assert.False(c.Call(command).IsError);
        Assert.Equal("5000", ServerInfo.Field(c, "persistence", "current_save_keys_total"));
        ServerInfo.WaitUntil(() => Long(c, "current_save_keys_processed") > 0, "the job to start");
        long cowBefore = Long(c, "current_cow_size");
        long processedBefore = Long(c, "current_save_keys_processed");
        for (int i = 0; i < 16; i++) c.Call("SETRANGE", $"snapinfo:{i}", "0", new string('B', 500));

        Assert.Equal("1", ServerInfo.Field(c, "persistence", inProgress));
        long cow = Long(c, "current_cow_size");
        Assert.True(cow >= cowBefore + 4096, $"current_cow_size went from {cowBefore} to {cow} after 16 writes of 500 bytes");
        Assert.Equal(cow, Long(c, "current_cow_peak"));
        Assert.True(double.Parse(ServerInfo.Field(c, "persistence", "current_fork_perc"), CultureInfo.InvariantCulture) > 0);
        return (processedBefore, cow);
    }

    [Fact]
    public void WritesDuringBgsaveShowAsCopyOnWriteAndTheSaveAsProgress()
    {
        using var server = new TestServer("--enable-debug-command", "yes", "--rdb-key-save-delay", "200");
        using var c = server.Connect();
        var (processedBefore, cow) = WriteDuring(c, "BGSAVE", "rdb_bgsave_in_progress");
        ServerInfo.WaitUntil(() => Long(c, "current_save_keys_processed") > processedBefore, "the saver to go on");
        Assert.InRange(Long(c, "current_save_keys_processed"), 1, 5000);

        ServerInfo.WaitUntil(() => ServerInfo.Field(c, "persistence", "rdb_bgsave_in_progress") == "0", "the save to end");
        Assert.True(Long(c, "rdb_last_cow_size") >= cow);
        AssertNoJobRunning(c);
    }

    [Fact]
    public void AnAofRewriteReportsItsProgressAndCopyOnWrite()
    {
        using var server = new TestServer("--enable-debug-command", "yes", "--rdb-key-save-delay", "200");
        using var c = server.Connect();
        var (_, cow) = WriteDuring(c, "BGREWRITEAOF", "aof_rewrite_in_progress");

        ServerInfo.WaitUntil(() => ServerInfo.Field(c, "persistence", "aof_rewrite_in_progress") == "0", "the rewrite to end");
        Assert.True(Long(c, "aof_last_cow_size") >= cow);
        Assert.Equal("0", ServerInfo.Field(c, "persistence", "rdb_last_cow_size"));
        AssertNoJobRunning(c);
    }
}
