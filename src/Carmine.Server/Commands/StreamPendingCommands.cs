using Carmine.Server.Network;
using Carmine.Server.PubSub;
using Carmine.Server.Types;

namespace Carmine.Server.Commands;

/// <summary>The commands on a consumer group's pending entries: XACK, XPENDING, XCLAIM, XAUTOCLAIM.</summary>
static class StreamPendingCommands
{
    [Command("xack", -4, Flags = "write fast", Acl = "stream", Group = "stream", Since = "5.0.0", Keys = ["RW update; index 1; range 0 1 0"],
        Summary = "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
        Complexity = "O(1) for each message ID processed.",
        Arguments = ["key:key", "group:string", "id:string multiple"])]
    static void XAck(Client c)
    {
        var args = c.Args;
        if (!c.TryRead<StreamValue>(args[1], out var s)) return;
        var group = s?.LookupGroup(args[2]);
        if (group is null)
        {
            c.Reply.Integer(0);
            return;
        }
        var ids = new StreamId[args.Count - 3];
        for (int j = 3; j < args.Count; j++)
            if (!c.TryStrictId(j, out ids[j - 3])) return;
        long acknowledged = 0;
        foreach (var id in ids)
            if (group.Acknowledge(id)) acknowledged++;
        c.Dirty(acknowledged);
        c.Reply.Integer(acknowledged);
    }

    [Command("xpending", -3, Flags = "readonly", Acl = "stream", Group = "stream", Since = "5.0.0", Tips = "nondeterministic_output",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
        Complexity = "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.", History = ["6.2.0: Added the `IDLE` option and exclusive range intervals."],
        Arguments = ["key:key", "group:string", "filters:block optional (min-idle-time:integer token=IDLE since=6.2.0 optional | start:string | end:string | count:integer | consumer:string optional)"])]
    static void XPending(Client c)
    {
        var args = c.Args;
        bool summary = args.Count == 3;
        if (!summary && (args.Count < 6 || args.Count > 9))
        {
            c.Error(Errors.Syntax);
            return;
        }
        long count = 0, minIdle = 0;
        StreamId start = default, end = default;
        int consumerArg = 0;
        if (!summary)
        {
            int startIdx = 3;
            if (args.Is(3, "idle"))
            {
                if (!c.TryLong(4, out minIdle)) return;
                if (args.Count < 8)
                {
                    c.Error(Errors.Syntax);
                    return;
                }
                startIdx += 2;
            }
            if (!c.TryLong(startIdx + 2, out count)) return;
            if (count < 0) count = 0;
            if (!c.TryIntervalStart(startIdx, out start) || !c.TryIntervalEnd(startIdx + 1, out end)) return;
            if (startIdx + 3 < args.Count) consumerArg = startIdx + 3;
        }
        if (!c.TryRead<StreamValue>(args[1], out var s)) return;
        var group = s?.LookupGroup(args[2]);
        if (group is null)
        {
            c.Error(StreamArgs.NoGroup(c, 1, 2));
            return;
        }
        var reply = c.Reply;
        if (summary)
        {
            reply.ArrayHeader(4);
            reply.Integer(group.Pending.Count);
            if (group.Pending.Count == 0)
            {
                reply.Null();
                reply.Null();
                reply.NullArray();
                return;
            }
            reply.Id(group.Pending.First);
            reply.Id(group.Pending.Last);
            int at = reply.BeginDeferred();
            long n = 0;
            foreach (var consumer in group.Consumers.Values)
            {
                if (consumer.Pending.Count == 0) continue;
                reply.ArrayHeader(2);
                reply.Bulk(consumer.Name);
                reply.Bulk(consumer.Pending.Count);
                n++;
            }
            reply.EndDeferredArray(at, n);
            return;
        }
        PendingList pel = group.Pending;
        if (consumerArg != 0)
        {
            var consumer = group.Lookup(args.ToArray(consumerArg), c.NowMs, refresh: false);
            if (consumer is null)
            {
                reply.EmptyArray();
                return;
            }
            pel = consumer.Pending;
        }
        int start2 = reply.BeginDeferred();
        long written = 0;
        foreach (var (id, pending) in pel.Range(start, end))
        {
            if (count == 0) break;
            long idle = c.NowMs - pending.DeliveryTime;
            if (minIdle != 0 && idle < minIdle) continue;
            written++;
            count--;
            reply.ArrayHeader(4);
            reply.Id(id);
            reply.Bulk(pending.Consumer!.Name);
            reply.Integer(Math.Max(idle, 0));
            reply.Integer(pending.DeliveryCount);
        }
        reply.EndDeferredArray(start2, written);
    }

