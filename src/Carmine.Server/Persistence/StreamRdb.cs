using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Carmine.Protocol;
using Carmine.Server.Types;

namespace Carmine.Server.Persistence;

/// <summary>
/// Streams in RDB, as Redis 7.0 stores them (STREAM_LISTPACKS_2): each node as its 16-byte master ID and a listpack
/// (a master entry with the live and deleted counts and the master fields, then entries delta-encoded against it),
/// then the length, last, first and max-deleted IDs, entries added, and the consumer groups with their PELs and
/// consumers. STREAM_LISTPACKS (Redis 5 and 6) is read too, its missing counters derived as Redis derives them.
/// </summary>
static class StreamRdb
{
    // t_stream.c's entry flags inside a node's listpack.
    const long FlagDeleted = 1, FlagSameFields = 2;
    const string NodeError = "Stream listpack integrity check failed.";

    [ModuleInitializer]
    internal static void Register()
    {
        RdbTypeRegistry.Register(typeof(StreamValue), Rdb.TypeStreamListpacks2, Write);
        RdbTypeRegistry.Register(Rdb.TypeStreamListpacks, Load);
        RdbTypeRegistry.Register(Rdb.TypeStreamListpacks2, Load);
        // debug.c mixes each live entry's "ms.seq" ID then its fields and values; groups are left out.
        DatasetDigest.Register(typeof(StreamValue), 6, (digest, value) =>
        {
            foreach (var (id, fields) in ((StreamValue)value).Range(StreamId.Min, StreamId.Max))
            {
                DatasetDigest.Mix(digest, System.Text.Encoding.ASCII.GetBytes($"{id.Ms}.{id.Seq}"));
                foreach (var e in StreamEntryCodec.Elements(fields)) DatasetDigest.Mix(digest, e);
            }
        });
    }

    static void Write(RdbWriter w, object value)
    {
        var s = (StreamValue)value;
        w.WriteLength((ulong)s.Nodes.Count);
        Span<byte> key = stackalloc byte[16];
        foreach (var node in s.Nodes)
        {
            WriteRawId(key, node.MasterId);
            w.WriteString(key);
            w.WriteString(NodeListpack(node));
        }
        w.WriteLength((ulong)s.Length);
        WriteId(w, s.LastId);
        WriteId(w, s.FirstId);
        WriteId(w, s.MaxDeletedId);
        w.WriteLength((ulong)s.EntriesAdded);
        w.WriteLength((ulong)(s.Groups?.Count ?? 0));
        foreach (var (name, group) in s.Groups ?? [])
        {
            w.WriteString(name);
            WriteId(w, group.LastId);
            w.WriteLength((ulong)group.EntriesRead);
            w.WriteLength((ulong)group.Pending.Count);
            foreach (var (id, pending) in group.Pending.All())
            {
                WriteRawId(key, id);
                w.WriteRaw(key);
                w.WriteMillis(pending.DeliveryTime);
                w.WriteLength((ulong)pending.DeliveryCount);
            }
            w.WriteLength((ulong)group.Consumers.Count);
            foreach (var consumer in group.Consumers.Values)
            {
                w.WriteString(consumer.Name);
                w.WriteMillis(consumer.SeenTime);
                w.WriteLength((ulong)consumer.Pending.Count);
                foreach (var (id, _) in consumer.Pending.All())
                {
                    WriteRawId(key, id);
                    w.WriteRaw(key);
                }
            }
        }
    }

    static void WriteId(RdbWriter w, StreamId id)
    {
        w.WriteLength(id.Ms);
        w.WriteLength(id.Seq);
    }

    static void WriteRawId(Span<byte> dest, StreamId id)
    {
        BinaryPrimitives.WriteUInt64BigEndian(dest, id.Ms);
        BinaryPrimitives.WriteUInt64BigEndian(dest[8..], id.Seq);
    }

