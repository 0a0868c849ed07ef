using System.Text;

namespace Carmine.Server.PubSub;

/// <summary>The classes of notify-keyspace-events.</summary>
[Flags]
public enum NotifyFlags
{
    None = 0,
    Keyspace = 1 << 0, Keyevent = 1 << 1, Generic = 1 << 2, String = 1 << 3, List = 1 << 4, Set = 1 << 5,
    Hash = 1 << 6, ZSet = 1 << 7, Expired = 1 << 8, Evicted = 1 << 9, Stream = 1 << 10, KeyMiss = 1 << 11,
    Module = 1 << 13, New = 1 << 14,
    All = Generic | String | List | Set | Hash | ZSet | Expired | Evicted | Stream | Module,
}

/// <summary>Keyspace notifications: parses the config's class letters and publishes __keyspace@/__keyevent@ messages.</summary>
public sealed class KeyspaceEvents(PubSubHub hub)
{
    static readonly (char Letter, NotifyFlags Flag)[] Letters =
    [
        ('g', NotifyFlags.Generic), ('$', NotifyFlags.String), ('l', NotifyFlags.List), ('s', NotifyFlags.Set),
        ('h', NotifyFlags.Hash), ('z', NotifyFlags.ZSet), ('x', NotifyFlags.Expired), ('e', NotifyFlags.Evicted),
        ('t', NotifyFlags.Stream), ('d', NotifyFlags.Module), ('n', NotifyFlags.New),
    ];

    /// <summary>The classes in force; notifications of other classes cost one test.</summary>
    public NotifyFlags Flags { get; set; }

    /// <summary>Parses class letters ("KEA", "Kx$"); null if a letter is unknown.</summary>
    public static NotifyFlags? Parse(string classes)
    {
        var flags = NotifyFlags.None;
        foreach (char c in classes)
        {
            switch (c)
            {
                case 'A': flags |= NotifyFlags.All; break;
                case 'K': flags |= NotifyFlags.Keyspace; break;
                case 'E': flags |= NotifyFlags.Keyevent; break;
                case 'm': flags |= NotifyFlags.KeyMiss; break;
                default:
                    var match = Letters.FirstOrDefault(l => l.Letter == c);
                    if (match.Letter == '\0') return null;
                    flags |= match.Flag;
                    break;
            }
        }
        return flags;
    }

    /// <summary>The canonical letters CONFIG GET prints, in Redis's order.</summary>
    public static string Format(NotifyFlags flags)
    {
        var sb = new StringBuilder();
        if ((flags & NotifyFlags.All) == NotifyFlags.All) sb.Append('A');
        else
            foreach (var (letter, flag) in Letters)
                if ((flags & flag) != 0) sb.Append(letter);
        if ((flags & NotifyFlags.Keyspace) != 0) sb.Append('K');
        if ((flags & NotifyFlags.Keyevent) != 0) sb.Append('E');
        if ((flags & NotifyFlags.KeyMiss) != 0) sb.Append('m');
        return sb.ToString();
    }

    /// <summary>Publishes an event of a class about a key, if that class is enabled.</summary>
    public void Notify(NotifyFlags type, string eventName, int db, ReadOnlySpan<byte> key)
    {
        var flags = Flags;
        if ((flags & type) == 0) return;
        var evt = Encoding.ASCII.GetBytes(eventName);
        if ((flags & NotifyFlags.Keyspace) != 0)
        {
            byte[] channel = [.. Encoding.ASCII.GetBytes($"__keyspace@{db}__:"), .. key];
            hub.Publish(channel, evt);
        }
        if ((flags & NotifyFlags.Keyevent) != 0)
            hub.Publish(Encoding.ASCII.GetBytes($"__keyevent@{db}__:{eventName}"), key);
    }
}
