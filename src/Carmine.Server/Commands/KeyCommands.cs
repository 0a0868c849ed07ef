using Carmine.Protocol;
using Carmine.Server.Keyspace;
using Carmine.Server.Network;
using Carmine.Server.PubSub;
using Carmine.Server.Types;

using Carmine.Server.Replication;

namespace Carmine.Server.Commands;

/// <summary>The generic keyspace commands (db.c and expire.c in Redis): deletion, renaming, iteration and expiry.</summary>
static class KeyCommands
{
    const string MultiShardSum = "request_policy:multi_shard response_policy:agg_sum";

    [Command("del", -2, Flags = "write", Acl = "keyspace", Keys = ["RM delete; index 1; range -1 1 0"], Tips = MultiShardSum,
        Summary = "Delete a key", Complexity = "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).")]
    static void Del(Client c) => DeleteKeys(c, lazy: false);

    [Command("unlink", -2, Flags = "write fast", Acl = "keyspace", Keys = ["RM delete; index 1; range -1 1 0"], Tips = MultiShardSum, Since = "4.0.0",
        Summary = "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
        Complexity = "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.")]
    static void Unlink(Client c) => DeleteKeys(c, lazy: true);

    // Memory is reclaimed by the GC either way, so UNLINK and DEL share one path; UNLINK counts what Redis frees lazily.
    static void DeleteKeys(Client c, bool lazy)
    {
        var db = c.Database;
        long deleted = 0;
        for (int i = 1; i < c.Args.Count; i++)
        {
            var e = db.Find(c.Args[i], c.NowMs);
            if (e is null) continue;
            if (lazy && LazyFree.FreeEffort(e.Value) > LazyFree.Threshold) Interlocked.Increment(ref c.Server.Stats.LazyfreedObjects);
            db.Remove(e);
            Notify(c, "del", c.Db, c.Args[i]);
            deleted++;
        }
        if (deleted > 0) c.Dirty(deleted);
        c.Reply.Integer(deleted);
    }

    [Command("exists", -2, Flags = "readonly fast", Acl = "keyspace", Keys = ["RO; index 1; range -1 1 0"], Tips = MultiShardSum,
        Summary = "Determine if a key exists", Complexity = "O(N) where N is the number of keys to check.")]
    static void Exists(Client c)
    {
        long found = 0;
        for (int i = 1; i < c.Args.Count; i++)
            if (c.LookupRead(c.Args[i], touch: false) is not null) found++;
        c.Reply.Integer(found);
    }

    [Command("touch", -2, Flags = "readonly fast", Acl = "keyspace", Keys = ["RO; index 1; range -1 1 0"], Tips = MultiShardSum, Since = "3.2.1",
        Summary = "Alters the last access time of a key(s). Returns the number of existing keys specified.", Complexity = "O(N) where N is the number of keys that will be touched.")]
    static void Touch(Client c)
    {
        long touched = 0;
        for (int i = 1; i < c.Args.Count; i++)
            if (c.LookupRead(c.Args[i]) is not null) touched++;
        c.Reply.Integer(touched);
    }

    [Command("type", 2, Flags = "readonly fast", Acl = "keyspace", Keys = ["RO; index 1; range 0 1 0"],
        Summary = "Determine the type stored at key", Complexity = "O(1)")]
    static void Type(Client c)
    {
        var e = c.LookupRead(c.Args[1], touch: false);
        c.Reply.SimpleString(e is null ? "none" : RedisObject.TypeName(e.Value));
    }

    [Command("rename", 3, Flags = "write", Acl = "keyspace", Keys = ["RW access delete; index 1; range 0 1 0", "OW update; index 2; range 0 1 0"],
        Summary = "Rename a key", Complexity = "O(1)")]
    static void Rename(Client c) => RenameGeneric(c, nx: false);

    [Command("renamenx", 3, Flags = "write fast", Acl = "keyspace", Keys = ["RW access delete; index 1; range 0 1 0", "OW insert; index 2; range 0 1 0"],
        Summary = "Rename a key, only if the new key does not exist", Complexity = "O(1)")]
    static void RenameNx(Client c) => RenameGeneric(c, nx: true);