    static StreamId ReadRawId(ReadOnlySpan<byte> raw) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(raw), BinaryPrimitives.ReadUInt64BigEndian(raw[8..]));

    /// <summary>A node as Redis's listpack: the master entry, then each entry (tombstones included) and its element count.</summary>
    static byte[] NodeListpack(StreamNode node)
    {
        var lp = new ListpackBuilder();
        void Int(long v) => lp.Append(NumberFormat.Int64ToBytes(v));
        Int(node.Live);
        Int(node.Tombstones);
        Int(node.MasterFields.Count);
        foreach (var f in node.MasterFields) lp.Append(f);
        Int(0);
        for (int i = 0; i < node.Count; i++)
        {
            var item = node[i];
            var pairs = new List<byte[]>();
            foreach (var e in StreamEntryCodec.Elements(item.Fields)) pairs.Add(e.ToArray());
            bool same = node.SameFieldsAsMaster([.. pairs]);
            Int((item.Deleted ? FlagDeleted : 0) | (same ? FlagSameFields : 0));
            Int((long)(item.Id.Ms - node.MasterId.Ms));
            Int((long)(item.Id.Seq - node.MasterId.Seq));
            if (same)
                for (int j = 1; j < pairs.Count; j += 2) lp.Append(pairs[j]);
            else
            {
                Int(pairs.Count / 2);
                foreach (var p in pairs) lp.Append(p);
            }
            Int(same ? pairs.Count / 2 + 3 : pairs.Count + 4);
        }
        return lp.ToArray();
    }

    static object? Load(RdbReader r, byte type, RdbLoadLimits limits)
    {
        bool v2 = type == Rdb.TypeStreamListpacks2;
        var nodes = new List<StreamNode>();
        long live = 0;
        for (int n = r.ReadCount(2); n > 0; n--)
        {
            int at = r.Position;
            var key = r.ReadString();
            if (key.Length != 16) throw new RdbFormatException("Stream node key entry is not the size of a stream ID", at);
            var masterId = ReadRawId(key);
            if (nodes.Count > 0 && masterId <= nodes[^1].LastId) throw new RdbFormatException(NodeError, at);
            at = r.Position;
            var node = ReadNode(masterId, CompactBlob.ReadListpack(r.ReadString()), at);
            live += node.Live;
            nodes.Add(node);
        }
        int metaAt = r.Position;
        long length = (long)r.ReadLength();
        var lastId = ReadId(r);
        if (length != live) throw new RdbFormatException("Stream length inconsistent with rax entries", metaAt);
        // New IDs are made above the last ID: one below an entry already stored would put entries out of order.
        if (nodes.Count > 0 && lastId < nodes[^1].LastId) throw new RdbFormatException("Stream last ID is smaller than its last entry", metaAt);
        StreamId firstId, maxDeleted = StreamId.Min;
        long entriesAdded = length;
        if (v2)
        {
            firstId = ReadId(r);
            maxDeleted = ReadId(r);
            entriesAdded = (long)r.ReadLength();
        }
        else firstId = FirstLive(nodes);
        var s = StreamValue.Load(nodes, length, lastId, firstId, maxDeleted, entriesAdded);

        for (int g = r.ReadCount(); g > 0; g--)
        {
            int at = r.Position;
            var name = r.ReadString();
            var groupId = ReadId(r);
            long entriesRead = v2 ? (long)r.ReadLength() : s.EstimateDistanceFromFirstEverEntry(groupId);
            var group = s.CreateGroup(name, groupId, entriesRead)
                ?? throw new RdbFormatException("Duplicated consumer group name", at);
            for (int p = r.ReadCount(16); p > 0; p--)
            {
                at = r.Position;
                var id = ReadRawId(r.ReadRaw(16));
                var pending = new PendingEntry(null, r.ReadMillis()) { DeliveryCount = (long)r.ReadLength() };
                if (!group.Pending.TryAdd(id, pending))
                    throw new RdbFormatException("Duplicated global PEL entry loading stream consumer group", at);
            }
            for (int c = r.ReadCount(); c > 0; c--)
            {
                at = r.Position;
                var consumer = group.CreateConsumer(r.ReadString(), 0)
                    ?? throw new RdbFormatException("Duplicate stream consumer detected.", at);
                consumer.SeenTime = r.ReadMillis();
                for (int p = r.ReadCount(16); p > 0; p--)
                {
                    at = r.Position;
                    var id = ReadRawId(r.ReadRaw(16));
                    if (!group.Pending.TryGet(id, out var pending))
                        throw new RdbFormatException("Consumer entry not found in group global PEL", at);
                    if (pending.Consumer is not null || !consumer.Pending.TryAdd(id, pending))
                        throw new RdbFormatException("Duplicated consumer PEL entry loading a stream consumer group", at);
                    pending.Consumer = consumer;
                }
            }
            foreach (var (_, pending) in group.Pending.All())
                if (pending.Consumer is null) throw new RdbFormatException("Stream CG PEL entry without consumer", r.Position);
        }
        return s;
    }

    static StreamId ReadId(RdbReader r) => new(r.ReadLength(), r.ReadLength());

    static StreamId FirstLive(List<StreamNode> nodes)
    {
        foreach (var node in nodes)
            for (int i = 0; i < node.Count; i++)
                if (!node[i].Deleted) return node[i].Id;
        return StreamId.Min;
    }

    /// <summary>Rebuilds a node from its listpack, checking the master entry, each entry's shape and the counts.</summary>
    static StreamNode ReadNode(StreamId masterId, List<byte[]>? lp, int at)
    {
        if (lp is null) throw new RdbFormatException(NodeError, at);
        if (lp.Count == 0) throw new RdbFormatException("Empty listpack inside stream", at);
        int pos = 0;
        long Int()
        {
            if (pos >= lp.Count || !NumberFormat.TryParseInt64(lp[pos], out long v)) throw new RdbFormatException(NodeError, at);
            pos++;
            return v;
        }
        byte[] Element()
        {
            if (pos >= lp.Count) throw new RdbFormatException(NodeError, at);
            return lp[pos++];
        }
        long count = Int(), deleted = Int(), masterFieldCount = Int();
        if (count < 0 || deleted < 0 || masterFieldCount < 0 || masterFieldCount > lp.Count) throw new RdbFormatException(NodeError, at);
        var fields = new byte[masterFieldCount][];
        for (int i = 0; i < fields.Length; i++) fields[i] = Element();
        if (Int() != 0) throw new RdbFormatException(NodeError, at);
        var node = StreamNode.WithMasterFields(masterId, fields);
        var tombstones = new List<int>();
        while (pos < lp.Count)
        {
            int start = pos;
            long flags = Int();
            var id = new StreamId(masterId.Ms + (ulong)Int(), masterId.Seq + (ulong)Int());
            byte[][] pairs;
            if ((flags & FlagSameFields) != 0)
            {
                pairs = new byte[fields.Length * 2][];
                for (int i = 0; i < fields.Length; i++) (pairs[i * 2], pairs[i * 2 + 1]) = (fields[i], Element());
            }
            else
            {
                long n = Int();
                if (n < 0 || n > lp.Count) throw new RdbFormatException(NodeError, at);
                pairs = new byte[n * 2][];
                for (int i = 0; i < pairs.Length; i++) pairs[i] = Element();
            }
            if (Int() != pos - start - 1) throw new RdbFormatException(NodeError, at);
            if (node.Count > 0 && id <= node.LastId || id < masterId) throw new RdbFormatException(NodeError, at);
            if ((flags & FlagDeleted) != 0) tombstones.Add(node.Count);
            node.Append(id, pairs);
        }
        foreach (int i in tombstones) node.Delete(i);
        if (node.Live != count || node.Tombstones != deleted || node.Count == 0) throw new RdbFormatException(NodeError, at);
        return node;
    }
}
