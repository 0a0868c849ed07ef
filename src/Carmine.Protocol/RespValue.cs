using System.Text;

namespace Carmine.Protocol;

public enum RespType : byte
{
    SimpleString = (byte)'+',
    Error = (byte)'-',
    Integer = (byte)':',
    BulkString = (byte)'$',
    Array = (byte)'*',
    Null = (byte)'_',
    Double = (byte)',',
    Boolean = (byte)'#',
    BigNumber = (byte)'(',
    BulkError = (byte)'!',
    Verbatim = (byte)'=',
    Map = (byte)'%',
    Set = (byte)'~',
    Attribute = (byte)'|',
    Push = (byte)'>',
}

/// <summary>A parsed reply of any RESP2 or RESP3 type, as a client sees it.</summary>
public sealed class RespValue
{
    public RespType Type { get; init; }
    /// <summary>The payload of strings, errors, doubles, big numbers and verbatim strings (without the format prefix).</summary>
    public byte[]? Bytes { get; init; }
    public long Integer { get; init; }
    /// <summary>Elements of arrays, sets and pushes; keys and values alternating for maps and attributes.</summary>
    public RespValue[]? Items { get; init; }
    /// <summary>The three-letter format of a verbatim string ("txt", "mkd").</summary>
    public string? Format { get; init; }
    /// <summary>True for RESP2's $-1 and *-1 as well as RESP3's _.</summary>
    public bool IsNull => Type == RespType.Null;
    public bool IsError => Type is RespType.Error or RespType.BulkError;

    public string? Text => Bytes is null ? null : Encoding.UTF8.GetString(Bytes);

    public static readonly RespValue NullValue = new() { Type = RespType.Null };

    public override string ToString() => Type switch
    {
        RespType.Integer => Integer.ToString(),
        RespType.Null => "(nil)",
        RespType.Boolean => Integer != 0 ? "true" : "false",
        RespType.Array or RespType.Set or RespType.Push or RespType.Map or RespType.Attribute =>
            "[" + string.Join(", ", Items!.Select(i => i.ToString())) + "]",
        _ => Text ?? "",
    };
}

/// <summary>Parses replies (RESP2 and RESP3) from a byte span; the client library's and the CLI's parser.</summary>
public static class RespReader
{
    /// <summary>Maximum nesting depth accepted, so a hostile peer cannot exhaust the stack.</summary>
    public const int MaxDepth = 512;

    /// <summary>Tries to parse one reply; returns false if the data is incomplete. Throws <see cref="FormatException"/> on bad input.</summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out RespValue value, out int consumed)
    {
        int pos = 0;
        var result = Read(data, ref pos, 0);
        if (result is null)
        {
            value = RespValue.NullValue;
            consumed = 0;
            return false;
        }
        value = result;
        consumed = pos;
        return true;
    }

    static RespValue? Read(ReadOnlySpan<byte> data, ref int pos, int depth)
    {
        if (depth > MaxDepth) throw new FormatException("reply nested too deeply");
        if (pos >= data.Length) return null;
        byte type = data[pos];
        int lineEnd = data[pos..].IndexOf("\r\n"u8);
        if (lineEnd < 0) return null;
        var line = data.Slice(pos + 1, lineEnd - 1);
        int next = pos + lineEnd + 2;
        switch (type)
        {
            case (byte)'+':
            case (byte)'-':
            case (byte)'(':
                pos = next;
                return new RespValue { Type = (RespType)type, Bytes = line.ToArray() };
            case (byte)',':
                pos = next;
                return new RespValue { Type = RespType.Double, Bytes = line.ToArray() };
            case (byte)':':
                pos = next;
                return new RespValue { Type = RespType.Integer, Integer = ParseLong(line) };
            case (byte)'_':
                pos = next;
                return RespValue.NullValue;
            case (byte)'#':
                pos = next;
                return new RespValue { Type = RespType.Boolean, Integer = line.Length > 0 && line[0] == 't' ? 1 : 0 };
            case (byte)'$':
            case (byte)'!':
            case (byte)'=':
            {
                long len = ParseLong(line);
                if (len < 0) { pos = next; return RespValue.NullValue; }
                if (data.Length - next < len + 2) return null;
                var payload = data.Slice(next, (int)len);
                pos = next + (int)len + 2;
                if (type == '=' && payload.Length >= 4 && payload[3] == ':')
                    return new RespValue { Type = RespType.Verbatim, Bytes = payload[4..].ToArray(), Format = Encoding.ASCII.GetString(payload[..3]) };
                return new RespValue { Type = type == '$' ? RespType.BulkString : (RespType)type, Bytes = payload.ToArray() };
            }
            case (byte)'*':
            case (byte)'~':
            case (byte)'>':
            case (byte)'%':
            case (byte)'|':
            {
                long n = ParseLong(line);
                if (n < 0) { pos = next; return RespValue.NullValue; }
                if (type is (byte)'%' or (byte)'|') n *= 2;
                if (n > data.Length) return null;
                var items = new RespValue[n];
                int p = next;
                for (long i = 0; i < n; i++)
                {
                    var item = Read(data, ref p, depth + 1);
                    if (item is null) return null;
                    items[i] = item;
                }
                pos = p;
                var agg = new RespValue { Type = (RespType)type, Items = items };
                if (type == '|')
                {
                    // Attributes annotate the reply that follows; clients return that reply.
                    return Read(data, ref pos, depth + 1);
                }
                return agg;
            }
            default:
                throw new FormatException($"Protocol error: unexpected reply type byte '{(char)type}'");
        }
    }

    static long ParseLong(ReadOnlySpan<byte> s)
    {
        if (NumberFormat.TryParseInt64(s, out long v)) return v;
        if (s.Length == 2 && s[0] == '-' && s[1] == '0') return 0;
        throw new FormatException("Protocol error: bad number in reply: " + Encoding.ASCII.GetString(s));
    }
}
