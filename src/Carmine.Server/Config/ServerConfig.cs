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
        public long DefaultNumber;
    }

    /// <summary>A name CONFIG commands accept: the directive's own name or its alias, each a distinct entry as in Redis.</summary>
    readonly record struct Entry(Slot Slot, string Name);

    readonly Dictionary<string, Entry> entries = new(StringComparer.OrdinalIgnoreCase);
    readonly List<Slot> ordered = [];
    readonly object gate = new();

    /// <summary>Raised after a directive changed at run time; the argument is its canonical name.</summary>
    public event Action<string>? Changed;

    /// <summary>
    /// Puts a changed directive into effect during CONFIG SET (re-listening on a new port, ...); returns null on
    /// success or the reason it failed, in which case the whole CONFIG SET is rolled back.
    /// </summary>
    public Func<string, string?>? Apply { get; set; }

    /// <summary>rename-command lines in the order read: (command, new name or "" to disable).</summary>
    public List<(string From, string To)> CommandRenames { get; } = [];

    /// <summary>The file the server was started with (absolute), for CONFIG REWRITE; null without one.</summary>
    public string? ConfigFile { get; set; }

    public ServerConfig()
    {
        foreach (var d in ConfigDirectives.All)
        {
            var slot = new Slot(d);
            entries[d.Name] = new Entry(slot, d.Name);
            if (d.Alias is not null) entries[d.Alias] = new Entry(slot, d.Alias);
            ordered.Add(slot);
            // The table's defaults of special directives are already in their canonical form.
            (slot.Text, slot.Number) = d.Type == ConfigType.Special ? (d.Default, 0) : Parse(d, [d.Default], "", false);
            slot.DefaultNumber = slot.Number;
        }
    }

    public IEnumerable<ConfigDirective> Directives => ordered.Select(s => s.Directive);

    public bool Exists(string name) => entries.ContainsKey(name);

    public ConfigDirective? Find(string name) => entries.TryGetValue(name, out var e) ? e.Slot.Directive : null;

    /// <summary>The value as CONFIG GET prints it.</summary>
    public string GetString(string name) => Display(entries[name].Slot);

    public long GetLong(string name) => entries[name].Slot.Number;

    public int GetInt(string name) => (int)entries[name].Slot.Number;

    public bool GetBool(string name) => entries[name].Slot.Number != 0;

    /// <summary>
    /// Sets a directive from a config file line or the command line. <paramref name="appendSave"/> makes a
    /// "save" line add to the earlier ones of the same file instead of replacing them.
    /// </summary>
    public void SetAtStartup(string name, IReadOnlyList<string> args, bool appendSave = false)
    {
        var slot = entries[name].Slot;
        lock (gate) (slot.Text, slot.Number) = Parse(slot.Directive, args, slot.Text, appendSave);
    }

    /// <summary>Sets one directive at run time, with CONFIG SET's checks and effects.</summary>
    public void Set(string name, string value) => SetMany([(name, value)], allowProtected: true);

    /// <summary>
    /// CONFIG SET: checks every name first, then sets all values and puts them into effect; if anything fails,
    /// every directive gets its old value back. Throws <see cref="ConfigException"/> with Redis's message.
    /// </summary>
    public void SetMany(IReadOnlyList<(string Name, string Value)> pairs, bool allowProtected)
    {
        var chosen = new List<Entry>(pairs.Count);
        var values = new List<string>(pairs.Count);
        string? unknown = null, error = null, errorName = null;
        foreach (var (name, value) in pairs)
        {
            if (!entries.TryGetValue(name, out var entry))
            {
                if (error is null) unknown ??= name;
                continue;
            }
            if (unknown is not null || error is not null) continue;
            var d = entry.Slot.Directive;
            if (d.Has(ConfigFlags.Immutable) || (d.Has(ConfigFlags.Protected) && !allowProtected))
            {
                error = d.Has(ConfigFlags.Immutable) ? "can't set immutable config" : "can't set protected config";
                errorName = name;
                continue;
            }
            if (chosen.Any(c => c.Name == entry.Name))
            {
                error = "duplicate parameter";
                errorName = name;
                continue;
            }
            chosen.Add(entry);
            values.Add(value);
        }
        if (unknown is not null) throw new ConfigException($"Unknown option or number of arguments for CONFIG SET - '{unknown}'");
        if (error is not null) throw new ConfigException($"CONFIG SET failed (possibly related to argument '{errorName}') - {error}");

        var changed = new List<string>();
        lock (gate)
        {
            var backup = chosen.Select(e => (e.Slot.Text, e.Slot.Number, Display(e.Slot))).ToArray();
            var toApply = new List<int>();
            for (int i = 0; i < chosen.Count; i++)
            {
                var slot = chosen[i].Slot;
                var d = slot.Directive;
                string value = values[i];
                IReadOnlyList<string> args = d.Has(ConfigFlags.MultiArg) ? value.Length == 0 ? [] : value.Split(' ') : [value];
                try
                {
                    var (text, number) = Parse(d, args, slot.Text, false);
                    bool differs = d.Type == ConfigType.Special || text != slot.Text || number != slot.Number;
                    (slot.Text, slot.Number) = (text, number);
                    if (differs) toApply.Add(i);
                }
                catch (ConfigException e)
                {
                    Restore(chosen, backup, i + 1);
                    throw new ConfigException($"CONFIG SET failed (possibly related to argument '{chosen[i].Name}') - {e.Message}");
                }
            }
            foreach (int i in toApply)
            {
                string? failure = Apply?.Invoke(chosen[i].Slot.Directive.Name);
                if (failure is null) continue;
                Log.Warning($"Failed applying new configuration. Possibly related to new {chosen[i].Name} setting. Restoring previous settings.");
                Restore(chosen, backup, chosen.Count);
                foreach (int j in toApply)
                    if (Apply?.Invoke(chosen[j].Slot.Directive.Name) is { } again)
                        Log.Warning("Failed applying restored failed CONFIG SET command: " + again);
                throw new ConfigException($"CONFIG SET failed (possibly related to argument '{chosen[i].Name}') - {failure}");
            }
            changed.AddRange(toApply.Select(i => chosen[i].Slot.Directive.Name));
        }
        foreach (var name in changed) Changed?.Invoke(name);
    }

    static void Restore(List<Entry> chosen, (string Text, long Number, string Shown)[] backup, int count)
    {
        for (int i = 0; i < count; i++)
        {
            var slot = chosen[i].Slot;
            (slot.Text, slot.Number) = (backup[i].Text, backup[i].Number);
            // The working directory is the one value that lives outside the table.
            if (slot.Directive.Name == "dir" && backup[i].Shown.Length > 0) Directory.SetCurrentDirectory(backup[i].Shown);
        }
    }

    /// <summary>
    /// CONFIG GET: the (name, value) pairs matching any of the patterns. A name without glob characters is looked up
    /// directly (hidden directives included) and echoed as given; a pattern matches directive names and aliases.
    /// </summary>
    public List<(string Name, string Value)> Get(IEnumerable<string> patterns)
    {
        var result = new List<(string Name, string Value)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pattern in patterns)
        {
            if (pattern.IndexOfAny(['*', '?', '[']) < 0)
            {
                if (entries.TryGetValue(pattern, out var exact) && seen.Add(pattern)) result.Add((pattern, Display(exact.Slot)));
                continue;
            }
            var pat = Encoding.UTF8.GetBytes(pattern);
            foreach (var slot in ordered)
            {
                if (slot.Directive.Has(ConfigFlags.Hidden)) continue;
                foreach (var name in slot.Directive.Alias is { } alias ? [slot.Directive.Name, alias] : new[] { slot.Directive.Name })
                    if (!seen.Contains(name) && GlobMatch.Match(pat, Encoding.UTF8.GetBytes(name), true))
                    {
                        seen.Add(name);
                        result.Add((name, Display(slot)));
                    }
            }
        }
        return result;
    }

    /// <summary>CONFIG REWRITE (and DEBUG CONFIG-REWRITE-FORCE-ALL): writes the current values into the config file.</summary>
    public void Rewrite(bool forceAll)
    {
        if (ConfigFile is null) throw new InvalidOperationException("no config file");
        lock (gate)
        {
            var w = ConfigRewriter.Read(ConfigFile, Find, forceAll);
            foreach (var slot in ordered) RewriteOne(w, slot);
            // Modules are never loaded, so loadmodule lines go away, as Redis drops those of unloaded modules.
            w.MarkProcessed("loadmodule");
            ConfigRewriter.Write(ConfigFile, w.Content());
        }
    }

    static void RewriteOne(ConfigRewriter w, Slot slot)
    {
        var d = slot.Directive;
        string name = d.Name;
        bool force = slot.Number != slot.DefaultNumber;
        switch (d.Type)
        {
            case ConfigType.Bool:
            case ConfigType.Enum:
                w.RewriteLine(name, $"{name} {slot.Text}", force);
                break;
            case ConfigType.String:
                if (d.Has(ConfigFlags.EmptyIsNull) && slot.Text.Length == 0) w.MarkProcessed(name);
                else w.RewriteLine(name, $"{name} {RedisServer.Quote(Encoding.UTF8.GetBytes(slot.Text))}", d.Has(ConfigFlags.EmptyIsNull) || slot.Text != d.Default);
                break;
            case ConfigType.Special:
                SpecialConfigs.Rewrite(w, d, slot.Text);
                break;
            default:
                string value = d.Has(ConfigFlags.Percent) && slot.Number < 0 ? $"{-slot.Number}%"
                    : d.Type == ConfigType.Memory ? ConfigRewriter.FormatMemory(slot.Number)
                    : d.Type == ConfigType.Octal ? Convert.ToString(slot.Number, 8)
                    : slot.Number.ToString(CultureInfo.InvariantCulture);
                w.RewriteLine(name, $"{name} {value}", force);
                break;
        }
    }

    static string Display(Slot slot) => slot.Directive.Type == ConfigType.Special ? SpecialConfigs.Get(slot.Directive, slot.Text) : slot.Text;

    /// <summary>Checks arguments against a directive's type and returns its canonical text and number.</summary>
    static (string Text, long Number) Parse(ConfigDirective d, IReadOnlyList<string> args, string current, bool appendSave)
    {
        switch (d.Type)
        {
            case ConfigType.Bool:
                // Like Debian's build (the reference), Carmine has no active defragmentation to turn on.
                if (d.Name == "activedefrag" && args[0].Equals("yes", StringComparison.OrdinalIgnoreCase))
                    throw new ConfigException("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution");
                if (args[0].Equals("yes", StringComparison.OrdinalIgnoreCase)) return ("yes", 1);
                if (args[0].Equals("no", StringComparison.OrdinalIgnoreCase)) return ("no", 0);
                throw new ConfigException("argument must be 'yes' or 'no'");
            case ConfigType.String:
                ValidateString(d.Name, args[0]);
                return (args[0], 0);
            case ConfigType.Enum:
                return ParseEnum(d, args);
            case ConfigType.Special:
                return SpecialConfigs.Set(d, args, current, appendSave);
            default:
            {
                long n = ParseNumber(d, args[0]);
                CheckBounds(d, n);
                // hz is a hint: out-of-range values are accepted and capped, as Redis does.
                if (d.Name == "hz") n = Math.Clamp(n, 1, 500);
                string text = d.Has(ConfigFlags.Percent) && n < 0 ? $"{-n}%"
                    : d.Type == ConfigType.Octal ? Convert.ToString(n, 8)
                    : d.Type == ConfigType.Memory || d.Has(ConfigFlags.Unsigned) ? ((ulong)n).ToString(CultureInfo.InvariantCulture)
                    : n.ToString(CultureInfo.InvariantCulture);
                return (text, n);
            }
        }
    }

    /// <summary>
    /// Redis's memtoull: digits with an optional unit (b, k, kb, m, mb, g, gb; any case); no sign. An empty string is 0.
    /// The result is an unsigned 64-bit number returned in a long.
    /// </summary>
    public static bool TryParseMemory(string s, out long bytes)
    {
        bytes = 0;
        int digits = 0;
        while (digits < s.Length && s[digits] >= '0' && s[digits] <= '9') digits++;
        string unit = s[digits..].ToLowerInvariant();
        ulong mul = unit switch
        {
            "" or "b" => 1,
            "k" => 1000,
            "kb" => 1024,
            "m" => 1000 * 1000,
            "mb" => 1024 * 1024,
            "g" => 1000L * 1000 * 1000,
            "gb" => 1024L * 1024 * 1024,
            _ => 0,
        };
        if (mul == 0) return false;
        if (digits == 0)
        {
            // strtoull of "" is 0 without error; a unit alone ("kb") therefore means 0 too.
            return true;
        }
        if (!ulong.TryParse(s.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out ulong val)) val = ulong.MaxValue;
        bytes = unchecked((long)(val * mul));
        return true;
    }

    static long ParseNumber(ConfigDirective d, string value)
    {
        if (d.Type == ConfigType.Memory && TryParseMemory(value, out long bytes)) return bytes;
        bool percent = d.Has(ConfigFlags.Percent);
        if (percent && value.Length > 1 && value[^1] == '%'
            && NumberFormat.TryParseInt64(Encoding.ASCII.GetBytes(value[..^1]), out long pct) && pct >= 0)
            return -pct;
        if (d.Type == ConfigType.Octal && TryParseOctal(value, out long octal)) return octal;
        if (d.Type == ConfigType.Int && NumberFormat.TryParseInt64(Encoding.UTF8.GetBytes(value), out long n)) return n;
        throw new ConfigException(d.Type switch
        {
            ConfigType.Memory when percent => "argument must be a memory or percent value",
            ConfigType.Memory => "argument must be a memory value",
            ConfigType.Octal => "argument couldn't be parsed as an octal number",
            _ => "argument couldn't be parsed into an integer",
        });
    }

    /// <summary>strtoll in base 8 over the whole string.</summary>
    static bool TryParseOctal(string s, out long value)
    {
        value = 0;
        string t = s.TrimStart(' ', '\t', '\n', '\r', '\v', '\f');
        bool negative = t.StartsWith('-');
        if (t.Length > 0 && (t[0] == '-' || t[0] == '+')) t = t[1..];
        if (t.Length == 0) return s.Length == 0;
        foreach (char c in t)
        {
            if (c < '0' || c > '7' || value > (long.MaxValue >> 3)) return false;
            value = value * 8 + (c - '0');
        }
        if (negative) value = -value;
        return true;
    }

    static void CheckBounds(ConfigDirective d, long n)
    {
        if (d.Has(ConfigFlags.Unsigned))
        {
            if ((ulong)n > (ulong)d.Max || (ulong)n < (ulong)d.Min)
                throw new ConfigException(d.Type == ConfigType.Octal
                    ? $"argument must be between {Convert.ToString(d.Min, 8)} and {Convert.ToString(d.Max, 8)} inclusive"
                    : $"argument must be between {(ulong)d.Min} and {(ulong)d.Max} inclusive");
            return;
        }
        if (d.Has(ConfigFlags.Percent) && n < 0)
        {
            if (n < d.Min) throw new ConfigException($"percentage argument must be less or equal to {-d.Min}");
            return;
        }
        if (n > d.Max || n < d.Min) throw new ConfigException($"argument must be between {d.Min} and {d.Max} inclusive");
    }

    static (string, long) ParseEnum(ConfigDirective d, IReadOnlyList<string> args)
    {
        var values = d.EnumValues!;
        bool flags = d.Has(ConfigFlags.MultiArg);
        int value = 0;
        bool ok = args.Count > 0 && (flags || args.Count == 1);
        foreach (var a in args)
        {
            if (!ok) break;
            bool matched = false;
            foreach (var e in values)
            {
                if (!e.Name.Equals(a, StringComparison.OrdinalIgnoreCase)) continue;
                value |= e.Value;
                matched = true;
            }
            ok = matched;
        }
        if (!ok)
        {
            string list = "argument(s) must be one of the following: " + string.Join(", ", values.Select(v => v.Name));
            // Redis builds the message in a 256-byte buffer.
            throw new ConfigException(list.Length > 255 ? list[..255] : list);
        }
        if (d.Name.StartsWith("shutdown-on-sig", StringComparison.Ordinal) && (value & 1) != 0 && (value & 2) != 0)
            throw new ConfigException("shutdown options SAVE and NOSAVE can't be used simultaneously");
        return (EnumName(values, value, flags), value);
    }

    /// <summary>The name of an enum value (the first that matches), or for flag sets the names of its flags.</summary>
    static string EnumName(ConfigEnum[] values, int value, bool flags)
    {
        var names = new List<string>();
        int unmatched = value;
        foreach (var e in values)
        {
            if (e.Value == value) return e.Name;
            if (flags && e.Value != 0 && e.Value == (unmatched & e.Value))
            {
                names.Add(e.Name);
                unmatched &= ~e.Value;
            }
        }
        return names.Count == 0 || unmatched != 0 ? "unknown" : string.Join(' ', names);
    }

    static void ValidateString(string name, string value)
    {
        bool isBaseName = !value.Contains('/');
        switch (name)
        {
            case "dbfilename" when !isBaseName:
                throw new ConfigException("dbfilename can't be a path, just a filename");
            case "appendfilename" when value.Length == 0:
                throw new ConfigException("appendfilename can't be empty");
            case "appendfilename" when !isBaseName:
                throw new ConfigException("appendfilename can't be a path, just a filename");
            case "appenddirname" when value.Length == 0:
                throw new ConfigException("appenddirname can't be empty");
            case "appenddirname" when !isBaseName:
                throw new ConfigException("appenddirname can't be a path, just a dirname");
            case "cluster-announce-hostname" when value.Length >= 256:
                throw new ConfigException("Hostnames must be less than 256 characters");
            case "cluster-announce-hostname" when value.Any(c => !(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '.')):
                throw new ConfigException("Hostnames may only contain alphanumeric characters, hyphens or dots");
            case "proc-title-template" when !IsValidProcTitleTemplate(value):
                throw new ConfigException("template format is invalid or contains unknown variables");
        }
    }

    /// <summary>
    /// A proc-title template is valid if its {variables} are known, its braces close ("{{" is a literal brace),
    /// and it expands to something other than spaces when the title is empty.
    /// </summary>
    static bool IsValidProcTitleTemplate(string template) =>
        ProcTitle.Expand(template, name => name switch
        {
            "title" or "server-mode" => "",
            "listen-addr" or "config-file" or "port" or "tls-port" or "unixsocket" => name,
            _ => null,
        }) is { } expanded && expanded.Trim(' ').Length > 0;
}
