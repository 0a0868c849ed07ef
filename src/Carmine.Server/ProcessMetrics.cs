using System.Globalization;
using System.Runtime.InteropServices;

namespace Carmine.Server;

/// <summary>What the operating system says about this process: CPU time, resident memory, the machine's memory and name.</summary>
public static partial class ProcessMetrics
{
    const int RusageSelf = 0, RusageChildren = -1, RusageThread = 1;

    [StructLayout(LayoutKind.Sequential)]
    struct Rusage
    {
        public long UserSec, UserUsec, SysSec, SysUsec;
        // The rest of struct rusage (14 longs) is not read, but getrusage writes it.
        public long R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrusage(int who, out Rusage usage);

    /// <summary>System and user CPU time as Redis prints them ("12.345678"), for the process, its children or the calling thread.</summary>
    public static (string Sys, string User) CpuSelf() => Cpu(RusageSelf);
    public static (string Sys, string User) CpuChildren() => Cpu(RusageChildren);
    public static (string Sys, string User) CpuThread() => Cpu(RusageThread);

    static (string Sys, string User) Cpu(int who)
    {
        if (getrusage(who, out var u) != 0) return ("0.000000", "0.000000");
        return ($"{u.SysSec}.{u.SysUsec:D6}", $"{u.UserSec}.{u.UserUsec:D6}");
    }

    /// <summary>Physical memory of the machine (MemTotal), 0 if unknown.</summary>
    public static long TotalSystemMemory { get; } = ReadMemTotal();

    static long ReadMemTotal()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
        }
        return 0;
    }

    /// <summary>"sysname release machine", as uname(2) reports them.</summary>
    public static string OsName { get; } = ReadOsName();

    static string ReadOsName()
    {
        string sys = ReadTrimmed("/proc/sys/kernel/ostype", "Linux");
        string release = ReadTrimmed("/proc/sys/kernel/osrelease", Environment.OSVersion.Version.ToString());
        string machine = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "x86_64",
            Architecture.Arm64 => "aarch64",
            Architecture.X86 => "i686",
            var other => other.ToString().ToLowerInvariant(),
        };
        return $"{sys} {release} {machine}";
    }

    static string ReadTrimmed(string path, string fallback)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (IOException) { return fallback; }
    }
}
