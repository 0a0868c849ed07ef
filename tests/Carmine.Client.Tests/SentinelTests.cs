using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit.Abstractions;

namespace Carmine.Client.Tests;

/// <summary>
/// The failover client and the SENTINEL API against a real Sentinel topology (Debian's redis-server). Tests that
/// fail the master over leave a healthy topology behind; every test starts by waiting for one.
/// </summary>
public sealed class SentinelTests(SentinelTopology topology, ITestOutputHelper output) : IClassFixture<SentinelTopology>
{
    const string Name = SentinelTopology.MasterName;

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task FindsTheMasterThroughTheSentinels(int protocol)
    {
        int master = await topology.WaitHealthyAsync();
        var options = topology.Options(ReadFrom.PreferReplica);
        options.Redis.Protocol = protocol;
        // A sentinel that is down is skipped.
        options.Sentinels.Insert(0, $"127.0.0.1:{Carmine.TestSupport.ServerProcess.FreePort()}");
        await using var client = await FailoverClient.ConnectAsync(options);
        Assert.Equal($"127.0.0.1:{master}", client.MasterEndPoint);
        Assert.Equal(topology.Nodes.Select(n => $"127.0.0.1:{n.Port}").Where(e => e != client.MasterEndPoint).Order(), client.ReplicaEndPoints.Order());
        Assert.True(await client.SetAsync("sentinel:find", "v"));
        Assert.Equal("v", await SentinelTopology.WithClient(master, c => c.GetAsync("sentinel:find")));
        var pipeline = client.CreatePipeline();
        var incr = pipeline.IncrAsync("sentinel:find:n");
        var get = pipeline.GetAsync("sentinel:find");
        await pipeline.ExecAsync();
        Assert.Equal("v", await get);
        Assert.True(await incr >= 1);
    }

    [Fact]
    public async Task ConnectFailureSaysWhatTheSentinelsAnswered()
    {
        int down = Carmine.TestSupport.ServerProcess.FreePort();
        var options = new FailoverOptions { MasterName = "sentinel-nosuch", Sentinels = [$"127.0.0.1:{down}"] };
        var e = await Assert.ThrowsAsync<RedisConnectionException>(() => FailoverClient.ConnectAsync(options));
        Assert.StartsWith($"none of the sentinels named a reachable master for 'sentinel-nosuch' (sentinels 127.0.0.1:{down}; last master none); " +
            $"last error: cannot connect to 127.0.0.1:{down}: ", e.Message);
        options.Sentinels = [$"127.0.0.1:{topology.SentinelPorts[0]}"];
        e = await Assert.ThrowsAsync<RedisConnectionException>(() => FailoverClient.ConnectAsync(options));
        Assert.EndsWith($"last error: sentinel 127.0.0.1:{topology.SentinelPorts[0]} monitors no master named 'sentinel-nosuch'", e.Message);
        options.Sentinels = ["nohost"];
        var f = await Assert.ThrowsAsync<FormatException>(() => FailoverClient.ConnectAsync(options));
        Assert.Equal("sentinel address 'nohost' is not host:port", f.Message);
    }

    [Theory]
    [InlineData(ReadFrom.Master)]
    [InlineData(ReadFrom.Replica)]
    [InlineData(ReadFrom.PreferReplica)]
    [InlineData(ReadFrom.LowestLatency)]
    [InlineData(ReadFrom.Random)]
    public async Task ReadFromPicksTheNodesThatServeReads(ReadFrom policy)
    {
        int master = await topology.WaitHealthyAsync();
        await using var client = await FailoverClient.ConnectAsync(topology.Options(policy));
        Assert.Equal(policy == ReadFrom.Master ? 0 : 2, client.ReplicaEndPoints.Length);
        await client.SetAsync("sentinel:read", "r");
        await client.ExecuteAsync("WAIT", 2, 5000);
        var gets = await CountGetsAsync(client, 200, "sentinel:read", "r", topology.Nodes);
        output.WriteLine($"{policy}: GET calls per node: " + string.Join(", ", gets.Select(g => $"{g.Key}{(g.Key == master ? " (master)" : "")}={g.Value}")));
        Assert.Equal(200, gets.Values.Sum());
        var onReplicas = gets.Where(g => g.Key != master).Select(g => g.Value).ToArray();
        switch (policy)
        {
            case ReadFrom.Master:
                Assert.Equal(200, gets[master]);
                break;
            case ReadFrom.Replica or ReadFrom.PreferReplica:
                Assert.Equal(0, gets[master]);
                Assert.All(onReplicas, n => Assert.InRange(n, 1, 199));
                break;
            case ReadFrom.LowestLatency:
                // The node measured fastest serves every read until the next refresh.
                Assert.Contains(200, gets.Values);
                break;
            case ReadFrom.Random:
                Assert.All(gets.Values, n => Assert.InRange(n, 1, 198));
                break;
        }
    }

