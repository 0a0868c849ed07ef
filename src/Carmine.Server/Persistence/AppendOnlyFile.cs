using System.Text;
using Carmine.Server.Replication;

namespace Carmine.Server.Persistence;

/// <summary>Redis's aof_state: off, on, or on but waiting for the first rewrite to make a base (CONFIG SET appendonly yes).</summary>
enum AofState
{
    Off,
    On,
    WaitRewrite,
}

/// <summary>
/// Redis 7.0's multi-part AOF: in <c>dir/appenddirname</c> a base file (an RDB, or commands with
/// aof-use-rdb-preamble no), incremental files of commands, and a manifest naming them in order. It reads the
/// AOF half of the replication stream: bytes are buffered as commands emit them and written by a flusher thread,
/// fsynced every second (everysec), never (no), or before the client that caused them gets its reply (always).
/// A rewrite captures the dataset and opens a new incremental file in one all-locks moment, writes the new base
/// in the background, then swaps the manifest, so nothing stops while the base is written
/// (AppendOnlyFile.Rewrite.cs).
/// </summary>
public sealed partial class AppendOnlyFile : IStreamConsumer
{
    readonly RedisServer server;
    readonly object bufferLock = new();
    // Guards the open file and the manifest; taken after the stream's gate when both are needed.
    readonly object writeLock = new();
    byte[] buffer = new byte[64 * 1024];
    int length;
    long fedOffset, writtenOffset, durableOffset;
    long lastTimestampSec;
    FileStream? file;
    AofManifest manifest = new();
    bool manifestLoaded;
    long lastFsyncMs = Clock.NowMs();
    Thread? flusher;
    volatile bool running;
    volatile AofState state;

    public AppendOnlyFile(RedisServer server) => this.server = server;

    public PropagateTo Kind => PropagateTo.Aof;

    /// <summary>INFO's aof_enabled: on, or waiting for the rewrite that creates its first base.</summary>
    public bool Enabled => state != AofState.Off;
    public bool LastWriteOk { get; private set; } = true;
    /// <summary>DEBUG AOF-FLUSH-SLEEP: microseconds every non-empty write waits first (for tests of the fsync barrier).</summary>
    public long FlushSleepUs { get; set; }
    /// <summary>aof_current_size and aof_base_size: the files' bytes now, and at the end of the last rewrite.</summary>
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

    string ServerDir => server.Config.GetString("dir") is { Length: > 0 } d ? d : Directory.GetCurrentDirectory();
    string Dir => Path.Combine(ServerDir, server.Config.GetString("appenddirname"));
    string FileName => server.Config.GetString("appendfilename");
    string ManifestName => FileName + ".manifest";
    /// <summary>Where commands go while the first rewrite after CONFIG SET appendonly yes runs; renamed into the manifest when it succeeds.</summary>
    string TempIncrName => "temp-" + FileName + ".incr";

