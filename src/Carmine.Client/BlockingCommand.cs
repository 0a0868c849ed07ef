using System.Globalization;
using System.Text;

namespace Carmine.Client;

/// <summary>
/// Recognises commands that can block the connection they are sent on (BLPOP, XREAD BLOCK, ...), so the client
/// sends them on a pooled connection of their own instead of stalling every caller of the shared one. WAIT is not
/// among them: it waits for the writes of the connection it is sent on, so it must stay on the shared one.
/// </summary>
static class BlockingCommand
{
    /// <summary>
    /// How long the server may hold the reply back, <see cref="Timeout.InfiniteTimeSpan"/> for "forever" (a zero timeout);
    /// null for a command that does not block.
    /// </summary>
    public static TimeSpan? BlockTime(byte[][] args)
    {
        // The shared connection's hot path: commands that cannot block are told apart by length and first letter.
        var name = args[0];
        if (name.Length is < 5 or > 10 || (name[0] | 0x20) is not ('b' or 'x')) return null;
        switch (Encoding.ASCII.GetString(name).ToUpperInvariant())
        {
            // The timeout is the last argument, in seconds.
            case "BLPOP" or "BRPOP" or "BRPOPLPUSH" or "BLMOVE" or "BZPOPMIN" or "BZPOPMAX":
                return Seconds(args[^1]);
            // The timeout comes first: BLMPOP timeout numkeys key ...
            case "BLMPOP" or "BZMPOP" when args.Length > 1:
                return Seconds(args[1]);
            case "XREAD" or "XREADGROUP":
                for (int i = 1; i + 1 < args.Length; i++)
                {
                    string word = Encoding.ASCII.GetString(args[i]);
                    if (word.Equals("STREAMS", StringComparison.OrdinalIgnoreCase)) return null;
                    if (word.Equals("BLOCK", StringComparison.OrdinalIgnoreCase)) return Milliseconds(args[i + 1]);
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>How long to wait for the reply of <paramref name="args"/>: the block time plus the usual response time; null when it does not block.</summary>
    public static TimeSpan? ReplyTimeout(byte[][] args, TimeSpan responseTimeout) =>
        BlockTime(args) is not { } block ? null : block == Timeout.InfiniteTimeSpan ? block : block + responseTimeout;

    // An unparsable or negative timeout is the server's error to report; the reply then comes at once.
    static TimeSpan Seconds(byte[] arg)
    {
        if (!double.TryParse(Encoding.ASCII.GetString(arg), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) || s < 0)
            return TimeSpan.Zero;
        return s == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(Math.Min(s, 1e9));
    }

    static TimeSpan Milliseconds(byte[] arg)
    {
        if (!long.TryParse(Encoding.ASCII.GetString(arg), NumberStyles.None, CultureInfo.InvariantCulture, out long ms)) return TimeSpan.Zero;
        return ms == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Min(ms, 1e12));
    }
}