    [Fact]
    public async Task ReadsSkipAReplicaThatIsKilledAndReturnToItWhenItIsBack()
    {
        int master = await topology.WaitHealthyAsync();
        await using var client = await FailoverClient.ConnectAsync(topology.Options(ReadFrom.Replica));
        await client.SetAsync("sentinel:skip", "s");
        await client.ExecuteAsync("WAIT", 2, 5000);
        var replicas = topology.Nodes.Where(n => n.Port != master).ToArray();
        replicas[0].Kill();
        var gets = await CountGetsAsync(client, 100, "sentinel:skip", "s", [replicas[1]]);
        Assert.Equal(100, gets[replicas[1].Port]);
        await topology.RestartAsReplicaAsync(replicas[0], master);
        var wait = Stopwatch.StartNew();
        while (client.ReplicaEndPoints.Length < 2 && wait.Elapsed < TimeSpan.FromSeconds(15)) await Task.Delay(50);
        Assert.Equal(2, client.ReplicaEndPoints.Length);
        await client.ExecuteAsync("WAIT", 2, 5000);
        gets = await CountGetsAsync(client, 100, "sentinel:skip", "s", replicas);
        Assert.All(replicas, r => Assert.InRange(gets[r.Port], 1, 99));
    }

    /// <summary>With events +sdown and -sdown move the replica out and back; without, the periodic SENTINEL REPLICAS does.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ReadsAvoidAHungReplicaTheSentinelsReportDown(bool sentinelEvents)
    {
        int master = await topology.WaitHealthyAsync();
        var options = topology.Options(ReadFrom.Replica);
        options.SubscribeToSentinelEvents = sentinelEvents;
        options.RefreshInterval = sentinelEvents ? TimeSpan.FromMinutes(5) : TimeSpan.FromMilliseconds(300);
        await using var client = await FailoverClient.ConnectAsync(options);
        await client.SetAsync("sentinel:hung", "h");
        await client.ExecuteAsync("WAIT", 2, 5000);
        var replicas = topology.Nodes.Where(n => n.Port != master).ToArray();
        // A stopped process keeps its connections open: only the sentinels' +sdown tells the client.
        replicas[0].Signal("STOP");
        var wait = Stopwatch.StartNew();
        try
        {
            while (client.ReplicaEndPoints.Length > 1 && wait.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
            output.WriteLine($"stopped replica {replicas[0].Port} left the read set after {wait.ElapsedMilliseconds} ms");
            Assert.Equal([$"127.0.0.1:{replicas[1].Port}"], client.ReplicaEndPoints);
            var gets = await CountGetsAsync(client, 100, "sentinel:hung", "h", [replicas[1]]);
            Assert.Equal(100, gets[replicas[1].Port]);
        }
        finally
        {
            replicas[0].Signal("CONT");
        }
        wait.Restart();
        while (client.ReplicaEndPoints.Length < 2 && wait.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
        output.WriteLine($"continued replica back in the read set after {wait.ElapsedMilliseconds} ms");
        Assert.Equal(2, client.ReplicaEndPoints.Length);
    }

    /// <summary>
    /// Runs <paramref name="reads"/> GETs of <paramref name="key"/> (which holds <paramref name="value"/>) through the
    /// client and returns how many each of <paramref name="nodes"/> served (INFO commandstats).
    /// </summary>
    static async Task<Dictionary<int, long>> CountGetsAsync(FailoverClient client, int reads, string key, string value, IEnumerable<ServerProcess> nodes)
    {
        foreach (var n in nodes) await SentinelTopology.WithClient(n.Port, c => c.ExecuteAsync("CONFIG", "RESETSTAT"));
        for (int i = 0; i < reads; i++) Assert.Equal(value, await client.GetAsync(key));
        var gets = new Dictionary<int, long>();
        foreach (var n in nodes)
        {
            string stat = await SentinelTopology.InfoField(n.Port, "commandstats", "cmdstat_get");
            gets[n.Port] = stat == "" ? 0 : long.Parse(stat.Split(',')[0]["calls=".Length..]);
        }
        return gets;
    }

    [Fact]
    public async Task UniversalClientWithAMasterNameIsAFailoverClient()
    {
        int master = await topology.WaitHealthyAsync();
        await using var client = await UniversalClient.ConnectAsync(new UniversalOptions
        {
            MasterName = SentinelTopology.MasterName,
            Addresses = [.. topology.SentinelPorts.Select(p => $"127.0.0.1:{p}")],
        });
        Assert.Equal(UniversalKind.Failover, client.Kind);
        Assert.Equal($"127.0.0.1:{master}", ((FailoverClient)client.Commands).MasterEndPoint);
        Assert.True(await client.Commands.SetAsync("universal:sentinel", "v"));
        Assert.Equal("v", await client.Commands.GetAsync("universal:sentinel"));
    }

    [Fact]
    public async Task SentinelCommandsAreTyped()
    {
        int master = await topology.WaitHealthyAsync();
        await using var s = await SentinelClient.ConnectAsync($"redis://127.0.0.1:{topology.SentinelPorts[0]}");
        Assert.Equal("PONG", await s.PingAsync());
        Assert.Equal(("127.0.0.1", master), await s.GetMasterAddrByNameAsync(Name));
        Assert.Null(await s.GetMasterAddrByNameAsync("sentinel-nosuch"));
        var masters = await s.MastersAsync();
        Assert.Equal([Name], masters.Select(m => m.Name));
        Assert.Equal(["master"], masters[0].Flags);
        var m = await s.MasterAsync(Name);
        Assert.Equal(master, m.Port);
        Assert.Equal("2", m["num-slaves"]);
        Assert.Equal("2", m["quorum"]);
        var replicas = await s.ReplicasAsync(Name);
        Assert.Equal(topology.Nodes.Select(n => n.Port).Where(p => p != master).Order(), replicas.Select(r => r.Port).Order());
        Assert.DoesNotContain(replicas, r => r.IsDown);
        var others = await s.SentinelsAsync(Name);
        Assert.Equal(topology.SentinelPorts.Skip(1).Order(), others.Select(o => o.Port).Order());
        Assert.Equal("OK 3 usable Sentinels. Quorum and failover authorization can be reached", await s.CkQuorumAsync(Name));
        Assert.Equal(40, (await s.MyIdAsync()).Length);
        Assert.Equal(0, await s.ResetAsync("sentinel-nosuch*"));
        var e = await Assert.ThrowsAsync<RedisServerException>(() => s.FailoverAsync("sentinel-nosuch"));
        Assert.Equal("ERR No such master with that name", e.Message);
        Assert.True(await s.MonitorAsync("sentinel-extra", "127.0.0.1", master, 2));
        Assert.True(await s.SetAsync("sentinel-extra", ("down-after-milliseconds", 5000)));
        Assert.Equal("5000", (await s.MasterAsync("sentinel-extra"))["down-after-milliseconds"]);
        Assert.True(await s.RemoveAsync("sentinel-extra"));
        Assert.Single(await s.MastersAsync());
    }

    /// <summary>With events the client follows the sentinels' promotion; without, it asks them again after losing the master.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task KilledMasterUnderLoadFailsOverWithoutLosingAcknowledgedWrites(bool sentinelEvents)
    {
        int oldMaster = await topology.WaitHealthyAsync();
        var options = topology.Options();
        options.SubscribeToSentinelEvents = sentinelEvents;
        await using var client = await FailoverClient.ConnectAsync(options);
        await using var subscriber = await client.SubscriberAsync();
        await using var news = await subscriber.SubscribeAsync("sentinel:news");
        await using var messages = news.GetAsyncEnumerator();
        await client.DelAsync("sentinel:kill:counter");
        var load = new WriteLoad(client, callers: 8, "sentinel:kill");
        await Task.Delay(1000);

        long killedAt = Stopwatch.GetTimestamp();
        topology.Node(oldMaster).Kill();
        long dead = Stopwatch.GetTimestamp();
        long? recoveredAt = null;
        var wait = Stopwatch.StartNew();
        while ((recoveredAt = load.FirstSuccessStartedAfter(dead)) is null && wait.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(20);
        Assert.NotNull(recoveredAt);
        await Task.Delay(1000);
        await load.StopAsync();

        int newMaster = int.Parse(client.MasterEndPoint!.Split(':')[1]);
        Assert.NotEqual(oldMaster, newMaster);
        long final = long.Parse((await SentinelTopology.WithClient(newMaster, c => c.GetAsync("sentinel:kill:counter")))!);
        var outside = load.Failures.Where(f => f.At < killedAt || f.At > recoveredAt).ToArray();
        output.WriteLine($"{(sentinelEvents ? "with" : "without")} sentinel events: kill -> first write on the new master {newMaster}: {Ms(killedAt, recoveredAt.Value):F0} ms; " +
            $"operations {load.Successes.Count} ok, {load.Failures.Count} failed ({outside.Length} outside the failover window); " +
            $"acknowledged INCRs {load.AckedIncrs}, highest acknowledged value {load.HighestIncr}, final counter {final}; " +
            $"master switches {client.MasterSwitches}");
        foreach (var f in load.Failures.Take(5)) output.WriteLine($"  failed at +{Ms(killedAt, f.At):F0} ms: {f.Error}");
        Assert.Empty(outside);
        Assert.DoesNotContain(load.Failures, f => f.Error.Contains("READONLY"));
        Assert.True(final >= load.HighestIncr && final >= load.AckedIncrs, $"acknowledged INCRs lost: final {final}, acknowledged {load.AckedIncrs}, highest {load.HighestIncr}");

        // The subscriber moved to the new master with its subscriptions.
        wait.Restart();
        while (await client.PublishAsync("sentinel:news", "after") == 0 && wait.Elapsed < TimeSpan.FromSeconds(5)) await Task.Delay(50);
        Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("after", messages.Current.Message);
        Assert.Equal(newMaster, subscriber.Connection.Options.Port);

        await topology.RestartAsReplicaAsync(topology.Node(oldMaster), newMaster);
    }

    [Fact]
    public async Task DemotedMasterAnsweringReadOnlyIsLeftForTheNewMaster()
    {
        int oldMaster = await topology.WaitHealthyAsync();
        var options = topology.Options();
        // Without events and periodic checks, READONLY from the demoted master is what moves the client.
        options.SubscribeToSentinelEvents = false;
        options.RefreshInterval = TimeSpan.FromMinutes(5);
        await using var client = await FailoverClient.ConnectAsync(options);
        await client.DelAsync("sentinel:ro:counter");
        var load = new WriteLoad(client, callers: 8, "sentinel:ro");
        await Task.Delay(500);

        await using (var s = await SentinelClient.ConnectAsync($"redis://127.0.0.1:{topology.SentinelPorts[0]}"))
            Assert.True(await s.FailoverAsync(Name));
        int[] ports = [];
        var wait = Stopwatch.StartNew();
        while (wait.Elapsed < TimeSpan.FromSeconds(20) && ((ports = await topology.MasterPortsAsync()).Distinct().Count() != 1 || ports[0] == oldMaster))
            await Task.Delay(50);
        int newMaster = ports[0];
        Assert.NotEqual(oldMaster, newMaster);
        // What the sentinels do themselves some seconds later: the old master, still alive, becomes a replica.
        long demotedAt = Stopwatch.GetTimestamp();
        await SentinelTopology.WithClient(oldMaster, c => c.ExecuteAsync("REPLICAOF", "127.0.0.1", newMaster));
        long demoted = Stopwatch.GetTimestamp();
        long? movedAt = null;
        wait.Restart();
        while ((client.MasterEndPoint != $"127.0.0.1:{newMaster}" || (movedAt = load.FirstSuccessStartedAfter(demoted)) is null) && wait.Elapsed < TimeSpan.FromSeconds(20))
            await Task.Delay(20);
        Assert.NotNull(movedAt);
        await Task.Delay(500);
        await load.StopAsync();

        long final = long.Parse((await SentinelTopology.WithClient(newMaster, c => c.GetAsync("sentinel:ro:counter")))!);
        output.WriteLine($"demotion -> first write on the new master {newMaster}: {Ms(demotedAt, movedAt.Value):F0} ms; " +
            $"operations {load.Successes.Count} ok, {load.Failures.Count} failed; READONLY retries {client.ReadOnlyRetries}; " +
            $"acknowledged INCRs {load.AckedIncrs}, final counter {final} (writes the old master acknowledged after the promotion are lost: " +
            $"{Math.Max(0, load.AckedIncrs - final)})");
        foreach (var f in load.Failures.Take(5)) output.WriteLine($"  failed: {f.Error}");
        Assert.Empty(load.Failures);
        Assert.True(client.ReadOnlyRetries >= 1);
        Assert.Equal(1, client.MasterSwitches);
    }

    [Fact]
    public async Task SentinelFailoverMovesTheClientBeforeTheOldMasterIsDemoted()
    {
        int oldMaster = await topology.WaitHealthyAsync();
        var options = topology.Options();
        // Only the sentinels' events can move the client while the old master still accepts writes.
        options.RefreshInterval = TimeSpan.FromMinutes(5);
        await using var client = await FailoverClient.ConnectAsync(options);
        await client.DelAsync("sentinel:ev:counter");
        var load = new WriteLoad(client, callers: 8, "sentinel:ev");
        await Task.Delay(500);

        long failoverAt = Stopwatch.GetTimestamp();
        await using (var s = await SentinelClient.ConnectAsync($"redis://127.0.0.1:{topology.SentinelPorts[0]}"))
            Assert.True(await s.FailoverAsync(Name));
        var wait = Stopwatch.StartNew();
        while (client.MasterEndPoint == $"127.0.0.1:{oldMaster}" && wait.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(10);
        long movedAt = Stopwatch.GetTimestamp();
        string oldRole = await SentinelTopology.InfoField(oldMaster, "replication", "role");
        await Task.Delay(500);
        await load.StopAsync();
        int newMaster = int.Parse(client.MasterEndPoint!.Split(':')[1]);
        // The client moved at the promotion; the sentinels announce the new master (+switch-master) a little later.
        wait.Restart();
        int[] announced = [];
        while ((announced = (await topology.MasterPortsAsync()).Distinct().ToArray()) is not [var only] || only != newMaster)
        {
            if (wait.Elapsed > TimeSpan.FromSeconds(20)) break;
            await Task.Delay(50);
        }
        await SentinelTopology.WithClient(oldMaster, c => c.ExecuteAsync("REPLICAOF", "127.0.0.1", newMaster));

        long final = long.Parse((await SentinelTopology.WithClient(newMaster, c => c.GetAsync("sentinel:ev:counter")))!);
        output.WriteLine($"SENTINEL FAILOVER -> client on the new master {newMaster}: {Ms(failoverAt, movedAt):F0} ms (old master's role then: {oldRole}); " +
            $"operations {load.Successes.Count} ok, {load.Failures.Count} failed; READONLY retries {client.ReadOnlyRetries}; " +
            $"acknowledged INCRs {load.AckedIncrs}, final counter {final} (acknowledged by the old master after the promotion, lost: " +
            $"{Math.Max(0, load.AckedIncrs - final)})");
        Assert.NotEqual(oldMaster, newMaster);
        Assert.Equal("master", oldRole);
        Assert.Empty(load.Failures);
        Assert.Equal(0, client.ReadOnlyRetries);
        Assert.Equal([newMaster], announced);
    }

    static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    /// <summary>Callers that INCR a counter and SET their own key in turn, recording when each operation succeeded or failed.</summary>
    sealed class WriteLoad
    {
        readonly CancellationTokenSource stop = new();
        readonly Task[] callers;
        long highestIncr;
        long ackedIncrs;

        public ConcurrentQueue<(long Start, long End)> Successes { get; } = new();
        public ConcurrentQueue<(long At, string Error)> Failures { get; } = new();
        public long HighestIncr => Interlocked.Read(ref highestIncr);
        public long AckedIncrs => Interlocked.Read(ref ackedIncrs);

        public WriteLoad(RedisCommands client, int callers, string prefix) =>
            this.callers = Enumerable.Range(0, callers).Select(i => Task.Run(() => CallAsync(client, $"{prefix}:counter", $"{prefix}:{i}"))).ToArray();

        async Task CallAsync(RedisCommands client, string counter, string key)
        {
            for (long n = 0; !stop.IsCancellationRequested; n++)
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    if (n % 2 == 0)
                    {
                        long v = await client.IncrAsync(counter);
                        Interlocked.Increment(ref ackedIncrs);
                        long seen;
                        while (v > (seen = Interlocked.Read(ref highestIncr)) && Interlocked.CompareExchange(ref highestIncr, v, seen) != seen) { }
                    }
                    else
                    {
                        await client.SetAsync(key, n);
                    }
                    Successes.Enqueue((start, Stopwatch.GetTimestamp()));
                }
                catch (Exception e)
                {
                    Failures.Enqueue((Stopwatch.GetTimestamp(), $"{e.GetType().Name}: {e.Message}"));
                }
                await Task.Delay(5);
            }
        }

        /// <summary>When the first operation begun after <paramref name="at"/> succeeded: one the old master cannot have served.</summary>
        public long? FirstSuccessStartedAfter(long at) => Successes.Where(s => s.Start > at).Select(s => (long?)s.End).Min();

        public async Task StopAsync()
        {
            stop.Cancel();
            await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(15));
        }
    }
}
