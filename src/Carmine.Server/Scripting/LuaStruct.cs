using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using static Carmine.Server.Scripting.LuaApi;

namespace Carmine.Server.Scripting;

/// <summary>
/// The struct module Redis preloads (Roberto Ierusalimschy's struct.pack/unpack/size for Lua 5.1): binary layouts
/// written as format strings ("&gt;I4 h c3 s ..."), with its quirks kept (a long is 8 bytes, integers wider than 8
/// bytes carry only the low 64 bits, alignment only after "!"). Written in C# because Debian has no Lua 5.1 package
/// for it. Each native function returns true and its results, or false and the message the Lua wrapper raises at
/// the script's line, as luaL_error would.
/// </summary>
static unsafe class LuaStruct
{
    const int MaxIntSize = 32;
    /// <summary>"!" alone: the strictest alignment of the platform's types (a double's, on x86-64).</summary>
    const int MaxAlign = 8;

    /// <summary>Adds struct_pack, struct_unpack and struct_size to the table on top of the stack.</summary>
    public static void Register(nint l)
    {
        Add(l, "struct_pack", &Pack);
        Add(l, "struct_unpack", &Unpack);
        Add(l, "struct_size", &Size);
    }

    static void Add(nint l, string name, delegate* unmanaged[Cdecl]<nint, int> fn)
    {
        lua_pushcclosure(l, (nint)fn, 0);
        SetRawField(l, -2, name);
    }

    /// <summary>An error the wrapper raises; the text is luaL_error's or luaL_argerror's.</summary>
    sealed class StructError(string message) : Exception(message)
    {
        public static StructError Argument(int arg, string function, string text) => new($"bad argument #{arg} to '{function}' ({text})");
    }

    /// <summary>A format string being read, with the byte order and alignment its control options set.</summary>
    ref struct Format(ReadOnlySpan<byte> text, string function)
    {
        ReadOnlySpan<byte> rest = text;
        public bool LittleEndian = BitConverter.IsLittleEndian;
        public int Align = 1;

        public readonly bool More => rest.Length > 0;

        public byte Next()
        {
            byte opt = rest[0];
            rest = rest[1..];
            return opt;
        }

        int Number(int fallback)
        {
            if (rest.Length == 0 || !char.IsAsciiDigit((char)rest[0])) return fallback;
            int a = 0;
            while (rest.Length > 0 && char.IsAsciiDigit((char)rest[0]))
            {
                int digit = rest[0] - '0';
                if (a > int.MaxValue / 10 || a * 10 > int.MaxValue - digit) throw new StructError("integral size overflow");
                a = a * 10 + digit;
                rest = rest[1..];
            }
            return a;
        }

        /// <summary>The size of an option's item, reading its count; 0 for options without one.</summary>
        public int Size(byte opt)
        {
            switch (opt)
            {
                case (byte)'B' or (byte)'b' or (byte)'x': return 1;
                case (byte)'H' or (byte)'h': return 2;
                case (byte)'L' or (byte)'l' or (byte)'T' or (byte)'d': return 8;
                case (byte)'f': return 4;
                case (byte)'c': return Number(1);
                case (byte)'i' or (byte)'I':
                    int size = Number(4);
                    if (size > MaxIntSize) throw new StructError($"integral size {size} is larger than limit of {MaxIntSize}");
                    return size;
                default: return 0;
            }
        }

        /// <summary>Padding that aligns an item of <paramref name="size"/> at <paramref name="position"/>.</summary>
        public readonly ulong Padding(ulong position, byte opt, int size)
        {
            if (size == 0 || opt == 'c') return 0;
            ulong s = (ulong)Math.Min(size, Align);
            return (s - (position & (s - 1))) & (s - 1);
        }

        /// <summary>Space, byte order and alignment options; anything else is an invalid option.</summary>
        public void Control(byte opt)
        {
            switch (opt)
            {
                case (byte)' ': return;
                case (byte)'>': LittleEndian = false; return;
                case (byte)'<': LittleEndian = true; return;
                case (byte)'!':
                    int a = Number(MaxAlign);
                    if (a <= 0 || (a & (a - 1)) != 0) throw new StructError($"alignment {a} is not a power of 2");
                    Align = a;
                    return;
                default:
                    throw StructError.Argument(1, function, $"invalid format option '{(char)opt}'");
            }
        }
    }

    /// <summary>The type names of Lua's argument errors ("no value" for a missing argument).</summary>
    public static string TypeName(int type) => type switch
    {
        -1 => "no value",
        TNil => "nil",
        TBoolean => "boolean",
        TLightUserData or 7 => "userdata",
        TNumber => "number",
        TString => "string",
        TTable => "table",
        TFunction => "function",
        _ => "thread",
    };

    static void TypeError(nint l, int arg, string function, string expected, int top) =>
        throw StructError.Argument(arg, function, $"{expected} expected, got {TypeName(arg > top ? MissingType(function, arg, top) : lua_type(l, arg))}");

