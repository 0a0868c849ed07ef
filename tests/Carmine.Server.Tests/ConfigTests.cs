using System.Diagnostics;
using Carmine.Server.Config;

namespace Carmine.Server.Tests;

public sealed class ConfigTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    readonly RespConnection r = fixture.Server.Connect();
    readonly string dir = Directory.CreateTempSubdirectory("carmine-config-test-").FullName;

    public void Dispose()
    {
        r.Dispose();
        Directory.Delete(dir, true);
    }

    string WriteFile(string name, string content)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    static Dictionary<string, string> AsDictionary(Protocol.RespValue reply)
    {
        var items = reply.Items!;
        var d = new Dictionary<string, string>();
        for (int i = 0; i < items.Length; i += 2) d.Add(items[i].Text!, items[i + 1].Text!);
        return d;
    }

    /// <summary>Runs carmine-server expecting it to stop at start-up; returns its exit code and everything it printed.</summary>
    static (int ExitCode, string Output) RunFailingServer(params string[] args)
    {
        var psi = new ProcessStartInfo(TestServer.ServerPath) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(30_000))
        {
            p.Kill();
            throw new TimeoutException("carmine-server did not stop");
        }
        return (p.ExitCode, stdout.Result + stderr);
    }

    [Fact]
    public void ConfigGetReturnsTheDefaultValue()
    {
        Assert.Equal("[maxmemory-policy, noeviction]", r.Str("CONFIG", "GET", "maxmemory-policy"));
    }

    [Fact]
    public void ConfigGetEchoesAnExactNameAsGiven()
    {
        Assert.Equal("[MAXMEMORY-POLICY, noeviction]", r.Str("CONFIG", "GET", "MAXMEMORY-POLICY"));
    }

    [Fact]
    public void ConfigGetWithSeveralPatternsListsEachNameOnce()
    {
        var reply = r.Call("CONFIG", "GET", "maxmemory", "maxmemory*", "bind", "*of");
        var d = AsDictionary(reply);
        Assert.Equal(reply.Items!.Length, d.Count * 2);
        Assert.Equal(["bind", "maxmemory", "maxmemory-clients", "maxmemory-eviction-tenacity", "maxmemory-policy", "maxmemory-samples", "replicaof", "slaveof"],
            d.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ConfigGetPatternSkipsHiddenDirectives()
    {
        Assert.Equal("[]", r.Str("CONFIG", "GET", "key-load-*"));
        Assert.Equal("[key-load-delay, 0]", r.Str("CONFIG", "GET", "key-load-delay"));
    }

    [Fact]
    public void ConfigGetPrintsMemoryInBytesAndPercentWithItsSign()
    {
        using var s = new TestServer("--maxmemory", "1kb", "--maxmemory-clients", "10%");
        using var c = s.Connect();
        Assert.Equal("[maxmemory, 1024]", c.Str("CONFIG", "GET", "maxmemory"));
        Assert.Equal("[maxmemory-clients, 10%]", c.Str("CONFIG", "GET", "maxmemory-clients"));
    }

    [Fact]
    public void ConfigSetSetsSeveralDirectivesAtOnce()
    {
        using var s = new TestServer();
        using var c = s.Connect();
        Assert.Equal("OK", c.Str("CONFIG", "SET", "maxmemory", "10mb", "save", "3000 5", "hash-max-ziplist-entries", "20"));
        Assert.Equal("[maxmemory, 10485760]", c.Str("CONFIG", "GET", "maxmemory"));
        Assert.Equal("[save, 3000 5]", c.Str("CONFIG", "GET", "save"));
        Assert.Equal("[hash-max-listpack-entries, 20]", c.Str("CONFIG", "GET", "hash-max-listpack-entries"));
    }

    [Fact]
    public void ConfigSetChangesNothingWhenOneValueIsBad()
    {
        using var s = new TestServer();
        using var c = s.Connect();
        Assert.Equal("ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100",
            c.Str("CONFIG", "SET", "maxmemory", "10000001", "maxmemory-clients", "200%", "client-query-buffer-limit", "invalid"));
        Assert.Equal("[maxmemory, 0]", c.Str("CONFIG", "GET", "maxmemory"));
    }

    [Fact]
    public void ConfigSetOfAnUnknownOptionNamesIt()
    {
        Assert.Equal("ERR Unknown option or number of arguments for CONFIG SET - 'no-such-option'", r.Str("CONFIG", "SET", "no-such-option", "1"));
    }

    [Fact]
    public void ConfigSetRefusesAnImmutableDirective()
    {
        Assert.Equal("ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config", r.Str("CONFIG", "SET", "daemonize", "yes"));
    }

    [Fact]
    public void ConfigSetRefusesAProtectedDirectiveByDefault()
    {
        Assert.Equal("ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config", r.Str("CONFIG", "SET", "dir", "/tmp"));
    }

    [Fact]
    public void ConfigSetRefusesADuplicateParameter()
    {
        Assert.Equal("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter",
            r.Str("CONFIG", "SET", "maxmemory", "1", "maxmemory", "2"));
    }

    [Fact]
    public void ConfigSetWithAnOddNumberOfArgumentsIsASyntaxError()
    {
        Assert.Equal("ERR syntax error", r.Str("CONFIG", "SET", "maxmemory", "1", "hz"));
    }

    [Fact]
    public void ConfigSetReportsABadIntegerWithRedisText()
    {
        Assert.Equal("ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer", r.Str("CONFIG", "SET", "port", "abc"));
    }

    [Fact]
    public void NotifyKeyspaceEventsPrintsTheCanonicalFlags()
    {
        using var s = new TestServer();
        using var c = s.Connect();
        c.Call("CONFIG", "SET", "notify-keyspace-events", "KEA");
        Assert.Equal("[notify-keyspace-events, AKE]", c.Str("CONFIG", "GET", "notify-keyspace-events"));
    }

    [Fact]
    public void ClientOutputBufferLimitChangesOnlyTheGivenClass()
    {
        using var s = new TestServer();
        using var c = s.Connect();
        c.Call("CONFIG", "SET", "client-output-buffer-limit", "replica 1mb 2mb 30");
        Assert.Equal("[client-output-buffer-limit, normal 0 0 0 slave 1048576 2097152 30 pubsub 33554432 8388608 60]",
            c.Str("CONFIG", "GET", "client-output-buffer-limit"));
    }

    [Fact]
    public void HzAboveFiveHundredIsCapped()
    {
        using var s = new TestServer();
        using var c = s.Connect();
        c.Call("CONFIG", "SET", "hz", "1000");
        Assert.Equal("[hz, 500]", c.Str("CONFIG", "GET", "hz"));
    }

    [Fact]
    public void RequirepassSetAtRunTimeAppliesToNewConnections()
    {
        using var s = new TestServer();
        using (var c = s.Connect()) c.Call("CONFIG", "SET", "requirepass", "config:secret");
        using var fresh = s.Connect();
        Assert.Equal("NOAUTH Authentication required.", fresh.Str("PING"));
    }

    [Fact]
    public void ConfigSetPortListensOnTheNewPort()
    {
        using var s = new TestServer();
        int newPort = TestServer.FreePort();
        using (var c = s.Connect()) Assert.Equal("OK", c.Str("CONFIG", "SET", "port", newPort.ToString()));
        using var moved = new RespConnection(newPort);
        Assert.Equal("PONG", moved.Str("PING"));
    }

    [Fact]
    public void ConfigSetPortThatIsTakenFailsAndKeepsTheOldPort()
    {
        using var s = new TestServer();
        var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            int port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
            using (var c = s.Connect())
                Assert.Equal("ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.",
                    c.Str("CONFIG", "SET", "port", port.ToString()));
            using var again = s.Connect();
            Assert.Equal($"[port, {s.Port}]", again.Str("CONFIG", "GET", "port"));
        }
        finally
        {
            taken.Stop();
        }
    }

    [Fact]
    public void ConfigRewriteWithoutAConfigFileFails()
    {
        Assert.Equal("ERR The server is running without a config file", r.Str("CONFIG", "REWRITE"));
    }

    [Fact]
    public void ConfigFileWithIncludeIsLoaded()
    {
        string included = WriteFile("included.conf", "maxmemory-policy allkeys-lru\n");
        string main = WriteFile("main.conf", $"# main\ninclude {included}\nhz 20\n");
        using var s = TestServer.WithConfigFile(main);
        using var c = s.Connect();
        Assert.Equal("[maxmemory-policy, allkeys-lru]", c.Str("CONFIG", "GET", "maxmemory-policy"));
        Assert.Equal("[hz, 20]", c.Str("CONFIG", "GET", "hz"));
    }

    [Fact]
    public void BadConfigLineIsAFatalErrorWithItsLineNumber()
    {
        string file = WriteFile("bad.conf", "# a comment\nport 7000\nno-such-directive 1\n");
        var (exitCode, output) = RunFailingServer(file);
        Assert.Equal(1, exitCode);
        Assert.Contains("*** FATAL CONFIG FILE ERROR (Carmine ", output);
        Assert.Contains("Reading the configuration file, at line 3\n>>> 'no-such-directive 1'\nBad directive or wrong number of arguments", output);
    }

    [Fact]
    public void BadLineInAnIncludedFileIsReportedWithItsOwnLineNumber()
    {
        string included = WriteFile("inc.conf", "hz notanumber\n");
        string main = WriteFile("main.conf", $"port 7000\n\n\ninclude {included}\n");
        var (_, output) = RunFailingServer(main);
        Assert.Contains("Reading the configuration file, at line 1\n>>> 'hz notanumber'\nargument couldn't be parsed into an integer", output);
    }

    [Fact]
    public void CommandLineOptionsAreReportedAsLinesAfterTheFile()
    {
        var (_, output) = RunFailingServer("--port", "6379", "6380");
        Assert.Contains("Reading the configuration file, at line 2\n>>> 'port \"6379\" \"6380\"'\nwrong number of arguments", output);
    }

    [Fact]
    public void ConfigRewriteKeepsCommentsAndAppendsNewDirectives()
    {
        string file = WriteFile("rw.conf", "# keep me\nhash-max-ziplist-entries 21\nrename-command echo bar\nsave 900 1\nsave 60 5\n");
        using (var s = TestServer.WithConfigFile(file))
        using (var c = s.Connect())
        {
            c.Call("CONFIG", "SET", "hash-max-listpack-entries", "100", "maxmemory", "10mb", "save", "100 10");
            Assert.Equal("OK", c.Str("CONFIG", "REWRITE"));
        }
        var lines = File.ReadAllLines(file);
        Assert.Equal("# keep me", lines[0]);
        Assert.Equal("hash-max-listpack-entries 100", lines[1]);
        Assert.Equal("rename-command echo bar", lines[2]);
        Assert.Equal("save 100 10", lines[3]);
        Assert.Equal("", lines[4]);
        int marker = Array.IndexOf(lines, "# Generated by CONFIG REWRITE");
        Assert.True(marker > 4);
        Assert.Contains("maxmemory 10mb", lines[marker..]);
    }

    [Fact]
    public void RenameCommandHidesTheOldNameAndAnswersToTheNewOne()
    {
        string file = WriteFile("rename.conf", "rename-command flushdb badger\nrename-command time \"\"\n");
        using var s = TestServer.WithConfigFile(file);
        using var c = s.Connect();
        Assert.Equal("ERR unknown command 'flushdb', with args beginning with: ", c.Str("flushdb"));
        Assert.Equal("OK", c.Str("BADGER"));
        Assert.Equal("ERR unknown command 'time', with args beginning with: ", c.Str("time"));
    }

    [Fact]
    public void RewrittenFileLoadsBackWithTheSameValues()
    {
        string file = WriteFile("again.conf", "");
        using var s = TestServer.WithConfigFile(file);
        using (var c = s.Connect())
        {
            c.Call("CONFIG", "SET", "notify-keyspace-events", "Kx", "latency-tracking-info-percentiles", "50 99.5", "shutdown-on-sigterm", "nosave now");
            c.Call("CONFIG", "REWRITE");
        }
        // The first server stays up: the rewritten file names its directory, which goes away with it.
        using var restarted = TestServer.WithConfigFile(file);
        using var r2 = restarted.Connect();
        Assert.Equal("[notify-keyspace-events, xK]", r2.Str("CONFIG", "GET", "notify-keyspace-events"));
        Assert.Equal("[latency-tracking-info-percentiles, 50 99.5]", r2.Str("CONFIG", "GET", "latency-tracking-info-percentiles"));
        Assert.Equal("[shutdown-on-sigterm, nosave now]", r2.Str("CONFIG", "GET", "shutdown-on-sigterm"));
    }

    [Fact]
    public void ForcedRewriteOfEveryDirectiveLoadsBack()
    {
        string cwd = Directory.GetCurrentDirectory();
        try
        {
            var written = new ServerConfig { ConfigFile = WriteFile("all.conf", "") };
            written.Rewrite(forceAll: true);
            var loaded = new ServerConfig();
            ConfigLoader.Load(loaded, [written.ConfigFile]);
            Assert.Equal(written.Get(["*"]), loaded.Get(["*"]));
            Assert.Contains("unixsocketperm 0", File.ReadAllLines(written.ConfigFile));
        }
        finally
        {
            Directory.SetCurrentDirectory(cwd);
        }
    }
}
