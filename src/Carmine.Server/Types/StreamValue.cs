namespace Carmine.Server.Types;

/// <summary>
/// A stream (t_stream.c in Redis): entries in ID order, held in nodes sorted by their first ID so that a range
/// starts with a binary search over nodes then within one; the counters Redis keeps for consumer-group lag; and the
/// consumer groups.
/// </summary>
public sealed class StreamValue : IRedisObject, ICopyable
{
    /// <summary>Largest node Redis allows (STREAM_LISTPACK_MAX_SIZE), used when stream-node-max-bytes is 0.</summary>
    public const long NodeMaxSizeLimit = 1L << 30;

    readonly List<StreamNode> nodes = [];

    public string TypeName => "stream";
    public string Encoding => "stream";

    /// <summary>Live entries.</summary>
    public long Length { get; private set; }
    public StreamId LastId { get; set; }
    /// <summary>The first live entry's ID, or 0-0 when empty.</summary>
    public StreamId FirstId { get; private set; }
    public StreamId MaxDeletedId { get; set; }
    /// <summary>Entries ever added, the logical counter consumer-group lag is measured against.</summary>
    public long EntriesAdded { get; set; }
    /// <summary>Consumer groups by name in binary order; null until the first is created.</summary>
    public SortedDictionary<byte[], StreamGroup>? Groups { get; private set; }

    public int NodeCount => nodes.Count;

    /// <summary>The nodes in ID order, as RDB writes them.</summary>
    public IReadOnlyList<StreamNode> Nodes => nodes;

    /// <summary>A stream rebuilt from RDB: its nodes in ID order and the counters saved with them.</summary>
    public static StreamValue Load(List<StreamNode> nodes, long length, StreamId lastId, StreamId firstId, StreamId maxDeletedId, long entriesAdded)
    {
        var s = new StreamValue
        {
            Length = length,
            LastId = lastId,
            FirstId = firstId,
            MaxDeletedId = maxDeletedId,
            EntriesAdded = entriesAdded,
        };
        s.nodes.AddRange(nodes);
        return s;
    }

    /// <summary>The ID XADD would generate with "*" at time <paramref name="nowMs"/>.</summary>
    public StreamId NextId(long nowMs)
    {
        ulong ms = (ulong)nowMs;
        if (LastId.Ms < ms) return new StreamId(ms, 0);
        LastId.TryIncrement(out var next);
        return next;
    }

    /// <summary>
    /// Appends an entry whose ID the caller checked to be greater than <see cref="LastId"/>, starting a new node when
    /// the tail node is full by the node limits.
    /// </summary>
    public void Append(StreamId id, byte[][] pairs, long nodeMaxBytes, long nodeMaxEntries)
    {
        if (nodeMaxBytes <= 0 || nodeMaxBytes > NodeMaxSizeLimit) nodeMaxBytes = NodeMaxSizeLimit;
        long rawBytes = 0;
        foreach (var p in pairs) rawBytes += p.Length;
        StreamNode? tail = nodes.Count > 0 ? nodes[^1] : null;
        if (tail is not null &&
            (tail.Bytes + rawBytes >= nodeMaxBytes || (nodeMaxEntries > 0 && tail.Live + tail.Tombstones >= nodeMaxEntries)))
            tail = null;
        if (tail is null)
        {
            tail = new StreamNode(id, pairs);
            nodes.Add(tail);
        }
        tail.Append(id, pairs);
        Length++;
        EntriesAdded++;
        LastId = id;
        if (Length == 1) FirstId = id;
    }

