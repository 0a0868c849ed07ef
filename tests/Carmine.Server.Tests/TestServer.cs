using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Carmine.Server.Tests;

/// <summary>A real carmine-server process on a free loopback port, stopped on Dispose.</summary>
public sealed class TestServer : IDisposable
{
    readonly Process process;
    readonly StringBuilder output = new();

    public int Port { get; }
    public string Dir { get; }

    public TestServer(params string[] extraArgs) : this(null, extraArgs)
    {
    }

    /// <summary>Starts a server that reads <paramref name="configFile"/> first, as "carmine-server file --opts".</summary>
    public static TestServer WithConfigFile(string configFile, params string[] extraArgs) => new(configFile, extraArgs);

    TestServer(string? configFile, string[] extraArgs)
    {
        Port = FreePort();
        Dir = Directory.CreateTempSubdirectory("carmine-test-").FullName;
        var psi = new ProcessStartInfo(ServerPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Dir,
        };
        if (configFile is not null) psi.ArgumentList.Add(configFile);
        foreach (var a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--dir", Dir }.Concat(extraArgs))
            psi.ArgumentList.Add(a);
        process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
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
            {
                // Waiting without a timeout also waits for the captured output to be read to its end.
                if (process.HasExited) process.WaitForExit();
                throw new InvalidOperationException("carmine-server did not start:\n" + Output);
            }
            Thread.Sleep(50);
        }
    }

    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    public RespConnection Connect() => new(Port);

    public bool HasExited => process.HasExited;

    /// <summary>CPU time the server process has used so far (to check it does not spin while idle).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    public bool WaitForExit(int millis) => process.WaitForExit(millis);

    public int ExitCode => process.ExitCode;

    /// <summary>The server binary built next to the tests (Debug or Release, whichever the tests were built as).</summary>
    public static string ServerPath
    {
        get
        {
            string config = AppContext.BaseDirectory.Contains("/Release/") ? "Release" : "Debug";
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Carmine.slnx"))) dir = dir.Parent;
            if (dir is null) throw new InvalidOperationException("cannot find the repository root");
            return Path.Combine(dir.FullName, "src", "Carmine.Server", "bin", config, "net10.0", "carmine-server");
        }
    }

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
