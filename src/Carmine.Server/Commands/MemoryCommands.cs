using System.Numerics;
using Carmine.Protocol;
using Carmine.Server.Network;
using Carmine.Server.Types;

namespace Carmine.Server.Commands;

/// <summary>
/// MEMORY: a key's estimated footprint (USAGE), the server's memory breakdown (STATS, from the sources of INFO memory)
/// and the allocator subcommands, which the .NET GC answers.
/// </summary>
[Command("memory", -2, Group = "server", Since = "4.0.0", Summary = "A container for memory diagnostics commands", Complexity = "Depends on subcommand.")]
static class MemoryCommands
{
    const string StatsTips = "nondeterministic_output request_policy:all_shards response_policy:special";

    /// <summary>Below this much data Redis's doctor declines to diagnose the instance.</summary>
    const long DoctorMinimumBytes = 5 * 1024 * 1024;

    [Command("memory|usage", -3, Flags = "readonly", Group = "server", Since = "4.0.0",
        Keys = ["RO; index 2; range 0 1 0"], Arguments = ["key:key", "count:integer token=SAMPLES optional"],
        Summary = "Estimate the memory usage of a key", Complexity = "O(N) where N is the number of samples.")]
    static void Usage(Client c)
    {
        var args = c.Args;
        long samples = MemoryUsage.DefaultSamples;
        for (int j = 3; j < args.Count; j++)
        {
            if (args.Is(j, "samples") && j + 1 < args.Count)
            {
                if (!c.TryLong(++j, out samples)) return;
                if (samples < 0)
                {
                    c.Error(Errors.Syntax);
                    return;
                }
                if (samples == 0) samples = long.MaxValue;
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        var e = c.Database.Find(args[2], c.NowMs);
        if (e is null) c.Reply.Null();
        else c.Reply.Integer(MemoryUsage.Key(e.Key.Length) + MemoryUsage.Value(e.Value, samples));
    }

    [Command("memory|stats", 2, Group = "server", Since = "4.0.0", Tips = StatsTips,
        Summary = "Show memory usage details", Complexity = "O(1)")]
    static void Stats(Client c)
    {
        var m = InfoSections.ComputeMemory(c.Server);
        var dbs = new List<(int Index, long Main, long Expires)>();
        long keys = 0, dbOverhead = 0;
        foreach (var db in c.Server.Keyspace.Databases)
        {
            long count = db.Count;
            if (count == 0) continue;
            long volatileCount = db.VolatileCount;
            long main = MemoryUsage.HashTable(count), expires = MemoryUsage.HashTable(volatileCount);
            dbs.Add((db.Index, main, expires));
            keys += count;
            dbOverhead += main + expires;
        }
        long overhead = Math.Min(m.Used, m.Overhead + dbOverhead);
        long netUsage = Math.Max(1, m.Used - m.Startup);
        long dataset = m.Used - overhead;
        var r = c.Reply;
        r.MapHeader(27 + dbs.Count);
        Field(r, "peak.allocated"u8, m.Peak);
        Field(r, "total.allocated"u8, m.Used);
        Field(r, "startup.allocated"u8, m.Startup);
        Field(r, "replication.backlog"u8, 0);
        Field(r, "clients.slaves"u8, 0);
        Field(r, "clients.normal"u8, m.ClientsNormal);
        Field(r, "cluster.links"u8, 0);
        Field(r, "aof.buffer"u8, 0);
        Field(r, "lua.caches"u8, 0);
        Field(r, "functions.caches"u8, 0);
        foreach (var (index, main, expires) in dbs)
        {
            r.Bulk($"db.{index}");
            r.MapHeader(3);
            Field(r, "overhead.hashtable.main"u8, main);
            Field(r, "overhead.hashtable.expires"u8, expires);
            Field(r, "overhead.hashtable.slot-to-keys"u8, 0);
        }
        Field(r, "overhead.total"u8, overhead);
        Field(r, "keys.count"u8, keys);
        Field(r, "keys.bytes-per-key"u8, keys == 0 ? 0 : netUsage / keys);
        Field(r, "dataset.bytes"u8, dataset);
        Field(r, "dataset.percentage"u8, dataset * 100.0 / netUsage);
        Field(r, "peak.percentage"u8, m.Used * 100.0 / Math.Max(1, m.Peak));
        Field(r, "allocator.allocated"u8, m.Allocated);
        Field(r, "allocator.active"u8, m.Active);
        Field(r, "allocator.resident"u8, m.Rss);
        Field(r, "allocator-fragmentation.ratio"u8, Ratio(m.Active, m.Allocated));
        Field(r, "allocator-fragmentation.bytes"u8, m.Active - m.Allocated);
        Field(r, "allocator-rss.ratio"u8, Ratio(m.Rss, m.Active));
        Field(r, "allocator-rss.bytes"u8, m.Rss - m.Active);
        Field(r, "rss-overhead.ratio"u8, 1.0);
        Field(r, "rss-overhead.bytes"u8, 0);
        Field(r, "fragmentation"u8, Ratio(m.Rss, m.Used));
        Field(r, "fragmentation.bytes"u8, m.Rss - m.Used);
    }

    static void Field(RespBuffer r, ReadOnlySpan<byte> name, long value)
    {
        r.Bulk(name);
        r.Integer(value);
    }

    static void Field(RespBuffer r, ReadOnlySpan<byte> name, double value)
    {
        r.Bulk(name);
        r.Double(value);
    }

    static double Ratio(long a, long b) => b == 0 ? 0 : (double)a / b;

    [Command("memory|doctor", 2, Group = "server", Since = "4.0.0", Tips = StatsTips,
        Summary = "Outputs memory problems report", Complexity = "O(1)")]
    static void Doctor(Client c)
    {
        var m = InfoSections.ComputeMemory(c.Server);
        // The GC compacts and returns memory, so the allocator issues Redis looks for (peaks, fragmentation) do not arise.
        c.Reply.Verbatim(m.Used - m.Startup < DoctorMinimumBytes
            ? "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. " +
              "Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
            : "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n");
    }

    [Command("memory|malloc-stats", 2, Group = "server", Since = "4.0.0", Tips = StatsTips,
        Summary = "Show allocator internal stats", Complexity = "Depends on how much memory is allocated, could be slow")]
    static void MallocStats(Client c) => c.Reply.Bulk("Stats not supported for the current allocator"u8);

    [Command("memory|purge", 2, Group = "server", Since = "4.0.0", Tips = "request_policy:all_shards response_policy:all_succeeded",
        Summary = "Ask the allocator to release memory", Complexity = "Depends on how much memory is allocated, could be slow")]
    static void Purge(Client c)
    {
        // The GC's counterpart of releasing dirty pages: a compacting collection that hands free segments back.
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        c.Reply.Ok();
    }

    [Command("memory|help", 2, Flags = "loading stale", Group = "server", Since = "4.0.0",
        Summary = "Show helpful text about the different subcommands", Complexity = "O(1)")]
    static void Help(Client c) => c.HelpReply("MEMORY",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).");
}

/// <summary>
/// MEMORY USAGE's estimate of a key, in the terms Redis accounts it: the key's string and dictionary entry, the value's
/// object header and structures, each allocation rounded up to jemalloc's size classes. Compact encodings (listpack,
/// intset) are measured whole; a hash table, skiplist, quicklist or stream is measured on its first elements and scaled
/// to its size, as Redis samples them. Maxmemory accounting (<see cref="Keyspace.KeySize"/>) samples compact encodings
/// too, so that measuring a key after each write stays O(samples).
/// </summary>
static class MemoryUsage
{
    public const long DefaultSamples = 5;

    const long ObjectHeader = 16, DictEntry = 24, Dict = 56, Pointer = 8;
    const long QuicklistHeader = 40, QuicklistNode = 32, ListpackHeader = 7, NodeBytes = 8192;
    const long ZSetHeader = 16, SkiplistHeader = 32, SkiplistNode = 24, SkiplistLevel = 16, SkiplistMaxLevel = 32;
    const long StreamHeader = 96, RaxNode = 48, StreamIdBytes = 16, ConsumerGroup = 96, PendingEntry = 64;

    /// <summary>A key in the main dictionary: its string and its entry.</summary>
    public static long Key(int length) => Sds(length, keyString: true) + DictEntry;

    /// <summary>A dictionary of <paramref name="count"/> entries: the entries and the bucket array (as Redis's per-db overhead).</summary>
    public static long HashTable(long count) => count * DictEntry + Slots(count) * Pointer;

    public static long Value(object value, long samples, bool sampleCompact = false) => value switch
    {
        byte[] b => String(b),
        RawString raw => ObjectHeader + Sds(raw.Length),
        ListValue list => List(list, samples),
        HashValue hash => Hash(hash, samples, sampleCompact),
        SetValue set => Set(set, samples),
        SortedSet zset => ZSet(zset, samples, sampleCompact),
        StreamValue stream => Stream(stream, samples),
        _ => ObjectHeader,
    };

    static long String(byte[] b) => StringValue.Encoding(b) switch
    {
        "int" => ObjectHeader,
        "embstr" => Alloc(ObjectHeader + 3 + b.Length + 1),
        _ => ObjectHeader + Sds(b.Length),
    };

    static long List(ListValue list, long samples)
    {
        long sampled = 0, bytes = 0;
        if (list.Count > 0)
            for (var it = list.At(0); sampled < samples && sampled < list.Count; sampled++, it.MoveNext()) bytes += ListpackEntry(it.Current.Length);
        long entries = Scale(bytes, sampled, list.Count);
        long nodes = Math.Max(1, (entries + NodeBytes - 1) / NodeBytes);
        return ObjectHeader + QuicklistHeader + nodes * (QuicklistNode + ListpackHeader) + entries;
    }

    static long Hash(HashValue hash, long samples, bool sampleCompact)
    {
        long sampled = 0, bytes = 0;
        bool whole = hash.IsListpack && !sampleCompact;
        foreach (var pair in hash)
        {
            if (!whole && sampled >= samples) break;
            bytes += hash.IsListpack
                ? ListpackEntry(pair.Field.Length) + ListpackEntry(pair.Value.Length)
                : Sds(pair.Field.Length) + Sds(pair.Value.Length) + DictEntry;
            sampled++;
        }
        if (hash.IsListpack) return ObjectHeader + Alloc(ListpackHeader + Scale(bytes, sampled, hash.Count));
        return ObjectHeader + Dict + Slots(hash.Count) * Pointer + Scale(bytes, sampled, hash.Count);
    }

    static long Set(SetValue set, long samples)
    {
        if (set.Ints is { } ints) return ObjectHeader + Alloc(8 + (long)ints.Count * ints.Width);
        long sampled = 0, bytes = 0;
        Span<byte> scratch = stackalloc byte[20];
        for (; sampled < samples && sampled < set.Count; sampled++) bytes += Sds(set.MemberAt((int)sampled, scratch).Length) + DictEntry;
        return ObjectHeader + Dict + Slots(set.Count) * Pointer + Scale(bytes, sampled, set.Count);
    }

    static long ZSet(SortedSet zset, long samples, bool sampleCompact)
    {
        long sampled = 0, bytes = 0;
        bool whole = zset.IsCompact && !sampleCompact;
        Span<byte> score = stackalloc byte[32];
        for (var cur = zset.Iterate(); cur.Valid && (whole || sampled < samples); cur.Next(), sampled++)
        {
            bytes += zset.IsCompact
                ? ListpackEntry(cur.Member.Length) + ListpackEntry(NumberFormat.FormatDouble(cur.Score, score))
                : Sds(cur.Member.Length) + Alloc(SkiplistNode + SkiplistLevel) + DictEntry;
        }
        if (zset.IsCompact) return ObjectHeader + Alloc(ListpackHeader + Scale(bytes, sampled, zset.Count));
        return ObjectHeader + ZSetHeader + SkiplistHeader + Dict + Slots(zset.Count) * Pointer +
            Alloc(SkiplistNode + SkiplistMaxLevel * SkiplistLevel) + Scale(bytes, sampled, zset.Count);
    }

    static long Stream(StreamValue stream, long samples)
    {
        long sampled = 0, bytes = 0;
        foreach (var (_, fields) in stream.Range(StreamId.Min, StreamId.Max))
        {
            if (sampled == samples) break;
            bytes += StreamIdBytes + fields.Length;
            sampled++;
        }
        long size = ObjectHeader + StreamHeader + stream.NodeCount * (RaxNode + ListpackHeader) + Scale(bytes, sampled, stream.Length);
        if (stream.Groups is { } groups)
        {
            foreach (var (name, group) in groups)
            {
                size += ConsumerGroup + Sds(name.Length) + group.Pending.Count * PendingEntry;
                foreach (var (consumerName, consumer) in group.Consumers)
                    size += ConsumerGroup + Sds(consumerName.Length) + consumer.Pending.Count * RaxNode;
            }
        }
        return size;
    }

    /// <summary>The sampled bytes scaled to the whole collection, from their average per element as Redis does.</summary>
    static long Scale(long bytes, long sampled, long count) => sampled == 0 ? 0 : sampled >= count ? bytes : bytes / sampled * count;

    /// <summary>A listpack entry: the encoding byte(s), the string, the back-length.</summary>
    static long ListpackEntry(int length)
    {
        long header = length < 64 ? 1 : length < 4096 ? 2 : 5;
        long total = header + length;
        return total + (total < 128 ? 1 : total < 16384 ? 2 : total < 2097152 ? 3 : 5);
    }

    /// <summary>An sds string: header (sized by the length), bytes and terminator, in its allocation class.</summary>
    static long Sds(long length, bool keyString = false)
    {
        long header = keyString && length < 32 ? 1 : length < 256 ? 3 : length < 65536 ? 5 : length < 1L << 32 ? 9 : 17;
        return Alloc(header + length + 1);
    }

    /// <summary>Buckets of a dictionary holding <paramref name="count"/> entries: the next power of two, as Redis grows them.</summary>
    static long Slots(long count) => count == 0 ? 0 : (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(4, count));

    /// <summary>jemalloc's size class for a request: 8 and 16, then steps of 16 to 128, then four classes per doubling.</summary>
    static long Alloc(long size)
    {
        if (size <= 8) return 8;
        if (size <= 128) return (size + 15) & ~15L;
        long step = (long)BitOperations.RoundUpToPowerOf2((ulong)size) / 8;
        return (size + step - 1) / step * step;
    }
}
