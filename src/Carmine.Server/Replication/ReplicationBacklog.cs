namespace Carmine.Server.Replication;

/// <summary>
/// The last repl-backlog-size bytes of the replica half of the stream, so a replica that lost its connection can
/// continue with PSYNC from where it stopped instead of loading a whole snapshot again.
/// </summary>
public sealed class ReplicationBacklog(int size, long startOffset) : IStreamConsumer
{
    byte[] buffer = new byte[Math.Max(size, 16 * 1024)];
    int head;            // where the next byte goes
    long histlen;        // bytes held, at most buffer.Length
    long endOffset = startOffset; // master offset of the last byte written

    public PropagateTo Kind => PropagateTo.Replicas;

    public long Size => buffer.Length;
    public long HistLen => histlen;
    /// <summary>Master offset of the first byte held: INFO's repl_backlog_first_byte_offset.</summary>
    public long FirstByteOffset => endOffset - histlen + 1;

    public void Feed(ReadOnlySpan<byte> bytes)
    {
        endOffset += bytes.Length;
        if (bytes.Length >= buffer.Length)
        {
            bytes[^buffer.Length..].CopyTo(buffer);
            head = 0;
            histlen = buffer.Length;
            return;
        }
        int first = Math.Min(bytes.Length, buffer.Length - head);
        bytes[..first].CopyTo(buffer.AsSpan(head));
        bytes[first..].CopyTo(buffer);
        head = (head + bytes.Length) % buffer.Length;
        histlen = Math.Min(buffer.Length, histlen + bytes.Length);
    }

    /// <summary>Whether a replica needing the bytes from <paramref name="offset"/> on can be served from here.</summary>
    public bool Covers(long offset) => histlen > 0 ? offset >= FirstByteOffset && offset <= endOffset + 1 : offset == endOffset + 1;

    /// <summary>The bytes from <paramref name="offset"/> to the end (call with the stream's lock held).</summary>
    public byte[] CopyFrom(long offset)
    {
        long count = endOffset + 1 - offset;
        var result = new byte[count];
        long start = (head - count) % buffer.Length;
        if (start < 0) start += buffer.Length;
        int first = (int)Math.Min(count, buffer.Length - start);
        buffer.AsSpan((int)start, first).CopyTo(result);
        buffer.AsSpan(0, (int)(count - first)).CopyTo(result.AsSpan(first));
        return result;
    }

    /// <summary>CONFIG SET repl-backlog-size: keeps the newest bytes that fit.</summary>
    public void Resize(int newSize)
    {
        newSize = Math.Max(newSize, 16 * 1024);
        if (newSize == buffer.Length) return;
        long keep = Math.Min(histlen, newSize);
        var kept = keep > 0 ? CopyFrom(endOffset + 1 - keep) : [];
        buffer = new byte[newSize];
        kept.CopyTo(buffer, 0);
        head = (int)(keep % newSize);
        histlen = keep;
    }
}
