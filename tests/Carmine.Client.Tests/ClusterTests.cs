using Carmine.Protocol;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Carmine.Client.Tests;

/// <summary>The cluster client against a real six-node Redis Cluster (three masters, three replicas).</summary>
public sealed class ClusterTests(RedisClusterFixture cluster, ITestOutputHelper log) : IClassFixture<RedisClusterFixture>, IAsyncLifetime
{
    RedisClusterClient client = null!;

    public async Task InitializeAsync() => client = await Connect(ReadFrom.Master);

    public async Task DisposeAsync() => await client.DisposeAsync();

    async Task<RedisClusterClient> Connect(ReadFrom readFrom)
    {
        var o = RedisClusterOptions.Parse(cluster.Seed);
        o.ReadFrom = readFrom;
        return await RedisClusterClient.ConnectAsync(o);
    }

    [Fact]
    public async Task BlockingCommandMayOutwaitTheResponseTimeoutWithoutHoldingTheNodeConnection()
    {
        var o = RedisClusterOptions.Parse(cluster.Seed);
        o.Node.ResponseTimeout = TimeSpan.FromMilliseconds(300);
        await using var c = await RedisClusterClient.ConnectAsync(o);
        await c.SetAsync("{blk}:other", "v");
        var blocked = c.BLPopAsync(1, "{blk}:empty");
        // The same node answers meanwhile: the blocked command does not stall its shared connection.
        Assert.Equal("v", await c.GetAsync("{blk}:other"));
        Assert.False(blocked.IsCompleted);
        Assert.Null(await blocked);
    }

    [Fact]
    public async Task UniversalClientWithSeveralAddressesIsAClusterClient()
    {
        await using var client = await UniversalClient.ConnectAsync(new UniversalOptions
        {
            Addresses = [.. cluster.Nodes.Take(2).Select(n => $"127.0.0.1:{n.Port}")],
        });
        Assert.Equal(UniversalKind.Cluster, client.Kind);
        foreach (var key in new[] { "universal:a", "universal:b", "universal:c" })
        {
            Assert.True(await client.Commands.SetAsync(key, key));
            Assert.Equal(key, await client.Commands.GetAsync(key));
        }
    }

    [Fact]
    public async Task HashSlotMatchesClusterKeyslot()
    {
        await using var admin = await RedisClusterFixture.AdminAsync(cluster.Nodes[0]);
        foreach (var key in new[] { "foo", "somekey", "{user1000}.following", "{user1000}.followers", "{}foo", "foo{}{bar}", "foo{{bar}}zap", "foo{bar}{zap}", "{", "ä€" })
            Assert.Equal((await admin.ExecuteAsync("CLUSTER", "KEYSLOT", key)).Integer, HashSlot.Of(key));
        Assert.Equal(12182, HashSlot.Of("foo"));
        Assert.Equal(HashSlot.Of("bar"), HashSlot.Of("foo{bar}{zap}"));
    }

    [Theory]
    [InlineData("GET k")]
    [InlineData("MSET a 1 b 2")]
    [InlineData("BLPOP a b 0")]
    [InlineData("EVAL return 2 k1 k2 arg")]
    [InlineData("FCALL f 1 k1 arg")]
    [InlineData("ZUNIONSTORE dst 2 a b WEIGHTS 1 2")]
    [InlineData("ZINTER 2 a b")]
    [InlineData("LMPOP 2 a b LEFT")]
    [InlineData("BZMPOP 0 2 a b MIN")]
    [InlineData("XREAD COUNT 2 STREAMS s1 s2 0 0")]
    [InlineData("XREADGROUP GROUP g c STREAMS s1 >")]
    [InlineData("SORT k BY w STORE d")]
    [InlineData("OBJECT ENCODING k")]
    [InlineData("XINFO STREAM k")]
    [InlineData("RENAME a b")]
    public async Task KeyPositionsMatchCommandGetkeys(string command)
    {
        var args = command.Split(' ');
        await using var admin = await RedisClusterFixture.AdminAsync(cluster.Nodes[0]);
        var server = (await admin.ExecuteAsync("COMMAND", ["GETKEYS", .. args])).Items!.Select(k => k.Text).ToArray();
        var ours = client.KeysOf(args.Select(System.Text.Encoding.UTF8.GetBytes).ToArray()).Select(System.Text.Encoding.UTF8.GetString).ToArray();
        Assert.Equal(server, ours);
    }

