namespace Carmine.Server.Commands;

/// <summary>
/// One argument of a command as COMMAND DOCS describes it (Redis's "arguments" in src/commands/*.json), declared in
/// <see cref="CommandAttribute.Arguments"/> as text: <c>name:type [token=T] [since=V] [deprecated=V] [optional]
/// [multiple] [multiple_token] [spec=N] [(child | child ...)]</c>. Types: string integer double key pattern unix-time
/// pure-token oneof block; oneof and block take their children in parentheses. A key argument refers to the key
/// specs in order unless spec=N says otherwise.
/// </summary>
public sealed class CommandArgument
{
    static readonly string[] Types = ["string", "integer", "double", "key", "pattern", "unix-time", "pure-token", "oneof", "block"];

    public string Name { get; private init; } = "";
    public string Type { get; private init; } = "";
    /// <summary>The key spec this key argument belongs to; -1 for other arguments.</summary>
    public int KeySpecIndex { get; private set; } = -1;
    public string? Token { get; private set; }
    public string? Since { get; private set; }
    public string? DeprecatedSince { get; private set; }
    public bool Optional { get; private set; }
    public bool Multiple { get; private set; }
    public bool MultipleToken { get; private set; }
    public CommandArgument[] Children { get; private set; } = [];

    public static CommandArgument[] ParseAll(string[] declarations)
    {
        int keys = 0;
        return declarations.Select(d =>
        {
            int pos = 0;
            var arg = Parse(d, ref pos, ref keys);
            if (pos != d.Length) throw new FormatException("bad argument declaration: " + d);
            return arg;
        }).ToArray();
    }

    static CommandArgument Parse(string text, ref int pos, ref int keys)
    {
        string head = Word(text, ref pos);
        int colon = head.LastIndexOf(':');
        if (colon <= 0 || !Types.Contains(head[(colon + 1)..])) throw new FormatException($"bad argument '{head}' in: {text}");
        var arg = new CommandArgument { Name = head[..colon], Type = head[(colon + 1)..] };
        bool explicitSpec = false;
        while (true)
        {
            SkipSpaces(text, ref pos);
            if (pos == text.Length || text[pos] is ')' or '|') break;
            if (text[pos] == '(')
            {
                pos++;
                var children = new List<CommandArgument>();
                while (true)
                {
                    SkipSpaces(text, ref pos);
                    children.Add(Parse(text, ref pos, ref keys));
                    SkipSpaces(text, ref pos);
                    if (pos < text.Length && text[pos] == '|') { pos++; continue; }
                    if (pos < text.Length && text[pos] == ')') { pos++; break; }
                    throw new FormatException("unclosed '(' in: " + text);
                }
                arg.Children = [.. children];
                continue;
            }
            string word = Word(text, ref pos);
            int eq = word.IndexOf('=');
            string value = eq < 0 ? "" : word[(eq + 1)..];
            switch (eq < 0 ? word : word[..eq])
            {
                case "token": arg.Token = value; break;
                case "since": arg.Since = value; break;
                case "deprecated": arg.DeprecatedSince = value; break;
                case "optional": arg.Optional = true; break;
                case "multiple": arg.Multiple = true; break;
                case "multiple_token": arg.MultipleToken = true; break;
                case "spec":
                    arg.KeySpecIndex = int.Parse(value);
                    explicitSpec = true;
                    break;
                default: throw new FormatException($"bad argument attribute '{word}' in: {text}");
            }
        }
        if (arg.Type == "key" && !explicitSpec) arg.KeySpecIndex = keys++;
        if ((arg.Type is "oneof" or "block") != (arg.Children.Length > 0)) throw new FormatException("only oneof and block have children: " + text);
        return arg;
    }

    static string Word(string text, ref int pos)
    {
        int start = pos;
        while (pos < text.Length && text[pos] is not (' ' or '(' or ')' or '|')) pos++;
        return text[start..pos];
    }

    static void SkipSpaces(string text, ref int pos)
    {
        while (pos < text.Length && text[pos] == ' ') pos++;
    }
}
