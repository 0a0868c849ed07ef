using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Carmine.Server.Scripting.LuaApi;

namespace Carmine.Server.Scripting;

/// <summary>
/// The cmsgpack module Redis preloads (lua-cmsgpack's encoding choices: smallest integer form, float32 when exact,
/// str8 for short strings, tables as arrays when their keys are 1..n, nesting cut at 16 levels), written in C#
/// because Debian has no Lua 5.1 package for it. Each function returns true and its results, or false and the
/// error (lua-cmsgpack's argument checks and messages) that the sandbox's wrapper raises at the script's line.
/// </summary>
static unsafe class LuaMessagePack
{
    const int MaxNesting = 16;

    /// <summary>Adds msgpack_pack and msgpack_unpack to the table on top of the stack.</summary>
    public static void Register(nint l)
    {
        Add(l, "msgpack_pack", &Pack);
        Add(l, "msgpack_unpack", &Unpack);
        Add(l, "msgpack_unpack_one", &UnpackOne);
        Add(l, "msgpack_unpack_limit", &UnpackLimit);
    }

    static void Add(nint l, string name, delegate* unmanaged[Cdecl]<nint, int> fn)
    {
        lua_pushcclosure(l, (nint)fn, 0);
        SetRawField(l, -2, name);
    }

    /// <summary>pack(...): the encodings of every argument, concatenated.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static int Pack(nint l)
    {
        int n = lua_gettop(l);
        if (n == 0) return Fail(l, "bad argument #0 to 'pack' (MessagePack pack needs input.)");
        var buffer = new List<byte>();
        for (int i = 1; i <= n; i++)
        {
            lua_pushvalue(l, i);
            Encode(l, buffer, 0);
            Pop(l, 1);
        }
        lua_settop(l, 0);
        lua_pushboolean(l, 1);
        PushBytes(l, CollectionsMarshal.AsSpan(buffer));
        return 2;
    }

    static int Fail(nint l, string error)
    {
        lua_settop(l, 0);
        lua_pushboolean(l, 0);
        PushString(l, error);
        return 2;
    }

    static void Encode(nint l, List<byte> b, int level)
    {
        int t = lua_type(l, -1);
        if (t == TTable && level == MaxNesting) t = TNil;
        switch (t)
        {
            case TString:
                EncodeString(b, ToBytes(l, -1));
                break;
            case TBoolean:
                b.Add(lua_toboolean(l, -1) != 0 ? (byte)0xc3 : (byte)0xc2);
                break;
            case TNumber:
                EncodeNumber(b, lua_tonumber(l, -1));
                break;
            case TTable:
                if (ArrayLength(l) is { } length)
                {
                    Header(b, length, 0x90, 0xdc, 0xdd);
                    for (int i = 1; i <= length; i++)
                    {
                        lua_rawgeti(l, -1, i);
                        Encode(l, b, level + 1);
                        Pop(l, 1);
                    }
                }
                else
                {
                    int pairs = 0;
                    lua_pushnil(l);
                    while (lua_next(l, -2) != 0)
                    {
                        Pop(l, 1);
                        pairs++;
                    }
                    Header(b, pairs, 0x80, 0xde, 0xdf);
                    lua_pushnil(l);
                    while (lua_next(l, -2) != 0)
                    {
                        lua_pushvalue(l, -2);
                        Encode(l, b, level + 1);
                        Pop(l, 1);
                        Encode(l, b, level + 1);
                        Pop(l, 1);
                    }
                }
                break;
            default:
                b.Add(0xc0);
                break;
        }
    }

    /// <summary>The length if the table's keys are exactly 1..n, else null.</summary>
    static int? ArrayLength(nint l)
    {
        long count = 0, max = 0;
        lua_pushnil(l);
        while (lua_next(l, -2) != 0)
        {
            Pop(l, 1);
            double k = lua_type(l, -1) == TNumber ? lua_tonumber(l, -1) : 0;
            if (k <= 0 || k != Math.Floor(k))
            {
                Pop(l, 1);
                return null;
            }
            count++;
            max = Math.Max(max, (long)k);
        }
        return max == count ? (int)count : null;
    }

    static void Header(List<byte> b, int count, byte fix, byte wide16, byte wide32)
    {
        if (count <= 15) b.Add((byte)(fix | count));
        else if (count <= 0xffff) { b.Add(wide16); Big(b, (ushort)count, 2); }
        else { b.Add(wide32); Big(b, (uint)count, 4); }
    }

    static void EncodeString(List<byte> b, ReadOnlySpan<byte> s)
    {
        int n = s.Length;
        if (n < 32) b.Add((byte)(0xa0 | n));
        else if (n <= 0xff) { b.Add(0xd9); b.Add((byte)n); }
        else if (n <= 0xffff) { b.Add(0xda); Big(b, (ulong)n, 2); }
        else { b.Add(0xdb); Big(b, (ulong)n, 4); }
        foreach (byte x in s) b.Add(x);
    }

