using Carmine.Protocol;
using Carmine.Server.Network;

namespace Carmine.Server.Persistence;

/// <summary>How loading one AOF file ended.</summary>
public enum AofLoadResult
{
    Ok,
    /// <summary>Empty or absent: nothing loaded.</summary>
    Empty,
    /// <summary>The file ended in the middle of a command and was cut back to its last whole command (aof-load-truncated).</summary>
    Truncated,
    Failed,
}

/// <summary>
/// Replays AOF files into the keyspace, as Redis's loadSingleAppendOnlyFile: an optional RDB preamble, then
/// commands in RESP (lines starting with '#' are annotations), each executed by a client with no connection.
/// A file that ends inside a command or a MULTI is cut back to the last whole command when aof-load-truncated
/// is yes; anything else malformed stops the load with Redis's messages.
/// </summary>
public sealed class AofLoader(RedisServer server)
{
    Client? fake;

    public long KeysLoadedFromBase { get; private set; }

    /// <summary>Where the load's progress goes (INFO's loading_* fields), counted over all the files it reads.</summary>
    public RdbPersistence.LoadProgress? Progress { get; init; }
    /// <summary>Bytes of the files read before the current one.</summary>
    long readBefore;
    /// <summary>Commands between two progress reports: often enough for INFO, cheap for the replay.</summary>
    const int ProgressEvery = 1024;

    /// <summary>Loads one file; <paramref name="isLast"/> says whether a short read may be truncated away.</summary>
    public AofLoadResult LoadFile(string path, string name, bool isLast)
    {
        if (!File.Exists(path))
        {
            Log.Warning($"The append log file {name} doesn't exist: No such file or directory");
            return AofLoadResult.Failed;
        }
        byte[] data = File.ReadAllBytes(path);
        if (data.Length == 0) return AofLoadResult.Empty;
        int at = 0;
        if (data.Length >= 5 && data.AsSpan(0, 5).SequenceEqual("REDIS"u8))
        {
            bool baseRdb = name.EndsWith(".rdb", StringComparison.Ordinal);
            Log.Notice(baseRdb ? "Reading RDB base file on AOF loading..." : "Reading RDB preamble from AOF file...");
            try
            {
                var loaded = RdbFile.Read(data, RdbLoadLimits.From(server.Config), server.Rdb.Checksum, Clock.NowMs(), server.Keyspace.Count);
                RdbFile.Install(server.Keyspace, loaded);
                KeysLoadedFromBase = loaded.KeysLoaded;
                at = loaded.EndOffset;
            }
            catch (RdbFormatException e)
            {
                Log.Warning($"Internal error in RDB reading offset {e.Offset} -> {e.Reason}");
                Log.Warning(baseRdb ? $"Error reading the RDB base file {name}, AOF loading aborted" : $"Error reading the RDB preamble of the AOF file {name}, AOF loading aborted");
                return AofLoadResult.Failed;
            }
            if (!baseRdb) Log.Notice("Reading the remaining AOF tail...");
        }
        Progress?.Advance(readBefore + at);
        var result = Replay(data, at, path, name, isLast);
        readBefore += data.Length;
        Progress?.Advance(readBefore);
        return result;
    }

