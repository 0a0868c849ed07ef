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
}
