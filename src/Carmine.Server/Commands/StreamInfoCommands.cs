using Carmine.Protocol;
using Carmine.Server.Network;
using Carmine.Server.Types;

namespace Carmine.Server.Commands;

/// <summary>XINFO STREAM, GROUPS and CONSUMERS: introspection of a stream, as maps in RESP3.</summary>
[Command("xinfo", -2, Group = "stream", Since = "5.0.0", Summary = "A container for stream introspection commands", Complexity = "Depends on subcommand.")]
static class StreamInfoCommands
{
    static bool TryStream(Client c, out StreamValue s)
    {
        s = null!;
        if (!c.TryRead<StreamValue>(c.Args[2], out var found)) return false;
        if (found is null)
        {
            c.Error(Errors.NoSuchKey);
            return false;
        }
        s = found;
        return true;
    }

    [Command("xinfo|stream", -3, Flags = "readonly", Acl = "stream", Group = "stream", Since = "5.0.0", Keys = ["RO access; index 2; range 0 1 0"],
        Summary = "Get information about a stream", Complexity = "O(1)", History = ["6.0.0: Added the `FULL` modifier.", "7.0.0: Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields"],
        Arguments = ["key:key", "full:block token=FULL optional (count:integer token=COUNT optional)"])]
    static void Stream(Client c)
    {
        if (!TryStream(c, out var s)) return;
        var args = c.Args;
        bool full = args.Count > 3;
        long count = 10;
        if (full)
        {
            int options = args.Count - 3;
            if ((options != 1 && options != 3) || !args.Is(3, "full") || (options == 3 && !args.Is(4, "count")))
            {
                c.SubcommandSyntaxError();
                return;
            }
            if (options == 3)
            {
                if (!c.TryLong(5, out count)) return;
                if (count < 0) count = 10;
            }
        }
        var reply = c.Reply;
        reply.MapHeader(full ? 9 : 10);
        reply.Bulk("length");
        reply.Integer(s.Length);
        reply.Bulk("radix-tree-keys");
        reply.Integer(s.NodeCount);
        reply.Bulk("radix-tree-nodes");
        reply.Integer(RadixTreeNodes(s.NodeCount));
        reply.Bulk("last-generated-id");
        reply.Id(s.LastId);
        reply.Bulk("max-deleted-entry-id");
        reply.Id(s.MaxDeletedId);
        reply.Bulk("entries-added");
        reply.Integer(s.EntriesAdded);
        reply.Bulk("recorded-first-entry-id");
        reply.Id(s.FirstId);
        if (!full)
        {
            reply.Bulk("groups");
            reply.Integer(s.Groups?.Count ?? 0);
            reply.Bulk("first-entry");
            EdgeEntry(reply, s, reverse: false);
            reply.Bulk("last-entry");
            EdgeEntry(reply, s, reverse: true);
            return;
        }
        reply.Bulk("entries");
        reply.Entries(s, StreamId.Min, StreamId.Max, count, reverse: false);
        reply.Bulk("groups");
        reply.ArrayHeader(s.Groups?.Count ?? 0);
        foreach (var (name, group) in s.Groups ?? [])
        {
            reply.MapHeader(7);
            reply.Bulk("name");
            reply.Bulk(name);
            reply.Bulk("last-delivered-id");
            reply.Id(group.LastId);
            reply.Bulk("entries-read");
            EntriesRead(reply, group);
            reply.Bulk("lag");
            Lag(reply, s, group);
            reply.Bulk("pel-count");
            reply.Integer(group.Pending.Count);
            reply.Bulk("pending");
            int at = reply.BeginDeferred();
            long n = 0;
            foreach (var (id, pending) in group.Pending.All())
            {
                if (count > 0 && n == count) break;
                reply.ArrayHeader(4);
                reply.Id(id);
                reply.Bulk(pending.Consumer!.Name);
                reply.Integer(pending.DeliveryTime);
                reply.Integer(pending.DeliveryCount);
                n++;
            }
            reply.EndDeferredArray(at, n);
            reply.Bulk("consumers");
            reply.ArrayHeader(group.Consumers.Count);
            foreach (var consumer in group.Consumers.Values)
            {
                reply.MapHeader(4);
                reply.Bulk("name");
                reply.Bulk(consumer.Name);
                reply.Bulk("seen-time");
                reply.Integer(consumer.SeenTime);
                reply.Bulk("pel-count");
                reply.Integer(consumer.Pending.Count);
                reply.Bulk("pending");
                int cat = reply.BeginDeferred();
                long cn = 0;
                foreach (var (id, pending) in consumer.Pending.All())
                {
                    if (count > 0 && cn == count) break;
                    reply.ArrayHeader(3);
                    reply.Id(id);
                    reply.Integer(pending.DeliveryTime);
                    reply.Integer(pending.DeliveryCount);
                    cn++;
                }
                reply.EndDeferredArray(cat, cn);
            }
        }
    }

