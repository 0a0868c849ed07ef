using System.Text;
using Carmine.Protocol;
using Carmine.Server.Network;

namespace Carmine.Server.Commands;

/// <summary>The CLIENT container: ID INFO LIST KILL SETNAME GETNAME PAUSE UNPAUSE REPLY NO-EVICT NO-TOUCH HELP.</summary>
[Command("client", -2, Flags = "sentinel", Group = "connection", Since = "2.4.0",
    Summary = "A container for client connection commands", Complexity = "Depends on subcommand.")]
static class ClientCommands
{
    const string Flags = "noscript loading stale sentinel";
    const string AdminFlags = "admin noscript loading stale sentinel";

    [Command("client|id", 2, Flags = Flags, Acl = "connection", Group = "connection", Since = "5.0.0",
        Summary = "Returns the client ID for the current connection", Complexity = "O(1)")]
    static void Id(Client c) => c.Reply.Integer(c.Id);

    [Command("client|info", 2, Flags = Flags, Acl = "connection", Group = "connection", Since = "6.2.0", Tips = "nondeterministic_output",
        Summary = "Returns information about the current client connection.", Complexity = "O(1)")]
    static void Info(Client c)
    {
        var sb = new StringBuilder(256);
        ClientInfo.Append(sb, c, c);
        c.Reply.Verbatim(sb.Append('\n').ToString());
    }

    [Command("client|list", -2, Flags = AdminFlags, Acl = "connection", Group = "connection", Since = "2.4.0", Tips = "nondeterministic_output",
        Summary = "Get the list of client connections", Complexity = "O(N) where N is the number of client connections")]
    static void List(Client c)
    {
        var args = c.Args;
        IEnumerable<Client> selected;
        if (args.Count == 4 && args.Is(2, "type"))
        {
            var type = ClientInfo.ParseType(args.ToStr(3));
            if (type is null)
            {
                c.Error($"ERR Unknown client type '{args.ToStr(3)}'");
                return;
            }
            selected = AllClients(c.Server).Where(x => ClientInfo.TypeOf(x) == type);
        }
        else if (args.Count > 3 && args.Is(2, "id"))
        {
            var found = new List<Client>();
            for (int i = 3; i < args.Count; i++)
            {
                if (!NumberFormat.TryParseInt64(args[i], out long id))
                {
                    c.Error("ERR Invalid client ID");
                    return;
                }
                if (c.Server.FindClient(id) is { } client) found.Add(client);
            }
            selected = found;
        }
        else if (args.Count != 2)
        {
            c.Error(Errors.Syntax);
            return;
        }
        else selected = AllClients(c.Server);
        var sb = new StringBuilder(256);
        foreach (var client in selected)
        {
            ClientInfo.Append(sb, client, c);
            sb.Append('\n');
        }
        c.Reply.Verbatim(sb.ToString());
    }

    /// <summary>Connected clients in connection order, as Redis keeps them.</summary>
    static IEnumerable<Client> AllClients(RedisServer server) => server.Clients.OrderBy(x => x.Id);

    [Command("client|kill", -3, Flags = AdminFlags, Acl = "connection", Group = "connection", Since = "2.4.0",
        Summary = "Kill the connection of a client", Complexity = "O(N) where N is the number of client connections")]
    static void Kill(Client c)
    {
        var args = c.Args;
        var filter = new KillFilter();
        bool oldForm = args.Count == 3;
        if (oldForm)
        {
            filter.Addr = args.ToStr(2);
            filter.SkipMe = false;
        }
        else if (!ParseKillFilter(c, filter)) return;

        int killed = 0;
        bool killSelf = false;
        foreach (var client in AllClients(c.Server))
        {
            if (!filter.Matches(client, c)) continue;
            if (client == c) killSelf = true;
            else client.Kill();
            killed++;
        }
        // The master's link is not a connection of the event loops: it is dropped through its own thread.
        if (!oldForm && filter.Type == ClientType.Master && c.Server.Master is { LinkUp: true } master)
        {
            master.Drop();
            killed++;
        }
        if (oldForm)
        {
            if (killed == 0) c.Error("ERR No such client");
            else c.Reply.Ok();
        }
        else c.Reply.Integer(killed);
        // Closed only once the reply above is sent.
        if (killSelf) c.CloseAfterReply = true;
    }

