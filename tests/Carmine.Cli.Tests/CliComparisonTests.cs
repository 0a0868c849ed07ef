using System.Text;
using Xunit.Abstractions;

namespace Carmine.Cli.Tests;

/// <summary>Runs each scenario with Debian's redis-cli and with carmine-cli against the same real
/// redis-server, after the same setup, and requires stdout, stderr and exit code to be identical.</summary>
public sealed partial class CliComparisonTests(RedisServerFixture server, ITestOutputHelper log) : IClassFixture<RedisServerFixture>
{
    /// <summary>One invocation: data written first, then the CLI's arguments ("{port}" is replaced), stdin and environment.</summary>
    public sealed record Scenario(string[][] Setup, string[] Args, string? Stdin = null, string? Env = null, bool Subscribed = false);

    static readonly string[][] NoSetup = [];
    static readonly string[][] ListOf12 = [["RPUSH", "cli:l", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]];
    static readonly string[][] Hash = [["HSET", "cli:h", "f1", "v1", "f2", "v2"]];
    static readonly string[][] Zset = [["ZADD", "cli:z", "1.5", "a", "2", "b"]];
    static readonly string[][] Stream = [["XADD", "cli:s", "1-1", "f", "v"], ["XADD", "cli:s", "2-1", "a", "1", "b", "2"]];
    static readonly string[][] Binary = [["SET", "cli:bin", "a\"b\\c\n\r\t\a\b\u0001\u007f end"]];
    static readonly string[][] Keys = [["MSET", "user:1", "a", "user:2", "b", "item:1", "c", "user:3 x", "d"]];

