using Carmine.Server.Commands;

namespace Carmine.Server.Keyspace;

/// <summary>
/// What one key costs in the maxmemory accounting: MEMORY USAGE's estimate in Redis's terms (key string, dictionary
/// entry, value) plus the expires entry of a volatile key. Collections are sampled so the cost stays O(samples).
/// </summary>
public static class KeySize
{
    /// <summary>Elements measured per collection; the rest is scaled from their average.</summary>
    const long Samples = 5;

    /// <summary>An entry of the expires dictionary (key pointer and time).</summary>
    public const int ExpiresEntry = 24;

    public static int Of(Entry e)
    {
        long size = MemoryUsage.Key(e.Key.Length) + MemoryUsage.Value(e.Value, Samples, sampleCompact: true);
        if (e.ExpireAt != 0) size += ExpiresEntry;
        return (int)Math.Min(size, int.MaxValue);
    }
}
