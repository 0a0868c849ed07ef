using System.Globalization;
using System.Text;
using Carmine.Protocol;
using Carmine.Server.Keyspace;
using Carmine.Server.Network;
using Carmine.Server.PubSub;
using Carmine.Server.Types;

namespace Carmine.Server.Commands;

/// <summary>
/// SORT and SORT_RO (sort.c in Redis). BY and GET patterns name other keys, found only from the sorted elements,
/// so these commands run exclusively rather than declaring those keys.
/// </summary>
static class SortCommands
{
    [Command("sort", -2, Flags = "write denyoom", Acl = "set sortedset list dangerous", Group = "generic", Since = "1.0.0", Exclusive = true,
        Keys = ["RO access; index 1; range 0 1 0", "RO access; unknown; unknown; notes For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort", "OW update; unknown; unknown; notes For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array"], KeysFunction = nameof(SortKeys),
        Summary = "Sort the elements in a list, set or sorted set",
        Complexity = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
        Arguments = ["key:key", "pattern:pattern token=BY optional spec=1", "offset_count:block token=LIMIT optional (offset:integer | count:integer)", "pattern:pattern token=GET optional multiple multiple_token spec=1", "order:oneof optional (asc:pure-token token=ASC | desc:pure-token token=DESC)", "sorting:pure-token token=ALPHA optional", "destination:key token=STORE optional spec=2"])]
    static void Sort(Client c) => SortGeneric(c, readOnly: false);

    [Command("sort_ro", -2, Flags = "readonly", Acl = "set sortedset list dangerous", Group = "generic", Since = "7.0.0", Exclusive = true,
        Keys = ["RO access; index 1; range 0 1 0", "RO access; unknown; unknown; notes For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort"], KeysFunction = nameof(SortRoKeys),
        Summary = "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
        Complexity = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
        Arguments = ["key:key", "pattern:pattern token=BY optional spec=1", "offset_count:block token=LIMIT optional (offset:integer | count:integer)", "pattern:pattern token=GET optional multiple multiple_token spec=1", "order:oneof optional (asc:pure-token token=ASC | desc:pure-token token=DESC)", "sorting:pure-token token=ALPHA optional"])]
    static void SortRo(Client c) => SortGeneric(c, readOnly: true);

    /// <summary>SORT's keys: the sorted key and the last STORE destination, skipping the arguments of LIMIT, GET and BY as Redis's sortGetKeys does.</summary>
    static bool SortKeys(ArgList args, List<KeyReference> keys)
    {
        keys.Add(new KeyReference(1, ["RO", "access"]));
        int store = -1;
        for (int i = 2; i < args.Count; i++)
        {
            if (args.Is(i, "limit")) i += 2;
            else if (args.Is(i, "get") || args.Is(i, "by")) i++;
            else if (args.Is(i, "store") && i + 1 < args.Count) store = i + 1;
        }
        if (store >= 0) keys.Add(new KeyReference(store, ["OW", "update"]));
        return true;
    }

    /// <summary>SORT_RO's only key is the sorted one.</summary>
    static bool SortRoKeys(ArgList args, List<KeyReference> keys)
    {
        keys.Add(new KeyReference(1, ["RO", "access"]));
        return true;
    }

    /// <summary>One element being sorted: its value, and the numeric score or the string it is compared by.</summary>
    sealed class SortItem(byte[] value, int position)
    {
        public readonly byte[] Value = value;
        /// <summary>The order of loading, which breaks ties so that the sort is stable.</summary>
        public readonly int Position = position;
        public double Score;
        public byte[]? CompareBy;
    }

