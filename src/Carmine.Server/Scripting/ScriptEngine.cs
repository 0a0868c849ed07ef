using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Carmine.Protocol;
using Carmine.Server.Commands;
using Carmine.Server.Network;
using Carmine.Server.Tracking;
using static Carmine.Server.Scripting.LuaApi;

namespace Carmine.Server.Scripting;

/// <summary>Flags a script declares in its "#!lua flags=..." shebang.</summary>
[Flags]
public enum ScriptFlags
{
    None = 0, NoWrites = 1, AllowOom = 2, AllowStale = 4, NoCluster = 8, AllowCrossSlotKeys = 16,
    /// <summary>No shebang: a script in the pre-7.0 style, whose writes are allowed and checked per command.</summary>
    EvalCompat = 32,
}

/// <summary>A script known by its SHA1: its body and shebang flags; its compiled function lives in the Lua registry.</summary>
public sealed record Script(string Sha, byte[] Body, ScriptFlags Flags);

/// <summary>
/// The server's Lua interpreter, shared by all scripts as in Redis: script cache (EVAL/EVALSHA/SCRIPT), the
/// redis.* callbacks that run commands through a socketless script client, the Lua/RESP conversions, and the
/// state of the running script that BUSY replies and SCRIPT KILL read from other threads.
/// </summary>
public sealed unsafe partial class ScriptEngine
{
    readonly RedisServer server;
    readonly object gate = new();
    readonly Dictionary<string, Script> scripts = new(StringComparer.Ordinal);
    nint lua;
    int handlerRef, globalsRef, loadLibraryRef, resetHookRef;
    Client? scriptClient;
    long runs;

    [ThreadStatic] static ScriptEngine? current;
    RunContext? running;

    sealed class RunContext(Client caller, string name, bool eval, bool readOnly, long startMs)
    {
        public readonly Client Caller = caller;
        public readonly string Name = name;
        public readonly bool Eval = eval;
        public readonly byte[][] Command = caller.Args.ToArrays();
        public readonly bool ReadOnly = readOnly;
        public readonly long StartMs = startMs;
        public volatile bool Wrote;
        public volatile bool Killed;
        public int Resp = 2;
        /// <summary>The "Slow script detected" warning was logged (once per run).</summary>
        public bool ReportedSlow;
    }

    /// <summary>The function FCALL is running, for FUNCTION STATS.</summary>
    public sealed record RunningInfo(string Name, byte[][] Command, long DurationMs);

    public ScriptEngine(RedisServer server)
    {
        this.server = server;
        lua = CreateState();
    }

    public int Count { get { lock (gate) return scripts.Count; } }

    /// <summary>DEBUG SET-DISABLE-DENY-SCRIPTS: lets scripts run commands flagged noscript, for tests.</summary>
    public bool DisableDenyScripts { get; set; }

    /// <summary>Bytes the interpreter holds (INFO used_memory_lua).</summary>
    public long MemoryBytes { get { lock (gate) return lua_gc(lua, GcCount, 0) * 1024L; } }

    /// <summary>
    /// The BUSY error other clients get while a script has run longer than busy-reply-threshold, or null.
    /// Read on other threads without the gate, hence the single read of <see cref="running"/>.
    /// </summary>
    public string? BusyError => running is { } r && server.Config.GetLong("busy-reply-threshold") is > 0 and var limit
        && Clock.NowMs() - r.StartMs >= limit
            ? $"BUSY Redis is busy running a script. You can only call {(r.Eval ? "SCRIPT" : "FUNCTION")} KILL or SHUTDOWN NOSAVE."
            : null;

    public RunningInfo? RunningFunction => running is { Eval: false } r ? new RunningInfo(r.Name, r.Command, Clock.NowMs() - r.StartMs) : null;

