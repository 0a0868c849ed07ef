using System.Globalization;
using System.Text;
using Carmine.Protocol;

namespace Carmine.Server.Config;

/// <summary>A configuration error, reported as Redis reports a bad config line or CONFIG SET argument.</summary>
public sealed class ConfigException(string message) : Exception(message);

/// <summary>
/// The server's configuration: every redis.conf directive with its current value. Values are kept both as
/// the canonical text CONFIG GET prints and as a number for the numeric types, so hot paths read a long.
/// </summary>
public sealed class ServerConfig
{
    sealed class Slot(ConfigDirective directive)
    {
        public readonly ConfigDirective Directive = directive;
        public string Text = "";
        public long Number;
    }

    readonly Dictionary<string, Slot> slots = new(StringComparer.OrdinalIgnoreCase);
    readonly List<Slot> ordered = [];
    readonly object gate = new();

    /// <summary>Raised after a directive changed (start-up excluded); the argument is its canonical name.</summary>
    public event Action<string>? Changed;

    /// <summary>The file the server was started with, for CONFIG REWRITE; null without one.</summary>
    public string? ConfigFile { get; set; }

    public ServerConfig()
    {
        foreach (var d in ConfigDirectives.All)
        {
            var slot = new Slot(d);
            slots[d.Name] = slot;
            if (d.Alias is not null) slots[d.Alias] = slot;
            ordered.Add(slot);
            var (text, number) = Validate(d, d.Default, null);
            slot.Text = text;
            slot.Number = number;
        }
    }

    public IEnumerable<ConfigDirective> Directives => ordered.Select(s => s.Directive);

    public bool Exists(string name) => slots.ContainsKey(name);

    public ConfigDirective? Find(string name) => slots.TryGetValue(name, out var s) ? s.Directive : null;

    public string GetString(string name) => slots[name].Text;

    public long GetLong(string name) => slots[name].Number;

    public int GetInt(string name) => (int)slots[name].Number;

    public bool GetBool(string name) => slots[name].Number != 0;

    /// <summary>Sets a directive from a config file line or the command line.</summary>
    public void SetAtStartup(string name, IReadOnlyList<string> args)
    {
        if (!slots.TryGetValue(name, out var slot)) throw new ConfigException("Bad directive or wrong number of arguments");
        var d = slot.Directive;
        string value;
        if ((d.Flags & ConfigFlags.MultiArg) != 0 || d.Type == ConfigType.Special) value = string.Join(' ', args);
        else
        {
            if (args.Count != 1) throw new ConfigException("wrong number of arguments");
            value = args[0];
        }
        // Repeated save lines accumulate, as in Redis; save "" clears.
        if (d.Name == "save" && slot.Text.Length > 0 && value.Length > 0 && startupSaveSeen) value = slot.Text + " " + value;
        if (d.Name == "save") startupSaveSeen = value.Length > 0;
        var (text, number) = Validate(d, value, slot.Text);
        slot.Text = text;
        slot.Number = number;
    }

    bool startupSaveSeen;

    /// <summary>Sets a directive at run time (CONFIG SET); throws <see cref="ConfigException"/> with Redis's reason.</summary>
    public void Set(string name, string value)
    {
        lock (gate)
        {
            var slot = slots[name];
            var (text, number) = Validate(slot.Directive, value, slot.Text);
            slot.Text = text;
            slot.Number = number;
        }
        Changed?.Invoke(slots[name].Directive.Name);
    }

    /// <summary>Sets several directives atomically: all are validated first, and none is changed if one fails.</summary>
    public void SetMany(IReadOnlyList<(string Name, string Value)> pairs, Func<string, string?>? apply)
    {
        lock (gate)
        {
            var staged = new List<(Slot Slot, string Text, long Number, string OldText, long OldNumber)>();
            foreach (var (name, value) in pairs)
            {
                var slot = slots[name];
                try
                {
                    var (text, number) = Validate(slot.Directive, value, slot.Text);
                    staged.Add((slot, text, number, slot.Text, slot.Number));
                }
                catch (ConfigException e)
                {
                    throw new ConfigException($"CONFIG SET failed (possibly related to argument '{name}') - {e.Message}");
                }
            }
            foreach (var s in staged) { s.Slot.Text = s.Text; s.Slot.Number = s.Number; }
            foreach (var s in staged)
            {
                string? error = apply?.Invoke(s.Slot.Directive.Name);
                if (error is null) continue;
                foreach (var r in staged) { r.Slot.Text = r.OldText; r.Slot.Number = r.OldNumber; }
                foreach (var r in staged) apply?.Invoke(r.Slot.Directive.Name);
                throw new ConfigException($"CONFIG SET failed (possibly related to argument '{s.Slot.Directive.Name}') - {error}");
            }
        }
        foreach (var (name, _) in pairs) Changed?.Invoke(slots[name].Directive.Name);
    }

