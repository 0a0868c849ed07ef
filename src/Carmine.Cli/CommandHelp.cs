using System.Text;
using Carmine.Protocol;

namespace Carmine.Cli;

/// <summary>"help COMMAND" and "help @group", built from the server's COMMAND DOCS as redis-cli 7 does.</summary>
public static class CommandHelp
{
    sealed record Entry(string[] Words, string Full, string Params, string Summary, string? Since, string Group);

    static List<Entry>? entries;

    public static void Print(CliSession session, string[] args)
    {
        if (args.Length == 0)
        {
            session.WriteOut(
                $"carmine-cli {Program.Version}\n" +
                "To get help about Redis commands type:\n" +
                "      \"help @<group>\" to get a list of commands in <group>\n" +
                "      \"help <command>\" for help on <command>\n" +
                "      \"quit\" to exit\n");
            return;
        }
        entries ??= Load(session);
        var o = new StringBuilder();
        string? group = args[0].StartsWith('@') ? args[0][1..] : null;
        foreach (var e in entries)
        {
            if (group is null)
            {
                if (args.Length <= e.Words.Length && args.Select((a, i) => a.Equals(e.Words[i], StringComparison.OrdinalIgnoreCase)).All(m => m))
                    Describe(o, e, withGroup: true);
            }
            else if (group.Equals(e.Group, StringComparison.OrdinalIgnoreCase))
                Describe(o, e, withGroup: false);
        }
        o.Append("\r\n");
        session.WriteOut(o.ToString());
    }

    /// <summary>
    /// Tab completions of a line: command names (subcommands as "CLIENT LIST") it begins, and after "help " also
    /// "@group" names, as redis-cli completes.
    /// </summary>
    public static List<string> Complete(CliSession session, string line)
    {
        entries ??= Load(session);
        bool help = line.StartsWith("help ", StringComparison.OrdinalIgnoreCase);
        string head = help ? line[..5] : "";
        string prefix = help ? line[5..].TrimStart() : line;
        var names = entries.Select(e => e.Full);
        if (help) names = names.Concat(entries.Select(e => "@" + e.Group).Distinct(StringComparer.Ordinal));
        return names.Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).Select(n => head + n).ToList();
    }

    /// <summary>
    /// The hint redis-cli shows after what was typed: the command's argument syntax, less one word per argument
    /// already typed until the first optional one; null when the line names no known command.
    /// </summary>
    public static string? Hint(CliSession session, string line)
    {
        entries ??= Load(session);
        var typed = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (typed.Length == 0) return null;
        bool endsWithSpace = line.EndsWith(' ');
        Entry? match = null;
        foreach (var e in entries)
        {
            if (e.Words.Length > typed.Length || e.Params.Length == 0) continue;
            bool same = true;
            for (int i = 0; i < e.Words.Length && same; i++) same = e.Words[i].Equals(typed[i], StringComparison.OrdinalIgnoreCase);
            if (same && (match is null || e.Words.Length > match.Words.Length)) match = e;
        }
        if (match is null) return null;
        string hint = match.Params;
        int remove = typed.Length - match.Words.Length;
        int at = 0;
        while (remove > 0 && at < hint.Length && hint[at] != '[')
        {
            if (hint[at] == ' ') remove--;
            at++;
        }
        hint = hint[at..];
        if (hint.Length == 0) return null;
        return endsWithSpace ? hint : " " + hint;
    }

    static void Describe(StringBuilder o, Entry e, bool withGroup)
    {
        o.Append($"\r\n  \x1b[1m{e.Full}\x1b[0m \x1b[90m{e.Params}\x1b[0m\r\n");
        o.Append($"  \x1b[33msummary:\x1b[0m {e.Summary}\r\n");
        if (e.Since is not null) o.Append($"  \x1b[33msince:\x1b[0m {e.Since}\r\n");
        if (withGroup) o.Append($"  \x1b[33mgroup:\x1b[0m {e.Group}\r\n");
    }

    static List<Entry> Load(CliSession session)
    {
        var list = new List<Entry>();
        RespValue docs;
        try { docs = session.Call("COMMAND", "DOCS"); }
        catch (IOException) { return list; }
        if (docs.Items is null) return list;
        for (int i = 0; i + 1 < docs.Items.Length; i += 2)
            Add(list, docs.Items[i].Text!, null, docs.Items[i + 1]);
        list.Sort((a, b) => string.CompareOrdinal(a.Full, b.Full));
        return list;
    }

    static void Add(List<Entry> list, string command, string? subcommand, RespValue spec)
    {
        var words = subcommand is null
            ? new[] { command.ToUpperInvariant() }
            : new[] { command.ToUpperInvariant(), subcommand[(subcommand.IndexOf('|') + 1)..].ToUpperInvariant() };
        string summary = "", group = "", parameters = "";
        string? since = null;
        var fields = spec.Items ?? [];
        for (int j = 0; j + 1 < fields.Length; j += 2)
        {
            var value = fields[j + 1];
            switch (fields[j].Text)
            {
                case "summary": summary = value.Text ?? ""; break;
                case "since": since = value.Text; break;
                case "group": group = value.Text ?? ""; break;
                case "arguments": parameters = Arguments(value, " "); break;
                case "subcommands":
                    for (int k = 0; k + 1 < value.Items!.Length; k += 2)
                        Add(list, command, value.Items[k].Text!, value.Items[k + 1]);
                    break;
            }
        }
        list.Add(new Entry(words, string.Join(' ', words), parameters, summary, since, group));
    }

    static string Arguments(RespValue args, string separator) =>
        string.Join(separator, (args.Items ?? []).Select(Argument));

    // Renders one argument in the docs' syntax: [TOKEN name], a|b, name [name ...].
    static string Argument(RespValue arg)
    {
        string? name = null, type = null;
        string token = "";
        bool optional = false, multiple = false, multipleToken = false;
        RespValue? nested = null;
        var f = arg.Items ?? [];
        for (int i = 0; i + 1 < f.Length; i += 2)
        {
            var v = f[i + 1];
            switch (f[i].Text)
            {
                case "name": name = v.Text; break;
                case "token": token = v.Text ?? ""; break;
                case "type": type = v.Text; break;
                case "arguments": nested = v; break;
                case "flags":
                    foreach (var flag in v.Items ?? [])
                    {
                        optional |= flag.Text == "optional";
                        multiple |= flag.Text == "multiple";
                        multipleToken |= flag.Text == "multiple_token";
                    }
                    break;
            }
        }
        string repeat = type switch
        {
            "oneof" => nested is null ? "" : Arguments(nested, "|"),
            "block" => nested is null ? "" : Arguments(nested, " "),
            "pure-token" => "",
            _ => name ?? "",
        };
        if (token.Length > 0 && type != "pure-token") token += " ";
        var s = new StringBuilder();
        if (optional) s.Append('[');
        s.Append(token).Append(repeat);
        if (multiple)
        {
            s.Append(" [");
            if (multipleToken) s.Append(token);
            s.Append(repeat).Append(" ...]");
        }
        if (optional) s.Append(']');
        return s.ToString();
    }
}
