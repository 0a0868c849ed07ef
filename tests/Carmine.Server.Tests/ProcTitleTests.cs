using System.Text;

namespace Carmine.Server.Tests;

/// <summary>The process title in /proc/PID/cmdline (what ps shows) follows proc-title-template, as Redis sets it.</summary>
public sealed class ProcTitleTests
{
    static string Cmdline(RespConnection c) =>
        Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{ServerInfo.Field(c, "server", "process_id")}/cmdline"));

    [Fact]
    public void DefaultTitleIsTheCommandAndTheListenAddress()
    {
        using var server = new TestServer();
        using var c = server.Connect();
        Assert.Equal($"{TestServer.ServerPath} 127.0.0.1:{server.Port}\0", Cmdline(c));
    }

    [Fact]
    public void ConfigSetTemplateChangesTheTitle()
    {
        using var server = new TestServer();
        using var c = server.Connect();
        Assert.Equal("OK", c.Str("CONFIG", "SET", "proc-title-template", "TEST {title} {listen-addr} {port} {tls-port} {config-file} {{x"));
        Assert.Equal($"TEST {TestServer.ServerPath} 127.0.0.1:{server.Port} {server.Port} 0 - {{x\0", Cmdline(c));
        Assert.Equal("OK", c.Str("CONFIG", "SET", "proc-title-template", "  short  "));
        Assert.Equal("short\0", Cmdline(c));
    }

    [Fact]
    public void InvalidTemplateIsRefusedAndLeavesTheTitle()
    {
        using var server = new TestServer();
        using var c = server.Connect();
        Assert.Equal("ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables",
            c.Str("CONFIG", "SET", "proc-title-template", "{invalid-var}"));
        Assert.Equal($"{TestServer.ServerPath} 127.0.0.1:{server.Port}\0", Cmdline(c));
    }

    [Fact]
    public void SetProcTitleNoKeepsTheCommandLine()
    {
        using var server = new TestServer("--set-proc-title", "no");
        using var c = server.Connect();
        Assert.StartsWith($"{TestServer.ServerPath}\0--port\0{server.Port}\0", Cmdline(c));
    }
}
