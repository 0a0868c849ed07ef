using System.Text;
using Carmine.Server.Network;
using static Carmine.Server.Scripting.LuaApi;

namespace Carmine.Server.Scripting;

/// <summary>A function registered by a library: its Lua callback is kept in the registry under <see cref="Ref"/>.</summary>
public sealed record LuaFunction(string Name, string Library, int Ref, ScriptFlags Flags, string? Description);

/// <summary>A library loaded by FUNCTION LOAD: its code and the functions it registered.</summary>
public sealed record FunctionLibrary(string Name, byte[] Code, IReadOnlyList<LuaFunction> Functions);

public sealed unsafe partial class ScriptEngine
{
    readonly SortedDictionary<string, FunctionLibrary> libraries = new(StringComparer.Ordinal);
    readonly Dictionary<string, LuaFunction> functions = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Library code may run this long at FUNCTION LOAD (Redis's fixed limit).</summary>
    const long LoadTimeoutMs = 500;
    long loadStartMs;
    bool loadTimedOut;
    volatile byte[][] libraryCodes = [];

    // Counts are read without the gate: FUNCTION STATS runs while a busy script holds it.
    public int LibraryCount => libraries.Count;
    public int FunctionCount => functions.Count;

    public IReadOnlyList<FunctionLibrary> Libraries { get { lock (gate) return [.. libraries.Values]; } }

    public LuaFunction? FindFunction(string name)
    {
        lock (gate) return functions.GetValueOrDefault(name);
    }

    /// <summary>FUNCTION LOAD: runs the library code, which registers its functions. Returns the library name, or null with the error replied.</summary>
    public string? LoadLibrary(Client c, byte[] code, bool replace)
    {
        if (!TryParseLibraryShebang(code, out string? name, out int shebangLength, out string? error))
        {
            c.Error("ERR " + error);
            return null;
        }
        lock (gate)
        {
            if (libraries.ContainsKey(name!) && !replace) error = $"Library '{name}' already exists";
            else if ((error = Compile(code, name!, shebangLength, out var library)) is null)
                error = Join([library!], replace: true, flush: false);
        }
        if (error is null) return name;
        c.Error("ERR " + error);
        return null;
    }

    /// <summary>
    /// FUNCTION RESTORE and RDB loading: compiles every library, then adds them all or (on the first error,
    /// returned) none. FLUSH first drops the current libraries; REPLACE lets a library take the place of
    /// one of the same name. <paramref name="quotedCollision"/> picks the message Redis gives when it loads
    /// into the live libraries (an RDB) rather than joining a separate set (RESTORE).
    /// </summary>
    public string? RestoreLibraries(IReadOnlyList<byte[]> codes, bool flush, bool replace, bool quotedCollision)
    {
        lock (gate)
        {
            var compiled = new List<CompiledLibrary>();
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            string? error = null;
            foreach (var code in codes)
            {
                if (!TryParseLibraryShebang(code, out string? name, out int shebangLength, out error)) break;
                if (compiled.Any(l => l.Name == name))
                {
                    error = $"Library '{name}' already exists";
                    break;
                }
                if (quotedCollision && !flush && !replace && libraries.ContainsKey(name!))
                {
                    error = $"Library '{name}' already exists";
                    break;
                }
                if ((error = Compile(code, name!, shebangLength, out var library)) is not null) break;
                compiled.Add(library!);
                if (library!.Functions.FirstOrDefault(f => !names.Add(f.Name)) is { } clash)
                {
                    error = $"Function {clash.Name} already exists";
                    break;
                }
            }
            if (error is null) return Join(compiled, replace, flush);
            foreach (var library in compiled) Discard(library);
            return error;
        }
    }

    /// <summary>A library whose code ran and whose functions are held in the registry, not yet callable.</summary>
    sealed record CompiledLibrary(string Name, byte[] Code, List<LuaFunction> Functions);

    /// <summary>Runs a library's code (with the gate held) and keeps the functions it registered. Returns the error, or null.</summary>
    string? Compile(byte[] code, string name, int shebangLength, out CompiledLibrary? library)
    {
        library = null;
        nint l = lua;
        lua_rawgeti(l, RegistryIndex, loadLibraryRef);
        fixed (byte* p = code)
        fixed (byte* chunkName = "@user_function\0"u8)
        {
            if (luaL_loadbuffer(l, p + shebangLength, code.Length - shebangLength, chunkName) != 0)
            {
                string message = "Error compiling function: " + ErrorText(l);
                lua_settop(l, 0);
                return message;
            }
        }
        var previous = current;
        current = this;
        loadStartMs = Clock.NowMs();
        int status = lua_pcall(l, 1, 1, 0);
        loadStartMs = 0;
        current = previous;
        if (loadTimedOut)
        {
            loadTimedOut = false;
            lua_settop(l, 0);
            ResetHook();
            return "Error registering functions: FUNCTION LOAD timeout";
        }
        if (status != 0)
        {
            string message = ErrorText(l);
            lua_settop(l, 0);
            return message;
        }
        var registered = new List<(string Name, ScriptFlags Flags, string? Description)>();
        lua_pushnil(l);
        while (lua_next(l, -2) != 0)
        {
            string fn = Encoding.UTF8.GetString(ToBytes(l, -2));
            lua_rawgeti(l, -1, 2);
            var flags = (ScriptFlags)(int)lua_tonumber(l, -1);
            Pop(l, 1);
            lua_rawgeti(l, -1, 3);
            string? description = lua_type(l, -1) == TString ? ErrorText(l) : null;
            Pop(l, 2);
            registered.Add((fn, flags, description));
        }
        if (registered.Count == 0)
        {
            lua_settop(l, 0);
            return "No functions registered";
        }
        var list = new List<LuaFunction>();
        foreach (var (fn, flags, description) in registered.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            PushString(l, fn);
            lua_rawget(l, -2);
            lua_rawgeti(l, -1, 1);
            int reference = luaL_ref(l, RegistryIndex);
            Pop(l, 1);
            list.Add(new LuaFunction(fn, name, reference, flags, description));
        }
        lua_settop(l, 0);
        library = new CompiledLibrary(name, code, list);
        return null;
    }

    void Discard(CompiledLibrary library)
    {
        foreach (var f in library.Functions) luaL_unref(lua, RegistryIndex, f.Ref);
    }

    /// <summary>
    /// Makes compiled libraries callable (libraryJoin), with the gate held: a library of an existing name needs
    /// <paramref name="replace"/>, and no function may take the name of one in another library. On an error
    /// nothing changes and the compiled libraries are discarded.
    /// </summary>
    string? Join(List<CompiledLibrary> incoming, bool replace, bool flush)
    {
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        string? error = null;
        if (flush) replaced.UnionWith(libraries.Keys);
        else
        {
            foreach (var library in incoming)
            {
                if (!libraries.ContainsKey(library.Name)) continue;
                if (!replace)
                {
                    error = $"Library {library.Name} already exists";
                    break;
                }
                replaced.Add(library.Name);
            }
            foreach (var f in error is null ? incoming.SelectMany(l => l.Functions) : [])
                if (functions.TryGetValue(f.Name, out var existing) && !replaced.Contains(existing.Library))
                {
                    error = $"Function {f.Name} already exists";
                    break;
                }
        }
        if (error is not null)
        {
            foreach (var library in incoming) Discard(library);
            return error;
        }
        foreach (string name in replaced) RemoveLibrary(libraries[name]);
        foreach (var library in incoming)
        {
            foreach (var f in library.Functions) functions[f.Name] = f;
            libraries[library.Name] = new FunctionLibrary(library.Name, library.Code, library.Functions);
        }
        libraryCodes = [.. libraries.Values.Select(l => l.Code)];
        return null;
    }

    void RemoveLibrary(FunctionLibrary library)
    {
        foreach (var f in library.Functions)
        {
            luaL_unref(lua, RegistryIndex, f.Ref);
            functions.Remove(f.Name);
        }
        libraries.Remove(library.Name);
        libraryCodes = [.. libraries.Values.Select(l => l.Code)];
    }

    /// <summary>
    /// The code of every library, for FUNCTION DUMP and RDB files: a copy renewed on each change, so that a save
    /// never waits for a busy script that holds the gate.
    /// </summary>
    public IReadOnlyList<byte[]> LibraryCodes => libraryCodes;

    /// <summary>FUNCTION DELETE.</summary>
    public bool DeleteLibrary(string name)
    {
        lock (gate)
        {
            if (!libraries.TryGetValue(name, out var library)) return false;
            RemoveLibrary(library);
            return true;
        }
    }

    /// <summary>FUNCTION FLUSH.</summary>
    public void FlushFunctions()
    {
        lock (gate)
        {
            foreach (var library in libraries.Values.ToList()) RemoveLibrary(library);
            lua_gc(lua, GcCollect, 0);
        }
    }

    /// <summary>FCALL / FCALL_RO: calls a registered function with its keys and arguments.</summary>
    public void CallFunction(Client c, LuaFunction function, int firstKey, int numKeys, bool readOnlyCommand)
    {
        if (readOnlyCommand && (function.Flags & ScriptFlags.NoWrites) == 0)
        {
            c.Error("ERR Can not execute a script with write flag using *_ro command.");
            return;
        }
        lock (gate)
        {
            lua_rawgeti(lua, RegistryIndex, function.Ref);
            Call(c, function.Name, functionMode: true, firstKey, numKeys, readOnlyCommand || (function.Flags & ScriptFlags.NoWrites) != 0);
        }
    }

    /// <summary>Reads "#!lua name=LIB" (FUNCTION LOAD's required first line).</summary>
    static bool TryParseLibraryShebang(byte[] code, out string? name, out int length, out string? error)
    {
        name = null;
        length = 0;
        error = null;
        if (code.Length < 2 || code[0] != '#' || code[1] != '!')
        {
            error = "Missing library metadata";
            return false;
        }
        int end = Array.IndexOf(code, (byte)'\n');
        if (end < 0)
        {
            error = "Invalid library metadata";
            return false;
        }
        length = end;
        var parts = Encoding.UTF8.GetString(code, 0, end).Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
        string engine = parts[0][2..];
        foreach (string part in parts.AsSpan(1))
        {
            if (!part.StartsWith("name=", StringComparison.OrdinalIgnoreCase))
            {
                error = "Invalid metadata value given: " + part;
                return false;
            }
            if (name is not null)
            {
                error = "Invalid metadata value, name argument was given multiple times";
                return false;
            }
            // The shebang is split like a command line (sdssplitargs), so name="foo" means foo.
            name = part[5..];
            if (name.Length >= 2 && name[0] == '"' && name[^1] == '"') name = name[1..^1];
        }
        if (name is null)
        {
            error = "Library name was not given";
            return false;
        }
        if (name.Length == 0 || !name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_'))
        {
            error = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
            return false;
        }
        if (!engine.Equals("lua", StringComparison.OrdinalIgnoreCase))
        {
            error = $"Engine '{engine}' not found";
            return false;
        }
        return true;
    }
}
