namespace Carmine.Client;

/// <summary>Which node serves read-only commands in a failover (Sentinel) or cluster client.</summary>
public enum ReadFrom
{
    /// <summary>Every command goes to the master.</summary>
    Master,
    /// <summary>Reads go to replicas only; a read fails when no replica is reachable.</summary>
    Replica,
    /// <summary>Reads go to a replica when one is up, else to the master.</summary>
    PreferReplica,
    /// <summary>Reads go to the node (master or replica) with the lowest measured round-trip time.</summary>
    LowestLatency,
    /// <summary>Reads go to a node picked at random among the master and its replicas.</summary>
    Random,
}