    /// <summary>The (name, value) pairs whose names match a glob pattern, for CONFIG GET.</summary>
    public IEnumerable<(string Name, string Value)> Match(string pattern)
    {
        if (slots.TryGetValue(pattern, out var exact) && !HasGlob(pattern))
        {
            yield return (pattern.ToLowerInvariant(), exact.Text);
            yield break;
        }
        var pat = Encoding.UTF8.GetBytes(pattern);
        foreach (var slot in ordered)
        {
            if (GlobMatch.Match(pat, Encoding.UTF8.GetBytes(slot.Directive.Name), true)) yield return (slot.Directive.Name, slot.Text);
            if (slot.Directive.Alias is { } alias && GlobMatch.Match(pat, Encoding.UTF8.GetBytes(alias), true)) yield return (alias, slot.Text);
        }
    }

    static bool HasGlob(string s) => s.IndexOfAny(['*', '?', '[']) >= 0;

    /// <summary>Checks a value against a directive's type and returns its canonical text and number.</summary>
    static (string Text, long Number) Validate(ConfigDirective d, string value, string? current)
    {
        switch (d.Type)
        {
            case ConfigType.Bool:
                if (value.Equals("yes", StringComparison.OrdinalIgnoreCase)) return ("yes", 1);
                if (value.Equals("no", StringComparison.OrdinalIgnoreCase)) return ("no", 0);
                throw new ConfigException("argument must be 'yes' or 'no'");
            case ConfigType.Int:
            case ConfigType.Memory:
            {
                long n;
                if ((d.Flags & ConfigFlags.Percent) != 0 && value.EndsWith('%'))
                {
                    if (!long.TryParse(value[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out long pct))
                        throw new ConfigException("argument must be a memory or percent value");
                    n = -pct;
                    if (n < d.Min) throw new ConfigException($"argument must be between {d.Min} and {d.Max} inclusive");
                    return (value, n);
                }
                if (d.Type == ConfigType.Memory)
                {
                    if (!TryParseMemory(value, out n))
                        throw new ConfigException((d.Flags & ConfigFlags.Percent) != 0 ? "argument must be a memory or percent value" : "argument must be a memory value");
                }
                else if (!NumberFormat.TryParseInt64(Encoding.ASCII.GetBytes(value), out n))
                    throw new ConfigException("argument couldn't be parsed into an integer");
                if (n < d.Min || n > d.Max)
                    throw new ConfigException($"argument must be between {d.Min} and {d.Max} inclusive");
                return (n.ToString(CultureInfo.InvariantCulture), n);
            }
            case ConfigType.Enum:
            {
                var values = d.EnumValues!;
                if ((d.Flags & ConfigFlags.MultiArg) != 0)
                {
                    // Flag sets such as "enable-debug-command" are single; multi-word enums take several names.
                    var words = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (words.Length == 0 || words.Any(w => !values.Contains(w, StringComparer.OrdinalIgnoreCase)))
                        throw new ConfigException("argument(s) must be one of the following: " + string.Join(", ", values));
                    return (string.Join(' ', words.Select(w => w.ToLowerInvariant())), 0);
                }
                for (int i = 0; i < values.Length; i++)
                    if (values[i].Equals(value, StringComparison.OrdinalIgnoreCase)) return (values[i], i);
                throw new ConfigException("argument(s) must be one of the following: " + string.Join(", ", values));
            }
            case ConfigType.Special:
                return SpecialConfigs.Validate(d.Name, value, current);
            default:
                return (value, 0);
        }
    }

    /// <summary>Parses "100", "1k" (1000), "1kb" (1024), "2mb", "1gb", as redis.conf's memory values.</summary>
    public static bool TryParseMemory(string s, out long bytes)
    {
        bytes = 0;
        s = s.Trim();
        if (s.Length == 0) return false;
        long mul = 1;
        string lower = s.ToLowerInvariant();
        (string Suffix, long Mul)[] units = [("kb", 1024), ("mb", 1024L * 1024), ("gb", 1024L * 1024 * 1024), ("k", 1000), ("m", 1000_000), ("g", 1000_000_000), ("b", 1)];
        foreach (var (suffix, m) in units)
        {
            if (lower.EndsWith(suffix, StringComparison.Ordinal))
            {
                mul = m;
                lower = lower[..^suffix.Length];
                break;
            }
        }
        if (!long.TryParse(lower, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)) return false;
        bytes = n * mul;
        return true;
    }
}
