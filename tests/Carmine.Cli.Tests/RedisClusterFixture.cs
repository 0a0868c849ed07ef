using System.Text;
using Carmine.TestSupport;

namespace Carmine.Cli.Tests;

/// <summary>Six cluster-enabled Debian redis-servers made into a cluster (3 masters, 3 replicas) by
/// carmine-cli --cluster create, with keys written through carmine-cli -c. Every server is killed on Dispose.</summary>
public sealed class RedisClusterFixture : IDisposable
{
    public const int KeyCount = 200;

    readonly List<ServerProcess> servers = [];

    public IReadOnlyList<ServerProcess> Nodes { get; }
    public CliResult Create { get; }
    public CliResult Write { get; }

    public RedisClusterFixture()
    {
        try
        {
            for (int i = 0; i < 6; i++) StartNode(cluster: true);
            Nodes = servers.ToList();
            Create = CarmineCli(["--cluster", "create", .. Nodes.Select(Address), "--cluster-replicas", "1", "--cluster-yes"]);
            if (Create.ExitCode != 0) throw new InvalidOperationException("create failed:\n" + Create.Describe());
            WaitUntil(() => CarmineCli("--cluster", "check", Address(Nodes[0])).ExitCode == 0, "the cluster to agree");
            // Agreeing on the slots is not yet serving them: each node turns its state to ok on its own.
            WaitUntil(() => Nodes.All(n => CarmineCli("-p", n.Port.ToString(), "CLUSTER", "INFO").Stdout.AsSpan().IndexOf("cluster_state:ok"u8) >= 0),
                "every node to report cluster_state:ok");
            var sets = new StringBuilder();
            for (int i = 0; i < KeyCount; i++) sets.Append($"SET clu:{i} v{i}\n");
            Write = CarmineCli(["-c", "-p", Nodes[0].Port.ToString()], sets.ToString());
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public static string Address(ServerProcess s) => $"127.0.0.1:{s.Port}";

    /// <summary>A redis-server on a free port; a cluster node gets a free bus port too (--cluster-port),
    /// trying again when another process took one of the ports in the meantime.</summary>
    public ServerProcess StartNode(bool cluster)
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = ServerProcess.FreePort();
            int bus = ServerProcess.FreePort();
            string dir = Directory.CreateTempSubdirectory("carmine-cluster-test-").FullName;
            List<string> args = ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
            if (cluster)
                args.AddRange(["--cluster-enabled", "yes", "--cluster-port", bus.ToString(), "--cluster-node-timeout", "2000",
                    "--cluster-config-file", "nodes.conf"]);
            try
            {
                var server = new ServerProcess("redis-server", args, port, dir);
                servers.Add(server);
                return server;
            }
            catch (InvalidOperationException) when (attempt < 5 && port != bus)
            {
                Directory.Delete(dir, true);
            }
        }
    }

    public static CliResult CarmineCli(params string[] args) => CarmineCli(args, null);

    public static CliResult CarmineCli(string[] args, string? stdin) => Run(CliRun.CarmineCliPath, args, stdin);

    public static CliResult RedisCli(string[] args, string? stdin = null) => Run("redis-cli", args, stdin);

    // TERM without "xterm": the cluster manager's lines are not colored.
    static CliResult Run(string program, string[] args, string? stdin) =>
        CliRun.Run(program, args, stdin is null ? null : Encoding.UTF8.GetBytes(stdin), new Dictionary<string, string> { ["TERM"] = "dumb" });

    /// <summary>Polls for up to 20 s (cluster changes spread by gossip).</summary>
    public static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            Thread.Sleep(200);
        }
    }

    public void Dispose()
    {
        foreach (var s in servers) s.Dispose();
    }
}
