using Carmine.Server.Persistence;

namespace Carmine.Server.Tests;

/// <summary>
/// Redis 7.0's rewrite bookkeeping: history files in the manifest, aof-disable-auto-gc, failed rewrites and the
/// limit that follows them, and the temporary incremental file of CONFIG SET appendonly yes. A rewrite is made to
/// fail the way a full or read-only disk would: its temp file (dir/temp-rewriteaof-bg-PID.aof) cannot be created,
/// because a directory stands in its place.
/// </summary>
public sealed class AofRewriteTests
{
    static TestServer Start(params string[] extra) => new(["--appendonly", "yes", "--enable-debug-command", "yes", .. extra]);

    static string Manifest(TestServer s) => File.ReadAllText(Path.Combine(s.Dir, "appendonlydir", "appendonly.aof.manifest"));

    static bool AofFileExists(TestServer s, string name) => File.Exists(Path.Combine(s.Dir, "appendonlydir", name));

    static string Persistence(RespConnection c, string field) => ServerInfo.Field(c, "persistence", field);

    static void Rewrite(RespConnection c)
    {
        Assert.Equal("Background append only file rewriting started", c.Call("BGREWRITEAOF").Text);
        WaitForRewrite(c);
    }

    static void WaitForRewrite(RespConnection c) =>
        ServerInfo.WaitUntil(() => Persistence(c, "aof_rewrite_in_progress") == "0", "the rewrite to end");

    /// <summary>Makes the next rewrites fail to create their temp file; dispose to let them succeed again.</summary>
    static IDisposable BlockRewrites(TestServer s, RespConnection c)
    {
        string pid = ServerInfo.Field(c, "server", "process_id");
        var blocker = Directory.CreateDirectory(Path.Combine(s.Dir, $"temp-rewriteaof-bg-{pid}.aof"));
        return new Unblock(blocker);
    }

    sealed class Unblock(DirectoryInfo blocker) : IDisposable
    {
        public void Dispose() => blocker.Delete();
    }

    static int LogCount(TestServer s, string text) => s.Output.Split('\n').Count(line => line.Contains(text, StringComparison.Ordinal));

    /// <summary>The server's output reaches the test a moment after it is written.</summary>
    static void WaitForLog(TestServer s, string text, int count = 1) =>
        ServerInfo.WaitUntil(() => LogCount(s, text) >= count, $"the log line '{text}'");

    [Fact]
    public void HistoryFilesStayInTheManifestWhileAutoGcIsDisabled()
    {
        using var s = Start();
        using var c = s.Connect();
        c.Call("CONFIG", "SET", "aof-disable-auto-gc", "yes");
        c.Call("SET", "aofrw:a", "1");
        Rewrite(c);
        c.Call("SET", "aofrw:b", "2");
        Rewrite(c);
        // Newest first, each base after the incremental files that followed it, as Redis orders them.
        Assert.Equal(
            "file appendonly.aof.3.base.rdb seq 3 type b\n" +
            "file appendonly.aof.2.incr.aof seq 2 type h\n" +
            "file appendonly.aof.2.base.rdb seq 2 type h\n" +
            "file appendonly.aof.1.incr.aof seq 1 type h\n" +
            "file appendonly.aof.1.base.rdb seq 1 type h\n" +
            "file appendonly.aof.3.incr.aof seq 3 type i\n", Manifest(s));
        Assert.True(AofFileExists(s, "appendonly.aof.1.base.rdb") && AofFileExists(s, "appendonly.aof.2.incr.aof"));

        c.Call("CONFIG", "SET", "aof-disable-auto-gc", "no");
        Assert.Equal("file appendonly.aof.3.base.rdb seq 3 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n", Manifest(s));
        ServerInfo.WaitUntil(() => !AofFileExists(s, "appendonly.aof.1.base.rdb") && !AofFileExists(s, "appendonly.aof.1.incr.aof")
            && !AofFileExists(s, "appendonly.aof.2.base.rdb") && !AofFileExists(s, "appendonly.aof.2.incr.aof"), "the history files to be removed");
    }

