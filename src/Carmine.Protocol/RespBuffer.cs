using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;

namespace Carmine.Protocol;

/// <summary>A growable byte buffer with RESP writers; the server's reply buffer and the client's request buffer.</summary>
public sealed class RespBuffer
{
    static readonly byte[] Crlf = "\r\n"u8.ToArray();

    byte[] data;
    int length;

    public RespBuffer(int capacity = 16 * 1024) => data = new byte[capacity];

    /// <summary>True when nulls, maps, sets, doubles and booleans are written as RESP3 types.</summary>
    public bool Resp3 { get; set; }

    public int Length => length;
    public byte[] Data => data;
    public ReadOnlySpan<byte> Written => data.AsSpan(0, length);

    public void Clear() => length = 0;

    /// <summary>Drops the first <paramref name="count"/> bytes (they were sent).</summary>
    public void Consume(int count)
    {
        if (count >= length) { length = 0; return; }
        Buffer.BlockCopy(data, count, data, 0, length - count);
        length -= count;
    }

    /// <summary>Cuts the buffer back to <paramref name="newLength"/> bytes (used to undo a partial reply).</summary>
    public void Truncate(int newLength) => length = Math.Min(length, newLength);

    /// <summary>Shrinks an oversized idle buffer so one huge reply does not pin memory.</summary>
    public void TrimIfLarge(int keep)
    {
        if (length == 0 && data.Length > keep) data = new byte[keep];
    }