    nint CreateState()
    {
        LoadGlobally();
        nint l = luaL_newstate();
        using var lib = new NativeLibraryHandle(Library);
        foreach (var (open, name) in new[] { ("luaopen_base", ""), ("luaopen_table", "table"), ("luaopen_string", "string"),
                     ("luaopen_math", "math"), ("luaopen_debug", "debug") })
            OpenLibrary(l, lib.Export(open), name);
        OpenModule(l, "liblua5.1-cjson.so.0", "luaopen_cjson", "cjson");
        OpenModule(l, "liblua5.1-bitop.so.0", "luaopen_bit", "bit");
        byte[] source = Encoding.UTF8.GetBytes(ScriptSandbox.Source);
        fixed (byte* p = source)
        fixed (byte* name = Encoding.UTF8.GetBytes(ScriptSandbox.ChunkName + "\0"))
            if (luaL_loadbuffer(l, p, source.Length, name) != 0) throw new InvalidOperationException(ErrorText(l));
        lua_createtable(l, 0, 5);
        Register(l, "command", &Command);
        Register(l, "sha1hex", &Sha1Hex);
        Register(l, "log", &LogMessage);
        Register(l, "setresp", &SetResp);
        Register(l, "killed", &Killed);
        LuaMessagePack.Register(l);
        LuaStruct.Register(l);
        PushString(l, RedisServer.RedisVersion);
        var v = Version.Parse(RedisServer.RedisVersion);
        lua_pushnumber(l, (v.Major << 16) | (v.Minor << 8) | v.Build);
        if (lua_pcall(l, 3, 4, 0) != 0) throw new InvalidOperationException(ErrorText(l));
        resetHookRef = luaL_ref(l, RegistryIndex);
        loadLibraryRef = luaL_ref(l, RegistryIndex);
        globalsRef = luaL_ref(l, RegistryIndex);
        handlerRef = luaL_ref(l, RegistryIndex);
        return l;
    }

    static void OpenLibrary(nint l, nint open, string name)
    {
        lua_pushcclosure(l, open, 0);
        PushString(l, name);
        lua_call(l, 1, 0);
    }

    /// <summary>Loads a Debian Lua 5.1 C module and makes its table a global, as Redis preloads cjson and bit.</summary>
    static void OpenModule(nint l, string file, string open, string global)
    {
        var handle = NativeLibrary.Load(file);
        lua_pushcclosure(l, NativeLibrary.GetExport(handle, open), 0);
        PushString(l, global);
        lua_call(l, 1, 1);
        SetRawField(l, GlobalsIndex, global);
    }

    static void Register(nint l, string name, delegate* unmanaged[Cdecl]<nint, int> fn)
    {
        lua_pushcclosure(l, (nint)fn, 0);
        SetRawField(l, -2, name);
    }

    static string ErrorText(nint l) => Encoding.UTF8.GetString(ToBytes(l, -1));

