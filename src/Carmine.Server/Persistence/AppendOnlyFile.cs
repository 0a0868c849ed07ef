using System.Text;
using Carmine.Server.Replication;

namespace Carmine.Server.Persistence;

/// <summary>
/// Redis 7.0's multi-part AOF: in <c>dir/appenddirname</c> a base file (an RDB, or commands with
/// aof-use-rdb-preamble no), incremental files of commands, and a manifest naming them in order. It reads the
/// AOF half of the replication stream: bytes are buffered as commands emit them and written by a flusher thread,
/// fsynced every second (everysec), never (no), or before the client that caused them gets its reply (always).
/// A rewrite captures the dataset and opens a new incremental file in one all-locks moment, writes the new base
/// in the background, then swaps the manifest, so nothing stops while the base is written.
/// </summary>
public sealed class AppendOnlyFile : IStreamConsumer
{
    readonly RedisServer server;
    readonly object bufferLock = new();
    readonly object writeLock = new();
    readonly object stateLock = new();
    byte[] buffer = new byte[64 * 1024];
    int length;
    long fedOffset, writtenOffset, durableOffset;
    long lastTimestampSec;
    FileStream? file;
    AofManifest manifest = new();
    long lastFsyncMs = Clock.NowMs();
    Thread? flusher;
    volatile bool running;
    long rewriteStartMs;
    volatile bool abortRewrite;

    public AppendOnlyFile(RedisServer server) => this.server = server;

    public PropagateTo Kind => PropagateTo.Aof;

    /// <summary>INFO's aof_enabled: the AOF is open and reads the stream, or waits for a BGSAVE to end to open.</summary>
    public bool Enabled => running || enablePending;
    volatile bool enablePending;
    public bool RewriteInProgress { get; private set; }
    public bool RewriteScheduled { get; set; }
    public long Rewrites { get; private set; }
    public long RewritesConsecutiveFailures { get; private set; }
    public bool LastRewriteOk { get; private set; } = true;
    public long LastRewriteSec { get; private set; } = -1;
    public long CurrentRewriteSec => RewriteInProgress ? (Clock.NowMs() - rewriteStartMs) / 1000 : -1;
    public bool LastWriteOk { get; private set; } = true;
    /// <summary>DEBUG AOF-FLUSH-SLEEP: microseconds every non-empty write waits first (for tests of the fsync barrier).</summary>
    public long FlushSleepUs { get; set; }
    /// <summary>aof_current_size and aof_base_size: the files' bytes now, and the base's at the last rewrite.</summary>
    public long CurrentSize { get; private set; }
    public long BaseSize { get; private set; }
    public int BufferLength
    {
        get { lock (bufferLock) return length; }
    }
    /// <summary>Bytes fed so far; a client waits for this to be durable under appendfsync always.</summary>
    public long FedOffset
    {
        get { lock (bufferLock) return fedOffset; }
    }

    public bool FsyncAlways => running && server.Config.GetString("appendfsync") == "always";

    string Dir => Path.Combine(server.Config.GetString("dir") is { Length: > 0 } d ? d : Directory.GetCurrentDirectory(), server.Config.GetString("appenddirname"));
    string FileName => server.Config.GetString("appendfilename");
    string ManifestName => FileName + ".manifest";