    /// <summary>
    /// Redis reports the node count of its radix tree of listpacks, which depends on how the 16-byte keys share
    /// prefixes and on the tree's history. An approximation: the root plus about one node per key, which is what
    /// Redis shows for a few nodes with time-based IDs (more nodes with closely spaced IDs give somewhat more).
    /// </summary>
    static long RadixTreeNodes(int keys) => keys == 0 ? 1 : keys + 1;

    static void EdgeEntry(RespBuffer reply, StreamValue s, bool reverse)
    {
        foreach (var (id, pairs) in s.Range(StreamId.Min, StreamId.Max, reverse))
        {
            reply.Entry(id, pairs);
            return;
        }
        reply.Null();
    }

    static void EntriesRead(RespBuffer reply, StreamGroup group)
    {
        if (group.EntriesRead != StreamGroup.InvalidEntriesRead) reply.Integer(group.EntriesRead);
        else reply.Null();
    }

    static void Lag(RespBuffer reply, StreamValue s, StreamGroup group)
    {
        if (s.Lag(group) is long lag) reply.Integer(lag);
        else reply.Null();
    }

    [Command("xinfo|groups", 3, Flags = "readonly", Acl = "stream", Group = "stream", Since = "5.0.0", Keys = ["RO access; index 2; range 0 1 0"],
        Summary = "List the consumer groups of a stream", Complexity = "O(1)", History = ["7.0.0: Added the `entries-read` and `lag` fields"],
        Arguments = ["key:key"])]
    static void Groups(Client c)
    {
        if (!TryStream(c, out var s)) return;
        var reply = c.Reply;
        reply.ArrayHeader(s.Groups?.Count ?? 0);
        foreach (var (name, group) in s.Groups ?? [])
        {
            reply.MapHeader(6);
            reply.Bulk("name");
            reply.Bulk(name);
            reply.Bulk("consumers");
            reply.Integer(group.Consumers.Count);
            reply.Bulk("pending");
            reply.Integer(group.Pending.Count);
            reply.Bulk("last-delivered-id");
            reply.Id(group.LastId);
            reply.Bulk("entries-read");
            EntriesRead(reply, group);
            reply.Bulk("lag");
            Lag(reply, s, group);
        }
    }

    [Command("xinfo|consumers", 4, Flags = "readonly", Acl = "stream", Group = "stream", Since = "5.0.0", Tips = "nondeterministic_output",
        Keys = ["RO access; index 2; range 0 1 0"], Summary = "List the consumers in a consumer group", Complexity = "O(1)",
        Arguments = ["key:key", "groupname:string"])]
    static void Consumers(Client c)
    {
        if (!TryStream(c, out var s)) return;
        var group = s.LookupGroup(c.Args[3]);
        if (group is null)
        {
            c.Error($"NOGROUP No such consumer group '{c.Args.ToStr(3)}' for key name '{c.Args.ToStr(2)}'");
            return;
        }
        var reply = c.Reply;
        reply.ArrayHeader(group.Consumers.Count);
        foreach (var consumer in group.Consumers.Values)
        {
            reply.MapHeader(3);
            reply.Bulk("name");
            reply.Bulk(consumer.Name);
            reply.Bulk("pending");
            reply.Integer(consumer.Pending.Count);
            reply.Bulk("idle");
            reply.Integer(Math.Max(c.NowMs - consumer.SeenTime, 0));
        }
    }

    [Command("xinfo|help", 2, Flags = "loading stale", Acl = "stream", Group = "stream", Since = "5.0.0",
        Summary = "Show helpful text about the different subcommands", Complexity = "O(1)")]
    static void Help(Client c) => c.HelpReply("XINFO",
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.");
}
