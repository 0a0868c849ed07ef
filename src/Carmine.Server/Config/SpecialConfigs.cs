using System.Globalization;
using System.Text;
using Carmine.Protocol;

namespace Carmine.Server.Config;

/// <summary>
/// The directives whose values are not a single number, flag or name: how each is validated (with Redis's
/// error texts), printed by CONFIG GET and written by CONFIG REWRITE.
/// </summary>
static class SpecialConfigs
{
    const int BindAddrMax = 16;
    static readonly string[] DefaultBind = ["*", "-::*"];
    static readonly string[] ObufClasses = ["normal", "slave", "pubsub"];
    static readonly long[][] ObufDefaults = [[0, 0, 0], [256L << 20, 64L << 20, 60], [32L << 20, 8L << 20, 60]];
    static readonly int[] OomDefaults = [0, 200, 800];

    /// <summary>
    /// Parses a special directive's arguments into its canonical text and number. <paramref name="append"/> is
    /// set for a repeated "save" line of the config file, which adds to the earlier ones instead of replacing them.
    /// </summary>
    public static (string Text, long Number) Set(ConfigDirective d, IReadOnlyList<string> args, string current, bool append)
    {
        switch (d.Name)
        {
            case "dir": return SetDir(args);
            case "save": return (SetSave(args, current, append), 0);
            case "client-output-buffer-limit": return (SetOutputBufferLimit(args, current), 0);
            case "oom-score-adj-values": return (SetOomScoreAdjValues(args), 0);
            case "notify-keyspace-events":
            {
                if (args.Count != 1) throw new ConfigException("wrong number of arguments");
                var flags = PubSub.KeyspaceEvents.Parse(args[0]) ?? throw new ConfigException("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
                return (PubSub.KeyspaceEvents.Format(flags), (long)flags);
            }
            case "bind":
            {
                if (args.Count > BindAddrMax) throw new ConfigException("Too many bind addresses specified.");
                bool none = args.Count == 1 && args[0].Length == 0;
                return (none ? "" : string.Join(' ', args), 0);
            }
            case "replicaof": return (SetReplicaOf(args), 0);
            case "latency-tracking-info-percentiles": return (SetPercentiles(args), 0);
            default: throw new InvalidOperationException("not a special config: " + d.Name);
        }
    }

    /// <summary>The value CONFIG GET prints; the working directory is read live, as Redis's getcwd.</summary>
    public static string Get(ConfigDirective d, string text) => d.Name == "dir" ? CurrentDirectory() ?? "" : text;

    /// <summary>The working directory, or null if it cannot be read (it was removed, say), as getcwd fails.</summary>
    static string? CurrentDirectory()
    {
        try
        {
            return Directory.GetCurrentDirectory();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static void Rewrite(ConfigRewriter w, ConfigDirective d, string text)
    {
        string name = d.Name;
        switch (name)
        {
            case "dir":
                if (CurrentDirectory() is { } cwd) w.RewriteLine(name, name + " " + RedisServer.Quote(Encoding.UTF8.GetBytes(cwd)), true);
                else w.MarkProcessed(name);
                break;
            case "save":
            {
                var words = Words(text);
                if (words.Length == 0) w.RewriteLine(name, "save \"\"", true);
                for (int i = 0; i + 1 < words.Length; i += 2) w.RewriteLine(name, $"save {words[i]} {words[i + 1]}", true);
                w.MarkProcessed(name);
                break;
            }
            case "client-output-buffer-limit":
            {
                var words = Words(text);
                for (int c = 0; c < ObufClasses.Length; c++)
                {
                    long hard = long.Parse(words[c * 4 + 1], CultureInfo.InvariantCulture);
                    long soft = long.Parse(words[c * 4 + 2], CultureInfo.InvariantCulture);
                    long seconds = long.Parse(words[c * 4 + 3], CultureInfo.InvariantCulture);
                    bool force = hard != ObufDefaults[c][0] || soft != ObufDefaults[c][1] || seconds != ObufDefaults[c][2];
                    string cls = ObufClasses[c] == "slave" ? "replica" : ObufClasses[c];
                    w.RewriteLine(name, $"{name} {cls} {ConfigRewriter.FormatMemory(hard)} {ConfigRewriter.FormatMemory(soft)} {seconds}", force);
                }
                break;
            }
            case "oom-score-adj-values":
                w.RewriteLine(name, name + " " + text, text != string.Join(' ', OomDefaults));
                break;
            case "notify-keyspace-events":
                w.RewriteLine(name, name + " " + RedisServer.Quote(Encoding.ASCII.GetBytes(text)), text.Length > 0);
                break;
            case "bind":
                if (Words(text).SequenceEqual(DefaultBind)) w.MarkProcessed(name);
                else w.RewriteLine(name, name + " " + (text.Length == 0 ? "\"\"" : text), true);
                break;
            case "replicaof":
                if (text.Length == 0) w.MarkProcessed(name);
                else w.RewriteLine(name, name + " " + text, true);
                break;
            case "latency-tracking-info-percentiles":
                w.RewriteLine(name, name + " " + (text.Length == 0 ? "\"\"" : text), true);
                break;
        }
    }

    static string[] Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    static (string, long) SetDir(IReadOnlyList<string> args)
    {
        if (args.Count != 1) throw new ConfigException("wrong number of arguments");
        try
        {
            Directory.SetCurrentDirectory(args[0]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ConfigException(StrError(args[0], e));
        }
        return (Directory.GetCurrentDirectory(), 0);
    }

    /// <summary>The strerror text chdir would have given.</summary>
    static string StrError(string path, Exception e)
    {
        if (e is UnauthorizedAccessException) return "Permission denied";
        if (path.Length == 0 || e is DirectoryNotFoundException && !File.Exists(path)) return "No such file or directory";
        if (File.Exists(path)) return "Not a directory";
        return e.Message;
    }

    static string SetSave(IReadOnlyList<string> args, string current, bool append)
    {
        int argc = args.Count == 1 && args[0].Length == 0 ? 0 : args.Count;
        if (argc % 2 != 0) throw new ConfigException("Invalid save parameters");
        var pairs = new List<string>();
        for (int j = 0; j < argc; j++)
        {
            if (!TryStrtoll(args[j], out long val) || (j % 2 == 0 && val < 1) || (j % 2 == 1 && val < 0))
                throw new ConfigException("Invalid save parameters");
            // Redis keeps the number of changes in an int.
            pairs.Add(j % 2 == 0 ? val.ToString(CultureInfo.InvariantCulture) : ((int)val).ToString(CultureInfo.InvariantCulture));
        }
        string text = string.Join(' ', pairs);
        if (append && argc > 0 && current.Length > 0) return current + " " + text;
        return text;
    }

    static string SetOutputBufferLimit(IReadOnlyList<string> args, string current)
    {
        if (args.Count % 4 != 0) throw new ConfigException("Wrong number of arguments in buffer limit configuration.");
        // Only the classes given change; the table starts from Redis's presets.
        var words = current.Length > 0 ? Words(current)
            : ObufClasses.SelectMany((cls, i) => new[] { cls }.Concat(ObufDefaults[i].Select(v => v.ToString(CultureInfo.InvariantCulture)))).ToArray();
        for (int j = 0; j < args.Count; j += 4)
        {
            int cls = args[j].ToLowerInvariant() switch { "normal" => 0, "slave" or "replica" => 1, "pubsub" => 2, _ => -1 };
            if (cls < 0) throw new ConfigException("Invalid client class specified in buffer limit configuration.");
            if (!ServerConfig.TryParseMemory(args[j + 1], out long hard) || !ServerConfig.TryParseMemory(args[j + 2], out long soft)
                || !TryStrtoll(args[j + 3], out long seconds) || seconds < 0)
                throw new ConfigException("Error in hard, soft or soft_seconds setting in buffer limit configuration.");
            words[cls * 4 + 1] = ((ulong)hard).ToString(CultureInfo.InvariantCulture);
            words[cls * 4 + 2] = ((ulong)soft).ToString(CultureInfo.InvariantCulture);
            words[cls * 4 + 3] = seconds.ToString(CultureInfo.InvariantCulture);
        }
        return string.Join(' ', words);
    }

    static string SetOomScoreAdjValues(IReadOnlyList<string> args)
    {
        if (args.Count != OomDefaults.Length) throw new ConfigException("wrong number of arguments");
        var values = new long[args.Count];
        for (int i = 0; i < args.Count; i++)
        {
            if (!TryStrtoll(args[i], out values[i]) || values[i] < -2000 || values[i] > 2000)
                throw new ConfigException("Invalid oom-score-adj-values, elements must be between -2000 and 2000.");
        }
        if (values[1] < values[0] || values[2] < values[1])
            Log.Warning("The oom-score-adj-values configuration may not work for non-privileged processes! Please consult the documentation.");
        return string.Join(' ', values);
    }

    static string SetReplicaOf(IReadOnlyList<string> args)
    {
        if (args.Count != 2) throw new ConfigException("wrong number of arguments");
        if (args[0].Equals("no", StringComparison.OrdinalIgnoreCase) && args[1].Equals("one", StringComparison.OrdinalIgnoreCase)) return "";
        if (!TryStrtoll(args[1], out long port) || port < 0 || port > 65535) throw new ConfigException("Invalid master port");
        return $"{args[0]} {port}";
    }

    static string SetPercentiles(IReadOnlyList<string> args)
    {
        if (args.Count == 1 && args[0].Length == 0) return "";
        var parts = new List<string>();
        foreach (var a in args)
        {
            if (!NumberFormat.TryParseDouble(Encoding.UTF8.GetBytes(a), out double p))
                throw new ConfigException("Invalid latency-tracking-info-percentiles parameters");
            if (p > 100.0 || p < 0.0)
                throw new ConfigException("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
            parts.Add(TrimDouble(p.ToString("F6", CultureInfo.InvariantCulture)));
        }
        return string.Join(' ', parts);
    }

    /// <summary>"%f" without its trailing zeros (and the point if nothing follows it), as Redis prints percentiles.</summary>
    static string TrimDouble(string s) => s.Contains('.') ? s.TrimEnd('0').TrimEnd('.') : s;

    /// <summary>strtoll over the whole string: optional leading spaces and sign, base 10, nothing after the digits.</summary>
    public static bool TryStrtoll(string s, out long value)
    {
        value = 0;
        // strtoll of "" converts nothing and leaves nothing behind, which Redis's callers accept as 0.
        if (s.Length == 0) return true;
        return long.TryParse(s.TrimStart(' ', '\t', '\n', '\r', '\v', '\f'), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }
}
