using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Carmine.Client.Tests;

/// <summary>A redis-server or carmine-server process on a free loopback port; can be restarted on the same port.</summary>
public sealed class ServerProcess : IDisposable
{
    readonly string binary;
    readonly string[] extraArgs;
    readonly StringBuilder output = new();
    Process? process;

    public int Port { get; }
    public string Dir { get; }
    public string Kind { get; }

    public ServerProcess(string kind, params string[] extraArgs)
    {
        Kind = kind;
        binary = kind == "redis" ? "/usr/bin/redis-server" : CarminePath;
        this.extraArgs = extraArgs;
        Port = Carmine.TestSupport.ServerProcess.FreePort();
        Dir = Directory.CreateTempSubdirectory("carmine-client-test-").FullName;
        Start();
    }

    public string Url => $"redis://127.0.0.1:{Port}";

    /// <summary>Stops (SIGSTOP) or continues (SIGCONT) the process: a hung server whose connections stay open.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process!.Id.ToString()]);
        kill.WaitForExit(5000);
    }

    public void Start()
    {
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Dir };
        foreach (var a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--dir", Dir, "--enable-debug-command", "yes" }.Concat(extraArgs))
            psi.ArgumentList.Add(a);
        process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Answers())
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"{binary} did not start:\n{output}");
            Thread.Sleep(50);
        }
    }

    bool Answers()
    {
        try
        {
            using var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
            s.Connect(IPAddress.Loopback, Port);
            s.Send("PING\r\n"u8);
            var buf = new byte[64];
            return s.Receive(buf) > 0 && buf[0] == '+';
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Kills the process at once, as a crash would.</summary>
    public void Kill()
    {
        if (process is null) return;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        process.Dispose();
        process = null;
    }

    static string CarminePath => Carmine.TestSupport.ServerProcess.BuiltBinary("Carmine.Server", "carmine-server");


    public void Dispose()
    {
        Kill();
        try { Directory.Delete(Dir, true); }
        catch (IOException) { }
    }
}

public sealed class RedisServerFixture() : ServerFixture("redis");

public sealed class CarmineServerFixture() : ServerFixture("carmine");

/// <summary>One server shared by the tests of a class; tests that restart servers start their own.</summary>
public abstract class ServerFixture(string kind) : IDisposable
{
    public ServerProcess Server { get; } = new(kind);

    public void Dispose() => Server.Dispose();
}
