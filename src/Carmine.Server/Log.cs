using System.Globalization;

namespace Carmine.Server;

public enum LogLevel { Debug = 0, Verbose = 1, Notice = 2, Warning = 3, Nothing = 4 }

/// <summary>The server log, in Redis's line format: "pid:role dd Mon yyyy HH:mm:ss.fff * message".</summary>
public static class Log
{
    static readonly object Gate = new();
    static TextWriter writer = Console.Out;
    static readonly int Pid = Environment.ProcessId;

    public static LogLevel Level { get; set; } = LogLevel.Notice;

    /// <summary>'M' for a master, 'S' for a replica, 'X' for a sentinel, 'C' for a child (unused: Carmine never forks).</summary>
    public static char Role { get; set; } = 'M';

    /// <summary>Sends the log to a file (appending), or to stdout for an empty name.</summary>
    public static void SetFile(string path)
    {
        lock (Gate)
        {
            writer = path.Length == 0 ? Console.Out : new StreamWriter(path, append: true) { AutoFlush = true };
        }
    }

    public static void Debug(string message) => Write(LogLevel.Debug, message);
    public static void Verbose(string message) => Write(LogLevel.Verbose, message);
    public static void Notice(string message) => Write(LogLevel.Notice, message);
    public static void Warning(string message) => Write(LogLevel.Warning, message);

    public static void Write(LogLevel level, string message)
    {
        if (level < Level) return;
        char mark = level switch { LogLevel.Debug => '.', LogLevel.Verbose => '-', LogLevel.Notice => '*', _ => '#' };
        string stamp = DateTime.Now.ToString("dd MMM yyyy HH:mm:ss.fff", CultureInfo.InvariantCulture);
        lock (Gate)
        {
            writer.WriteLine($"{Pid}:{Role} {stamp} {mark} {message}");
            writer.Flush();
        }
    }

    /// <summary>Writes a line without the prefix (the start-up banner).</summary>
    public static void Raw(string text)
    {
        lock (Gate)
        {
            writer.WriteLine(text);
            writer.Flush();
        }
    }
}
