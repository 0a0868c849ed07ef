using System.Globalization;
using System.Text;
using Carmine.Protocol;

namespace Carmine.Cli;

/// <summary>--bigkeys and --memkeys: scans the keyspace, sizes every key (STRLEN, LLEN, SCARD, HLEN, ZCARD,
/// XLEN; or MEMORY USAGE with --memkeys), reports each new biggest key per type as it goes, then a summary.</summary>
public static class BigKeysMode
{
    sealed class TypeStats(string name, string? sizeCommand, string unit)
    {
        public string Name => name;
        public string? SizeCommand => sizeCommand;
        public string Unit => unit;
        public ulong Biggest { get; set; }
        public ulong Count { get; set; }
        public ulong TotalSize { get; set; }
        public string? BiggestKey { get; set; }
    }

    public static int Run(CliSession session, bool memkeys)
    {
        var o = session.Options;
        var sampler = new KeySampler(session);
        var types = new CliDict<TypeStats>();
        foreach (var t in new[]
        {
            new TypeStats("string", "STRLEN", "bytes"), new TypeStats("list", "LLEN", "items"),
            new TypeStats("set", "SCARD", "members"), new TypeStats("hash", "HLEN", "fields"),
            new TypeStats("zset", "ZCARD", "members"), new TypeStats("stream", "XLEN", "entries"),
        })
            types.Add(t.Name, t);
        long totalKeys = sampler.DbSize();
        sampler.Print("\n# Scanning the entire keyspace to find biggest keys as well as\n" +
                      "# average sizes per key type.  You can use -i 0.1 to sleep 0.1 sec\n" +
                      "# per 100 SCAN commands (not usually needed).\n\n");
        ulong sampled = 0, totalLength = 0;
        double pct = 0;
        sampler.ScanAll(keys =>
        {
            pct = 100 * (double)sampled / totalKeys;
            var keyTypes = KeyTypes(sampler, types, keys);
            var sizes = KeySizes(sampler, keys, keyTypes, memkeys, (uint)o.MemKeysSamples);
            var output = new StringBuilder();
            for (int i = 0; i < keys.Length; i++)
            {
                // A key deleted between SCAN and TYPE is not counted.
                if (keyTypes[i] is not { } type) continue;
                type.TotalSize += sizes[i];
                type.Count++;
                totalLength += (ulong)keys[i].Bytes!.Length;
                sampled++;
                if (type.Biggest < sizes[i])
                {
                    type.BiggestKey = KeySampler.Quoted(keys[i]);
                    output.Append($"[{KeySampler.Percent(pct)}%] Biggest {type.Name,-6} found so far '{type.BiggestKey}' with {sizes[i]} {(memkeys ? "bytes" : type.Unit)}\n");
                    type.Biggest = sizes[i];
                }
                if (sampled % 1000000 == 0) output.Append($"[{KeySampler.Percent(pct)}%] Sampled {sampled} keys so far\n");
            }
            sampler.Print(output.ToString());
        });
        var summary = new StringBuilder("\n-------- summary -------\n\n");
        if (sampler.Cancelled) summary.Append($"[{KeySampler.Percent(pct)}%] ");
        summary.Append($"Sampled {sampled} keys in the keyspace!\n");
        summary.Append($"Total key length in bytes is {totalLength} (avg len {F2(totalLength == 0 ? 0 : (double)totalLength / sampled)})\n\n");
        foreach (var type in types.Values)
        {
            if (type.BiggestKey is not null)
                summary.Append($"Biggest {type.Name,6} found '{type.BiggestKey}' has {type.Biggest} {(memkeys ? "bytes" : type.Unit)}\n");
        }
        summary.Append('\n');
        foreach (var type in types.Values)
        {
            summary.Append($"{type.Count} {type.Name}s with {type.TotalSize} {(memkeys ? "bytes" : type.Unit)} " +
                $"({KeySampler.Percent(sampled == 0 ? 0 : 100 * (double)type.Count / sampled)}% of keys, avg size {F2(type.Count == 0 ? 0 : (double)type.TotalSize / type.Count)})\n");
        }
        sampler.Print(summary.ToString());
        return 0;
    }

    static string F2(double d) => d.ToString("F2", CultureInfo.InvariantCulture);

    // TYPE for every key in one pipeline; a type the table does not know yet (a module's) is added as "other".
    static TypeStats?[] KeyTypes(KeySampler sampler, CliDict<TypeStats> types, RespValue[] keys)
    {
        var replies = sampler.Pipeline(keys, i => ["TYPE"u8.ToArray(), keys[i].Bytes!]);
        var result = new TypeStats?[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            var reply = replies[i]!;
            if (reply.Type != RespType.SimpleString)
            {
                throw sampler.Fail(reply.IsError ? $"TYPE returned an error: {reply.Text}"
                    : $"Invalid reply type ({HiredisType(reply)}) for TYPE on key '{KeySampler.Plain(keys[i])}'!");
            }
            string name = reply.Text!;
            var type = types.Find(name);
            if (type is null && name != "none")
            {
                type = new TypeStats(name, null, "?");
                types.Add(name, type);
            }
            result[i] = type;
        }
        return result;
    }

    static ulong[] KeySizes(KeySampler sampler, RespValue[] keys, TypeStats?[] types, bool memkeys, uint samples)
    {
        // Without --memkeys a type with no size command (a module's) is counted with size 0.
        bool Sized(int i) => types[i] is { } t && (t.SizeCommand is not null || memkeys);
        var replies = sampler.Pipeline(keys, i =>
        {
            if (!Sized(i)) return null;
            byte[] key = keys[i].Bytes!;
            if (!memkeys) return [Encoding.ASCII.GetBytes(types[i]!.SizeCommand!), key];
            if (samples == 0) return ["MEMORY"u8.ToArray(), "USAGE"u8.ToArray(), key];
            return ["MEMORY"u8.ToArray(), "USAGE"u8.ToArray(), key, "SAMPLES"u8.ToArray(), Encoding.ASCII.GetBytes(samples.ToString(CultureInfo.InvariantCulture))];
        });
        var sizes = new ulong[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            if (!Sized(i)) continue;
            if (replies[i]!.Type == RespType.Integer) sizes[i] = (ulong)replies[i]!.Integer;
            else
            {
                // The key may have been replaced by one of another type between TYPE and the size command.
                Console.Error.Write($"Warning:  {(memkeys ? "MEMORY USAGE" : types[i]!.SizeCommand)} on '{KeySampler.Plain(keys[i])}' failed (may have changed type)\n");
            }
        }
        return sizes;
    }

    // hiredis' reply type numbers (14 is a verbatim string), which redis-cli prints in its "Invalid reply type" message.
    static int HiredisType(RespValue reply) => reply.Type switch
    {
        RespType.BulkString => 1,
        RespType.Array => 2,
        RespType.Integer => 3,
        RespType.Null => 4,
        RespType.Double => 7,
        RespType.Boolean => 8,
        RespType.Map => 9,
        RespType.Set => 10,
        RespType.Push => 12,
        RespType.BigNumber => 13,
        _ => 14,
    };
}
