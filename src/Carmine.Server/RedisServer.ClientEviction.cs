using System.Collections.Concurrent;
using Carmine.Server.Network;

namespace Carmine.Server;

/// <summary>
/// maxmemory-clients (client eviction): when the buffers of normal and pub/sub clients together reach the limit, the
/// clients using the most are disconnected until they are under it, sparing CLIENT NO-EVICT ones, as Redis does before
/// each command and at every event loop turn (here: before each command and in the cron).
/// </summary>
public sealed partial class RedisServer
{
    /// <summary>Redis never lets maxmemory-clients go below this, so a bad setting cannot cut every connection.</summary>
    const long MinClientEvictionLimit = 128 * 1024;

    /// <summary>Clients disconnected whose loop has not closed them yet: their memory no longer counts.</summary>
    readonly ConcurrentDictionary<long, bool> evictingClients = new();
    readonly object clientEvictionGate = new();
    volatile bool clientEvictionEnabled;

    void FollowClientEviction()
    {
        ReadClientEviction();
        Config.Changed += name =>
        {
            if (name is "maxmemory-clients" or "maxmemory") ReadClientEviction();
        };
    }

    void ReadClientEviction() => clientEvictionEnabled = ClientEvictionLimit() != 0;

    /// <summary>The limit in bytes: maxmemory-clients, or its percentage of maxmemory; 0 when off.</summary>
    long ClientEvictionLimit()
    {
        long setting = Config.GetLong("maxmemory-clients");
        long limit = setting > 0 ? setting
            : setting < 0 && Eviction.Limit > 0 ? (long)(Eviction.Limit * (-setting / 100.0))
            : 0;
        return limit == 0 ? 0 : Math.Max(limit, MinClientEvictionLimit);
    }

    /// <summary>Disconnects the largest evictable clients while client memory is at the limit; true if <paramref name="current"/> was one of them.</summary>
    bool EvictClients(Client? current)
    {
        if (!clientEvictionEnabled) return false;
        long limit = ClientEvictionLimit();
        // The figure the cron and INFO share (at most 10 ms old) spares every command the walk over all clients.
        if (limit == 0 || ClientsMemory(fresh: false) < limit) return false;
        lock (clientEvictionGate)
        {
            foreach (var (id, _) in evictingClients)
                if (!clients.ContainsKey(id)) evictingClients.TryRemove(id, out _);
            long total = 0;
            var candidates = new List<(Client Client, long Memory)>();
            foreach (var (id, c) in clients)
            {
                if (c.Closed || evictingClients.ContainsKey(id)) continue;
                long memory = ClientInfo.OutputBufferMemory(c) + c.QueryBufferCapacity;
                total += memory;
                if (!c.NoEvict) candidates.Add((c, memory));
            }
            if (total < limit) return false;
            candidates.Sort((a, b) => b.Memory.CompareTo(a.Memory));
            bool self = false;
            foreach (var (c, memory) in candidates)
            {
                if (total < limit) break;
                var info = new System.Text.StringBuilder();
                ClientInfo.Append(info, c, current ?? c);
                Log.Notice("Evicting client: " + info);
                evictingClients[c.Id] = true;
                Interlocked.Increment(ref Stats.EvictedClients);
                total -= memory;
                self |= c == current;
                c.Kill();
            }
            if (total >= limit) Log.Warning("Over client maxmemory after evicting all evictable clients");
            ForgetClientsMemory();
            return self;
        }
    }
}
