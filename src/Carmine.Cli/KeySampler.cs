using System.Globalization;
using System.Text;
using Carmine.Protocol;

namespace Carmine.Cli;

/// <summary>What --bigkeys, --memkeys and --hotkeys share: DBSIZE for the progress figure, the SCAN loop
/// (with --pattern, pausing -i every 100 SCANs, stopped early by Ctrl-C), one pipelined command per key,
/// and redis-cli's messages when the server answers something unexpected (they exit with 1).</summary>
public sealed class KeySampler
{
    readonly CliSession session;
    volatile bool cancelled;

    public KeySampler(CliSession session)
    {
        this.session = session;
        // Ctrl-C ends the scan early; the summary is still printed.
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancelled = true;
        };
    }

    public bool Cancelled => cancelled;

    /// <summary>The keys seen so far, out of DBSIZE at the start: "[NN.NN%]".</summary>
    public static string Percent(double pct) =>
        double.IsFinite(pct) ? pct.ToString("F2", CultureInfo.InvariantCulture).PadLeft(5, '0') : (double.IsNaN(pct) ? "nan" : "inf").PadLeft(5);

    public long DbSize()
    {
        var reply = Call("DBSIZE");
        if (reply.IsError) throw Fail($"Couldn't determine DBSIZE: {reply.Text}");
        if (reply.Type != RespType.Integer) throw Fail("Non INTEGER response from DBSIZE!");
        return (int)reply.Integer;
    }

    /// <summary>Calls <paramref name="batch"/> with each SCAN batch until the cursor is back to 0 or Ctrl-C.</summary>
    public void ScanAll(Action<RespValue[]> batch)
    {
        ulong cursor = 0;
        long loops = 0;
        do
        {
            var args = new List<string> { "SCAN", cursor.ToString(CultureInfo.InvariantCulture) };
            if (session.Options.Pattern is not null) args.AddRange(["MATCH", session.Options.Pattern]);
            var reply = Call([.. args]);
            if (reply.IsError) throw Fail($"SCAN error: {reply.Text}");
            if (reply.Type != RespType.Array) throw Fail("Non ARRAY response from SCAN!");
            if (reply.Items!.Length != 2) throw Fail("Invalid element count from SCAN!");
            ulong.TryParse(reply.Items[0].Text, NumberStyles.None, CultureInfo.InvariantCulture, out cursor);
            loops++;
            batch(reply.Items[1].Items!);
            if (session.Options.Interval > TimeSpan.Zero && loops % 100 == 0) Thread.Sleep(session.Options.Interval);
        } while (!cancelled && cursor != 0);
    }

    /// <summary>Sends one command per key (null: none for that key) in one pipeline; returns the replies in key order.</summary>
    public RespValue?[] Pipeline(RespValue[] keys, Func<int, byte[][]?> command)
    {
        var connection = session.Connection!;
        var commands = new IReadOnlyList<byte[]>?[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            commands[i] = command(i);
            if (commands[i] is { } argv) connection.Append(argv);
        }
        var replies = new RespValue?[keys.Length];
        try
        {
            connection.Flush();
            for (int i = 0; i < keys.Length; i++)
                if (commands[i] is not null) replies[i] = connection.ReadReply();
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            throw Fail("\nI/O error");
        }
        return replies;
    }

    RespValue Call(params string[] args)
    {
        try
        {
            return session.Call(args);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            throw Fail("\nI/O error");
        }
    }

    public void Print(string text) => session.WriteOut(text);

    /// <summary>A key as redis-cli shows it in these reports: quoted with C escapes.</summary>
    public static string Quoted(RespValue key) => Encoding.Latin1.GetString(ReplyFormatter.Repr(key.Bytes!));

    /// <summary>A key as C's %s prints it: the bytes up to the first NUL.</summary>
    public static string Plain(RespValue key)
    {
        var bytes = key.Bytes!.AsSpan();
        int nul = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? bytes : bytes[..nul]);
    }

    public Exception Fail(string message) => CliExit.Fail(session, message);
}
