using Carmine.Protocol;

namespace Carmine.Server.Types;

/// <summary>
/// A string modified in place (APPEND, SETRANGE, SETBIT): spare capacity makes repeated appends cheap,
/// and OBJECT ENCODING reports it as "raw", as Redis does for such strings.
/// </summary>
public sealed class RawString
{
    byte[] data;

    public int Length { get; private set; }

    public RawString(ReadOnlySpan<byte> initial, int capacity = 0)
    {
        data = Keyspace.StoredBytes.Allocate(Math.Max(initial.Length, capacity));
        initial.CopyTo(data);
        Length = initial.Length;
    }

    public ReadOnlySpan<byte> Span => new(data, 0, Length);

    /// <summary>The writable bytes; valid until the next call that changes the length.</summary>
    public Span<byte> Writable => new(data, 0, Length);

    public void Append(ReadOnlySpan<byte> more)
    {
        EnsureLength(Length + more.Length);
        more.CopyTo(data.AsSpan(Length - more.Length));
    }

    /// <summary>Extends the string with zero bytes up to <paramref name="length"/>.</summary>
    public void EnsureLength(int length)
    {
        if (length <= Length) return;
        if (length > data.Length)
        {
            // Grow like sds: double small strings, add 1 MB to large ones.
            int cap = (int)Math.Min(length < 1024 * 1024 ? length * 2L : length + 1024L * 1024, Array.MaxLength);
            var grown = Keyspace.StoredBytes.Allocate(cap);
            data.AsSpan(0, Length).CopyTo(grown);
            data = grown;
        }
        else data.AsSpan(Length, length - Length).Clear();
        Length = length;
    }

    /// <summary>Shortens the string to <paramref name="length"/> bytes, keeping its capacity.</summary>
    public void Truncate(int length)
    {
        if (length < Length) Length = length;
    }

    public byte[] ToArray() => Span.ToArray();
}

/// <summary>Helpers for string values, whichever representation they are stored in.</summary>
public static class StringValue
{
    /// <summary>Redis keeps strings of up to 44 bytes as embstr, longer ones as raw.</summary>
    public const int EmbstrLimit = 44;

    public static bool IsString(object value) => value is byte[] or RawString;

    public static ReadOnlySpan<byte> Span(object value) => value is byte[] b ? b : ((RawString)value).Span;

    public static string Encoding(byte[] value)
    {
        if (value.Length <= 20 && NumberFormat.TryParseInt64(value, out _)) return "int";
        return value.Length <= EmbstrLimit ? "embstr" : "raw";
    }
}
