namespace Carmine.Cli;

/// <summary>--rdb FILE and --functions-rdb FILE: asks the master for an RDB-only SYNC (REPLCONF rdb-only 1,
/// and rdb-filter-only functions for the latter) and writes the payload to FILE, or to stdout for "-".</summary>
public static class RdbMode
{
    public static int Run(CliSession session)
    {
        var o = session.Options;
        var sync = new MasterSync(session);
        sync.Replconf("capa", "eof");
        sync.Replconf("rdb-only", "1");
        if (o.FunctionsRdb && !sync.Replconf("rdb-filter-only", "functions"))
            throw CliExit.Fail(session, "Failed requesting functions only RDB from server, aborting");
        sync.Sync();
        string filename = o.RdbFile!;
        Console.Error.Write(sync.UsesEofMark
            ? $"SYNC sent to master, writing bytes of bulk transfer until EOF marker to '{filename}'\n"
            : $"SYNC sent to master, writing {sync.PayloadSize} bytes to '{filename}'\n");
        bool toStdout = filename == "-";
        var file = toStdout ? session.Out : Open(session, filename);
        var buffer = new byte[4096];
        while (!sync.Done)
        {
            int n = sync.ReadPayload(buffer, "I/O Error reading RDB payload from socket");
            try
            {
                file.Write(buffer, 0, n);
            }
            catch (IOException e)
            {
                throw CliExit.Fail(session, $"Error writing data to file: {e.Message}");
            }
        }
        if (sync.UsesEofMark)
        {
            ulong size = sync.BytesRead - MasterSync.EofMarkSize;
            // The mark itself was written; cut it off (and whatever an older, longer file left behind).
            if (!toStdout) file.SetLength((long)size);
            Console.Error.Write($"Transfer finished with success after {size} bytes\n");
        }
        else Console.Error.Write("Transfer finished with success.\n");
        // Closed before the fsync, which may take a while.
        session.Connection!.Dispose();
        if (toStdout) file.Flush();
        else
        {
            try
            {
                ((FileStream)file).Flush(flushToDisk: true);
            }
            catch (IOException e)
            {
                throw CliExit.Fail(session, $"Fail to fsync '{filename}': {e.Message}");
            }
            file.Dispose();
        }
        return 0;
    }

    // Created 0644 and, as redis-cli opens it, not truncated: a sized payload overwrites from the start.
    static FileStream Open(CliSession session, string filename)
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        try
        {
            return new FileStream(filename, options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliExit.Fail(session, $"Error opening '{filename}': {Strerror(e, filename)}");
        }
    }

    // strerror's text for the usual reasons a file cannot be created.
    static string Strerror(Exception e, string filename) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException when Directory.Exists(filename) => "Is a directory",
        UnauthorizedAccessException => "Permission denied",
        _ => e.Message,
    };
}
