namespace Carmine.Cli.Tests;

/// <summary>Scenarios for the sampling modes (--bigkeys, --memkeys, --hotkeys), --rdb's failures, TLS, URIs,
/// passwords, --eval and unix sockets; run by <see cref="OutputIsIdenticalToRedisCli"/> like the others.</summary>
public sealed partial class CliComparisonTests
{
    // One script, so that the keyspace's hash table is fully rehashed (every lookup moves a bucket) before any
    // CLI scans it: a table still rehashing when a server cron finishes it would change SCAN's order between runs.
    static readonly string[][] AllTypes =
    [
        ["EVAL", """
            redis.call('set', 'big:s', 'hello'); redis.call('set', 'big:s2', 'x'); redis.call('set', 'big:odd "q"\n', 'v')
            redis.call('rpush', 'big:l', 'a', 'b', 'c'); redis.call('rpush', 'big:l2', 'a'); redis.call('sadd', 'big:set', 'a', 'b')
            redis.call('hset', 'big:h', 'f', 'v', 'g', 'w'); redis.call('zadd', 'big:z', 1, 'a'); redis.call('xadd', 'big:x', '1-1', 'f', 'v')
            for i = 1, 32 do redis.call('exists', 'big:s') end
            """, "0"],
    ];

    // Enough keys for several SCAN batches, strings and lists of growing sizes.
    static readonly string[][] ManyKeys =
    [
        ["EVAL", "for i = 1, 300 do redis.call('set', 'many:' .. i, string.rep('x', i % 37)); redis.call('rpush', 'list:' .. (i % 13), i) end", "0"],
    ];

