namespace Carmine.Client;

/// <summary>What the cluster client has had to do so far: redirections followed, retries, slot map loads.</summary>
public sealed class ClusterStats
{
    long moved, asked, retried, slotMapLoads;

    /// <summary>MOVED replies followed (each also fixes the slot in the map and asks for a reload).</summary>
    public long Moved => Interlocked.Read(ref moved);
    /// <summary>ASK replies followed with ASKING on the importing node.</summary>
    public long Asked => Interlocked.Read(ref asked);
    /// <summary>Commands sent again after a connection error, CLUSTERDOWN, TRYAGAIN, LOADING, MASTERDOWN or READONLY.</summary>
    public long Retried => Interlocked.Read(ref retried);
    /// <summary>Slot maps loaded (at connect, after redirections and errors, and periodically).</summary>
    public long SlotMapLoads => Interlocked.Read(ref slotMapLoads);

    internal void OnMoved() => Interlocked.Increment(ref moved);
    internal void OnAsk() => Interlocked.Increment(ref asked);
    internal void OnRetry() => Interlocked.Increment(ref retried);
    internal void OnSlotMapLoad() => Interlocked.Increment(ref slotMapLoads);

    public override string ToString() => $"moved {Moved}, asked {Asked}, retried {Retried}, slot map loads {SlotMapLoads}";
}
