using System.Runtime.InteropServices;

namespace Carmine.Server.Scripting;

/// <summary>
/// The Lua 5.1 C API of Debian's liblua5.1-0, the same language version Redis embeds, so scripts written for
/// Redis see the same number formatting, unpack limits and library functions.
/// </summary>
static unsafe partial class LuaApi
{
    public const string Library = "liblua5.1.so.0";
    public const int RegistryIndex = -10000;
    public const int GlobalsIndex = -10002;
    public const int TNil = 0, TBoolean = 1, TLightUserData = 2, TNumber = 3, TString = 4, TTable = 5, TFunction = 6;
    public const int GcCollect = 2, GcCount = 3, GcStep = 5;

    [LibraryImport(Library)] public static partial nint luaL_newstate();
    [LibraryImport(Library)] public static partial void lua_close(nint l);
    [LibraryImport(Library)] public static partial int luaL_loadbuffer(nint l, byte* buffer, nint size, byte* name);
    [LibraryImport(Library)] public static partial int lua_pcall(nint l, int nargs, int nresults, int errfunc);
    [LibraryImport(Library)] public static partial void lua_call(nint l, int nargs, int nresults);
    [LibraryImport(Library)] public static partial int lua_gettop(nint l);
    [LibraryImport(Library)] public static partial void lua_settop(nint l, int index);
    [LibraryImport(Library)] public static partial void lua_pushvalue(nint l, int index);
    [LibraryImport(Library)] public static partial int lua_type(nint l, int index);
    [LibraryImport(Library)] public static partial int lua_checkstack(nint l, int extra);
    [LibraryImport(Library)] public static partial byte* lua_tolstring(nint l, int index, nint* length);
    [LibraryImport(Library)] public static partial double lua_tonumber(nint l, int index);
    [LibraryImport(Library)] public static partial int lua_toboolean(nint l, int index);
    [LibraryImport(Library)] public static partial int lua_isnumber(nint l, int index);
    [LibraryImport(Library)] public static partial void lua_pushnil(nint l);
    [LibraryImport(Library)] public static partial void lua_pushnumber(nint l, double n);
    [LibraryImport(Library)] public static partial void lua_pushlstring(nint l, byte* s, nint length);
    [LibraryImport(Library)] public static partial void lua_pushboolean(nint l, int b);
    [LibraryImport(Library)] public static partial void lua_pushcclosure(nint l, nint fn, int n);
    [LibraryImport(Library)] public static partial void lua_createtable(nint l, int narr, int nrec);
    [LibraryImport(Library)] public static partial void lua_rawget(nint l, int index);
    [LibraryImport(Library)] public static partial void lua_rawset(nint l, int index);
    [LibraryImport(Library)] public static partial void lua_rawgeti(nint l, int index, int n);
    [LibraryImport(Library)] public static partial void lua_rawseti(nint l, int index, int n);
    [LibraryImport(Library)] public static partial int lua_next(nint l, int index);
    [LibraryImport(Library)] public static partial int lua_gc(nint l, int what, int data);
    [LibraryImport(Library)] public static partial int luaL_ref(nint l, int table);
    [LibraryImport(Library)] public static partial void luaL_unref(nint l, int table, int reference);
    [LibraryImport(Library)] public static partial void lua_insert(nint l, int index);
    [LibraryImport(Library)] public static partial void lua_replace(nint l, int index);

    [LibraryImport("libc")] public static partial nint dlopen(byte* file, int mode);
    public const int RtldNow = 2, RtldGlobal = 0x100;

    public static void Pop(nint l, int n) => lua_settop(l, -n - 1);

    public static void PushBytes(nint l, ReadOnlySpan<byte> s)
    {
        fixed (byte* p = s) lua_pushlstring(l, p, s.Length);
    }

    public static void PushString(nint l, string s) => PushBytes(l, System.Text.Encoding.UTF8.GetBytes(s));

    /// <summary>The string (or number, converted in place as Lua does) at <paramref name="index"/>, or null.</summary>
    public static ReadOnlySpan<byte> ToBytes(nint l, int index)
    {
        nint len;
        byte* p = lua_tolstring(l, index, &len);
        return p == null ? default : new ReadOnlySpan<byte>(p, (int)len);
    }

    /// <summary>Pushes t[key] of the table at <paramref name="index"/> without metamethods.</summary>
    public static int RawField(nint l, int index, string key)
    {
        PushString(l, key);
        lua_rawget(l, index < 0 && index > RegistryIndex ? index - 1 : index);
        return lua_type(l, -1);
    }

    /// <summary>Sets t[key] = top of stack (popped) on the table at <paramref name="index"/> without metamethods.</summary>
    public static void SetRawField(nint l, int index, string key)
    {
        PushString(l, key);
        lua_pushvalue(l, -2);
        lua_rawset(l, index < 0 && index > RegistryIndex ? index - 2 : index);
        Pop(l, 1);
    }

    /// <summary>Loads liblua with its symbols global, so the C modules (cjson, bit) that do not link it resolve them.</summary>
    public static void LoadGlobally()
    {
        fixed (byte* name = "liblua5.1.so.0\0"u8)
            if (dlopen(name, RtldNow | RtldGlobal) == 0)
                throw new DllNotFoundException("Scripting needs Debian's liblua5.1-0 (liblua5.1.so.0)");
    }
}
