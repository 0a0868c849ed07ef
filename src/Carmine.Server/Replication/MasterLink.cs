using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Carmine.Protocol;
using Carmine.Server.Network;

namespace Carmine.Server.Replication;

/// <summary>
/// The replica side of replication: one background thread that connects to the master, performs the handshake
/// (PING, AUTH, REPLCONF, PSYNC), loads the snapshot of a full sync, then executes the master's stream through a
/// client with no connection, counting its bytes as the replica offset. A dropped link is retried every second,
/// asking to continue from the cached replication ID and offset.
/// </summary>
public sealed class MasterLink
{
    const int ReadChunk = 64 * 1024;

    readonly RedisServer server;
    readonly Thread thread;
    readonly object sync = new();
    volatile bool stopped;
    Socket? socket;
    byte[] buffer = new byte[ReadChunk];
    int start, end;
    long lastAckMs;

    public MasterLink(RedisServer server, string host, int port)
    {
        this.server = server;
        Host = host;
        Port = port;
        thread = new Thread(Run) { IsBackground = true, Name = "carmine-master-link" };
    }

    public string Host { get; }
    public int Port { get; }

    /// <summary>ROLE's state: connect, connecting, handshake, sync or connected.</summary>
    public string State { get; private set; } = "connect";

    public bool LinkUp => State == "connected";

    public bool SyncInProgress => State == "sync";

    /// <summary>The master's replication ID this replica follows (null before the first sync).</summary>
    public string? ReplId { get; private set; }

    /// <summary>Bytes of the master's stream applied (slave_repl_offset); read is what arrived (slave_read_repl_offset).</summary>
    public long Offset => Volatile.Read(ref offset);

    public long ReadOffset => Volatile.Read(ref readOffset);

    long offset, readOffset;

    public long LastIoMs { get; private set; } = Clock.NowMs();

    public long DownSinceMs { get; private set; } = Clock.NowMs();

    /// <summary>Continues from where a previous master left off (a promoted replica keeps the history it has).</summary>
    public void Resume(string replId, long applied)
    {
        ReplId = replId;
        offset = readOffset = applied;
    }

    public void Start() => thread.Start();

    /// <summary>Stops the link for good (REPLICAOF NO ONE or another master).</summary>
    public void Stop()
    {
        stopped = true;
        Drop();
    }

    /// <summary>Closes the connection; the thread reconnects (CLIENT KILL TYPE master).</summary>
    public void Drop()
    {
        lock (sync)
        {
            try { socket?.Shutdown(SocketShutdown.Both); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        }
    }

    void Run()
    {
        while (!stopped)
        {
            try
            {
                Session();
            }
            catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or ProtocolViolation or Persistence.RdbFormatException)
            {
                if (!stopped) Log.Warning($"MASTER <-> REPLICA sync: {e.Message}");
            }
            lock (sync)
            {
                socket?.Dispose();
                socket = null;
            }
            if (State == "connected") DownSinceMs = Clock.NowMs();
            State = "connect";
            for (int i = 0; i < 10 && !stopped; i++) Thread.Sleep(100);
        }
    }

    sealed class ProtocolViolation(string message) : Exception(message);