    public int Capacity => data.Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> GetSpan(int size)
    {
        if (data.Length - length < size) Grow(size);
        return data.AsSpan(length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance(int count) => length += count;

    void Grow(int size)
    {
        int want = Math.Max(data.Length * 2, length + size);
        Array.Resize(ref data, want);
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        length += bytes.Length;
    }

    public void WriteRaw(string ascii)
    {
        var span = GetSpan(Encoding.UTF8.GetMaxByteCount(ascii.Length));
        length += Encoding.UTF8.GetBytes(ascii, span);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void WriteByte(byte b)
    {
        if (length == data.Length) Grow(1);
        data[length++] = b;
    }

    void WriteCrlf()
    {
        var span = GetSpan(2);
        span[0] = (byte)'\r';
        span[1] = (byte)'\n';
        length += 2;
    }

    /// <summary>Writes a type byte, a decimal number and CRLF: the header of most RESP frames.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WritePrefixed(byte prefix, long value)
    {
        var span = GetSpan(24);
        span[0] = prefix;
        Utf8Formatter.TryFormat(value, span[1..], out int n);
        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        length += n + 3;
    }

    // ---- Plain RESP frames ----

    public void SimpleString(ReadOnlySpan<byte> text)
    {
        WriteByte((byte)'+');
        WriteRaw(text);
        WriteCrlf();
    }

    public void SimpleString(string text)
    {
        WriteByte((byte)'+');
        WriteRaw(text);
        WriteCrlf();
    }

    public void Ok() => WriteRaw("+OK\r\n"u8);

    /// <summary>An error reply; the text starts with its code (ERR, WRONGTYPE, ...), without the '-'.</summary>
    public void Error(string text)
    {
        WriteByte((byte)'-');
        WriteSanitized(text);
        WriteCrlf();
    }

    public void Error(ReadOnlySpan<byte> text)
    {
        WriteByte((byte)'-');
        WriteRaw(text);
        WriteCrlf();
    }

    /// <summary>Errors and statuses cannot hold newlines: Redis replaces them with spaces.</summary>
    void WriteSanitized(string text)
    {
        int start = length;
        WriteRaw(text);
        for (int i = start; i < length; i++)
            if (data[i] == '\r' || data[i] == '\n') data[i] = (byte)' ';
    }

    public void Integer(long value) => WritePrefixed((byte)':', value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Bulk(ReadOnlySpan<byte> value)
    {
        var span = GetSpan(value.Length + 24);
        span[0] = (byte)'$';
        Utf8Formatter.TryFormat(value.Length, span[1..], out int n);
        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        value.CopyTo(span[(n + 3)..]);
        int end = n + 3 + value.Length;
        span[end] = (byte)'\r';
        span[end + 1] = (byte)'\n';
        length += end + 2;
    }

    public void Bulk(string value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max <= 512)
        {
            Span<byte> tmp = stackalloc byte[max];
            int n = Encoding.UTF8.GetBytes(value, tmp);
            Bulk(tmp[..n]);
        }
        else Bulk(Encoding.UTF8.GetBytes(value));
    }

    public void Bulk(long value)
    {
        Span<byte> tmp = stackalloc byte[24];
        Utf8Formatter.TryFormat(value, tmp, out int n);
        Bulk(tmp[..n]);
    }

    public void ArrayHeader(long count) => WritePrefixed((byte)'*', count);

    // ---- Protocol-dependent frames (RESP2 / RESP3) ----

    /// <summary>The null reply: $-1 in RESP2, _ in RESP3.</summary>
    public void Null()
    {
        if (Resp3) WriteRaw("_\r\n"u8);
        else WriteRaw("$-1\r\n"u8);
    }

    /// <summary>The null array: *-1 in RESP2, _ in RESP3.</summary>
    public void NullArray()
    {
        if (Resp3) WriteRaw("_\r\n"u8);
        else WriteRaw("*-1\r\n"u8);
    }

    public void EmptyArray() => WriteRaw("*0\r\n"u8);

    /// <summary>A map header: %n in RESP3, an array of 2n elements in RESP2.</summary>
    public void MapHeader(long pairs)
    {
        if (Resp3) WritePrefixed((byte)'%', pairs);
        else WritePrefixed((byte)'*', pairs * 2);
    }

    /// <summary>A set header: ~n in RESP3, an array in RESP2.</summary>
    public void SetHeader(long count) => WritePrefixed(Resp3 ? (byte)'~' : (byte)'*', count);

    /// <summary>A push header: >n in RESP3, an array in RESP2.</summary>
    public void PushHeader(long count) => WritePrefixed(Resp3 ? (byte)'>' : (byte)'*', count);

    public void Boolean(bool value)
    {
        if (Resp3) WriteRaw(value ? "#t\r\n"u8 : "#f\r\n"u8);
        else Integer(value ? 1 : 0);
    }

    /// <summary>A double: ,d in RESP3, a bulk string in RESP2, formatted as Redis's %.17g.</summary>
    public void Double(double value)
    {
        Span<byte> tmp = stackalloc byte[40];
        int n = NumberFormat.FormatDouble(value, tmp);
        if (Resp3)
        {
            WriteByte((byte)',');
            WriteRaw(tmp[..n]);
            WriteCrlf();
        }
        else Bulk(tmp[..n]);
    }

    /// <summary>A verbatim string (=n\r\ntxt:...) in RESP3, a bulk string in RESP2.</summary>
    public void Verbatim(string text, string format = "txt")
    {
        if (!Resp3) { Bulk(text); return; }
        var bytes = Encoding.UTF8.GetBytes(text);
        WritePrefixed((byte)'=', bytes.Length + 4);
        WriteRaw(format);
        WriteByte((byte)':');
        WriteRaw(bytes);
        WriteCrlf();
    }

    /// <summary>Reserves room for an aggregate header whose length is known only later.</summary>
    public int BeginDeferred()
    {
        int at = length;
        // Reserve a fixed slot; SetDeferred shifts the body if the header turns out shorter.
        GetSpan(16);
        length += 16;
        return at;
    }

    /// <summary>Fills a header reserved by <see cref="BeginDeferred"/>; prefix is '*', '%', '~' or '>'.</summary>
    public void EndDeferred(int at, byte prefix, long count)
    {
        Span<byte> header = stackalloc byte[24];
        header[0] = prefix;
        Utf8Formatter.TryFormat(count, header[1..], out int n);
        header[n + 1] = (byte)'\r';
        header[n + 2] = (byte)'\n';
        int hlen = n + 3;
        int bodyStart = at + 16;
        int bodyLen = length - bodyStart;
        Buffer.BlockCopy(data, bodyStart, data, at + hlen, bodyLen);
        header[..hlen].CopyTo(data.AsSpan(at));
        length = at + hlen + bodyLen;
    }

    /// <summary>Ends a deferred array; in RESP2 a map's pairs count double.</summary>
    public void EndDeferredArray(int at, long count) => EndDeferred(at, (byte)'*', count);

    public void EndDeferredMap(int at, long pairs)
    {
        if (Resp3) EndDeferred(at, (byte)'%', pairs);
        else EndDeferred(at, (byte)'*', pairs * 2);
    }

    public void EndDeferredSet(int at, long count) => EndDeferred(at, Resp3 ? (byte)'~' : (byte)'*', count);

    /// <summary>Writes a command as an array of bulk strings (the client's side of the protocol).</summary>
    public void Command(params ReadOnlySpan<byte[]> args)
    {
        ArrayHeader(args.Length);
        foreach (var a in args) Bulk(a);
    }

    public void Command(params ReadOnlySpan<string> args)
    {
        ArrayHeader(args.Length);
        foreach (var a in args) Bulk(a);
    }

    public static ReadOnlySpan<byte> CrlfBytes => Crlf;
}
