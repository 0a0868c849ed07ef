using Carmine.Cli;
using Carmine.TestSupport;

namespace Carmine.Cli.Tests;

/// <summary>A real redis-server (Debian's) on a free loopback port, the reference both CLIs talk to;
/// killed on Dispose.</summary>
public sealed class RedisServerFixture : IDisposable
{
    readonly ServerProcess process;

    public int Port => process.Port;
    public string Dir => process.Dir;
    public string UnixSocket => Path.Combine(Dir, "redis.sock");

    public RedisServerFixture()
    {
        int port = FreePort();
        string dir = Directory.CreateTempSubdirectory("carmine-cli-test-").FullName;
        process = new ServerProcess("redis-server",
            ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--dir", dir,
             "--enable-debug-command", "yes", "--daemonize", "no", "--unixsocket", Path.Combine(dir, "redis.sock")],
            port, dir);
    }

    public CliConnection Connect() => CliConnection.Open("127.0.0.1", Port, null);

    public static int FreePort() => ServerProcess.FreePort();

    public void Dispose() => process.Dispose();
}
