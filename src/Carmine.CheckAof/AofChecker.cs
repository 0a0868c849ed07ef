using System.Text;
using Carmine.Server.Persistence;

namespace Carmine.CheckAof;

/// <summary>
/// carmine-check-aof: redis-check-aof 7.0 for Carmine and Redis AOFs. It takes a manifest (multi-part AOF) or a
/// single old-style AOF (with or without an RDB preamble), checks that every command is well-formed RESP and
/// that MULTI/EXEC pair up, and with --fix cuts the last file back to its last whole command, or with
/// --truncate-to-timestamp cuts it at the first #TS annotation past that time. Output and exit codes are
/// redis-check-aof's.
/// </summary>
public sealed class AofChecker
{
    enum Result { Ok, Empty, Truncated, TimestampTruncated }

    sealed class ExitException(int code) : Exception
    {
        public int Code { get; } = code;
    }

    readonly TextReader input;
    readonly TextWriter output;
    readonly bool fix;
    readonly long toTimestamp;
    string error = "";
    long errorPos;
    long line = 1;

    AofChecker(TextReader input, TextWriter output, bool fix, long toTimestamp)
    {
        this.input = input;
        this.output = output;
        this.fix = fix;
        this.toTimestamp = toTimestamp;
    }

    public static int Run(string[] args, TextReader input, TextWriter output)
    {
        string program = "carmine-check-aof";
        bool fix = false;
        long timestamp = 0;
        string path;
        if (args.Length == 1) path = args[0];
        else if (args.Length == 2 && args[0] == "--fix")
        {
            fix = true;
            path = args[1];
        }
        else if (args.Length == 3 && args[0] == "--truncate-to-timestamp")
        {
            if (!long.TryParse(args[1], out timestamp))
            {
                output.WriteLine("Invalid timestamp, aborting...");
                return 1;
            }
            path = args[2];
        }
        else
        {
            output.WriteLine($"Usage: {program} [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>");
            return 1;
        }
        var checker = new AofChecker(input, output, fix, timestamp);
        try
        {
            checker.Check(path);
            return 0;
        }
        catch (ExitException e)
        {
            return e.Code;
        }
    }

    void Check(string path)
    {
        if (!File.Exists(path))
        {
            output.WriteLine($"Cannot open file {path}: No such file or directory");
            throw new ExitException(1);
        }
        if (IsManifest(path)) CheckMultiPart(Path.GetDirectoryName(path) is { Length: > 0 } d ? d : ".", path);
        else
        {
            output.WriteLine("Start checking Old-Style AOF");
            Report(CheckSingle(path, path, lastFile: true, preamble: IsRdb(path)), "AOF", path);
        }
    }

    void CheckMultiPart(string dir, string manifestPath)
    {
        output.WriteLine("Start checking Multi Part AOF");
        AofManifest manifest;
        try
        {
            manifest = AofManifest.Parse(File.ReadAllText(manifestPath));
        }
        catch (AofManifestException e)
        {
            output.WriteLine("*** FATAL AOF MANIFEST FILE ERROR ***");
            output.WriteLine($"Reading the manifest file, at line {e.Line}");
            output.WriteLine($">>> '{e.Text}'");
            output.WriteLine(e.Message);
            throw new ExitException(1);
        }
        int total = (manifest.Base is null ? 0 : 1) + manifest.Incr.Count, done = 0;
        if (manifest.Base is { } b)
        {
            string file = Path.Combine(dir, b.Name);
            bool rdb = IsRdb(file);
            output.WriteLine($"Start to check BASE AOF ({(rdb ? "RDB" : "RESP")} format).");
            Report(CheckSingle(b.Name, file, ++done == total, rdb), "BASE AOF", b.Name);
        }
        if (manifest.Incr.Count > 0)
        {
            output.WriteLine("Start to check INCR files.");
            foreach (var f in manifest.Incr)
                Report(CheckSingle(f.Name, Path.Combine(dir, f.Name), ++done == total, preamble: false), "INCR AOF", f.Name);
        }
        output.WriteLine("All AOF files and manifest are valid");
    }

