using System.Text;
using Carmine.Protocol;
using Carmine.Server.Network;

namespace Carmine.Server.Commands;

/// <summary>COMMAND and its subcommands: the command table as Redis 7.0 describes itself (server.c's command introspection).</summary>
static class CommandCommands
{
    const string Introspection = "loading stale sentinel";

    [Command("command", -1, Flags = Introspection, Acl = "connection", Group = "server", Since = "2.8.13", Tips = "nondeterministic_output_order",
        Summary = "Get array of Redis command details", Complexity = "O(N) where N is the total number of Redis commands")]
    static void Command(Client c)
    {
        var table = c.Server.Commands;
        c.Reply.ArrayHeader(table.Count);
        foreach (var cmd in table.All) ReplyInfo(c, cmd);
    }

    [Command("command|count", 2, Flags = Introspection, Acl = "connection", Group = "server", Since = "2.8.13",
        Summary = "Get total number of Redis commands", Complexity = "O(1)")]
    static void Count(Client c) => c.Reply.Integer(c.Server.Commands.Count);

    [Command("command|info", -2, Flags = Introspection, Acl = "connection", Group = "server", Since = "2.8.13", Tips = "nondeterministic_output_order",
        Arguments = ["command-name:string optional multiple"],
        History = ["7.0.0: Allowed to be called with no argument to get info on all commands."],
        Summary = "Get array of specific Redis command details, or all when no argument is given.",
        Complexity = "O(N) where N is the number of commands to look up")]
    static void Info(Client c)
    {
        if (c.Args.Count == 2)
        {
            Command(c);
            return;
        }
        c.Reply.ArrayHeader(c.Args.Count - 2);
        for (int i = 2; i < c.Args.Count; i++)
        {
            var cmd = FindByFullName(c.Server.Commands, c.Args.ToStr(i));
            if (cmd is null) c.Reply.Null();
            else ReplyInfo(c, cmd);
        }
    }

    [Command("command|docs", -2, Flags = Introspection, Acl = "connection", Group = "server", Since = "7.0.0", Tips = "nondeterministic_output_order",
        Arguments = ["command-name:string optional multiple"],
        Summary = "Get array of specific Redis command documentation", Complexity = "O(N) where N is the number of commands to look up")]
    static void Docs(Client c)
    {
        var table = c.Server.Commands;
        var found = new List<CommandDef>();
        if (c.Args.Count == 2) found.AddRange(table.All);
        for (int i = 2; i < c.Args.Count; i++)
            if (FindByFullName(table, c.Args.ToStr(i)) is { } cmd) found.Add(cmd);
        c.Reply.MapHeader(found.Count);
        foreach (var cmd in found)
        {
            c.Reply.Bulk(cmd.FullName);
            ReplyDocs(c, cmd);
        }
    }

