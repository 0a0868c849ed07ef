using System.Text;

namespace Carmine.Cli.Tests;

/// <summary>TLS cases whose exact output depends on timing; the deterministic ones are comparison scenarios.</summary>
public sealed class TlsTests(RedisServerFixture server) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public void ServerRefusesAClientWithoutCertificate()
    {
        // TLS 1.3 completes the client's handshake before the server checks the certificate; the link then
        // drops with a close or a reset, whichever arrives first (redis-cli itself prints either).
        var r = CliRun.Run(CliRun.CarmineCliPath, ["-p", server.TlsPort.ToString(), "--tls", "--cacert", Path.Combine(server.TlsDir, "ca.crt"), "ping"],
            null, new Dictionary<string, string>());
        Assert.Equal(1, r.ExitCode);
        Assert.Empty(r.Stdout);
        Assert.Contains(Encoding.UTF8.GetString(r.Stderr), new[] { "Error: Server closed the connection\n", "Error: Connection reset by peer\n" });
    }

    [Fact]
    public void ClusterManagerConnectsOverTls()
    {
        // The TLS server is not a cluster node: both CLIs must reach it over TLS to be told so.
        string[] args = ["--cluster", "check", $"127.0.0.1:{server.TlsPort}", "--tls", "--cacert", Path.Combine(server.TlsDir, "ca.crt"),
            "--cert", Path.Combine(server.TlsDir, "redis.crt"), "--key", Path.Combine(server.TlsDir, "redis.key")];
        var expected = CliRun.Run("/usr/bin/redis-cli", args, null, new Dictionary<string, string>());
        var actual = CliRun.Run(CliRun.CarmineCliPath, args, null, new Dictionary<string, string>());
        Assert.Contains("is not configured as a cluster node", Encoding.UTF8.GetString(expected.Stdout) + Encoding.UTF8.GetString(expected.Stderr));
        Assert.Equal(expected.Describe(), actual.Describe());
    }
}