    [Command("xclaim", -6, Flags = "write fast", Acl = "stream", Group = "stream", Since = "5.0.0", Tips = "nondeterministic_output",
        Keys = ["RW update; index 1; range 0 1 0"],
        Summary = "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
        Complexity = "O(log N) with N being the number of messages in the PEL of the consumer group.",
        Arguments = ["key:key", "group:string", "consumer:string", "min-idle-time:string", "id:string multiple", "ms:integer token=IDLE optional", "unix-time-milliseconds:unix-time token=TIME optional", "count:integer token=RETRYCOUNT optional", "force:pure-token token=FORCE optional", "justid:pure-token token=JUSTID optional", "id:string token=LASTID optional"])]
    static void XClaim(Client c)
    {
        var args = c.Args;
        if (!c.TryRead<StreamValue>(args[1], out var s)) return;
        var group = s?.LookupGroup(args[2]);
        if (group is null)
        {
            c.Error(StreamArgs.NoGroup(c, 1, 2));
            return;
        }
        if (!c.TryLong(4, out long minIdle, "ERR Invalid min-idle-time argument for XCLAIM")) return;
        if (minIdle < 0) minIdle = 0;
        // The IDs run up to the first argument that does not read as one; the options follow.
        var ids = new List<StreamId>();
        int j = 5;
        for (; j < args.Count && StreamArgs.TryParse(args[j], 0, strict: true, out var parsed, out _); j++) ids.Add(parsed);
        long now = c.NowMs, deliveryTime = -1, retryCount = -1;
        bool force = false, justId = false;
        var lastId = StreamId.Min;
        for (; j < args.Count; j++)
        {
            bool more = j + 1 < args.Count;
            if (args.Is(j, "force")) force = true;
            else if (args.Is(j, "justid")) justId = true;
            else if (args.Is(j, "idle") && more)
            {
                if (!c.TryLong(++j, out long idle, "ERR Invalid IDLE option argument for XCLAIM")) return;
                deliveryTime = now - idle;
            }
            else if (args.Is(j, "time") && more)
            {
                if (!c.TryLong(++j, out deliveryTime, "ERR Invalid TIME option argument for XCLAIM")) return;
            }
            else if (args.Is(j, "retrycount") && more)
            {
                if (!c.TryLong(++j, out retryCount, "ERR Invalid RETRYCOUNT option argument for XCLAIM")) return;
            }
            else if (args.Is(j, "lastid") && more)
            {
                if (!c.TryStrictId(++j, out lastId)) return;
            }
            else
            {
                c.Error($"ERR Unrecognized XCLAIM option '{args.ToStr(j)}'");
                return;
            }
        }
        if (lastId > group.LastId)
        {
            group.LastId = lastId;
            c.Dirty();
        }
        if (deliveryTime == -1 || deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
        StreamConsumer? consumer = null;
        var name = args.ToArray(3);
        var reply = c.Reply;
        int at = reply.BeginDeferred();
        long n = 0;
        foreach (var id in ids)
        {
            group.Pending.TryGet(id, out var pending);
            var pairs = s!.Get(id);
            if (pairs is null)
            {
                // The entry is gone: its pending record goes too.
                if (pending is not null)
                {
                    group.Acknowledge(id);
                    c.Dirty();
                }
                continue;
            }
            if (force && pending is null)
            {
                pending = new PendingEntry(null, now);
                group.Pending.TryAdd(id, pending);
            }
            if (pending is null) continue;
            if (pending.Consumer is not null && minIdle > 0 && now - pending.DeliveryTime < minIdle) continue;
            consumer ??= LookupOrCreate(c, group, name);
            Claim(id, pending, consumer, deliveryTime);
            if (retryCount >= 0) pending.DeliveryCount = retryCount;
            else if (!justId) pending.DeliveryCount++;
            if (justId) reply.Id(id);
            else reply.Entry(id, pairs);
            n++;
            c.Dirty();
        }
        reply.EndDeferredArray(at, n);
    }

    [Command("xautoclaim", -6, Flags = "write fast", Acl = "stream", Group = "stream", Since = "6.2.0", Tips = "nondeterministic_output",
        Keys = ["RW delete; index 1; range 0 1 0"],
        Summary = "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
        Complexity = "O(1) if COUNT is small.", History = ["7.0.0: Added an element to the reply array, containing deleted entries the command cleared from the PEL"],
        Arguments = ["key:key", "group:string", "consumer:string", "min-idle-time:string", "start:string", "count:integer token=COUNT optional", "justid:pure-token token=JUSTID optional"])]
    static void XAutoClaim(Client c)
    {
        var args = c.Args;
        if (!c.TryLong(4, out long minIdle, "ERR Invalid min-idle-time argument for XAUTOCLAIM")) return;
        if (minIdle < 0) minIdle = 0;
        if (!c.TryIntervalStart(5, out var cursor)) return;
        long count = 100;
        bool justId = false;
        for (int j = 6; j < args.Count; j++)
        {
            if (args.Is(j, "count") && j + 1 < args.Count)
            {
                if (!c.TryLongInRange(++j, 1, long.MaxValue / 16, out count, "ERR COUNT must be > 0")) return;
            }
            else if (args.Is(j, "justid")) justId = true;
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        if (!c.TryRead<StreamValue>(args[1], out var s)) return;
        var group = s?.LookupGroup(args[2]);
        if (group is null)
        {
            c.Error(StreamArgs.NoGroup(c, 1, 2));
            return;
        }
        long now = c.NowMs, attempts = count * 10;
        var name = args.ToArray(3);
        StreamConsumer? consumer = null;
        var deleted = new List<StreamId>();
        var reply = c.Reply;
        reply.ArrayHeader(3);
        // The next cursor is written last, once known: the claimed entries go to a buffer of their own first.
        var claimed = new Carmine.Protocol.RespBuffer(256) { Resp3 = reply.Resp3 };
        long n = 0;
        bool more = true;
        while (attempts-- > 0 && count > 0 && group.Pending.TryFirstFrom(cursor, out var id))
        {
            group.Pending.TryGet(id, out var pending);
            more = id.TryIncrement(out cursor);
            var pairs = s!.Get(id);
            if (pairs is null)
            {
                group.Acknowledge(id);
                deleted.Add(id);
                count--;
                c.Dirty();
            }
            else if (minIdle == 0 || now - pending.DeliveryTime >= minIdle)
            {
                consumer ??= LookupOrCreate(c, group, name);
                Claim(id, pending, consumer, now);
                if (!justId) pending.DeliveryCount++;
                if (justId) claimed.Id(id);
                else claimed.Entry(id, pairs);
                n++;
                count--;
                c.Dirty();
            }
            if (!more) break;
        }
        reply.Id(more && group.Pending.TryFirstFrom(cursor, out var next) ? next : StreamId.Min);
        reply.ArrayHeader(n);
        reply.WriteRaw(claimed.Written);
        reply.ArrayHeader(deleted.Count);
        foreach (var id in deleted) reply.Id(id);
    }

    /// <summary>Moves a pending entry to <paramref name="consumer"/>, delivered at <paramref name="deliveryTime"/>.</summary>
    static void Claim(StreamId id, PendingEntry pending, StreamConsumer consumer, long deliveryTime)
    {
        if (pending.Consumer != consumer)
        {
            pending.Consumer?.Pending.Remove(id);
            consumer.Pending.TryAdd(id, pending);
            pending.Consumer = consumer;
        }
        pending.DeliveryTime = deliveryTime;
    }

    static StreamConsumer LookupOrCreate(Client c, StreamGroup group, byte[] name)
    {
        var consumer = group.Lookup(name, c.NowMs);
        if (consumer is not null) return consumer;
        consumer = group.CreateConsumer(name, c.NowMs)!;
        c.Dirty();
        c.Server.Events.Notify(NotifyFlags.Stream, "xgroup-createconsumer", c.Db, c.Args[1]);
        return consumer;
    }
}