    /// <summary>Loads the AOF at start-up (appendonly yes); false when the server must not start.</summary>
    public bool LoadAtStartup()
    {
        string dir = Dir;
        string manifestPath = Path.Combine(dir, ManifestName);
        string oldStyle = Path.Combine(Path.GetDirectoryName(dir)!, FileName);
        manifest = new AofManifest();
        manifestLoaded = true;
        if (File.Exists(manifestPath))
        {
            try
            {
                manifest = AofManifest.Parse(File.ReadAllText(manifestPath));
            }
            catch (AofManifestException e)
            {
                LogManifestError(e);
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
        // As Redis, INFO's loading_total_bytes is the size of every file the manifest names.
        var progress = new RdbPersistence.LoadProgress(files.Sum(f => SizeOf(f.Name)), 0);
        var load = new AofLoader(server) { Progress = progress };
        server.Rdb.CurrentLoad = progress;
        try
        {
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
        }
        finally
        {
            server.Rdb.CurrentLoad = null;
        }
        if (files.Count > 0) Log.Notice($"DB loaded from append only file: {(Clock.MonotonicUs() - start) / 1e6:F3} seconds");
        Keyspace.Keyspace.SettleAfterBulkLoad();
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
            var baseInfo = NewBase(manifest, server.Config.GetBool("aof-use-rdb-preamble"));
            using (var f = new FileStream(Path.Combine(Dir, baseInfo.Name), FileMode.Create, FileAccess.Write))
                WriteBase(f, RdbFile.Live(server.Keyspace), server.Rdb.Functions, server.Config.GetBool("aof-use-rdb-preamble"), CancellationToken.None);
            Log.Notice($"Creating AOF base file {baseInfo.Name} on server start");
        }
        bool created = manifest.Incr.Count == 0;
        if (created) NewIncr(manifest);
        var last = manifest.Incr[^1];
        file = OpenIncr(last.Name, FileMode.Append);
        PersistManifest(manifest);
        Log.Notice(created ? $"Creating AOF incr file {last.Name} on server start" : $"Opening AOF incr file {last.Name} on server start");
        lock (writeLock) DeleteHistory();
        BaseSize = manifest.Base is null ? 0 : SizeOf(manifest.Base.Name);
        CurrentSize = BaseSize + manifest.Incr.Sum(f => SizeOf(f.Name));
        state = AofState.On;
        StartFlusher();
        server.Propagation.Attach(this);
        attached = true;
    }

    /// <summary>
    /// CONFIG SET appendonly yes: the AOF waits for a rewrite that writes its first base; meanwhile commands go to a
    /// temporary incremental file that becomes part of the manifest only if the rewrite succeeds.
    /// </summary>
    public string? Enable()
    {
        if (state != AofState.Off) return null;
        state = AofState.WaitRewrite;
        if (RedisServer.InsideTransaction)
        {
            // As Redis: the rewrite that opens the AOF starts after the transaction, from the cron.
            RewriteScheduled = true;
            Log.Warning("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.");
            return null;
        }
        if (server.Rdb.BgsaveInProgress)
        {
            // As Redis, which cannot run two children: the rewrite that opens the AOF starts when the BGSAVE ends.
            RewriteScheduled = true;
            Log.Warning("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
            return null;
        }
        if (RewriteInProgress)
        {
            // That rewrite feeds no incremental file, so it cannot start the AOF.
            Log.Warning("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
            KillRewrite();
        }
        if (StartRewrite() is { } error)
        {
            state = AofState.Off;
            Log.Warning("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
            return error;
        }
        return null;
    }

    /// <summary>CONFIG SET appendonly no: a running rewrite is stopped, what is buffered is written and synced, and the AOF stops reading the stream.</summary>
    public void Disable()
    {
        if (state == AofState.Off) return;
        RewriteScheduled = false;
        KillRewrite();
        bool waiting = state == AofState.WaitRewrite;
        lock (server.Propagation.Gate)
        {
            server.Propagation.Detach(this);
            attached = false;
            state = AofState.Off;
        }
        running = false;
        flusher?.Join();
        flusher = null;
        lock (writeLock)
        {
            WriteOut(sync: true);
            file?.Dispose();
            file = null;
        }
        // Without its rewrite, what the temporary file gathered belongs to no base.
        if (waiting) TryDelete(Path.Combine(Dir, TempIncrName));
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
        if (running) return;
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

    /// <summary>Writes everything buffered and syncs it (SHUTDOWN, DEBUG LOADAOF).</summary>
    public void FlushAndSync()
    {
        lock (writeLock) WriteOut(sync: true);
    }

    /// <summary>
    /// DEBUG LOADAOF: the dataset is emptied and read back from the files the manifest on disk names; as in Redis the
    /// manifest is read again and its history files are removed. Caller holds every lock.
    /// </summary>
    public bool Reload()
    {
        FlushAndSync();
        foreach (var db in server.Keyspace.Databases) db.Clear();
        var files = new List<AofFileInfo>();
        lock (writeLock)
        {
            if (ReadManifest() is not { } onDisk) return false;
            manifest = onDisk;
            manifestLoaded = true;
            DeleteHistory();
            if (manifest.Base is not null) files.Add(manifest.Base);
            files.AddRange(manifest.Incr);
        }
        if (files.Count == 0) return false;
        var load = new AofLoader(server);
        for (int i = 0; i < files.Count; i++)
            if (load.LoadFile(Path.Combine(Dir, files[i].Name), files[i].Name, isLast: i == files.Count - 1) == AofLoadResult.Failed) return false;
        Keyspace.Keyspace.SettleAfterBulkLoad();
        return true;
    }

    /// <summary>The manifest in the AOF directory, an empty one when there is none, null (logged) when it cannot be used.</summary>
    /// <summary>
    /// Start-up with appendonly no: as Redis, the manifest is read all the same (a damaged one stops the server) and the
    /// history files it names are removed. False when the server must not start.
    /// </summary>
    public bool ReadManifestAtStartup()
    {
        if (ReadManifest() is not { } read) return false;
        manifest = read;
        manifestLoaded = true;
        lock (writeLock) DeleteHistory();
        return true;
    }

    AofManifest? ReadManifest()
    {
        string path = Path.Combine(Dir, ManifestName);
        if (!File.Exists(path)) return new AofManifest();
        try
        {
            return AofManifest.Parse(File.ReadAllText(path));
        }
        catch (AofManifestException e)
        {
            LogManifestError(e);
            return null;
        }
    }

    static void LogManifestError(AofManifestException e)
    {
        Log.Warning("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
        Log.Warning($"Reading the manifest file, at line {e.Line}\n");
        Log.Warning($">>> '{e.Text}'\n");
        Log.Warning($"{e.Message}\n");
    }
}
