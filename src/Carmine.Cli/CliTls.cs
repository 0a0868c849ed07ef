using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace Carmine.Cli;

/// <summary>--tls and its companions (--cacert, --cacertdir, --cert, --key, --sni, --insecure, --tls-ciphersuites).</summary>
public sealed class CliTlsOptions
{
    public string? CaCert { get; set; }
    public string? CaCertDir { get; set; }
    public string? Cert { get; set; }
    public string? Key { get; set; }
    public string? Sni { get; set; }
    public bool Insecure { get; set; }
    /// <summary>TLS 1.3 suites by their IANA names, colon separated, as OpenSSL takes them.</summary>
    public string? Ciphersuites { get; set; }
}

/// <summary>A TLS failure. <see cref="Configuration"/> problems (a bad CA, certificate or key file) are
/// reported by redis-cli as "Could not negotiate a TLS connection"; handshake failures as a connect error.</summary>
public sealed class CliTlsException(string message, bool configuration) : Exception(message)
{
    public bool Configuration => configuration;
}

/// <summary>The client side of TLS as redis-cli sets up OpenSSL: the chain is verified against --cacert/--cacertdir
/// (or the system's roots) but the host name is not, a client certificate is offered when given.</summary>
public static partial class CliTls
{
    /// <summary>Wraps a connected socket in a TLS stream, or throws <see cref="CliTlsException"/>.</summary>
    public static SslStream Handshake(Socket socket, CliTlsOptions o)
    {
        var policy = new X509ChainPolicy { RevocationMode = X509RevocationMode.NoCheck };
        if (o.CaCert is not null || o.CaCertDir is not null)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(TrustedRoots(o));
        }
        var options = new SslClientAuthenticationOptions
        {
            // No SNI unless asked for, as OpenSSL does when no server name is set.
            TargetHost = o.Sni ?? "",
            CertificateChainPolicy = policy,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            // hiredis verifies the chain only, never the host name.
            RemoteCertificateValidationCallback = (_, _, _, errors) =>
                o.Insecure || (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None,
        };
        if (ClientCertificate(o) is { } context) options.ClientCertificateContext = context;
        // Windows' TLS stack takes no cipher suite list; carmine runs on Linux.
        if (o.Ciphersuites is not null && !OperatingSystem.IsWindows()) options.CipherSuitesPolicy = Suites(o.Ciphersuites);
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        try
        {
            tls.AuthenticateAsClient(options);
            return tls;
        }
        catch (AuthenticationException)
        {
            tls.Dispose();
            throw new CliTlsException("SSL_connect failed: certificate verify failed", configuration: false);
        }
        catch (IOException e)
        {
            tls.Dispose();
            string reason = e.InnerException is SocketException s
                ? System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(s.NativeErrorCode)
                : "unexpected eof while reading";
            throw new CliTlsException("SSL_connect failed: " + reason, configuration: false);
        }
    }

    // --cacert must hold at least one certificate; in --cacertdir only OpenSSL's hashed names (c_rehash) are looked at.
    static X509Certificate2Collection TrustedRoots(CliTlsOptions o)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            if (o.CaCert is not null)
            {
                roots.ImportFromPemFile(o.CaCert);
                if (roots.Count == 0) throw new CryptographicException();
            }
            if (o.CaCertDir is not null && Directory.Exists(o.CaCertDir))
            {
                foreach (var file in Directory.GetFiles(o.CaCertDir).Where(f => HashedName().IsMatch(Path.GetFileName(f))))
                {
                    try { roots.ImportFromPemFile(file); }
                    catch (CryptographicException) { }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new CliTlsException("Invalid CA Certificate File/Directory", configuration: true);
        }
        return roots;
    }

    [GeneratedRegex(@"^[0-9a-f]{8}\.[0-9]+$")]
    private static partial Regex HashedName();

    // The first certificate of --cert is ours, the rest its chain; --key must be its private key.
    static SslStreamCertificateContext? ClientCertificate(CliTlsOptions o)
    {
        if (o.Cert is null) return null;
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPemFile(o.Cert);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new CliTlsException("Invalid client certificate", configuration: true);
        }
        if (chain.Count == 0) throw new CliTlsException("Invalid client certificate", configuration: true);
        if (o.Key is null) return null;
        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPem(chain[0].ExportCertificatePem(), File.ReadAllText(o.Key));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new CliTlsException("Invalid private key", configuration: true);
        }
        return SslStreamCertificateContext.Create(leaf, new X509Certificate2Collection(chain.Skip(1).ToArray()), offline: true);
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    static CipherSuitesPolicy Suites(string names)
    {
        var suites = new List<TlsCipherSuite>();
        foreach (var name in names.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Enum.TryParse<TlsCipherSuite>(name, out var suite))
                throw new CliTlsException("Error while setting cypher suites", configuration: true);
            suites.Add(suite);
        }
        return new CipherSuitesPolicy(suites);
    }
}
