using System.Text;
using Carmine.Protocol;
using Carmine.Server.Network;

namespace Carmine.Server.Commands;

[Flags]
public enum CommandFlags : long
{
    None = 0,
    Write = 1 << 0, ReadOnly = 1 << 1, DenyOom = 1 << 2, Admin = 1 << 3, PubSub = 1 << 4, NoScript = 1 << 5,
    Blocking = 1 << 6, Loading = 1 << 7, Stale = 1 << 8, SkipMonitor = 1 << 9, SkipSlowlog = 1 << 10,
    Fast = 1 << 11, NoAuth = 1 << 12, MayReplicate = 1 << 13, NoMandatoryKeys = 1 << 14, NoMulti = 1 << 15,
    AllowBusy = 1 << 16, Sentinel = 1 << 17, OnlySentinel = 1 << 18, Asking = 1 << 19, NoAsyncLoading = 1 << 20,
    MovableKeys = 1 << 21,
}

/// <summary>Call statistics of one command, one instance per executing thread so counting never contends.</summary>
public sealed class CommandStats
{
    public long Calls, Microseconds, RejectedCalls, FailedCalls;
}

/// <summary>A command as the table knows it: metadata from its <see cref="CommandAttribute"/> and its handler.</summary>
public sealed class CommandDef
{
    static readonly (string Name, CommandFlags Flag)[] FlagNames =
    [
        ("write", CommandFlags.Write), ("readonly", CommandFlags.ReadOnly), ("denyoom", CommandFlags.DenyOom),
        ("admin", CommandFlags.Admin), ("pubsub", CommandFlags.PubSub), ("noscript", CommandFlags.NoScript),
        ("blocking", CommandFlags.Blocking), ("loading", CommandFlags.Loading), ("stale", CommandFlags.Stale),
        ("skip_monitor", CommandFlags.SkipMonitor), ("skip_slowlog", CommandFlags.SkipSlowlog), ("asking", CommandFlags.Asking),
        ("fast", CommandFlags.Fast), ("no_auth", CommandFlags.NoAuth), ("may_replicate", CommandFlags.MayReplicate),
        ("sentinel", CommandFlags.Sentinel), ("only_sentinel", CommandFlags.OnlySentinel),
        ("no_mandatory_keys", CommandFlags.NoMandatoryKeys), ("no_async_loading", CommandFlags.NoAsyncLoading),
        ("no_multi", CommandFlags.NoMulti), ("movablekeys", CommandFlags.MovableKeys), ("allow_busy", CommandFlags.AllowBusy),
    ];

    public string Name { get; }
    /// <summary>The name as Redis prints it in errors and stats: "get", "config|get".</summary>
    public string FullName { get; }
    public byte[] NameBytes { get; }
    public int Arity { get; }
    public CommandFlags Flags { get; }
    public string[] AclCategories { get; }
    public KeySpec[] KeySpecs { get; }
    public Action<Client>? Handler { get; }
    public CommandAttribute Meta { get; }
    public CommandDef? Parent { get; internal set; }
    public SortedDictionary<string, CommandDef>? Subcommands { get; internal set; }
    public bool Exclusive => Meta.Exclusive;
    /// <summary>The one key's argument index for the common single-key command; -1 otherwise.</summary>
    public int SingleKeyIndex { get; }
    public int FirstKey { get; }
    public int LastKey { get; }
    public int KeyStep { get; }
    public CommandStats[] Stats { get; }

    readonly Action<ArgList, List<int>>? keysProc;

    public CommandDef(CommandAttribute meta, Action<Client>? handler, int statSlots, Action<ArgList, List<int>>? keysProc = null)
    {
        this.keysProc = keysProc;
        Meta = meta;
        FullName = meta.Name;
        Name = meta.Name.Contains('|') ? meta.Name[(meta.Name.IndexOf('|') + 1)..] : meta.Name;
        NameBytes = Encoding.ASCII.GetBytes(Name);
        Arity = meta.Arity;
        Handler = handler;
        KeySpecs = meta.Keys.Select(KeySpec.Parse).ToArray();
        var flags = CommandFlags.None;
        foreach (var word in meta.Flags.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var match = FlagNames.FirstOrDefault(f => f.Name == word);
            if (match.Name is null) throw new InvalidOperationException($"unknown flag '{word}' on {meta.Name}");
            flags |= match.Flag;
        }
        if (KeySpecs.Any(k => k.BeginType != "index" || k.FindType != "range" || k.Flags.Contains("incomplete")))
            flags |= CommandFlags.MovableKeys;
        Flags = flags;
        AclCategories = ComputeAclCategories(meta, flags);
        (FirstKey, LastKey, KeyStep) = LegacyRange(KeySpecs);
        SingleKeyIndex = KeySpecs.Length == 1 && KeySpecs[0].BeginType == "index" && KeySpecs[0].FindType == "range" && KeySpecs[0].LastKey == 0
            ? KeySpecs[0].BeginIndex : -1;
        Stats = new CommandStats[statSlots];
        for (int i = 0; i < statSlots; i++) Stats[i] = new CommandStats();
    }

    public bool Has(CommandFlags f) => (Flags & f) != 0;

    public IEnumerable<string> FlagList() => FlagNames.Where(f => (Flags & f.Flag) != 0).Select(f => f.Name);

    /// <summary>ACL categories as Redis derives them: from the flags, plus the declared ones.</summary>
    static string[] ComputeAclCategories(CommandAttribute meta, CommandFlags flags)
    {
        var cats = new List<string>();
        if ((flags & CommandFlags.Write) != 0) cats.Add("write");
        if ((flags & CommandFlags.ReadOnly) != 0 && !meta.Acl.Contains("scripting")) cats.Add("read");
        if ((flags & CommandFlags.Admin) != 0) { cats.Add("admin"); cats.Add("dangerous"); }
        if ((flags & CommandFlags.PubSub) != 0) cats.Add("pubsub");
        if ((flags & CommandFlags.Fast) != 0) cats.Add("fast");
        if ((flags & CommandFlags.Blocking) != 0) cats.Add("blocking");
        if ((flags & CommandFlags.Fast) == 0) cats.Add("slow");
        foreach (var c in meta.Acl.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            if (!cats.Contains(c)) cats.Add(c);
        return cats.ToArray();
    }

    /// <summary>COMMAND INFO's legacy first/last/step, derived from the key specs as Redis does.</summary>
    static (int, int, int) LegacyRange(KeySpec[] specs)
    {
        var ranges = specs.Where(s => s.BeginType == "index" && s.FindType == "range").ToArray();
        if (ranges.Length == 0) return (0, 0, 0);
        if (ranges.Length == 1)
        {
            var s = ranges[0];
            int last = s.LastKey >= 0 ? s.BeginIndex + s.LastKey : s.LastKey;
            return (s.BeginIndex, last, s.KeyStep);
        }
        int first = ranges.Min(s => s.BeginIndex);
        if (ranges.Any(s => s.LastKey < 0)) return (first, -1, 1);
        return (first, ranges.Max(s => s.BeginIndex + s.LastKey), 1);
    }

    /// <summary>The argument indexes of the keys in a request.</summary>
    public void GetKeys(ArgList args, List<int> keys)
    {
        if (keysProc is not null) keysProc(args, keys);
        else foreach (var spec in KeySpecs) spec.FindKeys(args, keys);
    }

    public bool ArityOk(int argc) => Arity > 0 ? argc == Arity : argc >= -Arity;
}
