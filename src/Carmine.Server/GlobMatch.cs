namespace Carmine.Server;

/// <summary>Redis's glob patterns (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET): * ? [a-z] [^x] and \ escapes.</summary>
public static class GlobMatch
{
    /// <summary>Matches without recursion: on a mismatch after a '*', the star absorbs one more character.</summary>
    public static bool Match(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> str, bool nocase = false)
    {
        int p = 0, s = 0;
        int starP = -1, starS = 0;
        while (s < str.Length)
        {
            if (p < pattern.Length)
            {
                byte c = pattern[p];
                if (c == '*')
                {
                    while (p < pattern.Length && pattern[p] == '*') p++;
                    if (p == pattern.Length) return true;
                    starP = p;
                    starS = s;
                    continue;
                }
                int consumed = MatchOne(pattern, p, str[s], nocase);
                if (consumed > 0)
                {
                    p += consumed;
                    s++;
                    continue;
                }
            }
            if (starP < 0) return false;
            p = starP;
            s = ++starS;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>Matches one string character at pattern position p; returns pattern bytes consumed, 0 on mismatch.</summary>
    static int MatchOne(ReadOnlySpan<byte> pattern, int p, byte ch, bool nocase)
    {
        byte c = pattern[p];
        switch (c)
        {
            case (byte)'?':
                return 1;
            case (byte)'[':
            {
                int i = p + 1;
                bool not = i < pattern.Length && pattern[i] == '^';
                if (not) i++;
                bool match = false;
                while (i < pattern.Length && pattern[i] != ']')
                {
                    if (pattern[i] == '\\' && i + 1 < pattern.Length)
                    {
                        i++;
                        if (Eq(pattern[i], ch, nocase)) match = true;
                        i++;
                    }
                    else if (i + 2 < pattern.Length && pattern[i + 1] == '-' && pattern[i + 2] != ']')
                    {
                        int lo = pattern[i], hi = pattern[i + 2];
                        if (lo > hi) (lo, hi) = (hi, lo);
                        int x = ch;
                        if (nocase) { lo = Lower(lo); hi = Lower(hi); x = Lower(x); }
                        if (x >= lo && x <= hi) match = true;
                        i += 3;
                    }
                    else
                    {
                        if (Eq(pattern[i], ch, nocase)) match = true;
                        i++;
                    }
                }
                // An unterminated set ends at the pattern's end, as in Redis.
                int consumed = (i < pattern.Length ? i + 1 : i) - p;
                if (not) match = !match;
                return match ? consumed : 0;
            }
            case (byte)'\\':
                if (p + 1 < pattern.Length) return Eq(pattern[p + 1], ch, nocase) ? 2 : 0;
                return Eq(c, ch, nocase) ? 1 : 0;
            default:
                return Eq(c, ch, nocase) ? 1 : 0;
        }
    }

    static int Lower(int c) => c >= 'A' && c <= 'Z' ? c + 32 : c;
    static bool Eq(byte a, byte b, bool nocase) => a == b || (nocase && Lower(a) == Lower(b));
}
