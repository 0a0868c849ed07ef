using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Carmine.Server.Config;

namespace Carmine.Server;

/// <summary>
/// The process title that ps and /proc/PID/cmdline show, from proc-title-template (Redis's setproctitle). Linux has no
/// call for it: the title is written over the memory that held the command line, extended over the environment
/// strings that follow it once those are copied elsewhere, as Redis does.
/// </summary>
public static unsafe class ProcTitle
{
    /// <summary>Redis's longest title (SPT_MAXTITLE).</summary>
    const int MaxTitle = 255;

    static readonly object gate = new();
    static bool initialized;
    static byte* start;
    static byte* argsNul;
    static byte* end;

    /// <summary>The command's first argument as it was started (the {title} variable), before any title replaced it.</summary>
    public static string Argv0 { get; private set; } = "";

    /// <summary>
    /// Expands a template's {variables} (Redis's sdstemplate; "{{" is a literal brace) with <paramref name="variable"/>,
    /// which returns null for an unknown name; null when the template is malformed or names an unknown variable.
    /// </summary>
    public static string? Expand(string template, Func<string, string?> variable)
    {
        var sb = new StringBuilder();
        int i = 0;
        while (i < template.Length)
        {
            int open = template.IndexOf('{', i);
            if (open < 0)
            {
                sb.Append(template, i, template.Length - i);
                break;
            }
            sb.Append(template, i, open - i);
            if (open + 1 >= template.Length) return null;
            if (template[open + 1] == '{')
            {
                sb.Append('{');
                i = open + 2;
                continue;
            }
            int close = template.IndexOf('}', open + 1);
            if (close < 0) return null;
            if (variable(template[(open + 1)..close]) is not { } value) return null;
            sb.Append(value);
            i = close + 1;
        }
        return sb.ToString();
    }

    /// <summary>proc-title-template expanded for this server with <paramref name="title"/> as {title}, trimmed of spaces.</summary>
    public static string? Format(ServerConfig config, string title) => Expand(config.GetString("proc-title-template"), name => name switch
    {
        "title" => title,
        "listen-addr" => config.GetInt("port") != 0 || config.GetInt("tls-port") != 0
            ? $"{FirstBindAddress(config)}:{(config.GetInt("port") != 0 ? config.GetInt("port") : config.GetInt("tls-port"))}"
            : $"unixsocket:{config.GetString("unixsocket")}",
        "server-mode" => config.GetBool("cluster-enabled") ? "[cluster]" : "",
        "config-file" => config.ConfigFile ?? "-",
        "port" => config.GetInt("port").ToString(CultureInfo.InvariantCulture),
        "tls-port" => config.GetInt("tls-port").ToString(CultureInfo.InvariantCulture),
        "unixsocket" => config.GetString("unixsocket"),
        _ => null,
    })?.Trim(' ');

    static string FirstBindAddress(ServerConfig config) =>
        config.GetString("bind").Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var first, ..] ? first : "*";

    /// <summary>
    /// Sets the title from the template; false when the template does not expand. Where the command line cannot be
    /// found the title is left alone, as a Redis built without setproctitle does.
    /// </summary>
    public static bool Apply(ServerConfig config)
    {
        lock (gate)
        {
            bool writable = Initialize();
            if (Format(config, Argv0) is not { } title) return false;
            if (writable) Write(title);
            return true;
        }
    }

    /// <summary>
    /// Finds the command line and the environment strings after it (/proc/self/stat's arg_start, arg_end, env_start,
    /// env_end) and gives the environment and glibc's program names copies of their own, so the area can be reused.
    /// </summary>
    static bool Initialize()
    {
        if (initialized) return start != null;
        initialized = true;
        if (!OperatingSystem.IsLinux()) return false;
        string stat;
        byte[] cmdline;
        try
        {
            stat = File.ReadAllText("/proc/self/stat");
            cmdline = File.ReadAllBytes("/proc/self/cmdline");
        }
        catch (IOException)
        {
            return false;
        }
        // Fields after the command name (which may hold spaces); arg_start is field 48 of proc(5), the 46th here.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        if (fields.Length < 49
            || !ulong.TryParse(fields[45], out ulong argStart) || !ulong.TryParse(fields[46], out ulong argEnd)
            || !ulong.TryParse(fields[47], out ulong envStart) || !ulong.TryParse(fields[48], out ulong envEnd)
            || argStart == 0 || argEnd <= argStart)
            return false;
        int nul = Array.IndexOf(cmdline, (byte)0);
        Argv0 = Encoding.UTF8.GetString(cmdline, 0, nul < 0 ? cmdline.Length : nul);
        start = (byte*)argStart;
        argsNul = (byte*)argEnd - 1;
        end = (byte*)argEnd;
        if (envStart == argEnd && envEnd > envStart && RelocateEnvironment((byte*)envStart, (byte*)envEnd)) end = (byte*)envEnd;
        RelocateProgramName("program_invocation_name");
        RelocateProgramName("program_invocation_short_name");
        return true;
    }

    static nint Libc() => NativeLibrary.TryLoad("libc.so.6", out nint libc) ? libc : 0;

    /// <summary>Points every entry of environ that lies in the area at a copy of its string.</summary>
    static bool RelocateEnvironment(byte* from, byte* to)
    {
        nint libc = Libc();
        if (libc == 0 || !NativeLibrary.TryGetExport(libc, "environ", out nint symbol)) return false;
        byte** environ = *(byte***)symbol;
        for (int i = 0; environ != null && environ[i] != null; i++)
            if (environ[i] >= from && environ[i] < to) environ[i] = Copy(environ[i]);
        return true;
    }

    /// <summary>glibc's program_invocation_name and _short_name point into the command line; they get copies.</summary>
    static void RelocateProgramName(string name)
    {
        nint libc = Libc();
        if (libc == 0 || !NativeLibrary.TryGetExport(libc, name, out nint symbol)) return;
        byte** slot = (byte**)symbol;
        if (*slot >= start && *slot < end) *slot = Copy(*slot);
    }

    static byte* Copy(byte* s)
    {
        int length = 0;
        while (s[length] != 0) length++;
        var copy = (byte*)NativeMemory.Alloc((nuint)length + 1);
        new ReadOnlySpan<byte>(s, length + 1).CopyTo(new Span<byte>(copy, length + 1));
        return copy;
    }

    /// <summary>
    /// Writes the title NUL-terminated at the start of the area. The kernel shows the area as one title, up to its
    /// NUL, when the byte that ended the last argument is not NUL: a shorter title leaves a '.' there.
    /// </summary>
    static void Write(string title)
    {
        var area = new Span<byte>(start, (int)(end - start));
        area.Clear();
        var bytes = Encoding.UTF8.GetBytes(title);
        int length = Math.Min(bytes.Length, Math.Min(MaxTitle, area.Length - 1));
        bytes.AsSpan(0, length).CopyTo(area);
        byte* titleEnd = start + length;
        if (titleEnd < argsNul) *argsNul = (byte)'.';
        else if (titleEnd == argsNul && titleEnd + 1 < end)
        {
            *argsNul = (byte)' ';
            titleEnd[1] = 0;
        }
    }
}
