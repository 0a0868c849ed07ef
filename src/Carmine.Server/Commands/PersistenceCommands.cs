using Carmine.Server.Network;
using Carmine.Server.Persistence;
using Carmine.Server.PubSub;

using Carmine.Server.Replication;

namespace Carmine.Server.Commands;

/// <summary>The RDB commands (rdb.c and cluster.c in Redis): SAVE, BGSAVE, LASTSAVE, DUMP and RESTORE.</summary>
static class PersistenceCommands
{
    [Command("save", 1, Flags = "admin noscript no_async_loading no_multi", Exclusive = true, Group = "server", Since = "1.0.0",
        Summary = "Synchronously save the dataset to disk", Complexity = "O(N) where N is the total number of keys in all databases")]
    static void Save(Client c)
    {
        if (c.Server.Rdb.BgsaveInProgress)
        {
            c.Error("ERR Background save already in progress");
            return;
        }
        if (c.Server.Rdb.Save()) c.Reply.Ok();
        else c.Error("ERR");
    }

    [Command("bgrewriteaof", 1, Flags = "admin noscript no_async_loading", Group = "server", Since = "1.0.0",
        Summary = "Asynchronously rewrite the append-only file", Complexity = "O(1)")]
    static void BgRewriteAof(Client c)
    {
        var aof = c.Server.Aof;
        if (aof.RewriteInProgress)
        {
            c.Error("ERR Background append only file rewriting already in progress");
            return;
        }
        // Like Redis, which cannot run two children: a rewrite asked for during a BGSAVE or a transaction waits for it.
        if (c.Server.Rdb.BgsaveInProgress || c.Multi is not null || c.InExec)
        {
            aof.ScheduleRewrite();
            c.Reply.SimpleString("Background append only file rewriting scheduled"u8);
            return;
        }
        if (aof.StartRewrite() is { } error) c.Error(error);
        else c.Reply.SimpleString("Background append only file rewriting started"u8);
    }

    [Command("bgsave", -1, Flags = "admin noscript no_async_loading", Group = "server", Since = "1.0.0",
        History = ["3.2.2: Added the `SCHEDULE` option."],
        Arguments = ["schedule:pure-token token=SCHEDULE optional since=3.2.2"],
        Summary = "Asynchronously save the dataset to disk", Complexity = "O(1)")]
    static void Bgsave(Client c)
    {
        // SCHEDULE only matters while an AOF rewrite runs, and Carmine has no AOF yet: it is accepted and changes nothing.
        if (c.Args.Count > 1 && !(c.Args.Count == 2 && c.Args.Is(1, "schedule")))
        {
            c.Error(Errors.Syntax);
            return;
        }
        var rdb = c.Server.Rdb;
        if (rdb.BgsaveInProgress)
        {
            c.Error("ERR Background save already in progress");
            return;
        }
        // Inside MULTI, as inside Redis's EXEC, the save starts after the transaction.
        if (c.Multi is not null)
        {
            rdb.Schedule();
            c.Reply.SimpleString("Background saving scheduled"u8);
            return;
        }
        if (rdb.StartBackgroundSave()) c.Reply.SimpleString("Background saving started"u8);
        else c.Error("ERR Background save already in progress");
    }

    [Command("lastsave", 1, Flags = "loading stale fast", Acl = "admin dangerous", Group = "server", Since = "1.0.0",
        Tips = "nondeterministic_output",
        Summary = "Get the UNIX time stamp of the last successful save to disk", Complexity = "O(1)")]
    static void Lastsave(Client c) => c.Reply.Integer(c.Server.Rdb.LastSaveUnix);

    [Command("dump", 2, Flags = "readonly", Acl = "keyspace", Keys = ["RO access; index 1; range 0 1 0"], Group = "generic", Since = "2.6.0",
        Tips = "nondeterministic_output",
        Summary = "Return a serialized version of the value stored at the specified key.",
        Complexity = "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).")]
    static void Dump(Client c)
    {
        var e = c.LookupRead(c.Args[1]);
        if (e is null)
        {
            c.Reply.Null();
            return;
        }
        c.Reply.Bulk(DumpPayload.Create(e.Value, c.Server.Config.GetBool("rdbcompression")));
    }

