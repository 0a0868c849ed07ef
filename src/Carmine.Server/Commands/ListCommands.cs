using Carmine.Protocol;
using Carmine.Server.Keyspace;
using Carmine.Server.Network;
using Carmine.Server.PubSub;
using Carmine.Server.Types;

using Carmine.Server.Replication;

namespace Carmine.Server.Commands;

/// <summary>The list commands (t_list.c in Redis), the blocking ones included.</summary>
static class ListCommands
{
    const string PushComplexity = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.";

    [Command("lpush", -3, Flags = "write denyoom fast", Acl = "list", Group = "list", Keys = ["RW insert; index 1; range 0 1 0"],
        Summary = "Prepend one or multiple elements to a list", Complexity = PushComplexity)]
    static void LPush(Client c) => Push(c, atHead: true, onlyIfExists: false);

    [Command("rpush", -3, Flags = "write denyoom fast", Acl = "list", Group = "list", Keys = ["RW insert; index 1; range 0 1 0"],
        Summary = "Append one or multiple elements to a list", Complexity = PushComplexity)]
    static void RPush(Client c) => Push(c, atHead: false, onlyIfExists: false);

    [Command("lpushx", -3, Flags = "write denyoom fast", Acl = "list", Group = "list", Keys = ["RW insert; index 1; range 0 1 0"], Since = "2.2.0",
        Summary = "Prepend an element to a list, only if the list exists", Complexity = PushComplexity)]
    static void LPushX(Client c) => Push(c, atHead: true, onlyIfExists: true);

    [Command("rpushx", -3, Flags = "write denyoom fast", Acl = "list", Group = "list", Keys = ["RW insert; index 1; range 0 1 0"], Since = "2.2.0",
        Summary = "Append an element to a list, only if the list exists", Complexity = PushComplexity)]
    static void RPushX(Client c) => Push(c, atHead: false, onlyIfExists: true);

    static void Push(Client c, bool atHead, bool onlyIfExists)
    {
        var args = c.Args;
        if (!c.TryWrite<ListValue>(args[1], out _, out var list)) return;
        if (list is null)
        {
            if (onlyIfExists)
            {
                c.Reply.Integer(0);
                return;
            }
            list = NewList(c.Server);
            c.Database.Add(args[1], list);
        }
        for (int i = 2; i < args.Count; i++) list.Push(args[i], atHead);
        Notify(c, atHead ? "lpush" : "rpush", args[1]);
        c.Dirty(args.Count - 2);
        c.Reply.Integer(list.Count);
    }

    [Command("lpop", -2, Flags = "write fast", Acl = "list", Group = "list", Keys = ["RW access delete; index 1; range 0 1 0"],
        Summary = "Remove and get the first elements in a list", Complexity = "O(N) where N is the number of elements returned")]
    static void LPop(Client c) => Pop(c, atHead: true);

    [Command("rpop", -2, Flags = "write fast", Acl = "list", Group = "list", Keys = ["RW access delete; index 1; range 0 1 0"],
        Summary = "Remove and get the last elements in a list", Complexity = "O(N) where N is the number of elements returned")]
    static void RPop(Client c) => Pop(c, atHead: false);

    static void Pop(Client c, bool atHead)
    {
        var args = c.Args;
        if (args.Count > 3)
        {
            c.Error(Errors.WrongArgs(atHead ? "lpop" : "rpop"));
            return;
        }
        bool hasCount = args.Count == 3;
        long count = 0;
        if (hasCount && !TryPositive(c, 2, out count, "ERR value is out of range, must be positive")) return;
        if (!c.TryWrite<ListValue>(args[1], out var e, out var list)) return;
        if (list is null)
        {
            if (hasCount) c.Reply.NullArray();
            else c.Reply.Null();
            return;
        }
        if (!hasCount)
        {
            count = 1;
            PopInto(c.Reply, list, atHead);
        }
        else if (count == 0)
        {
            c.Reply.EmptyArray();
            return;
        }
        else count = PopRange(c.Reply, list, atHead, count);
        Notify(c, atHead ? "lpop" : "rpop", args[1]);
        DeleteIfEmpty(c.Server, c.Database, e!, list);
        c.Dirty(count);
    }

