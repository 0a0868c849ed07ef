using System.Diagnostics;

namespace Carmine.Client.Tests;

/// <summary>
/// One master, two replicas and three sentinels (quorum 2, down-after-milliseconds 1000), all Debian's
/// redis-server on free loopback ports, shared by the tests of <see cref="SentinelTests"/>; Dispose kills them all.
/// </summary>
public sealed class SentinelTopology : IAsyncLifetime
{
    public const string MasterName = "carmine";

    readonly List<Carmine.TestSupport.ServerProcess> sentinels = [];

    public List<ServerProcess> Nodes { get; } = [];
    public int[] SentinelPorts => sentinels.Select(s => s.Port).ToArray();

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    async Task StartAsync()
    {
        var master = new ServerProcess("redis");
        Nodes.Add(master);
        for (int i = 0; i < 2; i++) Nodes.Add(new ServerProcess("redis", "--replicaof", "127.0.0.1", master.Port.ToString()));
        for (int i = 0; i < 3; i++)
        {
            int port = Carmine.TestSupport.ServerProcess.FreePort();
            string dir = Directory.CreateTempSubdirectory("carmine-sentinel-").FullName;
            string conf = Path.Combine(dir, "sentinel.conf");
            // failover-timeout is long enough that a sentinel that lost the election does not start a second failover.
            File.WriteAllText(conf, $"""
                port {port}
                bind 127.0.0.1
                dir {dir}
                sentinel monitor {MasterName} 127.0.0.1 {master.Port} 2
                sentinel down-after-milliseconds {MasterName} 1000
                sentinel failover-timeout {MasterName} 10000
                sentinel parallel-syncs {MasterName} 2

                """);
            sentinels.Add(new Carmine.TestSupport.ServerProcess("/usr/bin/redis-server", [conf, "--sentinel"], port, dir));
        }
        await WaitHealthyAsync();
    }

    public FailoverOptions Options(ReadFrom readFrom = ReadFrom.Master) => new()
    {
        MasterName = MasterName,
        Sentinels = SentinelPorts.Select(p => $"127.0.0.1:{p}").ToList(),
        ReadFrom = readFrom,
        Redis = new RedisOptions { ResponseTimeout = TimeSpan.FromSeconds(10) },
    };

    public ServerProcess Node(int port) => Nodes.Single(n => n.Port == port);

    public static async Task<T> WithClient<T>(int port, Func<RedisClient, Task<T>> use)
    {
        await using var c = await RedisClient.ConnectAsync($"redis://127.0.0.1:{port}");
        return await use(c);
    }

    public static Task<string> InfoField(int port, string section, string field) => WithClient(port, async c =>
    {
        var line = (await c.InfoAsync(section)).Split("\r\n").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line?[(field.Length + 1)..] ?? "";
    });

    /// <summary>The master's port as each sentinel reports it.</summary>
    public async Task<int[]> MasterPortsAsync()
    {
        var ports = new List<int>();
        foreach (var p in SentinelPorts)
        {
            await using var s = await SentinelClient.ConnectAsync($"redis://127.0.0.1:{p}");
            ports.Add((await s.GetMasterAddrByNameAsync(MasterName))?.Port ?? 0);
        }
        return [.. ports];
    }

    /// <summary>
    /// Waits until the sentinels agree on a master that says so, know both replicas as healthy and each other, no
    /// failover is in progress, and both replicas are linked to the master.
    /// </summary>
    public async Task<int> WaitHealthyAsync()
    {
        var deadline = Stopwatch.StartNew();
        string state = "";
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                state = await HealthAsync();
                if (state == "") return (await MasterPortsAsync())[0];
            }
            catch (Exception e) when (e is RedisConnectionException or RedisServerException or TimeoutException)
            {
                state = e.Message;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("the sentinel topology did not become healthy within 30 s: " + state);
    }

    async Task<string> HealthAsync()
    {
        var ports = await MasterPortsAsync();
        if (ports.Distinct().Count() != 1) return $"sentinels disagree on the master: {string.Join(", ", ports)}";
        int master = ports[0];
        foreach (var p in SentinelPorts)
        {
            await using var s = await SentinelClient.ConnectAsync($"redis://127.0.0.1:{p}");
            var m = await s.MasterAsync(MasterName);
            if (m["flags"] != "master" || m["num-other-sentinels"] != "2") return $"sentinel {p}: flags {m["flags"]}, {m["num-other-sentinels"]} other sentinels";
            var replicas = await s.ReplicasAsync(MasterName);
            // Only flags: the sentinel's copy of a replica's link status is refreshed every 10 s; the replicas are asked below.
            var healthy = replicas.Where(r => r["flags"] == "slave").Select(r => r.Port).ToArray();
            if (healthy.Length != 2) return $"sentinel {p}: healthy replicas {string.Join(", ", healthy)}";
        }
        if (await InfoField(master, "replication", "role") != "master") return $"{master} is not master";
        foreach (var n in Nodes.Where(n => n.Port != master))
        {
            if (await InfoField(n.Port, "replication", "master_port") != master.ToString() ||
                await InfoField(n.Port, "replication", "master_link_status") != "up")
                return $"replica {n.Port} not linked to {master}";
        }
        return "";
    }

    /// <summary>Starts a killed node again and makes it a replica of the master at once (the sentinels would, seconds later).</summary>
    public async Task RestartAsReplicaAsync(ServerProcess node, int masterPort)
    {
        node.Start();
        await WithClient(node.Port, c => c.ExecuteAsync("REPLICAOF", "127.0.0.1", masterPort));
    }

    public Task DisposeAsync()
    {
        foreach (var s in sentinels) s.Dispose();
        foreach (var n in Nodes) n.Dispose();
        return Task.CompletedTask;
    }
}
