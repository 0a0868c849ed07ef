using Carmine.Server.Network;
using Carmine.Server.Persistence;
using Carmine.Server.Scripting;

namespace Carmine.Server.Commands;

/// <summary>FUNCTION and FCALL: Redis 7 function libraries, run in the same interpreter as EVAL scripts.</summary>
[Command("function", -2, Group = "scripting", Since = "7.0.0", Summary = "A container for function commands",
    Complexity = "Depends on subcommand.")]
static class FunctionCommands
{
    const string FcallKeys = "RW access update; index 2; keynum 0 1 1; notes We cannot tell how the keys will be used so we assume the worst, RW and UPDATE";

    [Command("fcall", -3, Flags = "noscript skip_monitor may_replicate no_mandatory_keys stale movablekeys", Acl = "scripting",
        Group = "scripting", Since = "7.0.0", Exclusive = true, Keys = [FcallKeys],
        Summary = "Invoke a function", Complexity = "Depends on the function that is executed.",
        Arguments = ["function:string", "numkeys:integer", "key:key optional multiple", "arg:string optional multiple"])]
    static void Fcall(Client c) => FcallGeneric(c, readOnly: false);

    [Command("fcall_ro", -3, Flags = "noscript skip_monitor no_mandatory_keys stale readonly movablekeys", Acl = "scripting",
        Group = "scripting", Since = "7.0.0", Exclusive = true, Keys = ["RO access; index 2; keynum 0 1 1"],
        Summary = "Invoke a read-only function", Complexity = "Depends on the function that is executed.",
        Arguments = ["function:string", "numkeys:integer", "key:key optional multiple", "arg:string optional multiple"])]
    static void FcallRo(Client c) => FcallGeneric(c, readOnly: true);

    static void FcallGeneric(Client c, bool readOnly)
    {
        c.Server.FeedMonitorsFirst(c);
        var engine = c.Server.Scripts;
        var function = engine.FindFunction(c.Args.ToStr(1));
        if (function is null)
        {
            c.Error("ERR Function not found");
            return;
        }
        if (!c.TryLong(2, out long numKeys, "ERR Bad number of keys provided")) return;
        if (numKeys > c.Args.Count - 3)
        {
            c.Error("ERR Number of keys can't be greater than number of args");
            return;
        }
        if (numKeys < 0)
        {
            c.Error("ERR Number of keys can't be negative");
            return;
        }
        engine.CallFunction(c, function, 3, (int)numKeys, readOnly);
    }

    [Command("function|load", -3, Flags = "noscript write denyoom", Acl = "scripting", Group = "scripting", Since = "7.0.0",
        Summary = "Create a function with the given arguments (name, code, description)", Complexity = "O(1) (considering compilation time is redundant)",
        Arguments = ["replace:pure-token optional token=REPLACE", "function-code:string"])]
    static void Load(Client c)
    {
        bool replace = false;
        int i = 2;
        for (; i < c.Args.Count - 1; i++)
        {
            if (c.Args.Is(i, "replace")) replace = true;
            else
            {
                c.Error("ERR Unknown option given: " + c.Args.ToStr(i));
                return;
            }
        }
        if (i >= c.Args.Count)
        {
            c.Error("ERR Function code is missing");
            return;
        }
        string? name = c.Server.Scripts.LoadLibrary(c, c.Args.ToArray(i), replace);
        if (name is null) return;
        c.Dirty();
        c.Reply.Bulk(name);
    }

    [Command("function|delete", 3, Flags = "noscript write", Acl = "scripting", Group = "scripting", Since = "7.0.0",
        Summary = "Delete a function by name", Complexity = "O(1)", Arguments = ["library-name:string"])]
    static void Delete(Client c)
    {
        if (!c.Server.Scripts.DeleteLibrary(c.Args.ToStr(2)))
        {
            c.Error("ERR Library not found");
            return;
        }
        c.Dirty();
        c.Reply.Ok();
    }

    [Command("function|flush", -2, Flags = "noscript write", Acl = "scripting", Group = "scripting", Since = "7.0.0",
        Summary = "Deleting all functions", Complexity = "O(N) where N is the number of functions deleted",
        Arguments = ["flush-type:oneof optional (async:pure-token token=ASYNC | sync:pure-token token=SYNC)"])]
    static void Flush(Client c)
    {
        if (c.Args.Count > 3)
        {
            c.Error("ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP.");
            return;
        }
        if (c.Args.Count == 3 && !c.Args.Is(2, "sync") && !c.Args.Is(2, "async"))
        {
            c.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
            return;
        }
        c.Server.Scripts.FlushFunctions();
        c.Dirty();
        c.Reply.Ok();
    }

    [Command("function|dump", 2, Flags = "noscript", Acl = "scripting", Group = "scripting", Since = "7.0.0",
        Summary = "Dump all functions into a serialized binary payload", Complexity = "O(N) where N is the number of functions")]
    static void Dump(Client c) =>
        c.Reply.Bulk(FunctionsRdb.Dump(c.Server.Scripts.LibraryCodes, c.Server.Config.GetBool("rdbcompression")));

