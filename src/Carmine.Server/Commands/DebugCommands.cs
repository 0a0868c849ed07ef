using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Carmine.Protocol;
using Carmine.Server.Keyspace;
using Carmine.Server.Network;
using Carmine.Server.Types;

using Carmine.Server.Replication;

namespace Carmine.Server.Commands;

/// <summary>
/// DEBUG (debug.c in Redis): one command whose first argument picks the action; the dispatcher refuses it
/// (a protected command) unless enable-debug-command allows it. Actions that need subsystems not built yet
/// reply Redis's unknown-subcommand error.
/// </summary>
static class DebugCommands
{
    [Command("debug", -2, Flags = "admin noscript loading stale protected", Group = "server", DocFlags = "syscmd",
        Summary = "A container for debugging commands", Complexity = "Depends on subcommand.")]
    static void Debug(Client c)
    {
        var args = c.Args;
        int argc = args.Count;
        if (argc == 2 && args.Is(1, "help")) Help(c);
        else if (argc == 3 && args.Is(1, "sleep")) Sleep(c);
        else if (argc == 3 && args.Is(1, "object")) Object(c);
        else if (argc == 3 && args.Is(1, "set-active-expire"))
        {
            c.Server.ActiveExpireEnabled = Atoi(args[2]) != 0;
            c.Reply.Ok();
        }
        else if (argc == 3 && args.Is(1, "set-skip-checksum-validation"))
        {
            Persistence.Rdb.SkipChecksumValidation = Atoi(args[2]) != 0;
            c.Reply.Ok();
        }
        else if (argc == 3 && args.Is(1, "set-disable-deny-scripts"))
        {
            c.Server.Scripts.DisableDenyScripts = Atoi(args[2]) != 0;
            c.Reply.Ok();
        }
        else if (argc == 3 && args.Is(1, "pause-cron"))
        {
            c.Server.CronPaused = Atoi(args[2]) != 0;
            c.Reply.Ok();
        }
        else if (argc == 3 && args.Is(1, "protocol")) Protocol(c);
        else if (argc == 3 && args.Is(1, "quicklist-packed-threshold"))
        {
            if (Config.ServerConfig.TryParseMemory(args.ToStr(2), out long size) && ListValue.SetPackedThreshold(size)) c.Reply.Ok();
            else c.Error("ERR argument must be a memory value bigger than 1 and smaller than 4gb");
        }
        else if (argc == 3 && args.Is(1, "log"))
        {
            Log.Warning("DEBUG LOG: " + args.ToStr(2));
            c.Reply.Ok();
        }
        else if (argc == 3 && args.Is(1, "error"))
            c.Error(args.ToStr(2).Replace('\n', ' ').Replace('\r', ' '));
        else if (argc >= 3 && argc <= 5 && args.Is(1, "populate")) Populate(c);
        else if (argc == 2 && args.Is(1, "stringmatch-test")) StringmatchTest(c);
        else if (argc == 2 && args.Is(1, "config-rewrite-force-all"))
        {
            if (ConfigCommands.TryRewrite(c.Server.Config, forceAll: true) is { } error) c.Error("ERR CONFIG-REWRITE-FORCE-ALL failed: " + error);
            else c.Reply.Ok();
        }
        else if (args.Is(1, "reload")) Reload(c);
        else if (argc == 2 && args.Is(1, "loadaof")) LoadAof(c);
        else if (argc == 3 && args.Is(1, "aof-flush-sleep"))
        {
            if (!c.TryLong(2, out long us)) return;
            c.Server.Aof.FlushSleepUs = us;
            c.Reply.Ok();
        }
        else if (argc == 2 && args.Is(1, "digest")) Digest(c);
        else if (args.Is(1, "digest-value")) DigestValue(c);
        else c.SubcommandSyntaxError();
    }

    static void Help(Client c) => c.HelpReply("DEBUG",
        "AOF-FLUSH-SLEEP <microsec>",
        "    Server will sleep before flushing the AOF, this is used for testing.",
        "CONFIG-REWRITE-FORCE-ALL",
        "    Like CONFIG REWRITE but writes all configuration options, including",
        "    keywords not listed in original configuration file or default values.",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "LOADAOF",
        "    Flush the AOF buffers on disk and reload the AOF in memory.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "PAUSE-CRON <0|1>",
        "    Stop periodic cron job processing.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. These are not propagated to",
        "    replicas. Cluster slots are not respected so keys not belonging to the",
        "    current node can be created in cluster mode.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "RELOAD [option ...]",
        "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
        "    * MERGE: conflicting keys will be loaded from RDB.",
        "    * NOFLUSH: the existing database will not be removed before load, but",
        "      conflicting keys will generate an exception and kill the server.",
        "    * NOSAVE: the database will be loaded from an existing RDB file.",
        "    Examples:",
        "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
        "      the database.",
        "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
        "      existing RDB file.",
        "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
        "      file to the database.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
        "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "STRINGMATCH-TEST",
        "    Run a fuzz tester against the stringmatchlen() function.");

