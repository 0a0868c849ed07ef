using Carmine.Server.Types;

namespace Carmine.Server.Keyspace;

/// <summary>
/// Redis frees a deleted value in a background thread when freeing it takes many allocations (UNLINK, FLUSHALL
/// ASYNC). The GC frees Carmine's values either way; this keeps Redis's measure of that effort so INFO's
/// lazyfreed_objects counts what Redis would have freed lazily.
/// </summary>
public static class LazyFree
{
    /// <summary>Values of more allocations than this are freed lazily (LAZYFREE_THRESHOLD).</summary>
    public const long Threshold = 64;

    /// <summary>Allocations Redis would free for the value: quicklist nodes, hash table or skiplist entries, stream nodes and groups.</summary>
    public static long FreeEffort(object value) => value switch
    {
        ListValue list => list.NodeCount,
        SetValue set => set.Ints is null ? set.Count : 1,
        HashValue hash => hash.IsListpack ? 1 : hash.Count,
        SortedSet zset => zset.IsCompact ? 1 : zset.Count,
        StreamValue stream => stream.NodeCount + GroupsEffort(stream),
        _ => 1,
    };

    /// <summary>Every group and its pending entries, estimated from the first group as Redis does.</summary>
    static long GroupsEffort(StreamValue stream)
    {
        if (stream.Groups is not { Count: > 0 } groups) return 0;
        return groups.Count * (1L + groups.First().Value.Pending.Count);
    }
}