    [Command("function|restore", -3, Flags = "noscript write denyoom", Acl = "scripting", Group = "scripting", Since = "7.0.0",
        Summary = "Restore all the functions on the given payload", Complexity = "O(N) where N is the number of functions on the payload",
        Tips = "request_policy:all_shards response_policy:all_succeeded",
        Arguments = ["serialized-value:string", "policy:oneof optional (flush:pure-token token=FLUSH | append:pure-token token=APPEND | replace:pure-token token=REPLACE)"])]
    static void Restore(Client c)
    {
        if (c.Args.Count > 4)
        {
            c.Error("ERR unknown subcommand or wrong number of arguments for 'restore'. Try FUNCTION HELP.");
            return;
        }
        bool flush = false, replace = false;
        if (c.Args.Count == 4)
        {
            if (c.Args.Is(3, "flush")) flush = true;
            else if (c.Args.Is(3, "replace")) replace = true;
            else if (!c.Args.Is(3, "append"))
            {
                c.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
                return;
            }
        }
        byte[] payload = c.Args.ToArray(2);
        if (!DumpPayload.Verify(payload))
        {
            c.Error("ERR DUMP payload version or checksum are wrong");
            return;
        }
        List<byte[]> codes;
        try
        {
            codes = FunctionsRdb.Restore(payload);
        }
        catch (RdbFormatException e)
        {
            c.Error("ERR " + e.Reason);
            return;
        }
        if (c.Server.Scripts.RestoreLibraries(codes, flush, replace, quotedCollision: false) is { } error)
        {
            c.Error("ERR " + error);
            return;
        }
        c.Dirty();
        c.Reply.Ok();
    }

    [Command("function|list", -2, Flags = "noscript", Acl = "scripting", Group = "scripting", Since = "7.0.0",
        Summary = "List information about all the functions", Complexity = "O(N) where N is the number of functions",
        Arguments = ["library-name-pattern:string optional token=LIBRARYNAME", "withcode:pure-token optional token=WITHCODE"])]
    static void List(Client c)
    {
        bool withCode = false;
        string? pattern = null;
        for (int i = 2; i < c.Args.Count; i++)
        {
            if (c.Args.Is(i, "withcode") && !withCode) withCode = true;
            else if (c.Args.Is(i, "libraryname") && pattern is null)
            {
                if (i + 1 >= c.Args.Count)
                {
                    c.Error("ERR library name argument was not given");
                    return;
                }
                pattern = c.Args.ToStr(++i);
            }
            else
            {
                c.Error("ERR Unknown argument " + c.Args.ToStr(i));
                return;
            }
        }
        var r = c.Reply;
        var libraries = c.Server.Scripts.Libraries
            .Where(l => pattern is null || GlobMatch.Match(System.Text.Encoding.UTF8.GetBytes(pattern), System.Text.Encoding.UTF8.GetBytes(l.Name), false))
            .ToList();
        r.ArrayHeader(libraries.Count);
        foreach (var library in libraries)
        {
            r.MapHeader(withCode ? 4 : 3);
            r.Bulk("library_name");
            r.Bulk(library.Name);
            r.Bulk("engine");
            r.Bulk("LUA");
            r.Bulk("functions");
            r.ArrayHeader(library.Functions.Count);
            foreach (var f in library.Functions)
            {
                r.MapHeader(3);
                r.Bulk("name");
                r.Bulk(f.Name);
                r.Bulk("description");
                if (f.Description is null) r.Null();
                else r.Bulk(f.Description);
                r.Bulk("flags");
                var names = FlagNames(f.Flags);
                r.SetHeader(names.Count);
                foreach (string n in names) r.SimpleString(n);
            }
            if (withCode)
            {
                r.Bulk("library_code");
                r.Bulk(library.Code);
            }
        }
    }

    static List<string> FlagNames(ScriptFlags flags)
    {
        var names = new List<string>();
        if ((flags & ScriptFlags.NoWrites) != 0) names.Add("no-writes");
        if ((flags & ScriptFlags.AllowOom) != 0) names.Add("allow-oom");
        if ((flags & ScriptFlags.AllowStale) != 0) names.Add("allow-stale");
        if ((flags & ScriptFlags.NoCluster) != 0) names.Add("no-cluster");
        if ((flags & ScriptFlags.AllowCrossSlotKeys) != 0) names.Add("allow-cross-slot-keys");
        return names;
    }

    [Command("function|stats", 2, Flags = "noscript allow_busy", Acl = "scripting", Group = "scripting", Since = "7.0.0",
        Summary = "Return information about the function currently running (name, description, duration)", Complexity = "O(1)")]
    static void Stats(Client c)
    {
        var engine = c.Server.Scripts;
        var r = c.Reply;
        r.MapHeader(2);
        r.Bulk("running_script");
        if (engine.RunningFunction is { } running)
        {
            r.MapHeader(3);
            r.Bulk("name");
            r.Bulk(running.Name);
            r.Bulk("command");
            r.ArrayHeader(running.Command.Length);
            foreach (var arg in running.Command) r.Bulk(arg);
            r.Bulk("duration_ms");
            r.Integer(running.DurationMs);
        }
        else r.Null();
        r.Bulk("engines");
        r.MapHeader(1);
        r.Bulk("LUA");
        r.MapHeader(2);
        r.Bulk("libraries_count");
        r.Integer(engine.LibraryCount);
        r.Bulk("functions_count");
        r.Integer(engine.FunctionCount);
    }

    [Command("function|kill", 2, Flags = "noscript allow_busy", Acl = "scripting", Group = "scripting", Since = "7.0.0",
        Summary = "Kill the function currently in execution.", Complexity = "O(1)")]
    static void Kill(Client c) => c.Server.Scripts.Kill(c, eval: false);

    [Command("function|help", 2, Flags = "loading stale", Acl = "scripting", Group = "scripting", Since = "7.0.0",
        Summary = "Show helpful text about the different subcommands", Complexity = "O(1)")]
    static void Help(Client c) => c.HelpReply("FUNCTION",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).");
}
