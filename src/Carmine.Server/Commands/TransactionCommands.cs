using Carmine.Server.Network;
using Carmine.Server.Transactions;

namespace Carmine.Server.Commands;

/// <summary>MULTI EXEC DISCARD WATCH UNWATCH (multi.c in Redis).</summary>
static class TransactionCommands
{
    [Command("multi", 1, Flags = "noscript loading stale fast allow_busy", Acl = "transaction", Group = "transactions", Since = "1.2.0",
        Summary = "Start a transaction block", Complexity = "O(1)")]
    static void Multi(Client c)
    {
        if (c.Multi is not null)
        {
            c.Error("ERR MULTI calls can not be nested");
            return;
        }
        c.Multi = new MultiState();
        c.Reply.Ok();
    }

    [Command("discard", 1, Flags = "noscript loading stale fast allow_busy", Acl = "transaction", Group = "transactions", Since = "2.0.0",
        Summary = "Discard all commands issued after MULTI", Complexity = "O(N), when N is the number of queued commands")]
    static void Discard(Client c)
    {
        if (c.Multi is null)
        {
            c.Error("ERR DISCARD without MULTI");
            return;
        }
        EndTransaction(c);
        c.Reply.Ok();
    }

    /// <summary>Runs the queued commands with every keyspace lock held, so no other client sees a partial transaction.</summary>
    [Command("exec", 1, Flags = "noscript loading stale skip_slowlog", Acl = "transaction", Group = "transactions", Since = "1.2.0", Exclusive = true,
        Summary = "Execute all commands issued after MULTI", Complexity = "Depends on commands in the transaction")]
    static void Exec(Client c)
    {
        var multi = c.Multi;
        if (multi is null)
        {
            c.Error("ERR EXEC without MULTI");
            return;
        }
        if (WatchedKeyExpired(c)) c.WatchDirty = true;
        if (multi.Aborted)
        {
            EndTransaction(c);
            c.Error("EXECABORT Transaction discarded because of previous errors.");
            return;
        }
        if (c.WatchDirty)
        {
            EndTransaction(c);
            c.Reply.NullArray();
            return;
        }
        EndTransaction(c);
        var server = c.Server;
        var original = c.Args;
        c.InExec = true;
        try
        {
            c.Reply.ArrayHeader(multi.Queued.Count);
            foreach (var (cmd, args) in multi.Queued)
            {
                c.Args = args;
                server.Call(c, cmd);
            }
        }
        finally
        {
            c.InExec = false;
            c.Args = original;
            c.LastCommand = "exec";
        }
    }

    static void EndTransaction(Client c)
    {
        c.Multi = null;
        c.Server.Watches.UnwatchAll(c);
        c.WatchDirty = false;
    }

    /// <summary>EXEC fails if a key that was live when watched has expired since (Redis 7.0).</summary>
    static bool WatchedKeyExpired(Client c)
    {
        foreach (var (db, key) in c.Server.Watches.LiveWatchedKeys(c))
        {
            var shard = c.Server.Keyspace[db].ShardOf(key);
            lock (shard.Lock)
                if (IsStale(shard, key, c.NowMs)) return true;
        }
        return false;
    }

    /// <summary>True if the key is still stored but logically expired (the caller holds the shard lock).</summary>
    static bool IsStale(Keyspace.Shard shard, ReadOnlySpan<byte> key, long nowMs)
    {
        var entry = shard.Table.Find(key, Keyspace.KeyHash.Hash(key));
        return entry is not null && entry.ExpireAt != 0 && entry.ExpireAt <= nowMs;
    }

    [Command("watch", -2, Flags = "noscript loading stale fast allow_busy", Acl = "transaction", Group = "transactions", Since = "2.2.0",
        Keys = ["RO; index 1; range -1 1 0"], Summary = "Monitor changes to keys", Complexity = "O(1) for every key.")]
    static void Watch(Client c)
    {
        if (c.Multi is not null)
        {
            c.Error("ERR WATCH inside MULTI is not allowed");
            return;
        }
        if (!c.WatchDirty)
        {
            var table = c.Database;
            for (int i = 1; i < c.Args.Count; i++)
            {
                bool stale = IsStale(table.ShardOf(c.Args[i]), c.Args[i], c.NowMs);
                c.Server.Watches.Watch(c, c.Db, c.Args.ToArray(i), stale);
            }
        }
        c.Reply.Ok();
    }

    [Command("unwatch", 1, Flags = "noscript loading stale fast allow_busy", Acl = "transaction", Group = "transactions", Since = "2.2.0",
        Summary = "Forget about all watched keys", Complexity = "O(1)")]
    static void Unwatch(Client c)
    {
        c.Server.Watches.UnwatchAll(c);
        c.WatchDirty = false;
        c.Reply.Ok();
    }
}