    static readonly Dictionary<string, Scenario> Scenarios = new()
    {
        ["tty status"] = new(NoSetup, ["--no-raw", "set", "cli:k", "v"]),
        ["tty string"] = new([["SET", "cli:k", "hello world"]], ["--no-raw", "get", "cli:k"]),
        ["tty escaped string"] = new(Binary, ["--no-raw", "get", "cli:bin"]),
        ["tty nil"] = new(NoSetup, ["--no-raw", "get", "cli:missing"]),
        ["tty integer"] = new(NoSetup, ["--no-raw", "incr", "cli:n"]),
        ["tty error"] = new(NoSetup, ["--no-raw", "nosuchcommand", "x"]),
        ["tty wrongtype"] = new(Hash, ["--no-raw", "get", "cli:h"]),
        ["tty empty array"] = new(NoSetup, ["--no-raw", "lrange", "cli:none", "0", "-1"]),
        ["tty array index width"] = new(ListOf12, ["--no-raw", "lrange", "cli:l", "0", "-1"]),
        ["tty nested array"] = new(Stream, ["--no-raw", "xrange", "cli:s", "-", "+"]),
        ["tty faketty"] = new(ListOf12, ["lrange", "cli:l", "0", "2"], Env: "FAKETTY=1"),
        ["resp3 map"] = new(Hash, ["-3", "--no-raw", "hgetall", "cli:h"]),
        ["resp3 empty map"] = new(NoSetup, ["-3", "--no-raw", "hgetall", "cli:none"]),
        ["resp3 set"] = new([["SADD", "cli:set", "only"]], ["-3", "--no-raw", "smembers", "cli:set"]),
        ["resp3 empty set"] = new(NoSetup, ["-3", "--no-raw", "smembers", "cli:none"]),
        ["resp3 double"] = new(Zset, ["-3", "--no-raw", "zscore", "cli:z", "a"]),
        ["resp3 withscores"] = new(Zset, ["-3", "--no-raw", "zrange", "cli:z", "0", "-1", "withscores"]),
        ["resp3 nested map"] = new(Stream, ["-3", "--no-raw", "xinfo", "stream", "cli:s", "full"]),
        ["resp3 null"] = new(NoSetup, ["-3", "--no-raw", "get", "cli:missing"]),
        ["resp3 protocol map"] = new(NoSetup, ["-3", "--no-raw", "debug", "protocol", "map"]),
        ["resp3 protocol set"] = new(NoSetup, ["-3", "--no-raw", "debug", "protocol", "set"]),
        ["resp3 protocol true"] = new(NoSetup, ["-3", "--no-raw", "debug", "protocol", "true"]),
        ["resp3 protocol false"] = new(NoSetup, ["-3", "--no-raw", "debug", "protocol", "false"]),
        ["resp3 protocol verbatim"] = new(NoSetup, ["-3", "--no-raw", "debug", "protocol", "verbatim"]),
        ["resp3 protocol double"] = new(NoSetup, ["-3", "--no-raw", "debug", "protocol", "double"]),
        ["resp3 protocol bignum"] = new(NoSetup, ["-3", "--no-raw", "debug", "protocol", "bignum"]),
        ["resp3 protocol attribute"] = new(NoSetup, ["-3", "--no-raw", "debug", "protocol", "attrib"]),
        ["resp3 protocol push on tty"] = new(NoSetup, ["-3", "debug", "protocol", "push"], Env: "FAKETTY=1"),
        ["resp3 protocol push in pipe"] = new(NoSetup, ["-3", "debug", "protocol", "push"]),
        ["raw default in pipe"] = new(ListOf12, ["lrange", "cli:l", "0", "-1"]),
        ["raw nil"] = new(NoSetup, ["--raw", "get", "cli:missing"]),
        ["raw error"] = new(NoSetup, ["--raw", "nosuchcommand"]),
        ["raw binary"] = new(Binary, ["--raw", "get", "cli:bin"]),
        ["raw nested"] = new(Stream, ["--raw", "xrange", "cli:s", "-", "+"]),
        ["raw resp3 map"] = new(Hash, ["-3", "--raw", "hgetall", "cli:h"]),
        ["raw resp3 protocol true"] = new(NoSetup, ["-3", "--raw", "debug", "protocol", "true"]),
        ["csv array"] = new(ListOf12, ["--csv", "lrange", "cli:l", "0", "3"]),
        ["csv nil"] = new(NoSetup, ["--csv", "get", "cli:missing"]),
        ["csv error"] = new(NoSetup, ["--csv", "nosuchcommand"]),
        ["csv escaped"] = new(Binary, ["--csv", "get", "cli:bin"]),
        ["csv resp3 map"] = new(Hash, ["-3", "--csv", "hgetall", "cli:h"]),
        ["csv resp3 double"] = new(Zset, ["-3", "--csv", "zrange", "cli:z", "0", "-1", "withscores"]),
        ["csv resp3 bool"] = new(NoSetup, ["-3", "--csv", "debug", "protocol", "false"]),
        ["json array"] = new(ListOf12, ["--json", "lrange", "cli:l", "0", "2"]),
        ["json map and double"] = new(Zset, ["--json", "zrange", "cli:z", "0", "-1", "withscores"]),
        ["json escaped"] = new(Binary, ["--json", "get", "cli:bin"]),
        ["json error and nil"] = new(NoSetup, ["--json", "-r", "2", "get", "cli:missing"]),
        ["json resp2"] = new(Hash, ["-2", "--json", "hgetall", "cli:h"]),
        ["json protocol map"] = new(NoSetup, ["--json", "debug", "protocol", "map"]),
        ["json protocol bool"] = new(NoSetup, ["--json", "debug", "protocol", "true"]),
        ["quoted json"] = new(Binary, ["--quoted-json", "get", "cli:bin"]),
        ["raw delimiters"] = new(ListOf12, ["-d", ";", "-D", "|END|", "--raw", "-r", "2", "lrange", "cli:l", "0", "2"]),
        ["stdin tag"] = new(NoSetup, ["-X", "TAG", "echo", "TAG"], Stdin: "from stdin"),
        ["stdin tag missing"] = new(NoSetup, ["-X", "TAG", "echo", "x"], Stdin: "from stdin"),
        ["-x and -X together"] = new(NoSetup, ["-x", "-X", "TAG", "echo", "TAG"]),
        ["-2 and -3 together"] = new(NoSetup, ["-2", "-3", "ping"]),
        ["quoted input"] = new(NoSetup, ["--quoted-input", "--no-raw", "echo", "\"a\\x00b\""]),
        ["quoted input invalid"] = new(NoSetup, ["--quoted-input", "echo", "\"a"]),
        ["push shown on request"] = new(NoSetup, ["-3", "--show-pushes", "y", "debug", "protocol", "push"]),
        ["push hidden on request"] = new(NoSetup, ["-3", "--show-pushes", "no", "debug", "protocol", "push"], Env: "FAKETTY=1"),
        ["bad show-pushes"] = new(NoSetup, ["--show-pushes", "maybe", "ping"]),
        ["info is always raw"] = new(NoSetup, ["--no-raw", "info", "keyspace"]),
        ["repeat"] = new(NoSetup, ["--no-raw", "-r", "3", "incr", "cli:n"]),
        ["repeat with interval"] = new(NoSetup, ["-r", "3", "-i", "0.1", "incr", "cli:n"]),
        ["stdin as last argument"] = new(NoSetup, ["-x", "echo"], Stdin: "line one\nline \"two\"\n"),
        ["stdin then tty"] = new(NoSetup, ["--no-raw", "-x", "echo"], Stdin: "a\tb\n"),
        ["select with -n"] = new([["SELECT", "2"], ["SET", "cli:db2", "x"]], ["-n", "2", "--no-raw", "keys", "*"]),
        ["uri with db"] = new([["SELECT", "3"], ["SET", "cli:db3", "y"]], ["-u", "redis://127.0.0.1:{port}/3", "get", "cli:db3"], Env: "NOPORT=1"),
        ["auth warning and failure"] = new(NoSetup, ["-a", "secret", "ping"]),
        ["no auth warning"] = new(NoSetup, ["--no-auth-warning", "-a", "secret", "ping"]),
        ["exit code on error"] = new(NoSetup, ["-e", "nosuchcommand"]),
        ["exit code on success"] = new(NoSetup, ["-e", "ping"]),
        ["error without -e exits 0"] = new(NoSetup, ["nosuchcommand"]),
        ["unknown option"] = new(NoSetup, ["--bogus", "ping"]),
        ["scan"] = new(Keys, ["--scan"]),
        ["scan pattern"] = new(Keys, ["--scan", "--pattern", "user:*"]),
        ["scan quoted on tty"] = new(Keys, ["--no-raw", "--scan", "--pattern", "user:*"]),
        ["pipe"] = new(NoSetup, ["--pipe"], Stdin: PipeInput()),
        ["eval"] = new(NoSetup, ["--eval", "{script}", "cli:a", "cli:b", ",", "x", "y"]),
        ["eval missing file"] = new(NoSetup, ["--eval", "/nonexistent/script.lua"]),
        ["interactive from stdin"] = new(NoSetup, [], Stdin: "set cli:k v\nselect 2\nmulti\nincr cli:n\nexec\nget \"cli:k\"\n3 ping\n"),
        ["interactive quoting"] = new(NoSetup, ["--no-raw"], Stdin: "echo \"a\\x41\\n\" 'it\\'s'\necho \"unbalanced\n"),
        ["connection refused"] = new(NoSetup, ["-p", "{freeport}", "ping"], Env: "NOPORT=1"),
        ["unix socket"] = new(NoSetup, ["-s", "{socket}", "--no-raw", "dbsize"], Env: "NOPORT=1"),
        ["user and wrong password"] = new(NoSetup, ["--no-auth-warning", "--user", "default", "-a", "wrong", "ping"]),
        ["interactive cli commands"] = new(NoSetup, [], Stdin: ":set hints\n:set colors\n:foo\nrestart\n0 ping\n2 ping\n"),
        ["interactive help"] = new(NoSetup, [], Stdin: "help pfadd\n"),
        ["subscribe on tty"] = new(NoSetup, ["--no-raw", "subscribe", "cli:ch"], Subscribed: true),
        ["subscribe raw"] = new(NoSetup, ["subscribe", "cli:ch"], Subscribed: true),
        ["subscribe resp3"] = new(NoSetup, ["-3", "--no-raw", "subscribe", "cli:ch"], Subscribed: true),
        ["help command"] = new(NoSetup, ["help", "get"]),
        ["help group"] = new(NoSetup, ["help", "@hyperloglog"]),
        ["help subcommands"] = new(NoSetup, ["help", "object"]),
    };

