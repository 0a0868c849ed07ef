using System.Text;
using Carmine.TestSupport;
using static Carmine.Cli.Tests.RedisClusterFixture;

namespace Carmine.Cli.Tests;

/// <summary>carmine-cli --cluster and -c against a real six-node redis-server cluster, compared with
/// Debian's redis-cli where the output does not depend on which CLI ran first. Tests that change the
/// cluster leave it healthy: every slot covered and every key written by the fixture readable.</summary>
public sealed class ClusterManagerTests(RedisClusterFixture cluster) : IClassFixture<RedisClusterFixture>
{
    string Entry => Address(cluster.Nodes[0]);

    static string Text(byte[] b) => Encoding.UTF8.GetString(b);

    static string[] SortedLines(byte[] b) => Text(b).Split('\n').Order(StringComparer.Ordinal).ToArray();

    static string Call(ServerProcess node, params string[] args)
    {
        using var c = CliConnection.Open("127.0.0.1", node.Port, null);
        return c.Call(args).ToString();
    }

    static string Id(ServerProcess node) => Call(node, "CLUSTER", "MYID");

    /// <summary>The masters that serve slots, as node 0 sees them.</summary>
    List<ServerProcess> Masters()
    {
        var lines = Call(cluster.Nodes[0], "CLUSTER", "NODES").Split('\n');
        var ports = lines.Select(l => l.Split(' ')).Where(f => f.Length > 8 && f[2].Contains("master") && !f[2].Contains("fail"))
            .Select(f => int.Parse(f[1].Split('@')[0].Split(':')[1])).ToHashSet();
        return cluster.Nodes.Where(n => ports.Contains(n.Port)).ToList();
    }

    static int SlotsOf(ServerProcess node)
    {
        var mine = Call(node, "CLUSTER", "NODES").Split('\n').First(l => l.Contains("myself")).Split(' ');
        return mine.Skip(8).Where(r => !r.StartsWith('[')).Sum(r => r.Contains('-') ? int.Parse(r.Split('-')[1]) - int.Parse(r.Split('-')[0]) + 1 : 1);
    }

    /// <summary>Check passes (after gossip settles) and every key written at the start reads back through -c.</summary>
    void AssertHealthy()
    {
        WaitUntil(() => CarmineCli("--cluster", "check", Entry).ExitCode == 0, "check to pass");
        var check = CarmineCli("--cluster", "check", Entry);
        Assert.Contains("[OK] All nodes agree about slots configuration.\n", Text(check.Stdout));
        Assert.Contains("[OK] All 16384 slots covered.\n", Text(check.Stdout));
        var gets = new StringBuilder();
        for (int i = 0; i < KeyCount; i++) gets.Append($"GET clu:{i}\n");
        var read = CarmineCli(["-c", "-p", cluster.Nodes[0].Port.ToString()], gets.ToString());
        var values = Text(read.Stdout).Split('\n').Where(l => !l.StartsWith("-> ")).ToList();
        for (int i = 0; i < KeyCount; i++) Assert.Equal($"v{i}", values[i]);
    }

    [Fact]
    public void CreateSplitsSlotsOverThreeMastersAndAddsReplicas()
    {
        string output = Text(cluster.Create.Stdout);
        Assert.Contains(">>> Performing hash slots allocation on 6 nodes...\n" +
            "Master[0] -> Slots 0 - 5460\nMaster[1] -> Slots 5461 - 10922\nMaster[2] -> Slots 10923 - 16383\n", output);
        Assert.Equal(3, output.Split('\n').Count(l => l.StartsWith("Adding replica ")));
        // All nodes share one host, so a replica next to its master cannot be avoided.
        Assert.Contains("[WARNING] Some slaves are in the same host as their master\n", output);
        Assert.DoesNotContain("(type 'yes' to accept)", output);
        Assert.EndsWith("[OK] All 16384 slots covered.\n", output);
        Assert.Equal(3, Masters().Count);
    }

