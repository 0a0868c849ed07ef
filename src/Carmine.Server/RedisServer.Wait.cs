using Carmine.Server.Network;
using Carmine.Server.Replication;

namespace Carmine.Server;

public sealed partial class RedisServer
{
    static readonly byte[][] GetAckArgv = ["REPLCONF"u8.ToArray(), "GETACK"u8.ToArray(), "*"u8.ToArray()];

    sealed record Waiter(Client Client, long Offset, long NumReplicas, long DeadlineMs);

    readonly List<Waiter> waiters = [];
    int waiterCount;

    /// <summary>Replicas online whose acknowledged offset reached <paramref name="offset"/>.</summary>
    public int ReplicasAcked(long offset) => Replicas.Count(r => r.State == "online" && r.AckOffset >= offset);

    /// <summary>
    /// WAIT that is not satisfied yet: the client blocks until enough replicas acknowledge the offset or the
    /// timeout passes, and the replicas are asked for their offsets at once.
    /// </summary>
    public void BlockForReplicas(Client c, long offset, long numReplicas, long deadlineMs)
    {
        c.Block();
        lock (waiters)
        {
            waiters.Add(new Waiter(c, offset, numReplicas, deadlineMs));
            waiterCount = waiters.Count;
        }
        Propagation.Emit(new Effect(-1, GetAckArgv, PropagateTo.Replicas));
    }

    void DisconnectWaiters(string error)
    {
        Waiter[] all;
        lock (waiters)
        {
            all = [.. waiters];
            waiters.Clear();
            waiterCount = 0;
        }
        foreach (var w in all)
        {
            var c = w.Client;
            c.Loop.Post(() =>
            {
                if (c.Closed) return;
                c.Error(error);
                c.CloseAfterReply = true;
                c.Unblock();
            });
        }
    }

    /// <summary>Answers the WAITs that are satisfied or timed out (on an ACK and from the cron).</summary>
    public void ServeWaiters()
    {
        if (Volatile.Read(ref waiterCount) == 0) return;
        long now = Clock.NowMs();
        List<(Waiter, int)> done = [];
        lock (waiters)
        {
            for (int i = waiters.Count - 1; i >= 0; i--)
            {
                var w = waiters[i];
                int acked = ReplicasAcked(w.Offset);
                if (w.Client.Closed || acked >= w.NumReplicas || (w.DeadlineMs > 0 && now >= w.DeadlineMs))
                {
                    waiters.RemoveAt(i);
                    done.Add((w, acked));
                }
            }
            waiterCount = waiters.Count;
        }
        foreach (var (w, acked) in done)
        {
            var c = w.Client;
            c.Loop.Post(() =>
            {
                if (c.Closed) return;
                c.Reply.Integer(acked);
                c.Unblock();
            });
        }
    }
}