    /// <summary>Loads the AOF at start-up (appendonly yes); false when the server must not start.</summary>
    public bool LoadAtStartup()
    {
        string dir = Dir;
        string manifestPath = Path.Combine(dir, ManifestName);
        string oldStyle = Path.Combine(Path.GetDirectoryName(dir)!, FileName);
        manifest = new AofManifest();
        if (File.Exists(manifestPath))
        {
            try
            {
                manifest = AofManifest.Parse(File.ReadAllText(manifestPath));
            }
            catch (AofManifestException e)
            {
                Log.Warning("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
                Log.Warning($"Reading the manifest file, at line {e.Line}\n");
                Log.Warning($">>> '{e.Text}'\n");
                Log.Warning($"{e.Message}\n");
                return false;
            }
        }
        // A single-file AOF from before 7.0 becomes the base of a multi-part one (also when an upgrade was interrupted).
        if (File.Exists(oldStyle)
            && (!Directory.Exists(dir)
                || (manifest.Base is null && manifest.Incr.Count == 0)
                || (manifest.Base?.Name == FileName && manifest.Incr.Count == 0 && !File.Exists(Path.Combine(dir, FileName)))))
        {
            Directory.CreateDirectory(dir);
            manifest = new AofManifest { Base = new AofFileInfo(FileName, 1, 'b'), BaseSeq = 1 };
            PersistManifest(manifest);
            File.Move(oldStyle, Path.Combine(dir, FileName), overwrite: true);
            Log.Notice($"Successfully migrated an old-style AOF file ({FileName}) into the AOF directory ({server.Config.GetString("appenddirname")}).");
        }
        var files = new List<AofFileInfo>();
        if (manifest.Base is not null) files.Add(manifest.Base);
        files.AddRange(manifest.Incr);
        foreach (var f in files)
        {
            // A file the manifest names but the disk does not have is fatal.
            if (File.Exists(Path.Combine(dir, f.Name))) continue;
            Log.Warning($"Unable to obtain the AOF file {f.Name} length. stat: No such file or directory");
            return false;
        }
        long start = Clock.MonotonicUs();
        var load = new AofLoader(server);
        for (int i = 0; i < files.Count; i++)
        {
            var f = files[i];
            long fileStart = Clock.MonotonicUs();
            var result = load.LoadFile(Path.Combine(dir, f.Name), f.Name, isLast: i == files.Count - 1);
            if (result == AofLoadResult.Failed) return false;
            string kind = f.Type == 'b' ? "base" : "incr";
            if (result != AofLoadResult.Empty)
                Log.Notice($"DB loaded from {kind} file {f.Name}: {(Clock.MonotonicUs() - fileStart) / 1e6:F3} seconds");
        }
        if (files.Count > 0) Log.Notice($"DB loaded from append only file: {(Clock.MonotonicUs() - start) / 1e6:F3} seconds");
        return true;
    }

    /// <summary>
    /// Opens the AOF for writing after start-up loading: a base is written if there is none, the last incremental
    /// file is opened (or created) for appending, and the stream feeds it from now on.
    /// </summary>
    public void OpenAtStartup()
    {
        Directory.CreateDirectory(Dir);
        if (manifest.Base is null && manifest.Incr.Count == 0)
        {
            var baseInfo = NextBase();
            WriteBase(Path.Combine(Dir, baseInfo.Name), RdbFile.Live(server.Keyspace), server.Rdb.Functions);
            manifest.Base = baseInfo;
            Log.Notice($"Creating AOF base file {baseInfo.Name} on server start");
        }
        bool created = manifest.Incr.Count == 0;
        if (created) manifest.Incr.Add(NextIncr());
        var last = manifest.Incr[^1];
        file = OpenAppend(last.Name);
        PersistManifest(manifest);
        Log.Notice(created ? $"Creating AOF incr file {last.Name} on server start" : $"Opening AOF incr file {last.Name} on server start");
        DeleteHistory();
        BaseSize = manifest.Base is null ? 0 : SizeOf(manifest.Base.Name);
        CurrentSize = BaseSize + manifest.Incr.Sum(f => SizeOf(f.Name));
        StartFlusher();
        server.Propagation.Attach(this);
    }

    /// <summary>CONFIG SET appendonly yes: a rewrite creates the base and the first incremental file, and the stream feeds it.</summary>
    public string? Enable()
    {
        if (running || enablePending) return null;
        if (RedisServer.InsideTransaction)
        {
            // As Redis: the rewrite that opens the AOF starts after the transaction, from the cron.
            Log.Warning("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.");
            enablePending = true;
            RewriteScheduled = true;
            return null;
        }
        if (server.Rdb.BgsaveInProgress)
        {
            // As Redis, which cannot run two children: the rewrite that opens the AOF starts when the BGSAVE ends.
            Log.Warning("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
            enablePending = true;
            RewriteScheduled = true;
            return null;
        }
        Directory.CreateDirectory(Dir);
        string manifestPath = Path.Combine(Dir, ManifestName);
        if (File.Exists(manifestPath))
        {
            try
            {
                manifest = AofManifest.Parse(File.ReadAllText(manifestPath));
            }
            catch (AofManifestException)
            {
                manifest = new AofManifest();
            }
        }
        return StartRewrite(enabling: true);
    }

    /// <summary>CONFIG SET appendonly no: what is buffered is written and synced, then the AOF stops reading the stream.</summary>
    public void Disable()
    {
        enablePending = false;
        RewriteScheduled = false;
        if (RewriteInProgress)
        {
            // Redis kills its rewrite child here; the rewrite thread stops at its next key.
            Log.Notice($"Killing running AOF rewrite child: {Environment.ProcessId}");
            abortRewrite = true;
            while (RewriteInProgress) Thread.Sleep(1);
            abortRewrite = false;
        }
        if (!running) return;
        server.Propagation.Detach(this);
        running = false;
        flusher?.Join();
        lock (writeLock)
        {
            WriteOut(sync: true);
            file?.Dispose();
            file = null;
        }
    }

    public void Feed(ReadOnlySpan<byte> bytes)
    {
        lock (bufferLock)
        {
            if (server.Config.GetBool("aof-timestamp-enabled"))
            {
                long now = Clock.NowMs() / 1000;
                if (now != lastTimestampSec)
                {
                    lastTimestampSec = now;
                    Append(Encoding.ASCII.GetBytes($"#TS:{now}\r\n"));
                }
            }
            Append(bytes);
        }
    }

    void Append(ReadOnlySpan<byte> bytes)
    {
        if (length + bytes.Length > buffer.Length) Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + bytes.Length));
        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
        fedOffset += bytes.Length;
    }

