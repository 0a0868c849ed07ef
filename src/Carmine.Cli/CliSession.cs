using System.Net.Sockets;
using System.Text;
using Carmine.Protocol;

namespace Carmine.Cli;

/// <summary>The state redis-cli keeps around its connection: selected database, MULTI state,
/// protocol, and how replies are printed. Commands go through <see cref="IssueCommand"/>.</summary>
public sealed partial class CliSession(CliOptions options, Stream stdout) : IDisposable
{
    CliConnection? connection;
    int selectedDb;
    int dbBeforeMulti;
    bool inMulti;
    bool shutdownSent;
    volatile bool streaming;
    volatile bool streamingAborted;

    public CliOptions Options => options;
    public Stream Out => stdout;
    public CliConnection? Connection => connection;
    public bool Interactive { get; set; }

    /// <summary>Whether the interactive prompt shows argument hints (":set hints" / ":set nohints").</summary>
    public bool Hints { get; set; } = true;
    /// <summary>Pushes (RESP3 out-of-band messages) are printed only when the output is a terminal.</summary>
    public bool PushOutput { get; set; }

    public string Prompt
    {
        get
        {
            var p = new StringBuilder(options.UnixSocket is not null ? "redis " + options.UnixSocket : FormatAddress());
            if (selectedDb != 0) p.Append('[').Append(selectedDb).Append(']');
            if (inMulti) p.Append("(TX)");
            return p.Append("> ").ToString();
        }
    }

    string FormatAddress() => options.Host.Contains(':') ? $"[{options.Host}]:{options.Port}" : $"{options.Host}:{options.Port}";

    /// <summary>Connects (again, when <paramref name="force"/>), authenticates, selects the database and switches
    /// to RESP3 if asked. Returns false and prints redis-cli's message (unless quiet) when it cannot.</summary>
    public bool Connect(bool force = false, bool quiet = false)
    {
        if (connection is not null && !force) return true;
        connection?.Dispose();
        connection = null;
        // A new connection starts in database 0 outside MULTI; SELECT below restores the chosen one.
        selectedDb = 0;
        inMulti = false;
        try
        {
            connection = CliConnection.Open(options.Host, options.Port, options.UnixSocket, options.Tls ? options.TlsOptions : null);
        }
        catch (CliTlsException e)
        {
            // A bad CA, certificate or key is reported even when quiet, a failed handshake like a failed connect.
            if (e.Configuration) Console.Error.Write($"Could not negotiate a TLS connection: {e.Message}\n");
            else if (!quiet) Console.Error.Write($"Could not connect to Redis at {options.UnixSocket ?? $"{options.Host}:{options.Port}"}: {e.Message}\n");
            return false;
        }
        catch (SocketException e)
        {
            if (!quiet)
            {
                string where = options.UnixSocket ?? $"{options.Host}:{options.Port}";
                // .NET appends the endpoint to its message; hiredis prints strerror's text alone.
                // and it reports a missing unix socket file as an address error.
                string reason = options.UnixSocket is not null && !File.Exists(options.UnixSocket)
                    ? "No such file or directory"
                    : System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(e.NativeErrorCode);
                Console.Error.Write($"Could not connect to Redis at {where}: {reason}\n");
            }
            return false;
        }
        try
        {
            return Authenticate() && SelectDatabase() && SwitchProtocol();
        }
        catch (IOException)
        {
            Console.Error.Write("\nI/O error\n");
            return false;
        }
    }

    bool Authenticate()
    {
        if (options.Password is null) return true;
        var reply = options.User is null ? connection!.Call("AUTH", options.Password) : connection!.Call("AUTH", options.User, options.Password);
        if (!reply.IsError) return true;
        Console.Error.Write($"AUTH failed: {reply.Text}\n");
        return false;
    }

    bool SelectDatabase()
    {
        if (options.Database == selectedDb) return true;
        var reply = connection!.Call("SELECT", options.Database.ToString());
        if (reply.IsError)
        {
            Console.Error.Write($"SELECT {options.Database} failed: {reply.Text}\n");
            return false;
        }
        selectedDb = options.Database;
        return true;
    }

