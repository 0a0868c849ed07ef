using System.Text;

namespace Carmine.Server.Persistence;

/// <summary>
/// The AOF rewrite (BGREWRITEAOF, auto-aof-rewrite-percentage, CONFIG SET appendonly yes), as Redis 7.0's
/// rewriteAppendOnlyFileBackground and backgroundRewriteDoneHandler, with a thread where Redis forks a child:
/// the new base is written to temp-rewriteaof-bg-PID.aof in dir, renamed into the AOF directory, and the files it
/// replaces become history in the manifest, deleted in the background unless aof-disable-auto-gc is on.
/// </summary>
public sealed partial class AppendOnlyFile
{
    enum RewriteOutcome
    {
        Written,
        Failed,
        Killed,
    }

    readonly object stateLock = new();
    readonly AofRewriteLimit rewriteLimit = new();
    long rewriteStartMs;
    CancellationTokenSource? rewriteCancel;
    ManualResetEventSlim? rewriteDone;
    // The running rewrite has its snapshot (it waits for no lock any more but shard locks, which a kill interrupts).
    bool rewriteCaptured;
    bool attached;

    public bool RewriteInProgress { get; private set; }
    public bool RewriteScheduled { get; private set; }
    /// <summary>INFO's aof_rewrites: rewrites started, as Redis counts them.</summary>
    public long Rewrites { get; private set; }
    public long RewritesConsecutiveFailures { get; private set; }
    public bool LastRewriteOk { get; private set; } = true;
    public long LastRewriteSec { get; private set; } = -1;
    public long CurrentRewriteSec => RewriteInProgress ? (Clock.NowMs() - rewriteStartMs) / 1000 : -1;

    /// <summary>Keys the running rewrite has written, and its snapshot's keys: INFO's current_save_keys_* while it runs.</summary>
    public long RewriteKeysProcessed;
    public long RewriteKeysTotal { get; private set; }
    Snapshot? rewriteSnapshot;
    /// <summary>The running rewrite's copy-on-write figure (<see cref="Snapshot.CopiedBytes"/>), 0 when none runs.</summary>
    public long CurrentCowBytes => RewriteInProgress ? rewriteSnapshot?.CopiedBytes ?? 0 : 0;
    /// <summary>The copy-on-write figure of the last rewrite when it ended (INFO's aof_last_cow_size).</summary>
    public long LastCowBytes { get; private set; }

    /// <summary>
    /// BGREWRITEAOF during a BGSAVE or a transaction: the cron starts it when it can. Asked for by hand, it is not
    /// held back by the limit on failed rewrites, so the failure count starts again.
    /// </summary>
    public void ScheduleRewrite()
    {
        lock (stateLock)
        {
            RewriteScheduled = true;
            RewritesConsecutiveFailures = 0;
        }
    }

