namespace Carmine.Server;

public sealed partial class RedisServer
{
    /// <summary>
    /// What SHUTDOWN and a shutdown signal do before the exit (Redis's prepareForShutdown): a running BGSAVE is
    /// abandoned and the dataset saved when save points are set (unless <paramref name="nosave"/>) or when
    /// <paramref name="save"/> asks. False, after logging why, when the save failed and <paramref name="force"/> was
    /// not given: the server then keeps running.
    /// </summary>
    public bool PrepareForShutdown(bool nosave, bool save, bool force)
    {
        Log.Warning("User requested shutdown...");
        if (!Aof.PrepareShutdown(force))
        {
            Log.Warning("Errors trying to shut down the server. Check the logs for more information.");
            return false;
        }
        bool saveParams = Config.GetString("save").Length > 0;
        if ((saveParams && !nosave) || save)
        {
            Log.Notice("Saving the final RDB snapshot before exiting.");
            Rdb.AbortBackgroundSave();
            bool saved;
            Keyspace.LockAll();
            try { saved = Rdb.Save(); }
            finally { Keyspace.UnlockAll(); }
            if (!saved && force) Log.Warning("Error trying to save the DB. Exit anyway.");
            else if (!saved)
            {
                Log.Warning("Error trying to save the DB, can't exit.");
                Log.Warning("Errors trying to shut down the server. Check the logs for more information.");
                return false;
            }
        }
        if (Config.GetString("unixsocket").Length > 0) Log.Notice("Removing the unix socket file.");
        return true;
    }

    /// <summary>The signal whose shutdown the cron has yet to carry out (Redis's shutdown_asap), or null.</summary>
    volatile string? shutdownSignal;

    /// <summary>
    /// SIGTERM or SIGINT: the cron shuts down as SHUTDOWN would, with the flags of shutdown-on-sigterm or
    /// shutdown-on-sigint ("default" saves when save points are set), as Redis's cron does once the signal arrived.
    /// A second SIGINT before the shutdown ended exits at once, removing a SAVE's temporary file; while the dataset
    /// loads, the server exits without saving.
    /// </summary>
    public void ShutdownOnSignal(string signal)
    {
        if (shutdownSignal is not null && signal == "SIGINT")
        {
            Log.Warning("You insist... exiting now.");
            try { File.Delete(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Rdb.FilePath)) ?? ".", Rdb.SaveTempFile)); }
            catch (IOException) { }
            Environment.Exit(1);
        }
        if (Loading)
        {
            // A half-loaded dataset is not saved.
            Log.Warning("Received shutdown signal during loading, scheduling shutdown.");
            PrepareForShutdown(nosave: true, save: false, force: false);
            CloseListeners();
            string unix = Config.GetString("unixsocket");
            if (unix.Length > 0) File.Delete(unix);
            Log.Notice("Carmine is now ready to exit, bye bye...");
            Environment.Exit(0);
        }
        Log.Warning($"Received {signal} scheduling shutdown...");
        shutdownSignal = signal;
    }

    /// <summary>The cron's part of a signal's shutdown; a failed one (the save failed) leaves the server running.</summary>
    void ShutdownCron()
    {
        if (shutdownSignal is not { } signal) return;
        var flags = Config.GetString(signal == "SIGINT" ? "shutdown-on-sigint" : "shutdown-on-sigterm").Split(' ');
        if (PrepareForShutdown(flags.Contains("nosave"), flags.Contains("save"), flags.Contains("force"))) RequestShutdown();
        else shutdownSignal = null;
    }

    /// <summary>SHUTDOWN ABORT: cancels a signal's shutdown the cron has not carried out yet; false when there is none.</summary>
    public bool AbortShutdown()
    {
        if (shutdownSignal is null) return false;
        shutdownSignal = null;
        Log.Notice("Shutdown manually aborted.");
        return true;
    }
}