    void Report(Result result, string what, string name)
    {
        output.WriteLine(result switch
        {
            Result.Ok => $"{what} {name} is valid",
            Result.Empty => $"{what} {name} is empty",
            Result.TimestampTruncated => $"Successfully truncated AOF {name} to timestamp {toTimestamp}",
            _ => $"Successfully truncated AOF {name}",
        });
    }

    Result CheckSingle(string name, string path, bool lastFile, bool preamble)
    {
        if (!File.Exists(path))
        {
            output.WriteLine($"Cannot open file {path}: No such file or directory, aborting...");
            throw new ExitException(1);
        }
        byte[] data = File.ReadAllBytes(path);
        long size = data.Length;
        if (size == 0) return Result.Empty;
        int at = 0;
        error = "";
        line = 1;
        if (preamble)
        {
            try
            {
                var loaded = RdbFile.Read(data, new RdbLoadLimits(), verifyChecksum: true, nowMs: 0, dbCount: int.MaxValue);
                output.WriteLine($"[offset 0] Checking RDB file {name}");
                output.WriteLine($"[offset {loaded.EndOffset}] \\o/ RDB looks OK! \\o/");
                output.WriteLine($"[info] {loaded.KeysLoaded} keys read");
                at = loaded.EndOffset;
            }
            catch (RdbFormatException e)
            {
                output.WriteLine($"--- RDB ERROR DETECTED ---");
                output.WriteLine($"[offset {e.Offset}] {e.Reason}");
                output.WriteLine("RDB preamble of AOF file is not sane, aborting.");
                throw new ExitException(1);
            }
            output.WriteLine("RDB preamble is OK, proceeding with AOF tail...");
        }
        long pos = at;
        int multi = 0;
        bool reachedEnd = false;
        while (true)
        {
            if (at >= data.Length)
            {
                reachedEnd = true;
                if (multi == 0) pos = at;
                break;
            }
            if (multi == 0) pos = at;
            if (data[at] == '#')
            {
                if (!Annotation(data, ref at, path, lastFile)) return Result.TimestampTruncated;
            }
            else if (data[at] == '*')
            {
                if (!Command(data, ref at, path, ref multi)) break;
            }
            else
            {
                output.WriteLine($"AOF {name} format error");
                break;
            }
        }
        if (reachedEnd && multi > 0 && error.Length == 0) SetError(errorPos, "Reached EOF before reading EXEC for MULTI");
        if (error.Length > 0) output.WriteLine(error);
        long diff = size - pos;
        if (diff == 0 && toTimestamp != 0)
        {
            output.WriteLine($"Truncate nothing in AOF {name} to timestamp {toTimestamp}");
            return Result.Ok;
        }
        output.WriteLine($"AOF analyzed: filename={name}, size={size}, ok_up_to={pos}, ok_up_to_line={line}, diff={diff}");
        if (diff <= 0) return Result.Ok;
        if (!fix)
        {
            output.WriteLine($"AOF {name} is not valid. Use the --fix option to try fixing it.");
            throw new ExitException(1);
        }
        if (!lastFile)
        {
            output.WriteLine($"Failed to truncate AOF {name} because it is not the last file");
            throw new ExitException(1);
        }
        output.WriteLine($"This will shrink the AOF {name} from {size} bytes, with {diff} bytes, to {pos} bytes");
        output.Write("Continue? [y/N]: ");
        output.Flush();
        string? answer = input.ReadLine();
        if (answer is null || !answer.StartsWith('y') && !answer.StartsWith('Y'))
        {
            output.WriteLine("Aborting...");
            throw new ExitException(1);
        }
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Write)) f.SetLength(pos);
        return Result.Truncated;
    }

    /// <summary>A '#' line; false when it is a #TS past --truncate-to-timestamp and the file was cut there.</summary>
    bool Annotation(byte[] data, ref int at, string path, bool lastFile)
    {
        long start = at;
        errorPos = at;
        int eol = Array.IndexOf(data, (byte)'\n', at);
        int end = eol < 0 ? data.Length : eol + 1;
        string text = Encoding.ASCII.GetString(data, at, end - at);
        at = end;
        if (toTimestamp == 0 || !text.StartsWith("#TS:", StringComparison.Ordinal)) return true;
        int cr = text.IndexOf('\r');
        if (cr < 0 || !long.TryParse(text.AsSpan(4, cr - 4), out long ts))
        {
            output.WriteLine("Invalid timestamp annotation");
            throw new ExitException(1);
        }
        if (ts <= toTimestamp) return true;
        if (start == 0)
        {
            output.WriteLine($"AOF {path} has nothing before timestamp {toTimestamp}, aborting...");
            throw new ExitException(1);
        }
        if (!lastFile)
        {
            output.WriteLine($"Failed to truncate AOF {path} to timestamp {toTimestamp} to offset {start} because it is not the last file.");
            output.WriteLine("If you insist, please delete all files after this file according to the manifest file and delete the corresponding records in manifest file manually. Then re-run redis-check-aof.");
            throw new ExitException(1);
        }
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Write)) f.SetLength(start);
        return false;
    }

    bool Command(byte[] data, ref int at, string path, ref int multi)
    {
        if (!ReadLong(data, ref at, '*', out long argc)) return false;
        for (long i = 0; i < argc; i++)
        {
            if (!ReadLong(data, ref at, '$', out long len)) return false;
            if (len < 0 || len > long.MaxValue - 2)
            {
                SetError(errorPos, $"Expected to read string of {len} bytes, which is not in the suitable range");
                return false;
            }
            errorPos = at;
            long available = data.Length - at;
            if (available < len + 2)
            {
                SetError(errorPos, $"Expected to read {len + 2} bytes, got {available} bytes");
                return false;
            }
            if (data[at + len] != '\r' || data[at + len + 1] != '\n')
            {
                SetError(errorPos, $"Expected \\r\\n, got: {data[at + len]:x2}{data[at + len + 1]:x2}");
                return false;
            }
            string arg = i == 0 ? Encoding.ASCII.GetString(data, at, (int)len) : "";
            at += (int)len + 2;
            line++;
            if (i != 0) continue;
            if (arg.Equals("multi", StringComparison.OrdinalIgnoreCase) && multi++ > 0)
            {
                SetError(errorPos, $"Unexpected MULTI in AOF {path}");
                return false;
            }
            if (arg.Equals("exec", StringComparison.OrdinalIgnoreCase) && --multi != 0)
            {
                SetError(errorPos, $"Unexpected EXEC in AOF {path}");
                return false;
            }
        }
        return true;
    }

    /// <summary>Reads "&lt;prefix&gt;number\r\n" as redis-check-aof does: one line of at most 127 bytes, then strtol.</summary>
    bool ReadLong(byte[] data, ref int at, char prefix, out long value)
    {
        value = 0;
        errorPos = at;
        if (at >= data.Length) return false;
        int eol = Array.IndexOf(data, (byte)'\n', at);
        int end = Math.Min(eol < 0 ? data.Length : eol + 1, at + 127);
        if (data[at] != prefix)
        {
            SetError(errorPos, $"Expected prefix '{prefix}', got: '{(char)data[at]}'");
            return false;
        }
        int p = at + 1;
        bool negative = p < end && data[p] == '-';
        if (negative || (p < end && data[p] == '+')) p++;
        while (p < end && data[p] >= '0' && data[p] <= '9') value = value * 10 + (data[p++] - '0');
        if (negative) value = -value;
        byte b0 = p < end ? data[p] : (byte)0, b1 = p + 1 < end ? data[p + 1] : (byte)0;
        if (b0 != '\r' || b1 != '\n')
        {
            SetError(errorPos, $"Expected \\r\\n, got: {b0:x2}{b1:x2}");
            return false;
        }
        at = end;
        line++;
        return true;
    }

    void SetError(long pos, string message) => error = $"0x{pos,16:x}: {message}";

    static bool IsManifest(string path)
    {
        if (new FileInfo(path).Length == 0) return false;
        foreach (var l in File.ReadLines(path))
        {
            if (l.StartsWith('#')) continue;
            if (l.StartsWith("file", StringComparison.Ordinal)) return true;
        }
        return false;
    }

    static bool IsRdb(string path)
    {
        if (!File.Exists(path)) return false;
        using var f = File.OpenRead(path);
        if (f.Length < 8) return false;
        var sig = new byte[5];
        return f.Read(sig) == 5 && sig.AsSpan().SequenceEqual("REDIS"u8);
    }
}
