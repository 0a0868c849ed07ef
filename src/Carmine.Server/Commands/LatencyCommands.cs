using System.Globalization;
using System.Text;
using Carmine.Server.Network;

namespace Carmine.Server.Commands;

/// <summary>LATENCY: the latency monitor's events (<see cref="LatencyMonitor"/>) and per-command latency histograms (latency.c in Redis).</summary>
[Command("latency", -2, Group = "server", Since = "2.8.13", Summary = "A container for latency diagnostics commands", Complexity = "Depends on subcommand.")]
static class LatencyCommands
{
    const string AdminFlags = "admin noscript loading stale";
    const string Tips = "nondeterministic_output request_policy:all_nodes response_policy:special";

    [Command("latency|latest", 2, Flags = AdminFlags, Group = "server", Since = "2.8.13", Tips = Tips,
        Summary = "Return the latest latency samples for all events.", Complexity = "O(1)")]
    static void Latest(Client c)
    {
        var events = c.Server.Latency.Latest();
        c.Reply.ArrayHeader(events.Count);
        foreach (var (name, time, ms, max) in events)
        {
            c.Reply.ArrayHeader(4);
            c.Reply.Bulk(name);
            c.Reply.Integer(time);
            c.Reply.Integer(ms);
            c.Reply.Integer(max);
        }
    }

    [Command("latency|history", 3, Flags = AdminFlags, Group = "server", Since = "2.8.13", Tips = Tips,
        Arguments = ["event:string"],
        Summary = "Return timestamp-latency samples for the event.", Complexity = "O(1)")]
    static void History(Client c)
    {
        var samples = c.Server.Latency.History(c.Args.ToStr(2));
        c.Reply.ArrayHeader(samples.Count);
        foreach (var (time, ms) in samples)
        {
            c.Reply.ArrayHeader(2);
            c.Reply.Integer(time);
            c.Reply.Integer(ms);
        }
    }

    [Command("latency|reset", -2, Flags = AdminFlags, Group = "server", Since = "2.8.13", Tips = "request_policy:all_nodes response_policy:all_succeeded",
        Arguments = ["event:string optional multiple"],
        Summary = "Reset latency data for one or more events.", Complexity = "O(1)")]
    static void Reset(Client c)
    {
        var names = new List<string>();
        for (int i = 2; i < c.Args.Count; i++) names.Add(c.Args.ToStr(i));
        c.Reply.Integer(c.Server.Latency.Reset(names));
    }

    [Command("latency|graph", 3, Flags = AdminFlags, Group = "server", Since = "2.8.13", Tips = Tips,
        Arguments = ["event:string"],
        Summary = "Return a latency graph for the event.", Complexity = "O(1)")]
    static void Graph(Client c)
    {
        string name = c.Args.ToStr(2);
        var samples = c.Server.Latency.History(name);
        if (samples.Count == 0)
        {
            c.Error($"ERR No samples available for event '{name}'");
            return;
        }
        long maxAllTime = c.Server.Latency.Latest().First(e => e.Name == name).MaxMs;
        long now = Clock.NowMs() / 1000;
        var graph = new StringBuilder();
        graph.Append(CultureInfo.InvariantCulture,
            $"{name} - high {samples.Max(s => s.Ms)} ms, low {samples.Min(s => s.Ms)} ms (all time high {maxAllTime} ms)\n");
        graph.Append('-', 80).Append('\n');
        var labelled = samples.Select(s => (s.Ms, Label: AgeLabel(now - s.Time))).ToList();
        Sparkline.Render(graph, labelled, columns: 80, rows: 4);
        c.Reply.Verbatim(graph.ToString());
    }

    /// <summary>How long ago a sample was taken, as the graph labels it: 12s, 5m, 3h, 2d.</summary>
    static string AgeLabel(long seconds) => seconds switch
    {
        < 60 => $"{seconds}s",
        < 3600 => $"{seconds / 60}m",
        < 86400 => $"{seconds / 3600}h",
        _ => $"{seconds / 86400}d",
    };

    [Command("latency|doctor", 2, Flags = AdminFlags, Group = "server", Since = "2.8.13", Tips = Tips,
        Summary = "Return a human readable latency analysis report.", Complexity = "O(1)")]
    static void Doctor(Client c) => c.Reply.Verbatim(LatencyDoctor.Report(c.Server));

    [Command("latency|histogram", -2, Flags = AdminFlags, Group = "server", Since = "7.0.0", Tips = Tips,
        Arguments = ["command:string optional multiple"],
        Summary = "Return the cumulative distribution of latencies of a subset of commands or all.",
        Complexity = "O(N) where N is the number of commands with latency information being retrieved.")]
    static void Histogram(Client c)
    {
        var table = c.Server.Commands;
        var chosen = new List<CommandDef>();
        if (c.Args.Count == 2) chosen.AddRange(table.All);
        for (int i = 2; i < c.Args.Count; i++)
            if (CommandCommands.FindByFullName(table, c.Args.ToStr(i)) is { } cmd) chosen.Add(cmd);
        var withData = new List<(CommandDef Cmd, long[] Buckets)>();
        foreach (var cmd in chosen)
        {
            AddIfRecorded(cmd, withData);
            if (cmd.Subcommands is null) continue;
            foreach (var sub in cmd.Subcommands.Values) AddIfRecorded(sub, withData);
        }
        var r = c.Reply;
        r.MapHeader(withData.Count);
        foreach (var (cmd, buckets) in withData)
        {
            r.Bulk(cmd.FullName);
            r.MapHeader(2);
            r.Bulk("calls"u8);
            r.Integer(buckets.Sum());
            r.Bulk("histogram_usec"u8);
            var distribution = LatencyHistogram.Cumulative(buckets);
            r.MapHeader(distribution.Count);
            foreach (var (upperUs, cumulative) in distribution)
            {
                r.Integer(upperUs);
                r.Integer(cumulative);
            }
        }
    }

    /// <summary>Sums a command's histogram over the executing threads; adds it if the command was ever called.</summary>
    static void AddIfRecorded(CommandDef cmd, List<(CommandDef, long[])> withData)
    {
        long[]? sum = null;
        foreach (var stats in cmd.Stats)
        {
            if (stats.Latency is not { } counts) continue;
            sum ??= new long[LatencyHistogram.CountsLength];
            for (int k = 0; k < counts.Length; k++) sum[k] += counts[k];
        }
        if (sum is not null) withData.Add((cmd, sum));
    }

    [Command("latency|help", 2, Flags = "loading stale", Group = "server", Since = "2.8.13",
        Summary = "Show helpful text about the different subcommands.", Complexity = "O(1)")]
    static void Help(Client c) => c.HelpReply("LATENCY",
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
        "    If no commands are specified then all histograms are replied.");
}
