using Carmine.TestSupport;

namespace Carmine.Server.Tests;

/// <summary>A real carmine-server process on a free loopback port, stopped on Dispose.</summary>
public sealed class TestServer : IDisposable
{
    readonly ServerProcess process;

    public int Port => process.Port;
    public string Dir => process.Dir;

    public TestServer(params string[] extraArgs) : this(null, extraArgs)
    {
    }

    /// <summary>Starts a server that reads <paramref name="configFile"/> first, as "carmine-server file --opts".</summary>
    public static TestServer WithConfigFile(string configFile, params string[] extraArgs) => new(configFile, extraArgs);

    TestServer(string? configFile, string[] extraArgs)
    {
        int port = FreePort();
        string dir = Directory.CreateTempSubdirectory("carmine-test-").FullName;
        var args = new List<string>();
        if (configFile is not null) args.Add(configFile);
        args.AddRange(["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--dir", dir]);
        args.AddRange(extraArgs);
        process = new ServerProcess(ServerPath, args, port, dir);
    }

    public string Output => process.Output;

    public RespConnection Connect() => new(Port);

    public bool HasExited => process.HasExited;

    /// <summary>CPU time the server process has used so far (to check it does not spin while idle).</summary>
    public TimeSpan CpuTime => process.CpuTime;

    public bool WaitForExit(int millis) => process.WaitForExit(millis);

    public int ExitCode => process.ExitCode;

    /// <summary>The server binary built next to the tests (Debug or Release, whichever the tests were built as).</summary>
    public static string ServerPath => ServerProcess.BuiltBinary("Carmine.Server", "carmine-server");

    public static int FreePort() => ServerProcess.FreePort();

    public void Dispose() => process.Dispose();
}
