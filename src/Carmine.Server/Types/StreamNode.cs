namespace Carmine.Server.Types;

/// <summary>
/// One node of a stream, the counterpart of a listpack hanging off Redis's radix tree: entries in ID order, deleted
/// ones kept as tombstones until the node empties. Its size in listpack bytes is tracked so that nodes split where
/// stream-node-max-bytes and stream-node-max-entries make Redis split them, which approximate trimming depends on.
/// </summary>
public sealed class StreamNode
{
    /// <summary>One entry: its ID, its fields and values packed (<see cref="StreamEntryCodec"/>), and whether XDEL or XTRIM removed it.</summary>
    public struct NodeItem(StreamId id, byte[] fields)
    {
        public readonly StreamId Id = id;
        public readonly byte[] Fields = fields;
        public bool Deleted;
    }

    const int ListpackHeader = 6 + 1;

    readonly List<NodeItem> items = [];
    readonly byte[][] masterFields;

    /// <summary>The ID of the first entry ever added to the node, the key Redis stores it under.</summary>
    public StreamId MasterId { get; }
    /// <summary>Entries not deleted.</summary>
    public int Live { get; private set; }
    /// <summary>Tombstones still in the node.</summary>
    public int Tombstones { get; private set; }
    /// <summary>The size the node's listpack would have in Redis.</summary>
    public long Bytes { get; private set; }

    public int Count => items.Count;
    public ref NodeItem this[int index] => ref System.Runtime.InteropServices.CollectionsMarshal.AsSpan(items)[index];

    public StreamNode(StreamId masterId, byte[][] pairs)
    {
        MasterId = masterId;
        masterFields = new byte[pairs.Length / 2][];
        for (int i = 0; i < masterFields.Length; i++) masterFields[i] = pairs[i * 2];
        // The master entry: count, deleted, number of fields, the fields, a terminating zero.
        Bytes = ListpackHeader + IntSize(0) * 2 + IntSize(masterFields.Length) + IntSize(0);
        foreach (var f in masterFields) Bytes += StringSize(f);
    }

    /// <summary>An empty node whose master entry holds <paramref name="fields"/>, for entries read back from RDB.</summary>
    public static StreamNode WithMasterFields(StreamId masterId, byte[][] fields)
    {
        var pairs = new byte[fields.Length * 2][];
        for (int i = 0; i < fields.Length; i++) (pairs[i * 2], pairs[i * 2 + 1]) = (fields[i], []);
        return new StreamNode(masterId, pairs);
    }

    /// <summary>The fields of the master entry, which entries with the same fields leave out.</summary>
    public IReadOnlyList<byte[]> MasterFields => masterFields;

    StreamNode(StreamNode other)
    {
        MasterId = other.MasterId;
        masterFields = other.masterFields;
        items = [.. other.items];
        Live = other.Live;
        Tombstones = other.Tombstones;
        Bytes = other.Bytes;
    }

    /// <summary>A copy with its own entry list; the packed entries are never changed once written, so they are shared.</summary>
    public StreamNode Clone() => new(this);

    /// <summary>The last entry's ID, tombstone or not (what Redis reads from the tail of the listpack).</summary>
    public StreamId LastId => items[^1].Id;

    public void Append(StreamId id, byte[][] pairs)
    {
        bool sameFields = SameFieldsAsMaster(pairs);
        long size = IntSize(sameFields ? 2 : 0) + IntSize((long)(id.Ms - MasterId.Ms)) + IntSize((long)(id.Seq - MasterId.Seq));
        int elements = 3;
        if (sameFields)
            for (int i = 1; i < pairs.Length; i += 2) size += StringSize(pairs[i]);
        else
        {
            size += IntSize(pairs.Length / 2);
            foreach (var p in pairs) size += StringSize(p);
            elements++;
        }
        elements += sameFields ? pairs.Length / 2 : pairs.Length;
        size += IntSize(elements);
        Bytes += size;
        items.Add(new NodeItem(id, StreamEntryCodec.Pack(pairs)));
        Live++;
    }

    /// <summary>Marks the entry at <paramref name="index"/> deleted; false if it already was.</summary>
    public bool Delete(int index)
    {
        ref var item = ref this[index];
        if (item.Deleted) return false;
        item.Deleted = true;
        Live--;
        Tombstones++;
        return true;
    }

    /// <summary>The index of the first entry with an ID at least <paramref name="id"/> (Count if none).</summary>
    public int LowerBound(StreamId id)
    {
        int lo = 0, hi = items.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (items[mid].Id < id) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>Whether an entry with these fields and values is stored without its field names.</summary>
    public bool SameFieldsAsMaster(byte[][] pairs)
    {
        if (pairs.Length / 2 != masterFields.Length) return false;
        for (int i = 0; i < masterFields.Length; i++)
            if (!pairs[i * 2].AsSpan().SequenceEqual(masterFields[i])) return false;
        return true;
    }

    /// <summary>Bytes of a listpack integer element with its back-length.</summary>
    static long IntSize(long v)
    {
        int encoded = v switch
        {
            >= 0 and <= 127 => 1,
            >= -4096 and <= 4095 => 2,
            >= short.MinValue and <= short.MaxValue => 3,
            >= -(1 << 23) and < (1 << 23) => 4,
            >= int.MinValue and <= int.MaxValue => 5,
            _ => 9,
        };
        return encoded + 1;
    }

    /// <summary>Bytes of a listpack string element (stored as an integer when it reads as one) with its back-length.</summary>
    static long StringSize(byte[] s)
    {
        if (s.Length <= 20 && Carmine.Protocol.NumberFormat.TryParseInt64(s, out long v) && v.ToString().Length == s.Length)
            return IntSize(v);
        long encoded = s.Length < 64 ? 1 + s.Length : s.Length < 4096 ? 2 + s.Length : 5 + s.Length;
        int backlen = encoded <= 127 ? 1 : encoded < 16383 ? 2 : encoded < 2097151 ? 3 : encoded < 268435455 ? 4 : 5;
        return encoded + backlen;
    }
}
