using System.Runtime.CompilerServices;
using Carmine.Server.Keyspace;

namespace Carmine.Server.Types;

/// <summary>One element of a <see cref="SkipList"/>; also the entry of its member index (chained by <see cref="NextInBucket"/>).</summary>
public sealed class SkipNode(byte[] member, double score, int level, uint hash)
{
    public struct Level
    {
        public SkipNode? Forward;
        /// <summary>How many elements the forward link jumps over (1 for the next one), which gives ranks in O(log n).</summary>
        public long Span;
    }

    public readonly byte[] Member = member;
    public double Score = score;
    public SkipNode? Backward;
    public readonly Level[] Levels = new Level[level];
    public readonly uint Hash = hash;
    public SkipNode? NextInBucket;
}

/// <summary>
/// The general encoding of a sorted set ("skiplist" in OBJECT ENCODING): a skiplist ordered by score then
/// member, with spans for rank queries, and a hash index from member to node whose buckets support Redis's
/// reverse-binary SCAN cursor.
/// </summary>
public sealed class SkipList
{
    const int MaxLevel = 32;
    const int MinBuckets = 4;

    readonly SkipNode header = new([], 0, MaxLevel, 0);
    SkipNode? tail;
    int level = 1;
    SkipNode?[] buckets = new SkipNode?[MinBuckets];

    public long Count { get; private set; }
    public SkipNode? First => header.Levels[0].Forward;
    public SkipNode? Last => tail;
    public int BucketCount => buckets.Length;

    public SkipNode? Find(ReadOnlySpan<byte> member) => Find(member, KeyHash.Hash(member));

    /// <summary>Looks a member up by its <see cref="KeyHash"/>, when the caller has it already.</summary>
    public SkipNode? Find(ReadOnlySpan<byte> member, uint hash)
    {
        for (var n = buckets[hash & (buckets.Length - 1)]; n is not null; n = n.NextInBucket)
            if (n.Hash == hash && member.SequenceEqual(n.Member)) return n;
        return null;
    }

    /// <summary>Adds a member known to be absent.</summary>
    public SkipNode Insert(byte[] member, double score) => Insert(member, score, KeyHash.Hash(member));

    public SkipNode Insert(byte[] member, double score, uint hash)
    {
        var node = new SkipNode(member, score, RandomLevel(), hash);
        Link(node);
        if (Count >= buckets.Length) Rehash(buckets.Length * 2);
        ref var head = ref buckets[node.Hash & (buckets.Length - 1)];
        node.NextInBucket = head;
        head = node;
        return node;
    }

    public void Delete(SkipNode node)
    {
        Unlink(node);
        ref var link = ref buckets[node.Hash & (buckets.Length - 1)];
        while (!ReferenceEquals(link, node)) link = ref link!.NextInBucket;
        link = node.NextInBucket;
        node.NextInBucket = null;
        if (buckets.Length > MinBuckets && Count < buckets.Length / 8) Rehash(Math.Max(MinBuckets, buckets.Length / 2));
    }

    /// <summary>Changes a node's score; the node keeps its identity (the index need not change).</summary>
    public void UpdateScore(SkipNode node, double score)
    {
        var back = node.Backward;
        var next = node.Levels[0].Forward;
        if ((back is null || SortedSet.Compare(back.Score, back.Member, score, node.Member) < 0)
            && (next is null || SortedSet.Compare(score, node.Member, next.Score, next.Member) < 0))
        {
            node.Score = score;
            return;
        }
        Unlink(node);
        node.Score = score;
        Link(node);
    }

    /// <summary>The 0-based rank of a node in the list.</summary>
    public long RankOf(SkipNode node)
    {
        long rank = 0;
        var x = header;
        for (int i = level - 1; i >= 0; i--)
        {
            while (x.Levels[i].Forward is { } f && SortedSet.Compare(f.Score, f.Member, node.Score, node.Member) <= 0)
            {
                rank += x.Levels[i].Span;
                x = f;
            }
            if (ReferenceEquals(x, node)) return rank - 1;
        }
        return rank - 1;
    }

    /// <summary>The node at a 0-based rank (which must be less than <see cref="Count"/>).</summary>
    public SkipNode NodeAt(long rank)
    {
        long traversed = 0;
        var x = header;
        rank++;
        for (int i = level - 1; i >= 0; i--)
        {
            while (x.Levels[i].Forward is { } f && traversed + x.Levels[i].Span <= rank)
            {
                traversed += x.Levels[i].Span;
                x = f;
            }
            if (traversed == rank) return x;
        }
        throw new ArgumentOutOfRangeException(nameof(rank));
    }