    /// <summary>pack reads a nil where its first missing argument would be (the mark it pushes before its buffer).</summary>
    static int MissingType(string function, int arg, int top) => function == "pack" && arg > 1 && arg == top + 1 ? TNil : -1;

    static double CheckNumber(nint l, int arg, string function, int top)
    {
        if (arg > top || (lua_type(l, arg) != TNumber && lua_isnumber(l, arg) == 0)) TypeError(l, arg, function, "number", top);
        return lua_tonumber(l, arg);
    }

    static ReadOnlySpan<byte> CheckString(nint l, int arg, string function, int top)
    {
        if (arg > top || lua_type(l, arg) is not (TString or TNumber)) TypeError(l, arg, function, "string", top);
        return ToBytes(l, arg);
    }

    /// <summary>The format up to its first NUL, as the C library reads it.</summary>
    static ReadOnlySpan<byte> FormatText(nint l, string function, int top)
    {
        var fmt = CheckString(l, 1, function, top);
        int nul = fmt.IndexOf((byte)0);
        return nul < 0 ? fmt : fmt[..nul];
    }

    static int Fail(nint l, StructError e)
    {
        lua_settop(l, 0);
        lua_pushboolean(l, 0);
        PushString(l, e.Message);
        return 2;
    }

    /// <summary>struct.pack(fmt, ...): the values laid out as the format says.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static int Pack(nint l)
    {
        try
        {
            int top = lua_gettop(l);
            var f = new Format(FormatText(l, "pack", top), "pack");
            var b = new List<byte>();
            int arg = 2;
            while (f.More)
            {
                byte opt = f.Next();
                int size = f.Size(opt);
                for (ulong pad = f.Padding((ulong)b.Count, opt, size); pad > 0; pad--) b.Add(0);
                switch (opt)
                {
                    case (byte)'b' or (byte)'B' or (byte)'h' or (byte)'H' or (byte)'l' or (byte)'L' or (byte)'T' or (byte)'i' or (byte)'I':
                        PutInteger(b, CheckNumber(l, arg++, "pack", top), f.LittleEndian, size);
                        break;
                    case (byte)'x':
                        b.Add(0);
                        break;
                    case (byte)'f':
                        {
                            Span<byte> bytes = stackalloc byte[4];
                            float v = (float)CheckNumber(l, arg++, "pack", top);
                            if (f.LittleEndian) BinaryPrimitives.WriteSingleLittleEndian(bytes, v);
                            else BinaryPrimitives.WriteSingleBigEndian(bytes, v);
                            foreach (byte x in bytes) b.Add(x);
                            break;
                        }
                    case (byte)'d':
                        {
                            Span<byte> bytes = stackalloc byte[8];
                            double v = CheckNumber(l, arg++, "pack", top);
                            if (f.LittleEndian) BinaryPrimitives.WriteDoubleLittleEndian(bytes, v);
                            else BinaryPrimitives.WriteDoubleBigEndian(bytes, v);
                            foreach (byte x in bytes) b.Add(x);
                            break;
                        }
                    case (byte)'c' or (byte)'s':
                        {
                            var s = CheckString(l, arg++, "pack", top);
                            int n = size == 0 ? s.Length : size;
                            // The C library names the argument after the string, a quirk kept for identical errors.
                            if (s.Length < n) throw StructError.Argument(arg, "pack", "string too short");
                            foreach (byte x in s[..n]) b.Add(x);
                            if (opt == 's') b.Add(0);
                            break;
                        }
                    default:
                        f.Control(opt);
                        break;
                }
            }
            lua_settop(l, 0);
            lua_pushboolean(l, 1);
            PushBytes(l, CollectionsMarshal.AsSpan(b));
            return 2;
        }
        catch (StructError e)
        {
            return Fail(l, e);
        }
    }

    static void PutInteger(List<byte> b, double n, bool littleEndian, int size)
    {
        ulong value = n < 0 ? unchecked((ulong)(long)n) : (ulong)n;
        Span<byte> bytes = stackalloc byte[size];
        for (int i = 0; i < size; i++)
        {
            bytes[littleEndian ? i : size - 1 - i] = (byte)value;
            value >>= 8;
        }
        foreach (byte x in bytes) b.Add(x);
    }

