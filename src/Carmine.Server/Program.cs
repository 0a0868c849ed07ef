using System.Runtime.InteropServices;
using System.Text;
using Carmine.Protocol;
using Carmine.Server;
using Carmine.Server.Config;

return Startup.Run(args);

/// <summary>carmine-server's entry: reads the configuration like redis-server, starts the server, waits for shutdown.</summary>
static class Startup
{
    public static int Run(string[] args)
    {
        if (args.Length > 0 && (args[0] is "-v" or "--version"))
        {
            Console.WriteLine($"Carmine server v={RedisServer.CarmineVersion} (Redis {RedisServer.RedisVersion} compatible) bits=64");
            return 0;
        }
        if (args.Length > 0 && (args[0] is "-h" or "--help"))
        {
            Console.WriteLine("Usage: carmine-server [/path/to/redis.conf] [options] [-]");
            Console.WriteLine("       carmine-server - (read config from stdin)");
            Console.WriteLine("       carmine-server -v or --version");
            Console.WriteLine("Examples: carmine-server --port 7777; carmine-server /etc/redis/6379.conf --loglevel verbose");
            return 0;
        }
        var config = new ServerConfig();
        try
        {
            ConfigLoader.Load(config, args);
        }
        catch (ConfigFileException e)
        {
            Console.Error.WriteLine();
            Console.Error.WriteLine($"*** FATAL CONFIG FILE ERROR (Carmine {RedisServer.CarmineVersion}) ***");
            if (e.LineNumber > 0) Console.Error.WriteLine($"Reading the configuration file, at line {e.LineNumber}");
            Console.Error.WriteLine($">>> '{e.Line}'");
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        Log.SetFile(config.GetString("logfile"));
        Log.Role = 'C';
        Log.Warning("oO0OoO0OoO0Oo Carmine is starting oO0OoO0OoO0Oo");
        Log.Warning($"Carmine version={RedisServer.CarmineVersion}, redis_version={RedisServer.RedisVersion}, bits=64, pid={Environment.ProcessId}, just started");
        Log.Warning(config.ConfigFile is null
            ? "Warning: no config file specified, using the default config. In order to specify a config file use carmine-server /path/to/redis.conf"
            : "Configuration loaded");
        Log.Role = 'M';
        var server = new RedisServer(config);
        if (!server.Start()) return 1;
        PrintBanner(server);
        Log.Warning("Server initialized");
        Log.Notice("Ready to accept connections");
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            Log.Warning("Received SIGTERM scheduling shutdown...");
            server.RequestShutdown();
        });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx =>
        {
            ctx.Cancel = true;
            Log.Warning("Received SIGINT scheduling shutdown...");
            server.RequestShutdown();
        });
        server.WaitForShutdown();
        return server.ShutdownExitCode;
    }

    static void PrintBanner(RedisServer server)
    {
        bool show = server.Config.GetBool("always-show-logo") || !Console.IsOutputRedirected;
        if (!show)
        {
            Log.Notice($"Running mode=standalone, port={server.TcpPort}.");
            return;
        }
        var sb = new StringBuilder();
        sb.AppendLine();
        sb.AppendLine($"    Carmine {RedisServer.CarmineVersion} (Redis {RedisServer.RedisVersion} compatible) 64 bit");
        sb.AppendLine("    Running in standalone mode");
        sb.AppendLine($"    Port: {server.TcpPort}");
        sb.AppendLine($"    PID: {Environment.ProcessId}");
        Log.Raw(sb.ToString());
    }
}

/// <summary>A bad line in a config file or on the command line, reported the way redis-server reports it.</summary>
sealed class ConfigFileException(string message, int lineNumber, string line) : Exception(message)
{
    public int LineNumber { get; } = lineNumber;
    public string Line { get; } = line;
}

/// <summary>Reads redis.conf syntax from files, stdin and command-line options.</summary>
static class ConfigLoader
{
    public static void Load(ServerConfig config, string[] args)
    {
        int i = 0;
        var text = new StringBuilder();
        if (args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
        {
            string file = args[0];
            i = 1;
            if (file == "-")
            {
                text.AppendLine(Console.In.ReadToEnd());
            }
            else
            {
                config.ConfigFile = Path.GetFullPath(file);
                LoadFile(config, file, 0);
            }
        }
        // "--name a b" becomes the line "name a b"; a lone "-" reads stdin, as in redis-server.
        var lines = new List<List<string>>();
        for (; i < args.Length; i++)
        {
            string a = args[i];
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
                lines.Add([a[2..]]);
            else if (a == "-")
                text.AppendLine(Console.In.ReadToEnd());
            else if (lines.Count > 0)
                lines[^1].Add(a);
            else
                throw new ConfigFileException("Invalid argument", 0, a);
        }
        if (text.Length > 0) LoadText(config, text.ToString(), 0);
        foreach (var line in lines)
        {
            string display = string.Join(' ', line);
            Apply(config, line[0], line.Skip(1).ToList(), 0, display, 0);
        }
    }

    static void LoadFile(ServerConfig config, string path, int depth)
    {
        if (depth > 10) throw new ConfigFileException("too many nested includes", 0, path);
        string content;
        try
        {
            content = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigFileException($"Fatal error, can't open config file '{path}': {e.Message}", 0, path);
        }
        LoadText(config, content, depth);
    }

    static void LoadText(ServerConfig config, string content, int depth)
    {
        var lines = content.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n].Trim(' ', '\t', '\r');
            if (line.Length == 0 || line[0] == '#') continue;
            var words = RequestParser.SplitLine(Encoding.UTF8.GetBytes(line));
            if (words is null) throw new ConfigFileException("Unbalanced quotes in configuration line", n + 1, line);
            if (words.Length == 0) continue;
            var list = words.Select(w => Encoding.UTF8.GetString(w)).ToList();
            Apply(config, list[0], list.Skip(1).ToList(), n + 1, line, depth);
        }
    }

    static void Apply(ServerConfig config, string name, List<string> values, int lineNumber, string line, int depth)
    {
        name = name.ToLowerInvariant();
        switch (name)
        {
            case "include":
                if (values.Count != 1) throw new ConfigFileException("Bad directive or wrong number of arguments", lineNumber, line);
                foreach (var file in ExpandInclude(values[0])) LoadFile(config, file, depth + 1);
                return;
            case "rename-command":
            case "loadmodule":
            case "user":
                // Accepted for compatibility; Carmine has no modules, and renames and ACL users come with ACL support.
                return;
        }
        if (!config.Exists(name)) throw new ConfigFileException("Bad directive or wrong number of arguments", lineNumber, line);
        try
        {
            config.SetAtStartup(name, values);
        }
        catch (ConfigException e)
        {
            throw new ConfigFileException(e.Message, lineNumber, line);
        }
    }

    /// <summary>include accepts a glob in the file name part, as Redis 7 does.</summary>
    static IEnumerable<string> ExpandInclude(string pattern)
    {
        if (pattern.IndexOfAny(['*', '?', '[']) < 0) return [pattern];
        string dir = Path.GetDirectoryName(pattern) is { Length: > 0 } d ? d : ".";
        string filePattern = Path.GetFileName(pattern);
        if (!Directory.Exists(dir)) return [];
        return Directory.GetFiles(dir)
            .Where(f => GlobMatch.Match(Encoding.UTF8.GetBytes(filePattern), Encoding.UTF8.GetBytes(Path.GetFileName(f))))
            .OrderBy(f => f, StringComparer.Ordinal);
    }
}
