using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>
/// One line of MONITOR output: when the server ran a command, in which database, for which client ("127.0.0.1:50712",
/// "lua", "unix:/path"), and the command's arguments unquoted. <see cref="Raw"/> is the line as the server sent it.
/// </summary>
public sealed record MonitorLine(DateTimeOffset Time, int Database, string Client, string[] Args, string Raw)
{
    /// <summary>Parses a line such as <c>1700000000.123456 [0 127.0.0.1:50712] "set" "k" "v"</c>; null when it has another shape.</summary>
    public static MonitorLine? Parse(string raw)
    {
        int open = raw.IndexOf(" [", StringComparison.Ordinal);
        int close = raw.IndexOf("] ", StringComparison.Ordinal);
        if (open < 0 || close < open) return null;
        if (!decimal.TryParse(raw.AsSpan(0, open), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal seconds)) return null;
        var source = raw[(open + 2)..close];
        int space = source.IndexOf(' ');
        if (space < 0 || !int.TryParse(source.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out int db)) return null;
        var args = Unquote(raw, close + 2);
        if (args is null) return null;
        var time = DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
        return new MonitorLine(time, db, source[(space + 1)..], args, raw);
    }

    // The arguments are double-quoted with C-style escapes (\" \\ \n \r \t \a \b \xHH) for anything not printable.
    static string[]? Unquote(string s, int i)
    {
        var args = new List<string>();
        var bytes = new List<byte>();
        while (i < s.Length)
        {
            if (s[i] == ' ')
            {
                i++;
                continue;
            }
            if (s[i] != '"') return null;
            i++;
            bytes.Clear();
            while (true)
            {
                if (i >= s.Length) return null;
                char c = s[i++];
                if (c == '"') break;
                if (c != '\\')
                {
                    // Printable text passes through as is; it may be UTF-8 the server did not escape.
                    bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
                    continue;
                }
                if (i >= s.Length) return null;
                char e = s[i++];
                switch (e)
                {
                    case 'n': bytes.Add((byte)'\n'); break;
                    case 'r': bytes.Add((byte)'\r'); break;
                    case 't': bytes.Add((byte)'\t'); break;
                    case 'a': bytes.Add(7); break;
                    case 'b': bytes.Add(8); break;
                    case 'x' when i + 2 <= s.Length && byte.TryParse(s.AsSpan(i, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b):
                        bytes.Add(b);
                        i += 2;
                        break;
                    default: bytes.Add((byte)e); break;
                }
            }
            args.Add(Encoding.UTF8.GetString(bytes.ToArray()));
        }
        return args.ToArray();
    }
}

/// <summary>
/// MONITOR on a dedicated connection: every command the server runs, as an async stream of <see cref="MonitorLine"/>s.
/// After a reconnect MONITOR is sent again (commands run while the connection was down are missed). Dispose to stop.
/// </summary>
public sealed class RedisMonitor : IAsyncEnumerable<MonitorLine>, IAsyncDisposable
{
    readonly Channel<MonitorLine> lines = Channel.CreateUnbounded<MonitorLine>(new UnboundedChannelOptions { SingleWriter = true });
    readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    RedisConnection? connection;

    RedisMonitor()
    {
    }

    internal static async Task<RedisMonitor> StartAsync(RedisOptions options)
    {
        var m = new RedisMonitor();
        m.connection = await RedisConnection.ConnectPubSubAsync(options, m.OnFrame, () => [Args.Encode("MONITOR")]).ConfigureAwait(false);
        try
        {
            await m.started.Task.WaitAsync(options.ResponseTimeout).ConfigureAwait(false);
        }
        catch
        {
            await m.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return m;
    }

    public RedisConnection Connection => connection!;

    void OnFrame(RespValue frame)
    {
        if (frame.IsError)
        {
            started.TrySetException(new RedisServerException(frame.Text ?? ""));
            return;
        }
        // MONITOR's own +OK, after the first connect and after each reconnect; the lines themselves start with a time.
        if (frame.Text == "OK")
        {
            started.TrySetResult();
            return;
        }
        if (frame.Text is { } text && MonitorLine.Parse(text) is { } line) lines.Writer.TryWrite(line);
    }

    public IAsyncEnumerator<MonitorLine> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        lines.Reader.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        lines.Writer.TryComplete();
        if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
    }
}
