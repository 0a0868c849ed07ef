using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>One stream entry: its ID and its field-value pairs in the order they were added.</summary>
public sealed record StreamEntry(string Id, (string Field, string Value)[] Fields)
{
    /// <summary>The value of <paramref name="field"/>, or null when the entry has no such field.</summary>
    public string? this[string field] => Fields.FirstOrDefault(f => f.Field == field).Value;
}

/// <summary>The entries one stream returned to XREAD or XREADGROUP.</summary>
public sealed record StreamRead(string Key, StreamEntry[] Entries);

/// <summary>XPENDING without a range: how many entries are pending, their ID range and the count per consumer.</summary>
public sealed record StreamPendingSummary(long Count, string? LowestId, string? HighestId, (string Consumer, long Count)[] Consumers);

/// <summary>One pending entry from XPENDING with a range.</summary>
public sealed record StreamPendingEntry(string Id, string Consumer, TimeSpan Idle, long DeliveryCount);

/// <summary>XAUTOCLAIM's reply: the cursor for the next call, the claimed entries, and the IDs that no longer exist.</summary>
public sealed record StreamAutoClaim(string NextId, StreamEntry[] Entries, string[] DeletedIds);

/// <summary>XINFO STREAM (without FULL).</summary>
public sealed record StreamInfo(long Length, string LastGeneratedId, string MaxDeletedEntryId, long EntriesAdded,
    string RecordedFirstEntryId, long Groups, StreamEntry? FirstEntry, StreamEntry? LastEntry);

/// <summary>One consumer group from XINFO GROUPS; EntriesRead and Lag are null when the server cannot tell.</summary>
public sealed record StreamGroupInfo(string Name, long Consumers, long Pending, string LastDeliveredId, long? EntriesRead, long? Lag);

/// <summary>One consumer from XINFO CONSUMERS.</summary>
public sealed record StreamConsumerInfo(string Name, long Pending, TimeSpan Idle);

public abstract partial class RedisCommands
{
    /// <summary>XADD; returns the new entry's ID, or null when <paramref name="noMkStream"/> is set and the stream does not exist.</summary>
    /// <param name="maxLen">Trims the stream to this length (MAXLEN); with <paramref name="approximate"/> it is MAXLEN ~.</param>
    public Task<string?> XAddAsync(string key, (string Field, object Value)[] fields, string id = "*",
        long? maxLen = null, bool approximate = false, bool noMkStream = false)
    {
        var args = new List<object> { "XADD", key };
        if (noMkStream) args.Add("NOMKSTREAM");
        if (maxLen is { } n) args.AddRange(approximate ? ["MAXLEN", "~", n] : ["MAXLEN", n]);
        args.Add(id);
        foreach (var (f, v) in fields) args.AddRange([f, v]);
        return Send(Reply.String, args.ToArray());
    }

    public Task<long> XLenAsync(string key) => Send(Reply.Integer, "XLEN", key);

    public Task<StreamEntry[]> XRangeAsync(string key, string start = "-", string end = "+", long? count = null) =>
        Send(Entries, WithCount(["XRANGE", key, start, end], count));

    /// <summary>XREVRANGE: entries from <paramref name="end"/> down to <paramref name="start"/>, newest first.</summary>
    public Task<StreamEntry[]> XRevRangeAsync(string key, string end = "+", string start = "-", long? count = null) =>
        Send(Entries, WithCount(["XREVRANGE", key, end, start], count));

    /// <summary>
    /// XREAD from each (key, ID) pair; with <paramref name="block"/> it waits that long (zero: forever) on a pooled
    /// connection, never on the shared one. An empty array when nothing arrived.
    /// </summary>
    public Task<StreamRead[]> XReadAsync((string Key, string Id)[] streams, long? count = null, TimeSpan? block = null) =>
        Send(Reads, ReadArgs(["XREAD"], count, block, noAck: false, streams));

    /// <summary>XREADGROUP as <paramref name="consumer"/> of <paramref name="group"/>; ID "&gt;" asks for entries never delivered.</summary>
    public Task<StreamRead[]> XReadGroupAsync(string group, string consumer, (string Key, string Id)[] streams,
        long? count = null, TimeSpan? block = null, bool noAck = false) =>
        Send(Reads, ReadArgs(["XREADGROUP", "GROUP", group, consumer], count, block, noAck, streams));

