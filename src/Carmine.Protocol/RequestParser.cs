namespace Carmine.Protocol;

public enum ParseResult { Complete, Incomplete, Error }

/// <summary>
/// Parses client requests (RESP multibulk or inline) from a receive buffer into an <see cref="ArgList"/>
/// without copying bulk arguments. It keeps its place inside a partially received request, so a large
/// request arriving in many reads is scanned once.
/// </summary>
public sealed class RequestParser
{
    public const int InlineMaxSize = 64 * 1024;

    // State of the multibulk request in progress.
    int remainingArgs = -1;  // -1: no request in progress
    int scan;                // absolute index in the buffer where parsing resumes
    byte[] inlineScratch = new byte[256];

    public ArgList Args { get; } = new();

    /// <summary>The longest bulk argument accepted (proto-max-bulk-len).</summary>
    public long MaxBulkLength { get; set; } = 512L * 1024 * 1024;

    /// <summary>False until the client has authenticated; unauthenticated requests are held to small sizes.</summary>
    public bool Authenticated { get; set; } = true;

    public string? Error { get; private set; }

    /// <summary>The length of a bulk argument that is being received, so the caller can size its buffer.</summary>
    public long PendingBulkLength { get; private set; } = -1;

    public bool InProgress => remainingArgs >= 0;

    /// <summary>Adjusts state after the caller moved its buffer's content by <paramref name="delta"/> bytes (delta ≤ 0 for compaction).</summary>
    public void Rebase(byte[] oldBuffer, byte[] newBuffer, int delta)
    {
        scan += delta;
        Args.Rebase(oldBuffer, newBuffer, delta);
    }

    /// <summary>
    /// Tries to parse one request from buf[start..end). On Complete, <paramref name="consumedTo"/> is the index
    /// after the request and <see cref="Args"/> holds it (an empty request has Count 0).
    /// </summary>
    public ParseResult TryParse(byte[] buf, int start, int end, out int consumedTo)
    {
        consumedTo = start;
        if (remainingArgs < 0)
        {
            if (start >= end) return ParseResult.Incomplete;
            Args.Clear();
            scan = start;
            if (buf[start] != (byte)'*') return ParseInline(buf, start, end, out consumedTo);
            int nl = IndexOfCrlf(buf, start + 1, end);
            if (nl < 0)
            {
                if (end - start > InlineMaxSize) return Fail("Protocol error: too big mbulk count string");
                return ParseResult.Incomplete;
            }
            if (!NumberFormat.TryParseInt64(buf.AsSpan(start + 1, nl - start - 1), out long n) || n > int.MaxValue)
                return Fail("Protocol error: invalid multibulk length");
            if (!Authenticated && n > 10) return Fail("Protocol error: unauthenticated multibulk length");
            scan = nl + 2;
            if (n <= 0)
            {
                consumedTo = scan;
                return ParseResult.Complete;
            }
            remainingArgs = (int)n;
        }
        while (remainingArgs > 0)
        {
            if (scan >= end) return ParseResult.Incomplete;
            if (buf[scan] != (byte)'$')
                return Fail($"Protocol error: expected '$', got '{(char)buf[scan]}'");
            int nl = IndexOfCrlf(buf, scan + 1, end);
            if (nl < 0)
            {
                if (end - scan > InlineMaxSize) return Fail("Protocol error: too big bulk count string");
                return ParseResult.Incomplete;
            }
            if (!NumberFormat.TryParseInt64(buf.AsSpan(scan + 1, nl - scan - 1), out long len) || len < 0 || len > MaxBulkLength)
                return Fail("Protocol error: invalid bulk length");
            if (!Authenticated && len > 16384) return Fail("Protocol error: unauthenticated bulk length");
            int dataStart = nl + 2;
            if ((long)end - dataStart < len + 2)
            {
                PendingBulkLength = len;
                return ParseResult.Incomplete;
            }
            PendingBulkLength = -1;
            Args.Add(buf, dataStart, (int)len);
            scan = dataStart + (int)len + 2;
            remainingArgs--;
        }
        remainingArgs = -1;
        consumedTo = scan;
        return ParseResult.Complete;
    }

    /// <summary>Bytes of the request in progress that are already received, from its start.</summary>
    public int BytesScanned(int start) => scan - start;