    // With lfu-log-factor 0 every access adds one to the counter: key hot:i is read i times.
    static readonly string[][] HotKeys =
    [
        ["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
        ["EVAL", "for i = 1, 20 do redis.call('set', 'hot:' .. i, 'v'); for j = 1, i do redis.call('get', 'hot:' .. i) end end", "0"],
    ];

    static readonly string[] Tls = ["-p", "{tlsport}", "--tls"];
    static readonly string[] TrustedClient = ["--cacert", "{tls}/ca.crt", "--cert", "{tls}/redis.crt", "--key", "{tls}/redis.key"];

    static readonly Dictionary<string, Scenario> ToolScenarios = new()
    {
        ["bigkeys empty"] = new(NoSetup, ["--bigkeys"]),
        ["bigkeys one key"] = new([["SET", "big:s", "v"]], ["--bigkeys"]),
        ["bigkeys all types"] = new(AllTypes, ["--bigkeys"]),
        ["bigkeys many keys"] = new(ManyKeys, ["--bigkeys"]),
        ["bigkeys pattern and interval"] = new(ManyKeys, ["--bigkeys", "--pattern", "list:*", "-i", "0.01"]),
        ["bigkeys other database"] = new([["SELECT", "3"], .. AllTypes], ["-n", "3", "--bigkeys"]),
        ["bigkeys quoted pattern"] = new(AllTypes, ["--bigkeys", "--quoted-pattern", "\"big:odd \\\"*\""]),
        ["scan quoted pattern"] = new(AllTypes, ["--scan", "--quoted-pattern", "'big:s*'"]),
        ["scan invalid quoted pattern"] = new(NoSetup, ["--scan", "--quoted-pattern", "\"big"]),
        ["memkeys"] = new(AllTypes, ["--memkeys"]),
        ["memkeys many keys"] = new(ManyKeys, ["--memkeys"]),
        ["memkeys samples"] = new(ManyKeys, ["--memkeys-samples", "2"]),
        ["hotkeys"] = new(HotKeys, ["--hotkeys"]),
        ["hotkeys empty"] = new([["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]], ["--hotkeys"]),
        ["hotkeys without lfu policy"] = new([["CONFIG", "SET", "maxmemory-policy", "noeviction"], ["SET", "hot:a", "v"]], ["--hotkeys"]),
        ["rdb to an unwritable file"] = new(NoSetup, ["--rdb", "{dir}/no/such/dir/dump.rdb"]),
        ["rdb and functions-rdb together"] = new(NoSetup, ["--functions-rdb", "f.rdb", "--rdb", "d.rdb"]),
        ["rdb without a file"] = new(NoSetup, ["--rdb"]),
        ["tls"] = new(Hash, [.. Tls, .. TrustedClient, "--no-raw", "hgetall", "cli:h"]),
        ["tls ca directory"] = new(NoSetup, [.. Tls, "--cacertdir", "{tls}/cadir", "--cert", "{tls}/redis.crt", "--key", "{tls}/redis.key", "ping"]),
        ["tls sni"] = new(NoSetup, [.. Tls, .. TrustedClient, "--sni", "localhost", "ping"]),
        ["tls insecure"] = new(NoSetup, [.. Tls, "--insecure", "--cert", "{tls}/redis.crt", "--key", "{tls}/redis.key", "ping"]),
        ["tls rediss uri"] = new(NoSetup, ["-u", "rediss://127.0.0.1:{tlsport}/2", .. TrustedClient, "--no-raw", "dbsize"], Env: "NOPORT=1"),
        ["tls interactive"] = new(NoSetup, [.. Tls, .. TrustedClient], Stdin: "set cli:k v\nget cli:k\n"),
        ["tls bigkeys"] = new(AllTypes, [.. Tls, .. TrustedClient, "--bigkeys"]),
        ["tls untrusted server"] = new(NoSetup, [.. Tls, "--cert", "{tls}/redis.crt", "--key", "{tls}/redis.key", "ping"]),
        ["tls empty ca directory"] = new(NoSetup, [.. Tls, "--cacertdir", "{dir}", "--cert", "{tls}/redis.crt", "--key", "{tls}/redis.key", "ping"]),
        ["tls missing ca file"] = new(NoSetup, [.. Tls, "--cacert", "{tls}/none.crt", "ping"]),
        ["tls bad client certificate"] = new(NoSetup, [.. Tls, "--cacert", "{tls}/ca.crt", "--cert", "{tls}/redis.key", "--key", "{tls}/redis.key", "ping"]),
        ["tls key of another certificate"] = new(NoSetup, [.. Tls, "--cacert", "{tls}/ca.crt", "--cert", "{tls}/redis.crt", "--key", "{tls}/ca.key", "ping"]),
        ["plain connection to tls port"] = new(NoSetup, ["-p", "{tlsport}", "ping"]),
        ["uri with user and password"] = new(NoSetup, ["-u", "redis://someone:p%41ss@127.0.0.1:{port}", "ping"], Env: "NOPORT=1"),
        ["uri with trailing slash"] = new(NoSetup, ["-u", "redis://127.0.0.1:{port}/", "ping"], Env: "NOPORT=1"),
        ["uri without host"] = new(NoSetup, ["-u", "redis://:{port}", "ping"], Env: "NOPORT=1"),
        ["uri incomplete encoding"] = new(NoSetup, ["-u", "redis://p%@127.0.0.1:{port}", "ping"], Env: "NOPORT=1"),
        ["uri illegal encoding"] = new(NoSetup, ["-u", "redis://p%zz@127.0.0.1:{port}", "ping"], Env: "NOPORT=1"),
        ["uri bad scheme"] = new(NoSetup, ["-u", "http://127.0.0.1:{port}", "ping"], Env: "NOPORT=1"),
        ["askpass from stdin"] = new(NoSetup, ["--askpass", "ping"], Stdin: "secret\n"),
        ["askpass overrides -a"] = new(NoSetup, ["-a", "other", "--askpass", "ping"], Stdin: "secret\n"),
        ["askpass then interactive"] = new(NoSetup, ["--askpass"], Stdin: "secret\nping\necho hi\n"),
        ["askpass at end of input"] = new(NoSetup, ["--askpass", "ping"], Stdin: ""),
        ["password warning before a usage error"] = new(NoSetup, ["-a", "secret", "-x", "-X", "TAG", "ping"]),
        ["password from environment"] = new(NoSetup, ["ping"], Env: "REDISCLI_AUTH=secret"),
        ["eval error with -e"] = new([["SET", "cli:a", "x"]], ["-e", "--eval", "{script}", "cli:a", "cli:b", ",", "x"]),
        ["eval error without -e"] = new([["SET", "cli:a", "x"]], ["--eval", "{script}", "cli:a", "cli:b", ",", "x"]),
        ["eval without keys"] = new(NoSetup, ["--eval", "{script}"]),
        ["eval comma glued to an argument"] = new(NoSetup, ["--no-raw", "--eval", "{script}", "cli:a", ",x", "y"]),
        ["eval of a directory"] = new(NoSetup, ["--eval", "{dir}"]),
        ["unix socket missing"] = new(NoSetup, ["-s", "{dir}/none.sock", "ping"], Env: "NOPORT=1"),
        ["unix socket bigkeys"] = new(AllTypes, ["-s", "{socket}", "--bigkeys"], Env: "NOPORT=1"),
        ["unix socket eval"] = new(NoSetup, ["-s", "{socket}", "--eval", "{script}", "cli:a", "cli:b", ",", "x", "y"], Env: "NOPORT=1"),
        ["verbose is accepted"] = new(NoSetup, ["--verbose", "ping"]),
    };
}
