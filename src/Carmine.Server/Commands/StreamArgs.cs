using Carmine.Protocol;
using Carmine.Server.Network;
using Carmine.Server.Types;

namespace Carmine.Server.Commands;

/// <summary>Stream ID parsing and the reply shapes the stream commands share, with Redis's errors.</summary>
static class StreamArgs
{
    public const string InvalidId = "ERR Invalid stream ID specified as stream command argument";

    /// <summary>
    /// Parses "ms-seq", "ms" (seq is <paramref name="missingSeq"/>), "-" and "+" (not when <paramref name="strict"/>).
    /// With <paramref name="seqGiven"/> wanted, "ms-*" parses too and reports the sequence as not given.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> s, ulong missingSeq, bool strict, out StreamId id, out bool seqGiven, bool allowSeqStar = false)
    {
        id = default;
        seqGiven = true;
        if (s.Length > 127) return false;
        if (s.Length == 1 && (s[0] == '-' || s[0] == '+'))
        {
            if (strict) return false;
            id = s[0] == '-' ? StreamId.Min : StreamId.Max;
            return true;
        }
        int dash = s.IndexOf((byte)'-');
        var msPart = dash < 0 ? s : s[..dash];
        if (!StreamId.TryParseUInt64(msPart, out ulong ms)) return false;
        ulong seq = missingSeq;
        if (dash >= 0)
        {
            var seqPart = s[(dash + 1)..];
            if (allowSeqStar && seqPart.Length == 1 && seqPart[0] == '*')
            {
                seq = 0;
                seqGiven = false;
            }
            else if (!StreamId.TryParseUInt64(seqPart, out seq)) return false;
        }
        id = new StreamId(ms, seq);
        return true;
    }

    /// <summary>Parses argument <paramref name="i"/> as an ID, replying the invalid-ID error on failure.</summary>
    public static bool TryId(this Client c, int i, out StreamId id, ulong missingSeq = 0, bool strict = false)
    {
        if (TryParse(c.Args[i], missingSeq, strict, out id, out _)) return true;
        c.Error(InvalidId);
        return false;
    }

    /// <summary>Parses an ID that may not be "-" or "+".</summary>
    public static bool TryStrictId(this Client c, int i, out StreamId id) => c.TryId(i, out id, 0, strict: true);

    /// <summary>Parses a range bound: an ID, "-", "+", or an exclusive "(ID", with Redis's interval errors.</summary>
    public static bool TryIntervalStart(this Client c, int i, out StreamId id) => TryInterval(c, i, 0, out id, start: true);

    public static bool TryIntervalEnd(this Client c, int i, out StreamId id) => TryInterval(c, i, ulong.MaxValue, out id, start: false);

    static bool TryInterval(Client c, int i, ulong missingSeq, out StreamId id, bool start)
    {
        var s = c.Args[i];
        bool exclusive = s.Length > 1 && s[0] == '(';
        if (!TryParse(exclusive ? s[1..] : s, missingSeq, exclusive, out id, out _))
        {
            c.Error(InvalidId);
            return false;
        }
        if (!exclusive) return true;
        bool ok = start ? id.TryIncrement(out id) : id.TryDecrement(out id);
        if (!ok) c.Error(start ? "ERR invalid start ID for the interval" : "ERR invalid end ID for the interval");
        return ok;
    }

    public static void Id(this RespBuffer reply, StreamId id)
    {
        Span<byte> buf = stackalloc byte[48];
        reply.Bulk(buf[..id.Format(buf)]);
    }

    /// <summary>An entry as Redis replies it: [id, [field, value, ...]].</summary>
    public static void Entry(this RespBuffer reply, StreamId id, byte[] fields)
    {
        reply.ArrayHeader(2);
        reply.Id(id);
        reply.ArrayHeader(StreamEntryCodec.Count(fields));
        foreach (var element in StreamEntryCodec.Elements(fields)) reply.Bulk(element);
    }

    /// <summary>Writes the entries of a range, at most <paramref name="count"/> when positive; returns how many.</summary>
    public static long Entries(this RespBuffer reply, StreamValue s, StreamId start, StreamId end, long count, bool reverse)
    {
        int at = reply.BeginDeferred();
        long n = 0;
        foreach (var (id, pairs) in s.Range(start, end, reverse))
        {
            reply.Entry(id, pairs);
            if (++n == count) break;
        }
        reply.EndDeferredArray(at, n);
        return n;
    }

    /// <summary>The NOGROUP error of commands that name a key and a group.</summary>
    public static string NoGroup(Client c, int key, int group) =>
        $"NOGROUP No such key '{c.Args.ToStr(key)}' or consumer group '{c.Args.ToStr(group)}'";
}