    /// <summary>The filters of CLIENT KILL's new form; every given filter must match (logical AND).</summary>
    sealed class KillFilter
    {
        public string? Addr, LocalAddr, User;
        public ClientType? Type;
        public long Id;
        public long MaxAgeSeconds;
        public bool SkipMe = true;

        public bool Matches(Client client, Client caller)
        {
            if (Addr is not null && client.Address != Addr) return false;
            if (LocalAddr is not null && client.LocalAddress != LocalAddr) return false;
            if (Type is not null && ClientInfo.TypeOf(client) != Type) return false;
            if (Id != 0 && client.Id != Id) return false;
            if (User is not null && client.User != User) return false;
            if (MaxAgeSeconds != 0 && (Clock.NowMs() - client.CreatedMs) / 1000 <= MaxAgeSeconds) return false;
            return !(client == caller && SkipMe);
        }
    }

    static bool ParseKillFilter(Client c, KillFilter filter)
    {
        var args = c.Args;
        for (int i = 2; i < args.Count; i += 2)
        {
            if (i + 1 >= args.Count)
            {
                c.Error(Errors.Syntax);
                return false;
            }
            if (args.Is(i, "id"))
            {
                if (!c.TryLongInRange(i + 1, 1, long.MaxValue, out filter.Id, "ERR client-id should be greater than 0")) return false;
            }
            else if (args.Is(i, "type"))
            {
                filter.Type = ClientInfo.ParseType(args.ToStr(i + 1));
                if (filter.Type is null)
                {
                    c.Error($"ERR Unknown client type '{args.ToStr(i + 1)}'");
                    return false;
                }
            }
            else if (args.Is(i, "addr")) filter.Addr = args.ToStr(i + 1);
            else if (args.Is(i, "laddr")) filter.LocalAddr = args.ToStr(i + 1);
            else if (args.Is(i, "user"))
            {
                // Without ACL users, "default" is the only user there is.
                filter.User = args.ToStr(i + 1);
                if (filter.User != "default")
                {
                    c.Error($"ERR No such user '{filter.User}'");
                    return false;
                }
            }
            else if (args.Is(i, "skipme"))
            {
                if (args.Is(i + 1, "yes")) filter.SkipMe = true;
                else if (args.Is(i + 1, "no")) filter.SkipMe = false;
                else
                {
                    c.Error(Errors.Syntax);
                    return false;
                }
            }
            else if (args.Is(i, "maxage"))
            {
                if (!c.TryLongInRange(i + 1, 1, long.MaxValue, out filter.MaxAgeSeconds, Errors.NotInteger)) return false;
            }
            else
            {
                c.Error(Errors.Syntax);
                return false;
            }
        }
        return true;
    }

    [Command("client|setname", 3, Flags = Flags, Acl = "connection", Group = "connection", Since = "2.6.9",
        Summary = "Set the current connection name", Complexity = "O(1)")]
    static void SetName(Client c)
    {
        var name = c.Args[2];
        if (!Client.IsValidName(name))
        {
            c.Error("ERR Client names cannot contain spaces, newlines or special characters.");
            return;
        }
        // An empty name removes the name.
        c.Name = name.Length == 0 ? null : name.ToArray();
        c.Reply.Ok();
    }

    [Command("client|getname", 2, Flags = Flags, Acl = "connection", Group = "connection", Since = "2.6.9",
        Summary = "Get the current connection name", Complexity = "O(1)")]
    static void GetName(Client c)
    {
        if (c.Name is null) c.Reply.Null();
        else c.Reply.Bulk(c.Name);
    }

