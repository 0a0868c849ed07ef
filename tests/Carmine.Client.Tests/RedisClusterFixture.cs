using System.Diagnostics;
using Carmine.Protocol;

namespace Carmine.Client.Tests;

/// <summary>
/// Six Debian redis-server processes in cluster mode (three masters, one replica each) on free loopback
/// ports, created with redis-cli --cluster create; shared by a test class and killed in Dispose.
/// </summary>
public sealed class RedisClusterFixture : IDisposable
{
    public List<ServerProcess> Nodes { get; } = [];

    public RedisClusterFixture()
    {
        try
        {
            var busPorts = new HashSet<int>();
            for (int i = 0; i < 6; i++)
            {
                int bus;
                do bus = Carmine.TestSupport.ServerProcess.FreePort(); while (!busPorts.Add(bus) || Nodes.Any(n => n.Port == bus));
                Nodes.Add(new ServerProcess("redis", "--cluster-enabled", "yes", "--cluster-port", bus.ToString(),
                    "--cluster-node-timeout", "2000", "--appendonly", "no"));
            }
            var psi = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "--cluster", "create" }.Concat(Nodes.Select(n => $"127.0.0.1:{n.Port}"))
                         .Concat(["--cluster-replicas", "1", "--cluster-yes"]))
                psi.ArgumentList.Add(a);
            using var cli = Process.Start(psi)!;
            var stdout = cli.StandardOutput.ReadToEndAsync();
            var stderr = cli.StandardError.ReadToEndAsync();
            if (!cli.WaitForExit(60_000))
            {
                cli.Kill();
                throw new InvalidOperationException("redis-cli --cluster create did not finish in 60 s");
            }
            if (cli.ExitCode != 0)
                throw new InvalidOperationException($"redis-cli --cluster create failed:\n{stdout.Result}\n{stderr.Result}");
            WaitHealthyAsync().GetAwaiter().GetResult();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Seed => $"127.0.0.1:{Nodes[0].Port}";

    public ServerProcess ByAddress(string address) => Nodes.Single(n => address == $"127.0.0.1:{n.Port}");

    /// <summary>A plain client of one node, for checks and administration behind the cluster client's back.</summary>
    public static Task<RedisClient> AdminAsync(ServerProcess node) => RedisClient.ConnectAsync(node.Url);

    /// <summary>
    /// Waits until every running node reports cluster_state:ok and the cluster has three masters with slots,
    /// each with an online replica whose link to its master is up.
    /// </summary>
    public async Task WaitHealthyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            last = await HealthAsync();
            if (last == "") return;
            await Task.Delay(100);
        }
        throw new InvalidOperationException("the cluster did not become healthy in 30 s: " + last);
    }

    /// <summary>What is not healthy yet; empty when everything is.</summary>
    async Task<string> HealthAsync()
    {
        foreach (var node in Nodes)
        {
            await using var c = await AdminAsync(node);
            var info = Reply(await c.ExecuteAsync("CLUSTER", "INFO"));
            if (!info.Contains("cluster_state:ok")) return $"{node.Port}: cluster_state not ok";
            var replication = await c.InfoAsync("replication");
            if (replication.Contains("role:slave") && !replication.Contains("master_link_status:up")) return $"{node.Port}: replica link down";
            var shards = (await c.ExecuteAsync("CLUSTER", "SHARDS")).Items!;
            int withSlots = 0;
            foreach (var shard in shards)
            {
                var fields = shard.Items!;
                if (fields[1].Items!.Length == 0) continue;
                withSlots++;
                var healthy = fields[3].Items!.Count(n => string.Join(" ", n.Items!.Select(v => v.Text)).Contains("health online"));
                if (healthy != 2) return $"{node.Port}: a shard has {healthy} online nodes";
            }
            if (withSlots != 3) return $"{node.Port}: {withSlots} shards own slots";
        }
        return "";
    }

    static string Reply(RespValue v) => v.Text ?? "";

    public void Dispose()
    {
        foreach (var n in Nodes) n.Dispose();
    }
}