    void Session()
    {
        State = "connecting";
        Log.Notice($"Connecting to MASTER {Host}:{Port}");
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        lock (sync)
        {
            if (stopped)
            {
                s.Dispose();
                return;
            }
            socket = s;
        }
        try
        {
            if (!s.ConnectAsync(Host, Port).Wait(TimeSpan.FromSeconds(Math.Max(1, server.Config.GetLong("repl-timeout")))))
                throw new IOException("Timeout connecting to the MASTER...");
        }
        catch (AggregateException e)
        {
            throw new IOException("Error condition on socket for SYNC: " + e.InnerException?.Message, e);
        }
        if (stopped) return;
        start = end = 0;
        LastIoMs = Clock.NowMs();
        State = "handshake";
        Log.Notice("MASTER <-> REPLICA sync started");
        Command(s, "PING");
        string pong = ReadReply(s);
        if (pong.StartsWith('-') && !pong.StartsWith("-NOAUTH", StringComparison.Ordinal) && !pong.StartsWith("-NOPERM", StringComparison.Ordinal))
            throw new ProtocolViolation("Error reply to PING from master: '" + pong + "'");
        string auth = server.Config.GetString("masterauth");
        if (auth.Length > 0)
        {
            string user = server.Config.GetString("masteruser");
            if (user.Length > 0) Command(s, "AUTH", user, auth);
            else Command(s, "AUTH", auth);
            string ok = ReadReply(s);
            if (ok.StartsWith('-')) throw new ProtocolViolation("Unable to AUTH to MASTER: " + ok);
        }
        Command(s, "REPLCONF", "listening-port", server.TcpPort.ToString(CultureInfo.InvariantCulture));
        ReadReply(s);
        Command(s, "REPLCONF", "capa", "eof", "capa", "psync2");
        ReadReply(s);
        if (ReplId is null) Command(s, "PSYNC", "?", "-1");
        else Command(s, "PSYNC", ReplId, (Offset + 1).ToString(CultureInfo.InvariantCulture));
        string reply = ReadReply(s);
        if (reply.StartsWith("+FULLRESYNC", StringComparison.Ordinal))
        {
            var parts = reply.Split(' ');
            if (parts.Length < 3 || !long.TryParse(parts[2], out long masterOffset)) throw new ProtocolViolation("Bad FULLRESYNC reply: " + reply);
            Log.Notice($"Full resync from master: {parts[1]}:{masterOffset}");
            State = "sync";
            var payload = ReadPayload(s);
            if (stopped) return;
            Load(payload);
            ReplId = parts[1];
            Volatile.Write(ref offset, masterOffset);
            Volatile.Write(ref readOffset, masterOffset);
            Log.Notice("MASTER <-> REPLICA sync: Finished with success");
        }
        else if (reply.StartsWith("+CONTINUE", StringComparison.Ordinal))
        {
            string[] parts = reply.Split(' ');
            if (parts.Length > 1 && parts[1].Length == 40) ReplId = parts[1];
            Log.Notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
        }
        else throw new ProtocolViolation("Unexpected reply to PSYNC from master: " + reply);
        State = "connected";
        LastIoMs = Clock.NowMs();
        Stream(s);
    }

    /// <summary>Replaces the dataset and function libraries with the snapshot, every lock held.</summary>
    void Load(byte[] rdb)
    {
        Log.Notice($"MASTER <-> REPLICA sync: Loading DB in memory ({rdb.Length} bytes)");
        server.Keyspace.LockAll();
        try
        {
            server.Rdb.Load(rdb);
        }
        finally
        {
            server.Keyspace.UnlockAll();
        }
    }

    /// <summary>The next reply line; bare newlines keep the link alive while the master prepares a snapshot.</summary>
    string ReadReply(Socket s)
    {
        string line;
        do line = ReadLine(s, allowEmpty: true);
        while (line.Length == 0);
        return line;
    }

    byte[] ReadPayload(Socket s)
    {
        string line = ReadReply(s);
        if (!line.StartsWith('$')) throw new ProtocolViolation("Bad protocol from MASTER, the first byte is not '$': " + line);
        if (line.StartsWith("$EOF:", StringComparison.Ordinal))
        {
            byte[] mark = Encoding.ASCII.GetBytes(line[5..]);
            if (mark.Length != 40) throw new ProtocolViolation("Bad EOF mark from MASTER");
            using var ms = new MemoryStream();
            while (true)
            {
                if (start == end) Fill(s);
                ms.Write(buffer, start, end - start);
                start = end;
                if (ms.Length >= 40 && ms.GetBuffer().AsSpan((int)ms.Length - 40, 40).SequenceEqual(mark))
                    return ms.GetBuffer().AsSpan(0, (int)ms.Length - 40).ToArray();
            }
        }
        if (!long.TryParse(line.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out long len) || len > int.MaxValue)
            throw new ProtocolViolation("Bad payload length from MASTER: " + line);
        return ReadExact(s, (int)len);
    }

    /// <summary>Executes the master's commands as they come, answering GETACK and acknowledging every second.</summary>
    void Stream(Socket s)
    {
        var c = new Client(server, server.Loops[0]) { IsMaster = true };
        var args = new ArgList();
        long pending = 0;
        while (!stopped)
        {
            byte[] command = ReadCommand(s, args);
            Volatile.Write(ref readOffset, readOffset + command.Length);
            // A bare newline (a keep-alive) counts as stream bytes but runs nothing; PING only proves the link alive.
            if (args.Count >= 2 && args.Is(0, "replconf") && args.Is(1, "getack"))
                SendAck(s);
            else if (args.Count > 0 && !args.Is(0, "ping"))
                Apply(c, args);
            // A transaction counts as applied at its EXEC: a link lost inside one resumes from its MULTI.
            pending += command.Length;
            if (c.Multi is null)
            {
                Volatile.Write(ref offset, offset + pending);
                pending = 0;
            }
        }
    }