    [Command("command|list", -2, Flags = Introspection, Acl = "connection", Group = "server", Since = "7.0.0", Tips = "nondeterministic_output_order",
        Arguments = ["filterby:oneof token=FILTERBY optional (module-name:string token=MODULE | category:string token=ACLCAT | pattern:pattern token=PATTERN)"],
        Summary = "Get an array of Redis command names", Complexity = "O(N) where N is the total number of Redis commands")]
    static void List(Client c)
    {
        var args = c.Args;
        Func<CommandDef, bool> filter = _ => true;
        for (int i = 2; i < args.Count; i += 3)
        {
            if (!args.Is(i, "filterby") || args.Count - 1 - i != 2)
            {
                c.Error(Errors.Syntax);
                return;
            }
            byte[] value = args.ToArray(i + 2);
            if (args.Is(i + 1, "module")) filter = _ => false;
            else if (args.Is(i + 1, "aclcat"))
            {
                string category = Encoding.UTF8.GetString(value).ToLowerInvariant();
                filter = cmd => cmd.AclCategories.Contains(category);
            }
            else if (args.Is(i + 1, "pattern")) filter = cmd => GlobMatch.Match(value, Encoding.ASCII.GetBytes(cmd.FullName), nocase: true);
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        var names = new List<string>();
        foreach (var cmd in c.Server.Commands.All)
        {
            if (filter(cmd)) names.Add(cmd.FullName);
            if (cmd.Subcommands is null) continue;
            foreach (var sub in cmd.Subcommands.Values)
                if (filter(sub)) names.Add(sub.FullName);
        }
        c.Reply.ArrayHeader(names.Count);
        foreach (var n in names) c.Reply.Bulk(n);
    }

    [Command("command|getkeys", -4, Flags = Introspection, Acl = "connection", Group = "server", Since = "2.8.13",
        Summary = "Extract keys given a full Redis command", Complexity = "O(N) where N is the number of arguments to the command")]
    static void GetKeys(Client c) => ReplyKeys(c, withFlags: false);

    [Command("command|getkeysandflags", -4, Flags = Introspection, Acl = "connection", Group = "server", Since = "7.0.0",
        Summary = "Extract keys and access flags given a full Redis command", Complexity = "O(N) where N is the number of arguments to the command")]
    static void GetKeysAndFlags(Client c) => ReplyKeys(c, withFlags: true);

    [Command("command|help", 2, Flags = Introspection, Acl = "connection", Group = "server", Since = "5.0.0",
        Summary = "Show helpful text about the different subcommands", Complexity = "O(1)")]
    static void Help(Client c) => c.HelpReply("COMMAND",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.");

    /// <summary>Finds "name" or "container|sub" (one level only), case-insensitively, as Redis's lookupCommandBySds.</summary>
    public static CommandDef? FindByFullName(CommandTable table, string fullName)
    {
        var parts = fullName.ToLowerInvariant().Split('|');
        if (parts.Length > 2) return null;
        var cmd = table.Find(parts[0]);
        if (parts.Length == 1 || cmd is null) return cmd;
        return cmd.Subcommands?.GetValueOrDefault(parts[1]);
    }

    /// <summary>COMMAND GETKEYS: the command named by the arguments after GETKEYS, and its keys found by its key specs.</summary>
    static void ReplyKeys(Client c, bool withFlags)
    {
        var args = c.Args;
        var inner = ArgList.From(Enumerable.Range(2, args.Count - 2).Select(args.ToArray).ToArray());
        var cmd = c.Server.Commands.Lookup(inner[0]);
        if (cmd?.Subcommands is not null && inner.Count >= 2) cmd = CommandTable.LookupSub(cmd, inner);
        if (cmd is null)
        {
            c.Error("ERR Invalid command specified");
            return;
        }
        if (cmd.KeysFunction is null && !cmd.KeySpecs.Any(s => !s.Has("not_key")))
        {
            c.Error("ERR The command has no key arguments");
            return;
        }
        if (!cmd.ArityOk(inner.Count))
        {
            c.Error("ERR Invalid number of arguments specified for command");
            return;
        }
        var keys = new List<KeyReference>();
        if (!cmd.TryGetKeys(inner, keys) || keys.Count == 0)
        {
            if (cmd.Has(CommandFlags.NoMandatoryKeys)) c.Reply.EmptyArray();
            else c.Error("ERR Invalid arguments specified for command");
            return;
        }
        c.Reply.ArrayHeader(keys.Count);
        foreach (var (index, flags) in keys)
        {
            if (withFlags)
            {
                c.Reply.ArrayHeader(2);
                c.Reply.Bulk(inner[index]);
                StatusSet(c, KeySpec.FlagOrder.Where(flags.Contains));
            }
            else c.Reply.Bulk(inner[index]);
        }
    }

    /// <summary>One command's 10-element COMMAND INFO entry.</summary>
    static void ReplyInfo(Client c, CommandDef cmd)
    {
        var r = c.Reply;
        r.ArrayHeader(10);
        r.Bulk(cmd.FullName);
        r.Integer(cmd.Arity);
        StatusSet(c, cmd.FlagList());
        r.Integer(cmd.FirstKey);
        r.Integer(cmd.LastKey);
        r.Integer(cmd.KeyStep);
        StatusSet(c, cmd.AclCategories.Select(a => "@" + a));
        var tips = cmd.Meta.Tips.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        r.SetHeader(tips.Length);
        foreach (var t in tips) r.Bulk(t);
        r.SetHeader(cmd.KeySpecs.Length);
        foreach (var spec in cmd.KeySpecs) ReplyKeySpec(c, spec);
        if (cmd.Subcommands is null) r.SetHeader(0);
        else
        {
            r.ArrayHeader(cmd.Subcommands.Count);
            foreach (var sub in cmd.Subcommands.Values) ReplyInfo(c, sub);
        }
    }

    static void ReplyKeySpec(Client c, KeySpec spec)
    {
        var r = c.Reply;
        r.MapHeader(spec.Notes is null ? 3 : 4);
        if (spec.Notes is not null)
        {
            r.Bulk("notes"u8);
            r.Bulk(spec.Notes);
        }
        r.Bulk("flags"u8);
        StatusSet(c, KeySpec.FlagOrder.Where(spec.Has));
        r.Bulk("begin_search"u8);
        r.MapHeader(2);
        r.Bulk("type"u8);
        r.Bulk(spec.BeginType);
        r.Bulk("spec"u8);
        switch (spec.BeginType)
        {
            case "index":
                r.MapHeader(1);
                r.Bulk("index"u8); r.Integer(spec.BeginIndex);
                break;
            case "keyword":
                r.MapHeader(2);
                r.Bulk("keyword"u8); r.Bulk(spec.Keyword);
                r.Bulk("startfrom"u8); r.Integer(spec.StartFrom);
                break;
            default:
                r.MapHeader(0);
                break;
        }
        r.Bulk("find_keys"u8);
        r.MapHeader(2);
        r.Bulk("type"u8);
        r.Bulk(spec.FindType);
        r.Bulk("spec"u8);
        switch (spec.FindType)
        {
            case "range":
                r.MapHeader(3);
                r.Bulk("lastkey"u8); r.Integer(spec.LastKey);
                r.Bulk("keystep"u8); r.Integer(spec.KeyStep);
                r.Bulk("limit"u8); r.Integer(spec.Limit);
                break;
            case "keynum":
                r.MapHeader(3);
                r.Bulk("keynumidx"u8); r.Integer(spec.KeyNumIndex);
                r.Bulk("firstkey"u8); r.Integer(spec.FirstKey);
                r.Bulk("keystep"u8); r.Integer(spec.KeyStep);
                break;
            default:
                r.MapHeader(0);
                break;
        }
    }

    /// <summary>One command's COMMAND DOCS map: only the fields the command has, as Redis omits the others.</summary>
    static void ReplyDocs(Client c, CommandDef cmd)
    {
        var r = c.Reply;
        var m = cmd.Meta;
        var docFlags = m.DocFlags.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int fields = 2 + (m.Summary.Length > 0 ? 1 : 0) + (m.Complexity.Length > 0 ? 1 : 0) + (docFlags.Length > 0 ? 1 : 0)
            + (m.DeprecatedSince.Length > 0 ? 1 : 0) + (m.ReplacedBy.Length > 0 ? 1 : 0) + (m.History.Length > 0 ? 1 : 0)
            + (cmd.Arguments.Length > 0 ? 1 : 0) + (cmd.Subcommands is not null ? 1 : 0);
        r.MapHeader(fields);
        if (m.Summary.Length > 0)
        {
            r.Bulk("summary"u8);
            r.Bulk(m.Summary);
        }
        r.Bulk("since"u8);
        r.Bulk(m.Since);
        r.Bulk("group"u8);
        r.Bulk(m.Group);
        if (m.Complexity.Length > 0)
        {
            r.Bulk("complexity"u8);
            r.Bulk(m.Complexity);
        }
        if (docFlags.Length > 0)
        {
            r.Bulk("doc_flags"u8);
            StatusSet(c, docFlags);
        }
        if (m.DeprecatedSince.Length > 0)
        {
            r.Bulk("deprecated_since"u8);
            r.Bulk(m.DeprecatedSince);
        }
        if (m.ReplacedBy.Length > 0)
        {
            r.Bulk("replaced_by"u8);
            r.Bulk(m.ReplacedBy);
        }
        if (m.History.Length > 0)
        {
            r.Bulk("history"u8);
            r.SetHeader(m.History.Length);
            foreach (var h in m.History)
            {
                int colon = h.IndexOf(": ", StringComparison.Ordinal);
                r.ArrayHeader(2);
                r.Bulk(h[..colon]);
                r.Bulk(h[(colon + 2)..]);
            }
        }
        if (cmd.Arguments.Length > 0)
        {
            r.Bulk("arguments"u8);
            ReplyArguments(c, cmd.Arguments);
        }
        if (cmd.Subcommands is not null)
        {
            r.Bulk("subcommands"u8);
            r.MapHeader(cmd.Subcommands.Count);
            foreach (var sub in cmd.Subcommands.Values)
            {
                r.Bulk(sub.FullName);
                ReplyDocs(c, sub);
            }
        }
    }

    static void ReplyArguments(Client c, CommandArgument[] arguments)
    {
        var r = c.Reply;
        r.ArrayHeader(arguments.Length);
        foreach (var a in arguments)
        {
            var flags = new List<string>();
            if (a.Optional) flags.Add("optional");
            if (a.Multiple) flags.Add("multiple");
            if (a.MultipleToken) flags.Add("multiple_token");
            r.MapHeader(2 + (a.KeySpecIndex >= 0 ? 1 : 0) + (a.Token is null ? 0 : 1) + (a.Since is null ? 0 : 1)
                + (a.DeprecatedSince is null ? 0 : 1) + (flags.Count > 0 ? 1 : 0) + (a.Children.Length > 0 ? 1 : 0));
            r.Bulk("name"u8);
            r.Bulk(a.Name);
            r.Bulk("type"u8);
            r.Bulk(a.Type);
            if (a.KeySpecIndex >= 0)
            {
                r.Bulk("key_spec_index"u8);
                r.Integer(a.KeySpecIndex);
            }
            if (a.Token is not null)
            {
                r.Bulk("token"u8);
                r.Bulk(a.Token);
            }
            if (a.Since is not null)
            {
                r.Bulk("since"u8);
                r.Bulk(a.Since);
            }
            if (a.DeprecatedSince is not null)
            {
                r.Bulk("deprecated_since"u8);
                r.Bulk(a.DeprecatedSince);
            }
            if (flags.Count > 0)
            {
                r.Bulk("flags"u8);
                StatusSet(c, flags);
            }
            if (a.Children.Length > 0)
            {
                r.Bulk("arguments"u8);
                ReplyArguments(c, a.Children);
            }
        }
    }

    /// <summary>A set of status strings, as Redis replies flags and categories.</summary>
    static void StatusSet(Client c, IEnumerable<string> items)
    {
        var list = items as IList<string> ?? items.ToList();
        c.Reply.SetHeader(list.Count);
        foreach (var s in list) c.Reply.SimpleString(s);
    }
}
