using Carmine.Server.Config;
using Carmine.Server.Network;

namespace Carmine.Server;

/// <summary>One class's client-output-buffer-limit: hard bytes, soft bytes, soft seconds (0 = no limit).</summary>
public readonly record struct OutputLimit(long Hard, long Soft, long Seconds);

public sealed partial class RedisServer
{
    string? parsedOutputLimits;
    OutputLimit normalLimit, pubsubLimit, replicaLimit;

    /// <summary>
    /// The output buffer limit of the client's class: replica for an online replica (not while its snapshot is
    /// sent, which Redis does not count either), pubsub for subscribers, normal otherwise.
    /// </summary>
    public OutputLimit OutputLimitFor(Client c)
    {
        string text = Config.GetString("client-output-buffer-limit");
        if (!ReferenceEquals(text, parsedOutputLimits)) ParseOutputLimits(text);
        if (c.IsReplica) return c.ReplicaLink!.State == "online" ? replicaLimit : default;
        return c.IsSubscriber ? pubsubLimit : normalLimit;
    }

    void ParseOutputLimits(string text)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i + 3 < words.Length; i += 4)
        {
            ServerConfig.TryParseMemory(words[i + 1], out long hard);
            ServerConfig.TryParseMemory(words[i + 2], out long soft);
            long.TryParse(words[i + 3], out long seconds);
            var limit = new OutputLimit(hard, soft, seconds);
            switch (words[i])
            {
                case "normal": normalLimit = limit; break;
                case "pubsub": pubsubLimit = limit; break;
                case "replica" or "slave": replicaLimit = limit; break;
            }
        }
        parsedOutputLimits = text;
    }
}
