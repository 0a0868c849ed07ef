using Carmine.Server.Network;
using Carmine.Server.PubSub;
using Carmine.Server.Types;

using Carmine.Server.Replication;

namespace Carmine.Server.Commands;

/// <summary>The stream commands that add, read by range, delete and trim entries (t_stream.c in Redis).</summary>
static class StreamCommands
{
    /// <summary>XADD's and XTRIM's options: the trimming strategy and, for XADD, NOMKSTREAM and the ID.</summary>
    struct TrimArgs
    {
        public bool ByLength, ById;
        public long MaxLen;
        public StreamId MinId;
        public bool Approx;
        public long Limit;
        public bool NoMkStream;
        public bool IdGiven, SeqGiven;
        public StreamId Id;
        public int IdPos;
        public readonly bool Any => ByLength || ById;
    }

    /// <summary>Parses XADD/XTRIM options from argument 2 with Redis's errors and precedence; for XADD it stops at the ID.</summary>
    static bool ParseTrimArgs(Client c, bool xadd, out TrimArgs t)
    {
        t = default;
        var args = c.Args;
        bool limitGiven = false;
        const string Both = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
        int i = 2;
        for (; i < args.Count; i++)
        {
            int more = args.Count - 1 - i;
            var opt = args[i];
            if (xadd && opt.Length == 1 && opt[0] == '*') break;
            if ((args.Is(i, "maxlen") || args.Is(i, "minid")) && more > 0)
            {
                bool maxlen = args.Is(i, "maxlen");
                if (t.Any)
                {
                    c.Error(Both);
                    return false;
                }
                t.Approx = false;
                var next = args[i + 1];
                if (more >= 2 && next.Length == 1 && (next[0] == '~' || next[0] == '='))
                {
                    t.Approx = next[0] == '~';
                    i++;
                }
                if (maxlen)
                {
                    if (!c.TryLong(i + 1, out t.MaxLen)) return false;
                    if (t.MaxLen < 0)
                    {
                        c.Error("ERR The MAXLEN argument must be >= 0.");
                        return false;
                    }
                    t.ByLength = true;
                }
                else
                {
                    if (!c.TryStrictId(i + 1, out t.MinId)) return false;
                    t.ById = true;
                }
                i++;
            }
            else if (args.Is(i, "limit") && more > 0)
            {
                if (!c.TryLong(i + 1, out t.Limit)) return false;
                if (t.Limit < 0)
                {
                    c.Error("ERR The LIMIT argument must be >= 0.");
                    return false;
                }
                limitGiven = true;
                i++;
            }
            else if (xadd && args.Is(i, "nomkstream")) t.NoMkStream = true;
            else if (xadd)
            {
                if (!StreamArgs.TryParse(opt, 0, strict: true, out t.Id, out t.SeqGiven, allowSeqStar: true))
                {
                    c.Error(StreamArgs.InvalidId);
                    return false;
                }
                t.IdGiven = true;
                break;
            }
            else
            {
                c.Error(Errors.Syntax);
                return false;
            }
        }
        t.IdPos = i;
        if (t.Limit != 0 && !t.Any)
        {
            c.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
            return false;
        }
        if (!xadd && !t.Any)
        {
            c.Error("ERR syntax error, XTRIM must be called with a trimming strategy");
            return false;
        }
        if (limitGiven)
        {
            if (!t.Approx)
            {
                c.Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
                return false;
            }
        }
        else if (t.Approx)
        {
            // Bounds the work of one approximate trim to about 100 nodes, as Redis does.
            long perNode = c.Server.Config.GetLong("stream-node-max-entries");
            t.Limit = perNode > 1_000_000 / 100 ? 1_000_000 : 100 * perNode;
            if (t.Limit <= 0) t.Limit = 10_000;
        }
        else t.Limit = 0;
        return true;
    }

    static long Trim(StreamValue s, in TrimArgs t) =>
        s.Trim(t.ByLength ? t.MaxLen : -1, t.MinId, t.Approx, t.Limit);

