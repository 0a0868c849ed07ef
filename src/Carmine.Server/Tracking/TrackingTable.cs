using System.Text;
using Carmine.Server.Network;

namespace Carmine.Server.Tracking;

/// <summary>
/// Client-side caching (CLIENT TRACKING): which clients may hold which keys, and the invalidation messages sent
/// when those keys change. In default mode a key maps to the IDs of the clients that read it, and is forgotten
/// once invalidated; in BCAST mode a client subscribes to key prefixes and gets every change under them, batched
/// per command. As in Redis, keys are tracked by name whatever their database.
/// </summary>
public sealed class TrackingTable(RedisServer server)
{
    /// <summary>A BCAST prefix: the keys changed under it since the last batch (with who changed them, for NOLOOP), and its subscribers.</summary>
    sealed class BcastState
    {
        public readonly Dictionary<byte[], Client?> Keys = new(ByteArrayComparer.Instance);
        public readonly HashSet<Client> Clients = [];
    }

    static readonly byte[] InvalidatePush = "$10\r\ninvalidate\r\n"u8.ToArray();
    static readonly byte[] InvalidateMessage = "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"u8.ToArray();

    readonly object gate = new();
    readonly Dictionary<byte[], HashSet<long>> keys = new(ByteArrayComparer.Instance);
    readonly SortedDictionary<byte[], BcastState> prefixes = new(ByteArrayComparer.Instance);
    readonly HashSet<Client> clients = [];
    long totalItems;
    volatile bool active;
    int pendingBcast;

    /// <summary>The client whose command runs on this thread: its own invalidations wait for the command's reply.</summary>
    [ThreadStatic] public static Client? Current;

    /// <summary>
    /// While a script runs on this thread: the socketless client that runs its commands and the client that called
    /// it. The script's changes are its caller's (NOLOOP, invalidations after the caller's reply), as in Redis.
    /// </summary>
    [ThreadStatic] public static (Client Script, Client Caller)? ScriptRun;

    static Client? Effective(Client? c) => ScriptRun is { } run && c == run.Script ? run.Caller : c;

    /// <summary>True once anything is tracked: modifications skip all work otherwise.</summary>
    public bool Active => active;

    public int ClientCount { get { lock (gate) return clients.Count; } }
    public int TotalKeys { get { lock (gate) return keys.Count; } }
    public long TotalItems { get { lock (gate) return totalItems; } }
    public int TotalPrefixes { get { lock (gate) return prefixes.Count; } }

    /// <summary>Turns tracking on (or changes its options) for a client whose options were checked, as CLIENT TRACKING ON.</summary>
    public void Enable(Client c, long redirect, bool bcast, bool optIn, bool optOut, bool noLoop, List<byte[]> newPrefixes)
    {
        lock (gate)
        {
            var t = c.Tracking ??= new ClientTracking();
            clients.Add(c);
            t.Redirect = redirect;
            t.BrokenRedirect = false;
            t.Bcast = bcast;
            t.OptIn = optIn;
            t.OptOut = optOut;
            t.NoLoop = noLoop;
            if (bcast)
            {
                if (newPrefixes.Count == 0) Subscribe(c, t, []);
                foreach (var p in newPrefixes) Subscribe(c, t, p);
            }
            active = true;
        }
    }

    void Subscribe(Client c, ClientTracking t, byte[] prefix)
    {
        if (!prefixes.TryGetValue(prefix, out var state)) prefixes[prefix] = state = new BcastState();
        if (state.Clients.Add(c)) t.Prefixes.Add(prefix);
    }

    /// <summary>Turns tracking off (CLIENT TRACKING OFF, RESET, disconnection). Keys it read stay until invalidated, as in Redis.</summary>
    public void Disable(Client c)
    {
        var t = c.Tracking;
        if (t is null) return;
        lock (gate)
        {
            foreach (var p in t.Prefixes)
            {
                if (!prefixes.TryGetValue(p, out var state)) continue;
                state.Clients.Remove(c);
                if (state.Clients.Count == 0) prefixes.Remove(p);
            }
            clients.Remove(c);
            c.Tracking = null;
        }
    }

    /// <summary>
    /// The error for BCAST prefixes that overlap one another or the client's current ones (one would hide the
    /// other's changes), or null.
    /// </summary>
    public static string? PrefixCollision(Client c, List<byte[]> newPrefixes)
    {
        for (int i = 0; i < newPrefixes.Count; i++)
        {
            if (c.Tracking is { } t)
                foreach (var existing in t.Prefixes)
                    if (Overlap(existing, newPrefixes[i]))
                        return $"ERR Prefix '{Text(newPrefixes[i])}' overlaps with an existing prefix '{Text(existing)}'. Prefixes for a single client must not overlap.";
            for (int j = i + 1; j < newPrefixes.Count; j++)
                if (Overlap(newPrefixes[i], newPrefixes[j]))
                    return $"ERR Prefix '{Text(newPrefixes[i])}' overlaps with another provided prefix '{Text(newPrefixes[j])}'. Prefixes for a single client must not overlap.";
        }
        return null;
    }

