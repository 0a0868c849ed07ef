using System.Buffers.Binary;
using System.Text;
using Carmine.Protocol;
using Carmine.Server.Persistence;

namespace Carmine.Server.Tests;

/// <summary>
/// Corrupt DUMP payloads and RDB files: each is refused with Redis's error and the reason in the log, and no
/// corruption leaves the server down or holding a value a later command trips on.
/// </summary>
public sealed class CorruptDumpTests : IClassFixture<CorruptDumpTests.VerboseServer>
{
    /// <summary>A server logging at verbose level, where RESTORE reports why it refused a payload.</summary>
    public sealed class VerboseServer : IDisposable
    {
        public TestServer Server { get; } = new("--enable-debug-command", "yes", "--loglevel", "verbose");

        public void Dispose() => Server.Dispose();
    }

    readonly TestServer server;

    public CorruptDumpTests(VerboseServer fixture) => server = fixture.Server;

    const string BadData = "ERR Bad data format";

    /// <summary>A RESTORE payload: the type, the body, RDB version 10 and a valid CRC-64 of it all.</summary>
    static byte[] Payload(byte type, params byte[][] body)
    {
        var data = new List<byte> { type };
        foreach (var part in body) data.AddRange(part);
        data.AddRange([10, 0]);
        var crc = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(crc, Crc64.Update(0, data.ToArray()));
        data.AddRange(crc);
        return [.. data];
    }

    /// <summary>An RDB length of up to 16383.</summary>
    static byte[] Len(int n) => n < 64 ? [(byte)n] : [(byte)(0x40 | (n >> 8)), (byte)n];

    /// <summary>An RDB string holding <paramref name="s"/> verbatim.</summary>
    static byte[] Str(byte[] s) => [.. Len(s.Length), .. s];

    static byte[] Str(string s) => Str(Encoding.ASCII.GetBytes(s));

