using System.Diagnostics;
using System.Text;
using Carmine.Server.Commands;
using Carmine.Server.Network;

namespace Carmine.Server;

public sealed partial class RedisServer
{
    [ThreadStatic] static List<int>? keyIndexes;
    [ThreadStatic] static List<int>? shardIndexes;
    [ThreadStatic] static List<(int Db, int Shard)>? execLocks;
    // Nesting of Call on this thread (EXEC and scripts call commands inside a command): blocked clients are
    // served only when the outermost command completes, so they never see a transaction half done.
    [ThreadStatic] static int callDepth;

    /// <summary>True while a command runs inside EXEC or a script on this thread.</summary>
    internal static bool InsideTransaction => callDepth > 1;

    /// <summary>
    /// Executes the request in <paramref name="c"/>.Args: table lookup, arity and state checks, the key locks
    /// the command needs, the handler, then statistics, slowlog and MONITOR. Returns false if the command
    /// must wait (the client is paused) and be executed again later.
    /// </summary>
    public bool Execute(Client c)
    {
        var args = c.Args;
        var cmd = Commands.Lookup(args[0]);
        c.NowMs = Clock.NowMs();
        if (cmd is null)
        {
            RejectUnknown(c);
            return true;
        }
        // A container runs a subcommand; one with a handler of its own (COMMAND) runs that when called alone.
        if (cmd.Subcommands is not null && (cmd.Handler is null || args.Count >= 2))
        {
            if (args.Count < 2)
            {
                Reject(c, cmd, $"ERR wrong number of arguments for '{cmd.FullName}' command");
                return true;
            }
            var sub = CommandTable.LookupSub(cmd, args);
            if (sub is null)
            {
                Reject(c, null, $"ERR unknown subcommand '{Truncate(args.ToStr(1))}'. Try {cmd.Name.ToUpperInvariant()} HELP.");
                return true;
            }
            cmd = sub;
        }
        if (!cmd.ArityOk(args.Count))
        {
            Reject(c, cmd, $"ERR wrong number of arguments for '{cmd.FullName}' command");
            return true;
        }
        // Only connected clients are refused: the AOF is replayed through a client without a connection.
        if (Loading && c.Fd >= 0 && !cmd.Has(CommandFlags.Loading))
        {
            Reject(c, cmd, "LOADING Redis is loading the dataset in memory");
            return true;
        }
        if (cmd.Has(CommandFlags.Protected) && !ProtectedAllowed(c, cmd))
        {
            var (command, option) = cmd.Name == "debug" ? ("DEBUG", "enable-debug-command") : ("MODULE", "enable-module-command");
            Reject(c, cmd, $"ERR {command} command not allowed. If the {option} option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.");
            return true;
        }
        if (!c.Authenticated && !cmd.Has(CommandFlags.NoAuth))
        {
            Reject(c, cmd, "NOAUTH Authentication required.");
            return true;
        }
        if (c.Multi is not null && cmd.Has(CommandFlags.NoMulti))
        {
            Reject(c, cmd, "ERR Command not allowed inside a transaction");
            return true;
        }
        // As Redis: clients over maxmemory-clients go first (this one included: its command is dropped), then keys.
        if (clientEvictionEnabled && EvictClients(c)) return true;
        if (Eviction.Limit != 0 && DeniedByMaxmemory(c, cmd))
        {
            Reject(c, cmd, OomError);
            return true;
        }
        if ((cmd.Has(CommandFlags.Write) || cmd.FullName == "ping") && Rdb.DeniesWrites)
        {
            Reject(c, cmd, Persistence.RdbPersistence.MisconfError);
            return true;
        }
        if (ReplicationRejection(c, cmd) is { } denied)
        {
            Reject(c, cmd, denied);
            return true;
        }
        if (c.Protocol == 2 && c.IsSubscriber && !AllowedWhileSubscribed(cmd))
        {
            Reject(c, cmd, $"ERR Can't execute '{cmd.FullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
            return true;
        }
        if (scripts?.BusyError is { } busy && !cmd.Has(CommandFlags.AllowBusy) && !(cmd.Name == "shutdown" && args.Count > 1 && args.Is(1, "nosave")))
        {
            Reject(c, cmd, busy);
            return true;
        }
        if (IsPausedFor(c, cmd)) return false;
        if (c.Multi is not null && !RunsInsideMulti(cmd))
        {
            c.Multi.Queued.Add((cmd, args.Detach()));
            c.Reply.SimpleString("QUEUED"u8);
            return true;
        }
        Call(c, cmd);
        return true;
    }

    /// <summary>enable-debug-command / enable-module-command: "yes", or "local" for loopback and Unix socket clients.</summary>
    bool ProtectedAllowed(Client c, CommandDef cmd) => Config.GetString(cmd.Name == "debug" ? "enable-debug-command" : "enable-module-command") switch
    {
        "yes" => true,
        "local" => c.IsUnixSocket || c.Address.StartsWith("127.0.0.1:", StringComparison.Ordinal) || c.Address.StartsWith("::1:", StringComparison.Ordinal),
        _ => false,
    };

    static bool AllowedWhileSubscribed(CommandDef cmd) =>
        cmd.FullName is "subscribe" or "unsubscribe" or "psubscribe" or "punsubscribe" or "ssubscribe" or "sunsubscribe"
            or "ping" or "quit" or "reset";

    /// <summary>Commands that act at once inside MULTI instead of being queued.</summary>
    static bool RunsInsideMulti(CommandDef cmd) =>
        cmd.FullName is "exec" or "discard" or "multi" or "watch" or "quit" or "reset";

    /// <summary>Runs a command whose checks passed, under the locks its keys need, and records what it did.</summary>
    public void Call(Client c, CommandDef cmd)
    {
        c.LastCommand = cmd.FullName;
        c.CommandFailed = false;
        c.ClearRedactions();
        int replyStart = c.Reply.Length;
        long start = Stopwatch.GetTimestamp();
        callDepth++;
        long dirty = Stats.Local.Dirty;
        try
        {
            RunLocked(c, cmd);
        }
        catch (Exception ex)
        {
            Log.Warning($"Command '{cmd.FullName}' failed unexpectedly: {ex}");
            c.Reply.Truncate(replyStart);
            c.Error("ERR internal error executing '" + cmd.FullName + "': " + ex.Message);
        }
        if (cmd.Has(CommandFlags.Write) && Stats.Local.Dirty != dirty) ChargeWrittenKeys(c, cmd);
        callDepth--;
        long elapsedUs = (long)((Stopwatch.GetTimestamp() - start) * (1_000_000.0 / Stopwatch.Frequency));
        var stats = cmd.Stats[ThreadSlot.Current];
        stats.Calls++;
        stats.Microseconds += elapsedUs;
        if (LatencyTracking) stats.RecordLatency(elapsedUs);
        if (c.CommandFailed) stats.FailedCalls++;
        // An enclosing call (EXEC running this one) counts only its own errors as failed.
        c.CommandFailed = false;
        Stats.Local.Commands++;
        c.CommandsProcessed++;
        // A command that blocked is logged when it is unblocked (BlockingKeys), as Redis does.
        if (elapsedUs >= SlowLog.ThresholdUs && SlowLog.ThresholdUs >= 0 && !cmd.Has(CommandFlags.SkipSlowlog) && !c.IsBlocked)
            SlowLog.Add(c, elapsedUs);
        Latency.RecordCommand(cmd, elapsedUs);
        if (MonitorCount > 0 && !cmd.Has(CommandFlags.SkipMonitor) && !cmd.Has(CommandFlags.Admin)) FeedMonitors(c);
        ApplyReplyMode(c, IsSubscription(cmd) ? c.Reply.Length : replyStart);
        if (callDepth == 0) Blocking.HandleReadyKeys(this);
    }

    /// <summary>(Un)subscribe confirmations are push messages, which CLIENT REPLY OFF/SKIP does not silence, as in Redis.</summary>
    static bool IsSubscription(CommandDef cmd) =>
        cmd.FullName is "subscribe" or "unsubscribe" or "psubscribe" or "punsubscribe" or "ssubscribe" or "sunsubscribe";

    void RunLocked(Client c, CommandDef cmd)
    {
        bool write = cmd.Has(CommandFlags.Write) && (Watches.Any || Tracking.Active);
        bool read = c.Tracking is not null && cmd.Has(CommandFlags.ReadOnly);
        if (!write && !read)
        {
            RunLockedCore(c, cmd, cmd.Handler!);
            return;
        }
        // Someone WATCHes or tracks keys: after a write that changed data, touch its keys while their locks are
        // held; after a read by a tracking client, remember the keys it may cache.
        var caller = Carmine.Server.Tracking.TrackingTable.Current;
        Carmine.Server.Tracking.TrackingTable.Current = c;
        try
        {
            RunLockedCore(c, cmd, client =>
            {
                long dirty = Stats.Local.Dirty;
                var targets = write ? Tracking.WriteTargets(client, cmd) : null;
                cmd.Handler!(client);
                if (write && Stats.Local.Dirty != dirty)
                {
                    TouchWatchedKeys(client, cmd);
                    if (targets is not null) Tracking.InvalidateWritten(client, targets);
                }
                if (read) Tracking.RememberKeys(client, cmd);
            });
        }
        finally
        {
            Carmine.Server.Tracking.TrackingTable.Current = caller;
        }
    }

    void TouchWatchedKeys(Client c, CommandDef cmd)
    {
        if (!Watches.Any) return;
        var keys = new List<int>();
        cmd.GetKeys(c.Args, keys);
        var db = c.Database;
        foreach (int k in keys)
            Watches.Touch(c.Db, c.Args[k], db.Find(c.Args[k], c.NowMs) is not null);
    }

    void RunLockedCore(Client c, CommandDef cmd, Action<Client> handler)
    {
        if (cmd.Exclusive && IsScriptCall(cmd))
        {
            // A script runs in its caller's database (the Lua engine runs one script at a time): that database's
            // shards, under the exclusive gate so that a command inside the script may still lock everything.
            int scriptDb = c.Db;
            Monitor.Enter(Keyspace.ExclusiveGate);
            Keyspace.LockDatabase(scriptDb);
            try { Invoke(c, cmd, handler); }
            finally
            {
                Keyspace.UnlockDatabase(scriptDb);
                Monitor.Exit(Keyspace.ExclusiveGate);
            }
            return;
        }
        if (cmd.Exclusive)
        {
            var only = cmd.FullName == "exec" ? ExecLockSet(c) : null;
            if (only is null)
            {
                Keyspace.LockAll();
                try { Invoke(c, cmd, handler); }
                finally { Keyspace.UnlockAll(); }
                return;
            }
            int taken = 0;
            // Locks in several databases are taken under the exclusive gate (see Keyspace.ExclusiveGate).
            bool gate = only.Count > 0 && only[0].Db != only[^1].Db;
            if (gate) Monitor.Enter(Keyspace.ExclusiveGate);
            try
            {
                foreach (var (lockDb, shard) in only)
                {
                    Monitor.Enter(Keyspace[lockDb].Shards[shard].Lock);
                    taken++;
                }
                Invoke(c, cmd, handler);
            }
            finally
            {
                for (int i = taken - 1; i >= 0; i--) Monitor.Exit(Keyspace[only[i].Db].Shards[only[i].Shard].Lock);
                if (gate) Monitor.Exit(Keyspace.ExclusiveGate);
            }
            return;
        }
        var args = c.Args;
        int single = cmd.SingleKeyIndex;
        if (single > 0)
        {
            if (single < args.Count)
            {
                var keyDb = Keyspace[c.Db];
                uint hash = Carmine.Server.Keyspace.KeyHash.Hash(args[single]);
                var shard = keyDb.Shards[keyDb.ShardIndex(hash)];
                lock (shard.Lock)
                {
                    bool write = cmd.Has(CommandFlags.Write | CommandFlags.MayReplicate);
                    if (write) shard.BeforeWrite(hash);
                    long dirty = Stats.Local.Dirty;
                    Invoke(c, cmd, handler);
                    // A value changed in place (LPUSH, APPEND ...) is charged its new size while its lock is still held.
                    if (write && Stats.Local.Dirty != dirty) shard.ChargeInPlace(args[single], hash);
                }
            }
            else Invoke(c, cmd, handler);
            return;
        }
        if (cmd.KeySpecs.Length == 0)
        {
            Invoke(c, cmd, handler);
            return;
        }
        var keys = keyIndexes ??= new List<int>();
        var shards = shardIndexes ??= new List<int>();
        keys.Clear();
        shards.Clear();
        cmd.GetKeys(args, keys);
        var db = Keyspace[c.Db];
        foreach (int k in keys) shards.Add(db.ShardIndex(Carmine.Server.Keyspace.KeyHash.Hash(args[k])));
        shards.Sort();
        int held = 0;
        var held0 = new int[shards.Count];
        try
        {
            int last = -1;
            foreach (int s in shards)
            {
                if (s == last) continue;
                Monitor.Enter(db.Shards[s].Lock);
                held0[held++] = s;
                last = s;
            }
            if (cmd.Has(CommandFlags.Write | CommandFlags.MayReplicate))
                foreach (int k in keys) db.BeforeWrite(args[k]);
            Invoke(c, cmd, handler);
        }
        finally
        {
            for (int i = held - 1; i >= 0; i--) Monitor.Exit(db.Shards[held0[i]].Lock);
        }
    }

    /// <summary>
    /// Runs the handler with the command's locks held and, when something reads the replication stream, collects
    /// the command's effects; the outermost command emits them before its locks are released, so the stream's
    /// order agrees with the order in which each key changed.
    /// </summary>
    void Invoke(Client c, CommandDef cmd, Action<Client> handler)
    {
        var fx = Replication.PendingEffects.Current;
        if (fx.Depth == 0 && !Propagation.Active)
        {
            handler(c);
            return;
        }
        int mark = fx.Items.Count;
        long dirty = Stats.Local.Dirty;
        bool outerPrevented = fx.Prevented;
        fx.Prevented = false;
        fx.Depth++;
        try
        {
            handler(c);
        }
        finally
        {
            fx.Depth--;
            if (!fx.Prevented && fx.Items.Count == mark && Stats.Local.Dirty != dirty)
                fx.Add(new Replication.Effect(c.Db, Replication.ReplicationStream.Argv(c.Args), Replication.PropagateTo.All));
            fx.Prevented = outerPrevented;
            if (fx.Depth == 0 && EmitEffects(fx) is var aofWait and > 0) c.AofWaitOffset = aofWait;
        }
    }

    /// <summary>
    /// Emits the collected effects of an outermost command to the stream. Returns the AOF offset the command's reply
    /// must wait for (written, and on disk with appendfsync always), or 0 when it fed nothing to an AOF.
    /// </summary>
    internal long EmitEffects(Replication.PendingEffects fx)
    {
        if (fx.Items.Count == 0) return 0;
        try
        {
            Propagation.Emit(fx.Items);
        }
        finally
        {
            fx.Items.Clear();
        }
        return Aof.Enabled ? Aof.FedOffset : 0;
    }

    static bool IsScriptCall(CommandDef cmd) =>
        cmd.FullName is "eval" or "evalsha" or "eval_ro" or "evalsha_ro" or "fcall" or "fcall_ro";

    /// <summary>
    /// The shard locks an EXEC needs, in the global order (database, then shard): those of every queued command's keys
    /// (following SELECTs inside the transaction) and of the WATCHed keys. Null when the transaction must run with every
    /// lock held: a queued command is itself exclusive (scripts, FLUSHALL, SORT ...) or reaches the keyspace without
    /// declaring keys (SCAN, RANDOMKEY, DBSIZE ...).
    /// </summary>
    List<(int Db, int Shard)>? ExecLockSet(Client c)
    {
        // Reused per thread: an EXEC never runs inside another.
        var set = execLocks ??= [];
        set.Clear();
        var multi = c.Multi;
        if (multi is null) return set;
        foreach (var (wdb, key) in Watches.LiveWatchedKeys(c))
            set.Add((wdb, Keyspace[wdb].ShardIndex(Carmine.Server.Keyspace.KeyHash.Hash(key))));
        int db = c.Db;
        var keys = keyIndexes ??= [];
        foreach (var (queued, args) in multi.Queued)
        {
            if (queued.Exclusive) return null;
            if (queued.FullName == "select")
            {
                if (!int.TryParse(args.ToStr(1), out db) || db < 0 || db >= Keyspace.Count) return null;
                continue;
            }
            if (queued.KeySpecs.Length == 0)
            {
                if (queued.FullName is "ping" or "echo" or "publish" or "spublish" or "time") continue;
                return null;
            }
            keys.Clear();
            queued.GetKeys(args, keys);
            foreach (int k in keys) set.Add((db, Keyspace[db].ShardIndex(Carmine.Server.Keyspace.KeyHash.Hash(args[k]))));
        }
        set.Sort();
        int n = 0;
        for (int i = 0; i < set.Count; i++)
            if (n == 0 || set[i] != set[n - 1]) set[n++] = set[i];
        set.RemoveRange(n, set.Count - n);
        return set;
    }

    static void ApplyReplyMode(Client c, int replyStart)
    {
        switch (c.ReplyMode)
        {
            case ReplyMode.Off:
                c.Reply.Truncate(replyStart);
                break;
            case ReplyMode.Skip:
                c.Reply.Truncate(replyStart);
                c.ReplyMode = ReplyMode.On;
                break;
            case ReplyMode.SkipNext:
                c.ReplyMode = ReplyMode.Skip;
                break;
        }
    }

    void RejectUnknown(Client c)
    {
        var args = c.Args;
        var sb = new StringBuilder();
        for (int i = 1; i < args.Count && sb.Length < 128; i++)
            sb.Append('\'').Append(Truncate(args.ToStr(i), 128 - sb.Length)).Append("' ");
        Reject(c, null, $"ERR unknown command '{Truncate(args.ToStr(0))}', with args beginning with: {sb}");
    }

    void Reject(Client c, CommandDef? cmd, string error)
    {
        if (cmd is not null) cmd.Stats[ThreadSlot.Current].RejectedCalls++;
        if (c.Multi is not null)
        {
            c.Multi.Aborted = true;
            if (cmd?.FullName == "exec")
            {
                // A refused EXEC ends the transaction, saying why.
                c.Multi = null;
                Watches.UnwatchAll(c);
                c.Error("EXECABORT Transaction discarded because of: " + error);
                ApplyReplyMode(c, c.Reply.Length);
                return;
            }
        }
        c.Error(error);
        ApplyReplyMode(c, c.Reply.Length);
    }

    static string Truncate(string s, int max = 128) => s.Length <= max ? s : s[..max];

    /// <summary>
    /// Scripts and functions are shown to MONITOR before the commands they run, as Redis feeds them from their own
    /// handlers (they are flagged skip_monitor so the dispatcher does not show them again afterwards).
    /// </summary>
    internal void FeedMonitorsFirst(Client c)
    {
        if (MonitorCount > 0) FeedMonitors(c);
    }

    void FeedMonitors(Client c)
    {
        var sb = new StringBuilder();
        long us = Clock.NowUs();
        sb.Append(us / 1_000_000).Append('.').Append((us % 1_000_000).ToString("D6"));
        string source = c.IsScript ? "lua" : c.IsUnixSocket ? "unix:" + Config.GetString("unixsocket") : c.Address;
        sb.Append(" [").Append(c.Db).Append(' ').Append(source).Append(']');
        var args = c.Args;
        for (int i = 0; i < args.Count; i++)
        {
            sb.Append(' ');
            sb.Append(c.IsRedacted(i) ? "\"(redacted)\"" : Quote(args[i]));
        }
        string line = sb.ToString();
        foreach (var m in clients.Values)
            if (m.IsMonitor) m.Push(r => r.SimpleString(line));
    }

    /// <summary>Quotes bytes as Redis's sdscatrepr does: "..." with \n \r \t \a \b, \" \\ and \xHH escapes.</summary>
    public static string Quote(ReadOnlySpan<byte> s)
    {
        var sb = new StringBuilder(s.Length + 2);
        sb.Append('"');
        foreach (byte b in s)
        {
            switch (b)
            {
                case (byte)'\\': sb.Append("\\\\"); break;
                case (byte)'"': sb.Append("\\\""); break;
                case (byte)'\n': sb.Append("\\n"); break;
                case (byte)'\r': sb.Append("\\r"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                case 7: sb.Append("\\a"); break;
                case 8: sb.Append("\\b"); break;
                default:
                    if (b >= 32 && b < 127) sb.Append((char)b);
                    else sb.Append("\\x").Append(b.ToString("x2"));
                    break;
            }
        }
        sb.Append('"');
        return sb.ToString();
    }
}