    /// <summary>XGROUP CREATE; <paramref name="id"/> "$" starts at the end of the stream, "0" at its beginning.</summary>
    public Task<bool> XGroupCreateAsync(string key, string group, string id = "$", bool mkStream = false) =>
        mkStream ? Send(Reply.Ok, "XGROUP", "CREATE", key, group, id, "MKSTREAM") : Send(Reply.Ok, "XGROUP", "CREATE", key, group, id);
    public Task<bool> XGroupDestroyAsync(string key, string group) => Send(Reply.Bool, "XGROUP", "DESTROY", key, group);
    public Task<bool> XGroupCreateConsumerAsync(string key, string group, string consumer) =>
        Send(Reply.Bool, "XGROUP", "CREATECONSUMER", key, group, consumer);
    /// <summary>XGROUP DELCONSUMER; returns how many entries the consumer still had pending.</summary>
    public Task<long> XGroupDelConsumerAsync(string key, string group, string consumer) =>
        Send(Reply.Integer, "XGROUP", "DELCONSUMER", key, group, consumer);
    public Task<bool> XGroupSetIdAsync(string key, string group, string id) => Send(Reply.Ok, "XGROUP", "SETID", key, group, id);

    public Task<long> XAckAsync(string key, string group, params string[] ids) => Send(Reply.Integer, ["XACK", key, group], ids);

    public Task<StreamPendingSummary> XPendingAsync(string key, string group) => Send(PendingSummary, "XPENDING", key, group);

    /// <summary>XPENDING with a range, optionally of one consumer and of entries idle at least <paramref name="minIdle"/>.</summary>
    public Task<StreamPendingEntry[]> XPendingAsync(string key, string group, string start, string end, long count,
        string? consumer = null, TimeSpan? minIdle = null)
    {
        var args = new List<object> { "XPENDING", key, group };
        if (minIdle is { } idle) args.AddRange(["IDLE", (long)idle.TotalMilliseconds]);
        args.AddRange([start, end, count]);
        if (consumer is not null) args.Add(consumer);
        return Send(PendingEntries, args.ToArray());
    }

    /// <summary>XCLAIM: gives <paramref name="consumer"/> the entries idle at least <paramref name="minIdle"/>; deleted entries are left out.</summary>
    public Task<StreamEntry[]> XClaimAsync(string key, string group, string consumer, TimeSpan minIdle, params string[] ids) =>
        Send(Entries, ["XCLAIM", key, group, consumer, (long)minIdle.TotalMilliseconds], ids);

    /// <summary>XCLAIM ... JUSTID: claims like <see cref="XClaimAsync"/> but returns only the IDs and leaves the delivery counts alone.</summary>
    public Task<string[]> XClaimIdsAsync(string key, string group, string consumer, TimeSpan minIdle, params string[] ids) =>
        Send(Reply.Members, ["XCLAIM", key, group, consumer, (long)minIdle.TotalMilliseconds], ids.Append("JUSTID"));

    public Task<StreamAutoClaim> XAutoClaimAsync(string key, string group, string consumer, TimeSpan minIdle, string start = "0-0", long? count = null) =>
        Send(AutoClaim, WithCount(["XAUTOCLAIM", key, group, consumer, (long)minIdle.TotalMilliseconds, start], count));

    public Task<StreamInfo> XInfoStreamAsync(string key) => Send(r =>
    {
        var f = Reply.Fields(r);
        return new StreamInfo(Reply.Integer(f["length"]), Reply.String(f["last-generated-id"])!, Reply.String(f["max-deleted-entry-id"])!,
            Reply.Integer(f["entries-added"]), Reply.String(f["recorded-first-entry-id"])!, Reply.Integer(f["groups"]),
            f["first-entry"].IsNull ? null : Entry(f["first-entry"]), f["last-entry"].IsNull ? null : Entry(f["last-entry"]));
    }, "XINFO", "STREAM", key);

    public Task<StreamGroupInfo[]> XInfoGroupsAsync(string key) => Send(r => Reply.Check(r).Items!.Select(g =>
    {
        var f = Reply.Fields(g);
        return new StreamGroupInfo(Reply.String(f["name"])!, Reply.Integer(f["consumers"]), Reply.Integer(f["pending"]),
            Reply.String(f["last-delivered-id"])!, OptionalInteger(f, "entries-read"), OptionalInteger(f, "lag"));
    }).ToArray(), "XINFO", "GROUPS", key);

