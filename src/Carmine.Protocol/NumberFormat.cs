using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Carmine.Protocol;

/// <summary>Redis's rules for reading and writing numbers: strict integers, strtod-like doubles, %.17g output.</summary>
public static class NumberFormat
{
    /// <summary>Parses a signed 64-bit integer the way Redis's string2ll does: no spaces, no '+', no leading zeros.</summary>
    public static bool TryParseInt64(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        if (s.Length == 0 || s.Length > 20) return false;
        if (s.Length == 1 && s[0] == '0') return true;
        int i = 0;
        bool negative = false;
        if (s[0] == '-')
        {
            negative = true;
            i = 1;
            if (s.Length == 1) return false;
        }
        if (s[i] < '1' || s[i] > '9') return false;
        ulong v = 0;
        for (; i < s.Length; i++)
        {
            uint d = (uint)(s[i] - '0');
            if (d > 9) return false;
            if (v > (ulong.MaxValue - d) / 10) return false;
            v = v * 10 + d;
        }
        if (negative)
        {
            if (v > (ulong)long.MaxValue + 1) return false;
            value = (long)(0 - v);
        }
        else
        {
            if (v > long.MaxValue) return false;
            value = (long)v;
        }
        return true;
    }

    /// <summary>Parses a double the way Redis's strtod-based parsers do: no surrounding spaces, "inf" allowed, NaN refused.</summary>
    public static bool TryParseDouble(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        if (s.Length == 0 || s.Length > 5000) return false;
        if (IsSpace(s[0]) || IsSpace(s[^1])) return false;
        if (TryParseInfinity(s, out value)) return true;
        Span<char> chars = s.Length <= 256 ? stackalloc char[s.Length] : new char[s.Length];
        for (int i = 0; i < s.Length; i++)
        {
            byte b = s[i];
            if (b >= 128 || b == 0) return false;
            chars[i] = (char)b;
        }
        if (!double.TryParse(chars, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out value))
            return false;
        // strtod reports overflow as ERANGE, which Redis refuses.
        return !double.IsInfinity(value) && !double.IsNaN(value);
    }

    static bool TryParseInfinity(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        int sign = 1;
        var t = s;
        if (t.Length > 0 && (t[0] == '+' || t[0] == '-'))
        {
            if (t[0] == '-') sign = -1;
            t = t[1..];
        }
        if (Ascii.EqualsIgnoreCase(t, "inf"u8) || Ascii.EqualsIgnoreCase(t, "infinity"u8))
        {
            value = sign * double.PositiveInfinity;
            return true;
        }
        return false;
    }

    static bool IsSpace(byte b) => b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f';

    /// <summary>Formats as C's "%.17g" (Redis 7.0's double replies), with inf/-inf/nan spelled as Redis does.</summary>
    public static int FormatDouble(double value, Span<byte> dest)
    {
        if (double.IsPositiveInfinity(value)) return Copy("inf"u8, dest);
        if (double.IsNegativeInfinity(value)) return Copy("-inf"u8, dest);
        if (double.IsNaN(value)) return Copy("nan"u8, dest);
        if (value == Math.Floor(value) && Math.Abs(value) < 1e17)
        {
            // Integral values print without exponent or point under %.17g.
            if (value == 0) return Copy(1 / value < 0 ? "-0"u8 : "0"u8, dest);
            Utf8Formatter.TryFormat((long)value, dest, out int w);
            return w;
        }
        string s = value.ToString("G17", CultureInfo.InvariantCulture);
        return WriteCExponent(s, dest);
    }

    public static string FormatDouble(double value)
    {
        Span<byte> tmp = stackalloc byte[40];
        int n = FormatDouble(value, tmp);
        return Encoding.ASCII.GetString(tmp[..n]);
    }

    /// <summary>Rewrites .NET's "1.5E+20" as C's "1.5e+20" (sign always, at least two exponent digits).</summary>
    static int WriteCExponent(string s, Span<byte> dest)
    {
        int e = s.IndexOf('E');
        int n = 0;
        if (e < 0)
        {
            foreach (char c in s) dest[n++] = (byte)c;
            return n;
        }
        for (int i = 0; i < e; i++) dest[n++] = (byte)s[i];
        dest[n++] = (byte)'e';
        int j = e + 1;
        char sign = '+';
        if (s[j] == '+' || s[j] == '-') sign = s[j++];
        dest[n++] = (byte)sign;
        string digits = s[j..].TrimStart('0');
        if (digits.Length < 2) digits = digits.PadLeft(2, '0');
        foreach (char c in digits) dest[n++] = (byte)c;
        return n;
    }

    /// <summary>
    /// Formats like Redis's ld2string(LD_STR_HUMAN): fixed notation, at most 17 decimals, trailing zeros trimmed.
    /// Used by INCRBYFLOAT and HINCRBYFLOAT.
    /// </summary>
    public static string FormatHuman(double value)
    {
        if (double.IsPositiveInfinity(value)) return "inf";
        if (double.IsNegativeInfinity(value)) return "-inf";
        string r = value.ToString("R", CultureInfo.InvariantCulture);
        int e = r.IndexOfAny(['E', 'e']);
        string plain = e < 0 ? r : ExpandExponent(r[..e], int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture));
        int dot = plain.IndexOf('.');
        if (dot >= 0)
        {
            if (plain.Length - dot - 1 > 17) plain = plain[..(dot + 18)];
            plain = plain.TrimEnd('0').TrimEnd('.');
        }
        if (plain == "-0" || plain.Length == 0 || plain == "-") plain = "0";
        return plain;
    }

    static string ExpandExponent(string mantissa, int exponent)
    {
        bool negative = mantissa.StartsWith('-');
        if (negative) mantissa = mantissa[1..];
        int dot = mantissa.IndexOf('.');
        string digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        int pointAt = (dot < 0 ? mantissa.Length : dot) + exponent;
        string result;
        if (pointAt <= 0) result = "0." + new string('0', -pointAt) + digits;
        else if (pointAt >= digits.Length) result = digits + new string('0', pointAt - digits.Length);
        else result = digits[..pointAt] + "." + digits[pointAt..];
        return negative ? "-" + result : result;
    }

    static int Copy(ReadOnlySpan<byte> src, Span<byte> dest)
    {
        src.CopyTo(dest);
        return src.Length;
    }

    /// <summary>The decimal text of an integer as bytes.</summary>
    public static byte[] Int64ToBytes(long value)
    {
        Span<byte> tmp = stackalloc byte[24];
        Utf8Formatter.TryFormat(value, tmp, out int n);
        return tmp[..n].ToArray();
    }
}
