namespace Carmine.Server.Keyspace;

/// <summary>One key of a database: its name, value, expiry and access time, chained in a <see cref="KeyTable"/> bucket.</summary>
public sealed class Entry(byte[] key, uint hash, object value)
{
    public readonly byte[] Key = key;
    public readonly uint Hash = hash;
    /// <summary>The value: byte[] for strings, or a type from Types/.</summary>
    public object Value = value;
    /// <summary>Absolute expiry time in Unix milliseconds; 0 for none.</summary>
    public long ExpireAt;
    public Entry? Next;
    /// <summary>Last access in seconds (LRU clock), for OBJECT IDLETIME and eviction.</summary>
    public uint Lru;
    /// <summary>Position in the shard's list of keys with an expiry, or -1.</summary>
    public int VolatileIndex = -1;
    /// <summary>Bytes this key is charged in its shard's <see cref="Shard.UsedBytes"/> (<see cref="KeySize"/>).</summary>
    public int Size;
}
