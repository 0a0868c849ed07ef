namespace Carmine.Client;

/// <summary>
/// The master's replicas as the sentinels list them, each with its own connection, and the choice of the node
/// that serves a read under a <see cref="ReadFrom"/> policy.
/// </summary>
sealed class ReplicaSet(FailoverOptions options) : IAsyncDisposable
{
    readonly object gate = new();
    readonly Dictionary<string, FailoverNode> nodes = [];
    int roundRobin;
    bool disposed;

    public FailoverNode[] All
    {
        get { lock (gate) return [.. nodes.Values]; }
    }

    /// <summary>
    /// The node for one read: null when the policy allows only replicas and none is up. <paramref name="tried"/> is
    /// a node that just failed this read, not chosen again.
    /// </summary>
    public FailoverNode? Pick(ReadFrom policy, FailoverNode master, FailoverNode? tried)
    {
        var up = All.Where(n => n.IsUp && n != tried).ToArray();
        // The master takes part in LowestLatency and Random only while it answers; else those reads wait for it like writes.
        var any = master.Connection.IsConnected && !master.Demoted && master != tried ? [.. up, master] : up;
        return policy switch
        {
            ReadFrom.Replica => up.Length == 0 ? null : up[(int)((uint)Interlocked.Increment(ref roundRobin) % up.Length)],
            ReadFrom.PreferReplica => up.Length == 0 ? master : up[(int)((uint)Interlocked.Increment(ref roundRobin) % up.Length)],
            // Unmeasured nodes count as slow, so a new replica is not preferred before its first PING.
            ReadFrom.LowestLatency => any.MinBy(n => double.IsNaN(n.LatencyMs) ? double.MaxValue : n.LatencyMs) ?? master,
            ReadFrom.Random => any.Length == 0 ? master : any[System.Random.Shared.Next(any.Length)],
            _ => master,
        };
    }

    /// <summary>A sentinel reported a replica down (+sdown) or up again (-sdown).</summary>
    public void MarkDown(string endPoint, bool down)
    {
        lock (gate)
        {
            if (nodes.TryGetValue(endPoint, out var n)) n.DownBySentinel = down;
        }
    }

    /// <summary>
    /// Takes the replica list from SENTINEL REPLICAS: connects to new replicas, records which are down, and closes
    /// the connections to nodes no longer listed (or now the master).
    /// </summary>
    public async Task UpdateAsync(SentinelInstance[] listed, string masterEndPoint, CancellationToken token)
    {
        var wanted = listed.Where(r => r.EndPoint != masterEndPoint).ToDictionary(r => r.EndPoint);
        var gone = new List<FailoverNode>();
        var missing = new List<SentinelInstance>();
        lock (gate)
        {
            foreach (var (endPoint, node) in nodes)
            {
                if (wanted.TryGetValue(endPoint, out var r)) node.DownBySentinel = r.IsDown;
                else gone.Add(node);
            }
            foreach (var n in gone) nodes.Remove(n.EndPoint);
            missing.AddRange(wanted.Values.Where(r => !r.IsDown && !nodes.ContainsKey(r.EndPoint)));
        }
        foreach (var n in gone) await n.Connection.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(missing.Select(r => AddAsync(r.Host, r.Port, token))).ConfigureAwait(false);
    }

    async Task AddAsync(string host, int port, CancellationToken token)
    {
        RedisConnection connection;
        try
        {
            connection = await FailoverNode.ConnectAsync(options.NodeOptions((host, port)), options.SentinelTimeout, token).ConfigureAwait(false);
        }
        catch (RedisConnectionException)
        {
            // Not reachable from here although the sentinels see it: tried again at the next refresh.
            return;
        }
        // After SENTINEL FAILOVER the sentinels list the old master as a replica some seconds before they convert it:
        // until it says ROLE slave its data is the one being discarded. +convert-to-slave brings it in later.
        if (await FailoverNode.RoleAsync(connection, options.SentinelTimeout).ConfigureAwait(false) != "slave")
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }
        var node = new FailoverNode(host, port, connection);
        bool added;
        lock (gate) added = !disposed && nodes.TryAdd(node.EndPoint, node);
        if (added) await node.MeasureLatencyAsync(options.SentinelTimeout).ConfigureAwait(false);
        else await connection.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        FailoverNode[] all;
        lock (gate)
        {
            disposed = true;
            all = [.. nodes.Values];
            nodes.Clear();
        }
        foreach (var n in all) await n.Connection.DisposeAsync().ConfigureAwait(false);
    }
}
