using System.Text;
using Carmine.Protocol;

namespace Carmine.Cli;

/// <summary>How replies are printed: redis-cli's tty, --raw and --csv renderings.</summary>
public enum OutputMode
{
    Standard,
    Raw,
    Csv,
    Json,
    /// <summary>JSON with only ASCII: strings are quoted as in the terminal, then made valid JSON.</summary>
    QuotedJson,
}

/// <summary>A reply type redis-cli 7.0 cannot print (it exits with "Unknown reply type: N").</summary>
public sealed class UnknownReplyTypeException(int hiredisType) : Exception($"Unknown reply type: {hiredisType}")
{
}

/// <summary>Renders replies byte for byte as redis-cli 7.0 does.</summary>
public static class ReplyFormatter
{
    // hiredis' number for a RESP3 big number, which redis-cli 7.0 reports and exits on.
    const int HiredisBigNumber = 13;

    /// <summary>One reply as printed after a command; <paramref name="forceRaw"/> is redis-cli's raw
    /// rendering of INFO, CLIENT LIST and the like, printed without a trailing delimiter. In raw mode
    /// <paramref name="bulkDelimiter"/> (-d) separates elements and <paramref name="replyDelimiter"/> (-D) ends the reply.</summary>
    public static byte[] Format(RespValue reply, OutputMode mode, bool forceRaw, string bulkDelimiter = "\n", string replyDelimiter = "\n")
    {
        var o = new MemoryStream();
        byte[] bulkDelim = Encoding.UTF8.GetBytes(bulkDelimiter);
        if (forceRaw) Raw(o, reply, bulkDelim);
        else if (mode == OutputMode.Standard) Tty(o, reply, "");
        else if (mode == OutputMode.Raw)
        {
            Raw(o, reply, bulkDelim);
            Text(o, replyDelimiter);
        }
        else if (mode == OutputMode.Csv)
        {
            Csv(o, reply);
            o.WriteByte((byte)'\n');
        }
        else
        {
            Json(o, reply, mode == OutputMode.QuotedJson);
            o.WriteByte((byte)'\n');
        }
        return o.ToArray();
    }

    static void Text(Stream o, string s) => o.Write(Encoding.UTF8.GetBytes(s));

    /// <summary>Quotes a string the way redis-cli shows it in a terminal: "..." with C escapes and \xHH.</summary>
    public static void Repr(Stream o, ReadOnlySpan<byte> s)
    {
        o.WriteByte((byte)'"');
        foreach (byte c in s)
        {
            switch (c)
            {
                case (byte)'\\': Text(o, "\\\\"); break;
                case (byte)'"': Text(o, "\\\""); break;
                case (byte)'\n': Text(o, "\\n"); break;
                case (byte)'\r': Text(o, "\\r"); break;
                case (byte)'\t': Text(o, "\\t"); break;
                case 7: Text(o, "\\a"); break;
                case 8: Text(o, "\\b"); break;
                default:
                    if (c >= 0x20 && c <= 0x7e) o.WriteByte(c);
                    else Text(o, $"\\x{c:x2}");
                    break;
            }
        }
        o.WriteByte((byte)'"');
    }

    public static byte[] Repr(ReadOnlySpan<byte> s)
    {
        var o = new MemoryStream();
        Repr(o, s);
        return o.ToArray();
    }

    // Errors are C strings in hiredis: anything after a NUL byte is not shown.
    static ReadOnlySpan<byte> CString(byte[] b)
    {
        int nul = Array.IndexOf(b, (byte)0);
        return nul < 0 ? b : b.AsSpan(0, nul);
    }

    static bool IsAggregate(RespValue r) => r.Type is RespType.Array or RespType.Set or RespType.Push or RespType.Map;

    static bool IsMultiline(RespValue r)
    {
        if (!IsAggregate(r)) return false;
        var items = r.Items!;
        if (r.Type == RespType.Map)
            return items.Length != 0 && (items.Length > 2 || IsMultiline(items[1]));
        return items.Length != 0 && (items.Length > 1 || IsMultiline(items[0]));
    }

