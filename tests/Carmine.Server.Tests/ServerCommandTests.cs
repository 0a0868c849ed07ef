using System.Net.Sockets;
using System.Text.RegularExpressions;
using Carmine.Protocol;

namespace Carmine.Server.Tests;

public sealed class ServerCommandTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    [Fact]
    public void TimeIsSecondsAndMicroseconds()
    {
        var reply = r.Call("TIME");
        Assert.Equal(RespType.Array, reply.Type);
        long seconds = long.Parse(reply.Items![0].Text!);
        long micros = long.Parse(reply.Items[1].Text!);
        Assert.InRange(seconds, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 5, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
        Assert.InRange(micros, 0, 999_999);
    }

    [Fact]
    public void LolwutPrintsTheVersion()
    {
        Assert.Equal("Redis ver. 7.0.15\n", r.Str("LOLWUT"));
        Assert.Equal("Redis ver. 7.0.15\n", r.Str("LOLWUT", "VERSION", "7"));
        Assert.Equal("ERR value is not an integer or out of range", r.Str("LOLWUT", "VERSION", "x"));
    }

    [Fact]
    public void MonitorShowsExecutedCommands()
    {
        using var monitor = fixture.Server.Connect();
        Assert.Equal("OK", monitor.Str("MONITOR"));
        r.Call("SET", "srv:k", "a \"quoted\"\nvalue");
        var line = monitor.Read();
        Assert.Equal(RespType.SimpleString, line.Type);
        Assert.Matches(new Regex("^[0-9]+\\.[0-9]{6} \\[0 127\\.0\\.0\\.1:[0-9]+\\] \"SET\" \"srv:k\" \"a \\\\\"quoted\\\\\"\\\\nvalue\"$"), line.Text);
    }

    [Fact]
    public void MonitorShowsAScriptBeforeTheCommandsItRuns()
    {
        using var monitor = fixture.Server.Connect();
        monitor.Call("MONITOR");
        r.Call("EVAL", "redis.call('set', KEYS[1], ARGV[1])", "1", "srv:lua", "v");
        Assert.Matches(new Regex("^[0-9.]+ \\[0 127\\.0\\.0\\.1:[0-9]+\\] \"EVAL\" "), monitor.Read().Text);
        Assert.Matches(new Regex("^[0-9.]+ \\[0 lua\\] \"set\" \"srv:lua\" \"v\"$"), monitor.Read().Text);
    }

    [Fact]
    public void MonitorShowsTheDatabaseAfterTheCommand()
    {
        using var monitor = fixture.Server.Connect();
        monitor.Call("MONITOR");
        using var c = fixture.Server.Connect();
        c.Call("SELECT", "4");
        Assert.Matches(new Regex("^[0-9.]+ \\[4 [^\\]]+\\] \"SELECT\" \"4\"$"), monitor.Read().Text);
    }

    [Fact]
    public void MonitorRedactsPasswords()
    {
        using var monitor = fixture.Server.Connect();
        monitor.Call("MONITOR");
        r.Call("AUTH", "someuser", "secret");
        r.Call("HELLO", "2", "AUTH", "someuser", "secret");
        Assert.EndsWith(" \"AUTH\" \"(redacted)\" \"(redacted)\"", monitor.Read().Text);
        Assert.EndsWith(" \"HELLO\" \"2\" \"AUTH\" \"(redacted)\" \"(redacted)\"", monitor.Read().Text);
    }

    [Fact]
    public void MonitorRedactsMigrateCredentials()
    {
        using var monitor = fixture.Server.Connect();
        monitor.Call("MONITOR");
        r.Call("MIGRATE", "127.0.0.1", "1", "srv:nokey", "0", "1000", "AUTH2", "someuser", "secret");
        Assert.EndsWith(" \"AUTH2\" \"(redacted)\" \"(redacted)\"", monitor.Read().Text);
    }

    [Fact]
    public void MonitorHidesAdministrativeCommands()
    {
        using var monitor = fixture.Server.Connect();
        monitor.Call("MONITOR");
        r.Call("CLIENT", "LIST");
        r.Call("PING", "after-admin");
        Assert.EndsWith(" \"PING\" \"after-admin\"", monitor.Read().Text);
    }

    [Fact]
    public void ShutdownAbortWithoutShutdownIsAnError()
    {
        Assert.Equal("ERR No shutdown in progress.", r.Str("SHUTDOWN", "ABORT"));
        Assert.Equal("ERR syntax error", r.Str("SHUTDOWN", "SAVE", "NOSAVE"));
        Assert.Equal("ERR syntax error", r.Str("SHUTDOWN", "LATER"));
    }

    [Fact]
    public void ShutdownSaveWritesTheDumpFileAndExits()
    {
        using var server = new TestServer();
        using var c = server.Connect();
        c.Call("SET", "srv:saved", "1");
        c.SendRaw("SHUTDOWN SAVE\r\n");
        Assert.True(c.IsClosedByServer(10_000));
        Assert.True(server.WaitForExit(10_000));
        Assert.True(File.Exists(Path.Combine(server.Dir, "dump.rdb")));
    }

    [Fact]
    public void ShutdownSaveFailsWhenTheFileCannotBeWritten()
    {
        using var server = new TestServer("--dbfilename", "missing-dir-dump.rdb");
        using var c = server.Connect();
        Directory.CreateDirectory(Path.Combine(server.Dir, "missing-dir-dump.rdb"));
        Assert.Equal("ERR Errors trying to SHUTDOWN. Check logs.", c.Str("SHUTDOWN", "SAVE"));
        Assert.Equal("PONG", c.Str("PING"));
    }

    [Fact]
    public void ShutdownNosaveExitsWithCodeZero()
    {
        using var server = new TestServer();
        using var c = server.Connect();
        c.SendRaw("SHUTDOWN NOSAVE\r\n");
        Assert.True(c.IsClosedByServer(10_000));
        Assert.True(server.WaitForExit(10_000));
        Assert.Equal(0, server.ExitCode);
        // The captured output may trail the exit by a moment.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!server.Output.Contains("ready to exit, bye bye...") && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.Contains("User requested shutdown...", server.Output);
        Assert.Contains("ready to exit, bye bye...", server.Output);
    }

    [Fact]
    public void MaxclientsRejectsTheConnectionOverTheLimit()
    {
        using var server = new TestServer("--maxclients", "2");
        using var first = server.Connect();
        using var second = server.Connect();
        Assert.Equal("PONG", first.Str("PING"));
        Assert.Equal("PONG", second.Str("PING"));
        using (var third = server.Connect())
        {
            var reply = third.Read();
            Assert.Equal("ERR max number of clients reached", reply.Text);
            Assert.True(third.IsClosedByServer());
        }
        Assert.Contains("rejected_connections:1\r\n", first.Str("INFO", "stats"));
    }
}
