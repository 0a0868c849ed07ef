using System.Text;
using Carmine.Server.Config;
using Carmine.Server.Keyspace;
using Carmine.Server.Persistence;
using Carmine.Server.Types;

namespace Carmine.Server.Tests;

/// <summary>
/// The snapshot API a full resync or an AOF rewrite uses: "an RDB of the dataset as of now into this stream",
/// with state recorded inside the capture moment. Runs on a keyspace in memory, writes through the same hooks
/// the dispatcher calls.
/// </summary>
public sealed class SnapshotApiTests
{
    const int Keys = 2000;

    static byte[] Key(int i) => Encoding.ASCII.GetBytes($"snapapi:{i}");

    /// <summary>What a write command does: the shard lock, the snapshot hook, then the change.</summary>
    static void Write(Database db, int i, Action<Database, Entry?> change)
    {
        var shard = db.ShardOf(Key(i));
        lock (shard.Lock)
        {
            shard.BeforeWrite(Key(i));
            change(db, db.Find(Key(i), 0));
        }
    }

    static Keyspace.Keyspace Populate()
    {
        var keyspace = new Keyspace.Keyspace(2, 16);
        var db = keyspace[0];
        for (int i = 0; i < Keys; i++)
        {
            var hash = new HashValue();
            hash.Set("v"u8, "0"u8, 128, 64);
            Write(db, i, (d, _) => d.Add(Key(i), i % 2 == 0 ? "0"u8.ToArray() : hash));
        }
        return keyspace;
    }

    /// <summary>Changes every key to version <paramref name="version"/>: strings replaced, hashes changed in place, every tenth key deleted.</summary>
    static void ChangeAll(Database db, string version)
    {
        for (int i = 0; i < Keys; i++)
        {
            Write(db, i, (d, e) =>
            {
                if (e is null) return;
                if (i % 10 == 0) d.Remove(e);
                else if (e.Value is HashValue h) h.Set("v"u8, Encoding.ASCII.GetBytes(version), 128, 64);
                else d.Replace(e, Encoding.ASCII.GetBytes(version));
            });
        }
    }

    static Dictionary<string, string> Read(byte[] rdb)
    {
        var loaded = RdbFile.Read(rdb, RdbLoadLimits.From(new ServerConfig()), true, 0, 2);
        return loaded.Databases.SelectMany(d => d.Keys).ToDictionary(
            k => Encoding.ASCII.GetString(k.Key),
            k => k.Value is HashValue h && h.TryGet("v"u8, out var v) ? "hash:" + Encoding.ASCII.GetString(v) : Encoding.ASCII.GetString((byte[])k.Value));
    }

    static byte[] WriteToMemory(Snapshot snapshot)
    {
        var stream = new MemoryStream();
        snapshot.WriteRdb(stream, new RdbWriteOptions(Compress: false, Checksum: true));
        return stream.ToArray();
    }

    [Fact]
    public void ASnapshotStreamedToMemoryHoldsEveryKeyAsItWasAtTheStart()
    {
        var keyspace = Populate();
        long recorded = 0, offset = 41;
        using var snapshot = Snapshot.Start(keyspace, () => recorded = offset);
        offset = 42;
        ChangeAll(keyspace[0], "1");

        var keys = Read(WriteToMemory(snapshot));

        Assert.Equal(41, recorded);
        Assert.Equal(Keys, keys.Count);
        Assert.All(keys.Values, v => Assert.True(v is "0" or "hash:0", v));
    }

    [Fact]
    public void TwoSnapshotsRunningAtOnceEachHoldTheirOwnStartingPoint()
    {
        var keyspace = Populate();
        using var first = Snapshot.Start(keyspace);
        ChangeAll(keyspace[0], "1");
        using var second = Snapshot.Start(keyspace);
        ChangeAll(keyspace[0], "2");

        var atFirst = Read(WriteToMemory(first));
        var atSecond = Read(WriteToMemory(second));

        Assert.Equal(Keys, atFirst.Count);
        Assert.All(atFirst.Values, v => Assert.True(v is "0" or "hash:0", v));
        Assert.Equal(Keys - Keys / 10, atSecond.Count);
        Assert.All(atSecond.Values, v => Assert.True(v is "1" or "hash:1", v));
    }

    [Fact]
    public void FlushAndSwapDuringASnapshotDoNotReachIt()
    {
        var keyspace = Populate();
        using var snapshot = Snapshot.Start(keyspace);
        keyspace.LockAll();
        try
        {
            keyspace[0].SwapWith(keyspace[1]);
            keyspace[1].Clear();
        }
        finally
        {
            keyspace.UnlockAll();
        }

        var loaded = RdbFile.Read(WriteToMemory(snapshot), RdbLoadLimits.From(new ServerConfig()), true, 0, 2);

        var db = Assert.Single(loaded.Databases);
        Assert.Equal(0, db.Index);
        Assert.Equal(Keys, db.Keys.Count);
    }
}
