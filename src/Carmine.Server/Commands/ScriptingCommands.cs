using Carmine.Server.Network;
using Carmine.Server.Scripting;

namespace Carmine.Server.Commands;

/// <summary>EVAL, EVALSHA, their read-only variants and SCRIPT: Lua scripts run atomically with every keyspace lock held.</summary>
[Command("script", -2, Group = "scripting", Since = "2.6.0", Summary = "A container for Lua scripts management commands",
    Complexity = "Depends on subcommand.")]
static class ScriptingCommands
{
    const string EvalKeys = "RW access update; index 2; keynum 0 1 1; notes We cannot tell how the keys will be used so we assume the worst, RW and UPDATE";
    const string EvalRoKeys = "RO access; index 2; keynum 0 1 1";

    [Command("eval", -3, Flags = "noscript skip_monitor may_replicate no_mandatory_keys stale movablekeys", Acl = "scripting",
        Group = "scripting", Since = "2.6.0", Exclusive = true, Keys = [EvalKeys],
        Summary = "Execute a Lua script server side", Complexity = "Depends on the script that is executed.",
        Arguments = ["script:string", "numkeys:integer", "key:key optional multiple", "arg:string optional multiple"])]
    static void Eval(Client c) => EvalGeneric(c, sha: false, readOnly: false);

    [Command("evalsha", -3, Flags = "noscript skip_monitor may_replicate no_mandatory_keys stale movablekeys", Acl = "scripting",
        Group = "scripting", Since = "2.6.0", Exclusive = true, Keys = [EvalKeys],
        Summary = "Execute a Lua script server side", Complexity = "Depends on the script that is executed.",
        Arguments = ["sha1:string", "numkeys:integer", "key:key optional multiple", "arg:string optional multiple"])]
    static void EvalSha(Client c) => EvalGeneric(c, sha: true, readOnly: false);

    [Command("eval_ro", -3, Flags = "noscript skip_monitor no_mandatory_keys stale readonly movablekeys", Acl = "scripting",
        Group = "scripting", Since = "7.0.0", Exclusive = true, Keys = [EvalRoKeys],
        Summary = "Execute a read-only Lua script server side", Complexity = "Depends on the script that is executed.",
        Arguments = ["script:string", "numkeys:integer", "key:key optional multiple", "arg:string optional multiple"])]
    static void EvalRo(Client c) => EvalGeneric(c, sha: false, readOnly: true);

    [Command("evalsha_ro", -3, Flags = "noscript skip_monitor no_mandatory_keys stale readonly movablekeys", Acl = "scripting",
        Group = "scripting", Since = "7.0.0", Exclusive = true, Keys = [EvalRoKeys],
        Summary = "Execute a read-only Lua script server side", Complexity = "Depends on the script that is executed.",
        Arguments = ["sha1:string", "numkeys:integer", "key:key optional multiple", "arg:string optional multiple"])]
    static void EvalShaRo(Client c) => EvalGeneric(c, sha: true, readOnly: true);

    static void EvalGeneric(Client c, bool sha, bool readOnly)
    {
        c.Server.FeedMonitorsFirst(c);
        if (!c.TryLong(2, out long numKeys)) return;
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
        var engine = c.Server.Scripts;
        Script? script;
        if (sha)
        {
            script = engine.Find(c.Args[1]);
            if (script is null)
            {
                c.Error("NOSCRIPT No matching script. Please use EVAL.");
                return;
            }
        }
        else
        {
            script = engine.Load(c, c.Args.ToArray(1));
            if (script is null) return;
        }
        engine.Run(c, script, 3, (int)numKeys, readOnly);
    }

    [Command("script|load", 3, Flags = "noscript stale", Acl = "scripting", Group = "scripting", Since = "2.6.0",
        Summary = "Load the specified Lua script into the script cache.", Complexity = "O(N) with N being the length in bytes of the script body.",
        Arguments = ["script:string"])]
    static void Load(Client c)
    {
        var script = c.Server.Scripts.Load(c, c.Args.ToArray(2));
        if (script is not null) c.Reply.Bulk(script.Sha);
    }

    [Command("script|exists", -3, Flags = "noscript", Acl = "scripting", Group = "scripting", Since = "2.6.0",
        Summary = "Check existence of scripts in the script cache.", Complexity = "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
        Arguments = ["sha1:string multiple"])]
    static void Exists(Client c)
    {
        c.Reply.ArrayHeader(c.Args.Count - 2);
        for (int i = 2; i < c.Args.Count; i++) c.Reply.Integer(c.Server.Scripts.Exists(c.Args[i]) ? 1 : 0);
    }

    [Command("script|flush", -2, Flags = "noscript", Acl = "scripting", Group = "scripting", Since = "2.6.0",
        Summary = "Remove all the scripts from the script cache.", Complexity = "O(N) with N being the number of scripts in cache",
        History = ["6.2.0: Added the `ASYNC` and `SYNC` flushing mode modifiers."],
        Arguments = ["flush-type:oneof optional since=6.2.0 (async:pure-token token=ASYNC | sync:pure-token token=SYNC)"])]
    static void Flush(Client c)
    {
        if (c.Args.Count > 3 || (c.Args.Count == 3 && !c.Args.Is(2, "sync") && !c.Args.Is(2, "async")))
        {
            c.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
            return;
        }
        c.Server.Scripts.Flush();
        c.Reply.Ok();
    }

    [Command("script|kill", 2, Flags = "noscript allow_busy", Acl = "scripting", Group = "scripting", Since = "2.6.0",
        Summary = "Kill the script currently in execution.", Complexity = "O(1)")]
    static void Kill(Client c) => c.Server.Scripts.Kill(c, eval: true);

    [Command("script|help", 2, Flags = "loading stale", Acl = "scripting", Group = "scripting", Since = "5.0.0",
        Summary = "Show helpful text about the different subcommands", Complexity = "O(1)")]
    static void Help(Client c) => c.HelpReply("SCRIPT",
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.");
}
