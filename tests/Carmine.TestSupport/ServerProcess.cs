using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Carmine.Protocol;

namespace Carmine.TestSupport;

/// <summary>
/// A server process (carmine-server or Debian's redis-server) that tests start on a free loopback port:
/// ready once it answers PING, its output captured, killed and its directory removed on Dispose.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    readonly Process process;
    readonly StringBuilder output = new();

    public int Port { get; }
    public string Dir { get; }

    /// <summary>Starts <paramref name="binary"/> with <paramref name="args"/> in <paramref name="dir"/> and waits until it answers PING on <paramref name="port"/>.</summary>
    public ServerProcess(string binary, IEnumerable<string> args, int port, string dir)
    {
        Port = port;
        Dir = dir;
        var psi = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dir,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!AnswersPing(port))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                // Waiting without a timeout also waits for the captured output to be read to its end.
                if (process.HasExited) process.WaitForExit();
                throw new InvalidOperationException($"{Path.GetFileName(binary)} did not start:\n" + Output);
            }
            Thread.Sleep(50);
        }
    }

    static bool AnswersPing(int port)
    {
        try
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 5000 };
            s.Connect(IPAddress.Loopback, port);
            s.Send("*1\r\n$4\r\nPING\r\n"u8);
            var buf = new byte[64];
            int n = s.Receive(buf);
            return RespReader.TryRead(buf.AsSpan(0, n), out var reply, out _) && reply.Text == "PONG";
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    public bool HasExited => process.HasExited;

    public bool WaitForExit(int millis) => process.WaitForExit(millis);

    public int ExitCode => process.ExitCode;

    /// <summary>CPU time the process has used so far (to check it does not spin while idle).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    /// <summary>A loopback port that was free a moment ago.</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>A binary of this repository built in the same configuration as the tests, e.g. ("Carmine.Server", "carmine-server").</summary>
    public static string BuiltBinary(string project, string name)
    {
        string config = AppContext.BaseDirectory.Contains("/Release/") ? "Release" : "Debug";
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Carmine.slnx"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("cannot find the repository root");
        return Path.Combine(dir.FullName, "src", project, "bin", config, "net10.0", name);
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