    static void RenameGeneric(Client c, bool nx)
    {
        var args = c.Args;
        var db = c.Database;
        var source = c.LookupWrite(args[1]);
        if (source is null)
        {
            c.Error(Errors.NoSuchKey);
            return;
        }
        if (args[1].SequenceEqual(args[2]))
        {
            if (nx) c.Reply.Integer(0);
            else c.Reply.Ok();
            return;
        }
        var target = c.LookupWrite(args[2]);
        if (target is not null)
        {
            if (nx)
            {
                c.Reply.Integer(0);
                return;
            }
            db.Remove(target);
        }
        Transfer(source, db, db, args.ToArray(2));
        Notify(c, "rename_from", c.Db, args[1]);
        Notify(c, "rename_to", c.Db, args[2]);
        c.Dirty();
        if (nx) c.Reply.Integer(1);
        else c.Reply.Ok();
    }

    /// <summary>Moves an entry's value, expiry and access time to a new key, possibly in another database.</summary>
    static void Transfer(Entry source, Database from, Database to, byte[] key)
    {
        long expireAt = source.ExpireAt;
        from.Remove(source);
        var moved = to.Add(key, source.Value);
        moved.Lru = source.Lru;
        if (expireAt != 0) to.SetExpire(moved, expireAt);
    }

    // Exclusive: the target database's shards are not among the locks the key specs name.
    [Command("move", 3, Flags = "write fast", Acl = "keyspace", Keys = ["RW access update; index 1; range 0 1 0"], Exclusive = true,
        Summary = "Move a key to another database", Complexity = "O(1)")]
    static void Move(Client c)
    {
        if (!DatabaseCommands.TryDbIndex(c, 2, null, out int target) || !DatabaseCommands.CheckDbInRange(c, target)) return;
        if (target == c.Db)
        {
            c.Error(Errors.SameObject);
            return;
        }
        var e = c.LookupWrite(c.Args[1]);
        var to = c.Server.Keyspace[target];
        if (e is null || to.Find(e.Key, c.NowMs) is not null)
        {
            c.Reply.Integer(0);
            return;
        }
        Transfer(e, c.Database, to, e.Key);
        // The dispatcher touches the watchers of the source key; those of the target database are ours.
        c.Server.Watches.Touch(target, e.Key, existsNow: true);
        Notify(c, "move_from", c.Db, e.Key);
        Notify(c, "move_to", target, e.Key);
        c.Dirty();
        c.Reply.Integer(1);
    }

