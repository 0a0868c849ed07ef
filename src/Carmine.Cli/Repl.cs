using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Carmine.Cli;

/// <summary>The interactive mode: prompt, history in ~/.carminecli_history, the CLI's own commands
/// (quit, exit, connect, clear, help) and "N command" to repeat a command N times.</summary>
public static class Repl
{
    // Commands whose arguments hold passwords never reach the history file.
    static readonly string[] SensitiveCommands = ["auth", "hello", "migrate"];

    public static int Run(CliSession session)
    {
        session.Interactive = true;
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            if (!session.AbortStreaming()) Environment.Exit(1);
        };
        bool tty = !Console.IsInputRedirected;
        string? historyFile = tty ? HistoryPath() : null;
        var history = new List<string>();
        if (historyFile is not null && File.Exists(historyFile)) history.AddRange(File.ReadAllLines(historyFile));
        var editor = new LineEditor(history,
            complete: typed => session.Connection is null ? [] : CommandHelp.Complete(session, typed),
            hint: typed => session.Hints && session.Connection is not null ? CommandHelp.Hint(session, typed) : null);
        string? line;
        while ((line = editor.ReadLine(session.Connection is null ? "not connected> " : session.Prompt)) is not null)
        {
            if (line.Length == 0) continue;
            var argv = ArgSplitter.Split(line);
            if (argv is null)
            {
                session.WriteOut("Invalid argument(s)\n");
                Remember(history, historyFile, line, tty);
                continue;
            }
            if (argv.Count == 0) continue;
            string first = Encoding.UTF8.GetString(argv[0]);
            long repeat = 1;
            int skip = 0;
            if (argv.Count > 1 && long.TryParse(first, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
            {
                if (n <= 0)
                {
                    session.WriteOut("Invalid redis-cli repeat command option value.\n");
                    continue;
                }
                repeat = n;
                skip = 1;
            }
            string command = Encoding.UTF8.GetString(argv[skip]).ToLowerInvariant();
            if (!SensitiveCommands.Contains(command) && !(command == "acl" && argv.Count > skip + 1 && Encoding.UTF8.GetString(argv[skip + 1]).Equals("setuser", StringComparison.OrdinalIgnoreCase)))
                Remember(history, historyFile, line, tty);
            if (first.Equals("quit", StringComparison.OrdinalIgnoreCase) || first.Equals("exit", StringComparison.OrdinalIgnoreCase))
                return 0;
            if (first.StartsWith(':'))
            {
                SetPreference(session, argv.Select(Encoding.UTF8.GetString).ToArray());
                continue;
            }
            if (first.Equals("restart", StringComparison.OrdinalIgnoreCase))
            {
                session.WriteOut("Use 'restart' only in Lua debugging mode.\n");
                continue;
            }
            if (argv.Count == 3 && first.Equals("connect", StringComparison.OrdinalIgnoreCase))
            {
                session.Options.Host = Encoding.UTF8.GetString(argv[1]);
                session.Options.Port = (int)CliOptions.Atoi(Encoding.UTF8.GetString(argv[2]));
                session.Connect(force: true);
                continue;
            }
            if (argv.Count == 1 && first.Equals("clear", StringComparison.OrdinalIgnoreCase))
            {
                session.WriteOut("\x1b[H\x1b[2J");
                continue;
            }
            var watch = Stopwatch.StartNew();
            session.IssueCommand(argv.Skip(skip).ToList(), repeat);
            if (watch.ElapsedMilliseconds >= 500 && session.Options.Output == OutputMode.Standard)
                session.WriteOut(string.Format(CultureInfo.InvariantCulture, "({0:F2}s)\n", watch.ElapsedMilliseconds / 1000.0));
        }
        return 0;
    }

    // ":set hints" and ":set nohints" turn the argument hints on and off, as in redis-cli.
    static void SetPreference(CliSession session, string[] args)
    {
        if (!args[0].Equals(":set", StringComparison.OrdinalIgnoreCase) || args.Length < 2)
            session.WriteOut($"unknown redis-cli internal command '{args[0]}'\n");
        else if (args[1].Equals("hints", StringComparison.OrdinalIgnoreCase)) session.Hints = true;
        else if (args[1].Equals("nohints", StringComparison.OrdinalIgnoreCase)) session.Hints = false;
        else session.WriteOut($"unknown redis-cli preference '{args[1]}'\n");
    }

    static void Remember(List<string> history, string? file, string line, bool tty)
    {
        if (!tty) return;
        history.Add(line);
        if (file is null) return;
        try { File.AppendAllText(file, line + "\n"); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>$CARMINECLI_HISTFILE, or ~/.carminecli_history; "/dev/null" turns history off.</summary>
    static string? HistoryPath()
    {
        string? overridden = Environment.GetEnvironmentVariable("CARMINECLI_HISTFILE");
        if (overridden is not null) return overridden == "/dev/null" ? null : overridden;
        string? home = Environment.GetEnvironmentVariable("HOME");
        return home is null ? null : Path.Combine(home, ".carminecli_history");
    }
}