    [Fact]
    public async Task SingleKeyCommandsReachEveryMaster()
    {
        for (int i = 0; i < 60; i++) await client.SetAsync($"route:{i}", i);
        for (int i = 0; i < 60; i++) Assert.Equal(i.ToString(), await client.GetAsync($"route:{i}"));
        var perMaster = new ConcurrentDictionary<string, long>();
        await client.ForEachMasterAsync(async n => perMaster[n.Connection.Options.EndPoint] = (await n.KeysAsync("route:*")).Length);
        Assert.Equal(3, perMaster.Count);
        Assert.All(perMaster.Values, n => Assert.True(n > 0));
        Assert.Equal(60, perMaster.Values.Sum());
        Assert.Equal(60, (await client.KeysAsync("route:*")).Length);
    }

    [Fact]
    public async Task WholeKeyspaceCommandsRunOnEveryMaster()
    {
        for (int i = 0; i < 30; i++) await client.SetAsync($"whole:{i}", i);
        Assert.True(await client.DbSizeAsync() >= 30);
        Assert.True(await client.FlushDbAsync());
        Assert.Equal(0, await client.DbSizeAsync());
        var script = new LuaScript("return 7");
        Assert.Equal(script.Sha1, (await client.ExecuteAsync("SCRIPT", "LOAD", script.Source)).Text);
        var loaded = new ConcurrentBag<long>();
        await client.ForEachMasterAsync(async n => loaded.Add((await n.ExecuteAsync("SCRIPT", "EXISTS", script.Sha1)).Items![0].Integer));
        Assert.Equal([1L, 1L, 1L], loaded);
        await Assert.ThrowsAsync<NotSupportedException>(async () => await client.ScanAsync().GetAsyncEnumerator().MoveNextAsync());
    }

    [Fact]
    public async Task ScriptsRunOnTheirKeysSlot()
    {
        var script = new LuaScript("return redis.call('INCRBY', KEYS[1], ARGV[1])");
        await client.DelAsync("{lua}n");
        Assert.Equal(5, (await script.EvaluateAsync(client, ["{lua}n"], 5)).Integer);
        Assert.Equal(7, (await script.EvaluateAsync(client, ["{lua}n"], 2)).Integer);
    }

    [Fact]
    public async Task MultiKeyCommandsWithOneHashTag()
    {
        await client.MSetAsync(("{multi}a", "1"), ("{multi}b", "2"), ("{multi}c", "3"));
        Assert.Equal(new string?[] { "1", "2", "3", null }, await client.MGetAsync("{multi}a", "{multi}b", "{multi}c", "{multi}d"));
        Assert.Equal(3, await client.DelAsync("{multi}a", "{multi}b", "{multi}c"));
    }

    [Fact]
    public async Task CrossSlotIsRefusedBeforeSending()
    {
        var e = await Assert.ThrowsAsync<RedisCrossSlotException>(() => client.MGetAsync("cross:a", "cross:b"));
        Assert.StartsWith("CROSSSLOT Keys in request don't hash to the same slot: MGET has 'cross:a' in slot ", e.Message);
        Assert.Equal("CROSSSLOT", e.Prefix);
        await Assert.ThrowsAsync<RedisCrossSlotException>(() => client.ExecuteAsync("EVAL", "return 1", 2, "cross:a", "cross:b"));
    }

    [Fact]
    public async Task TransactionMustBeSingleSlot()
    {
        var tx = client.CreateTransaction();
        _ = tx.IncrAsync("{tx}a");
        _ = tx.IncrAsync("tx:b");
        await Assert.ThrowsAsync<RedisCrossSlotException>(() => tx.ExecAsync());
    }