    /// <summary>The entries from <paramref name="start"/> to <paramref name="end"/> inclusive, forward or reverse, tombstones skipped; fields packed.</summary>
    public IEnumerable<(StreamId Id, byte[] Fields)> Range(StreamId start, StreamId end, bool reverse = false)
    {
        if (start > end || nodes.Count == 0) yield break;
        if (!reverse)
        {
            for (int n = NodeAtOrBefore(start); n < nodes.Count; n++)
            {
                var node = nodes[n];
                if (node.MasterId > end) yield break;
                for (int i = node.LowerBound(start); i < node.Count; i++)
                {
                    var item = node[i];
                    if (item.Id > end) yield break;
                    if (!item.Deleted) yield return (item.Id, item.Fields);
                }
            }
        }
        else
        {
            for (int n = NodeAtOrBefore(end); n >= 0; n--)
            {
                var node = nodes[n];
                if (node.LastId < start) yield break;
                int i = node.LowerBound(end);
                if (i == node.Count || node[i].Id > end) i--;
                for (; i >= 0; i--)
                {
                    var item = node[i];
                    if (item.Id < start) yield break;
                    if (!item.Deleted) yield return (item.Id, item.Fields);
                }
            }
        }
    }

    /// <summary>The packed fields and values of a live entry (<see cref="StreamEntryCodec"/>), or null.</summary>
    public byte[]? Get(StreamId id)
    {
        if (!Find(id, out var node, out int index)) return null;
        return node[index].Fields;
    }

    /// <summary>The last live entry's ID, or 0-0 when empty.</summary>
    public StreamId LastValidId()
    {
        foreach (var (id, _) in Range(StreamId.Min, StreamId.Max, reverse: true)) return id;
        return StreamId.Min;
    }

    /// <summary>XDEL of one ID: marks it deleted, drops its node once empty, and updates the edge IDs.</summary>
    public bool Delete(StreamId id)
    {
        if (!Find(id, out var node, out int index)) return false;
        node.Delete(index);
        if (node.Live == 0) nodes.Remove(node);
        Length--;
        if (id > MaxDeletedId) MaxDeletedId = id;
        if (Length == 0) FirstId = StreamId.Min;
        else if (id == FirstId) FirstId = FirstLiveId();
        return true;
    }

    /// <summary>
    /// Trims to <paramref name="maxLen"/> entries or to IDs not below <paramref name="minId"/> (when maxLen is negative),
    /// as Redis does: whole nodes from the head, then, unless approximate, entries within the next node; at most
    /// <paramref name="limit"/> entries when positive. Returns the number removed.
    /// </summary>
    public long Trim(long maxLen, StreamId minId, bool approx, long limit)
    {
        bool byLength = maxLen >= 0;
        long deleted = 0;
        while (nodes.Count > 0)
        {
            if (byLength && Length <= maxLen) break;
            var node = nodes[0];
            int entries = node.Live;
            if (limit > 0 && deleted + entries > limit) break;
            bool removeNode = byLength ? Length - entries >= maxLen : node.LastId < minId;
            if (removeNode)
            {
                nodes.RemoveAt(0);
                Length -= entries;
                deleted += entries;
                continue;
            }
            if (approx) break;
            for (int i = 0; i < node.Count; i++)
            {
                if (byLength ? Length <= maxLen : node[i].Id >= minId) break;
                if (node.Delete(i))
                {
                    Length--;
                    deleted++;
                }
            }
            break;
        }
        if (Length == 0) FirstId = StreamId.Min;
        else if (deleted > 0) FirstId = FirstLiveId();
        return deleted;
    }

    public StreamGroup? LookupGroup(ReadOnlySpan<byte> name)
    {
        if (Groups is null) return null;
        return Groups.TryGetValue(name.ToArray(), out var g) ? g : null;
    }

    /// <summary>Creates a consumer group; null if the name is taken.</summary>
    public StreamGroup? CreateGroup(byte[] name, StreamId lastId, long entriesRead)
    {
        Groups ??= new SortedDictionary<byte[], StreamGroup>(ByteArrayComparer.Instance);
        if (Groups.ContainsKey(name)) return null;
        var group = new StreamGroup(lastId, entriesRead);
        Groups.Add(name, group);
        return group;
    }

    public bool DestroyGroup(byte[] name) => Groups is not null && Groups.Remove(name);

    /// <summary>True if a tombstone may lie between <paramref name="start"/> and <paramref name="end"/> (Redis's streamRangeHasTombstones).</summary>
    public bool RangeHasTombstones(StreamId start, StreamId end)
    {
        if (Length == 0 || MaxDeletedId.IsZero) return false;
        if (FirstId > MaxDeletedId) return false;
        return start <= MaxDeletedId && MaxDeletedId <= end;
    }