    [Fact]
    public void DebugLoadaofReadsTheManifestOnDiskAndRemovesItsHistoryFiles()
    {
        using var s = Start();
        using var c = s.Connect();
        c.Call("SET", "aofrw:k", "v");
        string dir = Path.Combine(s.Dir, "appendonlydir");
        File.WriteAllText(Path.Combine(dir, "appendonly.aof.7.incr.aof"), "");
        File.WriteAllText(Path.Combine(dir, "appendonly.aof.manifest"),
            "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.7.incr.aof seq 7 type h\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
        Assert.Equal("OK", c.Call("DEBUG", "LOADAOF").Text);
        Assert.Equal("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n", Manifest(s));
        ServerInfo.WaitUntil(() => !AofFileExists(s, "appendonly.aof.7.incr.aof"), "the history file to be removed");
        Assert.Equal("v", c.Call("GET", "aofrw:k").Text);
    }

    [Fact]
    public void FailedRewritesLeaveTheirIncrementalFilesAndCountTheFailures()
    {
        using var s = Start();
        using var c = s.Connect();
        for (int i = 0; i < 50; i++) c.Call("SET", "aofrw:k" + i, "v" + i);
        using (BlockRewrites(s, c))
        {
            for (int i = 0; i < 3; i++)
            {
                Rewrite(c);
                c.Call("INCR", "aofrw:counter");
            }
            Assert.Equal(
                "file appendonly.aof.1.base.rdb seq 1 type b\n" +
                "file appendonly.aof.1.incr.aof seq 1 type i\n" +
                "file appendonly.aof.2.incr.aof seq 2 type i\n" +
                "file appendonly.aof.3.incr.aof seq 3 type i\n" +
                "file appendonly.aof.4.incr.aof seq 4 type i\n", Manifest(s));
            Assert.Equal("err", Persistence(c, "aof_last_bgrewrite_status"));
            Assert.Equal("3", Persistence(c, "aof_rewrites_consecutive_failures"));
            Assert.Equal("3", Persistence(c, "aof_rewrites"));
            WaitForLog(s, "Background AOF rewrite terminated with error", 3);
            string digest = c.Call("DEBUG", "DIGEST").Text!;
            Assert.Equal("OK", c.Call("DEBUG", "LOADAOF").Text);
            Assert.Equal(digest, c.Call("DEBUG", "DIGEST").Text);
        }
        Rewrite(c);
        // The base covers every incremental file but the one being written: all of them become history and go.
        Assert.Equal("file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.5.incr.aof seq 5 type i\n", Manifest(s));
        Assert.Equal("ok", Persistence(c, "aof_last_bgrewrite_status"));
        Assert.Equal("0", Persistence(c, "aof_rewrites_consecutive_failures"));
        ServerInfo.WaitUntil(() => !AofFileExists(s, "appendonly.aof.1.base.rdb") && !AofFileExists(s, "appendonly.aof.4.incr.aof"),
            "the history files to be removed");
        Assert.Equal("3", c.Call("GET", "aofrw:counter").Text);
    }

    [Fact]
    public void AutomaticRewritesWaitAfterThreeFailuresButBgrewriteaofDoesNot()
    {
        using var s = Start();
        using var c = s.Connect();
        using (BlockRewrites(s, c))
        {
            for (int i = 0; i < 3; i++) Rewrite(c);
            string manifest = Manifest(s);
            c.Call("CONFIG", "SET", "auto-aof-rewrite-percentage", "1", "auto-aof-rewrite-min-size", "1kb");
            c.Call("SET", "aofrw:big", new string('x', 1024));
            WaitForLog(s, "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in 1 minutes");
            Thread.Sleep(300);
            Assert.Equal("0", Persistence(c, "aof_rewrite_in_progress"));
            Assert.Equal(manifest, Manifest(s));
            Assert.Equal(1, LogCount(s, "triggered the limit"));
            c.Call("CONFIG", "SET", "auto-aof-rewrite-percentage", "0");
        }
        Rewrite(c);
        Assert.Equal("file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.5.incr.aof seq 5 type i\n", Manifest(s));
    }

    [Fact]
    public void BgrewriteaofScheduledDuringBgsaveClearsTheFailureCount()
    {
        using var s = Start();
        using var c = s.Connect();
        using (BlockRewrites(s, c)) Rewrite(c);
        Assert.Equal("1", Persistence(c, "aof_rewrites_consecutive_failures"));
        c.Call("SET", "aofrw:k", "v");
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "300000");
        c.Call("BGSAVE");
        Assert.Equal("Background append only file rewriting scheduled", c.Call("BGREWRITEAOF").Text);
        Assert.Equal("0", Persistence(c, "aof_rewrites_consecutive_failures"));
        Assert.Equal("1", Persistence(c, "aof_rewrite_scheduled"));
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "0");
        ServerInfo.WaitUntil(() => Persistence(c, "aof_rewrite_scheduled") == "0" && Persistence(c, "aof_rewrite_in_progress") == "0",
            "the scheduled rewrite to run");
        Assert.Equal("ok", Persistence(c, "aof_last_bgrewrite_status"));
    }

    [Fact]
    public void EnablingTheAofWritesNoManifestUntilItsFirstRewriteSucceeds()
    {
        using var s = new TestServer("--enable-debug-command", "yes");
        using var c = s.Connect();
        c.Call("SET", "aofrw:before", "1");
        using (BlockRewrites(s, c))
        {
            Assert.Equal("OK", c.Call("CONFIG", "SET", "appendonly", "yes").Text);
            c.Call("SET", "aofrw:waiting", "1");
            // Each failure drops the temporary file and schedules the next try, until the limit holds them back.
            WaitForLog(s, "triggered the limit");
            WaitForLog(s, "Removing the temp incr aof file temp-appendonly.aof.incr in the background", 3);
            Assert.Equal(3, LogCount(s, "Removing the temp incr aof file"));
            Assert.Equal("1", Persistence(c, "aof_enabled"));
            Assert.Equal("1", Persistence(c, "aof_rewrite_scheduled"));
            string dir = Path.Combine(s.Dir, "appendonlydir");
            ServerInfo.WaitUntil(() => !Directory.Exists(dir) || !Directory.EnumerateFileSystemEntries(dir).Any(), "an empty AOF directory");
        }
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "200000");
        Assert.Equal("Background append only file rewriting started", c.Call("BGREWRITEAOF").Text);
        c.Call("SET", "aofrw:during", "1");
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "0");
        WaitForRewrite(c);
        Assert.Equal("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n", Manifest(s));
        Assert.False(AofFileExists(s, "temp-appendonly.aof.incr"));
        c.Call("SET", "aofrw:after", "1");
        string digest = c.Call("DEBUG", "DIGEST").Text!;
        Assert.Equal("OK", c.Call("DEBUG", "LOADAOF").Text);
        Assert.Equal(digest, c.Call("DEBUG", "DIGEST").Text);
        Assert.Equal("1", c.Call("GET", "aofrw:during").Text);
    }

    [Fact]
    public void ARewriteWithTheAofOffMakesEveryIncrementalFileHistory()
    {
        using var s = Start();
        using var c = s.Connect();
        c.Call("SET", "aofrw:k", "v");
        c.Call("CONFIG", "SET", "appendonly", "no");
        Rewrite(c);
        Assert.Equal("file appendonly.aof.2.base.rdb seq 2 type b\n", Manifest(s));
        ServerInfo.WaitUntil(() => !AofFileExists(s, "appendonly.aof.1.incr.aof"), "the history files to be removed");
        // DEBUG LOADAOF reads the manifest again: with no incremental file left, the next one is number 1.
        Assert.Equal("OK", c.Call("DEBUG", "LOADAOF").Text);
        c.Call("CONFIG", "SET", "appendonly", "yes");
        WaitForRewrite(c);
        Assert.Equal("file appendonly.aof.3.base.rdb seq 3 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n", Manifest(s));
        Assert.Equal("v", c.Call("GET", "aofrw:k").Text);
    }

    [Fact]
    public void TurningTheAofOffStopsASlowRewriteAtOnceWithoutCountingAFailure()
    {
        using var s = Start("--aof-use-rdb-preamble", "no");
        using var c = s.Connect();
        c.Call("SET", "aofrw:k", "v");
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "10000000");
        c.Call("BGREWRITEAOF");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        c.Call("CONFIG", "SET", "appendonly", "no");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"CONFIG SET appendonly no took {watch.Elapsed}");
        Assert.Equal("0", Persistence(c, "aof_rewrite_in_progress"));
        Assert.Equal("ok", Persistence(c, "aof_last_bgrewrite_status"));
        Assert.Equal("0", Persistence(c, "aof_rewrites_consecutive_failures"));
        WaitForLog(s, "Killing running AOF rewrite child");
        string pid = ServerInfo.Field(c, "server", "process_id");
        Assert.False(File.Exists(Path.Combine(s.Dir, $"temp-rewriteaof-bg-{pid}.aof")));
    }

    [Fact]
    public void TurningTheAofOffInsideATransactionStopsARunningRewrite()
    {
        using var s = Start();
        using var c = s.Connect();
        for (int i = 0; i < 100; i++) c.Call("SET", "aofrw:k" + i, "v");
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "10000000");
        c.Call("BGREWRITEAOF");
        c.Call("MULTI");
        c.Call("CONFIG", "SET", "appendonly", "no");
        c.Call("SET", "aofrw:k0", "changed");
        Assert.Equal(2, c.Call("EXEC").Items!.Length);
        ServerInfo.WaitUntil(() => Persistence(c, "aof_rewrite_in_progress") == "0", "the rewrite to stop", seconds: 5);
        Assert.Equal("0", Persistence(c, "aof_enabled"));
        Assert.Equal("ok", Persistence(c, "aof_last_bgrewrite_status"));
        Assert.Equal("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n", Manifest(s));
    }

    [Fact]
    public void ShutdownWaitsForTheFirstBaseOfAJustEnabledAofUnlessForced()
    {
        using var s = new TestServer("--enable-debug-command", "yes");
        using var c = s.Connect();
        c.Call("SET", "aofrw:k", "v");
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "10000000");
        c.Call("CONFIG", "SET", "appendonly", "yes");
        Assert.Equal("ERR Errors trying to SHUTDOWN. Check logs.", c.Call("SHUTDOWN").Text);
        WaitForLog(s, "Writing initial AOF, can't exit.");
        Assert.Equal("1", Persistence(c, "aof_rewrite_in_progress"));
        c.SendRaw("*2\r\n$8\r\nSHUTDOWN\r\n$5\r\nFORCE\r\n");
        Assert.True(c.IsClosedByServer(10_000));
        Assert.True(s.WaitForExit(10_000));
        WaitForLog(s, "Writing initial AOF. Exit anyway.");
    }

    [Fact]
    public void TheRewriteLimitDoublesFromOneMinuteToAnHour()
    {
        var limit = new AofRewriteLimit();
        Assert.False(limit.IsLimited(2, 1000));
        Assert.True(limit.IsLimited(3, 1000));
        Assert.True(limit.IsLimited(3, 1059));
        Assert.False(limit.IsLimited(3, 1060));
        // Each new wait is twice the last: 2, 4, 8, 16, 32 minutes, then never more than 60.
        long now = 1060;
        foreach (int minutes in new[] { 2, 4, 8, 16, 32, 60, 60 })
        {
            Assert.True(limit.IsLimited(4, now));
            Assert.True(limit.IsLimited(4, now + minutes * 60 - 1));
            Assert.False(limit.IsLimited(4, now + minutes * 60));
            now += minutes * 60;
        }
        // A success ends the limit: the next failures start again from one minute.
        Assert.False(limit.IsLimited(0, now));
        Assert.True(limit.IsLimited(3, now));
        Assert.False(limit.IsLimited(3, now + 60));
    }

    /// <summary>A directory holding an appendonlydir whose manifest is <paramref name="manifest"/> and a history file.</summary>
    static string DirWithManifest(string manifest)
    {
        string dir = Directory.CreateTempSubdirectory("carmine-aofhist-").FullName;
        string aofDir = Directory.CreateDirectory(Path.Combine(dir, "appendonlydir")).FullName;
        File.WriteAllText(Path.Combine(aofDir, "appendonly.aof.manifest"), manifest);
        File.WriteAllText(Path.Combine(aofDir, "appendonly.aof.1.base.aof"), "");
        return dir;
    }

    [Fact]
    public void WithTheAofOffStartUpStillRemovesHistoryFiles()
    {
        string dir = DirWithManifest("file appendonly.aof.1.base.aof seq 1 type h\nfile appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
        using (var s = new TestServer("--appendonly", "no", "--dir", dir))
        {
            string history = Path.Combine(dir, "appendonlydir", "appendonly.aof.1.base.aof");
            ServerInfo.WaitUntil(() => !File.Exists(history), "the history file to be removed");
            string manifest = File.ReadAllText(Path.Combine(dir, "appendonlydir", "appendonly.aof.manifest"));
            Assert.DoesNotContain("type h", manifest);
            Assert.Contains("file appendonly.aof.2.base.aof seq 2 type b", manifest);
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void WithTheAofOffADamagedManifestStopsStartUp()
    {
        string dir = DirWithManifest("file appendonly.aof.1.base.aof seq 1 type x\n");
        var refused = Assert.Throws<InvalidOperationException>(() => new TestServer("--appendonly", "no", "--dir", dir));
        Assert.Contains("FATAL AOF MANIFEST FILE ERROR", refused.Message);
        Directory.Delete(dir, true);
    }
}
