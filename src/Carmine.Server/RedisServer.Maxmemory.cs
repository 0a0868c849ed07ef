using Carmine.Server.Commands;
using Carmine.Server.Keyspace;
using Carmine.Server.Network;
using Carmine.Server.Scripting;

namespace Carmine.Server;

/// <summary>
/// maxmemory: what used_memory counts, the eviction run before each command, the -OOM refusal of commands that
/// would add data, and what an evicted key sets off (see docs/eviction.md).
/// </summary>
public sealed partial class RedisServer
{
    public const string OomError = "OOM command not allowed when used memory > 'maxmemory'.";

    /// <summary>How long a computed sum of client buffers is reused by the check before each command.</summary>
    const long ClientsMemoryRefreshMs = 10;

    // Whether the command being run found the server out of memory at its start; scripts read it for their first write.
    [ThreadStatic] static bool preCommandOom;

    long clientsMemory, clientsMemoryAtMs;

    public Eviction Eviction { get; private set; } = null!;

    /// <summary>used_memory: the heap at start-up, the keys (<see cref="KeySize"/>) and the clients' query and output buffers.</summary>
    public long UsedMemory => UsedMemoryStartup + Keyspace.UsedBytes + ClientsMemory(fresh: false);

    /// <summary>
    /// The query and output buffers of all clients (INFO's mem_clients_normal). The check before each command reuses
    /// a sum up to 10 ms old rather than visit every client each time.
    /// </summary>
    public long ClientsMemory(bool fresh)
    {
        long now = Clock.NowMs();
        if (!fresh && now - Volatile.Read(ref clientsMemoryAtMs) < ClientsMemoryRefreshMs) return Volatile.Read(ref clientsMemory);
        long sum = 0;
        foreach (var (_, c) in clients) sum += ClientInfo.OutputBufferMemory(c) + c.QueryBufferCapacity;
        Volatile.Write(ref clientsMemory, sum);
        Volatile.Write(ref clientsMemoryAtMs, now);
        return sum;
    }

    /// <summary>A client went away: its buffers stop counting at once, not when the reused sum expires.</summary>
    void ForgetClientsMemory() => Volatile.Write(ref clientsMemoryAtMs, 0);

    /// <summary>True while the running command started out of memory and did not declare it may run so (scripts with allow-oom).</summary>
    public static bool PreCommandOom => preCommandOom;

    void InitMaxmemory()
    {
        Eviction = new Eviction(Keyspace, () => UsedMemory, SafeToEvict, (name, ms) => Latency.Add(name, ms));
        Eviction.Follow(Config);
        FollowClientEviction();
        Keyspace.KeyEvicted = (db, key) =>
        {
            Interlocked.Increment(ref Stats.EvictedKeys);
            Watches.Touch(db.Index, key, existsNow: false);
            Tracking.InvalidateKey(key, null);
            Events.Notify(Carmine.Server.PubSub.NotifyFlags.Evicted, "evicted", db.Index, key);
            PropagateDeletion(db.Index, key, Config.GetBool("lazyfree-lazy-eviction"));
        };
    }

    /// <summary>Keys stay as they are while clients are paused and while a script runs past busy-reply-threshold, as in Redis.</summary>
    bool SafeToEvict() => !Paused && ScriptsIfStarted?.BusyError is null;

    /// <summary>
    /// Before a command when maxmemory is set: evicts what the policy allows, then refuses the command if memory is
    /// still over the limit and the command may add data (denyoom, a script not flagged allow-oom or no-writes, an EXEC
    /// of such commands, anything but EXEC/DISCARD/QUIT/RESET inside MULTI).
    /// </summary>
    bool DeniedByMaxmemory(Client c, CommandDef cmd)
    {
        bool oom = Eviction.Perform() == EvictionResult.Fail;
        preCommandOom = oom && !ScriptAllowsOom(c, cmd);
        if (!oom) return false;
        if (c.Multi is not null && cmd.FullName is not ("exec" or "discard" or "quit" or "reset")) return true;
        if (cmd.Has(CommandFlags.DenyOom)) return true;
        if (cmd.FullName == "exec") return c.Multi?.Queued.Any(q => q.Command.Has(CommandFlags.DenyOom)) == true;
        return ScriptFlagsOf(c, cmd) is { } flags && (flags & (ScriptFlags.AllowOom | ScriptFlags.NoWrites)) == 0;
    }

    bool ScriptAllowsOom(Client c, CommandDef cmd) => ScriptFlagsOf(c, cmd) is { } flags && (flags & ScriptFlags.AllowOom) != 0;

    /// <summary>
    /// The flags a script or function called by EVAL*/FCALL* declared, or null when it declared none (eval compatibility
    /// mode) or is not known (the command then fails on its own).
    /// </summary>
    ScriptFlags? ScriptFlagsOf(Client c, CommandDef cmd)
    {
        var args = c.Args;
        if (args.Count < 2) return null;
        switch (cmd.FullName)
        {
            case "fcall" or "fcall_ro":
                return ScriptsIfStarted?.FindFunction(args.ToStr(1))?.Flags;
            case "evalsha" or "evalsha_ro":
                return args[1].Length == 40 ? Declared(ScriptsIfStarted?.Find(args[1])?.Flags) : null;
            case "eval" or "eval_ro":
                var body = args[1];
                if (ScriptsIfStarted?.Find(System.Text.Encoding.ASCII.GetBytes(ScriptEngine.Sha1Hex(body))) is { } script) return Declared(script.Flags);
                return ScriptEngine.TryParseShebang(body, out var parsed, out _, out _) ? Declared(parsed) : null;
            default:
                return null;
        }
    }

    static ScriptFlags? Declared(ScriptFlags? flags) => flags is { } f && (f & ScriptFlags.EvalCompat) == 0 ? f : null;

    /// <summary>After a write command changed data: charges the keys it wrote their new size (values change in place).</summary>
    void ChargeWrittenKeys(Client c, CommandDef cmd)
    {
        var args = c.Args;
        var db = Keyspace[c.Db];
        int single = cmd.SingleKeyIndex;
        // The single-key path charged its key under the lock already (RunLockedCore).
        if (single > 0) return;
        if (cmd.KeySpecs.Length == 0) return;
        var keys = keyIndexes ??= new List<int>();
        keys.Clear();
        cmd.GetKeys(args, keys);
        foreach (int k in keys) db.Remeasure(args[k]);
    }
}
