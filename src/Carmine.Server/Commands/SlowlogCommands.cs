using Carmine.Server.Network;

namespace Carmine.Server.Commands;

/// <summary>SLOWLOG: reading and clearing <see cref="SlowLog"/> (slowlog.c in Redis).</summary>
[Command("slowlog", -2, Group = "server", Since = "2.2.12", Summary = "A container for slow log commands", Complexity = "Depends on subcommand.")]
static class SlowlogCommands
{
    [Command("slowlog|get", -2, Flags = "admin loading stale", Group = "server", Since = "2.2.12",
        Tips = "request_policy:all_nodes nondeterministic_output", History = ["4.0.0: Added client IP address, port and name to the reply."],
        Arguments = ["count:integer optional"],
        Summary = "Get the slow log's entries", Complexity = "O(N) where N is the number of entries returned")]
    static void Get(Client c)
    {
        if (c.Args.Count > 3)
        {
            c.SubcommandSyntaxError();
            return;
        }
        long count = 10;
        if (c.Args.Count == 3 && !c.TryLongInRange(2, -1, long.MaxValue, out count, "ERR count should be greater than or equal to -1"))
            return;
        var entries = c.Server.SlowLog.Latest(count == -1 ? -1 : (int)Math.Min(count, int.MaxValue));
        var r = c.Reply;
        r.ArrayHeader(entries.Count);
        foreach (var e in entries)
        {
            r.ArrayHeader(6);
            r.Integer(e.Id);
            r.Integer(e.Timestamp);
            r.Integer(e.DurationUs);
            r.ArrayHeader(e.Args.Length);
            foreach (var a in e.Args) r.Bulk(a);
            r.Bulk(e.ClientAddress);
            r.Bulk(e.ClientName);
        }
    }

    [Command("slowlog|len", 2, Flags = "admin loading stale", Group = "server", Since = "2.2.12",
        Tips = "request_policy:all_nodes response_policy:agg_sum nondeterministic_output",
        Summary = "Get the slow log's length", Complexity = "O(1)")]
    static void Len(Client c) => c.Reply.Integer(c.Server.SlowLog.Length);

    [Command("slowlog|reset", 2, Flags = "admin loading stale", Group = "server", Since = "2.2.12",
        Tips = "request_policy:all_nodes response_policy:all_succeeded",
        Summary = "Clear all entries from the slow log", Complexity = "O(N) where N is the number of entries in the slowlog")]
    static void Reset(Client c)
    {
        c.Server.SlowLog.Reset();
        c.Reply.Ok();
    }

    [Command("slowlog|help", 2, Flags = "loading stale", Group = "server", Since = "6.2.0",
        Summary = "Show helpful text about the different subcommands", Complexity = "O(1)")]
    static void Help(Client c) => c.HelpReply("SLOWLOG",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.");
}