    static void EncodeNumber(List<byte> b, double d)
    {
        if (!double.IsInfinity(d) && !double.IsNaN(d) && d >= long.MinValue && d < 9.2233720368547758E18 && (long)d == d)
        {
            EncodeInteger(b, (long)d);
            return;
        }
        float f = (float)d;
        if (f == d)
        {
            b.Add(0xca);
            Big(b, BitConverter.SingleToUInt32Bits(f), 4);
        }
        else
        {
            b.Add(0xcb);
            Big(b, BitConverter.DoubleToUInt64Bits(d), 8);
        }
    }

    static void EncodeInteger(List<byte> b, long n)
    {
        if (n >= 0)
        {
            if (n <= 127) b.Add((byte)n);
            else if (n <= 0xff) { b.Add(0xcc); b.Add((byte)n); }
            else if (n <= 0xffff) { b.Add(0xcd); Big(b, (ulong)n, 2); }
            else if (n <= 0xffffffffL) { b.Add(0xce); Big(b, (ulong)n, 4); }
            else { b.Add(0xcf); Big(b, (ulong)n, 8); }
        }
        else
        {
            if (n >= -32) b.Add((byte)(sbyte)n);
            else if (n >= sbyte.MinValue) { b.Add(0xd0); b.Add((byte)(sbyte)n); }
            else if (n >= short.MinValue) { b.Add(0xd1); Big(b, (ulong)n, 2); }
            else if (n >= int.MinValue) { b.Add(0xd2); Big(b, (ulong)n, 4); }
            else { b.Add(0xd3); Big(b, (ulong)n, 8); }
        }
    }

    static void Big(List<byte> b, ulong v, int bytes)
    {
        for (int i = bytes - 1; i >= 0; i--) b.Add((byte)(v >> (8 * i)));
    }

    /// <summary>unpack(data): every object in the data.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static int Unpack(nint l) => UnpackGeneric(l, "unpack", 0, 0, 0);

    /// <summary>unpack_one(data [, offset]): the offset after the first object at offset (-1 at the end), then the object.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static int UnpackOne(nint l) => UnpackGeneric(l, "unpack_one", 1, 0, 2);

    /// <summary>unpack_limit(data, limit [, offset]): the offset after up to limit objects, then the objects.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static int UnpackLimit(nint l) => UnpackGeneric(l, "unpack_limit", 0, 2, 3);

    /// <summary>
    /// Checks the arguments in lua-cmsgpack's order (the integers, then the data string, which may be a number) and
    /// decodes. A limit and offset of 0 decode everything and return no offset.
    /// </summary>
    static int UnpackGeneric(nint l, string name, long limit, int limitArg, int offsetArg)
    {
        int top = lua_gettop(l);
        long offset = 0;
        string? error = null;
        if (limitArg > 0 && !TryInteger(l, limitArg, top, required: true, ref limit, out error))
            return Fail(l, $"bad argument #{limitArg} to '{name}' ({error})");
        if (offsetArg > 0 && !TryInteger(l, offsetArg, top, required: false, ref offset, out error))
            return Fail(l, $"bad argument #{offsetArg} to '{name}' ({error})");
        if (top < 1 || lua_type(l, 1) is not (TString or TNumber))
            return Fail(l, $"bad argument #1 to '{name}' (string expected, got {LuaStruct.TypeName(top < 1 ? -1 : lua_type(l, 1))})");
        byte[] data = ToBytes(l, 1).ToArray();
        if (offset < 0 || limit < 0) return Fail(l, $"Invalid request to unpack with offset of {(int)offset} and limit of {data.Length}.");
        if (offset > data.Length) return Fail(l, $"Start offset {(int)offset} greater than input length {data.Length}.");
        bool all = limit == 0 && offset == 0;
        int pos = (int)offset;
        lua_settop(l, 0);
        lua_pushboolean(l, 1);
        if (!all) lua_pushnil(l);
        int count = 0;
        while (pos < data.Length && (all || count < limit))
        {
            if (lua_checkstack(l, 1) == 0 || !Decode(l, data, ref pos, 0, out error))
                return Fail(l, error ?? "too many objects");
            count++;
        }
        if (all) return count + 1;
        lua_pushnumber(l, pos >= data.Length ? -1 : pos);
        lua_replace(l, 2);
        return count + 2;
    }

    /// <summary>luaL_checkinteger / luaL_optinteger: a number or numeric string, truncated as Lua 5.1 does through a C int.</summary>
    static bool TryInteger(nint l, int arg, int top, bool required, ref long value, out string? error)
    {
        error = null;
        int type = arg > top ? -1 : lua_type(l, arg);
        if (!required && type is -1 or TNil) return true;
        if (type is not (TNumber or TString) || lua_isnumber(l, arg) == 0)
        {
            error = $"number expected, got {LuaStruct.TypeName(type)}";
            return false;
        }
        double d = lua_tonumber(l, arg);
        value = d is > int.MinValue and < int.MaxValue ? (int)d : int.MinValue;
        return true;
    }