    [Fact]
    public async Task TransactionOnOneSlot()
    {
        await client.DelAsync("{tx}a", "{tx}b");
        var tx = client.CreateTransaction();
        var a = tx.IncrAsync("{tx}a", 5);
        var b = tx.IncrAsync("{tx}b", 7);
        var get = tx.GetAsync("{tx}a");
        Assert.True(await tx.ExecAsync());
        Assert.Equal(5, await a);
        Assert.Equal(7, await b);
        Assert.Equal("5", await get);
    }

    [Fact]
    public async Task WatchTransactionOnTheSlotsMaster()
    {
        await client.SetAsync("{watch}n", "10");
        await client.TransactionAsync(["{watch}n"], async (reader, tx) =>
        {
            long n = long.Parse((await reader.GetAsync("{watch}n"))!);
            _ = tx.SetAsync("{watch}n", n * 2);
        });
        Assert.Equal("20", await client.GetAsync("{watch}n"));
    }

    [Fact]
    public async Task PipelineAcrossNodesKeepsTheCallersOrder()
    {
        var keys = Enumerable.Range(0, 30).Select(i => $"pipe:{i}").ToArray();
        Assert.Equal(3, keys.Select(k => client.MasterOf(HashSlot.Of(k))).Distinct().Count());
        foreach (var k in keys) await client.DelAsync(k);
        var p = client.CreatePipeline();
        var incrs = new List<Task<long>>();
        for (int round = 1; round <= 3; round++)
            foreach (var k in keys) incrs.Add(p.IncrAsync(k, round));
        var gets = keys.Select(k => p.GetAsync(k)).ToArray();
        await p.ExecAsync();
        var expected = new[] { 1L, 3, 6 }.SelectMany(v => Enumerable.Repeat(v, keys.Length)).ToArray();
        Assert.Equal(expected, await Task.WhenAll(incrs));
        Assert.All(await Task.WhenAll(gets), v => Assert.Equal("6", v));
    }

    [Fact]
    public async Task PublishReachesASubscriberOnAnotherNode()
    {
        await using var subscriber = await client.SubscriberAsync();
        await using var sub = await subscriber.SubscribeAsync("cluster:news");
        await using var messages = sub.GetAsyncEnumerator();
        var other = cluster.Nodes.First(n => $"127.0.0.1:{n.Port}" != subscriber.Connection.Options.EndPoint);
        await using var publisher = await RedisClusterFixture.AdminAsync(other);
        await publisher.PublishAsync("cluster:news", "hello");
        Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("hello", messages.Current.Message);
    }

    [Fact]
    public async Task ShardedSubscriptionFollowsItsSlotToAnotherMaster()
    {
        const string channel = "{shard}news";
        int slot = HashSlot.Of(channel);
        await using var subscriber = client.CreateShardedSubscriber();
        await using var sub = await subscriber.SSubscribeAsync(channel);
        await using var messages = sub.GetAsyncEnumerator();
        Assert.Equal(client.MasterOf(slot), subscriber.Homes[channel]);
        Assert.Equal(1, (await client.ExecuteAsync("SPUBLISH", channel, "before")).Integer);
        Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("before", messages.Current.Message);

        var (source, target) = await MigrationPair(slot);
        await using var s = await RedisClusterFixture.AdminAsync(source);
        await using var t = await RedisClusterFixture.AdminAsync(target);
        string sourceId = (await s.ExecuteAsync("CLUSTER", "MYID")).Text!, targetId = (await t.ExecuteAsync("CLUSTER", "MYID")).Text!;
        await t.ExecuteAsync("CLUSTER", "SETSLOT", slot, "IMPORTING", sourceId);
        await s.ExecuteAsync("CLUSTER", "SETSLOT", slot, "MIGRATING", targetId);
        await FinishMigration(slot, s, t, targetId);

        // The source drops the channel (sunsubscribe); the subscriber subscribes again on the target.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await client.ExecuteAsync("SPUBLISH", channel, "after") is { Integer: 0 } && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("after", messages.Current.Message);
        Assert.Equal($"127.0.0.1:{target.Port}", subscriber.Homes[channel]);
    }

