using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Carmine.Cli;

namespace Carmine.Cli.Tests;

/// <summary>A real redis-server (Debian's) on a free loopback port, the reference both CLIs talk to;
/// killed on Dispose.</summary>
public sealed class RedisServerFixture : IDisposable
{
    readonly Process process;

    public int Port { get; }
    public string Dir { get; }
    public string UnixSocket => Path.Combine(Dir, "redis.sock");

    public RedisServerFixture()
    {
        Port = FreePort();
        Dir = Directory.CreateTempSubdirectory("carmine-cli-test-").FullName;
        var psi = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Dir,
        };
        foreach (var a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--dir", Dir,
                     "--enable-debug-command", "yes", "--daemonize", "no", "--unixsocket", UnixSocket })
            psi.ArgumentList.Add(a);
        process = Process.Start(psi)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var probe = Connect();
                if (probe.Call("PING").Text == "PONG") break;
            }
            catch (SocketException)
            {
            }
            if (process.HasExited || DateTime.UtcNow > deadline)
                throw new InvalidOperationException("redis-server did not start");
            Thread.Sleep(50);
        }
    }

    public CliConnection Connect() => CliConnection.Open("127.0.0.1", Port, null);

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        process.Dispose();
        try { Directory.Delete(Dir, true); }
        catch (IOException) { }
    }
}