    ParseResult Fail(string error)
    {
        Error = error;
        remainingArgs = -1;
        PendingBulkLength = -1;
        return ParseResult.Error;
    }

    static int IndexOfCrlf(byte[] buf, int from, int end)
    {
        if (from >= end) return -1;
        int i = buf.AsSpan(from, end - from).IndexOf((byte)'\r');
        while (i >= 0)
        {
            int at = from + i;
            if (at + 1 >= end) return -1;
            if (buf[at + 1] == '\n') return at;
            int next = buf.AsSpan(at + 1, end - at - 1).IndexOf((byte)'\r');
            if (next < 0) return -1;
            i = at + 1 + next - from;
        }
        return -1;
    }

    ParseResult ParseInline(byte[] buf, int start, int end, out int consumedTo)
    {
        consumedTo = start;
        int nl = buf.AsSpan(start, end - start).IndexOf((byte)'\n');
        if (nl < 0)
        {
            if (end - start > InlineMaxSize) return Fail("Protocol error: too big inline request");
            return ParseResult.Incomplete;
        }
        int lineEnd = start + nl;
        consumedTo = lineEnd + 1;
        if (lineEnd > start && buf[lineEnd - 1] == '\r') lineEnd--;
        if (!SplitArgs(buf.AsSpan(start, lineEnd - start)))
            return Fail("Protocol error: unbalanced quotes in request");
        return ParseResult.Complete;
    }

    /// <summary>Splits an inline line into arguments with Redis's quoting rules ("..." with escapes, '...').</summary>
    bool SplitArgs(ReadOnlySpan<byte> line)
    {
        if (inlineScratch.Length < line.Length) inlineScratch = new byte[Math.Max(line.Length, inlineScratch.Length * 2)];
        var scratch = inlineScratch;
        int w = 0;
        int i = 0;
        Args.Clear();
        while (true)
        {
            while (i < line.Length && IsSpace(line[i])) i++;
            if (i >= line.Length) return true;
            int argStart = w;
            bool inDouble = false, inSingle = false, done = false;
            while (!done)
            {
                if (inDouble)
                {
                    if (i >= line.Length) return false;
                    byte c = line[i];
                    if (c == '\\' && i + 3 < line.Length && line[i + 1] == 'x' && IsHex(line[i + 2]) && IsHex(line[i + 3]))
                    {
                        scratch[w++] = (byte)(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3]));
                        i += 3;
                    }
                    else if (c == '\\' && i + 1 < line.Length)
                    {
                        i++;
                        scratch[w++] = line[i] switch
                        {
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            (byte)'b' => (byte)'\b',
                            (byte)'a' => (byte)'\a',
                            _ => line[i],
                        };
                    }
                    else if (c == '"')
                    {
                        // A closing quote must be followed by a space or the end.
                        if (i + 1 < line.Length && !IsSpace(line[i + 1])) return false;
                        done = true;
                    }
                    else scratch[w++] = c;
                }
                else if (inSingle)
                {
                    if (i >= line.Length) return false;
                    byte c = line[i];
                    if (c == '\\' && i + 1 < line.Length && line[i + 1] == '\'')
                    {
                        i++;
                        scratch[w++] = (byte)'\'';
                    }
                    else if (c == '\'')
                    {
                        if (i + 1 < line.Length && !IsSpace(line[i + 1])) return false;
                        done = true;
                    }
                    else scratch[w++] = c;
                }
                else
                {
                    if (i >= line.Length) { done = true; break; }
                    byte c = line[i];
                    if (IsSpace(c)) done = true;
                    else if (c == '"') inDouble = true;
                    else if (c == '\'') inSingle = true;
                    else scratch[w++] = c;
                }
                if (i < line.Length) i++;
            }
            Args.Add(scratch, argStart, w - argStart);
        }
    }

    /// <summary>Splits a line with Redis's quoting rules (sdssplitargs); null when the quotes are unbalanced.</summary>
    public static byte[][]? SplitLine(ReadOnlySpan<byte> line)
    {
        var parser = new RequestParser();
        return parser.SplitArgs(line) ? parser.Args.ToArrays() : null;
    }

    static bool IsSpace(byte b) => b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f';
    static bool IsHex(byte b) => (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
    static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