    [Fact]
    public void CreateWithoutYesAsksAndStopsOnNo()
    {
        var nodes = Enumerable.Range(0, 3).Select(_ => cluster.StartNode(cluster: true)).ToList();
        string[] args = ["--cluster", "create", .. nodes.Select(Address)];
        var ours = CarmineCli(args, "no\n");
        var theirs = RedisCli(args, "no\n");
        Assert.Contains("Can I set the above configuration? (type 'yes' to accept): ", Text(ours.Stdout));
        Assert.True(ours.SameAs(theirs), ours.Describe() + "\n=== redis-cli ===\n" + theirs.Describe());
        Assert.Contains("cluster_known_nodes:1", Call(nodes[0], "CLUSTER", "INFO"));
    }

    [Fact]
    public void DashCWritesEveryKeyFollowingRedirections()
    {
        var lines = Text(cluster.Write.Stdout).Split('\n');
        Assert.True(lines.Count(l => l == "OK") == KeyCount, cluster.Write.Describe() + "\n=== create ===\n" + cluster.Create.Describe());
        Assert.Contains(lines, l => l.StartsWith("-> Redirected to slot [") && l.Contains("] located at 127.0.0.1:"));
        Assert.Equal(0, cluster.Write.ExitCode);
    }

    [Fact]
    public void DashCOutputMatchesRedisCliInOneShotAndInteractiveMode()
    {
        string port = cluster.Nodes[0].Port.ToString();
        for (int i = 0; i < 5; i++)
        {
            string[] args = ["-c", "-p", port, "GET", $"clu:{i}"];
            var ours = CarmineCli(args);
            Assert.True(ours.SameAs(RedisCli(args)), ours.Describe());
            Assert.Equal($"v{i}\n", Text(ours.Stdout));
        }
        string script = "get clu:1\nget clu:2\nget clu:3\nset clu:new x\nget clu:new\ndel clu:new\n";
        var interactive = CarmineCli(["-c", "-p", port], script);
        var reference = RedisCli(["-c", "-p", port], script);
        Assert.True(interactive.SameAs(reference), interactive.Describe() + "\n=== redis-cli ===\n" + reference.Describe());
    }

    [Fact]
    public void CheckAndInfoMatchRedisCliUpToNodeOrder()
    {
        foreach (var sub in new[] { "check", "info" })
        {
            var ours = CarmineCli("--cluster", sub, Entry);
            var theirs = RedisCli(["--cluster", sub, Entry]);
            Assert.Equal(0, ours.ExitCode);
            Assert.Equal(theirs.ExitCode, ours.ExitCode);
            Assert.Equal(SortedLines(theirs.Stdout), SortedLines(ours.Stdout));
        }
        Assert.Contains($"[OK] {KeyCount} keys in 3 masters.\n", Text(CarmineCli("--cluster", "info", Entry).Stdout));
    }

