using Carmine.Protocol;
using Carmine.Server.Network;
using Carmine.Server.PubSub;
using Carmine.Server.Types;

using Carmine.Server.Replication;

namespace Carmine.Server.Commands;

/// <summary>The hash commands (t_hash.c in Redis).</summary>
static class HashCommands
{
    /// <summary>Looks up a hash for writing, creating an empty one if the key is absent; null after replying WRONGTYPE.</summary>
    static HashValue? LookupWriteOrCreate(Client c)
    {
        if (!c.TryWrite<HashValue>(c.Args[1], out _, out var hash)) return null;
        if (hash is null)
        {
            hash = new HashValue();
            c.Database.Add(c.Args[1], hash);
        }
        return hash;
    }

    static void Notify(Client c, string evt, ReadOnlySpan<byte> key, NotifyFlags type = NotifyFlags.Hash) =>
        c.Server.Events.Notify(type, evt, c.Db, key);

    /// <summary>hash-max-listpack-entries and hash-max-listpack-value, read once per command and only for a listpack.</summary>
    readonly record struct Limits(long Entries, long Value)
    {
        public static Limits For(Client c, HashValue hash)
        {
            if (!hash.IsListpack) return new Limits(long.MaxValue, long.MaxValue);
            var config = c.Server.Config;
            return new Limits(config.GetLong("hash-max-listpack-entries"), config.GetLong("hash-max-listpack-value"));
        }
    }

    /// <summary>Sets a field under the configured listpack limits; true if the field is new.</summary>
    static bool SetField(Client c, HashValue hash, ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        var limits = Limits.For(c, hash);
        return hash.Set(field, value, limits.Entries, limits.Value);
    }

    [Command("hset", -4, Flags = "write denyoom fast", Acl = "hash", Group = "hash", Since = "2.0.0", Keys = ["RW update; index 1; range 0 1 0"],
        Summary = "Set the string value of a hash field",
        Complexity = "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.")]
    static void HSet(Client c) => SetGeneric(c, "hset");

    [Command("hmset", -4, Flags = "write denyoom fast", Acl = "hash", Group = "hash", Since = "2.0.0", Keys = ["RW update; index 1; range 0 1 0"],
        Summary = "Set multiple hash fields to multiple values", Complexity = "O(N) where N is the number of fields being set.")]
    static void HMSet(Client c) => SetGeneric(c, "hmset");

    static void SetGeneric(Client c, string name)
    {
        var args = c.Args;
        if (args.Count % 2 == 1)
        {
            c.Error(Errors.WrongArgs(name));
            return;
        }
        var hash = LookupWriteOrCreate(c);
        if (hash is null) return;
        var limits = Limits.For(c, hash);
        int created = 0;
        for (int i = 2; i < args.Count; i += 2)
            if (hash.Set(args[i], args[i + 1], limits.Entries, limits.Value)) created++;
        Notify(c, "hset", args[1]);
        c.Dirty((args.Count - 2) / 2);
        if (name == "hset") c.Reply.Integer(created);
        else c.Reply.Ok();
    }

    [Command("hsetnx", 4, Flags = "write denyoom fast", Acl = "hash", Group = "hash", Since = "2.0.0", Keys = ["RW insert; index 1; range 0 1 0"],
        Summary = "Set the value of a hash field, only if the field does not exist", Complexity = "O(1)")]
    static void HSetNx(Client c)
    {
        var hash = LookupWriteOrCreate(c);
        if (hash is null) return;
        if (hash.Contains(c.Args[2]))
        {
            c.Reply.Integer(0);
            return;
        }
        SetField(c, hash, c.Args[2], c.Args[3]);
        Notify(c, "hset", c.Args[1]);
        c.Dirty();
        c.Reply.Integer(1);
    }

