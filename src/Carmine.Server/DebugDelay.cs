using System.Runtime.InteropServices;

namespace Carmine.Server;

/// <summary>
/// Redis's debugDelay: the per-key pause of rdb-key-save-delay and key-load-delay, in microseconds. Thread.Sleep
/// cannot do it (it rounds a TimeSpan below a millisecond down to a yield), so short pauses call usleep.
/// </summary>
public static partial class DebugDelay
{
    [LibraryImport("libc", SetLastError = true)]
    private static partial int usleep(uint usec);

    /// <summary>
    /// Pauses the calling thread for <paramref name="delayUs"/> microseconds; a negative value pauses 1 µs once in
    /// -delayUs calls on average, as Redis makes very short delays by sleeping less often. A pause of a millisecond
    /// or more ends early when <paramref name="cancel"/> fires, so an abandoned save does not sleep on.
    /// </summary>
    public static void Sleep(long delayUs, CancellationToken cancel = default)
    {
        if (delayUs < 0) delayUs = Random.Shared.NextInt64(-delayUs) == 0 ? 1 : 0;
        if (delayUs >= 1000) cancel.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(delayUs / 1000.0));
        else if (delayUs > 0) usleep((uint)delayUs);
    }
}