    static string PipeInput()
    {
        var s = new StringBuilder();
        for (int i = 0; i < 200; i++)
        {
            string key = $"cli:p{i}";
            s.Append($"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n$1\r\nv\r\n");
        }
        s.Append("*1\r\n$7\r\nNOSUCHC\r\n");
        s.Append("*2\r\n$4\r\nINCR\r\n$6\r\ncli:p0\r\n");
        return s.ToString();
    }

    public static TheoryData<string> Names => new(Scenarios.Keys.Concat(ToolScenarios.Keys));

    [Theory]
    [MemberData(nameof(Names))]
    public void OutputIsIdenticalToRedisCli(string name)
    {
        var scenario = Scenarios.TryGetValue(name, out var s) ? s : ToolScenarios[name];
        string script = Path.Combine(server.Dir, "script.lua");
        File.WriteAllText(script, "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], redis.call('incr', KEYS[1])}\n");
        var expected = RunWith("redis-cli", scenario, script);
        var actual = RunWith(CliRun.CarmineCliPath, scenario, script);
        log.WriteLine("redis-cli:\n" + expected.Describe());
        log.WriteLine("carmine-cli:\n" + actual.Describe());
        Assert.True(expected.SameAs(actual), $"redis-cli:\n{expected.Describe()}\ncarmine-cli:\n{actual.Describe()}");
    }