    /// <summary>struct.unpack(fmt, data [, pos]): the values read from pos (1-based), then the position after them.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static int Unpack(nint l)
    {
        try
        {
            int top = lua_gettop(l);
            var f = new Format(FormatText(l, "unpack", top), "unpack");
            var data = CheckString(l, 2, "unpack", top).ToArray();
            ulong ld = (ulong)data.Length;
            ulong pos = 1;
            if (top >= 3 && lua_type(l, 3) != TNil)
            {
                double offset = CheckNumber(l, 3, "unpack", top);
                // luaL_optinteger: Lua 5.1 on x86-64 converts through a C int.
                pos = unchecked((ulong)(long)(int)offset);
            }
            if (pos == 0) throw StructError.Argument(3, "unpack", "offset must be 1 or greater");
            pos--;
            var results = new List<object>();
            while (f.More)
            {
                byte opt = f.Next();
                ulong size = (ulong)f.Size(opt);
                pos += f.Padding(pos, opt, (int)size);
                if (size > ld || pos > ld - size) throw StructError.Argument(2, "unpack", "data string too short");
                switch (opt)
                {
                    case (byte)'b' or (byte)'B' or (byte)'h' or (byte)'H' or (byte)'l' or (byte)'L' or (byte)'T' or (byte)'i' or (byte)'I':
                        results.Add(GetInteger(data.AsSpan((int)pos, (int)size), f.LittleEndian, char.IsAsciiLetterLower((char)opt)));
                        break;
                    case (byte)'x':
                        break;
                    case (byte)'f':
                        {
                            var bytes = data.AsSpan((int)pos, 4);
                            results.Add((double)(f.LittleEndian ? BinaryPrimitives.ReadSingleLittleEndian(bytes) : BinaryPrimitives.ReadSingleBigEndian(bytes)));
                            break;
                        }
                    case (byte)'d':
                        {
                            var bytes = data.AsSpan((int)pos, 8);
                            results.Add(f.LittleEndian ? BinaryPrimitives.ReadDoubleLittleEndian(bytes) : BinaryPrimitives.ReadDoubleBigEndian(bytes));
                            break;
                        }
                    case (byte)'c':
                        if (size == 0)
                        {
                            // "c0" takes its length from the number read just before it, which it replaces.
                            if (results.Count == 0 || PreviousNumber(results[^1]) is not { } length)
                                throw new StructError("format 'c0' needs a previous size");
                            size = unchecked((ulong)(long)length);
                            results.RemoveAt(results.Count - 1);
                            if (size > ld || pos > ld - size) throw StructError.Argument(2, "unpack", "data string too short");
                        }
                        results.Add(data.AsSpan((int)pos, (int)size).ToArray());
                        break;
                    case (byte)'s':
                        {
                            int end = data.AsSpan((int)pos).IndexOf((byte)0);
                            if (end < 0) throw new StructError("unfinished string in data");
                            results.Add(data.AsSpan((int)pos, end).ToArray());
                            size = (ulong)end + 1;
                            break;
                        }
                    default:
                        f.Control(opt);
                        break;
                }
                pos += size;
            }
            lua_settop(l, 0);
            if (lua_checkstack(l, results.Count + 2) == 0) throw new StructError("stack overflow (too many results)");
            lua_pushboolean(l, 1);
            foreach (var r in results)
            {
                if (r is double d) lua_pushnumber(l, d);
                else PushBytes(l, (byte[])r);
            }
            lua_pushnumber(l, unchecked((long)(pos + 1)));
            return results.Count + 2;
        }
        catch (StructError e)
        {
            return Fail(l, e);
        }
    }

    /// <summary>A number, or a string Lua would convert to one (lua_isnumber), as "c0" accepts for its length.</summary>
    static double? PreviousNumber(object value)
    {
        if (value is double d) return d;
        string s = Encoding.Latin1.GetString((byte[])value).Trim();
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && ulong.TryParse(s[2..], System.Globalization.NumberStyles.HexNumber, null, out ulong hex)) return hex;
        return double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) ? v : null;
    }

    static double GetInteger(ReadOnlySpan<byte> bytes, bool littleEndian, bool signed)
    {
        ulong v = 0;
        int size = bytes.Length;
        for (int i = 0; i < size; i++) v = (v << 8) | bytes[littleEndian ? size - 1 - i : i];
        if (!signed) return v;
        ulong mask = ulong.MaxValue << (size * 8 - 1);
        if ((v & mask) != 0) v |= mask;
        return (long)v;
    }

    /// <summary>struct.size(fmt): the bytes a format with only fixed-size items packs into.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static int Size(nint l)
    {
        try
        {
            int top = lua_gettop(l);
            var f = new Format(FormatText(l, "size", top), "size");
            ulong pos = 0;
            while (f.More)
            {
                byte opt = f.Next();
                int size = f.Size(opt);
                pos += f.Padding(pos, opt, size);
                if (opt == 's') throw StructError.Argument(1, "size", "option 's' has no fixed size");
                if (opt == 'c' && size == 0) throw StructError.Argument(1, "size", "option 'c0' has no fixed size");
                if (!char.IsAsciiLetterOrDigit((char)opt)) f.Control(opt);
                pos += (ulong)size;
            }
            lua_settop(l, 0);
            lua_pushboolean(l, 1);
            lua_pushnumber(l, pos);
            return 2;
        }
        catch (StructError e)
        {
            return Fail(l, e);
        }
    }
}
