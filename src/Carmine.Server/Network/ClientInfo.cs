using System.Globalization;
using System.Text;

namespace Carmine.Server.Network;

/// <summary>The kinds of client CLIENT LIST TYPE and CLIENT KILL TYPE select.</summary>
public enum ClientType { Normal, Replica, PubSub, Master }

/// <summary>A client described as Redis 7.0 describes it in CLIENT LIST and CLIENT INFO: one line of "field=value" pairs.</summary>
public static class ClientInfo
{
    /// <summary>Redis's static reply buffer per client; replies beyond it count as the reply list (oll, omem).</summary>
    const int StaticReplyBuffer = 16 * 1024;

    /// <summary>Rough size of a client's own objects (socket state, parser, names), for tot-mem.</summary>
    const int ClientObjectSize = 1024;

    /// <summary>Parses a type name as Redis does ("slave" is kept as an alias of "replica"); null if unknown.</summary>
    public static ClientType? ParseType(string name) => name.ToLowerInvariant() switch
    {
        "normal" => ClientType.Normal,
        "slave" or "replica" => ClientType.Replica,
        "pubsub" => ClientType.PubSub,
        "master" => ClientType.Master,
        _ => null,
    };

    /// <summary>A replica (SYNC/PSYNC sent) or a client with subscriptions; MONITOR clients count as normal, as in Redis.</summary>
    public static ClientType TypeOf(Client c) => c.IsReplica ? ClientType.Replica : c.IsSubscriber ? ClientType.PubSub : ClientType.Normal;

    /// <summary>Reply bytes held beyond the static buffer (Redis's omem).</summary>
    public static long OutputBufferMemory(Client c) => Math.Max(0, c.OutputMemory - StaticReplyBuffer);

    /// <summary>Appends the client's line (without the newline). <paramref name="current"/> is the client running the command.</summary>
    public static void Append(StringBuilder sb, Client c, Client current)
    {
        long nowSec = Clock.NowMs() / 1000;
        int pending = c.OutputMemory;
        long omem = OutputBufferMemory(c);
        long argvMem = c == current || c.IsBlocked ? ArgvMemory(c) : 0;
        long qbuf = c.QueryBufferLength;
        var multi = c.Multi;
        long multiMem = multi is null ? 0 : MultiMemory(multi);
        long totMem = c.QueryBufferCapacity + c.Reply.Capacity + omem + argvMem + multiMem + ClientObjectSize;
        var inv = CultureInfo.InvariantCulture;
        sb.Append("id=").Append(c.Id.ToString(inv))
            .Append(" addr=").Append(c.Address)
            .Append(" laddr=").Append(c.LocalAddress)
            .Append(" fd=").Append(c.Fd.ToString(inv))
            .Append(" name=").Append(c.NameText)
            .Append(" age=").Append((nowSec - c.CreatedMs / 1000).ToString(inv))
            .Append(" idle=").Append((nowSec - c.LastInteractionMs / 1000).ToString(inv))
            .Append(" flags=").Append(Flags(c))
            .Append(" db=").Append(c.Db.ToString(inv))
            .Append(" sub=").Append((c.Channels?.Count ?? 0).ToString(inv))
            .Append(" psub=").Append((c.Patterns?.Count ?? 0).ToString(inv))
            .Append(" ssub=").Append((c.ShardChannels?.Count ?? 0).ToString(inv))
            .Append(" multi=").Append((multi is null ? -1 : multi.Queued.Count).ToString(inv))
            .Append(" qbuf=").Append(qbuf.ToString(inv))
            .Append(" qbuf-free=").Append(Math.Max(0, c.QueryBufferCapacity - qbuf).ToString(inv))
            .Append(" argv-mem=").Append(argvMem.ToString(inv))
            .Append(" multi-mem=").Append(multiMem.ToString(inv))
            .Append(" rbs=").Append(c.Reply.Capacity.ToString(inv))
            .Append(" rbp=").Append(c.Reply.Capacity.ToString(inv))
            .Append(" obl=").Append(Math.Min(pending, StaticReplyBuffer).ToString(inv))
            .Append(" oll=").Append(((omem + StaticReplyBuffer - 1) / StaticReplyBuffer).ToString(inv))
            .Append(" omem=").Append(omem.ToString(inv))
            .Append(" tot-mem=").Append(totMem.ToString(inv))
            .Append(" events=").Append(c.WaitingToWrite ? "rw" : "r")
            .Append(" cmd=").Append(c.LastCommand)
            .Append(" user=").Append(c.User)
            .Append(" redir=").Append((c.Tracking?.Redirect ?? -1).ToString(inv))
            .Append(" resp=").Append(c.Protocol.ToString(inv));
    }

    /// <summary>
    /// The arguments of the commands queued by MULTI. The client's own loop may be queueing or clearing them
    /// meanwhile, so the list is read by index, and a list emptied under our feet counts what was seen.
    /// </summary>
    static long MultiMemory(Transactions.MultiState multi)
    {
        long n = 0;
        var queued = multi.Queued;
        try
        {
            for (int q = 0; q < queued.Count; q++)
            {
                var args = queued[q].Args;
                for (int i = 0; i < args.Count; i++) n += args[i].Length;
            }
        }
        catch (ArgumentOutOfRangeException)
        {
        }
        return n;
    }

    static long ArgvMemory(Client c)
    {
        long n = 0;
        var args = c.Args;
        for (int i = 0; i < args.Count; i++) n += args[i].Length;
        return n;
    }

    /// <summary>Redis's one-letter flags, in Redis's order; "N" when none applies.</summary>
    static string Flags(Client c)
    {
        var f = new StringBuilder(4);
        if (c.IsReplica) f.Append('S');
        if (c.IsMonitor) f.Append('O');
        if (c.IsSubscriber) f.Append('P');
        if (c.Multi is not null) f.Append('x');
        if (c.IsBlocked || c.IsPostponed) f.Append('b');
        if (c.Tracking is { } t)
        {
            f.Append('t');
            if (t.BrokenRedirect) f.Append('R');
            if (t.Bcast) f.Append('B');
        }
        if (c.WatchDirty) f.Append('d');
        if (c.CloseAfterReply) f.Append('c');
        if (c.IsUnixSocket) f.Append('U');
        if (c.NoEvict) f.Append('e');
        if (c.NoTouch) f.Append('T');
        return f.Length == 0 ? "N" : f.ToString();
    }
}
