using Carmine.Server.Network;
using Carmine.Server.PubSub;

using Carmine.Server.Replication;

namespace Carmine.Server.Commands;

/// <summary>Pub/Sub: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.</summary>
[Command("pubsub", -2, Group = "pubsub", Since = "2.8.0", Summary = "A container for Pub/Sub commands", Complexity = "Depends on subcommand.")]
static class PubSubCommands
{
    [Command("subscribe", -2, Flags = "pubsub noscript loading stale", Group = "pubsub", Since = "2.0.0",
        Summary = "Listen for messages published to the given channels", Complexity = "O(N) where N is the number of channels to subscribe to.")]
    static void Subscribe(Client c) => SubscribeAll(c, PubSubHub.Kind.Channel, "subscribe"u8);

    [Command("psubscribe", -2, Flags = "pubsub noscript loading stale", Group = "pubsub", Since = "2.0.0",
        Summary = "Listen for messages published to channels matching the given patterns", Complexity = "O(N) where N is the number of patterns the client is already subscribed to.")]
    static void PSubscribe(Client c) => SubscribeAll(c, PubSubHub.Kind.Pattern, "psubscribe"u8);

    [Command("ssubscribe", -2, Flags = "pubsub noscript loading stale", Group = "pubsub", Since = "7.0.0",
        Keys = ["not_key; index 1; range -1 1 0"],
        Summary = "Listen for messages published to the given shard channels", Complexity = "O(N) where N is the number of shard channels to subscribe to.")]
    static void SSubscribe(Client c)
    {
        if (c.InExec)
        {
            c.Error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
            return;
        }
        SubscribeAll(c, PubSubHub.Kind.Shard, "ssubscribe"u8);
    }

    [Command("unsubscribe", -1, Flags = "pubsub noscript loading stale", Group = "pubsub", Since = "2.0.0",
        Summary = "Stop listening for messages posted to the given channels", Complexity = "O(N) where N is the number of clients already subscribed to a channel.")]
    static void Unsubscribe(Client c) => UnsubscribeAll(c, PubSubHub.Kind.Channel, "unsubscribe"u8);

    [Command("punsubscribe", -1, Flags = "pubsub noscript loading stale", Group = "pubsub", Since = "2.0.0",
        Summary = "Stop listening for messages posted to channels matching the given patterns", Complexity = "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).")]
    static void PUnsubscribe(Client c) => UnsubscribeAll(c, PubSubHub.Kind.Pattern, "punsubscribe"u8);

    [Command("sunsubscribe", -1, Flags = "pubsub noscript loading stale", Group = "pubsub", Since = "7.0.0",
        Keys = ["not_key; index 1; range -1 1 0"],
        Summary = "Stop listening for messages posted to the given shard channels", Complexity = "O(N) where N is the number of clients already subscribed to a shard channel.")]
    static void SUnsubscribe(Client c) => UnsubscribeAll(c, PubSubHub.Kind.Shard, "sunsubscribe"u8);

    [Command("publish", 3, Flags = "pubsub loading stale fast may_replicate", Group = "pubsub", Since = "2.0.0",
        Summary = "Post a message to a channel", Complexity = "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).")]
    static void Publish(Client c)
    {
        c.Reply.Integer(c.Server.PubSub.Publish(c.Args[1], c.Args[2]));
        // Replicas relay messages to their own subscribers; the AOF does not keep them.
        if (c.Propagating()) c.Propagate(PropagateTo.Replicas, [.. ReplicationStream.Argv(c.Args)]);
    }

    [Command("spublish", 3, Flags = "pubsub loading stale fast may_replicate", Group = "pubsub", Since = "7.0.0",
        Keys = ["not_key; index 1; range 0 1 0"],
        Summary = "Post a message to a shard channel", Complexity = "O(N) where N is the number of clients subscribed to the receiving shard channel.")]
    static void SPublish(Client c) => c.Reply.Integer(c.Server.PubSub.PublishShard(c.Args[1], c.Args[2]));

    [Command("pubsub|channels", -2, Flags = "pubsub loading stale", Group = "pubsub", Since = "2.8.0",
        Summary = "List active channels", Complexity = "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)")]
    static void Channels(Client c) => ListChannels(c, PubSubHub.Kind.Channel);

    [Command("pubsub|shardchannels", -2, Flags = "pubsub loading stale", Group = "pubsub", Since = "7.0.0",
        Summary = "List active shard channels", Complexity = "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).")]
    static void ShardChannels(Client c) => ListChannels(c, PubSubHub.Kind.Shard);