    static bool Overlap(byte[] a, byte[] b)
    {
        int n = Math.Min(a.Length, b.Length);
        return a.AsSpan(0, n).SequenceEqual(b.AsSpan(0, n));
    }

    static string Text(byte[] b) => Encoding.UTF8.GetString(b);

    /// <summary>
    /// Records the keys a read-only command of a tracking client (default mode) read. The read-only script commands
    /// record nothing themselves: a script records its declared keys when it runs a read command.
    /// </summary>
    public void RememberKeys(Client c, Commands.CommandDef cmd)
    {
        if (cmd.FullName is "eval_ro" or "evalsha_ro" or "fcall_ro") return;
        RememberDeclaredKeys(c, cmd);
    }

    /// <summary>Records the keys of <paramref name="c"/>'s command <paramref name="cmd"/> (a script's declared keys when it reads).</summary>
    public void RememberDeclaredKeys(Client c, Commands.CommandDef cmd)
    {
        if (c.Tracking is not { RemembersKeys: true } || cmd.Has(Commands.CommandFlags.PubSub)) return;
        var found = new List<int>();
        cmd.GetKeys(c.Args, found);
        if (found.Count == 0) return;
        lock (gate)
        {
            foreach (int i in found)
            {
                var lookup = keys.GetAlternateLookup<ReadOnlySpan<byte>>();
                if (!lookup.TryGetValue(c.Args[i], out var ids)) lookup[c.Args[i]] = ids = [];
                if (ids.Add(c.Id)) totalItems++;
            }
        }
    }

    /// <summary>
    /// Before a write command runs: the keys it may change (those its key specs do not declare read-only), each
    /// with whether it surely changes if the command changes data: a key it deletes did not change if it was
    /// missing before and after (DEL of a missing key). Null when nothing is tracked.
    /// </summary>
    public List<(int Index, bool Changed)>? WriteTargets(Client c, Commands.CommandDef cmd)
    {
        if (!active) return null;
        var targets = new List<(int, bool)>();
        var refs = new List<Commands.KeyReference>();
        if (cmd.TryGetKeys(c.Args, refs))
        {
            foreach (var k in refs)
                if (!k.Flags.Contains("RO")) targets.Add((k.Index, !k.Flags.Contains("delete") || Exists(c, k.Index)));
            return targets;
        }
        var found = new List<int>();
        cmd.GetKeys(c.Args, found);
        foreach (int i in found) targets.Add((i, Exists(c, i)));
        return targets;
    }

    /// <summary>After a write that changed data: invalidates its target keys, but not a key that was missing before and still is.</summary>
    public void InvalidateWritten(Client c, List<(int Index, bool Changed)> targets)
    {
        foreach (var (i, changed) in targets)
            if (changed || Exists(c, i)) InvalidateKey(c.Args[i], c);
    }

    static bool Exists(Client c, int i) => c.Database.Find(c.Args[i], c.NowMs) is not null;

    /// <summary>
    /// Invalidates a key that changed: its readers are told and forgotten, and the change is queued for the BCAST
    /// prefixes it falls under. <paramref name="modifier"/> is the client that changed it (null for expiry and
    /// eviction), so NOLOOP subscribers are not told of their own changes.
    /// </summary>
    public void InvalidateKey(ReadOnlySpan<byte> key, Client? modifier, bool bcast = true)
    {
        if (!active) return;
        List<(Client, byte[])>? sends = null;
        var current = Effective(Current);
        modifier = Effective(modifier);
        lock (gate)
        {
            if (bcast && prefixes.Count > 0)
            {
                byte[]? copy = null;
                foreach (var (prefix, state) in prefixes)
                {
                    if (!key.StartsWith(prefix)) continue;
                    state.Keys[copy ??= key.ToArray()] = modifier;
                    pendingBcast++;
                }
            }
            var lookup = keys.GetAlternateLookup<ReadOnlySpan<byte>>();
            if (lookup.Remove(key, out _, out var ids)) sends = Readers(key, ids, current);
        }
        if (sends is not null)
            foreach (var (target, proto) in sends) Send(target, proto);
        if (current is null) FlushBroadcast();
    }

    /// <summary>The invalidations for the readers of a key just removed from the table; the caller holds the gate.</summary>
    List<(Client, byte[])>? Readers(ReadOnlySpan<byte> key, HashSet<long> ids, Client? current)
    {
        List<(Client, byte[])>? sends = null;
        totalItems -= ids.Count;
        foreach (long id in ids)
        {
            var target = server.FindClient(id);
            if (target?.Tracking is not { Bcast: false } t) continue;
            if (t.NoLoop && target == current) continue;
            // The client's own change: the message follows the reply of its command.
            if (target == current) t.Pending.Add(key.ToArray());
            else (sends ??= []).Add((target, KeyArray(key)));
        }
        return sends;
    }

