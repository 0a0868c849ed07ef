using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;
using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>One command on its way: its arguments, and the task its caller awaits.</summary>
sealed class PendingCommand(byte[][] args, bool expectsReply)
    : TaskCompletionSource<RespValue>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public byte[][] Args { get; } = args;
    /// <summary>False for commands whose answers arrive as pushes (SUBSCRIBE on a pub/sub connection).</summary>
    public bool ExpectsReply { get; } = expectsReply;
    public string Name => System.Text.Encoding.UTF8.GetString(Args[0]);
}

/// <summary>
/// A multiplexed connection: any number of callers share one socket. A writer loop drains the queue of
/// commands into one send, a reader loop hands replies to the commands in the order they were sent, and
/// a supervisor reconnects with backoff when the socket breaks. See docs/client.md.
/// </summary>
public sealed class RedisConnection : IAsyncDisposable, IDisposable
{
    readonly RedisOptions options;
    // Items are PendingCommand or PendingCommand[] (a batch written back to back, never interleaved).
    readonly Channel<object> outgoing = Channel.CreateUnbounded<object>();
    readonly Queue<PendingCommand> awaitingReply = new();
    readonly CancellationTokenSource disposed = new();
    readonly Task supervisor;
    readonly bool pubSub;
    TaskCompletionSource firstConnect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    volatile string state = "connecting";
    Exception? lastError;

    /// <summary>Called for every push (RESP3 &gt;, or every frame on a pub/sub connection), on the reader loop.</summary>
    internal Action<RespValue>? PushHandler { get; set; }
    /// <summary>Commands sent right after each (re)connect, before anything queued; used to resubscribe.</summary>
    internal Func<IEnumerable<byte[][]>>? AfterConnect { get; set; }

    public RedisOptions Options => options;
    /// <summary>True while a socket is up and its handshake done; false while connecting or reconnecting.</summary>
    public bool IsConnected => state == "connected";
    /// <summary>How many times a connection was established (1 after the first connect).</summary>
    public int ConnectCount { get; private set; }

    RedisConnection(RedisOptions options, bool pubSub)
    {
        this.options = options;
        this.pubSub = pubSub;
        supervisor = Task.Run(SuperviseAsync);
    }

    /// <summary>Connects and waits until the first handshake succeeded (or fails with its error).</summary>
    public static Task<RedisConnection> ConnectAsync(string connectionString) => ConnectAsync(RedisOptions.Parse(connectionString));

    public static async Task<RedisConnection> ConnectAsync(RedisOptions options)
    {
        var c = new RedisConnection(options.Clone(), pubSub: false);
        await c.WaitFirstConnectAsync().ConfigureAwait(false);
        return c;
    }

    internal static async Task<RedisConnection> ConnectPubSubAsync(RedisOptions options, Action<RespValue> onPush, Func<IEnumerable<byte[][]>> afterConnect)
    {
        var c = new RedisConnection(options.Clone(), pubSub: true) { PushHandler = onPush, AfterConnect = afterConnect };
        await c.WaitFirstConnectAsync().ConfigureAwait(false);
        return c;
    }

