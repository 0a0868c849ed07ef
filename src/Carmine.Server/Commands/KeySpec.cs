using System.Globalization;
using Carmine.Protocol;

namespace Carmine.Server.Commands;

/// <summary>A key found in a request: its argument index and its key spec flags (RO, RW, OW, RM, access, update ...).</summary>
public readonly record struct KeyReference(int Index, string[] Flags);

/// <summary>Where a command's keys are (Redis 7 key specs): a begin search, then a rule to find the keys from there.</summary>
public sealed class KeySpec
{
    /// <summary>Key spec flags in the order Redis prints them.</summary>
    public static readonly string[] FlagOrder =
        ["RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags"];

    public string[] Flags { get; private init; } = [];
    /// <summary>"index", "keyword" or "unknown" (the keys cannot be found from the spec alone).</summary>
    public string BeginType { get; private init; } = "index";
    public int BeginIndex { get; private init; }
    public string Keyword { get; private init; } = "";
    string KeywordLower => keywordLower ??= Keyword.ToLowerInvariant();
    string? keywordLower;
    public int StartFrom { get; private init; }
    /// <summary>"range", "keynum" or "unknown".</summary>
    public string FindType { get; private init; } = "range";
    public int LastKey { get; private init; }
    public int KeyStep { get; private init; } = 1;
    public int Limit { get; private init; }
    public int KeyNumIndex { get; private init; }
    public int FirstKey { get; private init; }
    /// <summary>Redis's free-text note on the spec, or null.</summary>
    public string? Notes { get; private init; }

    public bool Has(string flag) => Flags.Contains(flag);

    /// <summary>
    /// Parses "FLAGS; index N | keyword KW FROM | unknown; range LAST STEP LIMIT | keynum IDX FIRST STEP | unknown",
    /// optionally followed by "; notes TEXT".
    /// </summary>
    public static KeySpec Parse(string text)
    {
        var parts = text.Split(';', 4, StringSplitOptions.TrimEntries);
        if (parts.Length < 3) throw new FormatException("bad key spec: " + text);
        var begin = parts[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var find = parts[2].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string? notes = null;
        if (parts.Length == 4)
        {
            if (!parts[3].StartsWith("notes ", StringComparison.Ordinal)) throw new FormatException("bad key spec notes: " + text);
            notes = parts[3]["notes ".Length..];
        }
        var flags = parts[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var f in flags)
            if (!FlagOrder.Contains(f)) throw new FormatException($"unknown key spec flag '{f}': {text}");
        static int I(string s) => int.Parse(s, CultureInfo.InvariantCulture);
        bool beginOk = begin[0] switch
        {
            "index" => begin.Length == 2,
            "keyword" => begin.Length == 3,
            "unknown" => begin.Length == 1,
            _ => false,
        };
        bool findOk = find[0] switch
        {
            "range" or "keynum" => find.Length == 4,
            "unknown" => find.Length == 1,
            _ => false,
        };
        if (!beginOk || !findOk) throw new FormatException("bad key spec: " + text);
        return new KeySpec
        {
            Flags = flags,
            Notes = notes,
            BeginType = begin[0],
            BeginIndex = begin[0] == "index" ? I(begin[1]) : 0,
            Keyword = begin[0] == "keyword" ? begin[1] : "",
            StartFrom = begin[0] == "keyword" ? I(begin[2]) : 0,
            FindType = find[0],
            LastKey = find[0] == "range" ? I(find[1]) : 0,
            Limit = find[0] == "range" ? I(find[3]) : 0,
            KeyNumIndex = find[0] == "keynum" ? I(find[1]) : 0,
            FirstKey = find[0] == "keynum" ? I(find[2]) : 0,
            KeyStep = find[0] switch { "range" => I(find[2]), "keynum" => I(find[3]), _ => 0 },
        };
    }

    /// <summary>
    /// Adds the argument indexes of this spec's keys in <paramref name="args"/> to <paramref name="keys"/>, as Redis's
    /// getKeysUsingKeySpecs does. Returns false when the spec cannot tell the keys of this request (unknown or
    /// incomplete spec, bad key count, keys past the end); a missing keyword is not an error.
    /// </summary>
    public bool FindKeys(ArgList args, List<int> keys)
    {
        int argc = args.Count;
        int first = 0;
        switch (BeginType)
        {
            case "index":
                first = BeginIndex;
                break;
            case "keyword":
                // The keyword is searched forward up to the one-before-last argument, or backward down to index 2.
                if (StartFrom > 0)
                {
                    for (int i = StartFrom; i < argc - 1; i++)
                        if (args.Is(i, KeywordLower)) { first = i + 1; break; }
                }
                else
                {
                    for (int i = argc + StartFrom; i > 1 && i < argc; i--)
                        if (args.Is(i, KeywordLower)) { first = i + 1; break; }
                }
                if (first == 0) return true;
                break;
            default:
                return false;
        }
        int last;
        switch (FindType)
        {
            case "range":
                if (LastKey >= 0) last = first + LastKey;
                else if (Limit == 0) last = argc + LastKey;
                else last = first + (argc - first) / Limit + LastKey;
                break;
            case "keynum":
                if (first + KeyNumIndex >= argc || !NumberFormat.TryParseInt64(args[first + KeyNumIndex], out long n) || n < 0 || n > argc)
                    return false;
                first += FirstKey;
                last = first + (int)n - 1;
                break;
            default:
                return false;
        }
        if (last >= argc || last < first || first >= argc) return false;
        for (int i = first; i <= last; i += KeyStep) keys.Add(i);
        return !Has("incomplete");
    }
}