    void Apply(Client c, ArgList args)
    {
        c.Args = args;
        var fx = PendingEffects.Current;
        int mark = fx.Items.Count;
        // Chained replicas are not supported: what the master sends is not written to our own stream.
        server.Propagation.Loading = true;
        try
        {
            while (!server.Execute(c)) Thread.Sleep(10);
        }
        finally
        {
            server.Propagation.Loading = false;
            fx.Items.RemoveRange(mark, fx.Items.Count - mark);
        }
        c.Reply.Clear();
    }

    void SendAck(Socket s)
    {
        lastAckMs = Clock.NowMs();
        Command(s, "REPLCONF", "ACK", Offset.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Reads one RESP array of bulk strings into <paramref name="args"/>; returns its bytes.</summary>
    byte[] ReadCommand(Socket s, ArgList args)
    {
        using var raw = new MemoryStream();
        args.Clear();
        string header = ReadLine(s, allowEmpty: true, raw);
        if (header.Length == 0) return raw.ToArray();
        if (header[0] != '*' || !int.TryParse(header.AsSpan(1), out int argc) || argc < 1)
            throw new ProtocolViolation("Bad protocol from MASTER: " + header);
        var lengths = new int[argc];
        for (int i = 0; i < argc; i++)
        {
            string bulk = ReadLine(s, false, raw);
            if (bulk.Length == 0 || bulk[0] != '$' || !int.TryParse(bulk.AsSpan(1), out lengths[i]) || lengths[i] < 0)
                throw new ProtocolViolation("Bad protocol from MASTER: " + bulk);
            raw.Write(ReadExact(s, lengths[i] + 2));
        }
        byte[] all = raw.ToArray();
        int at = header.Length + 2;
        for (int i = 0; i < argc; i++)
        {
            at = Array.IndexOf(all, (byte)'\n', at) + 1;
            args.Add(all, at, lengths[i]);
            at += lengths[i] + 2;
        }
        return all;
    }

    static void Command(Socket s, params string[] argv)
    {
        var sb = new StringBuilder();
        sb.Append('*').Append(argv.Length).Append("\r\n");
        foreach (var a in argv) sb.Append('$').Append(Encoding.UTF8.GetByteCount(a)).Append("\r\n").Append(a).Append("\r\n");
        s.Send(Encoding.UTF8.GetBytes(sb.ToString()));
    }

    string ReadLine(Socket s, bool allowEmpty = false, MemoryStream? raw = null)
    {
        while (true)
        {
            int nl = Array.IndexOf(buffer, (byte)'\n', start, end - start);
            if (nl >= 0)
            {
                raw?.Write(buffer, start, nl + 1 - start);
                int stop = nl > start && buffer[nl - 1] == '\r' ? nl - 1 : nl;
                string line = Encoding.UTF8.GetString(buffer, start, stop - start);
                start = nl + 1;
                if (line.Length == 0 && !allowEmpty) throw new ProtocolViolation("Empty line from MASTER");
                return line;
            }
            Fill(s);
        }
    }

    byte[] ReadExact(Socket s, int n)
    {
        var data = new byte[n];
        int got = 0;
        while (got < n)
        {
            if (start == end) Fill(s);
            int take = Math.Min(n - got, end - start);
            Buffer.BlockCopy(buffer, start, data, got, take);
            start += take;
            got += take;
        }
        return data;
    }

    /// <summary>Redis's words for a silent master, which depend on the step the link is in.</summary>
    string TimeoutMessage() => State switch
    {
        "connected" => "MASTER timeout: no data nor PING received...",
        "sync" => "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.",
        _ => "Timeout connecting to the MASTER...",
    };

    /// <summary>Reads more bytes, acknowledging the offset every second and giving up after repl-timeout of silence.</summary>
    void Fill(Socket s)
    {
        if (start > 0)
        {
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }
        if (end == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
        while (!s.Poll(100_000, SelectMode.SelectRead))
        {
            if (stopped) throw new IOException("Replication stopped");
            long now = Clock.NowMs();
            if (State == "connected" && now - lastAckMs >= 1000) SendAck(s);
            if (now - LastIoMs > server.Config.GetLong("repl-timeout") * 1000) throw new IOException(TimeoutMessage());
        }
        int n = s.Receive(buffer, end, buffer.Length - end, SocketFlags.None);
        if (n == 0) throw new IOException("Connection with master lost.");
        end += n;
        LastIoMs = Clock.NowMs();
        if (State == "connected" && LastIoMs - lastAckMs >= 1000) SendAck(s);
    }
}