    [Command("xadd", -5, Flags = "write denyoom fast", Acl = "stream", Group = "stream", Since = "5.0.0", Tips = "nondeterministic_output",
        Keys = ["RW update; index 1; range 0 1 0; notes UPDATE instead of INSERT because of the optional trimming feature"], Summary = "Appends a new entry to a stream",
        Complexity = "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.", History = ["6.2.0: Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option.", "7.0.0: Added support for the `<ms>-*` explicit ID form."],
        Arguments = ["key:key", "nomkstream:pure-token token=NOMKSTREAM since=6.2.0 optional", "trim:block optional (strategy:oneof (maxlen:pure-token token=MAXLEN | minid:pure-token token=MINID since=6.2.0) | operator:oneof optional (equal:pure-token token== | approximately:pure-token token=~) | threshold:string | count:integer token=LIMIT since=6.2.0 optional)", "id_or_auto:oneof (auto_id:pure-token token=* | id:string)", "field_value:block multiple (field:string | value:string)"])]
    static void XAdd(Client c)
    {
        if (!ParseTrimArgs(c, xadd: true, out var t)) return;
        var args = c.Args;
        int fieldPos = t.IdPos + 1;
        int fieldArgs = args.Count - fieldPos;
        if (fieldArgs < 2 || fieldArgs % 2 == 1)
        {
            c.Error(Errors.WrongArgs("xadd"));
            return;
        }
        if (t.IdGiven && t.SeqGiven && t.Id.IsZero)
        {
            c.Error("ERR The ID specified in XADD must be greater than 0-0");
            return;
        }
        if (!c.TryWrite<StreamValue>(args[1], out var entry, out var s)) return;
        if (s is null && t.NoMkStream)
        {
            c.Reply.Null();
            return;
        }
        var stream = s ?? new StreamValue();
        if (stream.LastId == StreamId.Max)
        {
            c.Error("ERR The stream has exhausted the last possible ID, unable to add more items");
            return;
        }
        if (!NewId(stream, t, c.NowMs, out var id))
        {
            c.Error("ERR The ID specified in XADD is equal or smaller than the target stream top item");
            return;
        }
        long total = 0;
        var pairs = new byte[fieldArgs][];
        for (int i = 0; i < fieldArgs; i++)
        {
            pairs[i] = args.ToArray(fieldPos + i);
            total += pairs[i].Length;
        }
        if (total > StreamValue.NodeMaxSizeLimit)
        {
            c.Error("ERR Elements are too large to be stored");
            return;
        }
        if (s is null) entry = c.Database.Add(args[1], stream);
        var config = c.Server.Config;
        stream.Append(id, pairs, config.GetLong("stream-node-max-bytes"), config.GetLong("stream-node-max-entries"));
        c.Reply.Id(id);
        c.Server.Events.Notify(NotifyFlags.Stream, "xadd", c.Db, args[1]);
        c.Dirty();
        if (t.Any && Trim(stream, t) > 0) c.Server.Events.Notify(NotifyFlags.Stream, "xtrim", c.Db, args[1]);
        if (c.Propagating())
        {
            // Replicas must add the entry under the ID chosen here, not generate their own.
            var argv = ReplicationStream.Argv(args);
            argv[t.IdPos] = System.Text.Encoding.ASCII.GetBytes(id.ToString());
            c.Propagate([.. argv]);
        }
        c.Server.Blocking.SignalKeyAsReady(c.Database, entry!.Key);
    }

    /// <summary>The ID XADD adds: generated, "ms-*" (the next sequence), or explicit; false if not above the top item.</summary>
    static bool NewId(StreamValue s, in TrimArgs t, long nowMs, out StreamId id)
    {
        if (!t.IdGiven) id = s.NextId(nowMs);
        else if (t.SeqGiven) id = t.Id;
        else if (s.LastId.Ms == t.Id.Ms)
        {
            if (s.LastId.Seq == ulong.MaxValue)
            {
                id = default;
                return false;
            }
            id = new StreamId(t.Id.Ms, s.LastId.Seq + 1);
        }
        else id = t.Id;
        return id > s.LastId;
    }

    [Command("xrange", -4, Flags = "readonly", Acl = "stream", Group = "stream", Since = "5.0.0", Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Return a range of elements in a stream, with IDs matching the specified IDs interval",
        Complexity = "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", History = ["6.2.0: Added exclusive ranges."],
        Arguments = ["key:key", "start:string", "end:string", "count:integer token=COUNT optional"])]
    static void XRange(Client c) => RangeGeneric(c, reverse: false);

    [Command("xrevrange", -4, Flags = "readonly", Acl = "stream", Group = "stream", Since = "5.0.0", Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
        Complexity = "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", History = ["6.2.0: Added exclusive ranges."],
        Arguments = ["key:key", "end:string", "start:string", "count:integer token=COUNT optional"])]
    static void XRevRange(Client c) => RangeGeneric(c, reverse: true);