    [Command("lmpop", -4, Flags = "write", Acl = "list", Group = "list", Keys = ["RW access delete; index 1; keynum 0 1 1"], Since = "7.0.0",
        Summary = "Pop elements from a list",
        Complexity = "O(N+M) where N is the number of provided keys and M is the number of elements returned.")]
    static void LMPop(Client c)
    {
        if (!ParseMPop(c, 1, out int numKeys, out bool atHead, out long count)) return;
        if (!PopFirstNonEmpty(c, 2, numKeys, atHead, count)) c.Reply.NullArray();
    }

    [Command("blpop", -3, Flags = "write noscript blocking", Acl = "list", Group = "list", Keys = ["RW access delete; index 1; range -2 1 0"], Since = "2.0.0",
        Summary = "Remove and get the first element in a list, or block until one is available", Complexity = "O(N) where N is the number of provided keys.")]
    static void BLPop(Client c) => BlockingPop(c, 1, c.Args.Count - 2, c.Args.Count - 1, atHead: true, count: -1);

    [Command("brpop", -3, Flags = "write noscript blocking", Acl = "list", Group = "list", Keys = ["RW access delete; index 1; range -2 1 0"], Since = "2.0.0",
        Summary = "Remove and get the last element in a list, or block until one is available", Complexity = "O(N) where N is the number of provided keys.")]
    static void BRPop(Client c) => BlockingPop(c, 1, c.Args.Count - 2, c.Args.Count - 1, atHead: false, count: -1);

    [Command("blmpop", -5, Flags = "write blocking", Acl = "list", Group = "list", Keys = ["RW access delete; index 2; keynum 0 1 1"], Since = "7.0.0",
        Summary = "Pop elements from a list, or block until one is available",
        Complexity = "O(N+M) where N is the number of provided keys and M is the number of elements returned.")]
    static void BLMPop(Client c)
    {
        if (!ParseMPop(c, 2, out int numKeys, out bool atHead, out long count)) return;
        BlockingPop(c, 3, numKeys, 1, atHead, count);
    }

