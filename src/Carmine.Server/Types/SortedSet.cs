using Carmine.Server.Keyspace;

namespace Carmine.Server.Types;

/// <summary>zset-max-listpack-entries and zset-max-listpack-value: how large a sorted set may grow in the compact encoding.</summary>
public readonly record struct ZSetLimits(long MaxEntries, long MaxValue)
{
    /// <summary>Redis never lets a listpack pass 1 GB (lpSafeToAdd), whatever the thresholds allow.</summary>
    public const long SafeBytes = 1L << 30;

    public bool Fits(long count, long longestMember, long totalBytes) =>
        count <= MaxEntries && longestMember <= MaxValue && totalBytes <= SafeBytes;
}

[Flags]
public enum ZAddFlags { None = 0, Incr = 1, NX = 2, XX = 4, GT = 8, LT = 16 }

/// <summary>What ZADD did with one element (Redis's ZADD_OUT_* flags).</summary>
public enum ZAddResult { Nop, Added, Updated, Unchanged, NaN }

/// <summary>A position in a sorted set that walks forward or backward; invalid once it runs off either end.</summary>
public struct ZCursor
{
    readonly ZListpack? listpack;
    readonly bool reverse;
    SkipNode? node;
    int offset;

    internal ZCursor(ZListpack listpack, int offset, bool reverse) => (this.listpack, this.offset, this.reverse) = (listpack, offset, reverse);

    internal ZCursor(SkipNode? node, bool reverse) => (this.node, this.reverse) = (node, reverse);

    public readonly bool Valid => listpack is null ? node is not null : offset >= 0 && offset < listpack.End;

    public readonly ReadOnlySpan<byte> Member => listpack is null ? node!.Member : listpack.MemberAt(offset);

    public readonly double Score => listpack is null ? node!.Score : listpack.ScoreAt(offset);

    public void Next()
    {
        if (listpack is not null) offset = reverse ? listpack.Prev(offset) : listpack.Next(offset);
        else node = reverse ? node!.Backward : node!.Levels[0].Forward;
    }
}

/// <summary>
/// A Redis sorted set: unique byte-string members ordered by a double score, then by member bytes. Small sets
/// use <see cref="ZListpack"/>; one that outgrows <see cref="ZSetLimits"/> becomes a <see cref="SkipList"/>
/// for good, as in Redis (only a rebuilt set, e.g. a STORE result, goes back to the compact form).
/// </summary>
public sealed class SortedSet : IRedisObject, ICopyable
{
    ZListpack? listpack;
    SkipList? skiplist;

    SortedSet(bool compact)
    {
        if (compact) listpack = new ZListpack();
        else skiplist = new SkipList();
    }

    /// <summary>A new empty set in the encoding Redis picks for a first member of <paramref name="firstMemberLength"/> bytes.</summary>
    public static SortedSet Create(ZSetLimits limits, long firstMemberLength) =>
        new(limits.MaxEntries > 0 && firstMemberLength <= limits.MaxValue);

    /// <summary>A set holding <paramref name="items"/> (unique members, any order), compact if it fits the limits.</summary>
    public static SortedSet Build(List<(byte[] Member, double Score)> items, ZSetLimits limits)
    {
        long longest = 0, total = 0;
        foreach (var (m, _) in items)
        {
            longest = Math.Max(longest, m.Length);
            total += m.Length;
        }
        var set = new SortedSet(limits.Fits(items.Count, longest, total));
        if (set.listpack is not null)
        {
            items.Sort((a, b) => Compare(a.Score, a.Member, b.Score, b.Member));
            foreach (var (m, s) in items) set.listpack.Append(m, s);
        }
        else foreach (var (m, s) in items) set.skiplist!.Insert(m, s);
        return set;
    }

    /// <summary>COPY's duplicate: same contents and encoding; members are shared, as they are never modified in place.</summary>
    public IRedisObject DeepCopy()
    {
        var copy = new SortedSet(listpack is not null);
        if (listpack is not null) copy.listpack = listpack.Clone();
        else for (var n = skiplist!.First; n is not null; n = n.Levels[0].Forward) copy.skiplist!.Insert(n.Member, n.Score, n.Hash);
        return copy;
    }

