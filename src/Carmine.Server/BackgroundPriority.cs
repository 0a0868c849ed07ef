using System.Runtime.InteropServices;

namespace Carmine.Server;

/// <summary>
/// The threads that do what Redis's forked children do (BGSAVE, BGREWRITEAOF, a full resync's RDB) run at a lower CPU
/// priority than the event loops. A Redis child competes with one main thread for the machine; Carmine's saver
/// competes with an event loop on every core, so without this clients wait whenever the saver holds a core they need.
/// </summary>
static partial class BackgroundPriority
{
    /// <summary>The nice value the calling thread moves to: below the loops, as a background job.</summary>
    const int Nice = 10;
    const int PrioProcess = 0;

    /// <summary>Lowers the calling thread's priority; a system that refuses leaves it as it is.</summary>
    public static void Lower()
    {
        if (OperatingSystem.IsLinux()) _ = setpriority(PrioProcess, gettid(), Nice);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);

    [LibraryImport("libc")]
    private static partial int gettid();
}