    /// <summary>Blocks the connection's thread, as Redis blocks its only thread; a bad number sleeps 0 like strtod.</summary>
    static void Sleep(Client c)
    {
        double seconds = NumberFormat.TryParseDouble(c.Args[2], out double d) ? d : 0;
        long us = (long)(seconds * 1_000_000);
        if (us > 0) Thread.Sleep(TimeSpan.FromMicroseconds(us));
        c.Reply.Ok();
    }

    /// <summary>The leading integer of an argument, 0 if none, like C's atoi.</summary>
    static long Atoi(ReadOnlySpan<byte> s)
    {
        int i = 0;
        bool negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+')) negative = s[i++] == '-';
        long n = 0;
        while (i < s.Length && s[i] >= '0' && s[i] <= '9' && n < int.MaxValue) n = n * 10 + (s[i++] - '0');
        return negative ? -n : n;
    }

    static void Object(Client c)
    {
        var key = c.Args[2];
        var shard = c.Database.ShardOf(key);
        string? line = null;
        lock (shard.Lock)
        {
            // Like Redis, look at the table directly: a logically expired key is still shown.
            var e = shard.Table.Find(key, KeyHash.Hash(key));
            if (e is not null) line = ObjectLine(e);
        }
        if (line is null) c.Error(Errors.NoSuchKey);
        else c.Reply.SimpleString(line);
    }

    static string ObjectLine(Entry e)
    {
        object value = e.Value;
        string encoding = RedisObject.Encoding(value);
        bool shared = value is byte[] b && encoding == "int" && NumberFormat.TryParseInt64(b, out long n) && n >= 0 && n < SharedIntegers;
        string serialized = StringValue.IsString(value) ? SerializedStringLength(StringValue.Span(value)).ToString(CultureInfo.InvariantCulture) : "0";
        // The entry stands for the value's address: it stays the same while a value is changed in place.
        return $"Value at:0x{RuntimeHelpers.GetHashCode(e):x} refcount:{(shared ? int.MaxValue : 1)} encoding:{encoding} serializedlength:{serialized} lru:{e.Lru} lru_seconds_idle:{LruClock.IdleSeconds(e.Lru)}";
    }

    /// <summary>Redis shares the integer objects 0..9999 (OBJ_SHARED_INTEGERS), which report refcount INT_MAX.</summary>
    const long SharedIntegers = 10000;

    /// <summary>The size of a string in an RDB file, uncompressed: integer encodings for small integers, else length-prefixed bytes.</summary>
    static long SerializedStringLength(ReadOnlySpan<byte> s)
    {
        if (s.Length <= 11 && NumberFormat.TryParseInt64(s, out long n))
        {
            if (n >= sbyte.MinValue && n <= sbyte.MaxValue) return 2;
            if (n >= short.MinValue && n <= short.MaxValue) return 3;
            if (n >= int.MinValue && n <= int.MaxValue) return 5;
        }
        int header = s.Length < 64 ? 1 : s.Length < 16384 ? 2 : 5;
        return header + s.Length;
    }

    static void Protocol(Client c)
    {
        var r = c.Reply;
        switch (c.Args.Lower(2))
        {
            case "string": r.Bulk("Hello World"u8); break;
            case "integer": r.Integer(12345); break;
            case "double": r.Double(3.141); break;
            case "bignum":
                if (r.Resp3) r.WriteRaw("(1234567999999999999999999999999999999\r\n"u8);
                else r.Bulk("1234567999999999999999999999999999999"u8);
                break;
            case "null": r.Null(); break;
            case "array":
                r.ArrayHeader(3);
                for (int j = 0; j < 3; j++) r.Integer(j);
                break;
            case "set":
                r.SetHeader(3);
                for (int j = 0; j < 3; j++) r.Integer(j);
                break;
            case "map":
                r.MapHeader(3);
                for (int j = 0; j < 3; j++)
                {
                    r.Integer(j);
                    r.Boolean(j == 1);
                }
                break;
            case "attrib":
                // An attribute is not a reply by itself: a real reply follows it.
                if (r.Resp3)
                {
                    r.WritePrefixed((byte)'|', 1);
                    r.Bulk("key-popularity"u8);
                    r.ArrayHeader(2);
                    r.Bulk("key:123"u8);
                    r.Integer(90);
                }
                r.Bulk("Some real reply following the attribute"u8);
                break;
            case "push":
                if (!r.Resp3)
                {
                    c.Error("ERR RESP2 is not supported by this command");
                    return;
                }
                r.PushHeader(2);
                r.Bulk("server-cpu-usage"u8);
                r.Integer(42);
                r.Bulk("Some real reply following the push reply"u8);
                break;
            case "true": r.Boolean(true); break;
            case "false": r.Boolean(false); break;
            case "verbatim": r.Verbatim("This is a verbatim\nstring"); break;
            default:
                c.Error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
                break;
        }
    }

    /// <summary>A populate that adds this many keys is a bulk load, settled as one (<see cref="Keyspace.Keyspace.SettleAfterBulkLoad"/>).</summary>
    const int BulkLoadKeys = 65536;