    /// <summary>
    /// Before a client's replies go out, what its commands fed is handed to the OS, as Redis writes its AOF buffer
    /// before it writes replies; with appendfsync always it is also on disk (one fsync serves every waiting client).
    /// </summary>
    public void WaitFor(long offset, bool durable)
    {
        if (Volatile.Read(ref durable ? ref durableOffset : ref writtenOffset) >= offset) return;
        lock (writeLock)
        {
            if ((durable ? durableOffset : writtenOffset) >= offset) return;
            WriteOut(sync: durable);
        }
    }

    /// <summary>Writes the buffer to the current incremental file, and fsyncs it when asked. Caller holds writeLock.</summary>
    void WriteOut(bool sync)
    {
        if (file is null) return;
        byte[] chunk;
        int n;
        long upTo;
        lock (bufferLock)
        {
            chunk = buffer;
            n = length;
            upTo = fedOffset;
            if (n > 0)
            {
                buffer = new byte[Math.Max(64 * 1024, n < buffer.Length / 4 ? buffer.Length / 2 : buffer.Length)];
                length = 0;
            }
        }
        try
        {
            if (n > 0)
            {
                if (FlushSleepUs > 0) Thread.Sleep(TimeSpan.FromMicroseconds(FlushSleepUs));
                file.Write(chunk, 0, n);
                CurrentSize += n;
                Volatile.Write(ref writtenOffset, upTo);
            }
            if (sync && durableOffset < writtenOffset)
            {
                file.Flush(flushToDisk: true);
                lastFsyncMs = Clock.NowMs();
                Volatile.Write(ref durableOffset, writtenOffset);
            }
            if (!LastWriteOk) Log.Warning("AOF write error looks solved, Redis can write again.");
            LastWriteOk = true;
        }
        catch (IOException e)
        {
            // Nothing is lost: the bytes go back in front of the buffer and the next flush tries again.
            lock (bufferLock)
            {
                var merged = new byte[Math.Max(buffer.Length, n + length)];
                chunk.AsSpan(0, n).CopyTo(merged);
                buffer.AsSpan(0, length).CopyTo(merged.AsSpan(n));
                buffer = merged;
                length += n;
            }
            if (LastWriteOk) Log.Warning($"Error writing to the AOF file: {e.Message}");
            LastWriteOk = false;
        }
    }

    void StartFlusher()
    {
        running = true;
        flusher = new Thread(FlushLoop) { IsBackground = true, Name = "carmine-aof" };
        flusher.Start();
    }

    void FlushLoop()
    {
        while (running)
        {
            Thread.Sleep(10);
            string policy = server.Config.GetString("appendfsync");
            lock (writeLock)
                WriteOut(sync: policy == "always" || (policy == "everysec" && Clock.NowMs() - lastFsyncMs >= 1000));
        }
    }

