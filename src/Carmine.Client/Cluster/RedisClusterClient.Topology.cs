using Carmine.Protocol;

namespace Carmine.Client;

// The cluster client's view of the topology: loading the slot map and the command table, and keeping them fresh.
public sealed partial class RedisClusterClient
{
    /// <summary>Reloads the slot map soon, in the background; requests while one load runs make one more load after it.</summary>
    internal void TriggerRefresh()
    {
        if (disposed.IsCancellationRequested) return;
        refreshAgain = true;
        if (Interlocked.CompareExchange(ref refreshing, 1, 0) != 0) return;
        refresh = Task.Run(async () =>
        {
            try
            {
                while (refreshAgain && !disposed.IsCancellationRequested)
                {
                    refreshAgain = false;
                    await LoadSlotMapAsync(throwOnFailure: false).ConfigureAwait(false);
                    // Many failing commands ask at once; one load per interval is enough.
                    await Task.Delay(100, disposed.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
            }
            finally
            {
                Volatile.Write(ref refreshing, 0);
            }
            // A request that came after the loop's last check but before the flag was cleared.
            if (refreshAgain) TriggerRefresh();
        });
    }

    async Task RefreshPeriodicallyAsync()
    {
        try
        {
            while (!disposed.IsCancellationRequested)
            {
                await Task.Delay(options.RefreshInterval, disposed.Token).ConfigureAwait(false);
                await LoadSlotMapAsync(throwOnFailure: false).ConfigureAwait(false);
                if (options.ReadFrom == ReadFrom.LowestLatency) await MeasureLatenciesAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>PINGs every node once so <see cref="ReadFrom.LowestLatency"/> has fresh round-trip times (also done periodically).</summary>
    public Task MeasureLatenciesAsync() => Task.WhenAll(Volatile.Read(ref map).Nodes.Select(a => Node(a).MeasureLatencyAsync()));

    /// <summary>
    /// Asks the known masters (then the seeds) in random order for CLUSTER SHARDS, or CLUSTER SLOTS where SHARDS
    /// is unknown (before 7.0), and installs the first answer; nodes no longer in the map are disconnected.
    /// </summary>
    async Task LoadSlotMapAsync(bool throwOnFailure)
    {
        // One load at a time, so an older answer never replaces a newer one.
        await loading.WaitAsync(disposed.Token).ConfigureAwait(false);
        try
        {
            await LoadSlotMapOnceAsync(throwOnFailure).ConfigureAwait(false);
        }
        finally
        {
            loading.Release();
        }
    }

    async Task LoadSlotMapOnceAsync(bool throwOnFailure)
    {
        var current = Volatile.Read(ref map);
        var known = current.Nodes;
        var candidates = current.Masters.OrderBy(_ => System.Random.Shared.Next())
            .Concat(known.OrderBy(_ => System.Random.Shared.Next()))
            .Concat(options.Seeds).Distinct().ToList();
        var errors = new List<string>();
        foreach (var address in candidates)
        {
            if (disposed.IsCancellationRequested) return;
            var node = Node(address);
            if (node.IsDown && known.Contains(address))
            {
                errors.Add($"{address}: down");
                continue;
            }
            try
            {
                var conn = (await node.ClientAsync().ConfigureAwait(false)).Connection;
                string host = ClusterSlotMap.Split(address).Host;
                var reply = await conn.SendAsync(Args.Encode("CLUSTER", "SHARDS")).ConfigureAwait(false);
                ClusterSlotMap loaded;
                if (reply.IsError && reply.Text!.Contains("unknown subcommand", StringComparison.OrdinalIgnoreCase))
                {
                    reply = await conn.SendAsync(Args.Encode("CLUSTER", "SLOTS")).ConfigureAwait(false);
                    loaded = reply.IsError ? new ClusterSlotMap() : ClusterSlotMap.FromSlots(reply, host, remap);
                }
                else
                {
                    loaded = reply.IsError ? new ClusterSlotMap() : ClusterSlotMap.FromShards(reply, host, nodeOptions.Tls, remap);
                }
                if (reply.IsError || loaded.Masters.Length == 0)
                {
                    errors.Add($"{address}: {(reply.IsError ? reply.Text : "serves no slots")}");
                    continue;
                }
                Volatile.Write(ref map, loaded);
                Stats.OnSlotMapLoad();
                await ForgetNodesNotInAsync(loaded).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException or RedisServerException or ObjectDisposedException or FormatException)
            {
                errors.Add($"{address}: {e.Message}");
            }
        }
        if (throwOnFailure)
            throw new RedisConnectionException("cannot load the cluster's slot map: " + string.Join("; ", errors));
    }

    async Task ForgetNodesNotInAsync(ClusterSlotMap current)
    {
        var keep = current.Nodes.ToHashSet();
        foreach (var address in nodes.Keys.Where(a => !keep.Contains(a)).ToList())
            if (nodes.TryRemove(address, out var gone)) await gone.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Reads key positions and read-only flags from COMMAND; the built-in table stays when a node has no COMMAND.</summary>
    async Task LoadCommandTableAsync()
    {
        var master = Volatile.Read(ref map).Masters.First();
        var reply = await (await Node(master).ClientAsync().ConfigureAwait(false)).Connection.SendAsync(Args.Encode("COMMAND")).ConfigureAwait(false);
        if (!reply.IsError && reply.Items is { Length: > 0 }) Volatile.Write(ref table, ClusterCommandTable.FromCommandReply(reply));
    }
}