    /// <summary>DEBUG POPULATE count [prefix] [size]: string keys prefix:N holding value:N (padded or cut to size); existing keys are left alone.</summary>
    static void Populate(Client c)
    {
        var args = c.Args;
        if (!TryPositive(c, 2, out long count)) return;
        long size = 0;
        if (args.Count == 5 && !TryPositive(c, 4, out size)) return;
        string prefix = args.Count >= 4 ? args.ToStr(3) : "key";
        var db = c.Database;
        long added = 0;
        for (long j = 0; j < count; j++)
        {
            byte[] key = Encoding.UTF8.GetBytes($"{prefix}:{j}");
            byte[] text = Encoding.ASCII.GetBytes($"value:{j}");
            byte[] value;
            if (size > 0)
            {
                value = StoredBytes.Allocate((int)size);
                text.AsSpan(0, (int)Math.Min(size, text.Length)).CopyTo(value);
            }
            else value = StoredBytes.Copy(text);
            var shard = db.ShardOf(key);
            lock (shard.Lock)
                if (db.Find(key, c.NowMs) is null)
                {
                    db.Add(key, value);
                    added++;
                }
        }
        if (added >= BulkLoadKeys) Keyspace.Keyspace.SettleAfterBulkLoad();
        c.Reply.Ok();
    }

    static bool TryPositive(Client c, int i, out long value)
    {
        if (!c.TryLong(i, out value)) return false;
        if (value >= 0) return true;
        c.Error("ERR value is out of range, must be positive");
        return false;
    }

    /// <summary>Matches random short patterns against random strings: the test passes if the matcher neither hangs nor throws.</summary>
    static void StringmatchTest(Client c)
    {
        var random = new Random();
        Span<byte> pattern = stackalloc byte[32], text = stackalloc byte[32];
        for (int i = 0; i < 1_000_000; i++)
        {
            var p = pattern[..random.Next(pattern.Length + 1)];
            var s = text[..random.Next(text.Length + 1)];
            random.NextBytes(p);
            random.NextBytes(s);
            GlobMatch.Match(p, s);
        }
        c.Reply.SimpleString("Apparently Redis did not crash: test passed"u8);
    }

    /// <summary>DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the dataset, empty the keyspace and load the file back, all with every lock held.</summary>
    /// <summary>DEBUG LOADAOF: what is buffered is written, then the dataset is read back from the AOF files.</summary>
    static void LoadAof(Client c)
    {
        var server = c.Server;
        c.PreventPropagation();
        server.Keyspace.LockAll();
        // As Redis, which is loading meanwhile: other clients get LOADING, not BUSY, while a slow script replays.
        server.Loading = true;
        try
        {
            if (server.Aof.Reload())
            {
                Log.Warning("Append Only File loaded by DEBUG LOADAOF");
                c.Reply.Ok();
            }
            else c.Error("ERR Error loading the AOF file");
        }
        finally
        {
            server.Loading = false;
            server.Keyspace.UnlockAll();
        }
    }

    static void Reload(Client c)
    {
        c.PreventPropagation();
        bool flush = true, save = true, merge = false;
        for (int j = 2; j < c.Args.Count; j++)
        {
            if (c.Args.Is(j, "merge")) merge = true;
            else if (c.Args.Is(j, "noflush")) flush = false;
            else if (c.Args.Is(j, "nosave")) save = false;
            else
            {
                c.Error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
                return;
            }
        }
        var server = c.Server;
        server.Rdb.AbortBackgroundSave();
        server.Keyspace.LockAll();
        try
        {
            if (save && !server.Rdb.Save())
            {
                c.Error("ERR");
                return;
            }
            try
            {
                server.Rdb.Load(File.ReadAllBytes(server.Rdb.FilePath), flush, merge);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or Persistence.RdbFormatException)
            {
                Log.Warning($"Error loading the RDB dump: {e.Message}");
                c.Error("ERR Error trying to load the RDB dump");
                return;
            }
        }
        finally
        {
            server.Keyspace.UnlockAll();
        }
        Log.Warning("DB reloaded by DEBUG RELOAD");
        c.Reply.Ok();
    }

    static void Digest(Client c)
    {
        byte[] digest;
        c.Server.Keyspace.LockAll();
        try { digest = Persistence.DatasetDigest.Compute(c.Server.Keyspace); }
        finally { c.Server.Keyspace.UnlockAll(); }
        c.Reply.SimpleString(Encoding.ASCII.GetBytes(Persistence.DatasetDigest.Hex(digest)));
    }

    /// <summary>Digests of the named keys' values; an expired key still counts, as Redis reads the dict directly.</summary>
    static void DigestValue(Client c)
    {
        var db = c.Database;
        c.Reply.ArrayHeader(c.Args.Count - 2);
        for (int j = 2; j < c.Args.Count; j++)
        {
            var digest = new byte[20];
            var shard = db.ShardOf(c.Args[j]);
            lock (shard.Lock)
            {
                var e = shard.Table.Find(c.Args[j], KeyHash.Hash(c.Args[j]));
                if (e is not null) Persistence.DatasetDigest.ObjectDigest(digest, e);
            }
            c.Reply.SimpleString(Encoding.ASCII.GetBytes(Persistence.DatasetDigest.Hex(digest)));
        }
    }
}
