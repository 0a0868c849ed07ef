using Carmine.Server.Network;

namespace Carmine.Server;

/// <summary>SLOWLOG: the most recent commands that took longer than slowlog-log-slower-than microseconds.</summary>
public sealed class SlowLog
{
    public sealed record Item(long Id, long Timestamp, long DurationUs, byte[][] Args, string ClientAddress, string ClientName);

    readonly LinkedList<Item> items = new();
    readonly object gate = new();
    long nextId;

    /// <summary>Cached from slowlog-log-slower-than; negative disables the log.</summary>
    public long ThresholdUs { get; set; } = 10000;
    public int MaxLength { get; set; } = 128;

    public void Add(Client c, long durationUs)
    {
        var args = c.Args;
        int n = Math.Min(args.Count, 32);
        var kept = new byte[n][];
        for (int i = 0; i < n; i++)
        {
            if (i == 31 && args.Count > 32)
            {
                kept[i] = System.Text.Encoding.ASCII.GetBytes($"... ({args.Count - 31} more arguments)");
                break;
            }
            var a = c.IsRedacted(i) ? "(redacted)"u8 : args[i];
            kept[i] = a.Length > 128
                ? [.. a[..128], .. System.Text.Encoding.ASCII.GetBytes($"... ({a.Length - 128} more bytes)")]
                : a.ToArray();
        }
        lock (gate)
        {
            items.AddFirst(new Item(nextId++, Clock.NowMs() / 1000, durationUs, kept, c.Address, c.NameText));
            while (items.Count > MaxLength) items.RemoveLast();
        }
    }

    public List<Item> Latest(int count)
    {
        lock (gate) return items.Take(count < 0 ? items.Count : count).ToList();
    }

    public int Length
    {
        get { lock (gate) return items.Count; }
    }

    public void Reset()
    {
        lock (gate) items.Clear();
    }

    public void Trim()
    {
        lock (gate)
            while (items.Count > MaxLength) items.RemoveLast();
    }
}
