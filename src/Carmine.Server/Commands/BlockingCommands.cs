using Carmine.Protocol;
using Carmine.Server.Network;

namespace Carmine.Server.Commands;

/// <summary>What every blocking command shares: Redis's timeout argument, and CLIENT UNBLOCK.</summary>
static class BlockingCommands
{
    /// <summary>
    /// Parses a blocking timeout in seconds (fractions allowed) into milliseconds, rounded up as Redis does; 0 waits
    /// forever. A timeout too large to count in milliseconds is refused as negative, which is what Redis ends up saying.
    /// </summary>
    public static bool TryTimeout(this Client c, int i, out long milliseconds)
    {
        milliseconds = 0;
        if (!NumberFormat.TryParseDouble(c.Args[i], out double seconds))
        {
            c.Error("ERR timeout is not a float or out of range");
            return false;
        }
        double ms = Math.Ceiling(seconds * 1000);
        if (!(ms >= 0 && ms < long.MaxValue))
        {
            c.Error("ERR timeout is negative");
            return false;
        }
        milliseconds = (long)ms;
        return true;
    }

    [Command("client|unblock", -3, Flags = "admin noscript loading stale sentinel", Acl = "connection", Group = "connection", Since = "5.0.0",
        Summary = "Unblock a client blocked in a blocking command from a different connection",
        Complexity = "O(log N) where N is the number of client connections")]
    static void ClientUnblock(Client c)
    {
        var args = c.Args;
        if (args.Count > 4)
        {
            c.Error($"ERR unknown subcommand or wrong number of arguments for '{args.ToStr(1)}'. Try CLIENT HELP.");
            return;
        }
        bool withError = false;
        if (args.Count == 4)
        {
            if (args.Is(3, "error")) withError = true;
            else if (!args.Is(3, "timeout"))
            {
                c.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
                return;
            }
        }
        if (!c.TryLong(2, out long id)) return;
        var target = c.Server.FindClient(id);
        c.Reply.Integer(target is not null && c.Server.Blocking.Unblock(target, withError) ? 1 : 0);
    }
}