    /// <summary>Parses LMPOP's and BLMPOP's "numkeys key... LEFT|RIGHT [COUNT count]" with Redis's errors.</summary>
    static bool ParseMPop(Client c, int numKeysIndex, out int numKeys, out bool atHead, out long count)
    {
        var args = c.Args;
        numKeys = 0;
        atHead = false;
        count = 1;
        if (!NumberFormat.TryParseInt64(args[numKeysIndex], out long n) || n < 1)
        {
            c.Error("ERR numkeys should be greater than 0");
            return false;
        }
        long whereIndex = numKeysIndex + n + 1;
        if (whereIndex >= args.Count || !TryWhere(c, (int)whereIndex, out atHead))
        {
            if (whereIndex >= args.Count) c.Error(Errors.Syntax);
            return false;
        }
        numKeys = (int)n;
        bool seenCount = false;
        for (int i = (int)whereIndex + 1; i < args.Count; i++)
        {
            if (!seenCount && args.Is(i, "count") && i + 1 < args.Count)
            {
                i++;
                if (!NumberFormat.TryParseInt64(args[i], out count) || count < 1)
                {
                    c.Error("ERR count should be greater than 0");
                    return false;
                }
                seenCount = true;
            }
            else
            {
                c.Error(Errors.Syntax);
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Pops from the first non-empty list among numKeys keys: one element as [key, element] when count is -1 (BLPOP),
    /// else up to count as [key, [elements]] (LMPOP). False, without a reply, if every key is absent.
    /// </summary>
    static bool PopFirstNonEmpty(Client c, int firstKey, int numKeys, bool atHead, long count)
    {
        for (int i = firstKey; i < firstKey + numKeys; i++)
        {
            if (!c.TryWrite<ListValue>(c.Args[i], out var e, out var list)) return true;
            if (list is null) continue;
            c.Dirty(PopWithKey(c.Server, c.Reply, c.Database, e!, list, atHead, count));
            return true;
        }
        return false;
    }

    static void BlockingPop(Client c, int firstKey, int numKeys, int timeoutIndex, bool atHead, long count)
    {
        if (!c.TryTimeout(timeoutIndex, out long timeout)) return;
        if (PopFirstNonEmpty(c, firstKey, numKeys, atHead, count)) return;
        if (c.InExec)
        {
            c.Reply.NullArray();
            return;
        }
        var keys = new byte[numKeys][];
        for (int i = 0; i < numKeys; i++) keys[i] = c.Args.ToArray(firstKey + i);
        c.Server.Blocking.Block(new BlockedClient(c, keys, timeout, (_, ctx) => ServePop(ctx, atHead, count)));
    }

    static bool ServePop(ServeContext ctx, bool atHead, long count)
    {
        if (ctx.Database.Find(ctx.Key, ctx.NowMs) is not { Value: ListValue list } e) return false;
        ctx.Dirty(PopWithKey(ctx.Server, ctx.Reply, ctx.Database, e, list, atHead, count));
        return true;
    }

    /// <summary>Replies [key, element] (count -1) or [key, [elements]] and deletes the key if emptied; returns how many were popped.</summary>
    static long PopWithKey(RedisServer server, RespBuffer reply, Database db, Entry e, ListValue list, bool atHead, long count)
    {
        reply.ArrayHeader(2);
        reply.Bulk(e.Key);
        long popped = 1;
        if (count < 0) PopInto(reply, list, atHead);
        else popped = PopRange(reply, list, atHead, count);
        // BLPOP and LMPOP reach replicas as the plain pop of the key they took from.
        if (PropagationHelpers.Collecting)
        {
            if (count < 0) PropagationHelpers.PropagateIn(db.Index, atHead ? "LPOP" : "RPOP", e.Key);
            else PropagationHelpers.PropagateIn(db.Index, atHead ? "LPOP" : "RPOP", e.Key, popped);
        }
        server.Events.Notify(NotifyFlags.List, atHead ? "lpop" : "rpop", db.Index, e.Key);
        DeleteIfEmpty(server, db, e, list);
        return popped;
    }

    /// <summary>Redis never keeps an empty list: the key goes, with a "del" event.</summary>
    static void DeleteIfEmpty(RedisServer server, Database db, Entry e, ListValue list)
    {
        if (list.Count > 0) return;
        db.Remove(e);
        server.Events.Notify(NotifyFlags.Generic, "del", db.Index, e.Key);
    }

    static void Notify(Client c, string eventName, ReadOnlySpan<byte> key) => c.Server.Events.Notify(NotifyFlags.List, eventName, c.Db, key);

    /// <summary>Replies with the first or last element and removes it, without copying it first.</summary>
    static void PopInto(RespBuffer reply, ListValue list, bool atHead)
    {
        reply.Bulk(list.At(atHead ? 0 : list.Count - 1).Current);
        list.RemoveEnd(1, atHead);
    }

    /// <summary>Replies with up to <paramref name="count"/> elements taken from one end, in pop order, and removes them.</summary>
    static long PopRange(RespBuffer reply, ListValue list, bool atHead, long count)
    {
        count = Math.Min(count, list.Count);
        reply.ArrayHeader(count);
        var it = list.At(atHead ? 0 : list.Count - 1);
        for (long i = 0; i < count; i++)
        {
            reply.Bulk(it.Current);
            if (atHead) it.MoveNext();
            else it.MovePrevious();
        }
        list.RemoveEnd(count, atHead);
        return count;
    }

    [Command("llen", 2, Flags = "readonly fast", Acl = "list", Group = "list", Keys = ["RO; index 1; range 0 1 0"],
        Summary = "Get the length of a list", Complexity = "O(1)")]
    static void LLen(Client c)
    {
        if (!c.TryRead<ListValue>(c.Args[1], out var list)) return;
        c.Reply.Integer(list?.Count ?? 0);
    }

    [Command("lindex", 3, Flags = "readonly", Acl = "list", Group = "list", Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Get an element from a list by its index",
        Complexity = "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).")]
    static void LIndex(Client c)
    {
        if (!c.TryRead<ListValue>(c.Args[1], out var list)) return;
        if (!c.TryLong(2, out long index)) return;
        if (list is null)
        {
            c.Reply.Null();
            return;
        }
        if (index < 0) index += list.Count;
        if (index < 0 || index >= list.Count) c.Reply.Null();
        else c.Reply.Bulk(list.At(index).Current);
    }

    [Command("lset", 4, Flags = "write denyoom", Acl = "list", Group = "list", Keys = ["RW update; index 1; range 0 1 0"],
        Summary = "Set the value of an element in a list by its index",
        Complexity = "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).")]
    static void LSet(Client c)
    {
        if (!c.TryWrite<ListValue>(c.Args[1], out _, out var list)) return;
        if (list is null)
        {
            c.Error(Errors.NoSuchKey);
            return;
        }
        if (!c.TryLong(2, out long index)) return;
        if (index < 0) index += list.Count;
        if (index < 0 || index >= list.Count)
        {
            c.Error(Errors.OutOfRange);
            return;
        }
        list.Set(index, c.Args[3]);
        Notify(c, "lset", c.Args[1]);
        c.Dirty();
        c.Reply.Ok();
    }

    [Command("lrange", 4, Flags = "readonly", Acl = "list", Group = "list", Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Get a range of elements from a list",
        Complexity = "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.")]
    static void LRange(Client c)
    {
        if (!c.TryLong(2, out long start) || !c.TryLong(3, out long end)) return;
        if (!c.TryRead<ListValue>(c.Args[1], out var list)) return;
        if (list is null || !ClampRange(list.Count, ref start, ref end))
        {
            c.Reply.EmptyArray();
            return;
        }
        long n = end - start + 1;
        c.Reply.ArrayHeader(n);
        var it = list.At(start);
        for (long i = 0; i < n; i++)
        {
            c.Reply.Bulk(it.Current);
            it.MoveNext();
        }
    }

    /// <summary>Resolves negative indexes and clips to the list; false when the range is empty.</summary>
    static bool ClampRange(long length, ref long start, ref long end)
    {
        if (start < 0) start += length;
        if (end < 0) end += length;
        if (start < 0) start = 0;
        if (start > end || start >= length) return false;
        if (end >= length) end = length - 1;
        return true;
    }

    [Command("ltrim", 4, Flags = "write", Acl = "list", Group = "list", Keys = ["RW delete; index 1; range 0 1 0"],
        Summary = "Trim a list to the specified range", Complexity = "O(N) where N is the number of elements to be removed by the operation.")]
    static void LTrim(Client c)
    {
        if (!c.TryLong(2, out long start) || !c.TryLong(3, out long end)) return;
        if (!c.TryWrite<ListValue>(c.Args[1], out var e, out var list)) return;
        if (list is null)
        {
            c.Reply.Ok();
            return;
        }
        long length = list.Count;
        long fromHead, fromTail;
        if (ClampRange(length, ref start, ref end))
        {
            fromHead = start;
            fromTail = length - end - 1;
        }
        else
        {
            fromHead = length;
            fromTail = 0;
        }
        list.RemoveEnd(fromHead, atHead: true);
        list.RemoveEnd(fromTail, atHead: false);
        Notify(c, "ltrim", c.Args[1]);
        DeleteIfEmpty(c.Server, c.Database, e!, list);
        c.Dirty(fromHead + fromTail);
        c.Reply.Ok();
    }

    [Command("lrem", 4, Flags = "write", Acl = "list", Group = "list", Keys = ["RW delete; index 1; range 0 1 0"],
        Summary = "Remove elements from a list", Complexity = "O(N+M) where N is the length of the list and M is the number of elements removed.")]
    static void LRem(Client c)
    {
        if (!c.TryLong(2, out long count)) return;
        if (!c.TryWrite<ListValue>(c.Args[1], out var e, out var list)) return;
        if (list is null)
        {
            c.Reply.Integer(0);
            return;
        }
        long removed = list.Remove(c.Args[3], count);
        if (removed > 0)
        {
            Notify(c, "lrem", c.Args[1]);
            DeleteIfEmpty(c.Server, c.Database, e!, list);
        }
        c.Dirty(removed);
        c.Reply.Integer(removed);
    }

    [Command("linsert", 5, Flags = "write denyoom", Acl = "list", Group = "list", Keys = ["RW insert; index 1; range 0 1 0"], Since = "2.2.0",
        Summary = "Insert an element before or after another element in a list",
        Complexity = "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).")]
    static void LInsert(Client c)
    {
        var args = c.Args;
        bool after;
        if (args.Is(2, "after")) after = true;
        else if (args.Is(2, "before")) after = false;
        else
        {
            c.Error(Errors.Syntax);
            return;
        }
        if (!c.TryWrite<ListValue>(args[1], out _, out var list)) return;
        if (list is null)
        {
            c.Reply.Integer(0);
            return;
        }
        if (!list.Insert(args[3], args[4], after))
        {
            c.Reply.Integer(-1);
            return;
        }
        Notify(c, "linsert", args[1]);
        c.Dirty();
        c.Reply.Integer(list.Count);
    }

    [Command("lpos", -3, Flags = "readonly", Acl = "list", Group = "list", Keys = ["RO access; index 1; range 0 1 0"], Since = "6.0.6",
        Summary = "Return the index of matching elements on a list",
        Complexity = "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.")]
    static void LPos(Client c)
    {
        var args = c.Args;
        long rank = 1, count = -1, maxLen = 0;
        for (int i = 3; i < args.Count; i++)
        {
            bool more = i + 1 < args.Count;
            if (more && args.Is(i, "rank"))
            {
                if (!c.TryLong(++i, out rank)) return;
                if (rank == 0)
                {
                    c.Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
                    return;
                }
            }
            else if (more && args.Is(i, "count"))
            {
                if (!TryPositive(c, ++i, out count, "ERR COUNT can't be negative")) return;
            }
            else if (more && args.Is(i, "maxlen"))
            {
                if (!TryPositive(c, ++i, out maxLen, "ERR MAXLEN can't be negative")) return;
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        if (!c.TryRead<ListValue>(args[1], out var list)) return;
        if (list is null)
        {
            if (count != -1) c.Reply.EmptyArray();
            else c.Reply.Null();
            return;
        }
        bool fromTail = rank < 0;
        if (fromTail) rank = -rank;
        var element = args[2];
        int header = count != -1 ? c.Reply.BeginDeferred() : -1;
        long length = list.Count, matches = 0, found = 0, last = -1;
        var it = list.At(fromTail ? length - 1 : 0);
        for (long scanned = 0; scanned < length && (maxLen == 0 || scanned < maxLen); scanned++)
        {
            if (it.Current.SequenceEqual(element) && ++matches >= rank)
            {
                last = fromTail ? length - 1 - scanned : scanned;
                if (count == -1) break;
                c.Reply.Integer(last);
                if (++found == count && count != 0) break;
            }
            if (fromTail) it.MovePrevious();
            else it.MoveNext();
        }
        if (header >= 0) c.Reply.EndDeferredArray(header, found);
        else if (last >= 0) c.Reply.Integer(last);
        else c.Reply.Null();
    }

    [Command("lmove", 5, Flags = "write denyoom", Acl = "list", Group = "list", Since = "6.2.0",
        Keys = ["RW access delete; index 1; range 0 1 0", "RW insert; index 2; range 0 1 0"],
        Summary = "Pop an element from a list, push it to another list and return it", Complexity = "O(1)")]
    static void LMove(Client c)
    {
        if (!TryWhere(c, 3, out bool fromHead) || !TryWhere(c, 4, out bool toHead)) return;
        if (!c.TryWrite<ListValue>(c.Args[1], out var source, out var list)) return;
        if (list is null) c.Reply.Null();
        else MoveFrom(c, source!, list, fromHead, toHead);
    }

    [Command("rpoplpush", 3, Flags = "write denyoom", Acl = "list", Group = "list", Since = "1.2.0",
        Keys = ["RW access delete; index 1; range 0 1 0", "RW insert; index 2; range 0 1 0"],
        Summary = "Remove the last element in a list, prepend it to another list and return it", Complexity = "O(1)")]
    static void RPopLPush(Client c)
    {
        if (!c.TryWrite<ListValue>(c.Args[1], out var source, out var list)) return;
        if (list is null) c.Reply.Null();
        else MoveFrom(c, source!, list, fromHead: false, toHead: true);
    }

    [Command("blmove", 6, Flags = "write denyoom noscript blocking", Acl = "list", Group = "list", Since = "6.2.0",
        Keys = ["RW access delete; index 1; range 0 1 0", "RW insert; index 2; range 0 1 0"],
        Summary = "Pop an element from a list, push it to another list and return it; or block until one is available", Complexity = "O(1)")]
    static void BLMove(Client c)
    {
        if (!TryWhere(c, 3, out bool fromHead) || !TryWhere(c, 4, out bool toHead)) return;
        BlockingMove(c, 5, fromHead, toHead);
    }

    [Command("brpoplpush", 4, Flags = "write denyoom noscript blocking", Acl = "list", Group = "list", Since = "2.2.0",
        Keys = ["RW access delete; index 1; range 0 1 0", "RW insert; index 2; range 0 1 0"],
        Summary = "Pop an element from a list, push it to another list and return it; or block until one is available", Complexity = "O(1)")]
    static void BRPopLPush(Client c) => BlockingMove(c, 3, fromHead: false, toHead: true);

    static void BlockingMove(Client c, int timeoutIndex, bool fromHead, bool toHead)
    {
        if (!c.TryTimeout(timeoutIndex, out long timeout)) return;
        if (!c.TryWrite<ListValue>(c.Args[1], out var source, out var list)) return;
        // BRPOPLPUSH (timeout third) reaches replicas as RPOPLPUSH, BLMOVE as LMOVE, as Redis propagates them.
        bool legacy = timeoutIndex == 3;
        if (list is not null)
        {
            if (MoveFrom(c, source!, list, fromHead, toHead)) PropagateMove(c.Db, source!.Key, c.Args.ToArray(2), fromHead, toHead, legacy);
            return;
        }
        if (c.InExec)
        {
            c.Reply.Null();
            return;
        }
        byte[] destination = c.Args.ToArray(2);
        c.Server.Blocking.Block(new BlockedClient(c, [c.Args.ToArray(1)], timeout, (_, ctx) => ServeMove(ctx, destination, fromHead, toHead, legacy))
        {
            Target = destination,
        });
    }

    /// <summary>Moves one element for LMOVE and friends; false (after replying WRONGTYPE) when the destination is not a list.</summary>
    static bool MoveFrom(Client c, Entry source, ListValue list, bool fromHead, bool toHead)
    {
        var destination = c.LookupWrite(c.Args[2]);
        if (destination is not null && destination.Value is not ListValue)
        {
            c.Error(Errors.WrongType);
            return false;
        }
        c.Reply.Bulk(Move(c.Server, c.Database, source, list, c.Args[2], destination, fromHead, toHead));
        c.Dirty();
        return true;
    }

    static bool ServeMove(ServeContext ctx, byte[] destinationKey, bool fromHead, bool toHead, bool legacy)
    {
        var db = ctx.Database;
        if (db.Find(ctx.Key, ctx.NowMs) is not { Value: ListValue list } source) return false;
        var destination = db.Find(destinationKey, ctx.NowMs);
        if (destination is not null && destination.Value is not ListValue)
        {
            ctx.Error(Errors.WrongType);
            return true;
        }
        ctx.Reply.Bulk(Move(ctx.Server, db, source, list, destinationKey, destination, fromHead, toHead));
        ctx.Dirty();
        PropagateMove(db.Index, ctx.Key, destinationKey, fromHead, toHead, legacy);
        return true;
    }

    /// <summary>BLMOVE and BRPOPLPUSH reach replicas as the non-blocking LMOVE or RPOPLPUSH, which never wait.</summary>
    static void PropagateMove(int db, byte[] source, byte[] destination, bool fromHead, bool toHead, bool legacy)
    {
        if (!PropagationHelpers.Collecting) return;
        if (legacy) PropagationHelpers.PropagateIn(db, "RPOPLPUSH", source, destination);
        else PropagationHelpers.PropagateIn(db, "LMOVE", source, destination, fromHead ? "LEFT" : "RIGHT", toHead ? "LEFT" : "RIGHT");
    }

    /// <summary>LMOVE's effect: pops from the source, pushes onto the destination (created if absent), deletes an emptied source.</summary>
    static byte[] Move(RedisServer server, Database db, Entry source, ListValue list, ReadOnlySpan<byte> destinationKey, Entry? destination,
        bool fromHead, bool toHead)
    {
        var value = list.Pop(fromHead);
        if (destination is null)
        {
            var target = NewList(server);
            target.Push(value, toHead);
            db.Add(destinationKey, target);
        }
        else ((ListValue)destination.Value).Push(value, toHead);
        server.Events.Notify(NotifyFlags.List, toHead ? "lpush" : "rpush", db.Index, destinationKey);
        server.Events.Notify(NotifyFlags.List, fromHead ? "lpop" : "rpop", db.Index, source.Key);
        DeleteIfEmpty(server, db, source, list);
        return value;
    }

    internal static ListValue NewList(RedisServer server) =>
        new(server.Config.GetInt("list-max-listpack-size"), server.Config.GetInt("list-compress-depth"));

    static bool TryWhere(Client c, int i, out bool atHead)
    {
        atHead = c.Args.Is(i, "left");
        if (atHead || c.Args.Is(i, "right")) return true;
        c.Error(Errors.Syntax);
        return false;
    }

    /// <summary>A non-negative integer: "not an integer" for garbage, <paramref name="negativeError"/> below zero.</summary>
    static bool TryPositive(Client c, int i, out long value, string negativeError)
    {
        if (!c.TryLong(i, out value)) return false;
        if (value >= 0) return true;
        c.Error(negativeError);
        return false;
    }
}
