using System.Text;
using Carmine.Protocol;
using Carmine.Server.Network;

namespace Carmine.Server.Commands;

/// <summary>INFO [section ...]: the server's state as "field:value" lines grouped in "# Section" blocks, as Redis 7.0 prints them.</summary>
static class InfoCommand
{
    [Command("info", -1, Flags = "loading stale sentinel", Acl = "dangerous", Group = "server",
        Tips = "nondeterministic_output request_policy:all_shards response_policy:special",
        Summary = "Get information and statistics about the server", Complexity = "O(1)")]
    static void Info(Client c)
    {
        var selection = InfoSelection.Parse(c.Args, 1);
        c.Reply.Verbatim(Generate(c.Server, selection));
    }

    /// <summary>Every section in Redis's order, with the name that selects it.</summary>
    static readonly (string Name, Action<StringBuilder, RedisServer> Write)[] Sections =
    [
        ("server", InfoSections.Server),
        ("clients", InfoSections.Clients),
        ("memory", InfoSections.Memory),
        ("persistence", InfoSections.Persistence),
        ("stats", InfoSections.Stats),
        ("replication", InfoSections.Replication),
        ("cpu", InfoSections.Cpu),
        ("modules", InfoSections.Modules),
        ("commandstats", InfoSections.CommandStats),
        ("errorstats", InfoSections.ErrorStats),
        ("latencystats", InfoSections.LatencyStats),
        ("cluster", InfoSections.Cluster),
        ("keyspace", InfoSections.Keyspace),
    ];

    /// <summary>The INFO text for a selection; sections are separated by an empty line.</summary>
    public static string Generate(RedisServer server, InfoSelection selection)
    {
        var sb = new StringBuilder(4096);
        foreach (var (name, write) in Sections)
        {
            if (!selection.Includes(name)) continue;
            if (sb.Length > 0) sb.Append("\r\n");
            write(sb, server);
        }
        return sb.ToString();
    }
}

/// <summary>
/// Which INFO sections a request asks for: none given means the default set; "default", "all" and
/// "everything" select groups; any other word names one section, case-insensitively.
/// </summary>
sealed class InfoSelection
{
    static readonly string[] DefaultSections =
        ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "module_list", "errorstats", "cluster", "keyspace"];

    readonly HashSet<string> names = new(StringComparer.OrdinalIgnoreCase);
    bool all;

    public static InfoSelection Parse(ArgList args, int first)
    {
        var s = new InfoSelection();
        if (args.Count <= first) s.names.UnionWith(DefaultSections);
        for (int i = first; i < args.Count; i++)
        {
            if (args.Is(i, "default")) s.names.UnionWith(DefaultSections);
            else if (args.Is(i, "all") || args.Is(i, "everything")) s.all = true;
            else s.names.Add(args.ToStr(i));
        }
        return s;
    }

    /// <summary>The modules section answers to both "modules" and "module_list", as in Redis.</summary>
    public bool Includes(string section) =>
        all || names.Contains(section) || (section == "modules" && names.Contains("module_list"));
}
