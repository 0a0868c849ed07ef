using System.Numerics;
using System.Text;

namespace Carmine.Server.Types;

/// <summary>
/// The x87 80-bit "long double" that Redis uses for INCRBYFLOAT and HINCRBYFLOAT: a 64-bit mantissa, so
/// 0.1 + 0.2 prints as "0.3" there where a double would print 0.30000000000000004. Emulated exactly
/// (value = Mantissa * 2^Exponent, round to nearest even), with strtold's parsing and printf's "%.17Lf".
/// </summary>
public readonly struct LongDouble
{
    /// <summary>The exponent of the smallest subnormal, 2^-16445; below it every value rounds to zero.</summary>
    const int MinExponent = -16445;
    /// <summary>A 64-bit mantissa times 2^16320 reaches 2^16384, the first value that overflows.</summary>
    const int MaxExponent = 16384 - 64;
    /// <summary>Decimal exponents beyond this make any parsable input overflow or vanish, so they are clamped.</summary>
    const int DecimalExponentClamp = 20000;

    static readonly BigInteger MantissaLimit = BigInteger.One << 64;

    public readonly bool Negative;
    public readonly ulong Mantissa;
    public readonly int Exponent;
    public readonly bool IsInfinity;

    LongDouble(bool negative, ulong mantissa, int exponent, bool infinity)
    {
        Negative = negative;
        Mantissa = mantissa;
        Exponent = exponent;
        IsInfinity = infinity;
    }

    public bool IsZero => !IsInfinity && Mantissa == 0;

    /// <summary>
    /// Parses as Redis's string2ld does: strtold's syntax (decimal, hexadecimal, inf) over the whole string, no
    /// leading space, and refusing NaN, overflow and underflow to zero.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> s, out LongDouble value)
    {
        value = default;
        if (s.Length == 0 || s.Length >= 5 * 1024) return false;
        int i = 0;
        bool negative = false;
        if (s[0] == '+' || s[0] == '-')
        {
            negative = s[0] == '-';
            i = 1;
        }
        var rest = s[i..];
        if (Ascii.EqualsIgnoreCase(rest, "inf"u8) || Ascii.EqualsIgnoreCase(rest, "infinity"u8))
        {
            value = new LongDouble(negative, 0, 0, true);
            return true;
        }
        bool exact;
        if (rest.Length > 2 && rest[0] == '0' && (rest[1] | 0x20) == 'x' && StartsHexMantissa(rest[2..]))
        {
            if (!TryParseHex(negative, rest[2..], out value, out exact)) return false;
        }
        else if (!TryParseDecimal(negative, rest, out value, out exact)) return false;
        // strtold flags overflow and underflow to zero with ERANGE; a zero typed as zero is fine.
        return !value.IsInfinity && (!value.IsZero || exact);
    }

    static bool StartsHexMantissa(ReadOnlySpan<byte> s) =>
        s.Length > 0 && (IsHexDigit(s[0]) || (s[0] == '.' && s.Length > 1 && IsHexDigit(s[1])));

    static bool IsHexDigit(byte b) => char.IsAsciiHexDigit((char)b);

    static bool TryParseDecimal(bool negative, ReadOnlySpan<byte> s, out LongDouble value, out bool exactZero)
    {
        value = default;
        exactZero = false;
        BigInteger digits = BigInteger.Zero;
        int i = 0, count = 0, scale = 0;
        bool seenPoint = false;
        for (; i < s.Length; i++)
        {
            byte b = s[i];
            if (b == '.' && !seenPoint) seenPoint = true;
            else if (b >= '0' && b <= '9')
            {
                digits = digits * 10 + (b - '0');
                count++;
                if (seenPoint) scale--;
            }
            else break;
        }
        if (count == 0) return false;
        if (i < s.Length)
        {
            if ((s[i] | 0x20) != 'e' || !TryParseExponent(s[(i + 1)..], out int exp10)) return false;
            scale = Math.Clamp(scale + exp10, -DecimalExponentClamp, DecimalExponentClamp);
        }
        exactZero = digits.IsZero;
        value = scale >= 0
            ? Round(negative, digits * BigInteger.Pow(10, scale), BigInteger.One, 0)
            : Round(negative, digits, BigInteger.Pow(10, -scale), 0);
        return true;
    }

    static bool TryParseHex(bool negative, ReadOnlySpan<byte> s, out LongDouble value, out bool exactZero)
    {
        value = default;
        exactZero = false;
        BigInteger digits = BigInteger.Zero;
        int i = 0, scale = 0;
        bool seenPoint = false;
        for (; i < s.Length; i++)
        {
            byte b = s[i];
            if (b == '.' && !seenPoint) seenPoint = true;
            else if (IsHexDigit(b))
            {
                digits = digits * 16 + (b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10);
                if (seenPoint) scale -= 4;
            }
            else break;
        }
        if (i < s.Length)
        {
            if ((s[i] | 0x20) != 'p' || !TryParseExponent(s[(i + 1)..], out int exp2)) return false;
            scale = Math.Clamp(scale + exp2, -4 * DecimalExponentClamp, 4 * DecimalExponentClamp);
        }
        exactZero = digits.IsZero;
        value = Round(negative, digits, BigInteger.One, scale);
        return true;
    }

    /// <summary>An exponent: optional sign and at least one digit, clamped so huge ones still mean "huge".</summary>
    static bool TryParseExponent(ReadOnlySpan<byte> s, out int exponent)
    {
        exponent = 0;
        int sign = 1, i = 0;
        if (s.Length > 0 && (s[0] == '+' || s[0] == '-'))
        {
            if (s[0] == '-') sign = -1;
            i = 1;
        }
        if (i == s.Length) return false;
        long e = 0;
        for (; i < s.Length; i++)
        {
            uint d = (uint)(s[i] - '0');
            if (d > 9) return false;
            e = Math.Min(e * 10 + d, 1_000_000);
        }
        exponent = (int)(sign * e);
        return true;
    }

    /// <summary>Rounds num / den * 2^exp2 to the nearest long double, ties to even.</summary>
    static LongDouble Round(bool negative, BigInteger num, BigInteger den, int exp2)
    {
        if (num.IsZero) return new LongDouble(negative, 0, 0, false);
        long k = (long)num.GetBitLength() - (long)den.GetBitLength() - 64 + exp2;
        var (q, r, d) = Divide(num, den, exp2 - k);
        if (q >= MantissaLimit)
        {
            k++;
            (q, r, d) = Divide(num, den, exp2 - k);
        }
        if (k < MinExponent)
        {
            k = MinExponent;
            (q, r, d) = Divide(num, den, exp2 - k);
        }
        var twice = r << 1;
        if (twice > d || (twice == d && !q.IsEven)) q += 1;
        if (q == MantissaLimit)
        {
            q >>= 1;
            k++;
        }
        if (k > MaxExponent) return new LongDouble(negative, 0, 0, true);
        return new LongDouble(negative, (ulong)q, (int)k, false);
    }

    /// <summary>Quotient and remainder of num * 2^shift / den, and the divisor the remainder is relative to.</summary>
    static (BigInteger Q, BigInteger R, BigInteger D) Divide(BigInteger num, BigInteger den, long shift)
    {
        if (shift >= 0) num <<= (int)shift;
        else den <<= (int)-shift;
        var q = BigInteger.DivRem(num, den, out var r);
        return (q, r, den);
    }

    /// <summary>
    /// The exact sum, rounded once. Any infinite operand gives infinity: Redis refuses to store infinity and NaN
    /// alike, so inf + -inf need not be told apart.
    /// </summary>
    public static LongDouble operator +(LongDouble a, LongDouble b)
    {
        if (a.IsInfinity) return a;
        if (b.IsInfinity) return b;
        int k = Math.Min(a.Exponent, b.Exponent);
        var sum = Signed(a) << (a.Exponent - k);
        sum += Signed(b) << (b.Exponent - k);
        if (sum.IsZero) return new LongDouble(a.Negative && b.Negative, 0, 0, false);
        return Round(sum.Sign < 0, BigInteger.Abs(sum), BigInteger.One, k);
    }

    static BigInteger Signed(LongDouble v) => v.Negative ? -new BigInteger(v.Mantissa) : new BigInteger(v.Mantissa);

    /// <summary>
    /// Formats as Redis's ld2string in human mode: printf's "%.17Lf" (exact, ties to even), then trailing zeros
    /// and a bare point trimmed, "-0" written as "0".
    /// </summary>
    public string ToHumanString()
    {
        if (IsInfinity) return Negative ? "-inf" : "inf";
        var scaled = new BigInteger(Mantissa) * BigInteger.Pow(10, 17);
        BigInteger units;
        if (Exponent >= 0) units = scaled << Exponent;
        else
        {
            var den = BigInteger.One << -Exponent;
            units = BigInteger.DivRem(scaled, den, out var r);
            var twice = r << 1;
            if (twice > den || (twice == den && !units.IsEven)) units += 1;
        }
        string digits = units.ToString().PadLeft(18, '0');
        var sb = new StringBuilder(digits.Length + 2);
        if (Negative) sb.Append('-');
        sb.Append(digits, 0, digits.Length - 17).Append('.').Append(digits, digits.Length - 17, 17);
        string text = sb.ToString().TrimEnd('0').TrimEnd('.');
        return text == "-0" ? "0" : text;
    }
}
