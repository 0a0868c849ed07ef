using System.Text;
using Carmine.Protocol;

namespace Carmine.Server.Config;

/// <summary>
/// A configuration that cannot be loaded. With a line, it is reported in redis-server's
/// "*** FATAL CONFIG FILE ERROR ***" format; without one (a file that cannot be opened) it is only logged.
/// </summary>
public sealed class ConfigFileException(string message, int lineNumber = 0, string? line = null) : Exception(message)
{
    public int LineNumber { get; } = lineNumber;
    public string? Line { get; } = line;

    /// <summary>The file could not be read: redis-server logs this one instead of printing the fatal error block.</summary>
    public bool CannotOpen { get; init; }
}

/// <summary>
/// Reads redis.conf syntax the way redis-server does: the config file (or stdin) first, then the command-line
/// options turned into lines ("--port 7000" becomes "port 7000"), all parsed as one text so a bad option is
/// reported with its line number in that text.
/// </summary>
public sealed class ConfigLoader
{
    /// <summary>Redis ignores these old directives when they come with exactly one argument.</summary>
    static readonly string[] Deprecated = ["list-max-ziplist-entries", "list-max-ziplist-value", "lua-replicate-commands"];

    readonly ServerConfig config;
    bool readingFile;
    bool saveLoaded;

    ConfigLoader(ServerConfig config) => this.config = config;

    /// <summary>Loads <c>carmine-server [config-file] [--directive value ...] [-]</c>.</summary>
    public static void Load(ServerConfig config, string[] args)
    {
        string? file = null;
        int j = 0;
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            file = args[0];
            config.ConfigFile = Path.GetFullPath(file);
            j = 1;
        }
        bool fromStdin = false;
        var options = new StringBuilder();
        bool handledLastArg = true;
        int last = args.Length - 1;
        for (; j < args.Length; j++)
        {
            string a = args[j];
            if (a == "-" && (j == 0 || j == last))
            {
                fromStdin = true;
            }
            else if (handledLastArg && a.StartsWith("--", StringComparison.Ordinal))
            {
                if (options.Length > 0) options.Append('\n');
                options.Append(a, 2, a.Length - 2).Append(' ');
                // "--port" alone waits for its value in the next arguments; "--port 7000" in one argument does not.
                handledLastArg = RequestParser.SplitLine(Encoding.UTF8.GetBytes(a))?.Length != 1;
                if (handledLastArg) continue;
                bool nextIsOption = j != last && args[j + 1].StartsWith("--", StringComparison.Ordinal);
                if (a.Equals("--save", StringComparison.OrdinalIgnoreCase) && (nextIsOption || j == last))
                {
                    // "--save" without a value means save "", as before Redis 7.0.1.
                    options.Append("\"\"");
                    handledLastArg = nextIsOption;
                }
                else if (a.Equals("--sentinel", StringComparison.OrdinalIgnoreCase) && nextIsOption)
                {
                    handledLastArg = true;
                }
            }
            else
            {
                options.Append(RedisServer.Quote(Encoding.UTF8.GetBytes(a))).Append(' ');
                handledLastArg = true;
            }
        }
        var content = new StringBuilder();
        if (file is not null) content.Append(ReadFiles(file));
        if (fromStdin)
        {
            Log.Warning("Reading config from stdin");
            content.Append(Console.In.ReadToEnd());
        }
        content.Append('\n').Append(options);
        new ConfigLoader(config).LoadString(content.ToString());
    }

    /// <summary>The text of a config file, or of every file a wildcard name matches (none is fine), as include does.</summary>
    static string ReadFiles(string pattern)
    {
        if (pattern.IndexOfAny(['*', '?', '[']) < 0) return ReadFile(pattern);
        string dir = Path.GetDirectoryName(pattern) is { Length: > 0 } d ? d : ".";
        if (!Directory.Exists(dir)) return "";
        var namePattern = Encoding.UTF8.GetBytes(Path.GetFileName(pattern));
        var text = new StringBuilder();
        foreach (var f in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
            if (GlobMatch.Match(namePattern, Encoding.UTF8.GetBytes(Path.GetFileName(f))))
                text.Append(ReadFile(f));
        return text.ToString();
    }

    static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string reason = e switch
            {
                FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
                UnauthorizedAccessException => "Permission denied",
                _ => e.Message,
            };
            throw new ConfigFileException($"Fatal error, can't open config file '{path}': {reason}") { CannotOpen = true };
        }
    }

    void LoadString(string content)
    {
        readingFile = true;
        var lines = content.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim(' ', '\t', '\r', '\n');
            if (line.Length == 0 || line[0] == '#') continue;
            var words = RequestParser.SplitLine(Encoding.UTF8.GetBytes(line));
            if (words is null) throw new ConfigFileException("Unbalanced quotes in configuration line", i + 1, line);
            if (words.Length == 0) continue;
            var argv = words.Select(w => Encoding.UTF8.GetString(w)).ToList();
            try
            {
                Apply(argv[0].ToLowerInvariant(), argv);
            }
            catch (ConfigException e)
            {
                throw new ConfigFileException(e.Message, i + 1, line);
            }
        }
        if (config.GetString("logfile") is { Length: > 0 } logfile)
        {
            try
            {
                using var probe = new FileStream(logfile, FileMode.Append, FileAccess.Write);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigFileException("Can't open the log file: " + (e is UnauthorizedAccessException ? "Permission denied" : "No such file or directory"));
            }
        }
        if (config.GetBool("cluster-enabled") && config.GetString("replicaof").Length > 0)
            throw new ConfigFileException("replicaof directive not allowed in cluster mode");
        // Like Redis, the end of an included file also ends "reading the file" for the save directive.
        readingFile = false;
    }

    void Apply(string name, List<string> argv)
    {
        var d = config.Find(name);
        if (d is not null)
        {
            bool multi = d.Has(ConfigFlags.MultiArg);
            if (!multi && argv.Count != 2) throw new ConfigException("wrong number of arguments");
            // A multi-word value may also come as one quoted argument: --save "900 1 300 10".
            IReadOnlyList<string> args = multi && argv.Count == 2 && argv[1].Length > 0
                ? (RequestParser.SplitLine(Encoding.UTF8.GetBytes(argv[1])) ?? []).Select(w => Encoding.UTF8.GetString(w)).ToList()
                : argv.Skip(1).ToList();
            bool append = d.Name == "save" && readingFile && saveLoaded;
            config.SetAtStartup(name, args, append);
            if (d.Name == "save" && readingFile) saveLoaded = true;
            return;
        }
        if (Deprecated.Contains(name) && argv.Count == 2) return;
        switch (name)
        {
            case "include" when argv.Count == 2:
                LoadString(ReadFiles(argv[1]));
                return;
            case "rename-command" when argv.Count == 3:
                config.CommandRenames.Add((argv[1], argv[2]));
                return;
            case "user" when argv.Count >= 2:
            case "loadmodule" when argv.Count >= 2:
                // Accepted for compatibility: ACL users come with ACL support; Carmine has no modules.
                return;
        }
        if (name.Contains('.'))
        {
            if (argv.Count < 2) throw new ConfigException("Module config specified without value");
            throw new ConfigException("Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting");
        }
        if (name == "sentinel")
        {
            if (argv.Count != 1) throw new ConfigException("sentinel directive while not in sentinel mode");
            return;
        }
        throw new ConfigException("Bad directive or wrong number of arguments");
    }
}