    // A port nobody listens on, the same for both CLIs so their messages can be compared.
    static readonly int closedPort = RedisServerFixture.FreePort();

    CliResult RunWith(string program, Scenario scenario, string script)
    {
        using (var c = server.Connect())
        {
            c.Call("FLUSHALL");
            foreach (var command in scenario.Setup) c.Call(command);
        }
        var env = new Dictionary<string, string>();
        if (scenario.Env is not null) env[scenario.Env.Split('=')[0]] = scenario.Env.Split('=')[1];
        var args = scenario.Args.Select(a => a.Replace("{port}", server.Port.ToString()).Replace("{script}", script)
            .Replace("{socket}", server.UnixSocket).Replace("{freeport}", closedPort.ToString())
            .Replace("{tlsport}", server.TlsPort.ToString()).Replace("{tls}", server.TlsDir).Replace("{dir}", server.Dir));
        if (!env.ContainsKey("NOPORT")) args = new[] { "-p", server.Port.ToString() }.Concat(args);
        byte[]? stdin = scenario.Stdin is null ? null : Encoding.UTF8.GetBytes(scenario.Stdin);
        return CliRun.Run(program, args.ToList(), stdin, env, scenario.Subscribed ? PublishToSubscriber : null);
    }

    // Waits for the CLI to be subscribed to cli:ch, then publishes two messages to it.
    void PublishToSubscriber()
    {
        using var c = server.Connect();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (c.Call("PUBSUB", "NUMSUB", "cli:ch").Items![1].Integer == 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the CLI did not subscribe");
            Thread.Sleep(20);
        }
        c.Call("PUBLISH", "cli:ch", "hello");
        c.Call("PUBLISH", "cli:ch", "two words");
    }
}