    bool SwitchProtocol()
    {
        if (!(options.Resp3 || options.Resp3Preferred) || options.Resp2) return true;
        var reply = connection!.Call("HELLO", "3");
        if (!reply.IsError) return true;
        Console.Error.Write($"HELLO 3 failed: {reply.Text}\n");
        return !options.Resp3;
    }

    /// <summary>Sends a command <paramref name="repeat"/> times (forever if negative), reconnecting first
    /// if the link is down, and prints the replies. False when the connection failed.</summary>
    public bool IssueCommand(IReadOnlyList<byte[]> argv, long repeat)
    {
        string name = Encoding.UTF8.GetString(argv[0]);
        if (name.Equals("help", StringComparison.OrdinalIgnoreCase) || name == "?")
        {
            CommandHelp.Print(this, argv.Skip(1).Select(Encoding.UTF8.GetString).ToArray());
            return true;
        }
        if (connection is null && !Connect(force: true)) return false;
        try
        {
            // With -c a MOVED or ASK reply sends the command again to the node it names.
            do
            {
                if (!FollowRedirection()) return false;
                SendCommand(argv, repeat);
            }
            while (redirected);
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            connection?.Dispose();
            connection = null;
            if (streamingAborted)
            {
                // Ctrl-C ended MONITOR or SUBSCRIBE: a fresh connection, and back to the prompt.
                streamingAborted = false;
                Connect(force: true);
                return true;
            }
            // SHUTDOWN closing the link is its success.
            if (shutdownSent) return true;
            Console.Error.Write($"Error: {LostLinkReason(e)}\n");
            // Only the interactive mode survives a lost link: its next command reconnects.
            if (!Interactive) Environment.Exit(1);
            return false;
        }
    }

    void SendCommand(IReadOnlyList<byte[]> argv, long repeat)
    {
        string[] words = argv.Take(3).Select(a => Encoding.UTF8.GetString(a).ToLowerInvariant()).ToArray();
        string command = words[0];
        bool rawReply = PrintsRaw(words, argv.Count);
        shutdownSent = command == "shutdown";
        bool monitor = command == "monitor";
        bool pubsub = command is "subscribe" or "psubscribe" or "ssubscribe";
        while (repeat < 0 || repeat-- > 0)
        {
            connection!.Append(argv);
            connection.Flush();
            if (monitor || pubsub)
            {
                streaming = true;
                if (pubsub && options.Output != OutputMode.Raw) WriteOut("Reading messages... (press Ctrl-C to quit)\n");
                // Messages stream until Ctrl-C; only an error reply (e.g. MONITOR inside MULTI) ends the stream.
                RespValue message;
                do message = ReadAndPrint(rawReply, outOfBandPushes: false);
                while (!message.IsError);
                streaming = false;
                if (monitor) return;
                continue;
            }
            var reply = ReadAndPrint(rawReply, outOfBandPushes: true);
            if (redirected) return;
            TrackState(command, argv, reply);
            if (options.Interval > TimeSpan.Zero) Thread.Sleep(options.Interval);
        }
    }

    // hiredis names a reset link by its errno; anything else is the end of the stream.
    static string LostLinkReason(Exception e) =>
        (e as SocketException ?? e.InnerException as SocketException)?.SocketErrorCode == SocketError.ConnectionReset
            ? "Connection reset by peer" : "Server closed the connection";

    // INFO, CLIENT LIST and the like are meant to be read as text, so redis-cli never quotes them.
    static bool PrintsRaw(string[] w, int argc)
    {
        string sub = argc >= 2 ? w[1] : "";
        return w[0] is "info" or "lolwut"
            || (w[0] == "debug" && sub is "htstats" or "htstats-key" or "client-eviction")
            || (w[0] == "memory" && sub is "malloc-stats" or "doctor")
            || (w[0] == "cluster" && argc == 2 && sub is "nodes" or "info")
            || (w[0] == "client" && sub is "list" or "info")
            || (w[0] == "latency" && ((argc == 3 && sub == "graph") || (argc == 2 && sub == "doctor")))
            || (w[0] == "proxy" && sub == "info");
    }

