using System.Diagnostics;

namespace Carmine.Cli.Tests;

/// <summary>What one CLI process printed and returned.</summary>
public sealed record CliResult(byte[] Stdout, byte[] Stderr, int ExitCode)
{
    public string Describe() =>
        $"exit {ExitCode}\n--- stdout ---\n{Show(Stdout)}\n--- stderr ---\n{Show(Stderr)}";

    static string Show(byte[] b) => string.Concat(b.Select(c => c is >= 0x20 and < 0x7f or (byte)'\n' ? ((char)c).ToString() : $"\\x{c:x2}"));

    public bool SameAs(CliResult other) =>
        ExitCode == other.ExitCode && Stdout.AsSpan().SequenceEqual(other.Stdout) && Stderr.AsSpan().SequenceEqual(other.Stderr);
}

/// <summary>Runs redis-cli or carmine-cli with arguments, stdin and environment, stdout always a pipe.</summary>
public static class CliRun
{
    /// <summary>Runs to completion, or, with <paramref name="whileRunning"/>, runs that against the live process
    /// (e.g. publishing to a subscribed CLI) and then kills it.</summary>
    public static CliResult Run(string program, IEnumerable<string> args, byte[]? stdin, IReadOnlyDictionary<string, string> env,
        Action? whileRunning = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        // Both CLIs keep their history out of the user's home directory during tests.
        psi.Environment["REDISCLI_HISTFILE"] = "/dev/null";
        psi.Environment["CARMINECLI_HISTFILE"] = "/dev/null";
        using var p = Process.Start(psi)!;
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var copyOut = p.StandardOutput.BaseStream.CopyToAsync(stdout);
        var copyErr = p.StandardError.BaseStream.CopyToAsync(stderr);
        try
        {
            if (stdin is not null) p.StandardInput.BaseStream.Write(stdin);
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // The CLI may exit (e.g. on a usage error) before reading its input; that is part of the scenario.
        }
        if (whileRunning is not null)
        {
            whileRunning();
            // Time for the last output to reach the pipe before the process is stopped.
            Thread.Sleep(300);
            p.Kill(entireProcessTree: true);
        }
        if (!p.WaitForExit(30_000))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not exit");
        }
        Task.WaitAll(copyOut, copyErr);
        return new CliResult(stdout.ToArray(), stderr.ToArray(), p.ExitCode);
    }

    /// <summary>The carmine-cli built next to the tests (Debug or Release, whichever the tests were built as).</summary>
    public static string CarmineCliPath => Carmine.TestSupport.ServerProcess.BuiltBinary("Carmine.Cli", "carmine-cli");
}