    [Theory]
    [InlineData(ReadFrom.Replica)]
    [InlineData(ReadFrom.PreferReplica)]
    [InlineData(ReadFrom.Random)]
    [InlineData(ReadFrom.LowestLatency)]
    public async Task ReadsFollowTheReadFromPolicy(ReadFrom readFrom)
    {
        var keys = Enumerable.Range(0, 90).Select(i => $"readfrom:{i}").ToArray();
        foreach (var k in keys) await client.SetAsync(k, "v");
        await using var readers = await Connect(readFrom);
        await readers.ForEachNodeAsync(n => n.ExecuteAsync("CONFIG", "RESETSTAT"));
        foreach (var k in keys) await readers.GetAsync(k);
        await readers.SetAsync("readfrom:write", "w");
        var stats = new ConcurrentDictionary<string, (bool Master, long Gets, long Sets)>();
        await readers.ForEachNodeAsync(async n =>
        {
            var commandStats = await n.InfoAsync("commandstats");
            bool master = (await n.InfoAsync("replication")).Contains("role:master");
            stats[n.Connection.Options.EndPoint] = (master, Calls(commandStats, "get"), Calls(commandStats, "set"));
        });
        foreach (var (node, s) in stats.OrderBy(g => g.Key))
            log.WriteLine($"ReadFrom.{readFrom}: {node} {(s.Master ? "master" : "replica")}: GET calls {s.Gets}, SET calls {s.Sets}");
        long masterGets = stats.Values.Where(g => g.Master).Sum(g => g.Gets), replicaGets = stats.Values.Where(g => !g.Master).Sum(g => g.Gets);
        Assert.Equal(6, stats.Count);
        Assert.Equal(keys.Length, masterGets + replicaGets);
        Assert.Equal(1, stats.Values.Where(g => g.Master).Sum(g => g.Sets));
        switch (readFrom)
        {
            case ReadFrom.Replica or ReadFrom.PreferReplica:
                Assert.Equal(0, masterGets);
                Assert.All(stats.Values.Where(g => !g.Master), g => Assert.True(g.Gets > 0));
                break;
            case ReadFrom.Random:
                Assert.True(masterGets > 0 && replicaGets > 0);
                break;
        }
    }

    [Fact]
    public async Task ClusterSlotsAndClusterShardsGiveTheSameMap()
    {
        await using var admin = await RedisClusterFixture.AdminAsync(cluster.Nodes[0]);
        var fromShards = ClusterSlotMap.FromShards(await admin.ExecuteAsync("CLUSTER", "SHARDS"), "127.0.0.1", tls: false, a => a);
        var fromSlots = ClusterSlotMap.FromSlots(await admin.ExecuteAsync("CLUSTER", "SLOTS"), "127.0.0.1", a => a);
        for (int slot = 0; slot < HashSlot.Count; slot++)
        {
            Assert.Equal(fromShards[slot]!.Master, fromSlots[slot]!.Master);
            Assert.Equal(fromShards[slot]!.Replicas.Order(), fromSlots[slot]!.Replicas.Order());
        }
        Assert.Equal(3, fromSlots.Masters.Count());
        Assert.Equal(6, fromSlots.Nodes.Count());
    }