    // Exclusive for the same reason as MOVE: with DB the destination lies in another database.
    [Command("copy", -3, Flags = "write denyoom", Acl = "keyspace", Keys = ["RO access; index 1; range 0 1 0", "OW update; index 2; range 0 1 0"],
        Exclusive = true, Since = "6.2.0",
        Summary = "Copy a key", Complexity = "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.")]
    static void Copy(Client c)
    {
        var args = c.Args;
        bool replace = false;
        int target = c.Db;
        for (int i = 3; i < args.Count; i++)
        {
            if (args.Is(i, "replace")) replace = true;
            else if (args.Is(i, "db") && i + 1 < args.Count)
            {
                if (!DatabaseCommands.TryDbIndex(c, ++i, null, out target) || !DatabaseCommands.CheckDbInRange(c, target)) return;
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        if (target == c.Db && args[1].SequenceEqual(args[2]))
        {
            c.Error(Errors.SameObject);
            return;
        }
        var source = c.LookupRead(args[1]);
        if (source is null)
        {
            c.Reply.Integer(0);
            return;
        }
        var to = c.Server.Keyspace[target];
        var existing = to.Find(args[2], c.NowMs);
        if (existing is not null && !replace)
        {
            c.Reply.Integer(0);
            return;
        }
        var copy = Duplicate(source.Value);
        if (copy is null)
        {
            c.Error("ERR unknown type object");
            return;
        }
        if (existing is not null) to.Remove(existing);
        var added = to.Add(args.ToArray(2), copy);
        if (source.ExpireAt != 0) to.SetExpire(added, source.ExpireAt);
        if (target != c.Db) c.Server.Watches.Touch(target, added.Key, existsNow: true);
        Notify(c, "copy_to", target, added.Key);
        c.Dirty();
        c.Reply.Integer(1);
    }

    /// <summary>A copy of a value that shares nothing mutable with it; null for a type that cannot be copied.</summary>
    static object? Duplicate(object value) => value switch
    {
        byte[] bytes => bytes.ToArray(),
        RawString raw => new RawString(raw.Span),
        ICopyable copyable => copyable.DeepCopy(),
        _ => null,
    };

    // Exclusive: KEYS is atomic in Redis, and it reads every shard of the database.
    [Command("keys", 2, Flags = "readonly", Acl = "keyspace dangerous", Exclusive = true, Tips = "request_policy:all_shards nondeterministic_output_order",
        Summary = "Find all keys matching the given pattern",
        Complexity = "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.")]
    static void Keys(Client c)
    {
        var pattern = c.Args[1];
        bool all = pattern.Length == 1 && pattern[0] == '*';
        int header = c.Reply.BeginDeferred();
        long n = 0;
        foreach (var shard in c.Database.Shards)
        {
            foreach (var e in shard.Table.Entries())
            {
                // Expired keys are hidden but left for expiry to delete, as Redis does.
                if (IsExpired(e, c.NowMs) || (!all && !GlobMatch.Match(pattern, e.Key))) continue;
                c.Reply.Bulk(e.Key);
                n++;
            }
        }
        c.Reply.EndDeferredArray(header, n);
    }

    static void Notify(Client c, string evt, int db, ReadOnlySpan<byte> key) => c.Server.Events.Notify(NotifyFlags.Generic, evt, db, key);

    static bool IsExpired(Entry e, long nowMs) => e.ExpireAt != 0 && e.ExpireAt <= nowMs;

    [Command("randomkey", 1, Flags = "readonly", Acl = "keyspace", Tips = "request_policy:all_shards nondeterministic_output",
        Summary = "Return a random key from the keyspace", Complexity = "O(1)")]
    static void RandomKey(Client c)
    {
        var e = c.Database.RandomEntry(c.NowMs);
        if (e is null) c.Reply.Null();
        else c.Reply.Bulk(e.Key);
    }

    [Command("scan", -2, Flags = "readonly", Acl = "keyspace", Since = "2.8.0", Tips = "nondeterministic_output request_policy:special",
        Summary = "Incrementally iterate the keys space",
        Complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.")]
    static void Scan(Client c)
    {
        var args = c.Args;
        if (!CollectionScan.TryParseCursor(c, 1, out ulong cursor)) return;
        long count = 10;
        int patternIndex = -1, typeIndex = -1;
        for (int i = 2; i < args.Count; i++)
        {
            bool hasValue = i + 1 < args.Count;
            if (args.Is(i, "count") && hasValue)
            {
                if (!c.TryLong(++i, out count)) return;
                if (count < 1)
                {
                    c.Error(Errors.Syntax);
                    return;
                }
            }
            else if (args.Is(i, "match") && hasValue) patternIndex = ++i;
            else if (args.Is(i, "type") && hasValue) typeIndex = ++i;
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        var scan = new KeyScan(c, patternIndex, typeIndex);
        cursor = scan.Run(cursor, count);
        c.Reply.ArrayHeader(2);
        c.Reply.Bulk(unchecked((long)cursor));
        c.Reply.ArrayHeader(scan.Found.Count);
        foreach (var key in scan.Found) c.Reply.Bulk(key);
    }

    /// <summary>
    /// One SCAN call over a database. The cursor names a shard in its low bits and a bucket cursor of that
    /// shard's table above them; the shards are visited in order, each with its table's reverse-binary cursor,
    /// so a key present for the whole iteration is returned even if tables grow or shrink between calls.
    /// </summary>
    sealed class KeyScan(Client c, int patternIndex, int typeIndex)
    {
        public readonly List<byte[]> Found = [];
        readonly List<Entry> bucket = [];
        readonly bool usePattern = patternIndex >= 0 && !(c.Args[patternIndex].Length == 1 && c.Args[patternIndex][0] == '*');

        public ulong Run(ulong cursor, long count)
        {
            var shards = c.Database.Shards;
            int shardBits = KeyHash.Log2((ulong)shards.Count);
            ulong shardMask = (ulong)shards.Count - 1;
            int shardIndex = (int)(cursor & shardMask);
            ulong tableCursor = cursor >> shardBits;
            // At most ten empty buckets per key wanted, so a sparse table cannot stall the call.
            long iterations = count > long.MaxValue / 10 ? long.MaxValue : count * 10;
            do
            {
                var shard = shards[shardIndex];
                lock (shard.Lock)
                {
                    tableCursor = shard.Table.ScanStep(tableCursor, bucket.Add);
                    // Filtered after the step: deleting an expired key may shrink the table being walked.
                    foreach (var e in bucket) Consider(shard, e);
                }
                bucket.Clear();
                if (tableCursor == 0 && ++shardIndex == shards.Count) return 0;
            }
            while (iterations-- > 0 && Found.Count < count);
            return (tableCursor << shardBits) | (uint)shardIndex;
        }

        /// <summary>Keeps a key that passes MATCH and TYPE; an expired one that matches is deleted, as Redis's lookup would.</summary>
        void Consider(Shard shard, Entry e)
        {
            if (usePattern && !GlobMatch.Match(c.Args[patternIndex], e.Key)) return;
            if (IsExpired(e, c.NowMs))
            {
                c.Server.Keyspace.ExpireIfNeeded(c.Database, shard, e);
                return;
            }
            if (typeIndex >= 0 && !c.Args.Is(typeIndex, RedisObject.TypeName(e.Value))) return;
            Found.Add(e.Key);
        }
    }

    [Command("expire", -3, Flags = "write fast", Acl = "keyspace", Keys = ["RW update; index 1; range 0 1 0"],
        Summary = "Set a key's time to live in seconds", Complexity = "O(1)")]
    static void Expire(Client c) => ExpireGeneric(c, "expire", c.NowMs, seconds: true);

    [Command("pexpire", -3, Flags = "write fast", Acl = "keyspace", Keys = ["RW update; index 1; range 0 1 0"], Since = "2.6.0",
        Summary = "Set a key's time to live in milliseconds", Complexity = "O(1)")]
    static void PExpire(Client c) => ExpireGeneric(c, "pexpire", c.NowMs, seconds: false);

    [Command("expireat", -3, Flags = "write fast", Acl = "keyspace", Keys = ["RW update; index 1; range 0 1 0"], Since = "1.2.0",
        Summary = "Set the expiration for a key as a UNIX timestamp", Complexity = "O(1)")]
    static void ExpireAt(Client c) => ExpireGeneric(c, "expireat", 0, seconds: true);

    [Command("pexpireat", -3, Flags = "write fast", Acl = "keyspace", Keys = ["RW update; index 1; range 0 1 0"], Since = "2.6.0",
        Summary = "Set the expiration for a key as a UNIX timestamp specified in milliseconds", Complexity = "O(1)")]
    static void PExpireAt(Client c) => ExpireGeneric(c, "pexpireat", 0, seconds: false);

    /// <summary>EXPIRE and its variants: the time is relative to <paramref name="baseMs"/> (0 for the *AT forms).</summary>
    static void ExpireGeneric(Client c, string command, long baseMs, bool seconds)
    {
        var args = c.Args;
        bool nx = false, xx = false, gt = false, lt = false;
        for (int i = 3; i < args.Count; i++)
        {
            if (args.Is(i, "nx")) nx = true;
            else if (args.Is(i, "xx")) xx = true;
            else if (args.Is(i, "gt")) gt = true;
            else if (args.Is(i, "lt")) lt = true;
            else
            {
                c.Error("ERR Unsupported option " + args.ToStr(i));
                return;
            }
        }
        if (nx && (xx || gt || lt))
        {
            c.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
            return;
        }
        if (gt && lt)
        {
            c.Error("ERR GT and LT options at the same time are not compatible");
            return;
        }
        if (!c.TryLong(2, out long when)) return;
        string invalid = $"ERR invalid expire time in '{command}' command";
        if (seconds)
        {
            if (when > long.MaxValue / 1000 || when < long.MinValue / 1000)
            {
                c.Error(invalid);
                return;
            }
            when *= 1000;
        }
        if (when > long.MaxValue - baseMs)
        {
            c.Error(invalid);
            return;
        }
        when += baseMs;
        var e = c.LookupWrite(args[1]);
        if (e is null)
        {
            c.Reply.Integer(0);
            return;
        }
        long current = e.ExpireAt == 0 ? -1 : e.ExpireAt;
        bool refused = (nx && current != -1)
            || (xx && current == -1)
            || (gt && (current == -1 || when <= current))
            || (lt && current != -1 && when >= current);
        if (refused)
        {
            c.Reply.Integer(0);
            return;
        }
        var db = c.Database;
        // A time in the past deletes the key, except on a replica, which waits for its master's DEL.
        if (when <= c.NowMs && c.Server.Keyspace.DeleteExpired && !c.Server.Keyspace.IgnoreExpiry)
        {
            db.Remove(e);
            Notify(c, "del", c.Db, args[1]);
            c.Propagate(c.Server.Config.GetBool("lazyfree-lazy-expire") ? "UNLINK" : "DEL", e.Key);
        }
        else
        {
            db.SetExpire(e, when);
            Notify(c, "expire", c.Db, args[1]);
            // Relative times and seconds reach replicas and the AOF as the absolute millisecond they mean.
            if (command != "pexpireat" && c.Propagating()) c.Propagate("PEXPIREAT", e.Key, when);
        }
        c.Dirty();
        c.Reply.Integer(1);
    }

    [Command("ttl", 2, Flags = "readonly fast", Acl = "keyspace", Keys = ["RO access; index 1; range 0 1 0"], Tips = "nondeterministic_output",
        Summary = "Get the time to live for a key in seconds", Complexity = "O(1)")]
    static void Ttl(Client c) => TtlGeneric(c, milliseconds: false, absolute: false);

    [Command("pttl", 2, Flags = "readonly fast", Acl = "keyspace", Keys = ["RO access; index 1; range 0 1 0"], Tips = "nondeterministic_output", Since = "2.6.0",
        Summary = "Get the time to live for a key in milliseconds", Complexity = "O(1)")]
    static void PTtl(Client c) => TtlGeneric(c, milliseconds: true, absolute: false);

    [Command("expiretime", 2, Flags = "readonly fast", Acl = "keyspace", Keys = ["RO access; index 1; range 0 1 0"], Since = "7.0.0",
        Summary = "Get the expiration Unix timestamp for a key", Complexity = "O(1)")]
    static void ExpireTime(Client c) => TtlGeneric(c, milliseconds: false, absolute: true);

    [Command("pexpiretime", 2, Flags = "readonly fast", Acl = "keyspace", Keys = ["RO access; index 1; range 0 1 0"], Since = "7.0.0",
        Summary = "Get the expiration Unix timestamp for a key in milliseconds", Complexity = "O(1)")]
    static void PExpireTime(Client c) => TtlGeneric(c, milliseconds: true, absolute: true);

    /// <summary>TTL and its variants: -2 for a missing key, -1 without expiry, else the remaining or absolute time.</summary>
    static void TtlGeneric(Client c, bool milliseconds, bool absolute)
    {
        var e = c.LookupRead(c.Args[1], touch: false);
        if (e is null)
        {
            c.Reply.Integer(-2);
            return;
        }
        if (e.ExpireAt == 0)
        {
            c.Reply.Integer(-1);
            return;
        }
        long ttl = Math.Max(0, absolute ? e.ExpireAt : e.ExpireAt - c.NowMs);
        c.Reply.Integer(milliseconds ? ttl : (ttl + 500) / 1000);
    }

    [Command("persist", 2, Flags = "write fast", Acl = "keyspace", Keys = ["RW update; index 1; range 0 1 0"], Since = "2.2.0",
        Summary = "Remove the expiration from a key", Complexity = "O(1)")]
    static void Persist(Client c)
    {
        var e = c.LookupWrite(c.Args[1]);
        if (e is null || e.ExpireAt == 0)
        {
            c.Reply.Integer(0);
            return;
        }
        c.Database.RemoveExpire(e);
        Notify(c, "persist", c.Db, c.Args[1]);
        c.Dirty();
        c.Reply.Integer(1);
    }
}

/// <summary>OBJECT: how a key's value is stored and used (object.c in Redis).</summary>
[Command("object", -2, Summary = "A container for object introspection commands", Complexity = "Depends on subcommand.", Since = "2.2.3")]
static class ObjectCommand
{
    /// <summary>Redis shares one object for each integer below this, unless an LRU or LFU policy needs per-key access data.</summary>
    const long SharedIntegers = 10000;

    const string LfuNotSelected = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
    const string LfuSelected = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

    [Command("object|encoding", 3, Flags = "readonly", Acl = "keyspace", Keys = ["RO; index 2; range 0 1 0"], Tips = "nondeterministic_output", Since = "2.2.3",
        Summary = "Inspect the internal encoding of a Redis object", Complexity = "O(1)")]
    static void Encoding(Client c)
    {
        var e = c.LookupRead(c.Args[2], touch: false);
        if (e is null) c.Reply.Null();
        else c.Reply.Bulk(RedisObject.Encoding(e.Value));
    }

    [Command("object|refcount", 3, Flags = "readonly", Acl = "keyspace", Keys = ["RO; index 2; range 0 1 0"], Tips = "nondeterministic_output", Since = "2.2.3",
        Summary = "Get the number of references to the value of the key", Complexity = "O(1)")]
    static void RefCount(Client c)
    {
        var e = c.LookupRead(c.Args[2], touch: false);
        if (e is null) c.Reply.Null();
        else c.Reply.Integer(IsSharedInteger(c, e.Value) ? int.MaxValue : 1);
    }

    static bool IsSharedInteger(Client c, object value) =>
        value is byte[] bytes && NumberFormat.TryParseInt64(bytes, out long n) && n >= 0 && n < SharedIntegers
        && (c.Server.Config.GetLong("maxmemory") == 0 || !(c.Server.Config.GetString("maxmemory-policy").EndsWith("-lru", StringComparison.Ordinal) || c.Server.Keyspace.Access.Lfu));

    [Command("object|idletime", 3, Flags = "readonly", Acl = "keyspace", Keys = ["RO; index 2; range 0 1 0"], Tips = "nondeterministic_output", Since = "2.2.3",
        Summary = "Get the time since a Redis object was last accessed", Complexity = "O(1)")]
    static void IdleTime(Client c)
    {
        var e = c.LookupRead(c.Args[2], touch: false);
        if (e is null) c.Reply.Null();
        else if (c.Server.Keyspace.Access.Lfu) c.Error(LfuSelected);
        else c.Reply.Integer(LruClock.IdleSeconds(e.Lru));
    }

    [Command("object|freq", 3, Flags = "readonly", Acl = "keyspace", Keys = ["RO; index 2; range 0 1 0"], Tips = "nondeterministic_output", Since = "4.0.0",
        Summary = "Get the logarithmic access frequency counter of a Redis object", Complexity = "O(1)")]
    static void Freq(Client c)
    {
        var e = c.LookupRead(c.Args[2], touch: false);
        if (e is null) c.Reply.Null();
        else if (!c.Server.Keyspace.Access.Lfu) c.Error(LfuNotSelected);
        else c.Reply.Integer(c.Server.Keyspace.Access.Frequency(e.Lru, c.NowMs));
    }

    [Command("object|help", 2, Flags = "loading stale", Acl = "keyspace", Since = "6.2.0",
        Summary = "Show helpful text about the different subcommands", Complexity = "O(1)")]
    static void Help(Client c) => c.HelpReply("OBJECT",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.");
}