    static bool Decode(nint l, byte[] d, ref int pos, int depth, out string? error)
    {
        error = null;
        if (depth > 512 || lua_checkstack(l, 3) == 0)
        {
            error = "Bad data format in input.";
            return false;
        }
        if (pos >= d.Length) return Missing(out error);
        byte tag = d[pos++];
        switch (tag)
        {
            case <= 0x7f: lua_pushnumber(l, tag); return true;
            case >= 0xe0: lua_pushnumber(l, (sbyte)tag); return true;
            case >= 0xa0 and <= 0xbf: return String(l, d, ref pos, tag & 0x1f, out error);
            case >= 0x90 and <= 0x9f: return Array(l, d, ref pos, tag & 0x0f, depth, out error);
            case >= 0x80 and <= 0x8f: return Map(l, d, ref pos, tag & 0x0f, depth, out error);
            case 0xc0: lua_pushnil(l); return true;
            case 0xc2: lua_pushboolean(l, 0); return true;
            case 0xc3: lua_pushboolean(l, 1); return true;
            case 0xca:
                if (!Need(d, pos, 4, out error)) return false;
                lua_pushnumber(l, BinaryPrimitives.ReadSingleBigEndian(d.AsSpan(pos))); pos += 4; return true;
            case 0xcb:
                if (!Need(d, pos, 8, out error)) return false;
                lua_pushnumber(l, BinaryPrimitives.ReadDoubleBigEndian(d.AsSpan(pos))); pos += 8; return true;
            case 0xcc or 0xcd or 0xce or 0xcf:
            {
                int size = 1 << (tag - 0xcc);
                if (!Need(d, pos, size, out error)) return false;
                ulong v = Read(d, pos, size);
                pos += size;
                lua_pushnumber(l, v);
                return true;
            }
            case 0xd0 or 0xd1 or 0xd2 or 0xd3:
            {
                int size = 1 << (tag - 0xd0);
                if (!Need(d, pos, size, out error)) return false;
                ulong v = Read(d, pos, size);
                pos += size;
                int shift = 64 - 8 * size;
                lua_pushnumber(l, (long)(v << shift) >> shift);
                return true;
            }
            case 0xd9 or 0xc4:
                if (!Need(d, pos, 1, out error)) return false;
                return String(l, d, ref pos, (int)Read(d, pos++, 1), out error);
            case 0xda or 0xc5:
                if (!Need(d, pos, 2, out error)) return false;
                pos += 2;
                return String(l, d, ref pos, (int)Read(d, pos - 2, 2), out error);
            case 0xdb or 0xc6:
                if (!Need(d, pos, 4, out error)) return false;
                pos += 4;
                return String(l, d, ref pos, (int)Math.Min(Read(d, pos - 4, 4), int.MaxValue), out error);
            case 0xdc or 0xde:
                if (!Need(d, pos, 2, out error)) return false;
                pos += 2;
                return tag == 0xdc ? Array(l, d, ref pos, (int)Read(d, pos - 2, 2), depth, out error) : Map(l, d, ref pos, (int)Read(d, pos - 2, 2), depth, out error);
            case 0xdd or 0xdf:
                if (!Need(d, pos, 4, out error)) return false;
                pos += 4;
                int count = (int)Math.Min(Read(d, pos - 4, 4), int.MaxValue);
                return tag == 0xdd ? Array(l, d, ref pos, count, depth, out error) : Map(l, d, ref pos, count, depth, out error);
            default:
                error = "Bad data format in input.";
                return false;
        }
    }

    static bool Missing(out string? error)
    {
        error = "Missing bytes in input.";
        return false;
    }

    static bool Need(byte[] d, int pos, long size, out string? error)
    {
        error = null;
        return d.Length - pos >= size || Missing(out error);
    }

    static ulong Read(byte[] d, int pos, int size)
    {
        ulong v = 0;
        for (int i = 0; i < size; i++) v = (v << 8) | d[pos + i];
        return v;
    }

    static bool String(nint l, byte[] d, ref int pos, int length, out string? error)
    {
        if (!Need(d, pos, length, out error)) return false;
        PushBytes(l, d.AsSpan(pos, length));
        pos += length;
        return true;
    }

    static bool Array(nint l, byte[] d, ref int pos, int count, int depth, out string? error)
    {
        error = null;
        lua_createtable(l, 0, 0);
        for (int i = 1; i <= count; i++)
        {
            if (!Decode(l, d, ref pos, depth + 1, out error)) return false;
            lua_rawseti(l, -2, i);
        }
        return true;
    }

    static bool Map(nint l, byte[] d, ref int pos, int count, int depth, out string? error)
    {
        error = null;
        lua_createtable(l, 0, 0);
        for (int i = 0; i < count; i++)
        {
            if (!Decode(l, d, ref pos, depth + 1, out error) || !Decode(l, d, ref pos, depth + 1, out error)) return false;
            if (lua_type(l, -2) == TNil) Pop(l, 2);
            else lua_rawset(l, -3);
        }
        return true;
    }
}
