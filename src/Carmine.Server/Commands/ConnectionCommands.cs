using System.Text;
using Carmine.Server.Network;

namespace Carmine.Server.Commands;

/// <summary>Connection commands: PING ECHO QUIT RESET AUTH HELLO SELECT.</summary>
static class ConnectionCommands
{
    [Command("ping", -1, Flags = "fast sentinel", Acl = "connection", Group = "connection", Summary = "Ping the server", Complexity = "O(1)")]
    static void Ping(Client c)
    {
        if (c.Args.Count > 2)
        {
            c.Error(Errors.WrongArgs("ping"));
            return;
        }
        if (c.Protocol == 2 && c.IsSubscriber)
        {
            // In RESP2 subscribed mode a reply must look like a message: ["pong", arg].
            c.Reply.ArrayHeader(2);
            c.Reply.Bulk("pong"u8);
            c.Reply.Bulk(c.Args.Count == 2 ? c.Args[1] : []);
        }
        else if (c.Args.Count == 2) c.Reply.Bulk(c.Args[1]);
        else c.Reply.SimpleString("PONG"u8);
    }

    [Command("echo", 2, Flags = "fast", Acl = "connection", Group = "connection", Summary = "Echo the given string", Complexity = "O(1)")]
    static void Echo(Client c) => c.Reply.Bulk(c.Args[1]);

    [Command("quit", -1, Flags = "allow_busy noscript loading stale fast no_auth", Acl = "connection", Group = "connection", Summary = "Close the connection", Complexity = "O(1)")]
    static void Quit(Client c)
    {
        c.Reply.Ok();
        c.CloseAfterReply = true;
    }

    [Command("select", 2, Flags = "loading stale fast", Acl = "connection", Group = "connection", Summary = "Change the selected database for the current connection", Complexity = "O(1)")]
    static void Select(Client c)
    {
        if (!c.TryLong(1, out long db)) return;
        if (db < 0 || db >= c.Server.Keyspace.Count)
        {
            c.Error(Errors.DbIndexOutOfRange);
            return;
        }
        c.Db = (int)db;
        c.Reply.Ok();
    }

    [Command("auth", -2, Flags = "noscript loading stale fast no_auth allow_busy", Acl = "connection", Group = "connection", Summary = "Authenticate to the server", Complexity = "O(N) where N is the number of passwords defined for the user")]
    static void Auth(Client c)
    {
        if (c.Args.Count > 3)
        {
            c.Error(Errors.Syntax);
            return;
        }
        // Redis hides the password (and the user name) from MONITOR and SLOWLOG.
        c.RedactArgument(1);
        if (c.Args.Count == 3) c.RedactArgument(2);
        string user = c.Args.Count == 3 ? c.Args.ToStr(1) : "default";
        var password = c.Args[c.Args.Count - 1];
        if (c.Args.Count == 2 && !c.Server.RequiresAuth)
        {
            c.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
            return;
        }
        if (!CheckPassword(c, user, password))
        {
            c.Error("WRONGPASS invalid username-password pair or user is disabled.");
            return;
        }
        c.Reply.Ok();
    }

    /// <summary>Authenticates the default user against requirepass (other users come with ACL support).</summary>
    static bool CheckPassword(Client c, string user, ReadOnlySpan<byte> password)
    {
        if (user != "default") return false;
        string required = c.Server.Config.GetString("requirepass");
        bool ok = required.Length == 0 || password.SequenceEqual(Encoding.UTF8.GetBytes(required));
        if (ok)
        {
            c.Authenticated = true;
            c.Parser.Authenticated = true;
            c.User = user;
        }
        return ok;
    }

    [Command("hello", -1, Flags = "noscript loading stale fast no_auth sentinel allow_busy", Acl = "connection", Group = "connection", Since = "6.0.0",
        Summary = "Handshake with Redis", Complexity = "O(1)")]
    static void Hello(Client c)
    {
        var args = c.Args;
        int protocol = c.Protocol;
        int i = 1;
        if (args.Count >= 2)
        {
            if (!Carmine.Protocol.NumberFormat.TryParseInt64(args[1], out long ver))
            {
                c.Error("ERR Protocol version is not an integer or out of range");
                return;
            }
            if (ver < 2 || ver > 3)
            {
                c.Error("NOPROTO unsupported protocol version");
                return;
            }
            protocol = (int)ver;
            i = 2;
        }
        byte[]? name = null;
        for (; i < args.Count; i++)
        {
            bool more = i + 1 < args.Count;
            if (args.Is(i, "auth") && i + 2 < args.Count)
            {
                c.RedactArgument(i + 1);
                c.RedactArgument(i + 2);
                if (!CheckPassword(c, args.ToStr(i + 1), args[i + 2]))
                {
                    c.Error("WRONGPASS invalid username-password pair or user is disabled.");
                    return;
                }
                i += 2;
            }
            else if (args.Is(i, "setname") && more)
            {
                name = args.ToArray(i + 1);
                if (!Client.IsValidName(name))
                {
                    c.Error("ERR Client names cannot contain spaces, newlines or special characters.");
                    return;
                }
                i++;
            }
            else
            {
                c.Error($"ERR Syntax error in HELLO option '{args.ToStr(i)}'");
                return;
            }
        }
        if (!c.Authenticated)
        {
            c.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
            return;
        }
        if (name is not null) c.Name = name;
        c.Protocol = protocol;
        c.Reply.Resp3 = protocol == 3;
        var r = c.Reply;
        r.MapHeader(7);
        r.Bulk("server"u8); r.Bulk("redis"u8);
        r.Bulk("version"u8); r.Bulk(RedisServer.RedisVersion);
        r.Bulk("proto"u8); r.Integer(protocol);
        r.Bulk("id"u8); r.Integer(c.Id);
        r.Bulk("mode"u8); r.Bulk("standalone"u8);
        r.Bulk("role"u8); r.Bulk("master"u8);
        r.Bulk("modules"u8); r.EmptyArray();
    }

    [Command("reset", 1, Flags = "noscript loading stale fast no_auth allow_busy", Acl = "connection", Group = "connection", Since = "6.2.0",
        Summary = "Reset the connection", Complexity = "O(1)")]
    static void Reset(Client c)
    {
        c.Db = 0;
        c.Protocol = 2;
        c.Reply.Resp3 = false;
        c.Name = null;
        c.ReplyMode = ReplyMode.On;
        c.NoEvict = false;
        c.NoTouch = false;
        c.Server.Tracking.Disable(c);
        // Leaves MULTI (discarding the queue), forgets WATCHed keys and drops every subscription, silently.
        c.Multi = null;
        c.Server.Watches.UnwatchAll(c);
        c.WatchDirty = false;
        c.Server.PubSub.RemoveClient(c);
        c.Channels = c.Patterns = c.ShardChannels = null;
        if (c.IsMonitor)
        {
            c.IsMonitor = false;
            Interlocked.Decrement(ref c.Server.MonitorCount);
        }
        c.Authenticated = !c.Server.RequiresAuth;
        c.Parser.Authenticated = c.Authenticated;
        c.User = "default";
        c.Reply.SimpleString("RESET"u8);
    }
}
