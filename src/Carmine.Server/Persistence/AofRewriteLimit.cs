namespace Carmine.Server.Persistence;

/// <summary>
/// Redis's limit on automatic AOF rewrites after repeated failures (aofRewriteLimited): from the third failure in
/// a row, each automatic or scheduled rewrite waits 1 minute, then 2, 4, ... up to an hour, so a rewrite that keeps
/// failing does not fill the AOF directory with small incremental files. BGREWRITEAOF by hand is not held back.
/// </summary>
sealed class AofRewriteLimit
{
    const int Threshold = 3;
    const int MaxDelayMinutes = 60;

    int nextDelayMinutes;
    long nextRewriteSec;

    /// <summary>True while a rewrite must wait; the first call that starts a wait logs it.</summary>
    public bool IsLimited(long consecutiveFailures, long nowSec)
    {
        if (consecutiveFailures < Threshold)
        {
            // A success (or BGREWRITEAOF by hand) ends the limit: the next failures start again from one minute.
            nextDelayMinutes = 0;
            nextRewriteSec = 0;
            return false;
        }
        if (nextRewriteSec != 0)
        {
            if (nowSec < nextRewriteSec) return true;
            nextRewriteSec = 0;
            return false;
        }
        nextDelayMinutes = nextDelayMinutes == 0 ? 1 : Math.Min(nextDelayMinutes * 2, MaxDelayMinutes);
        nextRewriteSec = nowSec + nextDelayMinutes * 60L;
        Log.Warning($"Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {nextDelayMinutes} minutes");
        return true;
    }
}
