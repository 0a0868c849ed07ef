using System.Globalization;
using System.Text;

namespace Carmine.Server.Types;

/// <summary>A test on sorted set elements that holds for a prefix of the (score, member) order, for range searches.</summary>
public interface IZElementTest
{
    bool Test(double score, ReadOnlySpan<byte> member);
}

/// <summary>A score interval as ZRANGEBYSCORE takes it: "(" before a bound makes it exclusive.</summary>
public readonly struct ScoreRange(double min, double max, bool minExclusive, bool maxExclusive)
{
    public bool GteMin(double v) => minExclusive ? v > min : v >= min;
    public bool LteMax(double v) => maxExclusive ? v < max : v <= max;

    /// <summary>Parses "[(]number" bounds like Redis's strtod-based parser: leading spaces and overflow to inf allowed, NaN refused.</summary>
    public static bool TryParse(ReadOnlySpan<byte> min, ReadOnlySpan<byte> max, out ScoreRange range)
    {
        range = default;
        if (!TryParseBound(min, out double lo, out bool loEx) || !TryParseBound(max, out double hi, out bool hiEx)) return false;
        range = new ScoreRange(lo, hi, loEx, hiEx);
        return true;
    }

    static bool TryParseBound(ReadOnlySpan<byte> s, out double value, out bool exclusive)
    {
        exclusive = s.Length > 0 && s[0] == '(';
        if (exclusive) s = s[1..];
        return TryParseStrtod(s, out value);
    }

    /// <summary>Parses a number like C's strtod as Redis's range parser uses it: leading spaces allowed, overflow gives inf, NaN refused, "" is 0.</summary>
    static bool TryParseStrtod(ReadOnlySpan<byte> s, out double value)
    {
        int i = 0;
        while (i < s.Length && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) i++;
        s = s[i..];
        value = 0;
        if (s.Length == 0) return true;
        var unsigned = s[0] is (byte)'+' or (byte)'-' ? s[1..] : s;
        if (Ascii.EqualsIgnoreCase(unsigned, "inf"u8) || Ascii.EqualsIgnoreCase(unsigned, "infinity"u8))
        {
            value = s[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        return double.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
            CultureInfo.InvariantCulture, out value) && !double.IsNaN(value);
    }

    public readonly struct BelowMin(ScoreRange r) : IZElementTest
    {
        public bool Test(double score, ReadOnlySpan<byte> member) => !r.GteMin(score);
    }

    public readonly struct WithinMax(ScoreRange r) : IZElementTest
    {
        public bool Test(double score, ReadOnlySpan<byte> member) => r.LteMax(score);
    }
}

/// <summary>A member interval as ZRANGEBYLEX takes it: "[x" inclusive, "(x" exclusive, "-" and "+" the ends of the byte order.</summary>
public readonly struct LexRange
{
    // Infinity: -1 for "-", +1 for "+", 0 for a real bound.
    readonly byte[] min, max;
    readonly int minInf, maxInf;
    readonly bool minEx, maxEx;

    LexRange(byte[] min, int minInf, bool minEx, byte[] max, int maxInf, bool maxEx)
    {
        (this.min, this.minInf, this.minEx, this.max, this.maxInf, this.maxEx) = (min, minInf, minEx, max, maxInf, maxEx);
    }

    public static bool TryParse(ReadOnlySpan<byte> min, ReadOnlySpan<byte> max, out LexRange range)
    {
        range = default;
        if (!TryParseItem(min, out var lo, out int loInf, out bool loEx) || !TryParseItem(max, out var hi, out int hiInf, out bool hiEx))
            return false;
        range = new LexRange(lo, loInf, loEx, hi, hiInf, hiEx);
        return true;
    }

    static bool TryParseItem(ReadOnlySpan<byte> s, out byte[] value, out int infinity, out bool exclusive)
    {
        value = [];
        infinity = 0;
        exclusive = true;
        if (s.Length == 0) return false;
        switch (s[0])
        {
            case (byte)'+' when s.Length == 1: infinity = 1; return true;
            case (byte)'-' when s.Length == 1: infinity = -1; return true;
            case (byte)'(': value = s[1..].ToArray(); return true;
            case (byte)'[': value = s[1..].ToArray(); exclusive = false; return true;
            default: return false;
        }
    }

    static int CompareTo(ReadOnlySpan<byte> v, byte[] bound, int infinity) => infinity != 0 ? -infinity : v.SequenceCompareTo(bound);

    /// <summary>True when no string can lie in the range (min above max, or equal with an exclusive end).</summary>
    public bool IsEmpty
    {
        get
        {
            int c = minInf == maxInf && minInf != 0 ? 0
                : minInf == -1 || maxInf == 1 ? -1
                : minInf == 1 || maxInf == -1 ? 1
                : min.AsSpan().SequenceCompareTo(max);
            return c > 0 || (c == 0 && (minEx || maxEx));
        }
    }

    public bool GteMin(ReadOnlySpan<byte> v)
    {
        int c = CompareTo(v, min, minInf);
        return minEx ? c > 0 : c >= 0;
    }

    public bool LteMax(ReadOnlySpan<byte> v)
    {
        int c = CompareTo(v, max, maxInf);
        return maxEx ? c < 0 : c <= 0;
    }

    public readonly struct BelowMin(LexRange r) : IZElementTest
    {
        public bool Test(double score, ReadOnlySpan<byte> member) => !r.GteMin(member);
    }

    public readonly struct WithinMax(LexRange r) : IZElementTest
    {
        public bool Test(double score, ReadOnlySpan<byte> member) => r.LteMax(member);
    }
}