    [Command("pubsub|numsub", -2, Flags = "pubsub loading stale", Group = "pubsub", Since = "2.8.0",
        Summary = "Get the count of subscribers for channels", Complexity = "O(N) for the NUMSUB subcommand, where N is the number of requested channels")]
    static void NumSub(Client c) => CountSubscribers(c, PubSubHub.Kind.Channel);

    [Command("pubsub|shardnumsub", -2, Flags = "pubsub loading stale", Group = "pubsub", Since = "7.0.0",
        Summary = "Get the count of subscribers for shard channels", Complexity = "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels")]
    static void ShardNumSub(Client c) => CountSubscribers(c, PubSubHub.Kind.Shard);

    [Command("pubsub|numpat", 2, Flags = "pubsub loading stale", Group = "pubsub", Since = "2.8.0",
        Summary = "Get the count of unique patterns pattern subscriptions", Complexity = "O(1)")]
    static void NumPat(Client c) => c.Reply.Integer(c.Server.PubSub.PatternCount);

    [Command("pubsub|help", 2, Flags = "loading stale", Group = "pubsub", Since = "6.2.0", Summary = "Show helpful text about the different subcommands", Complexity = "O(1)")]
    static void Help(Client c) => c.HelpReply("PUBSUB",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)");

    static HashSet<byte[]> Own(Client c, PubSubHub.Kind kind) => kind switch
    {
        PubSubHub.Kind.Channel => c.Channels ??= new HashSet<byte[]>(ByteArrayComparer.Instance),
        PubSubHub.Kind.Pattern => c.Patterns ??= new HashSet<byte[]>(ByteArrayComparer.Instance),
        _ => c.ShardChannels ??= new HashSet<byte[]>(ByteArrayComparer.Instance),
    };

    static int CountFor(Client c, PubSubHub.Kind kind) =>
        kind == PubSubHub.Kind.Shard ? c.ShardChannels?.Count ?? 0 : c.SubscriptionCount;

    static void SubscribeAll(Client c, PubSubHub.Kind kind, ReadOnlySpan<byte> verb)
    {
        var own = Own(c, kind);
        for (int i = 1; i < c.Args.Count; i++)
        {
            var name = c.Args.ToArray(i);
            if (own.Add(name)) c.Server.PubSub.Subscribe(c, kind, name);
            c.Reply.PushHeader(3);
            c.Reply.Bulk(verb);
            c.Reply.Bulk(name);
            c.Reply.Integer(CountFor(c, kind));
        }
    }

    static void UnsubscribeAll(Client c, PubSubHub.Kind kind, ReadOnlySpan<byte> verb)
    {
        var own = Own(c, kind);
        var names = c.Args.Count > 1
            ? Enumerable.Range(1, c.Args.Count - 1).Select(c.Args.ToArray).ToList()
            : [.. own];
        if (names.Count == 0)
        {
            c.Reply.PushHeader(3);
            c.Reply.Bulk(verb);
            c.Reply.Null();
            c.Reply.Integer(CountFor(c, kind));
            return;
        }
        foreach (var name in names)
        {
            if (own.Remove(name)) c.Server.PubSub.Unsubscribe(c, kind, name);
            c.Reply.PushHeader(3);
            c.Reply.Bulk(verb);
            c.Reply.Bulk(name);
            c.Reply.Integer(CountFor(c, kind));
        }
    }

    static void ListChannels(Client c, PubSubHub.Kind kind)
    {
        bool hasPattern = c.Args.Count > 2;
        if (c.Args.Count > 3)
        {
            c.Error(Errors.WrongArgs(c.Args.Lower(0) + "|" + c.Args.Lower(1)));
            return;
        }
        var list = c.Server.PubSub.ActiveChannels(kind, hasPattern ? c.Args[2] : default, hasPattern);
        c.Reply.ArrayHeader(list.Count);
        foreach (var ch in list) c.Reply.Bulk(ch);
    }

    static void CountSubscribers(Client c, PubSubHub.Kind kind)
    {
        c.Reply.MapHeader(c.Args.Count - 2);
        for (int i = 2; i < c.Args.Count; i++)
        {
            c.Reply.Bulk(c.Args[i]);
            c.Reply.Integer(c.Server.PubSub.SubscriberCount(kind, c.Args[i]));
        }
    }
}
