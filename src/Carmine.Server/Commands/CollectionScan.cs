using System.Buffers.Text;
using Carmine.Protocol;
using Carmine.Server.Network;
using Carmine.Server.Types;

namespace Carmine.Server.Commands;

/// <summary>
/// What HSCAN and SSCAN share (scanGenericCommand in Redis): the cursor, the MATCH and COUNT options and the
/// reply. Compact encodings return everything in one call with cursor 0; hashtables walk their buckets.
/// </summary>
static class CollectionScan
{
    /// <summary>Parses a cursor as Redis's strtoul does: decimal, an optional sign, no spaces, no overflow.</summary>
    public static bool TryParseCursor(Client c, int i, out ulong cursor)
    {
        cursor = 0;
        var s = c.Args[i];
        int p = 0;
        bool negative = false;
        if (p < s.Length && (s[p] == '+' || s[p] == '-'))
        {
            negative = s[p] == '-';
            p++;
        }
        bool ok = p < s.Length || s.Length == 0;
        for (; p < s.Length && ok; p++)
        {
            uint d = (uint)(s[p] - '0');
            if (d > 9 || cursor > (ulong.MaxValue - d) / 10) ok = false;
            else cursor = cursor * 10 + d;
        }
        if (!ok)
        {
            c.Error("ERR invalid cursor");
            return false;
        }
        if (negative) cursor = 0 - cursor;
        return true;
    }

    /// <summary>Parses [MATCH pattern] [COUNT n] from argument 3 on; -1 as pattern index means no pattern.</summary>
    static bool TryParseOptions(Client c, out long count, out int patternIndex)
    {
        count = 10;
        patternIndex = -1;
        var args = c.Args;
        for (int i = 3; i < args.Count; i += 2)
        {
            bool hasValue = i + 1 < args.Count;
            if (hasValue && args.Is(i, "count"))
            {
                if (!c.TryLong(i + 1, out count)) return false;
                if (count < 1)
                {
                    c.Error(Errors.Syntax);
                    return false;
                }
            }
            else if (hasValue && args.Is(i, "match"))
            {
                // "*" matches everything: the same as no pattern.
                patternIndex = args[i + 1] is [(byte)'*'] ? -1 : i + 1;
            }
            else
            {
                c.Error(Errors.Syntax);
                return false;
            }
        }
        return true;
    }

    public static void EmptyReply(Client c) => c.Reply.WriteRaw("*2\r\n$1\r\n0\r\n*0\r\n"u8);

    static void CursorHeader(Client c, ulong cursor)
    {
        c.Reply.ArrayHeader(2);
        Span<byte> tmp = stackalloc byte[24];
        Utf8Formatter.TryFormat(cursor, tmp, out int n);
        c.Reply.Bulk(tmp[..n]);
    }

    /// <summary>Walks a hashtable's buckets from <paramref name="cursor"/> until about <paramref name="count"/> entries are found.</summary>
    static ulong Walk(ByteDict dict, ulong cursor, long count, List<int> found)
    {
        // Ten empty buckets per wanted entry at most, so a sparse table cannot stall the call.
        long maxIterations = count > long.MaxValue / 10 ? long.MaxValue : count * 10;
        do cursor = dict.ScanStep(cursor, found);
        while (cursor != 0 && maxIterations-- > 0 && found.Count < count);
        return cursor;
    }

    static bool Matches(Client c, int patternIndex, ReadOnlySpan<byte> s) => patternIndex < 0 || GlobMatch.Match(c.Args[patternIndex], s);

    public static void Hash(Client c, HashValue hash, ulong cursor)
    {
        if (!TryParseOptions(c, out long count, out int pattern)) return;
        var found = new List<int>();
        if (hash.Dict is { } dict) cursor = Walk(dict, cursor, count, found);
        else
        {
            for (int i = 0; i < hash.Count; i++) found.Add(i);
            cursor = 0;
        }
        int kept = 0;
        for (int k = 0; k < found.Count; k++)
            if (Matches(c, pattern, hash.FieldAt(found[k]))) found[kept++] = found[k];
        CursorHeader(c, cursor);
        c.Reply.ArrayHeader(kept * 2);
        for (int k = 0; k < kept; k++)
        {
            c.Reply.Bulk(hash.FieldAt(found[k]));
            c.Reply.Bulk(hash.ValueAt(found[k]));
        }
    }

    public static void Set(Client c, SetValue set, ulong cursor)
    {
        if (!TryParseOptions(c, out long count, out int pattern)) return;
        var found = new List<int>();
        if (set.Dict is { } dict) cursor = Walk(dict, cursor, count, found);
        else
        {
            for (int i = 0; i < set.Count; i++) found.Add(i);
            cursor = 0;
        }
        Span<byte> scratch = stackalloc byte[24];
        int kept = 0;
        for (int k = 0; k < found.Count; k++)
            if (Matches(c, pattern, set.MemberAt(found[k], scratch))) found[kept++] = found[k];
        CursorHeader(c, cursor);
        c.Reply.ArrayHeader(kept);
        for (int k = 0; k < kept; k++) c.Reply.Bulk(set.MemberAt(found[k], scratch));
    }
}
