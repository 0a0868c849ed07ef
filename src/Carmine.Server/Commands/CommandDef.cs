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
    MovableKeys = 1 << 21, Protected = 1 << 22,
}

/// <summary>Call statistics of one command, one instance per executing thread so counting never contends.</summary>
public sealed class CommandStats
{
    public long Calls, Microseconds, RejectedCalls, FailedCalls;
    /// <summary>Calls per latency slot (<see cref="LatencyHistogram"/>), allocated on the first call.</summary>
    public long[]? Latency;

    public void RecordLatency(long microseconds) => (Latency ??= new long[LatencyHistogram.CountsLength])[LatencyHistogram.Index(microseconds)]++;

    /// <summary>Clears everything, for CONFIG RESETSTAT.</summary>
    public void Reset()
    {
        Calls = Microseconds = RejectedCalls = FailedCalls = 0;
        Latency = null;
    }
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
        ("protected", CommandFlags.Protected),
    ];

    public string Name { get; }
    /// <summary>The name as Redis prints it in errors and stats: "get", "config|get".</summary>
    public string FullName { get; }
    public byte[] NameBytes { get; }
    public int Arity { get; }
    public CommandFlags Flags { get; }
    public string[] AclCategories { get; }
    public KeySpec[] KeySpecs { get; }
    public CommandArgument[] Arguments { get; }
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

    public CommandDef(CommandAttribute meta, Action<Client>? handler, int statSlots)
    {
        Meta = meta;
        FullName = meta.Name;
        Name = meta.Name.Contains('|') ? meta.Name[(meta.Name.IndexOf('|') + 1)..] : meta.Name;
        NameBytes = Encoding.ASCII.GetBytes(Name);
        Arity = meta.Arity;
        Handler = handler;
        KeySpecs = meta.Keys.Select(KeySpec.Parse).ToArray();
        Arguments = CommandArgument.ParseAll(meta.Arguments);
        var flags = CommandFlags.None;
        foreach (var word in meta.Flags.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var match = FlagNames.FirstOrDefault(f => f.Name == word);
            if (match.Name is null) throw new InvalidOperationException($"unknown flag '{word}' on {meta.Name}");
            flags |= match.Flag;
        }
        (FirstKey, LastKey, KeyStep, bool movable) = LegacyRange(KeySpecs);
        if (movable) flags |= CommandFlags.MovableKeys;
        Flags = flags;
        AclCategories = ComputeAclCategories(meta, flags);
        SingleKeyIndex = KeySpecs.Length == 1 && KeySpecs[0].BeginType == "index" && KeySpecs[0].FindType == "range" && KeySpecs[0].LastKey == 0
            ? KeySpecs[0].BeginIndex : -1;
        Stats = new CommandStats[statSlots];
        for (int i = 0; i < statSlots; i++) Stats[i] = new CommandStats();
    }

    public bool Has(CommandFlags f) => (Flags & f) != 0;

    /// <summary>The flags as COMMAND INFO shows them: Redis hides may_replicate, sentinel, only_sentinel and protected.</summary>
    public IEnumerable<string> FlagList() => FlagNames
        .Where(f => (Flags & f.Flag) != 0 && (f.Flag & (CommandFlags.MayReplicate | CommandFlags.Sentinel | CommandFlags.OnlySentinel | CommandFlags.Protected)) == 0)
        .Select(f => f.Name);

    /// <summary>ACL categories in the order Redis lists them.</summary>
    public static readonly string[] AclCategoryNames =
    [
        "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo", "stream",
        "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting",
    ];

    /// <summary>ACL categories as Redis derives them: the declared ones plus those the flags imply, in Redis's order.</summary>
    static string[] ComputeAclCategories(CommandAttribute meta, CommandFlags flags)
    {
        var cats = new HashSet<string>(meta.Acl.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        foreach (var c in cats)
            if (!AclCategoryNames.Contains(c)) throw new InvalidOperationException($"unknown ACL category '{c}' on {meta.Name}");
        if ((flags & CommandFlags.Write) != 0) cats.Add("write");
        if ((flags & CommandFlags.ReadOnly) != 0 && !cats.Contains("scripting")) cats.Add("read");
        if ((flags & CommandFlags.Admin) != 0) { cats.Add("admin"); cats.Add("dangerous"); }
        if ((flags & CommandFlags.PubSub) != 0) cats.Add("pubsub");
        if ((flags & CommandFlags.Fast) != 0) cats.Add("fast");
        if ((flags & CommandFlags.Blocking) != 0) cats.Add("blocking");
        if (!cats.Contains("fast")) cats.Add("slow");
        return AclCategoryNames.Where(cats.Contains).ToArray();
    }

    /// <summary>
    /// COMMAND INFO's legacy first/last/step, derived from the key specs as Redis does, and whether the keys are
    /// "movable" (not all described by that one range).
    /// </summary>
    static (int First, int Last, int Step, bool Movable) LegacyRange(KeySpec[] specs)
    {
        static bool IsRange(KeySpec s) => s.BeginType == "index" && s.FindType == "range";
        if (specs.Length == 0) return (0, 0, 0, false);
        if (specs.Length == 1 && IsRange(specs[0]))
        {
            var s = specs[0];
            return (s.BeginIndex, s.LastKey >= 0 ? s.BeginIndex + s.LastKey : s.LastKey, s.KeyStep, s.Has("incomplete"));
        }
        // Several specs: only plain (step 1) ranges that follow each other make up the legacy range.
        int first = int.MaxValue;
        uint last = 0, previousLast = 0;
        bool movable = false;
        foreach (var s in specs)
        {
            if (!IsRange(s) || s.KeyStep != 1 || (previousLast != 0 && previousLast != s.BeginIndex - 1))
            {
                movable = true;
                continue;
            }
            if (s.Has("incomplete")) movable = true;
            first = Math.Min(first, s.BeginIndex);
            int lastAbsolute = s.LastKey >= 0 ? s.LastKey + s.BeginIndex : s.LastKey;
            // Compared unsigned, so that a negative (counted from the end) last key wins.
            last = Math.Max(last, (uint)lastAbsolute);
            previousLast = last;
        }
        if (first == int.MaxValue) return (0, 0, 0, true);
        return (first, (int)last, 1, movable);
    }

    /// <summary>
    /// The command's own key finder, for keys and flags its specs cannot tell (Redis's getkeys_proc): named by
    /// <see cref="CommandAttribute.KeysFunction"/>.
    /// </summary>
    public Func<ArgList, List<KeyReference>, bool>? KeysFunction { get; internal set; }

    [ThreadStatic] static List<KeyReference>? keyReferences;

    /// <summary>The argument indexes of the keys in a request, for locking: as many as can be found.</summary>
    public void GetKeys(ArgList args, List<int> keys)
    {
        if (KeysFunction is not null)
        {
            var found = keyReferences ??= [];
            found.Clear();
            KeysFunction(args, found);
            foreach (var k in found) keys.Add(k.Index);
            return;
        }
        foreach (var spec in KeySpecs) spec.FindKeys(args, keys);
    }

    /// <summary>
    /// The keys of a request with their flags, as COMMAND GETKEYS reports them: from the key specs when they are
    /// complete and their flags fixed, else from <see cref="KeysFunction"/>; false if neither can tell.
    /// </summary>
    public bool TryGetKeys(ArgList args, List<KeyReference> keys)
    {
        bool specsTell = KeySpecs.Any(s => !s.Has("not_key")) && !KeySpecs.Any(s => s.Has("variable_flags"));
        if (specsTell)
        {
            var found = new List<int>();
            bool complete = true;
            foreach (var spec in KeySpecs)
            {
                if (spec.Has("not_key")) continue;
                found.Clear();
                if (!spec.FindKeys(args, found))
                {
                    complete = false;
                    break;
                }
                foreach (int i in found) keys.Add(new KeyReference(i, spec.Flags));
            }
            if (complete) return true;
            keys.Clear();
        }
        return KeysFunction is not null && KeysFunction(args, keys);
    }

    public bool ArityOk(int argc) => Arity > 0 ? argc == Arity : argc >= -Arity;
}