    static void Tty(Stream o, RespValue r, string prefix)
    {
        switch (r.Type)
        {
            case RespType.Error:
            case RespType.BulkError:
                Text(o, "(error) ");
                o.Write(CString(r.Bytes!));
                o.WriteByte((byte)'\n');
                break;
            case RespType.SimpleString:
            case RespType.Verbatim:
                o.Write(r.Bytes);
                o.WriteByte((byte)'\n');
                break;
            case RespType.Integer:
                Text(o, $"(integer) {r.Integer}\n");
                break;
            case RespType.Double:
                Text(o, "(double) ");
                o.Write(r.Bytes);
                o.WriteByte((byte)'\n');
                break;
            case RespType.BulkString:
                Repr(o, r.Bytes);
                o.WriteByte((byte)'\n');
                break;
            case RespType.Null:
                Text(o, "(nil)\n");
                break;
            case RespType.Boolean:
                Text(o, r.Integer != 0 ? "(true)\n" : "(false)\n");
                break;
            case RespType.Array:
            case RespType.Set:
            case RespType.Push:
            case RespType.Map:
                TtyAggregate(o, r, prefix);
                break;
            default:
                throw new UnknownReplyTypeException(HiredisBigNumber);
        }
    }

    static void TtyAggregate(Stream o, RespValue r, string prefix)
    {
        var items = r.Items!;
        if (items.Length == 0)
        {
            Text(o, r.Type switch
            {
                RespType.Array => "(empty array)\n",
                RespType.Map => "(empty hash)\n",
                RespType.Set => "(empty set)\n",
                _ => "(empty push)\n",
            });
            return;
        }
        bool map = r.Type == RespType.Map;
        int count = map ? items.Length / 2 : items.Length;
        int width = count.ToString().Length;
        // Nested elements line up under the first character after "N) ".
        string inner = prefix + new string(' ', width + 2);
        char sep = r.Type switch { RespType.Set => '~', RespType.Map => '#', _ => ')' };
        for (int i = 0; i < items.Length; i++)
        {
            int index = (map ? i / 2 : i) + 1;
            Text(o, (i == 0 ? "" : prefix) + index.ToString().PadLeft(width) + sep + " ");
            Tty(o, items[i], inner);
            if (!map) continue;
            i++;
            o.SetLength(o.Length - 1);
            o.Position = o.Length;
            Text(o, " => ");
            if (IsMultiline(items[i])) Text(o, "\n" + inner);
            Tty(o, items[i], inner);
        }
    }

    static void Raw(Stream o, RespValue r, byte[] delimiter)
    {
        switch (r.Type)
        {
            case RespType.Null:
                break;
            case RespType.Error:
            case RespType.BulkError:
                o.Write(r.Bytes);
                o.WriteByte((byte)'\n');
                break;
            case RespType.SimpleString:
            case RespType.BulkString:
            case RespType.Verbatim:
            case RespType.Double:
                o.Write(r.Bytes);
                break;
            case RespType.Boolean:
                Text(o, r.Integer != 0 ? "(true)" : "(false)");
                break;
            case RespType.Integer:
                Text(o, r.Integer.ToString());
                break;
            case RespType.Array:
            case RespType.Set:
            case RespType.Push:
                for (int i = 0; i < r.Items!.Length; i++)
                {
                    if (i > 0) o.Write(delimiter);
                    Raw(o, r.Items[i], delimiter);
                }
                break;
            case RespType.Map:
                for (int i = 0; i < r.Items!.Length; i += 2)
                {
                    if (i > 0) o.Write(delimiter);
                    Raw(o, r.Items[i], delimiter);
                    o.WriteByte((byte)' ');
                    Raw(o, r.Items[i + 1], delimiter);
                }
                break;
            default:
                throw new UnknownReplyTypeException(HiredisBigNumber);
        }
    }

