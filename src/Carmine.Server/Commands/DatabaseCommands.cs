using Carmine.Server.Keyspace;
using Carmine.Server.Network;
using Carmine.Server.Transactions;

using Carmine.Server.Replication;

namespace Carmine.Server.Commands;

/// <summary>Commands on whole databases: DBSIZE FLUSHDB FLUSHALL SWAPDB.</summary>
static class DatabaseCommands
{
    [Command("dbsize", 1, Flags = "readonly fast", Acl = "keyspace", Group = "server", Tips = "request_policy:all_shards response_policy:agg_sum",
        Summary = "Return the number of keys in the selected database", Complexity = "O(1)")]
    static void DbSize(Client c) => c.Reply.Integer(c.Database.Count);

    [Command("flushdb", -1, Flags = "write", Acl = "keyspace dangerous", Group = "server", Exclusive = true,
        Tips = "request_policy:all_shards response_policy:all_succeeded",
        Summary = "Remove all keys from the current database", Complexity = "O(N) where N is the number of keys in the selected database")]
    static void FlushDb(Client c)
    {
        if (!CheckFlushMode(c)) return;
        c.Dirty(Flush(c, c.Database));
        c.Server.Tracking.InvalidateAll();
        // Propagated even when the database was already empty, as Redis 7.0 does.
        if (c.Propagating()) c.Propagate([.. ReplicationStream.Argv(c.Args)]);
        c.Reply.Ok();
    }

    [Command("flushall", -1, Flags = "write", Acl = "keyspace dangerous", Group = "server", Exclusive = true,
        Tips = "request_policy:all_shards response_policy:all_succeeded",
        Summary = "Remove all keys from all databases", Complexity = "O(N) where N is the total number of keys in all databases")]
    static void FlushAll(Client c)
    {
        if (!CheckFlushMode(c)) return;
        long removed = 0;
        foreach (var db in c.Server.Keyspace.Databases) removed += Flush(c, db);
        c.Dirty(removed);
        c.Server.Tracking.InvalidateAll();
        if (c.Propagating()) c.Propagate([.. ReplicationStream.Argv(c.Args)]);
        // As in Redis: a background save of the old data is abandoned, and with save points the empty dataset is saved.
        c.Server.Rdb.AbortBackgroundSave();
        if (c.Server.Config.GetString("save").Length > 0) c.Server.Rdb.Save();
        c.Reply.Ok();
    }

    static long Flush(Client c, Database db)
    {
        c.Server.Watches.TouchDb(db.Index, key => Holds(db, key), _ => WatchedKeys.Replacement.None);
        long count = db.Count;
        db.Clear();
        // Redis frees a database emptied with ASYNC in the background, counting its keys as lazily freed.
        if (c.Args.Count == 2 && c.Args.Is(1, "async")) Interlocked.Add(ref c.Server.Stats.LazyfreedObjects, count);
        return count;
    }

    /// <summary>Accepts the optional ASYNC or SYNC; both empty at once, the old tables being left to the GC.</summary>
    static bool CheckFlushMode(Client c)
    {
        if (c.Args.Count == 1 || (c.Args.Count == 2 && (c.Args.Is(1, "sync") || c.Args.Is(1, "async")))) return true;
        c.Error(Errors.Syntax);
        return false;
    }

    [Command("swapdb", 3, Flags = "write fast", Acl = "keyspace dangerous", Group = "server", Exclusive = true, Since = "4.0.0",
        Summary = "Swaps two Redis databases", Complexity = "O(N) where N is the count of clients watching or blocking on keys from both databases.")]
    static void SwapDb(Client c)
    {
        if (!TryDbIndex(c, 1, "ERR invalid first DB index", out int first)) return;
        if (!TryDbIndex(c, 2, "ERR invalid second DB index", out int second)) return;
        if (!CheckDbInRange(c, first) || !CheckDbInRange(c, second)) return;
        if (first != second)
        {
            var a = c.Server.Keyspace[first];
            var b = c.Server.Keyspace[second];
            c.Server.Watches.TouchDb(first, key => Holds(a, key), key => ReplacementIn(b, key, c.NowMs));
            c.Server.Watches.TouchDb(second, key => Holds(b, key), key => ReplacementIn(a, key, c.NowMs));
            a.SwapWith(b);
            // Both databases now hold other values under the keys clients wait on.
            c.Server.Blocking.SignalDatabase(first);
            c.Server.Blocking.SignalDatabase(second);
        }
        c.Dirty();
        c.Reply.Ok();
    }

    /// <summary>True if the database has an entry for the key, even a logically expired one.</summary>
    static bool Holds(Database db, byte[] key) => Peek(db, key) is not null;

    /// <summary>What <paramref name="db"/> brings in place of a watched key when swapped in.</summary>
    static WatchedKeys.Replacement ReplacementIn(Database db, byte[] key, long nowMs) => Peek(db, key) switch
    {
        null => WatchedKeys.Replacement.None,
        { ExpireAt: not 0 } e when e.ExpireAt <= nowMs => WatchedKeys.Replacement.Expired,
        _ => WatchedKeys.Replacement.Live,
    };

    /// <summary>The entry for a key without expiring it: what Redis's dictFind sees.</summary>
    static Entry? Peek(Database db, byte[] key)
    {
        uint hash = KeyHash.Hash(key);
        return db.Shards[db.ShardIndex(hash)].Table.Find(key, hash);
    }

    /// <summary>
    /// Reads a database number as Redis's getIntFromObjectOrReply does: a custom <paramref name="error"/> for any
    /// failure, or else Redis's two texts for a non-integer and for a number outside the C int range.
    /// </summary>
    internal static bool TryDbIndex(Client c, int i, string? error, out int index)
    {
        index = 0;
        if (!c.TryLong(i, out long n, error ?? Errors.NotInteger)) return false;
        if (n < int.MinValue || n > int.MaxValue)
        {
            c.Error(error ?? "ERR value is out of range, value must between -2147483648 and 2147483647");
            return false;
        }
        index = (int)n;
        return true;
    }

    internal static bool CheckDbInRange(Client c, int index)
    {
        if (index >= 0 && index < c.Server.Keyspace.Count) return true;
        c.Error(Errors.DbIndexOutOfRange);
        return false;
    }
}
