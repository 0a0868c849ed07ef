using System.Text;
using Carmine.Server.Keyspace;

namespace Carmine.Server.Tests;

/// <summary>
/// What keeps the GC's young collections short on a large keyspace (docs/memory.md): key names and string values are
/// allocated outside the young generations, and the cron promotes new keys in small steps. Runs on a keyspace in memory.
/// </summary>
public sealed class YoungCollectionTests
{
    [Fact]
    public void KeyNamesAndStringValuesOfALargeKeyspaceAreNotYoung()
    {
        StoredBytes.FollowKeyCount(StoredBytes.PinnedFromKeys);
        Assert.True(StoredBytes.Pinned);
        var keyspace = new Keyspace.Keyspace(1, 16);
        var db = keyspace[0];
        var e = db.Add("young:key"u8, StoredBytes.Copy("a value"u8));
        Assert.Equal(GC.MaxGeneration, GC.GetGeneration(e.Key));
        Assert.Equal(GC.MaxGeneration, GC.GetGeneration(e.Value));
        Assert.Equal("young:key", Encoding.ASCII.GetString(e.Key));
        Assert.Equal("a value", Encoding.ASCII.GetString((byte[])e.Value));
    }

    [Fact]
    public void TheKeyCountDecidesWhetherArraysArePinned()
    {
        var keyspace = new Keyspace.Keyspace(1, 16);
        keyspace.CollectYoungIfGrown();
        Assert.False(StoredBytes.Pinned);
        StoredBytes.FollowKeyCount(StoredBytes.PinnedFromKeys - 1);
        Assert.False(StoredBytes.Pinned);
        StoredBytes.FollowKeyCount(StoredBytes.PinnedFromKeys);
        Assert.True(StoredBytes.Pinned);
    }

    [Fact]
    public void StoredCopiesAreIndependentOfTheirSource()
    {
        var source = "abc"u8.ToArray();
        var copy = StoredBytes.Copy(source);
        source[0] = (byte)'x';
        Assert.Equal("abc", Encoding.ASCII.GetString(copy));
        Assert.Empty(StoredBytes.Copy([]));
        Assert.Equal(new byte[5], StoredBytes.Allocate(5));
    }

    [Fact]
    public void NoCollectionWhileKeysDoNotGrow()
    {
        var keyspace = new Keyspace.Keyspace(1, 16);
        keyspace.CollectYoungIfGrown();
        Assert.False(keyspace.CollectYoungIfGrown());
    }

    [Fact]
    public void KeysGrownPastTheThresholdAreCollected()
    {
        var keyspace = new Keyspace.Keyspace(1, 16);
        var db = keyspace[0];
        keyspace.CollectYoungIfGrown();
        int before = GC.CollectionCount(1);
        // About 4 MB of new keys: past the threshold, whatever KeySize charges per key.
        for (int i = 0; i < 20_000; i++)
        {
            var key = Encoding.ASCII.GetBytes($"young:{i}");
            var shard = db.ShardOf(key);
            lock (shard.Lock) db.Add(key, StoredBytes.Allocate(200));
        }
        // The runtime may have collected on its own meanwhile (other tests allocate too): then the cron has nothing to do.
        int beforeCall = GC.CollectionCount(1);
        bool collected = keyspace.CollectYoungIfGrown();
        if (beforeCall == before) Assert.True(collected);
        Assert.True(GC.CollectionCount(1) > before);
        Assert.False(keyspace.CollectYoungIfGrown());
    }
}