    /// <summary>A ziplist of short strings; <paramref name="prevlens"/> overrides each entry's prevlen, <paramref name="tail"/> the tail offset.</summary>
    static byte[] Ziplist(string[] items, int[]? prevlens = null, int? tail = null)
    {
        var entries = new List<byte>();
        int prev = 0, lastStart = 10;
        for (int i = 0; i < items.Length; i++)
        {
            lastStart = 10 + entries.Count;
            entries.Add((byte)(prevlens?[i] ?? prev));
            entries.Add((byte)items[i].Length);
            entries.AddRange(Encoding.ASCII.GetBytes(items[i]));
            prev = 2 + items[i].Length;
        }
        var zl = new byte[10 + entries.Count + 1];
        BinaryPrimitives.WriteUInt32LittleEndian(zl, (uint)zl.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(zl.AsSpan(4), (uint)(tail ?? lastStart));
        BinaryPrimitives.WriteUInt16LittleEndian(zl.AsSpan(8), (ushort)items.Length);
        entries.CopyTo(zl, 10);
        zl[^1] = 0xFF;
        return zl;
    }

    /// <summary>A listpack of short strings; <paramref name="backlens"/> overrides each entry's back-length.</summary>
    static byte[] Listpack(string[] items, int[]? backlens = null)
    {
        var entries = new List<byte>();
        for (int i = 0; i < items.Length; i++)
        {
            entries.Add((byte)(0x80 | items[i].Length));
            entries.AddRange(Encoding.ASCII.GetBytes(items[i]));
            entries.Add((byte)(backlens?[i] ?? 1 + items[i].Length));
        }
        var lp = new byte[6 + entries.Count + 1];
        BinaryPrimitives.WriteUInt32LittleEndian(lp, (uint)lp.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(lp.AsSpan(4), (ushort)items.Length);
        entries.CopyTo(lp, 6);
        lp[^1] = 0xFF;
        return lp;
    }

    static RespValue Restore(RespConnection c, string key, byte[] payload) =>
        c.Call([Encoding.ASCII.GetBytes("RESTORE"), Encoding.ASCII.GetBytes(key), "0"u8.ToArray(), payload, "REPLACE"u8.ToArray()]);

    /// <summary>RESTOREs a payload that must be refused, and checks the log gives <paramref name="reason"/>.</summary>
    void AssertRefused(byte[] payload, string reason)
    {
        using var c = server.Connect();
        int before = Occurrences(server, reason);
        Assert.Equal(BadData, Restore(c, "cd:key", payload).Text);
        Assert.Equal(0, c.Int("EXISTS", "cd:key"));
        Assert.True(WaitForOutput(server, reason, before + 1), $"log lacks '{reason}'");
        Assert.Equal("PONG", c.Str("PING"));
    }

    static int Occurrences(TestServer s, string text)
    {
        string output = s.Output;
        int n = 0;
        for (int i = output.IndexOf(text, StringComparison.Ordinal); i >= 0; i = output.IndexOf(text, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }

    static bool WaitForOutput(TestServer s, string text, int count = 1)
    {
        // The server's output reaches the test asynchronously, late on a loaded machine: allow it up to 20 s.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Occurrences(s, text) < count && DateTime.UtcNow < deadline) Thread.Sleep(20);
        return Occurrences(s, text) >= count;
    }

    [Fact]
    public void ValidHandMadeHashZiplistIsRestored()
    {
        using var c = server.Connect();
        Assert.Equal("OK", Restore(c, "cd:validzl", Payload(Rdb.TypeHashZiplist, Str(Ziplist(["f1", "v1", "f2", "v2"])))).Text);
        Assert.Equal("v2", c.Str("HGET", "cd:validzl", "f2"));
    }

    [Fact]
    public void RefusedReplaceKeepsTheExistingValue()
    {
        using var c = server.Connect();
        c.Call("SET", "cd:keep", "old");
        var reply = Restore(c, "cd:keep", Payload(Rdb.TypeHashListpack, Str(Listpack(["f", "1", "f", "2"]))));
        Assert.Equal(BadData, reply.Text);
        Assert.Equal("old", c.Str("GET", "cd:keep"));
    }

    [Fact]
    public void ZiplistEntryWithWrongPrevlenIsRefused() =>
        AssertRefused(Payload(Rdb.TypeHashZiplist, Str(Ziplist(["f1", "v1", "f2", "v2"], prevlens: [0, 4, 4, 9]))),
            "Hash ziplist integrity check failed.");

    [Fact]
    public void ZiplistTailOffsetNotAtTheLastEntryIsRefused() =>
        AssertRefused(Payload(Rdb.TypeZsetZiplist, Str(Ziplist(["a", "1", "b", "2"], tail: 10))), "Zset ziplist integrity check failed.");

    [Fact]
    public void QuicklistZiplistWithWrongCountIsRefused()
    {
        var zl = Ziplist(["a", "b"]);
        zl[8] = 3;
        AssertRefused(Payload(Rdb.TypeListQuicklist, Len(1), Str(zl)), "Ziplist integrity check failed.");
    }

    [Fact]
    public void ListpackEntryWithWrongBackLengthIsRefused() =>
        AssertRefused(Payload(Rdb.TypeHashListpack, Str(Listpack(["f1", "v1", "f2", "v2"], backlens: [3, 3, 7, 3]))),
            "Hash listpack integrity check failed.");

    [Fact]
    public void ListpackHashWithDuplicateFieldsIsRefused() =>
        AssertRefused(Payload(Rdb.TypeHashListpack, Str(Listpack(["f", "1", "f", "2"]))), "Hash listpack integrity check failed.");

    [Fact]
    public void ListpackZsetWithNonNumericScoreIsRefused() =>
        AssertRefused(Payload(Rdb.TypeZsetListpack, Str(Listpack(["m", "x1"]))), "Zset listpack integrity check failed.");

    [Fact]
    public void EmptyIntsetIsRefused() =>
        AssertRefused(Payload(Rdb.TypeSetIntset, Str([2, 0, 0, 0, 0, 0, 0, 0])), "Intset integrity check failed.");

    [Fact]
    public void UnsortedIntsetIsRefused() =>
        AssertRefused(Payload(Rdb.TypeSetIntset, Str([2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 3, 0])), "Intset integrity check failed.");

    [Fact]
    public void EmptyZipmapIsRefused() =>
        AssertRefused(Payload(Rdb.TypeHashZipmap, Str([0, 0xFF])), "Zipmap integrity check failed.");

    [Fact]
    public void QuicklistWithAnUnknownContainerIsRefused() =>
        AssertRefused(Payload(Rdb.TypeListQuicklist2, Len(1), Len(3), Str("x")), "Quicklist integrity check failed.");

    [Fact]
    public void EmptyPlainQuicklistNodeIsRefused() =>
        AssertRefused(Payload(Rdb.TypeListQuicklist2, Len(1), Len(1), Str("")), "Empty quicklist node");

    [Fact]
    public void SetWithDuplicateMembersIsRefused() =>
        AssertRefused(Payload(Rdb.TypeSet, Len(2), Str("m"), Str("m")), "Duplicate set members detected");

    [Fact]
    public void LzfStringClaimingAHugeLengthIsRefused() =>
        AssertRefused(Payload(Rdb.TypeString, [0xC3], Len(2), [0x80, 0x7F, 0xFF, 0xFF, 0xFF], [0, 0x61]), "Invalid LZF compressed string");

    /// <summary>A payload from the DUMP of a two-entry stream, its body (between type and footer) edited.</summary>
    byte[] StreamPayload(string key, Func<byte[], byte[]> editBody)
    {
        using var c = server.Connect();
        c.Call("DEL", key);
        c.Call("XADD", key, "1-0", "f", "v");
        c.Call("XADD", key, "3-0", "f", "v");
        var dump = c.Call("DUMP", key).Bytes!;
        return Payload(dump[0], editBody(dump[1..^10]));
    }

    [Fact]
    public void StreamWithLastIdBelowItsEntriesIsRefused()
    {
        // The body ends with length 2, last ID 3-0, first ID 1-0, max deleted 0-0, 2 entries added, no groups.
        var payload = StreamPayload("cd:stream1", body =>
        {
            Assert.Equal(new byte[] { 2, 3, 0, 1, 0, 0, 0, 2, 0 }, body[^9..]);
            var edited = (byte[])body.Clone();
            edited[^8] = 2;
            return edited;
        });
        AssertRefused(payload, "Stream last ID is smaller than its last entry");
    }

    [Fact]
    public void StreamWithDuplicateConsumersIsRefused()
    {
        var group = new List<byte>();
        group.AddRange(Str("g"));
        group.AddRange([3, 0, 0]);
        group.Add(0);
        group.Add(2);
        for (int i = 0; i < 2; i++)
        {
            group.AddRange(Str("alice"));
            group.AddRange(new byte[8]);
            group.Add(0);
        }
        var payload = StreamPayload("cd:stream2", body => [.. body[..^1], 1, .. group]);
        AssertRefused(payload, "Duplicate stream consumer detected.");
    }

    [Fact]
    public void ChecksumIsSkippedOnlyWhileTheDebugFlagIsSet()
    {
        using var c = server.Connect();
        var payload = Payload(Rdb.TypeString, Str("hello"));
        payload[^1] ^= 0xFF;
        try
        {
            Assert.Equal("OK", c.Str("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"));
            Assert.Equal("OK", Restore(c, "cd:crc", payload).Text);
            Assert.Equal("hello", c.Str("GET", "cd:crc"));
        }
        finally
        {
            c.Call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0");
        }
        Assert.Equal("ERR DUMP payload version or checksum are wrong", Restore(c, "cd:crc", payload).Text);
    }

    [Theory]
    [InlineData("no")]
    [InlineData("yes")]
    [InlineData("clients")]
    public void CorruptPayloadIsRefusedWhateverTheSanitizeMode(string mode)
    {
        using var c = server.Connect();
        Assert.Equal("OK", c.Str("CONFIG", "SET", "sanitize-dump-payload", mode));
        try
        {
            Assert.Equal(BadData, Restore(c, "cd:mode", Payload(Rdb.TypeHashListpack, Str(Listpack(["f", "1", "f", "2"])))).Text);
            Assert.Equal(BadData, Restore(c, "cd:mode", Payload(Rdb.TypeListZiplist, Str(Ziplist(["a", "b"], prevlens: [0, 9])))).Text);
        }
        finally
        {
            c.Call("CONFIG", "SET", "sanitize-dump-payload", "no");
        }
        Assert.Equal("PONG", c.Str("PING"));
    }

    /// <summary>Read and write commands per type, run on whatever a corrupted payload restored to.</summary>
    static readonly Dictionary<string, string[][]> Traffic = new()
    {
        ["string"] = [["GET"], ["STRLEN"], ["APPEND", "x"], ["GETRANGE", "0", "-1"]],
        ["list"] = [["LRANGE", "0", "-1"], ["LINDEX", "-1"], ["LPOP"], ["RPUSH", "x"], ["LSET", "0", "y"], ["LREM", "0", "x"], ["LTRIM", "1", "-1"]],
        ["set"] = [["SMEMBERS"], ["SADD", "x"], ["SPOP"], ["SRANDMEMBER", "-5"], ["SISMEMBER", "1"]],
        ["zset"] = [["ZRANGE", "0", "-1", "WITHSCORES"], ["ZADD", "1", "x"], ["ZPOPMIN"], ["ZRANGEBYLEX", "-", "+"], ["ZRANDMEMBER", "-5"]],
        ["hash"] = [["HGETALL"], ["HSET", "x", "y"], ["HDEL", "1"], ["HRANDFIELD", "-5"], ["HINCRBY", "0", "1"]],
        ["stream"] = [["XRANGE", "-", "+"], ["XREVRANGE", "+", "-"], ["XINFO", "STREAM", "{k}", "FULL"], ["XADD", "*", "a", "b"],
            ["XPENDING", "g", "-", "+", "10"], ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "{k}", "0"], ["XTRIM", "MAXLEN", "1"], ["XDEL", "2-0"]],
    };

    [Fact]
    public void RandomlyCorruptedPayloadsAreRefusedOrRestoredToWorkingValues()
    {
        using var c = server.Connect();
        c.Call("CONFIG", "SET", "hash-max-listpack-entries", "4");
        c.Call("CONFIG", "SET", "zset-max-listpack-entries", "4");
        c.Call("CONFIG", "SET", "list-max-listpack-size", "4");
        c.Call("CONFIG", "SET", "stream-node-max-entries", "4");
        var sources = new List<string>();
        foreach (int n in new[] { 3, 9 })
        {
            for (int j = 0; j < n; j++)
            {
                string v = j % 2 == 0 ? j.ToString() : $"_{j}";
                c.Call("HSET", $"cd:fh{n}", j.ToString(), v);
                c.Call("RPUSH", $"cd:fl{n}", v);
                c.Call("ZADD", $"cd:fz{n}", j.ToString(), v);
                c.Call("SADD", $"cd:fs{n}", v);
                c.Call("SADD", $"cd:fi{n}", j.ToString());
                c.Call("XADD", $"cd:fx{n}", $"{j + 1}-0", "item", "1", "value", v);
            }
            c.Call("XGROUP", "CREATE", $"cd:fx{n}", "g", "0");
            c.Call("XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", $"cd:fx{n}", ">");
            c.Call("XDEL", $"cd:fx{n}", "3-0");
            sources.AddRange([$"cd:fh{n}", $"cd:fl{n}", $"cd:fz{n}", $"cd:fs{n}", $"cd:fi{n}", $"cd:fx{n}"]);
        }
        c.Call("SET", "cd:fstr", "a string value");
        sources.Add("cd:fstr");
        var dumps = sources.Select(k => c.Call("DUMP", k).Bytes!).ToList();

        var random = new Random(5);
        int restored = 0, refused = 0;
        try
        {
            c.Call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1");
            for (int i = 0; i < 1500; i++)
            {
                var payload = (byte[])dumps[random.Next(dumps.Count)].Clone();
                for (int n = random.Next(1, 3); n > 0; n--) payload[random.Next(payload.Length)] = (byte)random.Next(256);
                var reply = Restore(c, "cd:fuzz", payload);
                if (reply.IsError)
                {
                    Assert.True(reply.Text is BadData or "ERR DUMP payload version or checksum are wrong", reply.Text);
                    refused++;
                    continue;
                }
                restored++;
                string type = c.Str("TYPE", "cd:fuzz");
                foreach (var command in Traffic[type])
                {
                    var args = command[0] is "XINFO" or "XREADGROUP"
                        ? command.Select(a => a == "{k}" ? "cd:fuzz" : a).ToArray()
                        : [command[0], "cd:fuzz", .. command[1..]];
                    var r = c.Call(args);
                    Assert.False(r.IsError && r.Text!.Contains("internal error"), $"{string.Join(' ', args)}: {r.Text}");
                }
                c.Call("DEL", "cd:fuzz");
            }
        }
        finally
        {
            c.Call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0");
        }
        Assert.True(restored > 0 && refused > 0, $"restored {restored}, refused {refused}");
        Assert.DoesNotContain("failed unexpectedly", server.Output);
        Assert.Equal("PONG", c.Str("PING"));
    }

    /// <summary>An RDB file with one key and no checksum (zero means none was computed).</summary>
    static byte[] RdbFileWith(byte type, string key, params byte[][] value)
    {
        var data = new List<byte>();
        data.AddRange("REDIS0010"u8.ToArray());
        data.Add(type);
        data.AddRange(Str(key));
        foreach (var part in value) data.AddRange(part);
        data.Add(0xFF);
        data.AddRange(new byte[8]);
        return [.. data];
    }

    [Fact]
    public void CorruptRdbFileStopsTheServerWithRedisMessages()
    {
        string dir = Directory.CreateTempSubdirectory("carmine-corrupt-").FullName;
        File.WriteAllBytes(Path.Combine(dir, "dump.rdb"),
            RdbFileWith(Rdb.TypeListQuicklist, "cd:list", Len(1), Str(Ziplist(["a", "b"], prevlens: [0, 7]))));
        var e = Assert.Throws<InvalidOperationException>(() => new TestServer("--dir", dir));
        Assert.Contains("Ziplist integrity check failed.", e.Message);
        Assert.Contains("Terminating server after rdb file reading failure.", e.Message);
    }

    [Fact]
    public void EmptyKeysInAnRdbFileAreSkippedAndCounted()
    {
        string dir = Directory.CreateTempSubdirectory("carmine-corrupt-").FullName;
        File.WriteAllBytes(Path.Combine(dir, "dump.rdb"), RdbFileWith(Rdb.TypeSet, "cd:emptyset", Len(0)));
        using var s = new TestServer("--dir", dir);
        using var c = s.Connect();
        Assert.Equal(0, c.Int("DBSIZE"));
        Assert.True(WaitForOutput(s, "rdbLoadObject skipping empty key: cd:emptyset"));
        Assert.Contains("Done loading RDB, keys loaded: 0, keys expired: 0, empty keys skipped: 1.", s.Output);
    }
}