    static void SortGeneric(Client c, bool readOnly)
    {
        var args = c.Args;
        bool desc = false, alpha = false, dontSort = false;
        long limitStart = 0, limitCount = -1;
        int byIndex = -1, storeIndex = -1;
        var gets = new List<byte[]>();
        for (int j = 2; j < args.Count; j++)
        {
            int left = args.Count - j - 1;
            if (args.Is(j, "asc")) desc = false;
            else if (args.Is(j, "desc")) desc = true;
            else if (args.Is(j, "alpha")) alpha = true;
            else if (args.Is(j, "limit") && left >= 2)
            {
                if (!c.TryLong(j + 1, out limitStart) || !c.TryLong(j + 2, out limitCount)) return;
                j += 2;
            }
            else if (!readOnly && args.Is(j, "store") && left >= 1) storeIndex = ++j;
            else if (args.Is(j, "by") && left >= 1)
            {
                byIndex = ++j;
                // A BY pattern without '*' is the same key for every element: there is nothing to sort by.
                dontSort = args[j].IndexOf((byte)'*') < 0;
            }
            else if (args.Is(j, "get") && left >= 1) gets.Add(args.ToArray(++j));
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }

        var entry = c.LookupRead(args[1]);
        var source = entry?.Value;
        if (source is not null and not SetValue and not SortedSet and not ListValue)
        {
            c.Error(Errors.WrongType);
            return;
        }
        // A set has no order of its own: a stored result, or a script's, must not depend on the hash table's, so it is sorted anyway.
        if (dontSort && source is SetValue && (storeIndex >= 0 || c.IsScript))
        {
            dontSort = false;
            alpha = true;
            byIndex = -1;
        }
        byte[]? byPattern = byIndex >= 0 ? args.ToArray(byIndex) : null;
        // Redis converts a compact sorted set before sorting it, and it stays converted (OBJECT ENCODING shows it).
        if (source is SortedSet { IsCompact: true } compact) compact.ConvertToSkipList();

        long length = source switch { SetValue s => s.Count, SortedSet z => z.Count, ListValue l => l.Count, _ => 0 };
        long start = Math.Min(Math.Max(limitStart, 0), length);
        long count = Math.Min(Math.Max(limitCount, -1), length);
        long end = count < 0 ? length - 1 : start + count - 1;
        if (start >= length)
        {
            start = length - 1;
            end = length - 2;
        }
        if (end >= length) end = length - 1;

        var items = new List<SortItem>();
        if (source is ListValue list && dontSort)
        {
            // Only the requested range of the list's own order is loaded.
            if (end >= start)
            {
                var it = list.At(desc ? length - 1 - start : start);
                for (long n = start; n <= end; n++)
                {
                    items.Add(new SortItem(it.Current.ToArray(), items.Count));
                    if (desc) it.MovePrevious();
                    else it.MoveNext();
                }
            }
            end -= start;
            start = 0;
        }
        else if (source is ListValue whole)
        {
            if (length > 0)
            {
                var it = whole.At(0);
                do items.Add(new SortItem(it.Current.ToArray(), items.Count));
                while (it.MoveNext());
            }
        }
        else if (source is SortedSet zset && dontSort)
        {
            // Only the requested range of the set's own order is loaded.
            if (end >= start)
            {
                var cursor = zset.At(desc ? length - 1 - start : start, desc);
                for (long n = start; n <= end; n++, cursor.Next()) items.Add(new SortItem(cursor.Member.ToArray(), items.Count));
            }
            end -= start;
            start = 0;
        }
        else if (source is SortedSet all)
        {
            for (var cursor = all.Iterate(); cursor.Valid; cursor.Next()) items.Add(new SortItem(cursor.Member.ToArray(), items.Count));
        }
        else if (source is SetValue set)
        {
            Span<byte> scratch = stackalloc byte[20];
            for (int i = 0; i < set.Count; i++) items.Add(new SortItem(set.MemberAt(i, scratch).ToArray(), i));
        }

        bool conversionError = false;
        if (!dontSort)
        {
            foreach (var item in items)
            {
                byte[]? by = item.Value;
                if (byPattern is not null)
                {
                    by = LookupByPattern(c, byPattern, item.Value);
                    if (by is null) continue;
                }
                if (alpha)
                {
                    if (byPattern is not null) item.CompareBy = by;
                }
                else if (!TryParseStrtod(by, out item.Score)) conversionError = true;
            }
            items.Sort((a, b) => Compare(a, b, alpha, byPattern is not null, desc));
        }

        long outputLength = (gets.Count > 0 ? gets.Count : 1) * (end - start + 1);
        if (conversionError)
        {
            c.Error("ERR One or more scores can't be converted into double");
            return;
        }
        if (storeIndex >= 0)
        {
            Store(c, storeIndex, items, start, end, gets, outputLength);
            return;
        }
        c.Reply.ArrayHeader(outputLength);
        for (long j = start; j <= end; j++)
        {
            var value = items[(int)j].Value;
            if (gets.Count == 0) c.Reply.Bulk(value);
            foreach (var pattern in gets)
            {
                var got = LookupByPattern(c, pattern, value);
                if (got is null) c.Reply.Null();
                else c.Reply.Bulk(got);
            }
        }
    }

    // Numeric order breaks ties by the elements' bytes; otherwise the loading order decides, as a stable sort would.
    static int Compare(SortItem a, SortItem b, bool alpha, bool byPattern, bool desc)
    {
        int cmp;
        if (!alpha)
        {
            cmp = a.Score.CompareTo(b.Score);
            if (a.Score == b.Score) cmp = a.Value.AsSpan().SequenceCompareTo(b.Value);
        }
        else if (byPattern)
        {
            if (a.CompareBy is null || b.CompareBy is null) cmp = a.CompareBy == b.CompareBy ? 0 : a.CompareBy is null ? -1 : 1;
            else cmp = a.CompareBy.AsSpan().SequenceCompareTo(b.CompareBy);
        }
        else cmp = a.Value.AsSpan().SequenceCompareTo(b.Value);
        cmp = Math.Sign(cmp);
        if (desc) cmp = -cmp;
        return cmp != 0 ? cmp : a.Position.CompareTo(b.Position);
    }

