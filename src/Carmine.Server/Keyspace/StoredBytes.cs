namespace Carmine.Server.Keyspace;

/// <summary>
/// The byte arrays the keyspace keeps for a long time: key names, string values and the buffers of strings changed in
/// place. On a large keyspace they live on the pinned object heap, which the GC collects only with its oldest
/// generation: a value stored in an old entry is then not a young object referenced from an old one, so young
/// collections neither copy it nor scan the entry's memory for it, and their pauses stay short however fast clients
/// overwrite keys. A pinned allocation costs more than a young one, and on a small keyspace overwritten values mostly
/// die young anyway, so below <see cref="PinnedFromKeys"/> keys the arrays are ordinary ones (docs/memory.md).
/// </summary>
public static class StoredBytes
{
    /// <summary>The number of keys from which new arrays are pinned.</summary>
    public const long PinnedFromKeys = 1 << 18;

    static volatile bool pinned;

    /// <summary>Whether new arrays go to the pinned object heap.</summary>
    public static bool Pinned => pinned;

    /// <summary>Called by the cron with the number of keys in every database.</summary>
    public static void FollowKeyCount(long keys) => pinned = keys >= PinnedFromKeys;

    public static byte[] Copy(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return [];
        var copy = GC.AllocateUninitializedArray<byte>(bytes.Length, pinned);
        bytes.CopyTo(copy);
        return copy;
    }

    /// <summary>A zeroed array of <paramref name="length"/> bytes, for a value built in place.</summary>
    public static byte[] Allocate(int length) => length == 0 ? [] : GC.AllocateArray<byte>(length, pinned);
}