    /// <summary>Starts a rewrite; null when started, else the error to reply.</summary>
    public string? StartRewrite()
    {
        var cancel = new CancellationTokenSource();
        var done = new ManualResetEventSlim();
        lock (stateLock)
        {
            if (RewriteInProgress) return "ERR Background append only file rewriting already in progress";
            RewriteInProgress = true;
            rewriteStartMs = Clock.NowMs();
            rewriteCancel = cancel;
            rewriteDone = done;
        }
        bool rdbPreamble = server.Config.GetBool("aof-use-rdb-preamble");
        bool enabling = false;
        long keepFromSeq = long.MaxValue;
        IReadOnlyList<byte[]> functions = [];
        Snapshot snapshot;
        try
        {
            lock (writeLock) EnsureManifest();
            Directory.CreateDirectory(Dir);
            // One all-locks moment: the snapshot's start and the switch to a new incremental file, so the new base plus
            // the files from here on are exactly the dataset.
            snapshot = Snapshot.Start(server.Keyspace, () =>
            {
                functions = server.Rdb.Functions;
                lock (server.Propagation.Gate)
                {
                    enabling = state == AofState.WaitRewrite;
                    lock (writeLock) keepFromSeq = OpenNewIncrForAppend();
                }
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warning($"Can't open the append-only file: {e.Message}");
            lock (stateLock)
            {
                LastRewriteOk = false;
                RewriteInProgress = false;
            }
            done.Set();
            return "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.";
        }
        lock (stateLock)
        {
            Rewrites++;
            RewriteScheduled = false;
            rewriteCaptured = true;
        }
        rewriteSnapshot = snapshot;
        RewriteKeysTotal = snapshot.KeyCount;
        Interlocked.Exchange(ref RewriteKeysProcessed, 0);
        Log.Notice("Background append only file rewriting started");
        var thread = new Thread(() => RunRewrite(snapshot, functions, rdbPreamble, enabling, keepFromSeq, cancel.Token)) { IsBackground = true, Name = "carmine-aofrw" };
        thread.Start();
        return null;
    }

    /// <summary>
    /// Where commands go during the rewrite. AOF on: a new incremental file, recorded in the manifest now. Waiting for
    /// the first base: the temporary incremental file, which the stream starts feeding now. Off: nowhere.
    /// Returns the sequence number from which incremental files hold writes the new base will not have.
    /// Caller holds the stream's gate and writeLock.
    /// </summary>
    long OpenNewIncrForAppend()
    {
        if (state == AofState.Off) return long.MaxValue;
        if (state == AofState.WaitRewrite)
        {
            var temp = OpenIncr(TempIncrName, FileMode.Create);
            Log.Notice($"Creating AOF incr file {TempIncrName} on background rewrite");
            file?.Dispose();
            file = temp;
            if (!attached) server.Propagation.Attach(this);
            attached = true;
            StartFlusher();
            return long.MaxValue;
        }
        var next = manifest.Clone();
        var incr = NewIncr(next);
        var opened = OpenIncr(incr.Name, FileMode.Create);
        try
        {
            PersistManifest(next);
        }
        catch
        {
            opened.Dispose();
            throw;
        }
        Log.Notice($"Creating AOF incr file {incr.Name} on background rewrite");
        // What was fed until now belongs to the old files; what follows goes to the new one, which starts with a SELECT.
        WriteOut(sync: true);
        file?.Dispose();
        file = opened;
        manifest = next;
        server.Propagation.ResetAofSelection();
        return incr.Seq;
    }

    void RunRewrite(Snapshot snapshot, IReadOnlyList<byte[]> functions, bool rdbPreamble, bool enabling, long keepFromSeq, CancellationToken cancel)
    {
        BackgroundPriority.Lower();
        string tempName = $"temp-rewriteaof-bg-{Environment.ProcessId}.aof";
        string temp = Path.Combine(ServerDir, tempName);
        var outcome = WriteTempBase(temp, snapshot, functions, rdbPreamble, cancel);
        if (outcome == RewriteOutcome.Written)
        {
            Log.Notice($"Successfully created the temporary AOF base file {tempName}");
            Log.Notice("Background AOF rewrite terminated with success");
            if (!InstallRewrite(temp, tempName, rdbPreamble, enabling, keepFromSeq))
            {
                TryDelete(temp);
                outcome = RewriteOutcome.Failed;
            }
        }
        else if (outcome == RewriteOutcome.Failed) Log.Warning("Background AOF rewrite terminated with error");
        EndRewrite(outcome, enabling);
    }

    RewriteOutcome WriteTempBase(string temp, Snapshot snapshot, IReadOnlyList<byte[]> functions, bool rdbPreamble, CancellationToken cancel)
    {
        try
        {
            FileStream output;
            try
            {
                output = new FileStream(temp, FileMode.Create, FileAccess.Write);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.Warning($"Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): {e.Message}");
                return RewriteOutcome.Failed;
            }
            using (output) WriteBase(output, snapshot.Sections(cancel), functions, rdbPreamble, cancel);
            return RewriteOutcome.Written;
        }
        catch (OperationCanceledException)
        {
            TryDelete(temp);
            return RewriteOutcome.Killed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warning($"Write error writing append only file on disk: {e.Message}");
            TryDelete(temp);
            return RewriteOutcome.Failed;
        }
        finally
        {
            LastCowBytes = snapshot.CopiedBytes;
            snapshot.Dispose();
        }
    }

    /// <summary>
    /// The new base takes its place in the manifest (backgroundRewriteDoneHandler): the old base and the incremental
    /// files it covers become history, and a rewrite that enabled the AOF turns its temporary file into the first
    /// incremental file. False when a rename or the manifest cannot be written; nothing changes then.
    /// </summary>
    bool InstallRewrite(string temp, string tempName, bool rdbPreamble, bool enabling, long keepFromSeq)
    {
        lock (writeLock)
        {
            var next = manifest.Clone();
            var newBase = NewBase(next, rdbPreamble);
            string basePath = Path.Combine(Dir, newBase.Name);
            if (TryMove(temp, basePath) is { } baseError)
            {
                Log.Warning($"Error trying to rename the temporary AOF base file {tempName} into {basePath}: {baseError}");
                return false;
            }
            Log.Notice($"Successfully renamed the temporary AOF base file {tempName} into {newBase.Name}");
            string? incrPath = null;
            if (enabling)
            {
                var incr = NewIncr(next);
                keepFromSeq = incr.Seq;
                incrPath = Path.Combine(Dir, incr.Name);
                if (TryMove(Path.Combine(Dir, TempIncrName), incrPath) is { } incrError)
                {
                    Log.Warning($"Error trying to rename the temporary AOF incr file {TempIncrName} into {incr.Name}: {incrError}");
                    TryDelete(basePath);
                    return false;
                }
                Log.Notice($"Successfully renamed the temporary AOF incr file {TempIncrName} into {incr.Name}");
            }
            MarkRewrittenIncrAsHistory(next, keepFromSeq);
            try
            {
                PersistManifest(next);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.Warning($"Error trying to write the temporary AOF manifest file: {e.Message}");
                TryDelete(basePath);
                if (incrPath is not null) TryDelete(incrPath);
                return false;
            }
            manifest = next;
            if (state != AofState.Off)
            {
                CurrentSize = SizeOf(newBase.Name) + manifest.Incr.Sum(f => SizeOf(f.Name));
                BaseSize = CurrentSize;
            }
            DeleteHistory();
            Log.Notice("Background AOF rewrite finished successfully");
            if (enabling) state = AofState.On;
        }
        return true;
    }

    /// <summary>
    /// The end of a rewrite, however it went. A failed rewrite that was to enable the AOF drops its temporary file
    /// and what the stream fed it, and is scheduled again (subject to the limit on failures). A killed one (CONFIG SET
    /// appendonly) leaves the statistics alone, as Redis's SIGUSR1 does.
    /// </summary>
    void EndRewrite(RewriteOutcome outcome, bool enabling)
    {
        bool retry = outcome == RewriteOutcome.Failed && enabling;
        if (retry)
        {
            lock (server.Propagation.Gate)
            {
                server.Propagation.Detach(this);
                attached = false;
                lock (writeLock)
                {
                    file?.Dispose();
                    file = null;
                    DiscardBuffer();
                }
            }
            Log.Notice($"Removing the temp incr aof file {TempIncrName} in the background");
            string path = Path.Combine(Dir, TempIncrName);
            Task.Run(() => TryDelete(path));
        }
        lock (stateLock)
        {
            if (outcome != RewriteOutcome.Killed)
            {
                LastRewriteOk = outcome == RewriteOutcome.Written;
                RewritesConsecutiveFailures = LastRewriteOk ? 0 : RewritesConsecutiveFailures + 1;
                LastRewriteSec = (Clock.NowMs() - rewriteStartMs) / 1000;
            }
            if (retry) RewriteScheduled = true;
            RewriteInProgress = false;
            rewriteCaptured = false;
            rewriteDone!.Set();
        }
    }

    /// <summary>
    /// Stops a running rewrite and waits for its thread to clean up, as Redis kills its rewrite child. A rewrite still
    /// starting waits for every lock, which a transaction holds: it is only told to stop, and stops at its first key.
    /// </summary>
    void KillRewrite()
    {
        CancellationTokenSource cancel;
        ManualResetEventSlim done;
        bool captured;
        lock (stateLock)
        {
            if (!RewriteInProgress) return;
            cancel = rewriteCancel!;
            done = rewriteDone!;
            captured = rewriteCaptured;
        }
        Log.Notice($"Killing running AOF rewrite child: {Environment.ProcessId}");
        cancel.Cancel();
        if (captured || !RedisServer.InsideTransaction) done.Wait();
    }

    /// <summary>
    /// SHUTDOWN: a running rewrite is stopped, as the files it would replace hold the dataset too; but while the
    /// first base of a just-enabled AOF is written there are no such files, so only FORCE exits then.
    /// </summary>
    public bool PrepareShutdown(bool force)
    {
        if (!RewriteInProgress) return true;
        if (state == AofState.WaitRewrite)
        {
            if (!force)
            {
                Log.Warning("Writing initial AOF, can't exit.");
                return false;
            }
            Log.Warning("Writing initial AOF. Exit anyway.");
        }
        Log.Warning("There is a child rewriting the AOF. Killing it!");
        KillRewrite();
        return true;
    }

    /// <summary>Scheduled rewrites and auto-aof-rewrite-percentage / -min-size: called from the cron.</summary>
    public void Cron()
    {
        // As Redis, which runs one child at a time: nothing starts while a rewrite or a BGSAVE runs.
        if (RewriteInProgress || server.Rdb.BgsaveInProgress) return;
        long now = Clock.NowMs() / 1000;
        if (RewriteScheduled)
        {
            if (!rewriteLimit.IsLimited(RewritesConsecutiveFailures, now)) StartRewrite();
            return;
        }
        if (state != AofState.On) return;
        long percentage = server.Config.GetLong("auto-aof-rewrite-percentage");
        if (percentage == 0 || CurrentSize <= server.Config.GetLong("auto-aof-rewrite-min-size")) return;
        long growth = CurrentSize * 100 / (BaseSize == 0 ? 1 : BaseSize) - 100;
        if (growth >= percentage && !rewriteLimit.IsLimited(RewritesConsecutiveFailures, now))
        {
            Log.Notice($"Starting automatic rewriting of AOF on {growth}% growth");
            StartRewrite();
        }
    }

    /// <summary>CONFIG SET aof-disable-auto-gc: turning it off removes the history files kept meanwhile.</summary>
    public string? ApplyAutoGc()
    {
        lock (writeLock) DeleteHistory();
        return null;
    }

    /// <summary>Writes a base file; rdb-key-save-delay slows it per key (for tests), and a kill stops it at once.</summary>
    void WriteBase(FileStream output, IEnumerable<DbSection> dbs, IReadOnlyList<byte[]> functions, bool rdbPreamble, CancellationToken cancel)
    {
        long delayUs = server.Config.GetLong("rdb-key-save-delay");
        void PerKey()
        {
            cancel.ThrowIfCancellationRequested();
            Interlocked.Increment(ref RewriteKeysProcessed);
            DebugDelay.Sleep(delayUs, cancel);
            cancel.ThrowIfCancellationRequested();
        }
        if (rdbPreamble) RdbFile.Write(output, dbs, server.Rdb.WriteOptions with { Functions = functions, AofBase = true, PerKey = PerKey });
        else
        {
            // A base of commands opens with a timestamp annotation, as Redis's rewrite writes one.
            if (server.Config.GetBool("aof-timestamp-enabled")) output.Write(Encoding.ASCII.GetBytes($"#TS:{Clock.NowMs() / 1000}\r\n"));
            AofRewriter.Write(output, dbs, functions, PerKey);
        }
        output.Flush(flushToDisk: true);
    }

    /// <summary>Makes a new base the manifest's, the old one becoming the newest history file.</summary>
    AofFileInfo NewBase(AofManifest m, bool rdbPreamble)
    {
        if (m.Base is not null) m.History.Insert(0, m.Base with { Type = 'h' });
        long seq = ++m.BaseSeq;
        m.Base = new AofFileInfo($"{FileName}.{seq}.base{(rdbPreamble ? ".rdb" : ".aof")}", seq, 'b');
        return m.Base;
    }

    AofFileInfo NewIncr(AofManifest m)
    {
        long seq = ++m.IncrSeq;
        var incr = new AofFileInfo($"{FileName}.{seq}.incr.aof", seq, 'i');
        m.Incr.Add(incr);
        return incr;
    }

    /// <summary>
    /// The incremental files a new base covers (those opened before the rewrite began: all but the one being written,
    /// or all with the AOF off) become history, ahead of older history and in their own order.
    /// </summary>
    static void MarkRewrittenIncrAsHistory(AofManifest m, long keepFromSeq)
    {
        int covered = m.Incr.Count(f => f.Seq < keepFromSeq);
        for (int i = covered - 1; i >= 0; i--) m.History.Insert(0, m.Incr[i] with { Type = 'h' });
        m.Incr.RemoveRange(0, covered);
    }

    /// <summary>
    /// Removes the history files in the background and drops them from the manifest, unless aof-disable-auto-gc
    /// keeps them. Caller holds writeLock.
    /// </summary>
    void DeleteHistory()
    {
        if (manifest.History.Count == 0 || server.Config.GetBool("aof-disable-auto-gc")) return;
        var paths = new List<string>();
        foreach (var h in manifest.History)
        {
            Log.Notice($"Removing the history file {h.Name} in the background");
            paths.Add(Path.Combine(Dir, h.Name));
        }
        Task.Run(() => paths.ForEach(TryDelete));
        manifest.History.Clear();
        try
        {
            PersistManifest(manifest);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warning($"Error trying to write the temporary AOF manifest file: {e.Message}");
        }
    }

    /// <summary>The manifest on disk, read once for a server started with the AOF off. Caller holds writeLock.</summary>
    void EnsureManifest()
    {
        if (manifestLoaded) return;
        manifest = ReadManifest() ?? new AofManifest();
        manifestLoaded = true;
    }

    /// <summary>Drops what the stream fed and nothing will write; waiters for it go on. Caller holds writeLock.</summary>
    void DiscardBuffer()
    {
        lock (bufferLock)
        {
            length = 0;
            Volatile.Write(ref writtenOffset, fedOffset);
            Volatile.Write(ref durableOffset, fedOffset);
        }
    }

    FileStream OpenIncr(string name, FileMode mode) =>
        new(Path.Combine(Dir, name), mode, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);

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
            f.Write(Encoding.UTF8.GetBytes(m.ToString()));
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, Path.Combine(Dir, ManifestName), overwrite: true);
    }

    /// <summary>Null on success, else why the rename failed.</summary>
    static string? TryMove(string from, string to)
    {
        try
        {
            File.Move(from, to, overwrite: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }

    static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warning($"Removing {Path.GetFileName(path)} failed: {e.Message}");
        }
    }
}