    async Task WaitFirstConnectAsync()
    {
        try
        {
            await firstConnect.Task.ConfigureAwait(false);
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Sends one command and returns its reply (error replies are returned, not thrown). A blocking command (BLPOP,
    /// XREAD BLOCK ...) waits as long as it may block plus the response time, whichever client sent it.
    /// </summary>
    /// <param name="timeout">How long to wait for the reply instead; infinite waits forever.</param>
    internal Task<RespValue> SendAsync(byte[][] args, bool expectsReply = true, TimeSpan? timeout = null)
    {
        var cmd = new PendingCommand(args, expectsReply);
        Enqueue(cmd);
        return WithTimeout(cmd, timeout ?? BlockingCommand.ReplyTimeout(args, options.ResponseTimeout) ?? options.ResponseTimeout);
    }

    /// <summary>Sends commands back to back; the replies come in the same order.</summary>
    internal Task<RespValue>[] SendBatch(IReadOnlyList<byte[][]> commands)
    {
        var batch = new PendingCommand[commands.Count];
        for (int i = 0; i < batch.Length; i++) batch[i] = new PendingCommand(commands[i], true);
        Enqueue(batch);
        var tasks = new Task<RespValue>[batch.Length];
        for (int i = 0; i < batch.Length; i++) tasks[i] = WithTimeout(batch[i], options.ResponseTimeout);
        return tasks;
    }

    void Enqueue(object item)
    {
        if (disposed.IsCancellationRequested || !outgoing.Writer.TryWrite(item))
            throw new CommandNotSentException($"the connection to {options.EndPoint} was closed");
    }

    async Task<RespValue> WithTimeout(PendingCommand command, TimeSpan timeout)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            return await command.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The command stays in the reply queue, so later replies still match; its own reply is dropped.
            int pending;
            lock (awaitingReply) pending = awaitingReply.Count;
            throw new RedisTimeoutException(
                $"Timeout waiting for the reply to {command.Name} from {options.EndPoint} after {Stopwatch.GetElapsedTime(start).TotalMilliseconds:F0} ms " +
                $"(response timeout {timeout.TotalMilliseconds:F0} ms); connection {state}, {pending} commands awaiting replies, " +
                $"{outgoing.Reader.Count} queued to send" + (lastError is null ? "" : $"; last connection error: {lastError.Message}"));
        }
    }

    async Task SuperviseAsync()
    {
        var delay = options.MinReconnectDelay;
        while (!disposed.IsCancellationRequested)
        {
            Stream? stream = null;
            try
            {
                state = "connecting";
                stream = await OpenAsync().ConfigureAwait(false);
                await HandshakeAsync(stream).ConfigureAwait(false);
                ConnectCount++;
                state = "connected";
                lastError = null;
                delay = options.MinReconnectDelay;
                firstConnect.TrySetResult();
                using var broken = CancellationTokenSource.CreateLinkedTokenSource(disposed.Token);
                var reader = ReadLoopAsync(stream, broken);
                var writer = WriteLoopAsync(stream, broken);
                await Task.WhenAny(reader, writer).ConfigureAwait(false);
                broken.Cancel();
                stream.Dispose();
                stream = null;
                try { await Task.WhenAll(reader, writer).ConfigureAwait(false); }
                catch (OperationCanceledException) { }
                catch (Exception e) when (e is not OutOfMemoryException) { lastError ??= e; }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                lastError = e;
                if (!firstConnect.Task.IsCompleted)
                {
                    firstConnect.TrySetException(new RedisConnectionException($"cannot connect to {options.EndPoint}: {e.Message}", e));
                    return;
                }
            }
            finally
            {
                stream?.Dispose();
            }
            state = disposed.IsCancellationRequested ? "closed" : "reconnecting";
            FailAwaiting(disposed.IsCancellationRequested
                ? new ObjectDisposedException(nameof(RedisConnection), $"the connection to {options.EndPoint} was closed")
                : new RedisConnectionException($"connection to {options.EndPoint} lost before the reply arrived; the command may or may not have run" +
                    (lastError is null ? "" : $" ({lastError.Message})"), lastError));
            if (disposed.IsCancellationRequested) break;
            try { await Task.Delay(delay, disposed.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxReconnectDelay.Ticks));
        }
        var closed = new CommandNotSentException($"the connection to {options.EndPoint} was closed");
        while (outgoing.Reader.TryRead(out var item)) Fail(item, closed);
    }

    void FailAwaiting(Exception error)
    {
        PendingCommand[] failed;
        lock (awaitingReply)
        {
            failed = awaitingReply.ToArray();
            awaitingReply.Clear();
        }
        foreach (var c in failed) c.TrySetException(error);
    }

    static void Fail(object item, Exception error)
    {
        if (item is PendingCommand c) c.TrySetException(error);
        else foreach (var b in (PendingCommand[])item) b.TrySetException(error);
    }

    async Task<Stream> OpenAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(disposed.Token);
        timeout.CancelAfter(options.ConnectTimeout);
        Socket socket;
        try
        {
            if (options.UnixSocket is not null)
            {
                socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(options.UnixSocket), timeout.Token).ConfigureAwait(false);
            }
            else
            {
                socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                if (options.KeepAlive > TimeSpan.Zero)
                {
                    socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
                    socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, Math.Max(1, (int)options.KeepAlive.TotalSeconds));
                }
                await socket.ConnectAsync(options.Host, options.Port, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!disposed.IsCancellationRequested)
        {
            throw new RedisConnectionException($"connect to {options.EndPoint} timed out after {options.ConnectTimeout.TotalMilliseconds:F0} ms");
        }
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        if (options.Tls)
        {
            var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
            var tls = options.TlsOptions ?? new SslClientAuthenticationOptions();
            tls.TargetHost ??= options.Host;
            await ssl.AuthenticateAsClientAsync(tls, timeout.Token).ConfigureAwait(false);
            stream = ssl;
        }
        return stream;
    }

