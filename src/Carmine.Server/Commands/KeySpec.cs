using System.Globalization;
using Carmine.Protocol;

namespace Carmine.Server.Commands;

/// <summary>Where a command's keys are (Redis 7 key specs): a begin search, then a rule to find the keys from there.</summary>
public sealed class KeySpec
{
    public string[] Flags { get; private init; } = [];
    /// <summary>"index", "keyword" or "unknown" (keys only the command itself can find).</summary>
    public string BeginType { get; private init; } = "index";
    public int BeginIndex { get; private init; }
    public string Keyword { get; private init; } = "";
    public int StartFrom { get; private init; }
    /// <summary>"range", "keynum" or "unknown".</summary>
    public string FindType { get; private init; } = "range";
    public int LastKey { get; private init; }
    public int KeyStep { get; private init; } = 1;
    public int Limit { get; private init; }
    public int KeyNumIndex { get; private init; }
    public int FirstKey { get; private init; }

    /// <summary>Parses "FLAGS; index N | keyword KW FROM; range LAST STEP LIMIT | keynum IDX FIRST STEP".</summary>
    public static KeySpec Parse(string text)
    {
        var parts = text.Split(';', StringSplitOptions.TrimEntries);
        if (parts.Length != 3) throw new FormatException("bad key spec: " + text);
        var begin = parts[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var find = parts[2].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        static int I(string s) => int.Parse(s, CultureInfo.InvariantCulture);
        return new KeySpec
        {
            Flags = parts[0].Split(' ', StringSplitOptions.RemoveEmptyEntries),
            BeginType = begin[0],
            BeginIndex = begin[0] == "index" ? I(begin[1]) : 0,
            Keyword = begin[0] == "keyword" ? begin[1] : "",
            StartFrom = begin[0] == "keyword" ? I(begin[2]) : 0,
            FindType = find[0],
            LastKey = find[0] == "range" ? I(find[1]) : 0,
            KeyStep = find[0] switch { "range" => I(find[2]), "keynum" => I(find[3]), _ => 1 },
            Limit = find[0] == "range" ? I(find[3]) : 0,
            KeyNumIndex = find[0] == "keynum" ? I(find[1]) : 0,
            FirstKey = find[0] == "keynum" ? I(find[2]) : 0,
        };
    }

    /// <summary>Adds the argument indexes of this spec's keys in <paramref name="args"/> to <paramref name="keys"/>.</summary>
    public void FindKeys(ArgList args, List<int> keys)
    {
        if (BeginType == "unknown" || FindType == "unknown") return;
        int argc = args.Count;
        int first;
        if (BeginType == "index") first = BeginIndex;
        else
        {
            first = -1;
            if (StartFrom >= 0)
            {
                for (int i = StartFrom; i < argc; i++)
                    if (args.Is(i, Keyword.ToLowerInvariant())) { first = i + 1; break; }
            }
            else
            {
                for (int i = argc + StartFrom; i > 0; i--)
                    if (args.Is(i, Keyword.ToLowerInvariant())) { first = i + 1; break; }
            }
            if (first < 0) return;
        }
        if (first >= argc) return;
        int last, step;
        if (FindType == "range")
        {
            step = KeyStep;
            if (LastKey >= 0) last = first + LastKey;
            else if (Limit > 1) last = first + (argc - first) / Limit - 1;
            else last = argc + LastKey;
        }
        else
        {
            int numIdx = first + KeyNumIndex;
            if (numIdx >= argc || !NumberFormat.TryParseInt64(args[numIdx], out long n) || n < 0) return;
            step = KeyStep;
            first = first + FirstKey;
            last = first + (int)Math.Min(n - 1, argc) * step;
        }
        for (int i = first; i <= last && i < argc; i += step) keys.Add(i);
    }
}
