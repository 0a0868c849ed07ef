using System.Diagnostics;
using System.Net.Sockets;

namespace Carmine.Server.Tests;

/// <summary>
/// SIGTERM and SIGINT shut down as SHUTDOWN does (saving when save points are set, or as shutdown-on-sigterm says),
/// except while the dataset loads, when the server exits without saving; key-load-delay keeps it loading, and INFO
/// shows the load's progress meanwhile.
/// </summary>
public sealed class ShutdownSignalTests
{
    static void Signal(RespConnection c, string signal)
    {
        string pid = ServerInfo.Field(c, "server", "process_id");
        using var kill = Process.Start("kill", ["-" + signal, pid])!;
        kill.WaitForExit(10_000);
    }

    /// <summary>Starts a server with <paramref name="args"/>, writes a key, sends SIG<paramref name="signal"/> and waits for the exit.</summary>
    static TestServer ExitOnSignal(string signal, params string[] args)
    {
        var server = new TestServer(args);
        try
        {
            using (var c = server.Connect())
            {
                c.Call("SET", "sig:k", "v");
                Signal(c, signal);
            }
            Assert.True(server.WaitForExit(20_000));
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    static bool Saved(TestServer server) => File.Exists(Path.Combine(server.Dir, "dump.rdb"));

    [Fact]
    public void SigtermSavesWhenSavePointsAreSet()
    {
        using var server = ExitOnSignal("TERM", "--save", "900 1");
        Assert.Equal(0, server.ExitCode);
        Assert.True(Saved(server));
        ServerInfo.WaitUntil(() => server.Output.Contains("Saving the final RDB snapshot before exiting."), "the log line");
    }

    [Fact]
    public void SigtermDoesNotSaveWithoutSavePoints()
    {
        using var server = ExitOnSignal("TERM");
        Assert.False(Saved(server));
    }

    [Fact]
    public void ShutdownOnSigtermNosaveSkipsTheSave()
    {
        using var server = ExitOnSignal("TERM", "--save", "900 1", "--shutdown-on-sigterm", "nosave");
        Assert.False(Saved(server));
    }

    [Fact]
    public void ShutdownOnSigintSaveSavesWithoutSavePoints()
    {
        using var server = ExitOnSignal("INT", "--shutdown-on-sigint", "save");
        Assert.True(Saved(server));
    }

    [Fact]
    public void ShutdownAbortCancelsASigtermTheCronHasNotRun()
    {
        using var server = new TestServer("--enable-debug-command", "yes", "--save", "900 1");
        using var c = server.Connect();
        Assert.Equal("ERR No shutdown in progress.", c.Str("SHUTDOWN", "ABORT"));
        c.Call("DEBUG", "PAUSE-CRON", "1");
        Signal(c, "TERM");
        ServerInfo.WaitUntil(() => server.Output.Contains("Received SIGTERM scheduling shutdown..."), "the signal");
        Assert.Equal("OK", c.Str("SHUTDOWN", "ABORT"));
        ServerInfo.WaitUntil(() => server.Output.Contains("Shutdown manually aborted."), "the log line");
        c.Call("DEBUG", "PAUSE-CRON", "0");
        Thread.Sleep(300);
        Assert.Equal("PONG", c.Str("PING"));
        Assert.False(server.HasExited);
    }

    [Fact]
    public void SecondSigintDuringTheShutdownSaveExitsAndRemovesItsTempFile()
    {
        using var server = new TestServer("--shutdown-on-sigint", "save", "--rdb-key-save-delay", "100000");
        using var c = server.Connect();
        for (int i = 0; i < 20; i++) c.Call("SET", $"sig:{i}", "v");
        string temp = Path.Combine(server.Dir, $"temp-{ServerInfo.Field(c, "server", "process_id")}.rdb");
        Signal(c, "INT");
        ServerInfo.WaitUntil(() => File.Exists(temp), "the save to begin");
        Signal(c, "INT");
        Assert.True(server.WaitForExit(10_000));
        Assert.Equal(1, server.ExitCode);
        Assert.False(File.Exists(temp));
        Assert.False(File.Exists(Path.Combine(server.Dir, "dump.rdb")));
        ServerInfo.WaitUntil(() => server.Output.Contains("You insist... exiting now."), "the log line");
    }

    /// <summary>A server started on a dump of 2000 keys with key-load-delay 5 ms: it loads for 10 s unless stopped.</summary>
    sealed class LoadingServer : IDisposable
    {
        public readonly string Dir = Directory.CreateTempSubdirectory("carmine-test-").FullName;
        public readonly int Port = TestServer.FreePort();
        public readonly long DumpSize;
        public readonly Process Process;

        public LoadingServer()
        {
            using (var writer = new TestServer("--enable-debug-command", "yes"))
            using (var w = writer.Connect())
            {
                w.Call("DEBUG", "POPULATE", "2000", "sig");
                Assert.Equal("OK", w.Str("SAVE"));
                File.Copy(Path.Combine(writer.Dir, "dump.rdb"), Path.Combine(Dir, "dump.rdb"));
            }
            DumpSize = new FileInfo(Path.Combine(Dir, "dump.rdb")).Length;
            var psi = new ProcessStartInfo(TestServer.ServerPath) { WorkingDirectory = Dir, RedirectStandardOutput = true };
            foreach (var a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", Dir, "--save", "900 1", "--key-load-delay", "5000", "--enable-protected-configs", "yes" })
                psi.ArgumentList.Add(a);
            Process = Process.Start(psi)!;
            ServerInfo.WaitUntil(() =>
            {
                try
                {
                    using var probe = new RespConnection(Port);
                    return true;
                }
                catch (SocketException)
                {
                    return false;
                }
            }, "the server to listen");
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill();
            Process.WaitForExit(10_000);
            Process.Dispose();
            Directory.Delete(Dir, true);
        }
    }

    [Fact]
    public void KeyLoadDelayKeepsTheServerLoading()
    {
        using var server = new LoadingServer();
        using var c = new RespConnection(server.Port);
        Assert.Equal("LOADING Redis is loading the dataset in memory", c.Str("GET", "sig:1"));
        Assert.Equal("1", ServerInfo.Field(c, "persistence", "loading"));
    }

    [Fact]
    public void InfoShowsTheLoadsProgress()
    {
        using var server = new LoadingServer();
        using var c = new RespConnection(server.Port);
        ServerInfo.WaitUntil(() => ServerInfo.Field(c, "persistence", "loading_loaded_bytes") is var b && b != "" && b != "0", "the first keys");
        Assert.Equal(server.DumpSize.ToString(), ServerInfo.Field(c, "persistence", "loading_total_bytes"));
        long loaded = long.Parse(ServerInfo.Field(c, "persistence", "loading_loaded_bytes"));
        Assert.InRange(loaded, 1, server.DumpSize - 1);
        double perc = double.Parse(ServerInfo.Field(c, "persistence", "loading_loaded_perc"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(perc, 0.01, 99.99);
        Assert.True(long.Parse(ServerInfo.Field(c, "persistence", "loading_rdb_used_mem")) > 0);
        Assert.True(long.Parse(ServerInfo.Field(c, "persistence", "loading_eta_seconds")) >= 0);
        long start = long.Parse(ServerInfo.Field(c, "persistence", "loading_start_time"));
        Assert.InRange(start, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    [Fact]
    public void InfoShowsNoLoadingFieldsOnceLoaded()
    {
        using var server = new TestServer();
        using var c = server.Connect();
        Assert.Equal("0", ServerInfo.Field(c, "persistence", "loading"));
        Assert.Equal("", ServerInfo.Field(c, "persistence", "loading_start_time"));
        Assert.Equal("", ServerInfo.Field(c, "persistence", "loading_loaded_bytes"));
    }

    [Fact]
    public void ConfigSetOfDirIsRefusedWhileLoading()
    {
        using var server = new LoadingServer();
        using var c = new RespConnection(server.Port);
        Assert.Equal("OK", c.Str("CONFIG", "SET", "loglevel", "debug"));
        Assert.Equal("LOADING Redis is loading the dataset in memory", c.Str("CONFIG", "SET", "dir", "asdf", "loglevel", "notice"));
        Assert.Equal("[loglevel, debug]", c.Str("CONFIG", "GET", "loglevel"));
    }

    [Fact]
    public void SigtermWhileLoadingExitsAtOnceWithoutSaving()
    {
        using var server = new LoadingServer();
        using var c = new RespConnection(server.Port);
        var watch = Stopwatch.StartNew();
        Signal(c, "TERM");
        Assert.True(server.Process.WaitForExit(5_000));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Equal(0, server.Process.ExitCode);
        Assert.Contains("Received shutdown signal during loading, scheduling shutdown.", server.Process.StandardOutput.ReadToEnd());
        Assert.Equal(server.DumpSize, new FileInfo(Path.Combine(server.Dir, "dump.rdb")).Length);
    }
}
