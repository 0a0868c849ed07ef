using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>Bytes read from the server and not yet parsed; replies are parsed by Carmine.Protocol's RespReader.</summary>
sealed class ReplyBuffer
{
    byte[] data = new byte[16 * 1024];
    int start;
    int end;

    /// <summary>Reads more bytes; false when the server closed the connection.</summary>
    public async ValueTask<bool> FillAsync(Stream stream, CancellationToken token)
    {
        if (start == end)
        {
            start = end = 0;
        }
        else if (end == data.Length)
        {
            // Keep the unparsed tail; grow only when one reply is larger than half the buffer.
            int live = end - start;
            var target = live > data.Length / 2 ? new byte[data.Length * 2] : data;
            Buffer.BlockCopy(data, start, target, 0, live);
            data = target;
            start = 0;
            end = live;
        }
        int n = await stream.ReadAsync(data.AsMemory(end), token).ConfigureAwait(false);
        end += n;
        return n > 0;
    }

    public bool TryRead(out RespValue reply)
    {
        if (start == end || !RespReader.TryRead(data.AsSpan(start, end - start), out reply, out int consumed))
        {
            reply = RespValue.NullValue;
            return false;
        }
        start += consumed;
        return true;
    }
}
