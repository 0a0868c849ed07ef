using Carmine.Server.Commands;
using Carmine.Server.Config;

namespace Carmine.Server.Keyspace;

/// <summary>
/// The access data Redis keeps per key in <see cref="Entry.Lru"/>: the LRU clock in seconds (OBJECT IDLETIME, LRU
/// eviction), or under an LFU maxmemory-policy the LFU word: the minute of the last decrement in the upper 16 bits
/// and a logarithmic access counter in the low 8 (OBJECT FREQ, LFU eviction). As in Redis, switching policy at run
/// time reads old words the other way until the keys are accessed again.
/// </summary>
public sealed class KeyAccess
{
    /// <summary>A new key's counter, so it is not evicted before it had a chance to be used (LFU_INIT_VAL).</summary>
    const uint InitialCounter = 5;

    volatile bool lfu;
    int logFactor = 10;
    int decayMinutes = 1;

    public bool Lfu => lfu;

    /// <summary>Reads maxmemory-policy, lfu-log-factor and lfu-decay-time now and whenever CONFIG SET changes them.</summary>
    public void Follow(ServerConfig config)
    {
        Read(config);
        config.Changed += name =>
        {
            if (name is "maxmemory-policy" or "lfu-log-factor" or "lfu-decay-time") Read(config);
        };
    }

    void Read(ServerConfig config)
    {
        logFactor = config.GetInt("lfu-log-factor");
        decayMinutes = config.GetInt("lfu-decay-time");
        lfu = config.GetString("maxmemory-policy").EndsWith("-lfu", StringComparison.Ordinal);
    }

    /// <summary>The word of a key created now.</summary>
    public uint Initial(long nowMs) => lfu ? Minutes(nowMs) << 8 | InitialCounter : LruClock.At(nowMs);

    /// <summary>The word after an access now: the current LRU clock, or the decayed counter incremented with probability 1/(counter*lfu-log-factor+1).</summary>
    public uint Touched(uint word, long nowMs)
    {
        if (!lfu) return LruClock.At(nowMs);
        uint counter = Frequency(word, nowMs);
        if (counter < 255)
        {
            double over = Math.Max(0, (double)counter - InitialCounter);
            if (Random.Shared.NextDouble() < 1.0 / (over * logFactor + 1)) counter++;
        }
        return Minutes(nowMs) << 8 | counter;
    }

    /// <summary>An LFU word's counter less one per lfu-decay-time minutes since its last decrement, without storing it.</summary>
    public uint Frequency(uint word, long nowMs)
    {
        uint counter = word & 255;
        if (decayMinutes == 0) return counter;
        uint last = word >> 8, now = Minutes(nowMs);
        // The 16-bit minute clock wraps at most once between two accesses.
        uint elapsed = now >= last ? now - last : 65535 - last + now;
        uint periods = elapsed / (uint)decayMinutes;
        return periods > counter ? 0 : counter - periods;
    }

    static uint Minutes(long nowMs) => (uint)(nowMs / 60_000) & 65535;
}
