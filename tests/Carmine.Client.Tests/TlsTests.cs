namespace Carmine.Client.Tests;

/// <summary>rediss:// against redis-server's TLS port, with a self-signed certificate made by openssl.</summary>
public class TlsTests
{
    [Fact]
    public async Task RedissConnectsOverTls()
    {
        string dir = Directory.CreateTempSubdirectory("carmine-client-tls-").FullName;
        var openssl = System.Diagnostics.Process.Start("openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
             "-keyout", Path.Combine(dir, "key.pem"), "-out", Path.Combine(dir, "cert.pem")]);
        await openssl.WaitForExitAsync();
        using var cert = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.Combine(dir, "cert.pem"));
        int tlsPort = Carmine.TestSupport.ServerProcess.FreePort();
        using var server = new ServerProcess("redis", "--tls-port", tlsPort.ToString(), "--tls-cert-file", Path.Combine(dir, "cert.pem"),
            "--tls-key-file", Path.Combine(dir, "key.pem"), "--tls-auth-clients", "no");
        var o = RedisOptions.Parse($"rediss://localhost:{tlsPort}");
        o.TlsOptions = new System.Net.Security.SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == cert.GetCertHashString(),
        };
        await using var c = await RedisClient.ConnectAsync(o);
        await c.SetAsync("client:tls", "secure");
        Assert.Equal("secure", await c.GetAsync("client:tls"));
        Directory.Delete(dir, true);
    }
}