    [Fact]
    public async Task NatMapRewritesAnnouncedAddresses()
    {
        var o = RedisClusterOptions.Parse(cluster.Seed);
        o.WithNatMap(cluster.Nodes.ToDictionary(n => $"127.0.0.1:{n.Port}", n => $"localhost:{n.Port}"));
        await using var mapped = await RedisClusterClient.ConnectAsync(o);
        await mapped.SetAsync("nat:key", "v");
        Assert.Equal("v", await mapped.GetAsync("nat:key"));
        Assert.StartsWith("localhost:", mapped.MasterOf(HashSlot.Of("nat:key")));
        var endpoints = new ConcurrentBag<string>();
        await mapped.ForEachNodeAsync(n => { endpoints.Add(n.Connection.Options.EndPoint); return Task.CompletedTask; });
        Assert.Equal(6, endpoints.Count);
        Assert.All(endpoints, e => Assert.StartsWith("localhost:", e));
    }

    [Fact]
    public async Task TryAgainDuringMigrationIsRetriedUntilItEnds()
    {
        int slot = HashSlot.Of("{again}");
        var (source, target) = await MigrationPair(slot);
        await using var s = await RedisClusterFixture.AdminAsync(source);
        await using var t = await RedisClusterFixture.AdminAsync(target);
        await client.SetAsync("{again}old", "1");
        await client.DelAsync("{again}new");
        string sourceId = (await s.ExecuteAsync("CLUSTER", "MYID")).Text!, targetId = (await t.ExecuteAsync("CLUSTER", "MYID")).Text!;
        await t.ExecuteAsync("CLUSTER", "SETSLOT", slot, "IMPORTING", sourceId);
        await s.ExecuteAsync("CLUSTER", "SETSLOT", slot, "MIGRATING", targetId);
        Task<string?[]> both;
        try
        {
            await client.SetAsync("{again}new", "2");
            // One key on each side of the migration: the source answers TRYAGAIN until the slot has moved.
            both = client.MGetAsync("{again}old", "{again}new");
            await Task.Delay(100);
            Assert.False(both.IsCompleted);
        }
        finally
        {
            await FinishMigration(slot, s, t, targetId);
        }
        Assert.Equal(new string?[] { "1", "2" }, await both);
    }

    static long Calls(string commandStats, string command)
    {
        var m = Regex.Match(commandStats, $@"cmdstat_{command}:calls=(\d+)");
        return m.Success ? long.Parse(m.Groups[1].Value) : 0;
    }

    [Fact]
    public async Task AskDuringMigrationSendsNewKeysToTheTarget()
    {
        const string key = "{ask}new";
        int slot = HashSlot.Of(key);
        var (source, target) = await MigrationPair(slot);
        await using var s = await RedisClusterFixture.AdminAsync(source);
        await using var t = await RedisClusterFixture.AdminAsync(target);
        await client.DelAsync(key);
        string sourceId = (await s.ExecuteAsync("CLUSTER", "MYID")).Text!, targetId = (await t.ExecuteAsync("CLUSTER", "MYID")).Text!;
        await t.ExecuteAsync("CLUSTER", "SETSLOT", slot, "IMPORTING", sourceId);
        await s.ExecuteAsync("CLUSTER", "SETSLOT", slot, "MIGRATING", targetId);
        try
        {
            // The key is not on the source, which answers ASK: the client sends ASKING and SET to the target.
            Assert.True(await client.SetAsync(key, "there"));
            Assert.Equal("there", await client.GetAsync(key));
            Assert.Equal(0, (await s.ExecuteAsync("CLUSTER", "COUNTKEYSINSLOT", slot)).Integer);
            Assert.Equal(1, (await t.ExecuteAsync("CLUSTER", "COUNTKEYSINSLOT", slot)).Integer);
            Assert.Equal($"127.0.0.1:{source.Port}", client.MasterOf(slot));
            Assert.Equal(2, client.Stats.Asked);
        }
        finally
        {
            await FinishMigration(slot, s, t, targetId);
        }
        Assert.Equal("there", await client.GetAsync(key));
    }