    /// <summary>The number of leading elements that pass <paramref name="test"/> (a test true on a prefix of the order), in O(log n).</summary>
    public long CountWhile<T>(T test) where T : struct, IZElementTest
    {
        long rank = 0;
        var x = header;
        for (int i = level - 1; i >= 0; i--)
        {
            while (x.Levels[i].Forward is { } f && test.Test(f.Score, f.Member))
            {
                rank += x.Levels[i].Span;
                x = f;
            }
        }
        return rank;
    }

    /// <summary>Removes the elements with 0-based ranks in [start, start + count).</summary>
    public void DeleteRange(long start, long count)
    {
        var node = NodeAt(start);
        for (long i = 0; i < count; i++)
        {
            var next = node.Levels[0].Forward;
            Delete(node);
            node = next!;
        }
    }

    /// <summary>Visits the members of the index bucket named by <paramref name="cursor"/> and returns the next cursor (0 at the end).</summary>
    public ulong ScanStep(ulong cursor, List<SkipNode> found)
    {
        ulong mask = (ulong)buckets.Length - 1;
        for (var n = buckets[cursor & mask]; n is not null; n = n.NextInBucket) found.Add(n);
        cursor |= ~mask;
        cursor = KeyHash.Reverse(cursor);
        cursor++;
        return KeyHash.Reverse(cursor);
    }

    /// <summary>A uniformly chosen element (the list must not be empty).</summary>
    public SkipNode RandomNode(Random random) => NodeAt(random.NextInt64(Count));

    void Link(SkipNode node)
    {
        Span<long> rank = stackalloc long[MaxLevel];
        var update = new UpdateVector();
        var x = header;
        for (int i = level - 1; i >= 0; i--)
        {
            rank[i] = i == level - 1 ? 0 : rank[i + 1];
            while (x.Levels[i].Forward is { } f && SortedSet.Compare(f.Score, f.Member, node.Score, node.Member) < 0)
            {
                rank[i] += x.Levels[i].Span;
                x = f;
            }
            update[i] = x;
        }
        int nodeLevel = node.Levels.Length;
        if (nodeLevel > level)
        {
            for (int i = level; i < nodeLevel; i++)
            {
                rank[i] = 0;
                update[i] = header;
                header.Levels[i].Span = Count;
            }
            level = nodeLevel;
        }
        for (int i = 0; i < nodeLevel; i++)
        {
            node.Levels[i].Forward = update[i].Levels[i].Forward;
            update[i].Levels[i].Forward = node;
            node.Levels[i].Span = update[i].Levels[i].Span - (rank[0] - rank[i]);
            update[i].Levels[i].Span = rank[0] - rank[i] + 1;
        }
        for (int i = nodeLevel; i < level; i++) update[i].Levels[i].Span++;
        node.Backward = ReferenceEquals(update[0], header) ? null : update[0];
        if (node.Levels[0].Forward is { } after) after.Backward = node;
        else tail = node;
        Count++;
    }

    void Unlink(SkipNode node)
    {
        var update = new UpdateVector();
        var x = header;
        for (int i = level - 1; i >= 0; i--)
        {
            while (x.Levels[i].Forward is { } f && !ReferenceEquals(f, node)
                && SortedSet.Compare(f.Score, f.Member, node.Score, node.Member) < 0)
                x = f;
            update[i] = x;
        }
        for (int i = 0; i < level; i++)
        {
            if (ReferenceEquals(update[i].Levels[i].Forward, node))
            {
                update[i].Levels[i].Span += node.Levels[i].Span - 1;
                update[i].Levels[i].Forward = node.Levels[i].Forward;
            }
            else update[i].Levels[i].Span--;
        }
        if (node.Levels[0].Forward is { } after) after.Backward = node.Backward;
        else tail = node.Backward;
        while (level > 1 && header.Levels[level - 1].Forward is null) level--;
        for (int i = 0; i < node.Levels.Length; i++) node.Levels[i] = default;
        node.Backward = null;
        Count--;
    }

    void Rehash(int size)
    {
        var fresh = new SkipNode?[size];
        int mask = size - 1;
        foreach (var head in buckets)
        {
            var n = head;
            while (n is not null)
            {
                var next = n.NextInBucket;
                ref var slot = ref fresh[n.Hash & mask];
                n.NextInBucket = slot;
                slot = n;
                n = next;
            }
        }
        buckets = fresh;
    }

    /// <summary>The last node before the insert or delete point on each level, kept on the stack.</summary>
    [InlineArray(MaxLevel)]
    struct UpdateVector
    {
        SkipNode element;
    }

    // Level k+1 with probability 1/4 of level k, as Redis's ZSKIPLIST_P.
    static int RandomLevel()
    {
        int l = 1;
        while (l < MaxLevel && (Random.Shared.Next() & 0xFFFF) < 0xFFFF / 4) l++;
        return l;
    }
}
