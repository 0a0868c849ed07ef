using System.Diagnostics;

namespace Carmine.Server.Tests;

/// <summary>Runs the real redis-cli (Debian's redis-tools) against a test server.</summary>
public static class RedisCli
{
    public static string Run(int port, params string[] args) => RunWithInput(port, null, args);

    public static string RunWithInput(int port, string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("redis-cli")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        psi.ArgumentList.Add("-p");
        psi.ArgumentList.Add(port.ToString());
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(30_000))
        {
            p.Kill();
            throw new TimeoutException("redis-cli did not finish");
        }
        return output.TrimEnd('\n');
    }
}
