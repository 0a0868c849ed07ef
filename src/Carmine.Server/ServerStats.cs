using System.Collections.Concurrent;

namespace Carmine.Server;

/// <summary>Counters that every command bumps; one set per thread, summed when INFO asks.</summary>
public sealed class ThreadCounters
{
    public long Commands, NetInput, NetOutput, KeyspaceHits, KeyspaceMisses, ExpiredKeys, ErrorReplies, Dirty;
    /// <summary>Socket reads and reply writes (INFO's total_reads_processed, total_writes_processed).</summary>
    public long Reads, Writes;
}

/// <summary>Which counter slot the current thread uses: event loops own one each, every other thread shares the last.</summary>
public static class ThreadSlot
{
    [ThreadStatic] static int slotPlusOne;

    public static int Count { get; set; } = 1;

    public static int Current => slotPlusOne == 0 ? Count - 1 : slotPlusOne - 1;

    public static void Assign(int slot) => slotPlusOne = slot + 1;
}

/// <summary>The server's statistics, as INFO reports them.</summary>
public sealed class ServerStats
{
    readonly ThreadCounters[] slots;
    readonly ConcurrentDictionary<string, long> errors = new(StringComparer.Ordinal);
    const int MaxErrorCodes = 128;

    public ServerStats(int slotCount)
    {
        slots = new ThreadCounters[slotCount];
        for (int i = 0; i < slotCount; i++) slots[i] = new ThreadCounters();
    }

    public ThreadCounters Local => slots[ThreadSlot.Current];

    public long TotalConnections;
    public long RejectedConnections;
    public long ProtocolErrors;
    public long EvictedKeys;
    /// <summary>Clients disconnected by maxmemory-clients.</summary>
    public long EvictedClients;
    /// <summary>Values Redis would have freed in the background (INFO lazyfreed_objects, see Keyspace/LazyFree).</summary>
    public long LazyfreedObjects;
    public long ExpiredStalePerc;
    public long ClientQueryBufferLimitDisconnections;
    public long ClientOutputBufferLimitDisconnections;
    public long UnexpectedErrorReplies;

    public void AddNetInput(long n) => Local.NetInput += n;
    public void AddNetOutput(long n) => Local.NetOutput += n;

    public long Sum(Func<ThreadCounters, long> field)
    {
        long total = 0;
        foreach (var s in slots) total += field(s);
        return total;
    }

    /// <summary>
    /// Counts an error reply under its code, as INFO errorstats does: the first word when a space comes
    /// within Redis's 32-byte search window (which includes the '-'), otherwise "ERR".
    /// </summary>
    public void CountError(string message)
    {
        Local.ErrorReplies++;
        int space = message.IndexOf(' ', 0, Math.Min(message.Length, 31));
        string code = space < 0 ? "ERR" : message[..space];
        if (errors.ContainsKey(code) || errors.Count < MaxErrorCodes) errors.AddOrUpdate(code, 1, (_, v) => v + 1);
    }

    public IEnumerable<KeyValuePair<string, long>> ErrorCounts => errors.OrderBy(e => e.Key, StringComparer.Ordinal);

    public void Reset()
    {
        foreach (var s in slots)
        {
            s.Commands = s.NetInput = s.NetOutput = s.KeyspaceHits = s.KeyspaceMisses = s.ExpiredKeys = s.ErrorReplies = 0;
            s.Reads = s.Writes = 0;
        }
        errors.Clear();
        TotalConnections = RejectedConnections = ProtocolErrors = EvictedKeys = EvictedClients = LazyfreedObjects = 0;
        UnexpectedErrorReplies = ClientQueryBufferLimitDisconnections = ClientOutputBufferLimitDisconnections = 0;
    }
}
