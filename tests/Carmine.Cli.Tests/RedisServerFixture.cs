using System.Diagnostics;
using Carmine.Cli;
using Carmine.TestSupport;

namespace Carmine.Cli.Tests;

/// <summary>A real redis-server (Debian's) on a free loopback port, the reference both CLIs talk to;
/// killed on Dispose. It also listens for TLS on <see cref="TlsPort"/> with a certificate signed by a
/// throwaway CA made with openssl (clients must show a certificate of the same CA), tracks LFU counters
/// deterministically (log factor 0, no decay) for --hotkeys, and starts a diskless SYNC at once.</summary>
public sealed class RedisServerFixture : IDisposable
{
    readonly ServerProcess process;

    public int Port => process.Port;
    public int TlsPort { get; }
    public string Dir => process.Dir;
    public string UnixSocket => Path.Combine(Dir, "redis.sock");
    /// <summary>ca.crt, redis.crt, redis.key (server and client certificate), and cadir/ with the CA under its hashed name.</summary>
    public string TlsDir => Path.Combine(Dir, "tls");

    public RedisServerFixture()
    {
        int port = FreePort();
        TlsPort = FreePort();
        string dir = Directory.CreateTempSubdirectory("carmine-cli-test-").FullName;
        string tls = Path.Combine(dir, "tls");
        MakeCertificates(tls);
        process = new ServerProcess("redis-server",
            ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--dir", dir,
             "--enable-debug-command", "yes", "--daemonize", "no", "--unixsocket", Path.Combine(dir, "redis.sock"),
             "--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0", "--lfu-decay-time", "0",
             "--repl-diskless-sync-delay", "0",
             "--tls-port", TlsPort.ToString(), "--tls-cert-file", Path.Combine(tls, "redis.crt"),
             "--tls-key-file", Path.Combine(tls, "redis.key"), "--tls-ca-cert-file", Path.Combine(tls, "ca.crt")],
            port, dir);
    }

    // An EC CA and one certificate it signs (CN=localhost); EC keys take milliseconds to make.
    static void MakeCertificates(string dir)
    {
        Directory.CreateDirectory(Path.Combine(dir, "cadir"));
        OpenSsl(dir, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key");
        OpenSsl(dir, "req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", "2", "-subj", "/CN=Carmine Test CA", "-out", "ca.crt");
        OpenSsl(dir, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "redis.key");
        OpenSsl(dir, "req", "-new", "-key", "redis.key", "-subj", "/CN=localhost", "-out", "redis.csr");
        OpenSsl(dir, "x509", "-req", "-in", "redis.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-sha256", "-out", "redis.crt");
        File.Copy(Path.Combine(dir, "ca.crt"), Path.Combine(dir, "cadir", "ca.crt"));
        OpenSsl(dir, "rehash", "cadir");
    }

    static void OpenSsl(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("openssl") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        string errors = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(30_000))
        {
            p.Kill();
            p.WaitForExit();
        }
        if (p.ExitCode != 0) throw new InvalidOperationException($"openssl {string.Join(' ', args)} failed:\n{output.Result}{errors}");
    }

    public CliConnection Connect() => CliConnection.Open("127.0.0.1", Port, null);

    public static int FreePort() => ServerProcess.FreePort();

    public void Dispose() => process.Dispose();
}