    /// <summary>
    /// The logical read counter of <paramref name="id"/>, its distance from the first entry ever added, when it can be
    /// known without scanning; <see cref="StreamGroup.InvalidEntriesRead"/> otherwise.
    /// </summary>
    public long EstimateDistanceFromFirstEverEntry(StreamId id)
    {
        if (EntriesAdded == 0) return 0;
        if (Length == 0 && id <= LastId) return EntriesAdded;
        int cmpLast = id.CompareTo(LastId);
        if (cmpLast == 0) return EntriesAdded;
        if (cmpLast > 0) return StreamGroup.InvalidEntriesRead;
        if (MaxDeletedId.IsZero || MaxDeletedId < FirstId)
        {
            int cmpFirst = id.CompareTo(FirstId);
            if (cmpFirst < 0) return EntriesAdded - Length;
            if (cmpFirst == 0) return EntriesAdded - Length + 1;
        }
        return StreamGroup.InvalidEntriesRead;
    }

    /// <summary>A group's lag (entries not yet delivered to it), or null when fragmentation makes it unknowable.</summary>
    public long? Lag(StreamGroup group)
    {
        if (EntriesAdded == 0) return 0;
        if (group.EntriesRead != StreamGroup.InvalidEntriesRead && !RangeHasTombstones(group.LastId, StreamId.Max))
            return EntriesAdded - group.EntriesRead;
        long read = EstimateDistanceFromFirstEverEntry(group.LastId);
        return read != StreamGroup.InvalidEntriesRead ? EntriesAdded - read : null;
    }

    /// <summary>Advances a group past an entry it delivers, keeping its entries-read counter as Redis does.</summary>
    public void AdvanceGroup(StreamGroup group, StreamId id)
    {
        if (id <= group.LastId) return;
        if (group.EntriesRead != StreamGroup.InvalidEntriesRead && !RangeHasTombstones(id, StreamId.Max))
            group.EntriesRead++;
        else if (EntriesAdded != 0)
            group.EntriesRead = EstimateDistanceFromFirstEverEntry(id);
        group.LastId = id;
    }

    /// <summary>COPY: the entries, counters, groups, consumers and pending entries, sharing nothing mutable.</summary>
    public IRedisObject DeepCopy()
    {
        var copy = new StreamValue
        {
            Length = Length,
            LastId = LastId,
            FirstId = FirstId,
            MaxDeletedId = MaxDeletedId,
            EntriesAdded = EntriesAdded,
        };
        foreach (var node in nodes) copy.nodes.Add(node.Clone());
        foreach (var (name, group) in Groups ?? [])
        {
            var g = copy.CreateGroup(name, group.LastId, group.EntriesRead)!;
            foreach (var consumer in group.Consumers.Values)
            {
                var c = g.CreateConsumer(consumer.Name, consumer.SeenTime)!;
                foreach (var (id, pending) in consumer.Pending.All())
                {
                    var p = new PendingEntry(c, pending.DeliveryTime) { DeliveryCount = pending.DeliveryCount };
                    g.Pending.TryAdd(id, p);
                    c.Pending.TryAdd(id, p);
                }
            }
        }
        return copy;
    }

    StreamId FirstLiveId()
    {
        foreach (var (id, _) in Range(StreamId.Min, StreamId.Max)) return id;
        return StreamId.Max;
    }

    bool Find(StreamId id, out StreamNode node, out int index)
    {
        node = null!;
        index = 0;
        if (nodes.Count == 0) return false;
        node = nodes[NodeAtOrBefore(id)];
        index = node.LowerBound(id);
        return index < node.Count && node[index].Id == id && !node[index].Deleted;
    }

    /// <summary>The index of the last node whose first ID is at most <paramref name="id"/>, or 0.</summary>
    int NodeAtOrBefore(StreamId id)
    {
        int lo = 0, hi = nodes.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (nodes[mid].MasterId <= id) lo = mid + 1;
            else hi = mid;
        }
        return Math.Max(lo - 1, 0);
    }
}
