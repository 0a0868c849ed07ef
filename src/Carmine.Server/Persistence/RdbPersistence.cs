namespace Carmine.Server.Persistence;

/// <summary>
/// The server's RDB state and actions: SAVE, BGSAVE, the `save` points checked by the cron, loading at
/// start-up, and what INFO persistence reports. See docs/snapshots.md for how BGSAVE works without fork.
/// </summary>
public sealed class RdbPersistence(RedisServer server)
{
    /// <summary>Redis waits this long before retrying an automatic BGSAVE that failed (CONFIG_BGSAVE_RETRY_DELAY).</summary>
    const long RetryDelayMs = 5000;

    readonly object gate = new();
    long dirtyAtLastSave;
    long lastBgsaveTryMs;
    long bgsaveStartMs;
    volatile bool bgsaveInProgress;
    CancellationTokenSource? bgsaveCancel;
    bool bgsaveScheduled;
    Snapshot? bgsaveSnapshot;

    public long LastSaveUnix { get; private set; } = Clock.NowMs() / 1000;
    public bool LastBgsaveOk { get; private set; } = true;
    public long LastBgsaveDurationSec { get; private set; } = -1;
    public long Saves { get; private set; }
    public long KeysProcessed;
    public long KeysTotal { get; private set; }
    public long LastLoadKeysLoaded { get; private set; }
    public long LastLoadKeysExpired { get; private set; }
    public long LastLoadEmptyKeysSkipped { get; private set; }
    public bool BgsaveInProgress => bgsaveInProgress;
    /// <summary>The running BGSAVE's copy-on-write figure (see <see cref="Snapshot.CopiedBytes"/>), 0 when none runs.</summary>
    public long CurrentCowBytes => bgsaveInProgress ? bgsaveSnapshot?.CopiedBytes ?? 0 : 0;
    /// <summary>The copy-on-write figure of the last BGSAVE when it ended (INFO's rdb_last_cow_size).</summary>
    public long LastCowBytes { get; private set; }
    public long CurrentBgsaveSec => bgsaveInProgress ? (Clock.NowMs() - bgsaveStartMs) / 1000 : -1;

    long TotalDirty => server.Stats.Sum(t => t.Dirty);

    public long ChangesSinceLastSave => TotalDirty - dirtyAtLastSave;

    public string FilePath => Path.Combine(server.Config.GetString("dir") is { Length: > 0 } d ? d : Directory.GetCurrentDirectory(), server.Config.GetString("dbfilename"));

    /// <summary>Whether writes get MISCONF: the last background save failed and stop-writes-on-bgsave-error is on.</summary>
    public bool DeniesWrites =>
        !LastBgsaveOk && server.Config.GetBool("stop-writes-on-bgsave-error") && server.Config.GetString("save").Length > 0;

    public const string MisconfError = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

    public bool Compress => server.Config.GetBool("rdbcompression");
    public bool Checksum => server.Config.GetBool("rdbchecksum");

    /// <summary>How this server writes RDB files now: rdbcompression and rdbchecksum.</summary>
    /// <summary>How this server writes an RDB now: compression, checksum and the function libraries loaded.</summary>
    public RdbWriteOptions WriteOptions => new(Compress, Checksum) { Functions = Functions };

    /// <summary>The function libraries a snapshot holds (none when scripting was never used).</summary>
    public IReadOnlyList<byte[]> Functions => server.ScriptsIfStarted?.LibraryCodes ?? [];

    /// <summary>The temporary file of a SAVE, named as Redis names it (temp-PID.rdb) until it is renamed over dbfilename.</summary>
    public string SaveTempFile => $"temp-{Environment.ProcessId}.rdb";