    [Command("hget", 3, Flags = "readonly fast", Acl = "hash", Group = "hash", Since = "2.0.0", Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Get the value of a hash field", Complexity = "O(1)")]
    static void HGet(Client c)
    {
        if (!c.TryRead<HashValue>(c.Args[1], out var hash)) return;
        if (hash is not null && hash.TryGet(c.Args[2], out var value)) c.Reply.Bulk(value);
        else c.Reply.Null();
    }

    [Command("hmget", -3, Flags = "readonly fast", Acl = "hash", Group = "hash", Since = "2.0.0", Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Get the values of all the given hash fields", Complexity = "O(N) where N is the number of fields being requested.")]
    static void HMGet(Client c)
    {
        if (!c.TryRead<HashValue>(c.Args[1], out var hash)) return;
        var args = c.Args;
        c.Reply.ArrayHeader(args.Count - 2);
        for (int i = 2; i < args.Count; i++)
        {
            if (hash is not null && hash.TryGet(args[i], out var value)) c.Reply.Bulk(value);
            else c.Reply.Null();
        }
    }

    [Command("hdel", -3, Flags = "write fast", Acl = "hash", Group = "hash", Since = "2.0.0", Keys = ["RW delete; index 1; range 0 1 0"],
        Summary = "Delete one or more hash fields", Complexity = "O(N) where N is the number of fields to be removed.")]
    static void HDel(Client c)
    {
        if (!c.TryWrite<HashValue>(c.Args[1], out var entry, out var hash)) return;
        if (hash is null)
        {
            c.Reply.Integer(0);
            return;
        }
        var args = c.Args;
        int deleted = 0;
        bool removed = false;
        for (int i = 2; i < args.Count; i++)
        {
            if (!hash.Delete(args[i])) continue;
            deleted++;
            if (hash.Count == 0)
            {
                c.Database.Remove(entry!);
                removed = true;
                break;
            }
        }
        if (deleted > 0)
        {
            Notify(c, "hdel", args[1]);
            if (removed) Notify(c, "del", args[1], NotifyFlags.Generic);
            c.Dirty(deleted);
        }
        c.Reply.Integer(deleted);
    }

    [Command("hlen", 2, Flags = "readonly fast", Acl = "hash", Group = "hash", Since = "2.0.0", Keys = ["RO; index 1; range 0 1 0"],
        Summary = "Get the number of fields in a hash", Complexity = "O(1)")]
    static void HLen(Client c)
    {
        if (!c.TryRead<HashValue>(c.Args[1], out var hash)) return;
        c.Reply.Integer(hash?.Count ?? 0);
    }

    [Command("hstrlen", 3, Flags = "readonly fast", Acl = "hash", Group = "hash", Since = "3.2.0", Keys = ["RO; index 1; range 0 1 0"],
        Summary = "Get the length of the value of a hash field", Complexity = "O(1)")]
    static void HStrLen(Client c)
    {
        if (!c.TryRead<HashValue>(c.Args[1], out var hash)) return;
        c.Reply.Integer(hash is not null && hash.TryGet(c.Args[2], out var value) ? value.Length : 0);
    }

    [Command("hexists", 3, Flags = "readonly fast", Acl = "hash", Group = "hash", Since = "2.0.0", Keys = ["RO; index 1; range 0 1 0"],
        Summary = "Determine if a hash field exists", Complexity = "O(1)")]
    static void HExists(Client c)
    {
        if (!c.TryRead<HashValue>(c.Args[1], out var hash)) return;
        c.Reply.Integer(hash is not null && hash.Contains(c.Args[2]) ? 1 : 0);
    }

    [Command("hincrby", 4, Flags = "write denyoom fast", Acl = "hash", Group = "hash", Since = "2.0.0", Keys = ["RW access update; index 1; range 0 1 0"],
        Summary = "Increment the integer value of a hash field by the given number", Complexity = "O(1)")]
    static void HIncrBy(Client c)
    {
        if (!c.TryLong(3, out long incr)) return;
        var hash = LookupWriteOrCreate(c);
        if (hash is null) return;
        long value = 0;
        if (hash.TryGet(c.Args[2], out var current) && !NumberFormat.TryParseInt64(current, out value))
        {
            c.Error("ERR hash value is not an integer");
            return;
        }
        if ((incr < 0 && value < 0 && incr < long.MinValue - value) || (incr > 0 && value > 0 && incr > long.MaxValue - value))
        {
            c.Error(Errors.Overflow);
            return;
        }
        value += incr;
        SetField(c, hash, c.Args[2], NumberFormat.Int64ToBytes(value));
        Notify(c, "hincrby", c.Args[1]);
        c.Dirty();
        c.Reply.Integer(value);
    }

    [Command("hincrbyfloat", 4, Flags = "write denyoom fast", Acl = "hash", Group = "hash", Since = "2.6.0", Keys = ["RW access update; index 1; range 0 1 0"],
        Summary = "Increment the float value of a hash field by the given amount", Complexity = "O(1)")]
    static void HIncrByFloat(Client c)
    {
        // Redis adds in x87 long double, so 0.1 + 0.2 is "0.3" here too.
        if (!LongDouble.TryParse(c.Args[3], out var incr))
        {
            c.Error(Errors.NotFloat);
            return;
        }
        if (incr.IsInfinity)
        {
            c.Error("ERR value is NaN or Infinity");
            return;
        }
        var hash = LookupWriteOrCreate(c);
        if (hash is null) return;
        LongDouble value = default;
        if (hash.TryGet(c.Args[2], out var current) && !LongDouble.TryParse(current, out value))
        {
            c.Error("ERR hash value is not a float");
            return;
        }
        var sum = value + incr;
        if (sum.IsInfinity)
        {
            c.Error("ERR increment would produce NaN or Infinity");
            return;
        }
        var text = System.Text.Encoding.ASCII.GetBytes(sum.ToHumanString());
        SetField(c, hash, c.Args[2], text);
        Notify(c, "hincrbyfloat", c.Args[1]);
        c.Dirty();
        c.Reply.Bulk(text);
        // The exact result, not the increment: a replica's float arithmetic could differ.
        if (c.Propagating()) c.Propagate("HSET", c.Args.ToArray(1), c.Args.ToArray(2), text);
    }

    [Command("hkeys", 2, Flags = "readonly", Acl = "hash", Group = "hash", Since = "2.0.0", Keys = ["RO access; index 1; range 0 1 0"],
        Tips = "nondeterministic_output_order", Summary = "Get all the fields in a hash", Complexity = "O(N) where N is the size of the hash.")]
    static void HKeys(Client c) => GetAllGeneric(c, keys: true, values: false);

    [Command("hvals", 2, Flags = "readonly", Acl = "hash", Group = "hash", Since = "2.0.0", Keys = ["RO access; index 1; range 0 1 0"],
        Tips = "nondeterministic_output_order", Summary = "Get all the values in a hash", Complexity = "O(N) where N is the size of the hash.")]
    static void HVals(Client c) => GetAllGeneric(c, keys: false, values: true);

    [Command("hgetall", 2, Flags = "readonly", Acl = "hash", Group = "hash", Since = "2.0.0", Keys = ["RO access; index 1; range 0 1 0"],
        Tips = "nondeterministic_output_order", Summary = "Get all the fields and values in a hash", Complexity = "O(N) where N is the size of the hash.")]
    static void HGetAll(Client c) => GetAllGeneric(c, keys: true, values: true);

    static void GetAllGeneric(Client c, bool keys, bool values)
    {
        if (!c.TryRead<HashValue>(c.Args[1], out var hash)) return;
        int count = hash?.Count ?? 0;
        if (keys && values) c.Reply.MapHeader(count);
        else c.Reply.ArrayHeader(count);
        if (hash is null) return;
        foreach (var pair in hash)
        {
            if (keys) c.Reply.Bulk(pair.Field);
            if (values) c.Reply.Bulk(pair.Value);
        }
    }

    [Command("hrandfield", -2, Flags = "readonly", Acl = "hash", Group = "hash", Since = "6.2.0", Keys = ["RO access; index 1; range 0 1 0"],
        Tips = "nondeterministic_output", Summary = "Get one or multiple random fields from a hash", Complexity = "O(N) where N is the number of fields returned")]
    static void HRandField(Client c)
    {
        var args = c.Args;
        if (args.Count == 2)
        {
            if (!c.TryRead<HashValue>(args[1], out var one)) return;
            if (one is null) c.Reply.Null();
            else c.Reply.Bulk(one.FieldAt(Random.Shared.Next(one.Count)));
            return;
        }
        if (!c.TryLong(2, out long l)) return;
        if (l == long.MinValue)
        {
            c.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
            return;
        }
        if (args.Count > 4 || (args.Count == 4 && !args.Is(3, "withvalues")))
        {
            c.Error(Errors.Syntax);
            return;
        }
        bool withValues = args.Count == 4;
        if (withValues && (l < -long.MaxValue / 2 || l > long.MaxValue / 2))
        {
            c.Error("ERR value is out of range");
            return;
        }
        if (!c.TryRead<HashValue>(args[1], out var hash)) return;
        if (hash is null || l == 0)
        {
            c.Reply.EmptyArray();
            return;
        }
        var reply = c.Reply;
        bool pairs = withValues && reply.Resp3;
        int size = hash.Count;
        // A negative count may repeat fields and returns them in random order.
        if (l < 0 || l == 1)
        {
            long n = l < 0 ? -l : l;
            reply.ArrayHeader(withValues && !reply.Resp3 ? n * 2 : n);
            var random = Random.Shared;
            for (long k = 0; k < n; k++) ReplyPair(c, hash, random.Next(size), withValues, pairs);
            return;
        }
        if (l >= size)
        {
            reply.ArrayHeader(withValues && !reply.Resp3 ? size * 2 : size);
            for (int i = 0; i < size; i++) ReplyPair(c, hash, i, withValues, pairs);
            return;
        }
        int count = (int)l;
        reply.ArrayHeader(withValues && !reply.Resp3 ? count * 2 : count);
        foreach (int i in RandomSample.Distinct(size, count)) ReplyPair(c, hash, i, withValues, pairs);
    }

    static void ReplyPair(Client c, HashValue hash, int index, bool withValues, bool asPair)
    {
        if (asPair) c.Reply.ArrayHeader(2);
        c.Reply.Bulk(hash.FieldAt(index));
        if (withValues) c.Reply.Bulk(hash.ValueAt(index));
    }

    [Command("hscan", -3, Flags = "readonly", Acl = "hash", Group = "hash", Since = "2.8.0", Keys = ["RO access; index 1; range 0 1 0"],
        Tips = "nondeterministic_output", Summary = "Incrementally iterate hash fields and associated values",
        Complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..")]
    static void HScan(Client c)
    {
        if (!CollectionScan.TryParseCursor(c, 2, out ulong cursor)) return;
        if (!c.TryRead<HashValue>(c.Args[1], out var hash)) return;
        if (hash is null) CollectionScan.EmptyReply(c);
        else CollectionScan.Hash(c, hash, cursor);
    }
}