    public string TypeName => "zset";
    public string Encoding => listpack is not null ? "listpack" : "skiplist";
    public bool IsCompact => listpack is not null;
    public long Count => listpack?.Count ?? skiplist!.Count;

    /// <summary>The order of a sorted set: by score, then by member bytes.</summary>
    public static int Compare(double score1, ReadOnlySpan<byte> member1, double score2, ReadOnlySpan<byte> member2)
    {
        if (score1 < score2) return -1;
        if (score1 > score2) return 1;
        return member1.SequenceCompareTo(member2);
    }

    public bool TryGetScore(ReadOnlySpan<byte> member, out double score)
    {
        if (listpack is not null) return listpack.Find(member, out score) >= 0;
        var node = skiplist!.Find(member);
        score = node?.Score ?? 0;
        return node is not null;
    }

    /// <summary>ZADD of one element with Redis's semantics for INCR, NX, XX, GT and LT; converts to a skiplist when the set outgrows <paramref name="limits"/>.</summary>
    public ZAddResult Add(ReadOnlySpan<byte> member, double score, ZAddFlags flags, ZSetLimits limits, out double newScore)
    {
        newScore = score;
        if (double.IsNaN(score)) return ZAddResult.NaN;
        if (listpack is not null)
        {
            int off = listpack.Find(member, out double current);
            if (off >= 0)
            {
                var r = Update(flags, current, ref score);
                newScore = score;
                if (r == ZAddResult.Updated) listpack.UpdateScore(off, member, score);
                return r;
            }
            if ((flags & ZAddFlags.XX) != 0) return ZAddResult.Nop;
            if (limits.Fits(listpack.Count + 1, member.Length, listpack.Bytes + member.Length))
            {
                listpack.Insert(member, score);
                return ZAddResult.Added;
            }
            ConvertToSkipList();
        }
        uint hash = KeyHash.Hash(member);
        var node = skiplist!.Find(member, hash);
        if (node is not null)
        {
            var r = Update(flags, node.Score, ref score);
            newScore = score;
            if (r == ZAddResult.Updated) skiplist.UpdateScore(node, score);
            return r;
        }
        if ((flags & ZAddFlags.XX) != 0) return ZAddResult.Nop;
        skiplist.Insert(member.ToArray(), score, hash);
        return ZAddResult.Added;
    }

