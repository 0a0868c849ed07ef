using System.Diagnostics;
using System.Globalization;

namespace Carmine.Cli;

/// <summary>--latency and --latency-history: PING round trips in milliseconds, sampled every 10 ms.</summary>
public static class LatencyMode
{
    internal static readonly TimeSpan SampleRate = TimeSpan.FromMilliseconds(10);
    static readonly TimeSpan DefaultHistoryInterval = TimeSpan.FromSeconds(15);

    public static int Run(CliSession session)
    {
        var o = session.Options;
        var historyInterval = o.Interval > TimeSpan.Zero ? o.Interval : DefaultHistoryInterval;
        // Without a terminal, one line is printed after this long and the mode ends.
        var reportAfter = o.Interval > TimeSpan.Zero ? o.Interval : TimeSpan.FromSeconds(1);
        long min = 0, max = 0, total = 0, count = 0;
        var historyStart = Stopwatch.StartNew();
        while (true)
        {
            if (Ping(session) is not { } elapsed) return 1;
            long latency = (long)elapsed.TotalMilliseconds;
            count++;
            if (count == 1) min = max = total = latency;
            else
            {
                min = Math.Min(min, latency);
                max = Math.Max(max, latency);
                total += latency;
            }
            double avg = (double)total / count;
            if (o.Output == OutputMode.Standard)
            {
                session.WriteOut("\x1b[0G\x1b[2K" + Line(o.Output, min, max, avg, count));
            }
            else if (o.LatencyHistory)
                session.WriteOut(Line(o.Output, min, max, avg, count));
            else if (historyStart.Elapsed > reportAfter)
            {
                session.WriteOut(Line(o.Output, min, max, avg, count));
                return 0;
            }
            if (o.LatencyHistory && historyStart.Elapsed > historyInterval)
            {
                session.WriteOut(string.Format(CultureInfo.InvariantCulture, " -- {0:F2} seconds range\n", historyStart.Elapsed.TotalSeconds));
                historyStart.Restart();
                min = max = total = count = 0;
            }
            Thread.Sleep(SampleRate);
        }
    }

    /// <summary>One PING round trip, or null after printing redis-cli's "I/O error" when the link is lost.</summary>
    internal static TimeSpan? Ping(CliSession session)
    {
        var watch = Stopwatch.StartNew();
        try { session.Call("PING"); }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            Console.Error.Write("\nI/O error\n");
            return null;
        }
        return watch.Elapsed;
    }

    static string Line(OutputMode mode, long min, long max, double avg, long count) => mode switch
    {
        OutputMode.Standard => string.Format(CultureInfo.InvariantCulture, "min: {0}, max: {1}, avg: {2:F2} ({3} samples)", min, max, avg, count),
        OutputMode.Csv => string.Format(CultureInfo.InvariantCulture, "{0},{1},{2:F2},{3}\n", min, max, avg, count),
        _ => string.Format(CultureInfo.InvariantCulture, "{0} {1} {2:F2} {3}\n", min, max, avg, count),
    };
}