    /// <summary>
    /// SAVE: writes the dataset from the live keyspace, rdb-key-save-delay pausing after each key as in every Redis
    /// save; the caller holds every lock (an exclusive command).
    /// </summary>
    public bool Save()
    {
        long dirty = TotalDirty;
        try
        {
            long delayUs = server.Config.GetLong("rdb-key-save-delay");
            var options = WriteOptions with { PerKey = delayUs == 0 ? null : () => DebugDelay.Sleep(delayUs) };
            RdbFile.SaveToPath(FilePath, fs => RdbFile.Write(fs, RdbFile.Live(server.Keyspace), options), SaveTempFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            Log.Warning($"Failed saving the DB: {e.Message}");
            return false;
        }
        Log.Notice("DB saved on disk");
        lock (gate)
        {
            dirtyAtLastSave = dirty;
            LastSaveUnix = Clock.NowMs() / 1000;
            LastBgsaveOk = true;
            Saves++;
        }
        return true;
    }

    /// <summary>
    /// BGSAVE: starts a snapshot (a moment with every lock held that only marks the shards) and writes it on a
    /// background thread while commands run. False if a background save is already running.
    /// </summary>
    public bool StartBackgroundSave()
    {
        var cancel = new CancellationTokenSource();
        long dirty = 0;
        bool started = false;
        IReadOnlyList<byte[]> functions = [];
        // Claimed inside the all-locks moment, so a FLUSHALL (which holds every lock) sees a save either not
        // started or started with its cancellation in place.
        var snapshot = Snapshot.Start(server.Keyspace, () =>
        {
            lock (gate)
            {
                if (bgsaveInProgress) return;
                started = bgsaveInProgress = true;
                bgsaveCancel = cancel;
                bgsaveScheduled = false;
            }
            dirty = TotalDirty;
            functions = Functions;
        });
        if (!started)
        {
            snapshot.Dispose();
            return false;
        }
        bgsaveStartMs = lastBgsaveTryMs = snapshot.StartedAtMs;
        bgsaveSnapshot = snapshot;
        KeysTotal = snapshot.KeyCount;
        Interlocked.Exchange(ref KeysProcessed, 0);
        long delayUs = server.Config.GetLong("rdb-key-save-delay");
        var options = WriteOptions with
        {
            Functions = functions,
            PerKey = () =>
            {
                Interlocked.Increment(ref KeysProcessed);
                cancel.Token.ThrowIfCancellationRequested();
                DebugDelay.Sleep(delayUs, cancel.Token);
            },
        };
        string path = FilePath;
        Log.Notice("Background saving started");
        var thread = new Thread(() => RunBackgroundSave(snapshot, dirty, path, options, cancel.Token))
        {
            IsBackground = true,
            Name = "carmine-bgsave",
        };
        thread.Start();
        return true;
    }

    void RunBackgroundSave(Snapshot snapshot, long dirty, string path, RdbWriteOptions options, CancellationToken cancel)
    {
        BackgroundPriority.Lower();
        bool ok;
        try
        {
            RdbFile.SaveToPath(path, fs => snapshot.WriteRdb(fs, options, cancel));
            ok = true;
            Log.Notice("Background saving terminated with success");
        }
        catch (OperationCanceledException)
        {
            ok = false;
            Log.Warning("Background saving terminated by signal 10");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            ok = false;
            Log.Warning($"Write error saving DB on disk: {e.Message}");
            Log.Warning("Background saving error");
        }
        finally
        {
            snapshot.Dispose();
        }
        lock (gate)
        {
            LastBgsaveDurationSec = (Clock.NowMs() - bgsaveStartMs) / 1000;
            LastCowBytes = snapshot.CopiedBytes;
            // An aborted save (FLUSHALL) is not an error that stops writes, as with Redis's killed child.
            if (ok)
            {
                dirtyAtLastSave = dirty;
                LastSaveUnix = Clock.NowMs() / 1000;
                Saves++;
                LastBgsaveOk = true;
            }
            else if (!cancel.IsCancellationRequested) LastBgsaveOk = false;
            bgsaveInProgress = false;
        }
    }

    /// <summary>
    /// Stops a background save in progress (FLUSHALL, DEBUG RELOAD); its file is not written. The caller may hold
    /// every lock: a cancelled saver stops waiting for them.
    /// </summary>
    public void AbortBackgroundSave()
    {
        CancellationTokenSource? cancel;
        lock (gate) cancel = bgsaveInProgress ? bgsaveCancel : null;
        if (cancel is null) return;
        cancel.Cancel();
        while (bgsaveInProgress) Thread.Sleep(1);
    }

    /// <summary>BGSAVE SCHEDULE while one runs: start another when it ends.</summary>
    public void Schedule()
    {
        lock (gate) bgsaveScheduled = true;
    }

    /// <summary>The cron's check: a scheduled save, or a `save` point whose seconds and changes are both reached.</summary>
    public void Cron()
    {
        if (bgsaveInProgress) return;
        long now = Clock.NowMs();
        bool start;
        lock (gate) start = bgsaveScheduled;
        if (!start)
        {
            long changes = ChangesSinceLastSave;
            var parts = server.Config.GetString("save").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i + 1 < parts.Length && !start; i += 2)
            {
                if (!long.TryParse(parts[i], out long seconds) || !long.TryParse(parts[i + 1], out long needed)) continue;
                start = changes >= needed && now / 1000 - LastSaveUnix > seconds && (LastBgsaveOk || now - lastBgsaveTryMs > RetryDelayMs);
                if (start) Log.Notice($"{needed} changes in {seconds} seconds. Saving...");
            }
        }
        if (start) StartBackgroundSave();
    }