    static void RangeGeneric(Client c, bool reverse)
    {
        var args = c.Args;
        if (!c.TryIntervalStart(reverse ? 3 : 2, out var start)) return;
        if (!c.TryIntervalEnd(reverse ? 2 : 3, out var end)) return;
        long count = -1;
        for (int j = 4; j < args.Count; j++)
        {
            if (args.Is(j, "count") && j + 1 < args.Count)
            {
                if (!c.TryLong(j + 1, out count)) return;
                if (count < 0) count = 0;
                j++;
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        if (!c.TryRead<StreamValue>(args[1], out var s)) return;
        if (s is null) c.Reply.EmptyArray();
        else if (count == 0) c.Reply.NullArray();
        else c.Reply.Entries(s, start, end, count, reverse);
    }

    [Command("xlen", 2, Flags = "readonly fast", Acl = "stream", Group = "stream", Since = "5.0.0", Keys = ["RO; index 1; range 0 1 0"],
        Summary = "Return the number of entries in a stream", Complexity = "O(1)",
        Arguments = ["key:key"])]
    static void XLen(Client c)
    {
        if (!c.TryRead<StreamValue>(c.Args[1], out var s)) return;
        c.Reply.Integer(s?.Length ?? 0);
    }

    [Command("xdel", -3, Flags = "write fast", Acl = "stream", Group = "stream", Since = "5.0.0", Keys = ["RW delete; index 1; range 0 1 0"],
        Summary = "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
        Complexity = "O(1) for each single item to delete in the stream, regardless of the stream size.",
        Arguments = ["key:key", "id:string multiple"])]
    static void XDel(Client c)
    {
        var args = c.Args;
        if (!c.TryWrite<StreamValue>(args[1], out _, out var s)) return;
        if (s is null)
        {
            c.Reply.Integer(0);
            return;
        }
        var ids = new StreamId[args.Count - 2];
        for (int j = 2; j < args.Count; j++)
            if (!c.TryStrictId(j, out ids[j - 2])) return;
        long deleted = 0;
        foreach (var id in ids)
            if (s.Delete(id)) deleted++;
        if (deleted > 0)
        {
            c.Server.Events.Notify(NotifyFlags.Stream, "xdel", c.Db, args[1]);
            c.Dirty(deleted);
        }
        c.Reply.Integer(deleted);
    }

    [Command("xtrim", -4, Flags = "write", Acl = "stream", Group = "stream", Since = "5.0.0", Tips = "nondeterministic_output",
        Keys = ["RW delete; index 1; range 0 1 0"], Summary = "Trims the stream to (approximately if '~' is passed) a certain size",
        Complexity = "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.", History = ["6.2.0: Added the `MINID` trimming strategy and the `LIMIT` option."],
        Arguments = ["key:key", "trim:block (strategy:oneof (maxlen:pure-token token=MAXLEN | minid:pure-token token=MINID since=6.2.0) | operator:oneof optional (equal:pure-token token== | approximately:pure-token token=~) | threshold:string | count:integer token=LIMIT since=6.2.0 optional)"])]
    static void XTrim(Client c)
    {
        if (!ParseTrimArgs(c, xadd: false, out var t)) return;
        if (!c.TryWrite<StreamValue>(c.Args[1], out _, out var s)) return;
        if (s is null)
        {
            c.Reply.Integer(0);
            return;
        }
        long deleted = Trim(s, t);
        if (deleted > 0)
        {
            c.Server.Events.Notify(NotifyFlags.Stream, "xtrim", c.Db, c.Args[1]);
            c.Dirty(deleted);
        }
        c.Reply.Integer(deleted);
    }

    [Command("xsetid", -3, Flags = "write denyoom fast", Acl = "stream", Group = "stream", Since = "5.0.0", Keys = ["RW update; index 1; range 0 1 0"],
        Summary = "An internal command for replicating stream values", Complexity = "O(1)", History = ["7.0.0: Added the `entries_added` and `max_deleted_entry_id` arguments."],
        Arguments = ["key:key", "last-id:string", "entries_added:integer token=ENTRIESADDED since=7.0.0 optional", "max_deleted_entry_id:string token=MAXDELETEDID since=7.0.0 optional"])]
    static void XSetId(Client c)
    {
        var args = c.Args;
        if (!c.TryStrictId(2, out var id)) return;
        long entriesAdded = -1;
        var maxDeleted = StreamId.Min;
        for (int i = 3; i < args.Count; i += 2)
        {
            bool more = i + 1 < args.Count;
            if (args.Is(i, "entriesadded") && more)
            {
                if (!c.TryLong(i + 1, out entriesAdded)) return;
                if (entriesAdded < 0)
                {
                    c.Error("ERR entries_added must be positive");
                    return;
                }
            }
            else if (args.Is(i, "maxdeletedid") && more)
            {
                if (!c.TryStrictId(i + 1, out maxDeleted)) return;
                if (id < maxDeleted)
                {
                    c.Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
                    return;
                }
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        if (!c.TryWrite<StreamValue>(args[1], out _, out var s)) return;
        if (s is null)
        {
            c.Error(Errors.NoSuchKey);
            return;
        }
        if (s.Length > 0)
        {
            if (id < s.LastValidId())
            {
                c.Error("ERR The ID specified in XSETID is smaller than the target stream top item");
                return;
            }
            if (entriesAdded != -1 && s.Length > entriesAdded)
            {
                c.Error("ERR The entries_added specified in XSETID is smaller than the target stream length");
                return;
            }
        }
        s.LastId = id;
        if (entriesAdded != -1) s.EntriesAdded = entriesAdded;
        if (!maxDeleted.IsZero) s.MaxDeletedId = maxDeleted;
        c.Reply.Ok();
        c.Dirty();
        c.Server.Events.Notify(NotifyFlags.Stream, "xsetid", c.Db, args[1]);
    }
}
