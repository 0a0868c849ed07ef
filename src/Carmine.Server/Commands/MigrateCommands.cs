using System.Net.Sockets;
using System.Text;
using Carmine.Protocol;
using Carmine.Server.Network;
using Carmine.Server.Persistence;
using Carmine.Server.PubSub;

namespace Carmine.Server.Commands;

/// <summary>
/// MIGRATE (cluster.c in Redis): DUMP keys here, RESTORE them on another server over a cached connection, and
/// delete them here unless COPY. It blocks like Redis's, so it runs exclusively.
/// </summary>
static class MigrateCommands
{
    [Command("migrate", -6, Flags = "write", Acl = "keyspace dangerous", Exclusive = true, Group = "generic", Since = "2.6.0",
        Keys = ["RW access delete; index 3; range 0 1 0", "RW access delete incomplete; keyword KEYS -2; range -1 1 0"],
        Tips = "nondeterministic_output",
        History = ["3.0.0: Added the `COPY` and `REPLACE` options.", "3.0.6: Added the `KEYS` option.", "4.0.7: Added the `AUTH` option.", "6.0.0: Added the `AUTH2` option."],
        Summary = "Atomically transfer a key from a Redis instance to another one.",
        Complexity = "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.")]
    static void Migrate(Client c)
    {
        var args = c.Args;
        bool copy = false, replace = false;
        string? user = null, password = null;
        int firstKey = 3, numKeys = 1;
        for (int j = 6; j < args.Count; j++)
        {
            int more = args.Count - j - 1;
            if (args.Is(j, "copy")) copy = true;
            else if (args.Is(j, "replace")) replace = true;
            else if (args.Is(j, "auth") && more >= 1)
            {
                c.RedactArgument(j + 1);
                password = args.ToStr(++j);
            }
            else if (args.Is(j, "auth2") && more >= 2)
            {
                // Redis hides the user name as well as the password.
                c.RedactArgument(j + 1);
                c.RedactArgument(j + 2);
                user = args.ToStr(++j);
                password = args.ToStr(++j);
            }
            else if (args.Is(j, "keys"))
            {
                if (args[3].Length != 0)
                {
                    c.Error("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string");
                    return;
                }
                firstKey = j + 1;
                numKeys = args.Count - j - 1;
                break;
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        if (!c.TryLong(5, out long timeout) || !c.TryLong(4, out long dbid)) return;
        if (timeout <= 0) timeout = 1000;
        var keys = new List<(byte[] Key, object Value, long ExpireAt)>();
        for (int i = firstKey; i < firstKey + numKeys; i++)
        {
            var e = c.LookupRead(args[i]);
            if (e is not null) keys.Add((e.Key, e.Value, e.ExpireAt));
        }
        if (keys.Count == 0)
        {
            c.Reply.SimpleString("NOKEY"u8);
            return;
        }
        string host = args.ToStr(1), port = args.ToStr(2);
        var conn = MigrateSockets.Get(host, port, (int)timeout);
        if (conn is null)
        {
            c.Error("IOERR error or timeout connecting to the client");
            return;
        }
        var request = new RespBuffer();
        if (password is not null)
        {
            if (user is null) request.Command(["AUTH", password]);
            else request.Command(["AUTH", user, password]);
        }
        bool select = conn.LastDb != dbid;
        if (select) request.Command(["SELECT", dbid.ToString()]);
        bool compress = c.Server.Config.GetBool("rdbcompression");
        foreach (var (key, value, expireAt) in keys)
        {
            long ttl = 0;
            if (expireAt != 0) ttl = Math.Max(1, expireAt - c.NowMs);
            var parts = new List<byte[]> { "RESTORE"u8.ToArray(), key, Encoding.ASCII.GetBytes(ttl.ToString()), DumpPayload.Create(value, compress) };
            if (replace) parts.Add("REPLACE"u8.ToArray());
            request.Command([.. parts]);
        }
        string? error = null;
        try
        {
            conn.Send(request.Written, (int)timeout);
            if (password is not null)
            {
                var reply = conn.Read((int)timeout);
                if (reply.IsError) error = reply.Text;
            }
            if (select)
            {
                var reply = conn.Read((int)timeout);
                if (reply.IsError) error ??= reply.Text;
                else conn.LastDb = dbid;
            }
            var db = c.Database;
            foreach (var (key, _, _) in keys)
            {
                var reply = conn.Read((int)timeout);
                if (reply.IsError)
                {
                    error ??= reply.Text;
                    continue;
                }
                if (copy) continue;
                var e = db.Find(key, c.NowMs);
                if (e is null) continue;
                db.Remove(e);
                c.Server.Events.Notify(NotifyFlags.Generic, "del", c.Db, key);
                c.Dirty();
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or FormatException)
        {
            MigrateSockets.Close(host, port);
            c.Error("IOERR error or timeout reading to target instance");
            return;
        }
        if (error is not null) c.Error("ERR Target instance replied with error: " + error);
        else c.Reply.Ok();
    }
}
