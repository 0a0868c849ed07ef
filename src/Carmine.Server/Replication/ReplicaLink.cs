using Carmine.Server.Network;

namespace Carmine.Server.Replication;

/// <summary>
/// A connected replica (a client that sent SYNC or PSYNC): it first gets a snapshot, then the stream from the
/// offset the snapshot was taken at. Bytes that arrive while the snapshot is still being produced wait here.
/// </summary>
public sealed class ReplicaLink(Client client) : IStreamConsumer
{
    List<byte[]>? waiting = [];

    public Client Client { get; } = client;
    public PropagateTo Kind => PropagateTo.Replicas;

    /// <summary>
    /// handshake until SYNC or PSYNC (REPLCONF only recorded options), then INFO's states: wait_bgsave while the
    /// snapshot is produced, send_bulk while it is sent, online after.
    /// </summary>
    public string State { get; set; } = "handshake";
    /// <summary>REPLCONF listening-port and ip-address, for INFO and ROLE.</summary>
    public int ListeningPort { get; set; }
    public string? AnnouncedIp { get; set; }
    /// <summary>The offset the replica last acknowledged (REPLCONF ACK), and when.</summary>
    public long AckOffset { get; set; }
    public long AckTimeMs { get; set; } = Clock.NowMs();
    /// <summary>REPLCONF capa: eof (diskless) and psync2 (+CONTINUE with a replication ID).</summary>
    public bool CapaPsync2 { get; set; }

    public string Ip => AnnouncedIp ?? Client.Address[..Client.Address.LastIndexOf(':')];

    public void Feed(ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        if (waiting is not null)
        {
            waiting.Add(copy);
            return;
        }
        Client.Push(r => r.WriteRaw(copy));
    }

    /// <summary>The snapshot went out: what waited follows it, then the stream flows directly. Call under the stream's lock.</summary>
    public void GoOnline()
    {
        var pending = waiting;
        waiting = null;
        State = "online";
        if (pending is null) return;
        foreach (var bytes in pending) Client.Push(r => r.WriteRaw(bytes));
    }
}