    /// <summary>BGREWRITEAOF; null when started, else the error to reply.</summary>
    public string? StartRewrite(bool enabling = false)
    {
        lock (stateLock)
        {
            if (RewriteInProgress) return "ERR Background append only file rewriting already in progress";
            RewriteInProgress = true;
            RewriteScheduled = false;
            rewriteStartMs = Clock.NowMs();
        }
        AofFileInfo newBase = null!;
        long firstNewIncr = 0;
        IReadOnlyList<byte[]> functions = [];
        // One all-locks moment: the snapshot's start and the switch to a new incremental file, so the new base plus
        // the files from here on are exactly the dataset.
        var snapshot = Snapshot.Start(server.Keyspace, () =>
        {
            functions = server.Rdb.Functions;
            lock (server.Propagation.Gate)
            {
                Directory.CreateDirectory(Dir);
                lock (writeLock)
                {
                    newBase = NextBase();
                    if (running || enabling)
                    {
                        // What was fed until now belongs to the old files; what follows goes to a new incremental file.
                        WriteOut(sync: true);
                        file?.Dispose();
                        var incr = NextIncr();
                        manifest.Incr.Add(incr);
                        firstNewIncr = incr.Seq;
                        file = OpenAppend(incr.Name);
                        PersistManifest(manifest);
                        Log.Notice($"Creating AOF incr file {incr.Name} on background rewrite");
                    }
                    else firstNewIncr = long.MaxValue;
                }
                if (enabling)
                {
                    StartFlusher();
                    server.Propagation.Attach(this);
                }
                else server.Propagation.ResetAofSelection();
            }
        });
        Log.Notice("Background append only file rewriting started");
        var thread = new Thread(() => FinishRewrite(snapshot, functions, newBase, firstNewIncr)) { IsBackground = true, Name = "carmine-aofrw" };
        thread.Start();
        return null;
    }

    void FinishRewrite(Snapshot snapshot, IReadOnlyList<byte[]> functions, AofFileInfo newBase, long firstNewIncr)
    {
        bool ok = false;
        string temp = Path.Combine(Dir, $"temp-rewriteaof-bg-{Environment.ProcessId}.aof");
        try
        {
            try
            {
                WriteBase(temp, snapshot.Sections(CancellationToken.None), functions);
            }
            finally
            {
                snapshot.Dispose();
            }
            File.Move(temp, Path.Combine(Dir, newBase.Name), overwrite: true);
            lock (writeLock)
            {
                var next = manifest.Clone();
                if (next.Base is not null) next.History.Add(next.Base);
                next.History.AddRange(next.Incr.Where(f => f.Seq < firstNewIncr));
                next.Incr.RemoveAll(f => f.Seq < firstNewIncr);
                next.Base = newBase;
                PersistManifest(next);
                manifest = next;
                BaseSize = SizeOf(newBase.Name);
                CurrentSize = BaseSize + manifest.Incr.Sum(f => SizeOf(f.Name));
                DeleteHistory();
            }
            ok = true;
            Log.Notice("Background AOF rewrite terminated with success");
            Log.Notice("Background AOF rewrite finished successfully");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warning($"Write error writing append only file on disk: {e.Message}");
            try { File.Delete(temp); } catch (IOException) { }
        }
        catch (OperationCanceledException)
        {
            try { File.Delete(temp); } catch (IOException) { }
        }
        lock (stateLock)
        {
            RewriteInProgress = false;
            LastRewriteSec = (Clock.NowMs() - rewriteStartMs) / 1000;
            LastRewriteOk = ok;
            if (ok)
            {
                Rewrites++;
                RewritesConsecutiveFailures = 0;
            }
            else RewritesConsecutiveFailures++;
        }
    }

    /// <summary>Writes everything buffered and syncs it (SHUTDOWN, DEBUG LOADAOF).</summary>
    public void FlushAndSync()
    {
        lock (writeLock) WriteOut(sync: true);
    }

