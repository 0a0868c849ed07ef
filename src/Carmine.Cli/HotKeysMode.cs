using System.Text;
using Carmine.Protocol;

namespace Carmine.Cli;

/// <summary>--hotkeys: scans the keyspace reading each key's LFU counter (OBJECT FREQ, which needs an LFU
/// maxmemory-policy) and keeps the 16 hottest, reported as they are found and again in the summary.</summary>
public static class HotKeysMode
{
    const int Kept = 16;

    public static int Run(CliSession session)
    {
        var sampler = new KeySampler(session);
        // Ascending: slot 0 holds the coolest of the keys kept, as in redis-cli's eviction-pool style array.
        var counters = new ulong[Kept];
        var hotKeys = new string?[Kept];
        long totalKeys = sampler.DbSize();
        sampler.Print("\n# Scanning the entire keyspace to find hot keys as well as\n" +
                      "# average sizes per key type.  You can use -i 0.1 to sleep 0.1 sec\n" +
                      "# per 100 SCAN commands (not usually needed).\n\n");
        ulong sampled = 0;
        double pct = 0;
        sampler.ScanAll(keys =>
        {
            pct = 100 * (double)sampled / totalKeys;
            var freqs = Frequencies(sampler, keys);
            var output = new StringBuilder();
            for (int i = 0; i < keys.Length; i++)
            {
                sampled++;
                if (sampled % 1000000 == 0) output.Append($"[{KeySampler.Percent(pct)}%] Sampled {sampled} keys so far\n");
                int k = 0;
                while (k < Kept && freqs[i] > counters[k]) k++;
                if (k == 0) continue;
                k--;
                // Unless it lands in slot 0 or an empty slot, the key pushes the coolest one out.
                if (k != 0 && counters[k] != 0)
                {
                    Array.Copy(counters, 1, counters, 0, k);
                    Array.Copy(hotKeys, 1, hotKeys, 0, k);
                }
                counters[k] = freqs[i];
                hotKeys[k] = KeySampler.Quoted(keys[i]);
                output.Append($"[{KeySampler.Percent(pct)}%] Hot key '{hotKeys[k]}' found so far with counter {freqs[i]}\n");
            }
            sampler.Print(output.ToString());
        });
        var summary = new StringBuilder("\n-------- summary -------\n\n");
        if (sampler.Cancelled) summary.Append($"[{KeySampler.Percent(pct)}%] ");
        summary.Append($"Sampled {sampled} keys in the keyspace!\n");
        for (int k = Kept - 1; k >= 0; k--)
            if (counters[k] > 0) summary.Append($"hot key found with counter: {counters[k]}\tkeyname: {hotKeys[k]}\n");
        sampler.Print(summary.ToString());
        return 0;
    }

    static ulong[] Frequencies(KeySampler sampler, RespValue[] keys)
    {
        var replies = sampler.Pipeline(keys, i => ["OBJECT"u8.ToArray(), "FREQ"u8.ToArray(), keys[i].Bytes!]);
        var freqs = new ulong[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            var reply = replies[i]!;
            if (reply.IsError) throw sampler.Fail($"Error: {reply.Text}");
            if (reply.Type == RespType.Integer) freqs[i] = (ulong)reply.Integer;
            else Console.Error.Write($"Warning: OBJECT freq on '{KeySampler.Quoted(keys[i])}' failed (may have been deleted)\n");
        }
        return freqs;
    }
}
