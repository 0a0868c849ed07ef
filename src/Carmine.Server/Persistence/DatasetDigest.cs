using System.Buffers.Binary;
using System.Security.Cryptography;
using Carmine.Protocol;
using Carmine.Server.Keyspace;
using Carmine.Server.Types;

namespace Carmine.Server.Persistence;

/// <summary>
/// DEBUG DIGEST and DEBUG DIGEST-VALUE: the same SHA1-based digests as Redis's debug.c, so that a dataset has
/// one digest whichever server holds it. Unordered collections xor their elements' digests; ordered data is
/// "mixed" (digest = SHA1(digest xor SHA1(data))) so that order matters.
/// </summary>
public static class DatasetDigest
{
    /// <summary>Digest mixers for types defined elsewhere (lists, streams): the Redis object type number and how elements are mixed.</summary>
    public readonly record struct Mixer(int ObjectType, Action<byte[], object> Mix);

    static readonly Dictionary<Type, Mixer> mixers = [];

    public static void Register(Type clrType, int objectType, Action<byte[], object> mix)
    {
        lock (mixers) mixers[clrType] = new Mixer(objectType, mix);
    }

    public static void Xor(byte[] digest, ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(data, hash);
        for (int i = 0; i < 20; i++) digest[i] ^= hash[i];
    }

    public static void Mix(byte[] digest, ReadOnlySpan<byte> data)
    {
        Xor(digest, data);
        SHA1.HashData(digest).CopyTo(digest, 0);
    }

    /// <summary>The digest of the whole dataset; the caller holds every lock.</summary>
    public static byte[] Compute(Keyspace.Keyspace keyspace)
    {
        var final = new byte[20];
        Span<byte> dbId = stackalloc byte[4];
        foreach (var db in keyspace.Databases)
        {
            if (db.Count == 0) continue;
            BinaryPrimitives.WriteInt32BigEndian(dbId, db.Index);
            Mix(final, dbId);
            foreach (var shard in db.Shards)
            {
                foreach (var e in shard.Table.Entries())
                {
                    var digest = new byte[20];
                    Mix(digest, e.Key);
                    ObjectDigest(digest, e);
                    Xor(final, digest);
                }
            }
        }
        return final;
    }

    /// <summary>xorObjectDigest: the value's type, contents and whether it has an expiry, into <paramref name="digest"/>.</summary>
    public static void ObjectDigest(byte[] digest, Entry e)
    {
        var value = e.Value;
        Span<byte> typeWord = stackalloc byte[4];
        Span<byte> scratch = stackalloc byte[40];
        switch (value)
        {
            case byte[] or RawString:
                BinaryPrimitives.WriteInt32BigEndian(typeWord, 0);
                Mix(digest, typeWord);
                Mix(digest, StringValue.Span(value));
                break;
            case SetValue set:
                BinaryPrimitives.WriteInt32BigEndian(typeWord, 2);
                Mix(digest, typeWord);
                for (int i = 0; i < set.Count; i++) Xor(digest, set.MemberAt(i, scratch));
                break;
            case SortedSet z:
                BinaryPrimitives.WriteInt32BigEndian(typeWord, 3);
                Mix(digest, typeWord);
                for (var cur = z.Iterate(); cur.Valid; cur.Next())
                {
                    var ele = new byte[20];
                    Mix(ele, cur.Member);
                    Mix(ele, scratch[..NumberFormat.FormatDouble(cur.Score, scratch)]);
                    Xor(digest, ele);
                }
                break;
            case HashValue h:
                BinaryPrimitives.WriteInt32BigEndian(typeWord, 4);
                Mix(digest, typeWord);
                foreach (var pair in h)
                {
                    var ele = new byte[20];
                    Mix(ele, pair.Field);
                    Mix(ele, pair.Value);
                    Xor(digest, ele);
                }
                break;
            default:
                Mixer mixer;
                lock (mixers)
                    if (!mixers.TryGetValue(value.GetType(), out mixer))
                        throw new NotSupportedException($"no digest for values of type {RedisObject.TypeName(value)}");
                BinaryPrimitives.WriteInt32BigEndian(typeWord, mixer.ObjectType);
                Mix(digest, typeWord);
                mixer.Mix(digest, value);
                break;
        }
        if (e.ExpireAt != 0) Xor(digest, "!!expire!!"u8);
    }

    public static string Hex(byte[] digest) => Convert.ToHexString(digest).ToLowerInvariant();
}