    AofLoadResult Replay(byte[] data, int at, string path, string name, bool isLast)
    {
        var c = fake ??= new Client(server, server.Loops[0]);
        long validUpTo = at, validBeforeMulti = -1;
        var args = new ArgList();
        int commands = 0;
        while (at < data.Length)
        {
            if (++commands % ProgressEvery == 0) Progress?.Advance(readBefore + at);
            if (data[at] == '#')
            {
                // An annotation (#TS:...) is skipped, but it must be a whole line.
                int eol = Array.IndexOf(data, (byte)'\n', at);
                if (eol < 0) return ShortRead(path, name, validUpTo, isLast);
                at = eol + 1;
                validUpTo = at;
                continue;
            }
            if (data[at] != '*') return BadFormat(name);
            if (!ReadNumber(data, at + 1, out long argc, out int next)) return next < 0 ? ShortRead(path, name, validUpTo, isLast) : BadFormat(name);
            if (argc < 1) return BadFormat(name);
            at = next;
            args.Clear();
            for (long j = 0; j < argc; j++)
            {
                if (at >= data.Length) return ShortRead(path, name, validUpTo, isLast);
                if (data[at] != '$') return BadFormat(name);
                if (!ReadNumber(data, at + 1, out long len, out next)) return next < 0 ? ShortRead(path, name, validUpTo, isLast) : BadFormat(name);
                at = next;
                if (len < 0 || at + len + 2 > data.Length) return ShortRead(path, name, validUpTo, isLast);
                args.Add(data, at, (int)len);
                at += (int)len + 2;
            }
            var cmd = server.Commands.Lookup(args[0]);
            if (cmd is null)
            {
                Log.Warning($"Unknown command '{args.ToStr(0)}' reading the append only file {name}");
                return AofLoadResult.Failed;
            }
            if (cmd.Name == "multi") validBeforeMulti = validUpTo;
            c.Args = args;
            // What is replayed is already in the AOF: it must not be written to the stream again.
            var fx = Replication.PendingEffects.Current;
            int mark = fx.Items.Count;
            server.Propagation.Loading = true;
            server.Keyspace.IgnoreExpiry = true;
            try
            {
                server.Execute(c);
            }
            finally
            {
                server.Keyspace.IgnoreExpiry = false;
                server.Propagation.Loading = false;
                fx.Items.RemoveRange(mark, fx.Items.Count - mark);
            }
            c.Reply.Clear();
            validUpTo = at;
        }
        if (c.Multi is not null)
        {
            // A transaction cut short by a crash is removed as a whole: none or all of it, as Redis does.
            Log.Warning($"Revert incomplete MULTI/EXEC transaction in AOF file {name}");
            c.Multi = null;
            return ShortRead(path, name, validBeforeMulti, isLast);
        }
        return AofLoadResult.Ok;
    }

    AofLoadResult ShortRead(string path, string name, long validUpTo, bool isLast)
    {
        if (fake is not null) fake.Multi = null;
        if (server.Config.GetBool("aof-load-truncated"))
        {
            if (!isLast)
            {
                Log.Warning("Fatal error: the truncated file is not the last file");
                return AofLoadResult.Failed;
            }
            Log.Warning($"!!! Warning: short read while loading the AOF file {name}!!!");
            Log.Warning($"!!! Truncating the AOF {name} at offset {validUpTo} !!!");
            try
            {
                using (var f = new FileStream(path, FileMode.Open, FileAccess.Write)) f.SetLength(validUpTo);
                Log.Warning($"AOF {name} loaded anyway because aof-load-truncated is enabled");
                return AofLoadResult.Truncated;
            }
            catch (IOException e)
            {
                Log.Warning($"Error truncating the AOF file {name}: {e.Message}");
            }
        }
        Log.Warning($"Unexpected end of file reading the append only file {name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.");
        return AofLoadResult.Failed;
    }

    static AofLoadResult BadFormat(string name)
    {
        Log.Warning($"Bad file format reading the append only file {name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>");
        return AofLoadResult.Failed;
    }

    /// <summary>Reads "digits\r\n" at <paramref name="at"/>; next is -1 on a short read, else where the line ended.</summary>
    static bool ReadNumber(byte[] data, int at, out long value, out int next)
    {
        value = 0;
        int eol = Array.IndexOf(data, (byte)'\n', at);
        if (eol < 0)
        {
            next = -1;
            return false;
        }
        next = eol + 1;
        int end = eol > at && data[eol - 1] == '\r' ? eol - 1 : eol;
        return NumberFormat.TryParseInt64(data.AsSpan(at, end - at), out value);
    }
}
