using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Carmine.Server.Tests;

/// <summary>A dump.rdb written by the real redis-server 7.0, with keys of every type and encoding.</summary>
public sealed class RealDumpFixture : IDisposable
{
    public byte[] Dump { get; }
    public string Dir { get; } = Directory.CreateTempSubdirectory("carmine-checkrdb-").FullName;

    public RealDumpFixture()
    {
        using var redis = new RealRedis();
        using var c = redis.Connect();
        c.Call("SET", "str", "hello");
        c.Call("SET", "int", "12345");
        c.Call("SET", "lzf", string.Concat(Enumerable.Repeat("abc", 100)));
        c.Call("SET", "ttl", "v", "PX", "100000000");
        c.Call("HSET", "hash", "a", "1", "b", "2");
        c.Call(["HSET", "bighash", .. Enumerable.Range(0, 200).SelectMany(i => new[] { "f" + i, "v" + i })]);
        c.Call("RPUSH", "list", "a", "b", "c");
        c.Call("SADD", "intset", "1", "2", "3");
        c.Call(["SADD", "set", .. Enumerable.Range(0, 200).Select(i => "m" + i)]);
        c.Call("ZADD", "zset", "1", "a", "2", "b");
        c.Call(["ZADD", "bigzset", .. Enumerable.Range(0, 200).SelectMany(i => new[] { i.ToString(), "m" + i })]);
        c.Call("XADD", "stream", "*", "f", "v");
        c.Call("XGROUP", "CREATE", "stream", "g", "0");
        c.Call("SELECT", "3");
        c.Call("SET", "other", "x");
        c.Call("SAVE");
        Dump = File.ReadAllBytes(Path.Combine(redis.Dir, "dump.rdb"));
    }

    public void Dispose() => Directory.Delete(Dir, true);
}

/// <summary>carmine-check-rdb prints what redis-check-rdb 7.0 prints, for sound files and for damaged ones.</summary>
public sealed class CheckRdbTests(RealDumpFixture fixture) : IClassFixture<RealDumpFixture>
{
    static string CheckerPath => Carmine.TestSupport.ServerProcess.BuiltBinary("Carmine.CheckRdb", "carmine-check-rdb");

    static (string Output, int ExitCode) Run(string program, string file)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(file)! };
        psi.ArgumentList.Add(Path.GetFileName(file));
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(30_000))
        {
            p.Kill();
            throw new TimeoutException($"{program} did not finish");
        }
        stderr.Wait();
        // Redis names its own source line in internal errors, and logs its exit with its pid and the time.
        output = Regex.Replace(output, @", function at rdb\.c:\d+", "");
        output = Regex.Replace(output, @"^\d+:C .* # ", "", RegexOptions.Multiline);
        return (output, p.ExitCode);
    }

    string Write(string name, byte[] data)
    {
        string path = Path.Combine(fixture.Dir, name);
        File.WriteAllBytes(path, data);
        return path;
    }

    void AssertSameReport(string name, byte[] data, int exitCode)
    {
        string path = Write(name, data);
        var expected = Run("redis-check-rdb", path);
        var actual = Run(CheckerPath, path);
        Assert.Equal(exitCode, expected.ExitCode);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void ASoundFileFromRedisIsReportedOk() => AssertSameReport("dump.rdb", fixture.Dump, 0);

    [Fact]
    public void ATruncatedFileReportsTheUnexpectedEofAndTheKeyBeingRead()
    {
        int inBigHash = fixture.Dump.AsSpan().IndexOf("bighash"u8) + 40;
        AssertSameReport("truncated.rdb", fixture.Dump[..inBigHash], 1);
    }

    [Fact]
    public void AFileCutInTheChecksumReportsEofWhileCheckingIt() => AssertSameReport("nocrc.rdb", fixture.Dump[..^3], 1);

    [Fact]
    public void AWrongChecksumIsAnRdbCrcError()
    {
        var data = (byte[])fixture.Dump.Clone();
        data[^1] ^= 0xFF;
        AssertSameReport("badcrc.rdb", data, 1);
    }

    [Fact]
    public void AWrongSignatureAndAnUnknownVersionAreRefusedAtOffsetNine()
    {
        AssertSameReport("badsig.rdb", [.. "RADIS"u8, .. fixture.Dump[5..]], 1);
        AssertSameReport("badver.rdb", [.. "REDIS0011"u8, .. fixture.Dump[9..]], 1);
    }

    [Fact]
    public void AnUnknownTypeByteIsAnInvalidObjectType()
    {
        var data = (byte[])fixture.Dump.Clone();
        // The first key follows SELECTDB 0 and RESIZEDB with two one-byte lengths.
        int first = fixture.Dump.AsSpan().IndexOf([(byte)0xFE, (byte)0]) + 5;
        data[first] = 48;
        AssertSameReport("badtype.rdb", data, 1);
    }

    [Fact]
    public void ADamagedListpackIsAnIntegrityError()
    {
        var data = (byte[])fixture.Dump.Clone();
        // "hash" is a listpack: type 16, the key, the blob's length, then 6 header bytes and the first entry "a".
        int key = fixture.Dump.AsSpan().IndexOf([(byte)16, (byte)4, .. "hash"u8]);
        int backlen = key + 6 + 1 + 6 + 2;
        Assert.Equal(2, data[backlen]);
        data[backlen] = 0x57;
        Array.Clear(data, data.Length - 8, 8);
        AssertSameReport("badlistpack.rdb", data, 1);
    }

    [Fact]
    public void AFileWrittenByCarmineBgsaveIsSound()
    {
        using var server = new TestServer();
        using var c = server.Connect();
        c.Call("HSET", "h", "a", "1");
        c.Call("RPUSH", "l", "a");
        c.Call("XADD", "s", "*", "f", "v");
        c.Call("SET", "t", "v", "PX", "100000000");
        Assert.Equal("Background saving started", c.Str("BGSAVE"));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (c.Str("INFO", "persistence").Contains("rdb_bgsave_in_progress:1") && DateTime.UtcNow < deadline) Thread.Sleep(20);
        var (output, exitCode) = Run(CheckerPath, Path.Combine(server.Dir, "dump.rdb"));
        Assert.Equal(0, exitCode);
        Assert.EndsWith("\\o/ RDB looks OK! \\o/\n[info] 4 keys read\n[info] 1 expires\n[info] 0 already expired\n", output);
        Assert.Equal(output, Run("redis-check-rdb", Path.Combine(server.Dir, "dump.rdb")).Output);
    }
}
