namespace Carmine.Server.Types;

/// <summary>An entry delivered to a consumer and not yet acknowledged (a NACK in Redis's words).</summary>
public sealed class PendingEntry(StreamConsumer? consumer, long deliveryTime)
{
    /// <summary>The owner; null only for an entry XCLAIM FORCE created before assigning it.</summary>
    public StreamConsumer? Consumer = consumer;
    public long DeliveryTime = deliveryTime;
    public long DeliveryCount = 1;
}

/// <summary>A pending entries list: IDs in order with O(log n) range seeks, and their delivery state.</summary>
public sealed class PendingList
{
    readonly SortedSet<StreamId> order = [];
    readonly Dictionary<StreamId, PendingEntry> entries = [];

    public int Count => entries.Count;

    public bool TryGet(StreamId id, out PendingEntry entry) => entries.TryGetValue(id, out entry!);

    public bool TryAdd(StreamId id, PendingEntry entry)
    {
        if (!entries.TryAdd(id, entry)) return false;
        order.Add(id);
        return true;
    }

    public bool Remove(StreamId id)
    {
        if (!entries.Remove(id)) return false;
        order.Remove(id);
        return true;
    }

    public StreamId First => order.Min;
    public StreamId Last => order.Max;

    /// <summary>The IDs from <paramref name="start"/> to <paramref name="end"/> inclusive, in order.</summary>
    public IEnumerable<(StreamId Id, PendingEntry Entry)> Range(StreamId start, StreamId end)
    {
        if (start > end || entries.Count == 0) yield break;
        foreach (var id in order.GetViewBetween(start, end)) yield return (id, entries[id]);
    }

    public IEnumerable<(StreamId Id, PendingEntry Entry)> All() => Range(StreamId.Min, StreamId.Max);

    /// <summary>The first pending ID at or after <paramref name="from"/>; false if there is none.</summary>
    public bool TryFirstFrom(StreamId from, out StreamId id)
    {
        foreach (var (found, _) in Range(from, StreamId.Max))
        {
            id = found;
            return true;
        }
        id = default;
        return false;
    }
}

/// <summary>A consumer of a group: its name, when it was last seen, and the entries delivered to it.</summary>
public sealed class StreamConsumer(byte[] name, long seenTime)
{
    public byte[] Name { get; } = name;
    public long SeenTime = seenTime;
    public PendingList Pending { get; } = new();
}

/// <summary>A consumer group: the last delivered ID, the logical read counter, the group's PEL and its consumers.</summary>
public sealed class StreamGroup(StreamId lastId, long entriesRead)
{
    /// <summary>The entries-read value that means "unknown" (Redis's SCG_INVALID_ENTRIES_READ).</summary>
    public const long InvalidEntriesRead = -1;

    public StreamId LastId = lastId;
    public long EntriesRead = entriesRead;
    public PendingList Pending { get; } = new();
    /// <summary>Consumers in name order (binary), as Redis's radix tree lists them.</summary>
    public SortedDictionary<byte[], StreamConsumer> Consumers { get; } = new(ByteArrayComparer.Instance);

    /// <summary>Finds a consumer, refreshing its seen time unless <paramref name="refresh"/> is false.</summary>
    public StreamConsumer? Lookup(byte[] name, long nowMs, bool refresh = true)
    {
        if (!Consumers.TryGetValue(name, out var consumer)) return null;
        if (refresh) consumer.SeenTime = nowMs;
        return consumer;
    }

    /// <summary>Creates a consumer; null if one by that name exists.</summary>
    public StreamConsumer? CreateConsumer(byte[] name, long nowMs)
    {
        if (Consumers.ContainsKey(name)) return null;
        var consumer = new StreamConsumer(name, nowMs);
        Consumers.Add(name, consumer);
        return consumer;
    }

    /// <summary>Removes a consumer and its pending entries from the group's PEL.</summary>
    public void DeleteConsumer(StreamConsumer consumer)
    {
        foreach (var (id, _) in consumer.Pending.All().ToList()) Pending.Remove(id);
        Consumers.Remove(consumer.Name);
    }

    /// <summary>Acknowledges an entry: it leaves the group's PEL and its owner's; false if it was not pending.</summary>
    public bool Acknowledge(StreamId id)
    {
        if (!Pending.TryGet(id, out var entry)) return false;
        Pending.Remove(id);
        entry.Consumer?.Pending.Remove(id);
        return true;
    }
}