    [Command("client|pause", -3, Flags = AdminFlags, Acl = "connection", Group = "connection", Since = "2.9.50",
        Summary = "Stop processing commands from clients for some time", Complexity = "O(1)")]
    static void Pause(Client c)
    {
        var args = c.Args;
        if (args.Count > 4)
        {
            c.Error($"ERR unknown subcommand or wrong number of arguments for '{args.ToStr(1)}'. Try CLIENT HELP.");
            return;
        }
        bool all = true;
        if (args.Count == 4)
        {
            if (args.Is(3, "write")) all = false;
            else if (!args.Is(3, "all"))
            {
                c.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
                return;
            }
        }
        if (!c.TryLong(2, out long timeout, "ERR timeout is not an integer or out of range")) return;
        if (timeout < 0)
        {
            c.Error("ERR timeout is negative");
            return;
        }
        long end = timeout == 0 ? 0 : (timeout > long.MaxValue - c.NowMs ? long.MaxValue : c.NowMs + timeout);
        c.Server.Pause(end, all);
        c.Reply.Ok();
    }

    [Command("client|unpause", 2, Flags = AdminFlags, Acl = "connection", Group = "connection", Since = "6.2.0",
        Summary = "Resume processing of clients that were paused", Complexity = "O(N) Where N is the number of paused clients")]
    static void Unpause(Client c)
    {
        c.Server.Unpause();
        c.Reply.Ok();
    }

    [Command("client|reply", 3, Flags = Flags, Acl = "connection", Group = "connection", Since = "3.2.0",
        Summary = "Instruct the server whether to reply to commands", Complexity = "O(1)")]
    static void Reply(Client c)
    {
        if (c.Args.Is(2, "on"))
        {
            c.ReplyMode = ReplyMode.On;
            c.Reply.Ok();
        }
        else if (c.Args.Is(2, "off")) c.ReplyMode = ReplyMode.Off;
        // SKIP while OFF changes nothing; otherwise the reply of the next command is dropped.
        else if (c.Args.Is(2, "skip"))
        {
            if (c.ReplyMode != ReplyMode.Off) c.ReplyMode = ReplyMode.SkipNext;
        }
        else c.Error(Errors.Syntax);
    }

    [Command("client|no-evict", 3, Flags = AdminFlags, Acl = "connection", Group = "connection", Since = "7.0.0",
        Summary = "Set client eviction mode for the current connection", Complexity = "O(1)")]
    static void NoEvict(Client c)
    {
        if (TryOnOff(c, out bool on)) c.NoEvict = on;
    }

    [Command("client|no-touch", 3, Flags = "noscript loading stale", Acl = "connection", Group = "connection", Since = "7.2.0",
        Summary = "Controls whether commands sent by the client will alter the LRU/LFU of the keys they access.", Complexity = "O(1)")]
    static void NoTouch(Client c)
    {
        if (TryOnOff(c, out bool on)) c.NoTouch = on;
    }

    /// <summary>Reads ON or OFF in argument 2 and replies OK, or replies a syntax error.</summary>
    static bool TryOnOff(Client c, out bool on)
    {
        on = c.Args.Is(2, "on");
        if (!on && !c.Args.Is(2, "off"))
        {
            c.Error(Errors.Syntax);
            return false;
        }
        c.Reply.Ok();
        return true;
    }

    [Command("client|help", 2, Flags = "loading stale sentinel", Acl = "connection", Group = "connection", Since = "5.0.0",
        Summary = "Show helpful text about the different subcommands", Complexity = "O(1)")]
    static void Help(Client c) => c.HelpReply("CLIENT",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "    * MAXAGE <maxage>",
        "      Kill connections older than the specified age.",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "NO-TOUCH (ON|OFF)",
        "    Will not touch LRU/LFU stats when this mode is on.");
}