    static void Csv(Stream o, RespValue r)
    {
        switch (r.Type)
        {
            case RespType.Error:
            case RespType.BulkError:
                Text(o, "ERROR,");
                Repr(o, CString(r.Bytes!));
                break;
            case RespType.SimpleString:
            case RespType.BulkString:
            case RespType.Verbatim:
                Repr(o, r.Bytes);
                break;
            case RespType.Integer:
                Text(o, r.Integer.ToString());
                break;
            case RespType.Double:
                o.Write(r.Bytes);
                break;
            case RespType.Null:
                Text(o, "NULL");
                break;
            case RespType.Boolean:
                Text(o, r.Integer != 0 ? "true" : "false");
                break;
            case RespType.Array:
            case RespType.Set:
            case RespType.Push:
            case RespType.Map:
                for (int i = 0; i < r.Items!.Length; i++)
                {
                    if (i > 0) o.WriteByte((byte)',');
                    Csv(o, r.Items[i]);
                }
                break;
            default:
                throw new UnknownReplyTypeException(HiredisBigNumber);
        }
    }

    static void Json(Stream o, RespValue r, bool quoted)
    {
        switch (r.Type)
        {
            case RespType.Error:
            case RespType.BulkError:
                Text(o, "error:");
                JsonString(o, CString(r.Bytes!), quoted);
                break;
            case RespType.SimpleString:
            case RespType.BulkString:
            case RespType.Verbatim:
                JsonString(o, r.Bytes!, quoted);
                break;
            case RespType.Integer:
                Text(o, r.Integer.ToString());
                break;
            case RespType.Double:
                o.Write(r.Bytes);
                break;
            case RespType.Null:
                Text(o, "null");
                break;
            case RespType.Boolean:
                Text(o, r.Integer != 0 ? "true" : "false");
                break;
            case RespType.Array:
            case RespType.Set:
            case RespType.Push:
                o.WriteByte((byte)'[');
                for (int i = 0; i < r.Items!.Length; i++)
                {
                    if (i > 0) o.WriteByte((byte)',');
                    Json(o, r.Items[i], quoted);
                }
                o.WriteByte((byte)']');
                break;
            case RespType.Map:
                o.WriteByte((byte)'{');
                for (int i = 0; i < r.Items!.Length; i += 2)
                {
                    if (i > 0) o.WriteByte((byte)',');
                    var key = r.Items[i];
                    if (key.Type is RespType.Error or RespType.BulkError or RespType.SimpleString or RespType.BulkString or RespType.Verbatim)
                        Json(o, key, quoted);
                    else
                    {
                        // JSON keys are strings: other RESP3 key types are rendered, then quoted.
                        var k = new MemoryStream();
                        Json(k, key, quoted);
                        var bytes = k.ToArray();
                        if (bytes.Length > 0 && bytes[0] == '"') o.Write(bytes);
                        else
                        {
                            o.WriteByte((byte)'"');
                            o.Write(bytes);
                            o.WriteByte((byte)'"');
                        }
                    }
                    o.WriteByte((byte)':');
                    Json(o, r.Items[i + 1], quoted);
                }
                o.WriteByte((byte)'}');
                break;
            default:
                throw new UnknownReplyTypeException(HiredisBigNumber);
        }
    }

    static void JsonString(Stream o, ReadOnlySpan<byte> s, bool quoted)
    {
        if (quoted)
        {
            // The terminal's quoting, with each backslash doubled so the result is a JSON string.
            foreach (byte c in Repr(s))
            {
                if (c == '\\') Text(o, "\\\\");
                else o.WriteByte(c);
            }
            return;
        }
        o.WriteByte((byte)'"');
        foreach (byte c in s)
        {
            switch (c)
            {
                case (byte)'\\': Text(o, "\\\\"); break;
                case (byte)'"': Text(o, "\\\""); break;
                case (byte)'\n': Text(o, "\\n"); break;
                case (byte)'\f': Text(o, "\\f"); break;
                case (byte)'\r': Text(o, "\\r"); break;
                case (byte)'\t': Text(o, "\\t"); break;
                case 8: Text(o, "\\b"); break;
                default:
                    if (c <= 0x1f) Text(o, $"\\u{c:x4}");
                    else o.WriteByte(c);
                    break;
            }
        }
        o.WriteByte((byte)'"');
    }
}