    /// <summary>FLUSHDB / FLUSHALL: every tracking client is told that all its keys are invalid (a null), and the table is emptied.</summary>
    public void InvalidateAll()
    {
        if (!active) return;
        var current = Effective(Current);
        List<Client> targets;
        lock (gate)
        {
            targets = [.. clients];
            keys.Clear();
            totalItems = 0;
        }
        foreach (var target in targets)
        {
            if (target.Tracking is not { } t) continue;
            if (target == current) t.Pending.Add(null);
            else Send(target, NullFor(target));
        }
    }

    /// <summary>
    /// After a client's top-level command: sends the invalidations of its own keys (after its reply), the batched
    /// BCAST changes, and trims the table to tracking-table-max-keys.
    /// </summary>
    public void AfterCommand(Client c)
    {
        if (!active) return;
        if (c.Tracking is { } t)
        {
            if (t.Pending.Count > 0)
            {
                var pending = t.Pending.ToArray();
                t.Pending.Clear();
                foreach (var key in pending) Send(c, key is null ? NullFor(c) : KeyArray(key));
            }
            // CACHING yes|no covers the next command, or the whole next transaction.
            if (c.Multi is null && !c.LastCommand.StartsWith("client|", StringComparison.Ordinal)) t.Caching = false;
        }
        FlushBroadcast();
        LimitKeys();
    }

    void FlushBroadcast()
    {
        if (Volatile.Read(ref pendingBcast) == 0) return;
        var sends = new List<(Client, byte[])>();
        lock (gate)
        {
            pendingBcast = 0;
            foreach (var state in prefixes.Values)
            {
                if (state.Keys.Count == 0) continue;
                var changed = state.Keys.OrderBy(kv => kv.Key, ByteArrayComparer.Instance).ToList();
                byte[]? all = null;
                foreach (var client in state.Clients)
                {
                    if (client.Tracking is { NoLoop: true })
                    {
                        var others = changed.Where(kv => kv.Value != client).Select(kv => kv.Key).ToList();
                        if (others.Count > 0) sends.Add((client, KeysArray(others)));
                    }
                    else sends.Add((client, all ??= KeysArray(changed.Select(kv => kv.Key).ToList())));
                }
                state.Keys.Clear();
            }
        }
        foreach (var (target, proto) in sends) Send(target, proto);
    }

    /// <summary>tracking-table-max-keys: past the limit, keys are forgotten with an invalidation until the table fits.</summary>
    void LimitKeys()
    {
        long max = server.Config.GetLong("tracking-table-max-keys");
        if (max == 0) return;
        while (true)
        {
            byte[] victim;
            lock (gate)
            {
                if (keys.Count <= max) return;
                victim = keys.Keys.ElementAt(Random.Shared.Next(Math.Min(keys.Count, 16)));
            }
            InvalidateKey(victim, null, bcast: false);
        }
    }

    /// <summary>
    /// Delivers one invalidation (<paramref name="value"/>: the keys array, or a null) for a tracking client: to its
    /// redirection client if it has one, as a push in RESP3 or a __redis__:invalidate message to a RESP2 subscriber.
    /// </summary>
    void Send(Client tracker, byte[] value)
    {
        var t = tracker.Tracking;
        if (t is null) return;
        var target = tracker;
        bool redirected = false;
        if (t.Redirect != 0)
        {
            var redir = server.FindClient(t.Redirect);
            if (redir is null || redir.Closed)
            {
                t.BrokenRedirect = true;
                if (tracker.Protocol == 3)
                {
                    long id = t.Redirect;
                    tracker.Push(r =>
                    {
                        r.WriteRaw(">2\r\n$21\r\ntracking-redir-broken\r\n"u8);
                        r.Integer(id);
                    });
                }
                return;
            }
            target = redir;
            redirected = true;
        }
        if (target.Protocol == 3)
            target.Push(r =>
            {
                r.WriteRaw(">2\r\n"u8);
                r.WriteRaw(InvalidatePush);
                r.WriteRaw(value);
            });
        else if (redirected && target.IsSubscriber)
            target.Push(r =>
            {
                r.WriteRaw(InvalidateMessage);
                r.WriteRaw(value);
            });
    }

    /// <summary>The null that invalidates everything, in the tracking client's own protocol (as Redis sends it even when redirected).</summary>
    static byte[] NullFor(Client c) => c.Protocol == 3 ? "_\r\n"u8.ToArray() : "$-1\r\n"u8.ToArray();

    static byte[] KeyArray(ReadOnlySpan<byte> key)
    {
        var buf = new Carmine.Protocol.RespBuffer(key.Length + 32);
        buf.ArrayHeader(1);
        buf.Bulk(key);
        return buf.Written.ToArray();
    }

    static byte[] KeysArray(List<byte[]> list)
    {
        var buf = new Carmine.Protocol.RespBuffer(list.Sum(k => k.Length + 16) + 16);
        buf.ArrayHeader(list.Count);
        foreach (var k in list) buf.Bulk(k);
        return buf.Written.ToArray();
    }
}