    [Fact]
    public async Task MovedDuringSlotMigrationUnderLoad()
    {
        int slot = HashSlot.Of("{moved}");
        var keys = Enumerable.Range(0, 20).Select(i => $"{{moved}}{i}").ToArray();
        foreach (var k in keys) await client.SetAsync(k, 0);
        await using var stale = await Connect(ReadFrom.Master);
        await using var staleTx = await Connect(ReadFrom.Master);
        var (source, target) = await MigrationPair(slot);
        await using var s = await RedisClusterFixture.AdminAsync(source);
        await using var t = await RedisClusterFixture.AdminAsync(target);
        string sourceId = (await s.ExecuteAsync("CLUSTER", "MYID")).Text!, targetId = (await t.ExecuteAsync("CLUSTER", "MYID")).Text!;

        var done = new long[keys.Length];
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            while (!stop.IsCancellationRequested)
            {
                int i = random.Next(keys.Length);
                try
                {
                    await client.IncrAsync(keys[i]);
                    Interlocked.Increment(ref done[i]);
                }
                catch (Exception e)
                {
                    failures.Enqueue(e.Message);
                }
            }
        })).ToArray();
        await Task.Delay(200);
        await t.ExecuteAsync("CLUSTER", "SETSLOT", slot, "IMPORTING", sourceId);
        await s.ExecuteAsync("CLUSTER", "SETSLOT", slot, "MIGRATING", targetId);
        await FinishMigration(slot, s, t, targetId, pause: TimeSpan.FromMilliseconds(50));
        await Task.Delay(300);
        stop.Cancel();
        await Task.WhenAll(workers);

        log.WriteLine($"INCRs done during the migration: {done.Sum()}, failed: {failures.Count} {failures.FirstOrDefault()}; client: {client.Stats}");
        Assert.Empty(failures);
        Assert.Equal($"127.0.0.1:{target.Port}", client.MasterOf(slot));
        for (int i = 0; i < keys.Length; i++) Assert.Equal(done[i].ToString(), await t.GetAsync(keys[i]));
        // A client whose map predates the migration gets MOVED for each command of its pipeline and follows it.
        var p = stale.CreatePipeline();
        var reads = keys.Select(k => p.GetAsync(k)).ToArray();
        await p.ExecAsync();
        Assert.Equal(done.Select(d => d.ToString()).ToArray(), await Task.WhenAll(reads));
        Assert.Equal($"127.0.0.1:{target.Port}", stale.MasterOf(slot));
        Assert.True(stale.Stats.Moved > 0);
        // Queued on the old owner, MULTI's commands get MOVED and EXEC aborts: the transaction goes to the new one.
        var tx = staleTx.CreateTransaction();
        var first = tx.IncrAsync(keys[0]);
        var second = tx.IncrAsync(keys[1]);
        Assert.True(await tx.ExecAsync());
        Assert.Equal(done[0] + 1, await first);
        Assert.Equal(done[1] + 1, await second);
        Assert.Equal($"127.0.0.1:{target.Port}", staleTx.MasterOf(slot));
        Assert.Equal(1, staleTx.Stats.Moved);
    }

    /// <summary>The master serving <paramref name="slot"/> and another master to move it to.</summary>
    async Task<(ServerProcess Source, ServerProcess Target)> MigrationPair(int slot)
    {
        await using var fresh = await Connect(ReadFrom.Master);
        var source = cluster.ByAddress(fresh.MasterOf(slot)!);
        var target = cluster.ByAddress(fresh.MasterOf(Enumerable.Range(0, HashSlot.Count).First(x => fresh.MasterOf(x) != fresh.MasterOf(slot)))!);
        return (source, target);
    }

    /// <summary>Moves the slot's keys with MIGRATE a few at a time, then gives the slot to the target on every master.</summary>
    async Task FinishMigration(int slot, RedisClient source, RedisClient target, string targetId, TimeSpan pause = default)
    {
        var port = target.Connection.Options.Port;
        while ((await source.ExecuteAsync("CLUSTER", "GETKEYSINSLOT", slot, 5)).Items is { Length: > 0 } batch)
        {
            await source.ExecuteAsync("MIGRATE", ["127.0.0.1", port, "", 0, 5000, "KEYS", .. batch.Select(k => (object)k.Text!)]);
            if (pause > TimeSpan.Zero) await Task.Delay(pause);
        }
        await target.ExecuteAsync("CLUSTER", "SETSLOT", slot, "NODE", targetId);
        await source.ExecuteAsync("CLUSTER", "SETSLOT", slot, "NODE", targetId);
        // The other masters too, so no node hands out the old owner while gossip catches up.
        foreach (var node in cluster.Nodes)
        {
            await using var other = await RedisClusterFixture.AdminAsync(node);
            if ((await other.InfoAsync("replication")).Contains("role:master")) await other.ExecuteAsync("CLUSTER", "SETSLOT", slot, "NODE", targetId);
        }
    }

    [Fact]
    public async Task ClientContinuesAcrossAMasterFailover()
    {
        var keys = Enumerable.Range(0, 100).Select(i => $"failover:{i}").ToArray();
        string victimAddress = client.MasterOf(HashSlot.Of(keys[0]))!;
        string replicaAddress = client.ReplicasOf(HashSlot.Of(keys[0])).Single();
        var victim = cluster.ByAddress(victimAddress);
        await using var replica = await RedisClusterFixture.AdminAsync(cluster.ByAddress(replicaAddress));

        var clock = Stopwatch.StartNew();
        var failures = new ConcurrentQueue<(double StartMs, double EndMs, string Error)>();
        long ops = 0;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (int i = w; !stop.IsCancellationRequested; i += 8)
            {
                string k = keys[i % keys.Length];
                double start = clock.Elapsed.TotalMilliseconds;
                try
                {
                    await client.SetAsync(k, i);
                    await client.GetAsync(k);
                    Interlocked.Add(ref ops, 2);
                }
                catch (Exception e)
                {
                    failures.Enqueue((start, clock.Elapsed.TotalMilliseconds, e.GetType().Name + ": " + e.Message));
                }
            }
        })).ToArray();
        double killedAt = 0, promotedAt = 0;
        long opsBeforePromotion = 0;
        try
        {
            await Task.Delay(500);
            killedAt = clock.Elapsed.TotalMilliseconds;
            victim.Kill();
            while (!(await replica.InfoAsync("replication")).Contains("role:master") && clock.Elapsed.TotalMilliseconds < killedAt + 20_000)
                await Task.Delay(20);
            promotedAt = clock.Elapsed.TotalMilliseconds;
            opsBeforePromotion = Interlocked.Read(ref ops);
            await Task.Delay(1000);
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(workers);
            // The old master comes back as a replica of the promoted one, so the next test finds three full shards.
            victim.Start();
        }
        long opsAfterPromotion = ops - opsBeforePromotion;
        // Outside the window: failed before the kill, or started after the replica was promoted.
        var outside = failures.Where(f => f.EndMs < killedAt || f.StartMs > promotedAt).ToList();
        log.WriteLine($"killed {victimAddress} at {killedAt:F0} ms; {replicaAddress} promoted at {promotedAt:F0} ms (window {promotedAt - killedAt:F0} ms)");
        log.WriteLine($"operations: {ops} ok ({opsAfterPromotion} after the promotion); failed: {failures.Count}, of which outside the window: {outside.Count}; client: {client.Stats}");
        foreach (var f in failures.Take(5)) log.WriteLine($"  started at {f.StartMs:F0} ms, failed at {f.EndMs:F0} ms: {f.Error}");
        Assert.Empty(outside);
        Assert.Contains("role:master", await replica.InfoAsync("replication"));
        Assert.Equal(replicaAddress, client.MasterOf(HashSlot.Of(keys[0])));
        Assert.True(await client.SetAsync(keys[0], "after"));
        Assert.Equal("after", await client.GetAsync(keys[0]));
        Assert.True(opsAfterPromotion > 0);
        var restarted = Stopwatch.StartNew();
        await cluster.WaitHealthyAsync();
        log.WriteLine($"the old master rejoined as a replica in {restarted.ElapsedMilliseconds} ms");
    }
}
