using System.Buffers.Text;
using Carmine.Protocol;

namespace Carmine.Server.Types;

/// <summary>
/// A set value, in Redis 7.0's two encodings: an <see cref="IntSet"/> while every member is an integer and
/// there are at most set-max-intset-entries of them, else a <see cref="ByteDict"/> ("hashtable") for good.
/// Members are bytes; an intset member is its decimal text (Redis's string2ll rules decide what is an integer).
/// </summary>
public sealed class SetValue : IRedisObject, ICopyable
{
    /// <summary>Redis caps intsets at 2^30 entries whatever the configuration says.</summary>
    const long IntsetHardLimit = 1L << 30;

    IntSet? ints;
    ByteDict? dict;

    /// <summary>A set able to hold <paramref name="firstMember"/> in the compact encoding if it can (setTypeCreate).</summary>
    public SetValue(ReadOnlySpan<byte> firstMember)
    {
        if (NumberFormat.TryParseInt64(firstMember, out _)) ints = new IntSet();
        else dict = new ByteDict(false);
    }

    /// <summary>An empty set in the intset encoding, as Redis starts the results of SINTERSTORE and friends.</summary>
    public SetValue() => ints = new IntSet();

    public string TypeName => "set";

    public string Encoding => dict is null ? "intset" : "hashtable";

    public bool IsIntset => dict is null;

    public int Count => dict?.Count ?? ints!.Count;

    public IntSet? Ints => ints;

    /// <summary>The hashtable behind a set in that encoding (for SCAN's cursor), else null.</summary>
    public ByteDict? Dict => dict;

    /// <summary>Adds a member; false if present. An intset converts on a non-integer or past <paramref name="maxIntsetEntries"/>.</summary>
    public bool Add(ReadOnlySpan<byte> member, long maxIntsetEntries)
    {
        if (ints is not null)
        {
            if (NumberFormat.TryParseInt64(member, out long v)) return Add(v, maxIntsetEntries);
            ConvertToDict();
            dict!.AddNew(member.ToArray());
            return true;
        }
        return dict!.Add(member);
    }

    /// <summary>Adds an integer member without going through its text when this set is an intset.</summary>
    public bool Add(long member, long maxIntsetEntries)
    {
        if (ints is null)
        {
            Span<byte> tmp = stackalloc byte[20];
            Utf8Formatter.TryFormat(member, tmp, out int n);
            return dict!.Add(tmp[..n]);
        }
        if (!ints.Add(member)) return false;
        if (ints.Count > Math.Min(maxIntsetEntries, IntsetHardLimit)) ConvertToDict();
        return true;
    }

    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (ints is not null) return NumberFormat.TryParseInt64(member, out long v) && ints.Remove(v);
        return dict!.Remove(member);
    }

    public bool Contains(ReadOnlySpan<byte> member)
    {
        if (ints is not null) return NumberFormat.TryParseInt64(member, out long v) && ints.Contains(v);
        return dict!.Contains(member);
    }

    /// <summary>Membership of an integer, without formatting it when this set is an intset.</summary>
    public bool Contains(long member)
    {
        if (ints is not null) return ints.Contains(member);
        Span<byte> tmp = stackalloc byte[20];
        Utf8Formatter.TryFormat(member, tmp, out int n);
        return dict!.Contains(tmp[..n]);
    }

    /// <summary>Writes the member at <paramref name="index"/> in [0, Count) and returns its bytes (using <paramref name="scratch"/> for an integer).</summary>
    public ReadOnlySpan<byte> MemberAt(int index, Span<byte> scratch)
    {
        if (dict is not null) return dict.KeyAt(index);
        Utf8Formatter.TryFormat(ints![index], scratch, out int n);
        return scratch[..n];
    }

    /// <summary>Removes the member at <paramref name="index"/> in [0, Count).</summary>
    public void RemoveAt(int index)
    {
        if (dict is not null) dict.RemoveAt(index);
        else ints!.RemoveAt(index);
    }

    public void ConvertToDict()
    {
        if (ints is null) return;
        var d = new ByteDict(false, ints.Count);
        for (int i = 0; i < ints.Count; i++) d.AddNew(NumberFormat.Int64ToBytes(ints[i]));
        dict = d;
        ints = null;
    }

    IRedisObject ICopyable.DeepCopy() => Clone();

    public SetValue Clone()
    {
        var copy = (SetValue)MemberwiseClone();
        copy.ints = ints?.Clone();
        copy.dict = dict?.Clone();
        return copy;
    }
}
