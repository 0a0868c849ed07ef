using Carmine.Server.Commands;

namespace Carmine.Server;

/// <summary>LATENCY: per-event latency spikes above latency-monitor-threshold, with their history.</summary>
public sealed class LatencyMonitor
{
    public sealed class EventHistory
    {
        public readonly List<(long Time, long Ms)> Samples = [];
        public long MaxMs;
    }

    const int HistoryLength = 160;
    readonly Dictionary<string, EventHistory> events = new(StringComparer.Ordinal);
    readonly object gate = new();

    /// <summary>Cached from latency-monitor-threshold (milliseconds); 0 disables monitoring.</summary>
    public long ThresholdMs { get; set; }

    public void RecordCommand(CommandDef cmd, long elapsedUs)
    {
        long ms = elapsedUs / 1000;
        if (ThresholdMs == 0 || ms < ThresholdMs) return;
        Add(cmd.Has(CommandFlags.Fast) ? "fast-command" : "command", ms);
    }

    public void Add(string eventName, long ms)
    {
        if (ThresholdMs == 0 || ms < ThresholdMs) return;
        long now = Clock.NowMs() / 1000;
        lock (gate)
        {
            if (!events.TryGetValue(eventName, out var h)) events[eventName] = h = new EventHistory();
            if (h.Samples.Count > 0 && h.Samples[^1].Time == now)
            {
                if (h.Samples[^1].Ms < ms) h.Samples[^1] = (now, ms);
            }
            else h.Samples.Add((now, ms));
            if (h.Samples.Count > HistoryLength) h.Samples.RemoveAt(0);
            h.MaxMs = Math.Max(h.MaxMs, ms);
        }
    }

    public List<(string Name, long Time, long Ms, long MaxMs)> Latest()
    {
        lock (gate)
            return events.Select(e => (e.Key, e.Value.Samples[^1].Time, e.Value.Samples[^1].Ms, e.Value.MaxMs)).ToList();
    }

    public List<(long Time, long Ms)> History(string name)
    {
        lock (gate) return events.TryGetValue(name, out var h) ? [.. h.Samples] : [];
    }

    public int Reset(IReadOnlyCollection<string> names)
    {
        lock (gate)
        {
            if (names.Count == 0)
            {
                int n = events.Count;
                events.Clear();
                return n;
            }
            return names.Count(events.Remove);
        }
    }
}
