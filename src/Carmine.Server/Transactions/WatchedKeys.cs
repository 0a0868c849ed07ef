using Carmine.Server.Network;

namespace Carmine.Server.Transactions;

/// <summary>
/// WATCH bookkeeping: which clients watch which keys. A change to a watched key marks its watchers dirty,
/// so their next EXEC fails. Touches are cheap when nobody watches anything.
/// </summary>
public sealed class WatchedKeys
{
    sealed class Watcher(Client client, bool expiredAtWatch)
    {
        public readonly Client Client = client;
        /// <summary>The key was already logically expired when watched: its deletion is not a change.</summary>
        public bool ExpiredAtWatch = expiredAtWatch;
    }

    readonly Dictionary<byte[], List<Watcher>>[] perDb;
    readonly object gate = new();
    volatile int count;

    public WatchedKeys(int databases)
    {
        perDb = new Dictionary<byte[], List<Watcher>>[databases];
        for (int i = 0; i < databases; i++) perDb[i] = new Dictionary<byte[], List<Watcher>>(ByteArrayComparer.Instance);
    }

    /// <summary>True when at least one key is watched: the dispatcher skips all work otherwise.</summary>
    public bool Any => count > 0;

    public void Watch(Client c, int db, byte[] key, bool expiredNow)
    {
        lock (gate)
        {
            var map = perDb[db];
            if (!map.TryGetValue(key, out var list)) map[key] = list = [];
            if (list.Any(w => w.Client == c)) return;
            list.Add(new Watcher(c, expiredNow));
            (c.Watched ??= []).Add((db, key));
            count++;
        }
    }

    public void UnwatchAll(Client c)
    {
        if (c.Watched is null) return;
        lock (gate)
        {
            foreach (var (db, key) in c.Watched)
            {
                var map = perDb[db];
                if (!map.TryGetValue(key, out var list)) continue;
                list.RemoveAll(w => w.Client == c);
                count--;
                if (list.Count == 0) map.Remove(key);
            }
            c.Watched = null;
        }
    }

    /// <summary>Marks the watchers of a key dirty after a change; <paramref name="existsNow"/> tells whether the key is there after it.</summary>
    public void Touch(int db, ReadOnlySpan<byte> key, bool existsNow)
    {
        if (count == 0) return;
        lock (gate)
        {
            if (!perDb[db].GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out var list)) return;
            foreach (var w in list)
            {
                if (w.ExpiredAtWatch)
                {
                    // A stale key being deleted or replaced is no logical change for its watcher.
                    if (!existsNow) w.ExpiredAtWatch = false;
                    continue;
                }
                w.Client.WatchDirty = true;
            }
        }
    }

    /// <summary>What takes a key's place when its database is emptied or swapped (FLUSHDB, FLUSHALL, SWAPDB).</summary>
    public enum Replacement { None, Live, Expired }

    /// <summary>
    /// Marks dirty the watchers of <paramref name="db"/>'s keys when the database is emptied or replaced, as Redis's
    /// touchAllWatchedKeysInDb: <paramref name="existed"/> tells whether a key was there (even logically expired),
    /// <paramref name="replacement"/> what takes its place. A stale key that vanishes or stays stale, and a missing
    /// key replaced by a stale one, are no logical change; the watcher then remembers whether its key is stale.
    /// </summary>
    public void TouchDb(int db, Func<byte[], bool> existed, Func<byte[], Replacement> replacement)
    {
        if (count == 0) return;
        lock (gate)
        {
            foreach (var (key, list) in perDb[db])
            {
                bool was = existed(key);
                var now = replacement(key);
                if (!was && now == Replacement.None) continue;
                foreach (var w in list)
                {
                    if (w.ExpiredAtWatch)
                    {
                        if (now == Replacement.None) w.ExpiredAtWatch = false;
                        if (now != Replacement.Live) continue;
                    }
                    else if (!was && now == Replacement.Expired)
                    {
                        w.ExpiredAtWatch = true;
                        continue;
                    }
                    w.Client.WatchDirty = true;
                }
            }
        }
    }

    /// <summary>The keys a client watches that were live when watched: EXEC fails if one has expired since.</summary>
    public List<(int Db, byte[] Key)> LiveWatchedKeys(Client c)
    {
        var result = new List<(int, byte[])>();
        if (c.Watched is null) return result;
        lock (gate)
        {
            foreach (var (db, key) in c.Watched)
                if (perDb[db].TryGetValue(key, out var list) && list.Any(w => w.Client == c && !w.ExpiredAtWatch))
                    result.Add((db, key));
        }
        return result;
    }
}
