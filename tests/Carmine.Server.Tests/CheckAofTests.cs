using System.Diagnostics;
using Carmine.TestSupport;

namespace Carmine.Server.Tests;

/// <summary>carmine-check-aof against Debian's redis-check-aof on the same files: the same output and exit code.</summary>
public sealed class CheckAofTests
{
    static (string Output, int Exit) Run(string binary, string stdin, params string[] args)
    {
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(20_000));
        return (output.Result + error.Result, p.ExitCode);
    }

    static string CheckAof => ServerProcess.BuiltBinary("Carmine.CheckAof", "carmine-check-aof");

    const string Select = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n";
    const string Set = "*3\r\n$3\r\nset\r\n$1\r\na\r\n$1\r\n1\r\n";

    public static TheoryData<string, string> Files => new()
    {
        { "valid", Select + Set },
        { "truncated-bulk", Select + Set + "*3\r\n$3\r\nset\r\n$1\r\nb\r\n$1" },
        { "unclosed-multi", "*1\r\n$5\r\nMULTI\r\n" + Set },
        { "nested-multi", "*1\r\n$5\r\nMULTI\r\n*1\r\n$5\r\nMULTI\r\n" },
        { "bad-length", "*2\r\n$6\r\nSELECT\r\n$1x\r\n0\r\n" },
        { "not-an-array", Select + "$3\r\nabc\r\n" },
        { "annotated", Select + "#TS:100\r\n" + Set },
        { "empty", "" },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void ChecksAndFixesLikeRedisCheckAof(string name, string content)
    {
        string dir = Directory.CreateTempSubdirectory("carmine-checkaof-").FullName;
        foreach (var fix in new[] { false, true })
        {
            string ours = Path.Combine(dir, "ours", name + ".aof"), theirs = Path.Combine(dir, "theirs", name + ".aof");
            Directory.CreateDirectory(Path.GetDirectoryName(ours)!);
            Directory.CreateDirectory(Path.GetDirectoryName(theirs)!);
            File.WriteAllText(ours, content);
            File.WriteAllText(theirs, content);
            string[] args = fix ? ["--fix"] : [];
            var expected = Run("redis-check-aof", "y\n", [.. args, theirs]);
            var actual = Run(CheckAof, "y\n", [.. args, ours]);
            Assert.Equal(expected.Exit, actual.Exit);
            Assert.Equal(expected.Output.Replace(theirs, "FILE"), actual.Output.Replace(ours, "FILE"));
            Assert.Equal(File.ReadAllBytes(theirs), File.ReadAllBytes(ours));
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void TruncatesToATimestampLikeRedisCheckAof()
    {
        string dir = Directory.CreateTempSubdirectory("carmine-checkaof-").FullName;
        string content = "#TS:100\r\n" + Select + "#TS:200\r\n" + Set + "#TS:300\r\n" + Set;
        foreach (var ts in new[] { "250", "50", "400" })
        {
            string ours = Path.Combine(dir, "ours.aof"), theirs = Path.Combine(dir, "theirs.aof");
            File.WriteAllText(ours, content);
            File.WriteAllText(theirs, content);
            var expected = Run("redis-check-aof", "", "--truncate-to-timestamp", ts, theirs);
            var actual = Run(CheckAof, "", "--truncate-to-timestamp", ts, ours);
            Assert.Equal(expected.Exit, actual.Exit);
            Assert.Equal(expected.Output.Replace(theirs, "FILE"), actual.Output.Replace(ours, "FILE"));
            Assert.Equal(File.ReadAllBytes(theirs), File.ReadAllBytes(ours));
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void ChecksTheMultiPartAofCarmineWrites()
    {
        string dir = Directory.CreateTempSubdirectory("carmine-checkaof-").FullName;
        using (var s = new TestServer("--dir", dir, "--appendonly", "yes", "--aof-use-rdb-preamble", "no"))
        using (var c = s.Connect())
        {
            c.Call("SET", "k", "v");
            c.Call("MULTI");
            c.Call("INCR", "n");
            c.Call("INCR", "n");
            c.Call("EXEC");
        }
        string manifest = Path.Combine(dir, "appendonlydir", "appendonly.aof.manifest");
        var expected = Run("redis-check-aof", "", manifest);
        var actual = Run(CheckAof, "", manifest);
        Assert.Equal(0, actual.Exit);
        Assert.Equal(expected.Output, actual.Output);
        Assert.Contains("All AOF files and manifest are valid", actual.Output);
        Directory.Delete(dir, true);
    }
}