    /// <summary>DEBUG LOADAOF: the dataset is emptied and read back from the AOF files. Caller holds every lock.</summary>
    public bool Reload()
    {
        FlushAndSync();
        foreach (var db in server.Keyspace.Databases) db.Clear();
        var files = new List<AofFileInfo>();
        lock (writeLock)
        {
            if (manifest.Base is not null) files.Add(manifest.Base);
            files.AddRange(manifest.Incr);
        }
        if (files.Count == 0) return false;
        var load = new AofLoader(server);
        for (int i = 0; i < files.Count; i++)
            if (load.LoadFile(Path.Combine(Dir, files[i].Name), files[i].Name, isLast: i == files.Count - 1) == AofLoadResult.Failed) return false;
        return true;
    }

    /// <summary>auto-aof-rewrite-percentage / -min-size: called from the cron.</summary>
    public void Cron()
    {
        if (enablePending && !server.Rdb.BgsaveInProgress)
        {
            enablePending = false;
            if (Enable() is { } error) Log.Warning(error);
            return;
        }
        if (RewriteInProgress) return;
        // A rewrite asked for during a BGSAVE or a transaction runs now, with the AOF on or off.
        if (RewriteScheduled && !server.Rdb.BgsaveInProgress)
        {
            StartRewrite();
            return;
        }
        if (!running) return;
        long percentage = server.Config.GetLong("auto-aof-rewrite-percentage");
        if (percentage == 0 || CurrentSize < server.Config.GetLong("auto-aof-rewrite-min-size")) return;
        long baseSize = Math.Max(BaseSize, 1);
        if ((CurrentSize - baseSize) * 100 / baseSize >= percentage)
        {
            Log.Notice($"Starting automatic rewriting of AOF on {(CurrentSize - baseSize) * 100 / baseSize}% growth");
            StartRewrite();
        }
    }

    /// <summary>Writes a base file; rdb-key-save-delay slows it per key (for tests), and an abort stops it.</summary>
    void WriteBase(string path, IEnumerable<DbSection> dbs, IReadOnlyList<byte[]> functions)
    {
        long delayUs = server.Config.GetLong("rdb-key-save-delay");
        void PerKey()
        {
            if (abortRewrite) throw new OperationCanceledException();
            DebugDelay.Sleep(delayUs);
        }
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write);
        if (server.Config.GetBool("aof-use-rdb-preamble"))
            RdbFile.Write(f, dbs, server.Rdb.WriteOptions with { Functions = functions, AofBase = true, PerKey = PerKey });
        else
        {
            // A base of commands opens with a timestamp annotation, as Redis's rewrite writes one.
            if (server.Config.GetBool("aof-timestamp-enabled")) f.Write(Encoding.ASCII.GetBytes($"#TS:{Clock.NowMs() / 1000}\r\n"));
            AofRewriter.Write(f, dbs, functions, PerKey);
        }
        f.Flush(flushToDisk: true);
    }

    AofFileInfo NextBase()
    {
        long seq = ++manifest.BaseSeq;
        string suffix = server.Config.GetBool("aof-use-rdb-preamble") ? ".rdb" : ".aof";
        return new AofFileInfo($"{FileName}.{seq}.base{suffix}", seq, 'b');
    }

    AofFileInfo NextIncr()
    {
        long seq = ++manifest.IncrSeq;
        return new AofFileInfo($"{FileName}.{seq}.incr.aof", seq, 'i');
    }

    FileStream OpenAppend(string name) =>
        new(Path.Combine(Dir, name), FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);

    long SizeOf(string name)
    {
        var info = new FileInfo(Path.Combine(Dir, name));
        return info.Exists ? info.Length : 0;
    }

    /// <summary>Writes the manifest to a temp file, syncs it and renames it over the old one, as Redis does.</summary>
    void PersistManifest(AofManifest m)
    {
        string temp = Path.Combine(Dir, "temp-" + ManifestName);
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            var bytes = Encoding.UTF8.GetBytes(m.ToString());
            f.Write(bytes);
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, Path.Combine(Dir, ManifestName), overwrite: true);
    }

    void DeleteHistory()
    {
        if (manifest.History.Count == 0) return;
        foreach (var h in manifest.History)
        {
            Log.Notice($"Removing the history file {h.Name} in the background");
            try { File.Delete(Path.Combine(Dir, h.Name)); }
            catch (IOException e) { Log.Warning($"Removing the history file {h.Name} failed: {e.Message}"); }
        }
        manifest.History.Clear();
        PersistManifest(manifest);
    }
}