    // The decision for a member already present: its new score in 'score', or why nothing changes.
    static ZAddResult Update(ZAddFlags flags, double current, ref double score)
    {
        if ((flags & ZAddFlags.NX) != 0) return ZAddResult.Nop;
        if ((flags & ZAddFlags.Incr) != 0)
        {
            score += current;
            if (double.IsNaN(score)) return ZAddResult.NaN;
        }
        if (((flags & ZAddFlags.LT) != 0 && score >= current) || ((flags & ZAddFlags.GT) != 0 && score <= current)) return ZAddResult.Nop;
        return score != current ? ZAddResult.Updated : ZAddResult.Unchanged;
    }

    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (listpack is not null)
        {
            int off = listpack.Find(member, out _);
            if (off < 0) return false;
            listpack.DeleteRange(off, 1);
            return true;
        }
        var node = skiplist!.Find(member);
        if (node is null) return false;
        skiplist.Delete(node);
        return true;
    }

    /// <summary>The 0-based rank of a member in ascending order, or -1 if absent.</summary>
    public long Rank(ReadOnlySpan<byte> member)
    {
        if (listpack is not null)
        {
            int off = listpack.Find(member, out _);
            return off < 0 ? -1 : listpack.RankOf(off);
        }
        var node = skiplist!.Find(member);
        return node is null ? -1 : skiplist.RankOf(node);
    }

    /// <summary>The ranks [Start, End) of the elements in a score range (empty when End &lt;= Start).</summary>
    public (long Start, long End) RankSpan(ScoreRange range) =>
        (CountWhile(new ScoreRange.BelowMin(range)), CountWhile(new ScoreRange.WithinMax(range)));

    /// <summary>
    /// The ranks [Start, End) of the elements in a lex range, found as Redis finds them: the first element in range
    /// from the low end (or, if <paramref name="reverse"/>, the last from the high end), then its neighbours while
    /// they stay in range. Lex ranges assume equal scores; when scores differ this gives Redis's answers, which
    /// depend on the encoding (a linear search in a listpack, a skiplist descent otherwise).
    /// </summary>
    public (long Start, long End) RankSpan(LexRange range, bool reverse = false)
    {
        if (reverse)
        {
            long last = LastInLexRange(range);
            if (last < 0) return (0, 0);
            long low = last;
            for (var c = At(last, reverse: true); c.Valid && range.GteMin(c.Member); c.Next()) low--;
            return (low + 1, last + 1);
        }
        long first = FirstInLexRange(range);
        if (first < 0) return (0, 0);
        long end = first;
        for (var c = At(first, reverse: false); c.Valid && range.LteMax(c.Member); c.Next()) end++;
        return (first, end);
    }

    /// <summary>ZLEXCOUNT: a walk in a listpack, a difference of ranks in a skiplist, as in Redis.</summary>
    public long LexCount(LexRange range)
    {
        if (listpack is not null)
        {
            var (start, end) = RankSpan(range);
            return end - start;
        }
        long first = FirstInLexRange(range);
        if (first < 0) return 0;
        long last = LastInLexRange(range);
        return last < first ? 0 : last - first + 1;
    }

    // Both ends of the set must reach into the range before a search starts (zslIsInLexRange).
    bool MayHold(LexRange range) =>
        !range.IsEmpty && Count > 0 && range.GteMin(At(Count - 1, true).Member) && range.LteMax(At(0, false).Member);

    long FirstInLexRange(LexRange range)
    {
        if (!MayHold(range)) return -1;
        long rank = 0;
        if (listpack is not null)
        {
            for (var c = Iterate(); c.Valid && !range.GteMin(c.Member); c.Next()) rank++;
        }
        else rank = skiplist!.CountWhile(new LexRange.BelowMin(range));
        return rank < Count && range.LteMax(At(rank, false).Member) ? rank : -1;
    }

    long LastInLexRange(LexRange range)
    {
        if (!MayHold(range)) return -1;
        long rank = Count - 1;
        if (listpack is not null)
        {
            for (var c = Iterate(reverse: true); c.Valid && !range.LteMax(c.Member); c.Next()) rank--;
        }
        else rank = skiplist!.CountWhile(new LexRange.WithinMax(range)) - 1;
        return rank >= 0 && range.GteMin(At(rank, false).Member) ? rank : -1;
    }

    long CountWhile<T>(T test) where T : struct, IZElementTest =>
        listpack is not null ? listpack.CountWhile(test) : skiplist!.CountWhile(test);

    /// <summary>A cursor on the element of ascending rank <paramref name="rank"/> (which must exist), walking toward higher ranks or, if <paramref name="reverse"/>, lower ones.</summary>
    public ZCursor At(long rank, bool reverse)
    {
        if (listpack is not null) return new ZCursor(listpack, listpack.OffsetOfRank(rank), reverse);
        return new ZCursor(skiplist!.NodeAt(rank), reverse);
    }

    /// <summary>A cursor on every element in ascending order (descending if <paramref name="reverse"/>).</summary>
    public ZCursor Iterate(bool reverse = false)
    {
        if (listpack is not null) return new ZCursor(listpack, reverse ? listpack.Prev(listpack.End) : ZListpack.Start, reverse);
        return new ZCursor(reverse ? skiplist!.Last : skiplist!.First, reverse);
    }

    /// <summary>Removes the elements of ascending ranks [start, start + count).</summary>
    public void DeleteRange(long start, long count)
    {
        if (count <= 0) return;
        if (listpack is not null) listpack.DeleteRange(listpack.OffsetOfRank(start), count);
        else skiplist!.DeleteRange(start, count);
    }

    /// <summary>The skiplist's member index, for ZSCAN's cursor; null while the set is compact (then ZSCAN returns everything at once).</summary>
    public SkipList? Index => skiplist;

    void ConvertToSkipList()
    {
        var list = new SkipList();
        for (var c = Iterate(); c.Valid; c.Next()) list.Insert(c.Member.ToArray(), c.Score);
        skiplist = list;
        listpack = null;
    }
}
