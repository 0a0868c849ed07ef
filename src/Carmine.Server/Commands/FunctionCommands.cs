using Carmine.Server.Network;

namespace Carmine.Server.Commands;

/// <summary>FUNCTION: the library store of Redis 7 functions. Libraries are not implemented yet; the store is always empty.</summary>
[Command("function", -2, Group = "scripting", Since = "7.0.0", Summary = "A container for function commands",
    Complexity = "Depends on subcommand.")]
static class FunctionCommands
{
    [Command("function|flush", -2, Flags = "write noscript", Acl = "scripting", Group = "scripting", Since = "7.0.0",
        Summary = "Deleting all functions", Complexity = "O(N) where N is the number of functions deleted",
        Arguments = ["flush-type:oneof optional (async:pure-token token=ASYNC | sync:pure-token token=SYNC)"])]
    static void Flush(Client c)
    {
        if (c.Args.Count > 3 || (c.Args.Count == 3 && !c.Args.Is(2, "sync") && !c.Args.Is(2, "async")))
        {
            c.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
            return;
        }
        c.Reply.Ok();
    }
}
