using System.Text;

namespace Carmine.Cli;

/// <summary>The replica side of SYNC shared by --rdb and --replica: REPLCONF announcements, the SYNC request,
/// and the payload, whose end is either a byte count ("$N") or, for a diskless master, a 40-byte EOF mark
/// announced as "$EOF:mark" that ends the stream.</summary>
public sealed class MasterSync(CliSession session)
{
    public const int EofMarkSize = 40;

    byte[]? eofMark;
    // The last EofMarkSize bytes read, compared with the mark after every read.
    readonly byte[] lastBytes = new byte[EofMarkSize];
    bool markSeen;

    /// <summary>True when the master announced an EOF mark instead of a length.</summary>
    public bool UsesEofMark => eofMark is not null;

    /// <summary>The payload length the master announced (none with an EOF mark).</summary>
    public ulong PayloadSize { get; private set; }

    /// <summary>Payload bytes read so far, the EOF mark included.</summary>
    public ulong BytesRead { get; private set; }

    public bool Done => eofMark is null ? BytesRead == PayloadSize : markSeen;

    /// <summary>REPLCONF arg1 arg2, announced on stderr. False (with the error printed) when the master
    /// refuses, which older masters do for options they do not know.</summary>
    public bool Replconf(string arg1, string arg2)
    {
        Console.Error.Write($"sending REPLCONF {arg1} {arg2}\n");
        Carmine.Protocol.RespValue reply;
        try
        {
            reply = session.Call("REPLCONF", arg1, arg2);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            throw Fail("\nI/O error");
        }
        if (!reply.IsError) return true;
        Console.Error.Write($"REPLCONF {arg1} error: {reply.Text}\n");
        return false;
    }

    /// <summary>Sends SYNC and reads the "$N" or "$EOF:mark" line, skipping the newlines a master sends while it prepares the RDB.</summary>
    public void Sync()
    {
        var connection = session.Connection!;
        try
        {
            connection.Write("SYNC\r\n"u8);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            throw Fail("Error writing to master");
        }
        var line = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            try
            {
                connection.ReadRaw(one);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
                throw Fail("Error reading bulk length while SYNCing");
            }
            if (one[0] == '\n' && line.Count > 0) break;
            if (one[0] != '\n') line.Add(one[0]);
        }
        string header = Encoding.Latin1.GetString(line.ToArray());
        if (header.StartsWith('-')) throw Fail($"SYNC with master failed: {header}");
        if (header.Length >= 5 + EofMarkSize && header.AsSpan(1).StartsWith("EOF:"))
        {
            eofMark = line.GetRange(5, EofMarkSize).ToArray();
            return;
        }
        int digits = 1;
        while (digits < header.Length && char.IsAsciiDigit(header[digits])) digits++;
        ulong.TryParse(header.AsSpan(1, digits - 1), out ulong size);
        PayloadSize = size;
    }

    /// <summary>Reads the next piece of payload (never past a announced length) into <paramref name="buffer"/>;
    /// call while not <see cref="Done"/>.</summary>
    public int ReadPayload(byte[] buffer, string errorMessage)
    {
        ulong left = eofMark is null ? PayloadSize - BytesRead : ulong.MaxValue;
        int n;
        try
        {
            n = session.Connection!.ReadRaw(buffer.AsSpan(0, (int)Math.Min((ulong)buffer.Length, left)));
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            throw Fail(errorMessage);
        }
        BytesRead += (ulong)n;
        if (eofMark is not null)
        {
            if (n >= EofMarkSize) Array.Copy(buffer, n - EofMarkSize, lastBytes, 0, EofMarkSize);
            else
            {
                Array.Copy(lastBytes, n, lastBytes, 0, EofMarkSize - n);
                Array.Copy(buffer, 0, lastBytes, EofMarkSize - n, n);
            }
            markSeen = lastBytes.AsSpan().SequenceEqual(eofMark);
        }
        return n;
    }

    Exception Fail(string message) => CliExit.Fail(session, message);
}