    void TrackState(string command, IReadOnlyList<byte[]> argv, RespValue reply)
    {
        bool failed = reply.IsError;
        if (command == "select" && argv.Count == 2 && !failed)
            options.Database = selectedDb = (int)CliOptions.Atoi(Encoding.UTF8.GetString(argv[1]));
        else if (command == "auth" && argv.Count is 2 or 3)
            SelectDatabase();
        else if (command == "multi" && argv.Count == 1 && !failed)
        {
            inMulti = true;
            dbBeforeMulti = selectedDb;
        }
        else if (command == "exec" && argv.Count == 1 && inMulti)
        {
            inMulti = false;
            if (failed || reply.IsNull) options.Database = selectedDb = dbBeforeMulti;
        }
        else if (command == "discard" && argv.Count == 1 && !failed)
        {
            inMulti = false;
            options.Database = selectedDb = dbBeforeMulti;
        }
        else if (command == "reset" && argv.Count == 1 && !failed)
        {
            inMulti = false;
            options.Database = selectedDb = 0;
            options.Resp3 = false;
        }
    }

    /// <summary>Reads the next reply, printing out-of-band pushes before it, and prints it.</summary>
    RespValue ReadAndPrint(bool rawReply, bool outOfBandPushes)
    {
        RejectAttribute();
        var reply = connection!.ReadReply();
        // Out of pub/sub, pushes are out-of-band: shown on a terminal, dropped otherwise (as hiredis does).
        while (outOfBandPushes && reply.Type == RespType.Push)
        {
            if (PushOutput) PrintPush(reply);
            RejectAttribute();
            reply = connection.ReadReply();
        }
        if (IsRedirection(reply)) return reply;
        if (!Interactive && options.ExitOnError && reply.IsError)
        {
            Console.Error.Write(reply.Text + "\n");
            stdout.Flush();
            Environment.Exit(1);
        }
        WriteOut(ReplyFormatter.Format(reply, options.Output, rawReply, options.BulkDelimiter, options.ReplyDelimiter));
        return reply;
    }

    // redis-cli 7.0's hiredis does not know RESP3 attributes: it reports a protocol error and exits.
    void RejectAttribute()
    {
        if (connection!.PeekType() != (byte)'|') return;
        Console.Error.Write("Error: Protocol error, got \"|\" as reply type byte\n");
        stdout.Flush();
        Environment.Exit(1);
    }

    void PrintPush(RespValue push)
    {
        var items = push.Items!;
        bool invalidate = items.Length == 2 && items[0].Type == RespType.BulkString
            && items[0].Text!.StartsWith("invalidate", StringComparison.Ordinal) && items[1].Type == RespType.Array;
        if (options.Output == OutputMode.Standard && invalidate)
            WriteOut("-> invalidate: " + string.Join(", ", items[1].Items!.Select(k => $"'{k.Text}'")) + "\n");
        else
            WriteOut(ReplyFormatter.Format(push, options.Output, false, options.BulkDelimiter, options.ReplyDelimiter));
    }

    /// <summary>Ctrl-C in the interactive mode: during MONITOR or SUBSCRIBE it closes the link so the
    /// prompt comes back (true); otherwise carmine-cli should exit (false).</summary>
    public bool AbortStreaming()
    {
        if (!streaming || connection is null) return false;
        streamingAborted = true;
        streaming = false;
        connection.Socket.Shutdown(SocketShutdown.Both);
        return true;
    }

    public void WriteOut(string text) => WriteOut(Encoding.UTF8.GetBytes(text));

    public void WriteOut(byte[] bytes)
    {
        stdout.Write(bytes);
        stdout.Flush();
    }

    /// <summary>A command whose reply is used by carmine-cli itself (help, scan, latency), not printed.</summary>
    public RespValue Call(params string[] args)
    {
        if (connection is null && !Connect(force: true)) throw new IOException("not connected");
        return connection!.Call(args);
    }

    public void Dispose() => connection?.Dispose();
}
