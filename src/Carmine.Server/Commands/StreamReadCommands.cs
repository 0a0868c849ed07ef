using Carmine.Protocol;
using Carmine.Server.Keyspace;
using Carmine.Server.Network;
using Carmine.Server.PubSub;
using Carmine.Server.Types;

using Carmine.Server.Replication;

namespace Carmine.Server.Commands;

/// <summary>XREAD and XREADGROUP, served at once or, with BLOCK, when an XADD makes one of their streams ready.</summary>
static class StreamReadCommands
{
    /// <summary>How many entries a blocked read returns when it gave no COUNT (Redis's XREAD_BLOCKED_DEFAULT_COUNT).</summary>
    const long BlockedDefaultCount = 1000;

    /// <summary>The consumer-group side of an XREADGROUP.</summary>
    sealed record GroupRead(byte[] Group, byte[] Consumer, bool NoAck);

    [Command("xread", -4, Flags = "readonly blocking", Acl = "stream", Group = "stream", Since = "5.0.0",
        Keys = ["RO access; keyword STREAMS 1; range -1 1 2"],
        Summary = "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
        Complexity = "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
        Arguments = ["count:integer token=COUNT optional", "milliseconds:integer token=BLOCK optional", "streams:block token=STREAMS (key:key multiple | id:string multiple)"])]
    static void XRead(Client c) => ReadGeneric(c, groupCommand: false);

    [Command("xreadgroup", -7, Flags = "write blocking", Acl = "stream", Group = "stream", Since = "5.0.0",
        Keys = ["RO access; keyword STREAMS 4; range -1 1 2"],
        Summary = "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
        Complexity = "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
        Arguments = ["group_consumer:block token=GROUP (group:string | consumer:string)", "count:integer token=COUNT optional", "milliseconds:integer token=BLOCK optional", "noack:pure-token token=NOACK optional", "streams:block token=STREAMS (key:key multiple | id:string multiple)"])]
    static void XReadGroup(Client c) => ReadGeneric(c, groupCommand: true);

