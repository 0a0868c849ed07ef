using System.Numerics;

namespace Carmine.Server;

/// <summary>
/// The buckets of LATENCY HISTOGRAM: powers of two from 1024 ns to 1 s, each ending where Redis's HdrHistogram
/// (2 significant digits) ends it, so the reported microsecond bounds (1, 2, 4, 8, 16, 33, 66 ...) match Redis's.
/// </summary>
public static class LatencyHistogram
{
    public const int Buckets = 21;
    const long MaxNs = 1_000_000_000;

    /// <summary>The largest latency, in nanoseconds, counted in bucket <paramref name="k"/>.</summary>
    static long UpperNs(int k) => (1024L << k) + (1L << (k + 3)) - 1;

    /// <summary>The bucket's bound as LATENCY HISTOGRAM prints it, in microseconds.</summary>
    public static long UpperUs(int k) => UpperNs(k) / 1000;

    public static int Bucket(long microseconds)
    {
        long ns = Math.Clamp(microseconds * 1000, 1, MaxNs);
        int k = Math.Max(0, BitOperations.Log2((ulong)ns) - 10);
        if (ns > UpperNs(k)) k++;
        return Math.Min(k, Buckets - 1);
    }
}