    /// <summary>Stores the result as a list (a GET of nothing stores an empty string) and replies with its length; an empty result deletes the key.</summary>
    static void Store(Client c, int storeIndex, List<SortItem> items, long start, long end, List<byte[]> gets, long outputLength)
    {
        var key = c.Args[storeIndex];
        if (outputLength == 0)
        {
            if (c.Database.Delete(key, c.NowMs))
            {
                c.Dirty();
                c.Server.Events.Notify(NotifyFlags.Generic, "del", c.Db, key);
            }
            c.Reply.Integer(0);
            return;
        }
        var list = ListCommands.NewList(c.Server);
        for (long j = start; j <= end; j++)
        {
            var value = items[(int)j].Value;
            if (gets.Count == 0) list.Push(value, atHead: false);
            foreach (var pattern in gets) list.Push(LookupByPattern(c, pattern, value) ?? [], atHead: false);
        }
        c.Database.Set(key, list, c.NowMs);
        c.Dirty(outputLength);
        c.Server.Events.Notify(NotifyFlags.List, "sortstore", c.Db, key);
        c.Reply.Integer(outputLength);
    }

    /// <summary>
    /// The value a BY or GET pattern names for an element: '#' is the element itself; the first '*' is replaced by the
    /// element; a "->field" after it reads a hash field. Null when the pattern has no '*' or the key or field is missing
    /// or of another type.
    /// </summary>
    static byte[]? LookupByPattern(Client c, byte[] pattern, byte[] element)
    {
        if (pattern is [(byte)'#']) return element;
        int star = Array.IndexOf(pattern, (byte)'*');
        if (star < 0) return null;
        var rest = pattern.AsSpan(star + 1);
        int arrow = rest.IndexOf("->"u8);
        ReadOnlySpan<byte> field = default;
        bool hashField = arrow >= 0 && arrow + 2 < rest.Length;
        if (hashField)
        {
            field = rest[(arrow + 2)..];
            rest = rest[..arrow];
        }
        var key = new byte[star + element.Length + rest.Length];
        pattern.AsSpan(0, star).CopyTo(key);
        element.CopyTo(key, star);
        rest.CopyTo(key.AsSpan(star + element.Length));
        var e = c.LookupRead(key);
        if (e is null) return null;
        if (hashField) return e.Value is HashValue h && h.TryGet(field, out var v) ? v.ToArray() : null;
        return StringValue.IsString(e.Value) ? StringValue.Span(e.Value).ToArray() : null;
    }

    /// <summary>
    /// Parses a score as C's strtod does for SORT: leading spaces allowed, nothing after the number, an empty string
    /// is 0; NaN, overflow and underflow are errors.
    /// </summary>
    static bool TryParseStrtod(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        if (text.IsEmpty) return true;
        int i = 0;
        while (i < text.Length && text[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r') i++;
        var number = Encoding.ASCII.GetString(text[i..]);
        if (number.Length == 0 || char.IsWhiteSpace(number[^1]) || number.Any(ch => ch > 127)) return false;
        string unsigned = number.TrimStart('+', '-');
        if (unsigned.Length < number.Length - 1) return false;
        bool negative = number.StartsWith('-');
        if (unsigned.Equals("inf", StringComparison.OrdinalIgnoreCase) || unsigned.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        if (unsigned.Length == 0 || !(char.IsAsciiDigit(unsigned[0]) || unsigned[0] == '.')) return false;
        bool hex = unsigned.Length > 2 && unsigned[0] == '0' && unsigned[1] is 'x' or 'X';
        if (hex ? !TryParseHex(unsigned[2..], out value)
                : !double.TryParse(unsigned, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value))
            return false;
        if (negative) value = -value;
        if (double.IsInfinity(value)) return false;
        // strtod reports ERANGE for a result below the normal range: a subnormal, or zero from digits that are not all zero.
        if (value != 0 && Math.Abs(value) < 2.2250738585072014E-308) return false;
        if (value == 0)
        {
            int exponent = unsigned.IndexOfAny(hex ? ['p', 'P'] : ['e', 'E']);
            var mantissa = (exponent < 0 ? unsigned : unsigned[..exponent])[(hex ? 2 : 0)..];
            if (mantissa.Any(ch => ch is not ('0' or '.'))) return false;
        }
        return true;
    }

    // The part of a C hexadecimal float after "0x": hex digits with an optional point, then an optional binary exponent "p±N".
    static bool TryParseHex(string text, out double value)
    {
        value = 0;
        int p = text.IndexOfAny(['p', 'P']);
        string mantissa = p < 0 ? text : text[..p];
        long exponent = 0;
        if (p >= 0 && !long.TryParse(text[(p + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent)) return false;
        int point = mantissa.IndexOf('.');
        string digits = point < 0 ? mantissa : mantissa.Remove(point, 1);
        if (digits.Length == 0 || mantissa.IndexOf('.', point + 1) >= 0) return false;
        double result = 0;
        foreach (char ch in digits)
        {
            if (!char.IsAsciiHexDigit(ch)) return false;
            result = result * 16 + Convert.ToInt32(ch.ToString(), 16);
        }
        int fractionDigits = point < 0 ? 0 : mantissa.Length - point - 1;
        value = result * Math.Pow(2, Math.Clamp(exponent - 4L * fractionDigits, -2000, 2000));
        return true;
    }
}
