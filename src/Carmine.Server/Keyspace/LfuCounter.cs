using Carmine.Server.Config;

namespace Carmine.Server.Keyspace;

/// <summary>
/// Redis's LFU access data. Under an LFU maxmemory-policy an entry's <see cref="Entry.Lru"/> word holds, as in
/// Redis, the minute of the last decrement in its upper 16 bits and a logarithmic access counter in its low 8 bits.
/// </summary>
public static class LfuCounter
{
    /// <summary>The counter after one lfu-decay-time period passed per unit, without storing it (OBJECT FREQ, eviction sampling).</summary>
    public static long Decayed(uint word, ServerConfig config)
    {
        long decayMinutes = config.Exists("lfu-decay-time") ? config.GetLong("lfu-decay-time") : 1;
        long counter = word & 255;
        if (decayMinutes == 0) return counter;
        long periods = MinutesSince(word >> 8) / decayMinutes;
        return periods > counter ? 0 : counter - periods;
    }

    /// <summary>Minutes since <paramref name="minute"/> on Redis's 16-bit minute clock, which wraps at most once.</summary>
    static long MinutesSince(uint minute)
    {
        long now = Clock.NowMs() / 60_000 & 65535;
        return now >= minute ? now - minute : 65535 - minute + now;
    }
}
