using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Carmine.Cli.Tests;

/// <summary>--rdb and --replica against a real master. Their messages carry the RDB's size, which moves with
/// its aux fields (ctime, used-mem, repl-offset), so both CLIs' output is compared byte for byte with that
/// number checked against the file and then blanked; the files themselves are checked with redis-check-rdb.</summary>
public sealed class ReplicationModeTests : IClassFixture<RedisServerFixture>
{
    static readonly Dictionary<string, string> NoEnv = [];
    readonly RedisServerFixture server;

    public ReplicationModeTests(RedisServerFixture server)
    {
        this.server = server;
        using var c = server.Connect();
        // No replication PING may land between the commands a --replica test expects.
        c.Call("CONFIG", "SET", "repl-ping-replica-period", "3600");
        c.Call("FLUSHALL");
        c.Call("EVAL", "for i = 1, 50 do redis.call('set', 'rdb:' .. i, string.rep('v', i)) end", "0");
        c.Call("FUNCTION", "LOAD", "REPLACE", "#!lua name=rdbtest\nredis.register_function('rdbtest_f', function() return 1 end)");
    }

    CliResult Run(string program, params string[] args) =>
        CliRun.Run(program, ["-p", server.Port.ToString(), .. args], null, NoEnv);

    // Runs both CLIs writing the same file name, keeping redis-cli's copy as NAME.redis-cli.
    (CliResult Redis, CliResult Carmine, string RedisFile, string CarmineFile) BothToFile(string option, string name)
    {
        string file = Path.Combine(server.Dir, name);
        var redis = Run("redis-cli", option, file);
        File.Move(file, file + ".redis-cli", overwrite: true);
        var carmine = Run(CliRun.CarmineCliPath, option, file);
        return (redis, carmine, file + ".redis-cli", file);
    }

    static readonly Regex Size = new(@"(after|writing) (\d+) bytes");

    // The size in the messages, which must be the file's, blanked so the rest can be compared.
    static string Normalized(CliResult r, long fileSize)
    {
        string stderr = Encoding.UTF8.GetString(r.Stderr);
        var sizes = Size.Matches(stderr).Select(m => long.Parse(m.Groups[2].Value)).ToList();
        Assert.NotEmpty(sizes);
        Assert.All(sizes, s => Assert.Equal(fileSize, s));
        return $"exit {r.ExitCode}\n" + Size.Replace(stderr, "$1 N bytes");
    }

    static string CheckRdb(string file)
    {
        var psi = new ProcessStartInfo("redis-check-rdb", [file]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd() + stderr.Result;
        Assert.True(p.WaitForExit(30_000));
        Assert.Contains(@"\o/ RDB looks OK! \o/", output);
        return output;
    }

    [Fact]
    public void RdbWritesTheSameDumpAsRedisCli()
    {
        var (redis, carmine, redisFile, carmineFile) = BothToFile("--rdb", "dump.rdb");
        Assert.Equal(Normalized(redis, new FileInfo(redisFile).Length), Normalized(carmine, new FileInfo(carmineFile).Length));
        Assert.Contains("[info] 50 keys read", CheckRdb(redisFile));
        Assert.Contains("[info] 50 keys read", CheckRdb(carmineFile));
        // Only the aux fields' integer encodings may differ in length.
        Assert.InRange(new FileInfo(carmineFile).Length - new FileInfo(redisFile).Length, -8, 8);
    }

    [Fact]
    public void RdbFromADiskBasedSyncAnnouncesItsLength()
    {
        using var c = server.Connect();
        c.Call("CONFIG", "SET", "repl-diskless-sync", "no");
        try
        {
            var (redis, carmine, redisFile, carmineFile) = BothToFile("--rdb", "disk.rdb");
            Assert.Contains("writing", Encoding.UTF8.GetString(carmine.Stderr));
            Assert.Equal(Normalized(redis, new FileInfo(redisFile).Length), Normalized(carmine, new FileInfo(carmineFile).Length));
            Assert.Contains("[info] 50 keys read", CheckRdb(carmineFile));
        }
        finally
        {
            c.Call("CONFIG", "SET", "repl-diskless-sync", "yes");
        }
    }

    [Fact]
    public void FunctionsRdbHoldsTheFunctionsButNoKeys()
    {
        var (redis, carmine, redisFile, carmineFile) = BothToFile("--functions-rdb", "functions.rdb");
        Assert.Equal(Normalized(redis, new FileInfo(redisFile).Length), Normalized(carmine, new FileInfo(carmineFile).Length));
        Assert.Contains("[info] 0 keys read", CheckRdb(carmineFile));
        // The library's code is saved LZF-compressed; its first line is short enough to stay literal.
        Assert.Contains("#!lua name=rdbtest", File.ReadAllText(carmineFile, Encoding.Latin1));
    }

    [Fact]
    public void RdbToStdoutWritesTheDumpThere()
    {
        var redis = Run("redis-cli", "--rdb", "-");
        var carmine = Run(CliRun.CarmineCliPath, "--rdb", "-");
        // On stdout the EOF mark is not cut off, as it is from a file.
        Assert.Equal(Normalized(redis, redis.Stdout.Length - 40), Normalized(carmine, carmine.Stdout.Length - 40));
        Assert.StartsWith("REDIS0010", Encoding.ASCII.GetString(carmine.Stdout, 0, 9));
    }

    [Fact]
    public void ReplicaPrintsTheCommandsTheMasterStreams()
    {
        var redis = Replica("redis-cli");
        var carmine = Replica(CliRun.CarmineCliPath);
        // The SELECT that starts the stream is taken by redis-cli as the reply to its REPLCONF ACK.
        const string expected = "\"SET\",\"rep:k\",\"a \\\"quoted\\\" value\"\n\"INCR\",\"rep:n\"\n\"HSET\",\"rep:h\",\"f\",\"v\"\n";
        Assert.Equal(expected, Encoding.UTF8.GetString(redis.Stdout));
        Assert.Equal(expected, Encoding.UTF8.GetString(carmine.Stdout));
        string Stderr(CliResult r) => Regex.Replace(Encoding.UTF8.GetString(r.Stderr), @"after \d+ bytes", "after N bytes");
        Assert.Equal(Stderr(redis), Stderr(carmine));
        Assert.Contains("SYNC done after N bytes. Logging commands from master.\nsending REPLCONF ACK 0\n", Stderr(carmine));
    }

    // Runs --replica until it has sent its REPLCONF ACK (a second after the RDB), writes three commands, and stops it.
    CliResult Replica(string program)
    {
        using var c = server.Connect();
        WaitFor(() => c.Call("INFO", "replication").Text!.Contains("connected_slaves:0"));
        return CliRun.Run(program, ["-p", server.Port.ToString(), "--replica"], null, NoEnv, () =>
        {
            WaitFor(() => c.Call("CLIENT", "LIST", "TYPE", "replica").Text!.Contains("cmd=replconf"));
            c.Call("SET", "rep:k", "a \"quoted\" value");
            c.Call("INCR", "rep:n");
            c.Call("HSET", "rep:h", "f", "v");
        });
    }

    static void WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("replication did not reach the expected state");
            Thread.Sleep(20);
        }
    }
}