    /// <summary>HELLO/AUTH, CLIENT SETNAME, SELECT and READONLY, answered before any queued command is sent.</summary>
    async Task HandshakeAsync(Stream stream)
    {
        var commands = new List<byte[][]>();
        if (options.Protocol == 3)
        {
            var hello = new List<string> { "HELLO", "3" };
            if (options.Password is not null) hello.AddRange(["AUTH", options.User ?? "default", options.Password]);
            if (options.ClientName is not null) hello.AddRange(["SETNAME", options.ClientName]);
            commands.Add(Args.Encode(hello.ToArray()));
        }
        else
        {
            if (options.Password is not null)
                commands.Add(options.User is null ? Args.Encode("AUTH", options.Password) : Args.Encode("AUTH", options.User, options.Password));
            if (options.ClientName is not null) commands.Add(Args.Encode("CLIENT", "SETNAME", options.ClientName));
        }
        if (options.Database != 0) commands.Add(Args.Encode("SELECT", options.Database));
        if (options.ReadOnly) commands.Add(Args.Encode("READONLY"));
        if (commands.Count == 0) return;
        var buf = new RespBuffer(1024);
        foreach (var c in commands) buf.Command(c);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(disposed.Token);
        timeout.CancelAfter(options.ConnectTimeout);
        await stream.WriteAsync(buf.Data.AsMemory(0, buf.Length), timeout.Token).ConfigureAwait(false);
        var input = new ReplyBuffer();
        foreach (var c in commands)
        {
            RespValue reply;
            while (!input.TryRead(out reply))
                if (!await input.FillAsync(stream, timeout.Token).ConfigureAwait(false))
                    throw new RedisConnectionException($"{options.EndPoint} closed the connection during the handshake");
            if (reply.IsError)
                throw new RedisServerException($"{System.Text.Encoding.UTF8.GetString(c[0])} failed during the handshake: {reply.Text}");
        }
    }

    async Task WriteLoopAsync(Stream stream, CancellationTokenSource broken)
    {
        var buf = new RespBuffer(64 * 1024);
        var reader = outgoing.Reader;
        if (AfterConnect is not null)
        {
            foreach (var c in AfterConnect()) buf.Command(c);
            if (buf.Length > 0) await stream.WriteAsync(buf.Data.AsMemory(0, buf.Length), broken.Token).ConfigureAwait(false);
        }
        try
        {
            while (await reader.WaitToReadAsync(broken.Token).ConfigureAwait(false))
            {
                buf.Clear();
                // Everything queued right now goes out in one write: that is what makes many callers cheap.
                while (buf.Length < 256 * 1024 && reader.TryRead(out var item))
                {
                    if (item is PendingCommand single) Add(buf, single);
                    else foreach (var c in (PendingCommand[])item) Add(buf, c);
                }
                if (buf.Length > 0) await stream.WriteAsync(buf.Data.AsMemory(0, buf.Length), broken.Token).ConfigureAwait(false);
                buf.TrimIfLarge(64 * 1024);
            }
        }
        finally
        {
            broken.Cancel();
        }
    }

    void Add(RespBuffer buf, PendingCommand c)
    {
        // A command whose caller already gave up (timed out while we were reconnecting) is not sent at all.
        if (c.Task.IsCompleted) return;
        buf.Command(c.Args);
        if (c.ExpectsReply && !pubSub)
        {
            lock (awaitingReply) awaitingReply.Enqueue(c);
        }
        else
        {
            c.TrySetResult(RespValue.NullValue);
        }
    }

    async Task ReadLoopAsync(Stream stream, CancellationTokenSource broken)
    {
        var input = new ReplyBuffer();
        try
        {
            while (await input.FillAsync(stream, broken.Token).ConfigureAwait(false))
            {
                while (input.TryRead(out var reply))
                {
                    if (pubSub || reply.Type == RespType.Push)
                    {
                        PushHandler?.Invoke(reply);
                        continue;
                    }
                    PendingCommand? c;
                    lock (awaitingReply) awaitingReply.TryDequeue(out c);
                    if (c is null) throw new RedisConnectionException($"{options.EndPoint} sent a reply nobody asked for: {reply}");
                    c.TrySetResult(reply);
                }
            }
            lastError = new RedisConnectionException($"{options.EndPoint} closed the connection");
        }
        finally
        {
            broken.Cancel();
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (disposed.IsCancellationRequested) return;
        disposed.Cancel();
        outgoing.Writer.TryComplete();
        try { await supervisor.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        disposed.Dispose();
    }
}