    /// <summary>The RDB or AOF being read (start-up, DEBUG RELOAD, a replica's full sync), for INFO's loading_* fields; null when none.</summary>
    public LoadProgress? CurrentLoad { get; internal set; }

    /// <summary>How far an RDB load has read, and key-load-delay's pause after each key.</summary>
    public sealed class LoadProgress(long totalBytes, long keyDelayUs) : IRdbLoadObserver
    {
        long loadedBytes, rdbUsedMem;

        public long TotalBytes { get; } = totalBytes;
        public long LoadedBytes => Volatile.Read(ref loadedBytes);
        /// <summary>The used-mem aux field of the file: the memory of the server that wrote it.</summary>
        public long RdbUsedMem => Volatile.Read(ref rdbUsedMem);

        public void Aux(string name, string value)
        {
            if (name == "used-mem" && long.TryParse(value, out long mem)) Volatile.Write(ref rdbUsedMem, mem);
        }

        public void KeyRead(long bytesRead)
        {
            Advance(bytesRead);
            DebugDelay.Sleep(keyDelayUs);
        }

        /// <summary>Records that <paramref name="bytesRead"/> bytes of the whole load were read.</summary>
        public void Advance(long bytesRead) => Volatile.Write(ref loadedBytes, bytesRead);
    }

    /// <summary>Reads the dataset file at start-up; false (after logging why) when the server must not start.</summary>
    public bool LoadAtStartup()
    {
        string path = FilePath;
        if (!File.Exists(path)) return true;
        long start = Clock.MonotonicUs();
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warning($"Fatal error loading the DB: {e.Message}. Exiting.");
            return false;
        }
        if (data.Length == 0) return true;
        try
        {
            Load(data);
        }
        catch (RdbFormatException e)
        {
            Log.Warning($"Internal error in RDB reading offset {e.Offset} -> {e.Reason}");
            Log.Warning($"Fatal error loading the DB: {e.Reason} at offset {e.Offset} of {path}. Exiting.");
            Log.Warning("Terminating server after rdb file reading failure.");
            return false;
        }
        if (LastLoadEmptyKeysSkipped > 0)
            Log.Warning($"Done loading RDB, keys loaded: {LastLoadKeysLoaded}, keys expired: {LastLoadKeysExpired}, empty keys skipped: {LastLoadEmptyKeysSkipped}.");
        else Log.Notice($"Done loading RDB, keys loaded: {LastLoadKeysLoaded}, keys expired: {LastLoadKeysExpired}.");
        Log.Notice($"DB loaded from disk: {(Clock.MonotonicUs() - start) / 1e6:F3} seconds");
        return true;
    }

    /// <summary>
    /// Parses a whole file, then replaces the keyspace and function libraries with it (or, without
    /// <paramref name="flush"/>, adds to them: a library of an existing name is an error unless <paramref name="merge"/>);
    /// the caller holds every lock or runs before clients connect.
    /// </summary>
    public void Load(byte[] data, bool flush = true, bool merge = false)
    {
        var progress = new LoadProgress(data.Length, server.Config.GetLong("key-load-delay"));
        CurrentLoad = progress;
        LoadedDataset loaded;
        try
        {
            loaded = RdbFile.Read(data, RdbLoadLimits.From(server.Config), Checksum, Clock.NowMs(), server.Keyspace.Count, progress);
        }
        finally
        {
            CurrentLoad = null;
        }
        if ((loaded.Functions.Count > 0 || (flush && server.ScriptsIfStarted is not null))
            && server.Scripts.RestoreLibraries(loaded.Functions, flush, merge, quotedCollision: true) is { } error)
            throw new RdbFormatException("Failed loading library, " + error, 0);
        if (flush)
            foreach (var db in server.Keyspace.Databases) db.Clear();
        RdbFile.Install(server.Keyspace, loaded);
        Keyspace.Keyspace.SettleAfterBulkLoad();
        LastLoadKeysLoaded = loaded.KeysLoaded;
        LastLoadKeysExpired = loaded.KeysExpired;
        LastLoadEmptyKeysSkipped = loaded.EmptyKeysSkipped;
        lock (gate)
        {
            dirtyAtLastSave = TotalDirty;
            LastSaveUnix = Clock.NowMs() / 1000;
        }
    }
}