    static void ReadGeneric(Client c, bool groupCommand)
    {
        var args = c.Args;
        long timeout = -1, count = 0;
        int streamsArg = 0, streamCount = 0;
        bool noAck = false;
        int groupArg = 0;
        for (int i = 1; i < args.Count; i++)
        {
            int more = args.Count - i - 1;
            if (args.Is(i, "block") && more > 0)
            {
                // There is no sense in blocking inside a script; Redis refuses it outright.
                if (c.IsScript)
                {
                    c.Error($"ERR {args.ToStr(0)} command is not allowed with BLOCK option from scripts");
                    return;
                }
                i++;
                if (!NumberFormat.TryParseInt64(args[i], out timeout))
                {
                    c.Error("ERR timeout is not an integer or out of range");
                    return;
                }
                if (timeout < 0)
                {
                    c.Error("ERR timeout is negative");
                    return;
                }
            }
            else if (args.Is(i, "count") && more > 0)
            {
                i++;
                if (!c.TryLong(i, out count)) return;
                if (count < 0) count = 0;
            }
            else if (args.Is(i, "streams") && more > 0)
            {
                streamsArg = i + 1;
                streamCount = args.Count - streamsArg;
                if (streamCount % 2 != 0)
                {
                    c.Error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
                    return;
                }
                streamCount /= 2;
                break;
            }
            else if (args.Is(i, "group") && more >= 2)
            {
                if (!groupCommand)
                {
                    c.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
                    return;
                }
                groupArg = i + 1;
                i += 2;
            }
            else if (args.Is(i, "noack"))
            {
                if (!groupCommand)
                {
                    c.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
                    return;
                }
                noAck = true;
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        if (streamsArg == 0)
        {
            c.Error(Errors.Syntax);
            return;
        }
        if (groupCommand && groupArg == 0)
        {
            c.Error("ERR Missing GROUP option for XREADGROUP");
            return;
        }
        var read = groupArg == 0 ? null : new GroupRead(args.ToArray(groupArg), args.ToArray(groupArg + 1), noAck);

        // Resolve every stream's ID first: any error (type, group, ID) replies before anything is served.
        var ids = new StreamId[streamCount];
        var groups = new StreamGroup?[streamCount];
        for (int k = 0; k < streamCount; k++)
        {
            int keyArg = streamsArg + k, idArg = keyArg + streamCount;
            if (!c.TryRead<StreamValue>(args[keyArg], out var s)) return;
            if (read is not null)
            {
                groups[k] = s?.LookupGroup(read.Group);
                if (groups[k] is null)
                {
                    c.Error($"NOGROUP No such key '{args.ToStr(keyArg)}' or consumer group '{args.ToStr(groupArg)}' in XREADGROUP with GROUP option");
                    return;
                }
            }
            var idText = args[idArg];
            if (idText.Length == 1 && idText[0] == '$')
            {
                if (read is not null)
                {
                    c.Error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
                    return;
                }
                ids[k] = s?.LastId ?? StreamId.Min;
            }
            else if (idText.Length == 1 && idText[0] == '>')
            {
                if (read is null)
                {
                    c.Error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
                    return;
                }
                ids[k] = StreamId.Max;
            }
            else if (!c.TryStrictId(idArg, out ids[k])) return;
        }

        int at = -1;
        long served = 0;
        for (int k = 0; k < streamCount; k++)
        {
            var key = args[streamsArg + k];
            if (c.Database.Find(key, c.NowMs)?.Value is not StreamValue s) continue;
            var group = groups[k];
            bool history = group is not null && ids[k] != StreamId.Max;
            bool ready = history || (s.Length > 0 && s.LastValidId() > (group is not null ? group.LastId : ids[k]));
            if (!ready) continue;
            if (served++ == 0) at = c.Reply.BeginDeferred();
            if (!c.Reply.Resp3) c.Reply.ArrayHeader(2);
            c.Reply.Bulk(key);
            var start = group is not null && !history ? group.LastId : ids[k];
            start.TryIncrement(out start);
            var ctx = new ReadContext(c.Server, c.Database, c.Reply, key.ToArray(), c.NowMs);
            if (history) ReplyFromConsumerPending(ctx, s, group!, read!, start, count);
            else ReplyEntries(ctx, s, start, count, group, read);
            if (group is not null) c.Dirty();
        }
        if (served > 0)
        {
            if (c.Reply.Resp3) c.Reply.EndDeferredMap(at, served);
            else c.Reply.EndDeferredArray(at, served);
            return;
        }
        if (timeout < 0 || c.InExec)
        {
            c.Reply.NullArray();
            return;
        }
        var keys = new byte[streamCount][];
        for (int k = 0; k < streamCount; k++) keys[k] = args.ToArray(streamsArg + k);
        long blockedCount = count > 0 ? count : BlockedDefaultCount;
        c.Server.Blocking.Block(new BlockedClient(c, keys, timeout, (b, serve) => ServeBlocked(b, serve, ids, read, blockedCount)));
    }

    /// <summary>What a read replies into: the client's buffer when served at once, a blocked client's reply otherwise.</summary>
    readonly record struct ReadContext(RedisServer Server, Database Database, RespBuffer Reply, byte[] Key, long NowMs);

    /// <summary>
    /// Serves a blocked read once XADD (or XGROUP DESTROY, or a deletion) made its key ready: [key, entries] when
    /// the stream now has entries past the client's ID, errors when its group or its key went away.
    /// </summary>
    static bool ServeBlocked(BlockedClient b, ServeContext serve, StreamId[] ids, GroupRead? read, long count)
    {
        var s = serve.Database.Find(serve.Key, serve.NowMs)?.Value as StreamValue;
        if (s is null)
        {
            if (read is null) return false;
            serve.Error("UNBLOCKED the stream key no longer exists");
            return true;
        }
        StreamGroup? group = null;
        StreamId gt;
        if (read is not null)
        {
            group = s.LookupGroup(read.Group);
            if (group is null)
            {
                serve.Error("NOGROUP the consumer group this client was blocked on no longer exists");
                return true;
            }
            gt = group.LastId;
        }
        else gt = ids[Array.FindIndex(b.Keys, k => k.AsSpan().SequenceEqual(serve.Key))];
        if (s.LastId <= gt) return false;
        var reply = serve.Reply;
        if (reply.Resp3) reply.MapHeader(1);
        else
        {
            reply.ArrayHeader(1);
            reply.ArrayHeader(2);
        }
        reply.Bulk(serve.Key);
        gt.TryIncrement(out var start);
        ReplyEntries(new ReadContext(serve.Server, serve.Database, reply, serve.Key, serve.NowMs), s, start, count, group, read);
        if (group is not null) serve.Dirty();
        return true;
    }

    /// <summary>
    /// Replies the entries from <paramref name="start"/> on; within a group, moves its last delivered ID past them and,
    /// unless NOACK, records each as pending for the consumer (reassigning it if it was pending for another).
    /// </summary>
    static void ReplyEntries(in ReadContext ctx, StreamValue s, StreamId start, long count, StreamGroup? group, GroupRead? read)
    {
        StreamConsumer? consumer = group is null ? null : LookupOrCreateConsumer(ctx, group, read!);
        var reply = ctx.Reply;
        int at = reply.BeginDeferred();
        long n = 0;
        foreach (var (id, pairs) in s.Range(start, StreamId.Max))
        {
            if (group is not null) s.AdvanceGroup(group, id);
            reply.Entry(id, pairs);
            if (group is not null && !read!.NoAck)
            {
                if (group.Pending.TryGet(id, out var pending))
                {
                    pending.Consumer?.Pending.Remove(id);
                    pending.Consumer = consumer;
                    pending.DeliveryTime = ctx.NowMs;
                    pending.DeliveryCount = 1;
                }
                else
                {
                    pending = new PendingEntry(consumer, ctx.NowMs);
                    group.Pending.TryAdd(id, pending);
                }
                consumer!.Pending.TryAdd(id, pending);
                PropagateClaim(ctx, group, read, id, pending);
            }
            if (++n == count) break;
        }
        reply.EndDeferredArray(at, n);
        // With NOACK nothing is pending: replicas only need the group's new position.
        if (group is not null && read!.NoAck && n > 0)
            PropagationHelpers.PropagateIn(ctx.Database.Index, "XGROUP", "SETID", ctx.Key, read.Group, group.LastId.ToString(), "ENTRIESREAD", group.EntriesRead);
    }

    /// <summary>
    /// A delivery reaches replicas as the XCLAIM that gives them the same pending entry (consumer, time, count),
    /// as Redis propagates XREADGROUP.
    /// </summary>
    static void PropagateClaim(in ReadContext ctx, StreamGroup group, GroupRead read, StreamId id, PendingEntry pending)
    {
        if (!PropagationHelpers.Collecting) return;
        PropagationHelpers.PropagateIn(ctx.Database.Index, "XCLAIM", ctx.Key, read.Group, read.Consumer, "0", id.ToString(),
            "TIME", pending.DeliveryTime, "RETRYCOUNT", pending.DeliveryCount, "FORCE", "JUSTID", "LASTID", group.LastId.ToString());
    }

    /// <summary>XREADGROUP with an ID: the consumer's own pending entries from <paramref name="start"/>, deleted ones as [id, nil].</summary>
    static void ReplyFromConsumerPending(in ReadContext ctx, StreamValue s, StreamGroup group, GroupRead read, StreamId start, long count)
    {
        var consumer = LookupOrCreateConsumer(ctx, group, read);
        var reply = ctx.Reply;
        int at = reply.BeginDeferred();
        long n = 0;
        foreach (var (id, pending) in consumer.Pending.Range(start, StreamId.Max))
        {
            if (count > 0 && n == count) break;
            var pairs = s.Get(id);
            if (pairs is null)
            {
                reply.ArrayHeader(2);
                reply.Id(id);
                reply.NullArray();
            }
            else
            {
                reply.Entry(id, pairs);
                pending.DeliveryTime = ctx.NowMs;
                pending.DeliveryCount++;
                PropagateClaim(ctx, group, read, id, pending);
            }
            n++;
        }
        reply.EndDeferredArray(at, n);
    }

    static StreamConsumer LookupOrCreateConsumer(in ReadContext ctx, StreamGroup group, GroupRead read)
    {
        var consumer = group.Lookup(read.Consumer, ctx.NowMs);
        if (consumer is not null) return consumer;
        consumer = group.CreateConsumer(read.Consumer, ctx.NowMs)!;
        ctx.Server.Stats.Local.Dirty++;
        ctx.Server.Events.Notify(NotifyFlags.Stream, "xgroup-createconsumer", ctx.Database.Index, ctx.Key);
        return consumer;
    }
}
