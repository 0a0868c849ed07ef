using System.Text;

namespace Carmine.Server.Persistence;

/// <summary>One file of a multi-part AOF: its name, sequence number and type (b base, i incremental, h history).</summary>
public sealed record AofFileInfo(string Name, long Seq, char Type);

/// <summary>Raised for a manifest that cannot be used; the message is the one Redis logs.</summary>
public sealed class AofManifestException(string message, int line, string text) : Exception(message)
{
    public int Line { get; } = line;
    public string Text { get; } = text;
}

/// <summary>
/// The manifest of a Redis 7.0 multi-part AOF (appendonly.aof.manifest): one line per file,
/// "file NAME seq N type b|i|h", in the order base, history, incremental.
/// </summary>
public sealed class AofManifest
{
    const int MaxLine = 1024;

    public AofFileInfo? Base { get; set; }
    public List<AofFileInfo> Incr { get; } = [];
    public List<AofFileInfo> History { get; } = [];
    public long BaseSeq { get; set; }
    public long IncrSeq { get; set; }

    public AofManifest Clone()
    {
        var m = new AofManifest { Base = Base, BaseSeq = BaseSeq, IncrSeq = IncrSeq };
        m.Incr.AddRange(Incr);
        m.History.AddRange(History);
        return m;
    }

    public static AofManifest Parse(string text)
    {
        var m = new AofManifest();
        if (text.Length == 0) throw new AofManifestException("Found an empty AOF manifest", 0, "");
        long maxSeq = 0;
        var lines = text.Split('\n');
        int count = text.EndsWith('\n') ? lines.Length - 1 : lines.Length;
        for (int n = 0; n < count; n++)
        {
            string raw = lines[n];
            int lineNo = n + 1;
            if (raw.StartsWith('#')) continue;
            if (raw.Length > MaxLine) throw new AofManifestException("The AOF manifest file contains too long line", lineNo, raw);
            string line = raw.Trim(' ', '\t', '\r');
            if (line.Length == 0) throw new AofManifestException("Invalid AOF manifest file format", lineNo, raw);
            var words = SplitArgs(line);
            if (words is null || words.Count < 6 || words.Count % 2 != 0)
                throw new AofManifestException("Invalid AOF manifest file format", lineNo, raw);
            string? name = null;
            long seq = 0;
            char type = '\0';
            for (int i = 0; i < words.Count; i += 2)
            {
                switch (words[i].ToLowerInvariant())
                {
                    case "file":
                        name = words[i + 1];
                        if (name.Contains('/')) throw new AofManifestException("File can't be a path, just a filename", lineNo, raw);
                        break;
                    case "seq":
                        long.TryParse(words[i + 1], out seq);
                        break;
                    case "type":
                        type = words[i + 1].Length > 0 ? words[i + 1][0] : '\0';
                        break;
                }
            }
            if (name is null || seq == 0 || type == '\0') throw new AofManifestException("Invalid AOF manifest file format", lineNo, raw);
            var info = new AofFileInfo(name, seq, type);
            switch (type)
            {
                case 'b':
                    if (m.Base is not null) throw new AofManifestException("Found duplicate base file information", lineNo, raw);
                    m.Base = info;
                    m.BaseSeq = seq;
                    break;
                case 'h':
                    m.History.Add(info);
                    break;
                case 'i':
                    if (seq <= maxSeq) throw new AofManifestException("Found a non-monotonic sequence number", lineNo, raw);
                    m.Incr.Add(info);
                    m.IncrSeq = maxSeq = seq;
                    break;
                default:
                    throw new AofManifestException("Unknown AOF file type", lineNo, raw);
            }
        }
        if (m.Base is null && m.Incr.Count == 0 && m.History.Count == 0)
            throw new AofManifestException("Invalid AOF manifest file format", count, "");
        return m;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        if (Base is not null) Append(sb, Base);
        foreach (var h in History) Append(sb, h);
        foreach (var i in Incr) Append(sb, i);
        return sb.ToString();
    }

    static void Append(StringBuilder sb, AofFileInfo f) =>
        sb.Append("file ").Append(Quote(f.Name)).Append(" seq ").Append(f.Seq).Append(" type ").Append(f.Type).Append('\n');

    /// <summary>Names with spaces or quotes are written quoted, as Redis's sdscatrepr does.</summary>
    static string Quote(string name)
    {
        if (name.Length > 0 && !name.Any(ch => ch is ' ' or '"' or '\'' or '\\' or '\t' or '\r' or '\n' || char.IsControl(ch))) return name;
        return RedisServer.Quote(Encoding.UTF8.GetBytes(name));
    }

    /// <summary>Splits a line into words as Redis's sdssplitargs: spaces separate, "..." with escapes and '...' quote.</summary>
    static List<string>? SplitArgs(string line)
    {
        var words = new List<string>();
        int i = 0;
        while (true)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i])) i++;
            if (i >= line.Length) return words;
            var sb = new StringBuilder();
            if (line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length) return null;
                    char ch = line[i];
                    if (ch == '"')
                    {
                        i++;
                        break;
                    }
                    if (ch == '\\' && i + 1 < line.Length)
                    {
                        char e = line[i + 1];
                        if (e == 'x' && i + 3 < line.Length && Uri.IsHexDigit(line[i + 2]) && Uri.IsHexDigit(line[i + 3]))
                        {
                            sb.Append((char)Convert.ToInt32(line.Substring(i + 2, 2), 16));
                            i += 4;
                            continue;
                        }
                        sb.Append(e switch { 'n' => '\n', 'r' => '\r', 't' => '\t', 'b' => '\b', 'a' => '\a', _ => e });
                        i += 2;
                        continue;
                    }
                    sb.Append(ch);
                    i++;
                }
                if (i < line.Length && !char.IsWhiteSpace(line[i])) return null;
            }
            else if (line[i] == '\'')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length) return null;
                    if (line[i] == '\'')
                    {
                        i++;
                        break;
                    }
                    sb.Append(line[i++]);
                }
                if (i < line.Length && !char.IsWhiteSpace(line[i])) return null;
            }
            else
            {
                while (i < line.Length && !char.IsWhiteSpace(line[i])) sb.Append(line[i++]);
            }
            words.Add(sb.ToString());
        }
    }
}