    [Fact]
    public void CallRunsTheCommandOnMastersOnly()
    {
        var ours = CarmineCli("--cluster", "call", Entry, "DBSIZE", "--cluster-only-masters");
        var lines = Text(ours.Stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(">>> Calling DBSIZE", lines[0]);
        Assert.Equal(3, lines.Length - 1);
        Assert.Equal(KeyCount, lines.Skip(1).Sum(l => int.Parse(l.Split(": ")[1])));
        Assert.Equal(SortedLines(RedisCli(["--cluster", "call", Entry, "DBSIZE", "--cluster-only-masters"]).Stdout), SortedLines(ours.Stdout));
        var replicas = Text(CarmineCli("--cluster", "call", Entry, "ROLE", "--cluster-only-replicas").Stdout);
        Assert.Equal(3, replicas.Split('\n').Count(l => l.Contains(": slave")));
    }

    [Fact]
    public void HelpAndUsageErrorsMatchRedisCli()
    {
        var standalone = cluster.StartNode(cluster: false);
        string[][] cases = [["--cluster", "help"], ["--cluster", "nosuch", "x"], ["--cluster", "check"], ["--cluster", "add-node", "a:1"],
            ["--cluster", "check", "noport"], ["--cluster", "set-timeout", Entry, "50"], ["-c", "-s", "/tmp/none.sock", "ping"],
            ["--cluster", "info", Address(standalone)], ["--cluster", "create", .. cluster.Nodes.Take(3).Select(Address)],
            ["--cluster", "import", Entry], ["--cluster", "del-node", Entry, "0123456789abcdef"]];
        foreach (var args in cases)
        {
            var ours = CarmineCli(args);
            var theirs = RedisCli(args);
            Assert.True(ours.SameAs(theirs), string.Join(' ', args) + "\n" + ours.Describe() + "\n=== redis-cli ===\n" + theirs.Describe());
        }
    }

    [Fact]
    public void ReshardWithoutYesShowsThePlanAndStopsOnNo()
    {
        var masters = Masters();
        string[] args = ["--cluster", "reshard", Entry, "--cluster-from", $"{Id(masters[0])},{Id(masters[1])}", "--cluster-to", Id(masters[2]),
            "--cluster-slots", "7"];
        var ours = CarmineCli(args, "no\n");
        var theirs = RedisCli(args, "no\n");
        Assert.True(ours.SameAs(theirs), ours.Describe() + "\n=== redis-cli ===\n" + theirs.Describe());
        Assert.Equal(1, ours.ExitCode);
        Assert.EndsWith("Do you want to proceed with the proposed reshard plan (yes/no)? ", Text(ours.Stdout));
    }

    [Fact]
    public void CheckSearchesMultipleOwnersLikeRedisCli()
    {
        var ours = CarmineCli("--cluster", "check", Entry, "--cluster-search-multiple-owners");
        var theirs = RedisCli(["--cluster", "check", Entry, "--cluster-search-multiple-owners"]);
        Assert.Equal(0, ours.ExitCode);
        Assert.EndsWith(">>> Check for multiple slot owners...\n[OK] No multiple owners found.\n", Text(ours.Stdout));
        Assert.Equal(SortedLines(theirs.Stdout), SortedLines(ours.Stdout));
    }

    [Fact]
    public void SetTimeoutReportsEachNode()
    {
        // The servers run without a config file, so CONFIG REWRITE fails on every node, for both CLIs alike.
        var ours = CarmineCli("--cluster", "set-timeout", Entry, "2000");
        var theirs = RedisCli(["--cluster", "set-timeout", Entry, "2000"]);
        Assert.Equal(SortedLines(theirs.Stdout), SortedLines(ours.Stdout));
        Assert.Contains(">>> New node timeout set. 0 OK, 6 ERR.\n", Text(ours.Stdout));
        Assert.Equal(0, ours.ExitCode);
    }

    [Fact]
    public void ReshardMovesSlotsAndKeepsKeysReadable()
    {
        var masters = Masters();
        var (from, to) = (masters[0], masters[1]);
        int before = SlotsOf(to);
        var reshard = CarmineCli("--cluster", "reshard", Entry, "--cluster-from", Id(from), "--cluster-to", Id(to),
            "--cluster-slots", "20", "--cluster-yes", "--cluster-pipeline", "3");
        Assert.Equal(0, reshard.ExitCode);
        string output = Text(reshard.Stdout);
        Assert.Contains("\nReady to move 20 slots.\n  Source nodes:\n", output);
        Assert.Equal(20, output.Split('\n').Count(l => l.StartsWith("    Moving slot ")));
        Assert.Equal(before + 20, SlotsOf(to));
        AssertHealthy();
    }

    [Fact]
    public void RebalanceSimulationMatchesRedisCliAndRebalanceEvensSlots()
    {
        var masters = Masters();
        var move = CarmineCli("--cluster", "reshard", Entry, "--cluster-from", Id(masters[0]), "--cluster-to", Id(masters[1]),
            "--cluster-slots", "300", "--cluster-yes");
        Assert.Equal(0, move.ExitCode);
        WaitUntil(() => CarmineCli("--cluster", "check", Entry).ExitCode == 0, "check to pass");
        string[] simulate = ["--cluster", "rebalance", Entry, "--cluster-simulate", "--verbose"];
        var ours = CarmineCli(simulate);
        var theirs = RedisCli(simulate);
        Assert.True(ours.SameAs(theirs), ours.Describe() + "\n=== redis-cli ===\n" + theirs.Describe());
        Assert.Contains(">>> Rebalancing across 3 nodes. Total weight = 3.00\n", Text(ours.Stdout));
        var rebalance = CarmineCli("--cluster", "rebalance", Entry);
        Assert.Equal(0, rebalance.ExitCode);
        Assert.Contains("Moving ", Text(rebalance.Stdout));
        AssertHealthy();
        Assert.EndsWith("*** No rebalancing needed! All nodes are within the 2.00% threshold.\n",
            Text(CarmineCli("--cluster", "rebalance", Entry).Stdout));
    }

    [Fact]
    public void AddNodeAsMasterAndReplicaThenDelNode()
    {
        var master = cluster.StartNode(cluster: true);
        var replica = cluster.StartNode(cluster: true);
        var add = CarmineCli("--cluster", "add-node", Address(master), Entry);
        Assert.True(add.ExitCode == 0, add.Describe());
        Assert.EndsWith("[OK] New node added correctly.\n", Text(add.Stdout));
        string masterId = Id(master);
        WaitUntil(() => CarmineCli("--cluster", "check", Entry).ExitCode == 0, "the new master to join");
        var addReplica = CarmineCli("--cluster", "add-node", Address(replica), Entry, "--cluster-slave", "--cluster-master-id", masterId);
        Assert.True(addReplica.ExitCode == 0, addReplica.Describe());
        Assert.Contains($">>> Configure node as replica of {Address(master)}.\n", Text(addReplica.Stdout));
        WaitUntil(() => Call(replica, "CLUSTER", "NODES").Contains("myself,slave " + masterId), "the replica to follow its master");
        // A small weight gives the new master a few slots; they go back before it is removed.
        var rebalance = CarmineCli("--cluster", "rebalance", Entry, "--cluster-use-empty-masters", "--cluster-weight", $"{masterId[..8]}=0.02");
        Assert.True(rebalance.ExitCode == 0, rebalance.Describe());
        int slots = SlotsOf(master);
        Assert.InRange(slots, 1, 200);
        AssertHealthy();
        var busy = CarmineCli("--cluster", "del-node", Entry, masterId);
        Assert.Equal(1, busy.ExitCode);
        Assert.EndsWith($"[ERR] Node {Address(master)} is not empty! Reshard data away and try again.\n", Text(busy.Stdout));
        var back = CarmineCli("--cluster", "reshard", Entry, "--cluster-from", masterId, "--cluster-to", Id(Masters().First(m => m != master)),
            "--cluster-slots", slots.ToString(), "--cluster-yes");
        Assert.True(back.ExitCode == 0, back.Describe());
        WaitUntil(() => CarmineCli("--cluster", "check", Entry).ExitCode == 0, "check to pass");
        foreach (var node in new[] { replica, master })
        {
            var del = CarmineCli("--cluster", "del-node", Entry, Id(node));
            Assert.True(del.ExitCode == 0, del.Describe());
            Assert.EndsWith(">>> Sending CLUSTER RESET SOFT to the deleted node.\n", Text(del.Stdout));
        }
        WaitUntil(() => Call(cluster.Nodes[0], "CLUSTER", "INFO").Contains("cluster_known_nodes:6"), "the nodes to be forgotten");
        AssertHealthy();
    }

    [Fact]
    public void ImportCopiesTheKeysOfAStandaloneServer()
    {
        var source = cluster.StartNode(cluster: false);
        Call(source, "MSET", "imp:a", "1", "imp:b", "2", "imp:c", "3");
        var import = CarmineCli("--cluster", "import", Entry, "--cluster-from", Address(source), "--cluster-copy");
        Assert.True(import.ExitCode == 0, import.Describe());
        string output = Text(import.Stdout);
        Assert.Contains("*** Importing 3 keys from DB 0\n", output);
        Assert.Equal(3, output.Split('\n').Count(l => l.StartsWith("Migrating imp:") && l.EndsWith(": OK")));
        foreach (var (key, value) in new[] { ("imp:a", "1"), ("imp:b", "2"), ("imp:c", "3") })
            Assert.Equal(value + "\n", Text(CarmineCli("-c", "-p", cluster.Nodes[0].Port.ToString(), "GET", key).Stdout));
        Assert.Equal("3", Call(source, "DBSIZE"));
        AssertHealthy();
    }

    [Fact]
    public void FixClosesASlotLeftMigratingAndImporting()
    {
        // The slot of clu:7 half moved: open on both nodes, its key already on the target.
        using var owner0 = CliConnection.Open("127.0.0.1", cluster.Nodes[0].Port, null);
        int slot = (int)owner0.Call("CLUSTER", "KEYSLOT", "clu:7").Integer;
        var masters = Masters();
        var source = masters.First(m => Call(m, "CLUSTER", "COUNTKEYSINSLOT", slot.ToString()) != "0");
        var target = masters.First(m => m != source);
        Call(target, "CLUSTER", "SETSLOT", slot.ToString(), "IMPORTING", Id(source));
        Call(source, "CLUSTER", "SETSLOT", slot.ToString(), "MIGRATING", Id(target));
        Call(source, "MIGRATE", "127.0.0.1", target.Port.ToString(), "clu:7", "0", "5000");
        var ask = CarmineCli(["-c", "-p", source.Port.ToString()], "get clu:7\n");
        Assert.Equal($"-> Redirected to slot [{slot}] located at {Address(target)}\nv7\n", Text(ask.Stdout));
        var check = CarmineCli("--cluster", "check", Entry);
        Assert.Equal(1, check.ExitCode);
        Assert.Contains($"[WARNING] The following slots are open: {slot}.\n", Text(check.Stdout));
        var fix = CarmineCli("--cluster", "fix", Entry);
        Assert.True(fix.ExitCode == 0, fix.Describe());
        // The key on the target makes it a second owner; it has the most keys, so it keeps the slot.
        Assert.True(Text(fix.Stdout).Contains($"*** Configuring {Address(target)} as the slot owner\n" +
            $">>> Case 2: Moving all the {slot} slot keys to its owner {Address(target)}\n"), fix.Describe());
        AssertHealthy();
    }

    [Fact]
    public void FixCoversAnUnassignedSlot()
    {
        var owner = Masters()[2];
        var range = Call(owner, "CLUSTER", "NODES").Split('\n').First(l => l.Contains("myself")).Split(' ')[8].Split('-');
        int slot = Enumerable.Range(int.Parse(range[0]), int.Parse(range[^1]) - int.Parse(range[0]) + 1)
            .First(s => Call(owner, "CLUSTER", "COUNTKEYSINSLOT", s.ToString()) == "0");
        Assert.Equal("OK", Call(owner, "CLUSTER", "DELSLOTS", slot.ToString()));
        var fix = CarmineCli(["--cluster", "fix", Entry], "yes\n");
        Assert.True(fix.ExitCode == 0, fix.Describe());
        Assert.Contains($"The following uncovered slots have no keys across the cluster:\n[{slot}]\n" +
            "Fix these slots by covering with a random node? (type 'yes' to accept): >>> Covering slot ", Text(fix.Stdout));
        AssertHealthy();
    }

    [Fact]
    public void BackupSavesEveryMastersRdbAndNodesJson()
    {
        string dir = Directory.CreateTempSubdirectory("carmine-cluster-backup-").FullName;
        try
        {
            var backup = CarmineCli("--cluster", "backup", Entry, dir);
            Assert.True(backup.ExitCode == 0, backup.Describe());
            Assert.EndsWith($"[OK] Backup created into: {dir}\n", Text(backup.Stdout));
            Assert.Equal(3, Directory.GetFiles(dir, "redis-node-127.0.0.1-*.rdb").Count(f => new FileInfo(f).Length > 0));
            string json = File.ReadAllText(Path.Combine(dir, "nodes.json"));
            Assert.StartsWith("[\n  {\n    \"name\": \"", json);
            Assert.Equal(6, json.Split("\"slots_count\": ").Length - 1);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