    public Task<StreamConsumerInfo[]> XInfoConsumersAsync(string key, string group) => Send(r => Reply.Check(r).Items!.Select(c =>
    {
        var f = Reply.Fields(c);
        return new StreamConsumerInfo(Reply.String(f["name"])!, Reply.Integer(f["pending"]), TimeSpan.FromMilliseconds(Reply.Integer(f["idle"])));
    }).ToArray(), "XINFO", "CONSUMERS", key, group);

    /// <summary>XTRIM MAXLEN; with <paramref name="approximate"/> the server may keep a few more for efficiency. Returns how many were deleted.</summary>
    public Task<long> XTrimAsync(string key, long maxLen, bool approximate = false) =>
        approximate ? Send(Reply.Integer, "XTRIM", key, "MAXLEN", "~", maxLen) : Send(Reply.Integer, "XTRIM", key, "MAXLEN", maxLen);

    /// <summary>XTRIM MINID: deletes the entries with IDs lower than <paramref name="minId"/>.</summary>
    public Task<long> XTrimMinIdAsync(string key, string minId) => Send(Reply.Integer, "XTRIM", key, "MINID", minId);

    public Task<long> XDelAsync(string key, params string[] ids) => Send(Reply.Integer, ["XDEL", key], ids);

    static object[] WithCount(object[] head, long? count) => count is { } n ? [.. head, "COUNT", n] : head;

    static object[] ReadArgs(object[] head, long? count, TimeSpan? block, bool noAck, (string Key, string Id)[] streams)
    {
        var args = new List<object>(head);
        if (count is { } n) args.AddRange(["COUNT", n]);
        if (block is { } b) args.AddRange(["BLOCK", (long)b.TotalMilliseconds]);
        if (noAck) args.Add("NOACK");
        args.Add("STREAMS");
        args.AddRange(streams.Select(s => s.Key));
        args.AddRange(streams.Select(s => s.Id));
        return args.ToArray();
    }

    static StreamEntry Entry(RespValue r)
    {
        var items = r.Items!;
        var flat = items[1].IsNull ? [] : items[1].Items!;
        var fields = new (string, string)[flat.Length / 2];
        for (int i = 0; i < fields.Length; i++) fields[i] = (Reply.String(flat[2 * i])!, Reply.String(flat[2 * i + 1]) ?? "");
        return new StreamEntry(Reply.String(items[0])!, fields);
    }

    // XCLAIM replies nil in place of an entry that was deleted meanwhile; those are skipped.
    static StreamEntry[] Entries(RespValue r) => Reply.Check(r).IsNull ? [] : r.Items!.Where(e => !e.IsNull).Select(Entry).ToArray();

    // RESP2 replies an array of [key, entries] pairs, RESP3 a map from key to entries; nil means nothing arrived.
    static StreamRead[] Reads(RespValue r)
    {
        if (Reply.Check(r).IsNull) return [];
        if (r.Type == RespType.Map)
            return r.Items!.Chunk(2).Select(p => new StreamRead(Reply.String(p[0])!, Entries(p[1]))).ToArray();
        return r.Items!.Select(p => new StreamRead(Reply.String(p.Items![0])!, Entries(p.Items[1]))).ToArray();
    }

    static StreamPendingSummary PendingSummary(RespValue r)
    {
        var items = Reply.Check(r).Items!;
        var consumers = items[3].IsNull ? [] : items[3].Items!.Select(c => (Reply.String(c.Items![0])!, Reply.Integer(c.Items[1]))).ToArray();
        return new StreamPendingSummary(Reply.Integer(items[0]), Reply.String(items[1]), Reply.String(items[2]), consumers);
    }

    static StreamPendingEntry[] PendingEntries(RespValue r) => Reply.Check(r).Items!.Select(p => new StreamPendingEntry(
        Reply.String(p.Items![0])!, Reply.String(p.Items[1])!, TimeSpan.FromMilliseconds(Reply.Integer(p.Items[2])), Reply.Integer(p.Items[3]))).ToArray();

    static StreamAutoClaim AutoClaim(RespValue r)
    {
        var items = Reply.Check(r).Items!;
        return new StreamAutoClaim(Reply.String(items[0])!, Entries(items[1]), items.Length > 2 ? Reply.Members(items[2]) : []);
    }

    static long? OptionalInteger(Dictionary<string, RespValue> fields, string name) =>
        fields.TryGetValue(name, out var v) && !v.IsNull ? Reply.Integer(v) : null;
}