    public static string Sha1Hex(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(SHA1.HashData(body));

    /// <summary>SCRIPT LOAD and EVAL's first run: compiles a body and caches it. Returns null and replies the error on failure.</summary>
    public Script? Load(Client c, byte[] body)
    {
        string sha = Sha1Hex(body);
        lock (gate)
        {
            if (scripts.TryGetValue(sha, out var known)) return known;
            if (!TryParseShebang(body, out var flags, out int shebangLength, out string? error))
            {
                c.Error("ERR " + error);
                return null;
            }
            fixed (byte* p = body)
            fixed (byte* name = "@user_script\0"u8)
            {
                if (luaL_loadbuffer(lua, p + shebangLength, body.Length - shebangLength, name) != 0)
                {
                    c.Error("ERR Error compiling script (new function): " + ErrorText(lua).Replace('\n', ' ').Replace('\r', ' '));
                    Pop(lua, 1);
                    return null;
                }
            }
            SetRawField(lua, RegistryIndex, "f_" + sha);
            var script = new Script(sha, body, flags);
            scripts[sha] = script;
            return script;
        }
    }

    public bool Exists(ReadOnlySpan<byte> sha)
    {
        string key = Encoding.ASCII.GetString(sha).ToLowerInvariant();
        lock (gate) return scripts.ContainsKey(key);
    }

    public Script? Find(ReadOnlySpan<byte> sha)
    {
        string key = Encoding.ASCII.GetString(sha).ToLowerInvariant();
        lock (gate) return scripts.GetValueOrDefault(key);
    }

    /// <summary>SCRIPT FLUSH: forgets every cached script (functions stay).</summary>
    public void Flush()
    {
        lock (gate)
        {
            foreach (string sha in scripts.Keys)
            {
                lua_pushnil(lua);
                SetRawField(lua, RegistryIndex, "f_" + sha);
            }
            scripts.Clear();
            lua_gc(lua, GcCollect, 0);
        }
    }

    /// <summary>SCRIPT KILL (<paramref name="eval"/>) or FUNCTION KILL: stops the running script if it wrote nothing.</summary>
    public void Kill(Client c, bool eval)
    {
        var r = running;
        if (r is null) c.Error("NOTBUSY No scripts in execution right now.");
        else if (r.Eval != eval)
            c.Error($"BUSY Redis is busy running a script. You can only call {(r.Eval ? "SCRIPT" : "FUNCTION")} KILL or SHUTDOWN NOSAVE.");
        else if (r.Wrote)
            c.Error("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.");
        else
        {
            r.Killed = true;
            c.Reply.Ok();
        }
    }

    /// <summary>
    /// evalGetCommandFlags / fcallGetCommandFlags: the flags of an EVAL* or FCALL* request once its script's declared
    /// flags are known. A script with a shebang (every function) writes only without no-writes, denies OOM only
    /// without allow-oom or no-writes, runs on a stale replica only with allow-stale, and is never "may replicate".
    /// Other commands, unknown scripts and scripts without a shebang keep the command's flags.
    /// </summary>
    public static CommandFlags EffectiveFlags(RedisServer server, ArgList args, CommandDef cmd)
    {
        ScriptFlags? declared = cmd.FullName switch
        {
            "eval" or "eval_ro" => TryParseShebang(args[1], out var f, out _, out _) ? f : null,
            "evalsha" or "evalsha_ro" => args[1].Length == 40 ? server.ScriptsIfStarted?.Find(args[1])?.Flags : null,
            "fcall" or "fcall_ro" => server.ScriptsIfStarted?.FindFunction(args.ToStr(1))?.Flags,
            _ => null,
        };
        if (declared is not { } flags || (flags & ScriptFlags.EvalCompat) != 0) return cmd.Flags;
        var result = cmd.Flags & ~(CommandFlags.Stale | CommandFlags.DenyOom | CommandFlags.Write | CommandFlags.MayReplicate);
        if ((flags & (ScriptFlags.AllowOom | ScriptFlags.NoWrites)) == 0) result |= CommandFlags.DenyOom;
        if ((flags & ScriptFlags.NoWrites) == 0) result |= CommandFlags.Write;
        if ((flags & ScriptFlags.AllowStale) != 0) result |= CommandFlags.Stale;
        return result;
    }

    internal static bool TryParseShebang(ReadOnlySpan<byte> body, out ScriptFlags flags, out int length, out string? error)
    {
        flags = ScriptFlags.EvalCompat;
        length = 0;
        error = null;
        if (body.Length < 2 || body[0] != '#' || body[1] != '!') return true;
        int end = body.IndexOf((byte)'\n');
        if (end < 0)
        {
            error = "Invalid script shebang";
            return false;
        }
        length = end;
        var parts = Encoding.UTF8.GetString(body[..end]).Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
        if (parts[0] != "#!lua")
        {
            error = "Unexpected engine in script shebang: " + parts[0];
            return false;
        }
        flags = ScriptFlags.None;
        foreach (string part in parts.AsSpan(1))
        {
            if (!part.StartsWith("flags=", StringComparison.Ordinal))
            {
                error = "Unknown lua shebang option: " + part;
                return false;
            }
            foreach (string flag in part[6..].Split(','))
            {
                var f = flag switch
                {
                    "no-writes" => ScriptFlags.NoWrites,
                    "allow-oom" => ScriptFlags.AllowOom,
                    "allow-stale" => ScriptFlags.AllowStale,
                    "no-cluster" => ScriptFlags.NoCluster,
                    "allow-cross-slot-keys" => ScriptFlags.AllowCrossSlotKeys,
                    "" => ScriptFlags.None,
                    _ => (ScriptFlags?)null,
                };
                if (f is null)
                {
                    error = "Unexpected flag in script shebang: " + flag;
                    return false;
                }
                flags |= f.Value;
            }
        }
        return true;
    }

    /// <summary>Runs a cached script with KEYS and ARGV and writes its result (or error) as the reply of <paramref name="c"/>.</summary>
    public void Run(Client c, Script script, int firstKey, int numKeys, bool readOnlyCommand)
    {
        if (readOnlyCommand && (script.Flags & (ScriptFlags.EvalCompat | ScriptFlags.NoWrites)) == 0)
        {
            c.Error("ERR Can not execute a script with write flag using *_ro command.");
            return;
        }
        lock (gate)
        {
            if (RawField(lua, RegistryIndex, "f_" + script.Sha) != TFunction)
                throw new InvalidOperationException("script missing from the interpreter");
            Call(c, script.Sha, functionMode: false, firstKey, numKeys, readOnlyCommand || (script.Flags & ScriptFlags.NoWrites) != 0);
        }
    }

    /// <summary>
    /// Calls the function on top of the stack (with the gate held): KEYS and ARGV as globals for EVAL, as
    /// arguments for FCALL; replies its result or its error, naming it <paramref name="name"/>.
    /// </summary>
    void Call(Client c, string name, bool functionMode, int firstKey, int numKeys, bool readOnly)
    {
        var ctx = new RunContext(c, name, !functionMode, readOnly, Clock.NowMs());
        var previous = current;
        var previousRun = TrackingTable.ScriptRun;
        current = this;
        running = ctx;
        TrackingTable.ScriptRun = (scriptClient ??= new Client(server, c.Loop) { IsScript = true }, c);
        nint l = lua;
        try
        {
            lua_rawgeti(l, RegistryIndex, handlerRef);
            lua_insert(l, -2);
            if (functionMode)
            {
                PushArray(l, c.Args, firstKey, numKeys);
                PushArray(l, c.Args, firstKey + numKeys, c.Args.Count - firstKey - numKeys);
            }
            else
            {
                lua_rawgeti(l, RegistryIndex, globalsRef);
                PushArray(l, c.Args, firstKey, numKeys);
                SetRawField(l, -2, "KEYS");
                PushArray(l, c.Args, firstKey + numKeys, c.Args.Count - firstKey - numKeys);
                SetRawField(l, -2, "ARGV");
                Pop(l, 1);
            }
            int status = functionMode ? lua_pcall(l, 2, 1, -4) : lua_pcall(l, 0, 1, -2);
            if (++runs % 50 == 0) lua_gc(l, GcStep, 50);
            if (status == 0) WriteReply(l, c, c.Reply, ctx.Resp);
            else ReplyError(c, name);
        }
        finally
        {
            running = null;
            current = previous;
            TrackingTable.ScriptRun = previousRun;
            lua_settop(l, 0);
            if (ctx.Killed) ResetHook();
        }
    }

    /// <summary>Back to the every-100000-instructions hook after a kill switched it to every line.</summary>
    void ResetHook()
    {
        lua_rawgeti(lua, RegistryIndex, resetHookRef);
        lua_pcall(lua, 0, 0, 0);
        lua_settop(lua, 0);
    }

    void ReplyError(Client c, string name)
    {
        nint l = lua;
        if (lua_type(l, -1) != TTable)
        {
            string msg = lua_type(l, -1) is TString or TNumber ? ErrorText(l) : "execution failure";
            c.Error($"ERR Error running script {name}, {(msg.Length > 100 ? msg[..100] : msg)}");
            return;
        }
        string err = TableString(l, "err") ?? "ERR unknown error";
        string? source = TableString(l, "source"), line = TableString(l, "line");
        if (source is not null && line is not null) err += $" script: {name}, on {source}:{line}.";
        c.Error(err.Replace('\r', ' ').Replace('\n', ' '));
    }

    static string? TableString(nint l, string field)
    {
        int t = RawField(l, -1, field);
        string? s = t is TString or TNumber ? ErrorText(l) : null;
        Pop(l, 1);
        return s;
    }

    static void PushArray(nint l, ArgList args, int first, int count)
    {
        lua_createtable(l, count, 0);
        for (int i = 0; i < count; i++)
        {
            PushBytes(l, args[first + i]);
            lua_rawseti(l, -2, i + 1);
        }
    }

    static void PushErrorTable(nint l, string message)
    {
        lua_createtable(l, 0, 1);
        PushString(l, message);
        SetRawField(l, -2, "err");
    }

    /// <summary>redis.call / redis.pcall: returns the reply and whether it is an error (the Lua side raises it).</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static int Command(nint l)
    {
        try
        {
            var engine = current!;
            string? error = engine.Execute(l);
            if (error is not null)
            {
                lua_settop(l, 0);
                PushErrorTable(l, error);
                lua_pushboolean(l, 1);
                return 2;
            }
            return 2;
        }
        catch (Exception ex)
        {
            Log.Warning("Script command failed unexpectedly: " + ex);
            lua_settop(l, 0);
            PushErrorTable(l, "ERR " + ex.Message);
            lua_pushboolean(l, 1);
            return 2;
        }
    }

    /// <summary>Runs the command whose arguments are on the Lua stack; pushes (reply, failed) or returns an error to raise.</summary>
    string? Execute(nint l)
    {
        int argc = lua_gettop(l);
        if (argc == 0) return "ERR Please specify at least one argument for this redis lib call";
        var argv = new byte[argc][];
        for (int i = 1; i <= argc; i++)
        {
            int t = lua_type(l, i);
            if (t == TNumber) argv[i - 1] = Encoding.ASCII.GetBytes(lua_tonumber(l, i).ToString("G17", System.Globalization.CultureInfo.InvariantCulture));
            else if (t == TString) argv[i - 1] = ToBytes(l, i).ToArray();
            else return "ERR Lua redis lib command arguments must be strings or integers";
        }
        var ctx = running!;
        var sc = scriptClient!;
        var args = ArgList.From(argv);
        var cmd = server.Commands.Lookup(args[0]);
        if (cmd is not null && cmd.Subcommands is not null && (cmd.Handler is null || args.Count >= 2))
            cmd = args.Count >= 2 ? CommandTable.LookupSub(cmd, args) : cmd;
        if (cmd is null) return "ERR Unknown Redis command called from script";
        if (!cmd.ArityOk(args.Count)) return "ERR Wrong number of args calling Redis command from script";
        if (cmd.Has(CommandFlags.NoScript) && !DisableDenyScripts) return "ERR This Redis command is not allowed from script";
        // A script allowed to run on a stale replica (allow-stale) may still only run commands that may.
        if (!cmd.Has(CommandFlags.Stale) && server.Master is { LinkUp: false } && !server.Config.GetBool("replica-serve-stale-data"))
            return "ERR Can not execute the command on a stale replica";
        // A read-only script may not even publish (may_replicate), so CLIENT PAUSE WRITE can let it run.
        if (ctx.ReadOnly && cmd.Has(CommandFlags.Write | CommandFlags.MayReplicate)) return "ERR Write commands are not allowed from read-only scripts.";
        if (cmd.Has(CommandFlags.Write))
        {
            // Out of memory when the script started: refused until its first write, which can no longer be undone.
            if (!ctx.Wrote && cmd.Has(CommandFlags.DenyOom) && server.Eviction.Limit != 0 && RedisServer.PreCommandOom)
            {
                cmd.Stats[ThreadSlot.Current].RejectedCalls++;
                return RedisServer.OomError;
            }
            ctx.Wrote = true;
        }
        sc.Args = args;
        sc.Db = ctx.Caller.Db;
        sc.NowMs = ctx.Caller.NowMs;
        sc.Protocol = ctx.Resp;
        sc.Reply.Resp3 = ctx.Resp == 3;
        sc.User = ctx.Caller.User;
        sc.InExec = true;
        sc.Reply.Clear();
        server.Call(sc, cmd);
        // A script that reads makes its caller track the keys it declared, as Redis does.
        if (cmd.Has(CommandFlags.ReadOnly) && ctx.Caller.Tracking is not null && server.Commands.Lookup(ctx.Command[0]) is { } script)
            server.Tracking.RememberDeclaredKeys(ctx.Caller, script);
        lua_settop(l, 0);
        if (!RespReader.TryRead(sc.Reply.Written, out var reply, out _))
            reply = RespValue.NullValue;
        sc.Reply.Clear();
        PushReply(l, reply);
        lua_pushboolean(l, reply.IsError ? 1 : 0);
        return null;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static int Sha1Hex(nint l)
    {
        string hex = Sha1Hex(ToBytes(l, 1));
        PushString(l, hex);
        return 1;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static int LogMessage(nint l)
    {
        int level = (int)lua_tonumber(l, 1);
        Log.Write((LogLevel)level, Encoding.UTF8.GetString(ToBytes(l, 2)));
        return 0;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static int SetResp(nint l)
    {
        if (current?.running is { } r) r.Resp = (int)lua_tonumber(l, 1);
        return 0;
    }

    /// <summary>
    /// Called by the count hook every 100000 instructions: past busy-reply-threshold it serves the other clients of the
    /// caller's loop. Returns the error that stops the script (SCRIPT KILL, FUNCTION LOAD timeout), or nil.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static int Killed(nint l)
    {
        try
        {
            var engine = current;
            var r = engine?.running;
            if (r is not null && !r.Killed && engine!.BusyError is not null && !r.ReportedSlow)
            {
                r.ReportedSlow = true;
                Log.Warning($"Slow script detected: still in execution after {Clock.NowMs() - r.StartMs} milliseconds. " +
                    $"You can try killing the script using the {(r.Eval ? "SCRIPT KILL" : "FUNCTION KILL")} command. Script name is: {r.Name}.");
            }
            if (r is not null && !r.Killed && engine!.BusyError is not null && r.Caller.Loop.OnLoopThread)
                r.Caller.Loop.ProcessEventsWhileBlocked(r.Caller);
            if (r?.Killed == true) PushString(l, "ERR Script killed by user with SCRIPT KILL...");
            else if (engine is { loadStartMs: > 0 } && Clock.NowMs() - engine.loadStartMs > LoadTimeoutMs)
            {
                // Reported once: the loader's own code after the library's pcall must run to restore its globals.
                engine.loadTimedOut = true;
                engine.loadStartMs = 0;
                PushString(l, "ERR FUNCTION LOAD timeout");
            }
            else lua_pushnil(l);
        }
        catch (Exception ex)
        {
            Log.Warning("Serving clients during a busy script failed: " + ex);
            lua_pushnil(l);
        }
        return 1;
    }

    /// <summary>liblua's exports, for the standard library openers.</summary>
    readonly struct NativeLibraryHandle(string name) : IDisposable
    {
        readonly nint handle = NativeLibrary.Load(name);
        public nint Export(string symbol) => NativeLibrary.GetExport(handle, symbol);
        public void Dispose() => NativeLibrary.Free(handle);
    }
}