    [Command("restore", -4, Flags = "write denyoom", Acl = "keyspace dangerous", Keys = ["OW update; index 1; range 0 1 0"], Group = "generic",
        Since = "2.6.0",
        History = ["3.0.0: Added the `REPLACE` modifier.", "5.0.0: Added the `ABSTTL` modifier.", "5.0.0: Added the `IDLETIME` and `FREQ` options."],
        Arguments = ["key:key", "ttl:integer", "serialized-value:string",
            "replace:pure-token token=REPLACE optional since=3.0.0", "absttl:pure-token token=ABSTTL optional since=5.0.0",
            "seconds:integer token=IDLETIME optional since=5.0.0", "frequency:integer token=FREQ optional since=5.0.0"],
        Summary = "Create a key using the provided serialized value, previously obtained using DUMP.",
        Complexity = "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).")]
    static void Restore(Client c)
    {
        var args = c.Args;
        bool replace = false, absttl = false;
        long idle = -1, freq = -1;
        for (int j = 4; j < args.Count; j++)
        {
            int additional = args.Count - j - 1;
            if (args.Is(j, "replace")) replace = true;
            else if (args.Is(j, "absttl")) absttl = true;
            else if (args.Is(j, "idletime") && additional >= 1 && freq == -1)
            {
                if (!c.TryLong(++j, out idle)) return;
                if (idle < 0)
                {
                    c.Error("ERR Invalid IDLETIME value, must be >= 0");
                    return;
                }
            }
            else if (args.Is(j, "freq") && additional >= 1 && idle == -1)
            {
                if (!c.TryLong(++j, out freq)) return;
                if (freq < 0 || freq > 255)
                {
                    c.Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
                    return;
                }
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        var db = c.Database;
        var existing = c.LookupWrite(args[1]);
        if (!replace && existing is not null)
        {
            c.Error("BUSYKEY Target key name already exists.");
            return;
        }
        if (!c.TryLong(2, out long ttl)) return;
        if (ttl < 0)
        {
            c.Error("ERR Invalid TTL value, must be >= 0");
            return;
        }
        var payload = args.ToArray(3);
        if (!DumpPayload.Verify(payload))
        {
            c.Error("ERR DUMP payload version or checksum are wrong");
            return;
        }
        var value = DumpPayload.Read(payload, RdbLoadLimits.From(c.Server.Config));
        if (value is null)
        {
            c.Error("ERR Bad data format");
            return;
        }
        bool deleted = false;
        if (replace && existing is not null)
        {
            db.Remove(existing);
            deleted = true;
        }
        if (ttl != 0 && !absttl) ttl += c.NowMs;
        if (ttl != 0 && ttl <= c.NowMs)
        {
            if (deleted)
            {
                c.Server.Events.Notify(NotifyFlags.Generic, "del", c.Db, args[1]);
                c.Dirty();
                c.Propagate(c.Server.Config.GetBool("lazyfree-lazy-server-del") ? "UNLINK" : "DEL", args.ToArray(1));
            }
            c.Reply.Ok();
            return;
        }
        var e = db.Add(args[1], value);
        if (ttl != 0) db.SetExpire(e, ttl);
        if (ttl != 0 && !absttl && c.Propagating())
        {
            // A relative TTL reaches replicas and the AOF as the absolute time it means.
            var argv = ReplicationStream.Argv(args);
            argv[2] = ReplicationStream.Argv(ttl)[0];
            c.Propagate([.. argv, "ABSTTL"u8.ToArray()]);
        }
        if (freq >= 0 && c.Server.Keyspace.Access.Lfu) e.Lru = c.Server.Keyspace.Access.Initial(c.NowMs) & ~255u | (uint)freq;
        else if (idle >= 0 && !c.Server.Keyspace.Access.Lfu) e.Lru = LruClock.At(c.NowMs - idle * 1000);
        c.Server.Events.Notify(NotifyFlags.Generic, "restore", c.Db, args[1]);
        c.Reply.Ok();
        c.Dirty();
    }
}
