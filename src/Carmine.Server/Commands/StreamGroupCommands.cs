using Carmine.Server.Network;
using Carmine.Server.PubSub;
using Carmine.Server.Types;

namespace Carmine.Server.Commands;

/// <summary>XGROUP: creating, moving and destroying consumer groups and their consumers.</summary>
[Command("xgroup", -2, Group = "stream", Since = "5.0.0", Summary = "A container for consumer groups commands", Complexity = "Depends on subcommand.")]
static class StreamGroupCommands
{
    /// <summary>
    /// What every XGROUP subcommand with a key does first, in Redis's order: options from argument 5 (MKSTREAM and
    /// ENTRIESREAD where they apply), the key's type, the key's existence unless MKSTREAM, and the group's for the
    /// subcommands that need one. False once it replied an error.
    /// </summary>
    static bool Prelude(Client c, out StreamValue? s, out StreamGroup? group, out bool mkStream, out long entriesRead)
    {
        var args = c.Args;
        s = null;
        group = null;
        mkStream = false;
        entriesRead = StreamGroup.InvalidEntriesRead;
        bool create = args.Is(1, "create"), setId = args.Is(1, "setid");
        for (int i = 5; i < args.Count;)
        {
            if (create && args.Is(i, "mkstream"))
            {
                mkStream = true;
                i++;
            }
            else if ((create || setId) && args.Is(i, "entriesread") && i + 1 < args.Count)
            {
                if (!c.TryLong(i + 1, out entriesRead)) return false;
                if (entriesRead < 0 && entriesRead != StreamGroup.InvalidEntriesRead)
                {
                    c.Error("ERR value for ENTRIESREAD must be positive or -1");
                    return false;
                }
                i += 2;
            }
            else
            {
                c.SubcommandSyntaxError();
                return false;
            }
        }
        if (!c.TryWrite<StreamValue>(args[2], out _, out s)) return false;
        if (mkStream) return true;
        if (s is null)
        {
            c.Error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
            return false;
        }
        group = s.LookupGroup(args[3]);
        if (group is null && !create && !args.Is(1, "destroy"))
        {
            c.Error($"NOGROUP No such consumer group '{args.ToStr(3)}' for key name '{args.ToStr(2)}'");
            return false;
        }
        return true;
    }

    static void Notify(Client c, string eventName) => c.Server.Events.Notify(NotifyFlags.Stream, eventName, c.Db, c.Args[2]);

    [Command("xgroup|create", -5, Flags = "write denyoom", Acl = "stream", Group = "stream", Since = "5.0.0",
        Keys = ["RW insert; index 2; range 0 1 0"], Summary = "Create a consumer group.", Complexity = "O(1)", History = ["7.0.0: Added the `entries_read` named argument."],
        Arguments = ["key:key", "groupname:string", "id:oneof (id:string | new_id:pure-token token=$)", "mkstream:pure-token token=MKSTREAM optional", "entries_read:integer token=ENTRIESREAD optional"])]
    static void Create(Client c)
    {
        if (!Prelude(c, out var s, out _, out _, out long entriesRead)) return;
        var args = c.Args;
        if (args.Count > 8)
        {
            c.SubcommandSyntaxError();
            return;
        }
        StreamId id;
        if (args[4].SequenceEqual("$"u8)) id = s?.LastId ?? StreamId.Min;
        else if (!c.TryStrictId(4, out id)) return;
        if (s is null)
        {
            s = new StreamValue();
            c.Database.Add(args[2], s);
        }
        if (s.CreateGroup(args.ToArray(3), id, entriesRead) is null)
        {
            c.Error("BUSYGROUP Consumer Group name already exists");
            return;
        }
        c.Reply.Ok();
        c.Dirty();
        Notify(c, "xgroup-create");
    }

    [Command("xgroup|setid", -5, Flags = "write", Acl = "stream", Group = "stream", Since = "5.0.0",
        Keys = ["RW update; index 2; range 0 1 0"], Summary = "Set a consumer group to an arbitrary last delivered ID value.", Complexity = "O(1)", History = ["7.0.0: Added the optional `entries_read` argument."],
        Arguments = ["key:key", "groupname:string", "id:oneof (id:string | new_id:pure-token token=$)", "entries_read:integer token=ENTRIESREAD optional"])]
    static void SetId(Client c)
    {
        if (!Prelude(c, out var s, out var group, out _, out long entriesRead)) return;
        if (c.Args.Count != 5 && c.Args.Count != 7)
        {
            c.SubcommandSyntaxError();
            return;
        }
        StreamId id;
        if (c.Args[4].SequenceEqual("$"u8)) id = s!.LastId;
        else if (!c.TryId(4, out id)) return;
        group!.LastId = id;
        group.EntriesRead = entriesRead;
        c.Reply.Ok();
        c.Dirty();
        Notify(c, "xgroup-setid");
    }

    [Command("xgroup|destroy", 4, Flags = "write", Acl = "stream", Group = "stream", Since = "5.0.0",
        Keys = ["RW delete; index 2; range 0 1 0"], Summary = "Destroy a consumer group.",
        Complexity = "O(N) where N is the number of entries in the group's pending entries list (PEL).",
        Arguments = ["key:key", "groupname:string"])]
    static void Destroy(Client c)
    {
        if (!Prelude(c, out var s, out var group, out _, out _)) return;
        if (group is null)
        {
            c.Reply.Integer(0);
            return;
        }
        s!.DestroyGroup(c.Args.ToArray(3));
        c.Reply.Integer(1);
        c.Dirty();
        Notify(c, "xgroup-destroy");
        // Clients blocked in XREADGROUP on this group get their NOGROUP error.
        c.Server.Blocking.SignalKeyAsReady(c.Database, c.Args[2]);
    }

    [Command("xgroup|createconsumer", 5, Flags = "write denyoom", Acl = "stream", Group = "stream", Since = "6.2.0",
        Keys = ["RW insert; index 2; range 0 1 0"], Summary = "Create a consumer in a consumer group.", Complexity = "O(1)",
        Arguments = ["key:key", "groupname:string", "consumername:string"])]
    static void CreateConsumer(Client c)
    {
        if (!Prelude(c, out _, out var group, out _, out _)) return;
        bool created = group!.CreateConsumer(c.Args.ToArray(4), c.NowMs) is not null;
        if (created)
        {
            c.Dirty();
            Notify(c, "xgroup-createconsumer");
        }
        c.Reply.Integer(created ? 1 : 0);
    }

    [Command("xgroup|delconsumer", 5, Flags = "write", Acl = "stream", Group = "stream", Since = "5.0.0",
        Keys = ["RW delete; index 2; range 0 1 0"], Summary = "Delete a consumer from a consumer group.", Complexity = "O(1)",
        Arguments = ["key:key", "groupname:string", "consumername:string"])]
    static void DelConsumer(Client c)
    {
        if (!Prelude(c, out _, out var group, out _, out _)) return;
        long pending = 0;
        var consumer = group!.Lookup(c.Args.ToArray(4), c.NowMs, refresh: false);
        if (consumer is not null)
        {
            pending = consumer.Pending.Count;
            group.DeleteConsumer(consumer);
            c.Dirty();
            Notify(c, "xgroup-delconsumer");
        }
        c.Reply.Integer(pending);
    }

    [Command("xgroup|help", 2, Flags = "loading stale", Acl = "stream", Group = "stream", Since = "5.0.0",
        Summary = "Show helpful text about the different subcommands", Complexity = "O(1)")]
    static void Help(Client c) => c.HelpReply("XGROUP",
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.");
}
