using System.Numerics;

namespace Carmine.Server;

/// <summary>
/// Per-command latency counts laid out as Redis's HdrHistogram (1 ns to 1 s, 2 significant digits): a count per
/// value range, ranges doubling in width every 128 slots. LATENCY HISTOGRAM's bucket bounds (1, 2, 4, 8, 16, 33 ...
/// microseconds) and INFO latencystats' percentiles come out as Redis computes them.
/// </summary>
public static class LatencyHistogram
{
    const int HalfCountMagnitude = 7;
    const int HalfCount = 1 << HalfCountMagnitude;
    const long SubBucketMask = 2 * HalfCount - 1;
    const long MaxNs = 1_000_000_000;
    const int BucketCount = 23;

    public const int CountsLength = (BucketCount + 1) * HalfCount;

    /// <summary>The slot of a latency given in microseconds, clamped to 1 ns .. 1 s like Redis.</summary>
    public static int Index(long microseconds) => IndexOfNs(Math.Clamp(microseconds * 1000, 1, MaxNs));

    static int Bucket(long ns) => 64 - BitOperations.LeadingZeroCount((ulong)(ns | SubBucketMask)) - (HalfCountMagnitude + 1);

    static int IndexOfNs(long ns)
    {
        int bucket = Bucket(ns);
        long sub = ns >> bucket;
        return (int)(((bucket + 1) << HalfCountMagnitude) + (sub - HalfCount));
    }

    /// <summary>The lowest latency (ns) counted in a slot: the slot's lowest equivalent value.</summary>
    static long ValueAt(int index)
    {
        int bucket = (index >> HalfCountMagnitude) - 1;
        long sub = (index & (HalfCount - 1)) + HalfCount;
        if (bucket < 0)
        {
            sub -= HalfCount;
            bucket = 0;
        }
        return sub << bucket;
    }

    /// <summary>The highest latency (ns) counted in the same slot as <paramref name="ns"/>.</summary>
    static long HighestEquivalent(long ns)
    {
        int bucket = Bucket(ns);
        long sub = ns >> bucket;
        int width = sub >= 2 * HalfCount ? bucket + 1 : bucket;
        return (sub << bucket) + (1L << width) - 1;
    }

    /// <summary>
    /// LATENCY HISTOGRAM's cumulative distribution: for each power of two from 1024 ns, the calls at or below the
    /// slot holding it, keyed by that slot's upper bound in microseconds; bounds that add no call are left out.
    /// </summary>
    public static List<(long UpperUs, long Cumulative)> Cumulative(long[] counts)
    {
        long total = counts.Sum();
        var result = new List<(long, long)>();
        long cumulative = 0, previous = 0;
        int index = 0;
        for (long level = 1024; cumulative < total; level <<= 1)
        {
            int upTo = IndexOfNs(level);
            for (; index <= upTo && index < counts.Length; index++) cumulative += counts[index];
            if (cumulative > previous) result.Add((HighestEquivalent(level) / 1000, cumulative));
            previous = cumulative;
        }
        return result;
    }

    /// <summary>The latency (µs) at a percentile, as INFO latencystats reports it (hdr_value_at_percentile / 1000).</summary>
    public static double PercentileUs(long[] counts, double percentile)
    {
        long total = counts.Sum();
        long wanted = Math.Max(1, (long)(Math.Min(percentile, 100.0) / 100 * total + 0.5));
        long cumulative = 0;
        long value = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            cumulative += counts[i];
            if (cumulative >= wanted)
            {
                value = ValueAt(i);
                break;
            }
        }
        return (percentile == 0 ? value : HighestEquivalent(value)) / 1000.0;
    }
}
