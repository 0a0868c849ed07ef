using System.Buffers.Text;

namespace Carmine.Server.Types;

/// <summary>A stream entry ID: milliseconds and a sequence number, both unsigned 64-bit, ordered as a 128-bit number.</summary>
public readonly record struct StreamId(ulong Ms, ulong Seq) : IComparable<StreamId>
{
    public static readonly StreamId Min = new(0, 0);
    public static readonly StreamId Max = new(ulong.MaxValue, ulong.MaxValue);

    public bool IsZero => Ms == 0 && Seq == 0;

    public int CompareTo(StreamId other) => Ms != other.Ms ? Ms.CompareTo(other.Ms) : Seq.CompareTo(other.Seq);

    public static bool operator <(StreamId a, StreamId b) => a.CompareTo(b) < 0;
    public static bool operator >(StreamId a, StreamId b) => a.CompareTo(b) > 0;
    public static bool operator <=(StreamId a, StreamId b) => a.CompareTo(b) <= 0;
    public static bool operator >=(StreamId a, StreamId b) => a.CompareTo(b) >= 0;

    /// <summary>The next ID in order; false if this is already the largest.</summary>
    public bool TryIncrement(out StreamId next)
    {
        if (Seq != ulong.MaxValue) next = new(Ms, Seq + 1);
        else if (Ms != ulong.MaxValue) next = new(Ms + 1, 0);
        else
        {
            next = Min;
            return false;
        }
        return true;
    }

    /// <summary>The previous ID in order; false if this is 0-0.</summary>
    public bool TryDecrement(out StreamId previous)
    {
        if (Seq != 0) previous = new(Ms, Seq - 1);
        else if (Ms != 0) previous = new(Ms - 1, ulong.MaxValue);
        else
        {
            previous = Max;
            return false;
        }
        return true;
    }

    public override string ToString() => $"{Ms}-{Seq}";

    /// <summary>The "ms-seq" form written into <paramref name="buffer"/> (at least 41 bytes); returns the length.</summary>
    public int Format(Span<byte> buffer)
    {
        Utf8Formatter.TryFormat(Ms, buffer, out int n);
        buffer[n++] = (byte)'-';
        Utf8Formatter.TryFormat(Seq, buffer[n..], out int m);
        return n + m;
    }

    /// <summary>Parses an unsigned decimal as Redis's string2ull: digits only, no sign, no overflow.</summary>
    public static bool TryParseUInt64(ReadOnlySpan<byte> s, out ulong value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 20) return false;
        foreach (byte b in s)
        {
            if (b < '0' || b > '9') return false;
            ulong d = (ulong)(b - '0');
            if (value > (ulong.MaxValue - d) / 10) return false;
            value = value * 10 + d;
        }
        return true;
    }
}
