using Carmine.Server.Commands;
using Carmine.Server.Network;

namespace Carmine.Server;

public sealed partial class RedisServer
{
    long pauseEndMs;
    bool pauseAll;

    /// <summary>True while CLIENT PAUSE is in force.</summary>
    public bool Paused => pauseEndMs != 0;

    /// <summary>CLIENT PAUSE: holds every command (ALL) or only those that may write (WRITE) until the deadline.</summary>
    public void Pause(long endMs, bool all)
    {
        lock (pauseGate)
        {
            // A new pause can only extend the current one, or widen WRITE to ALL.
            pauseEndMs = Math.Max(pauseEndMs, endMs);
            pauseAll |= all;
            // Nothing is deleted during a pause: expired keys read as absent but stay until it ends, as in Redis.
            if (pauseEndMs != 0) Keyspace.DeleteExpired = false;
        }
    }

    public void Unpause()
    {
        List<Action> waiters;
        lock (pauseGate)
        {
            pauseEndMs = 0;
            pauseAll = false;
            Keyspace.DeleteExpired = true;
            waiters = [.. unpauseWaiters];
            unpauseWaiters.Clear();
        }
        foreach (var w in waiters) w();
    }

    void CheckPauseTimeout()
    {
        if (pauseEndMs != 0 && Clock.NowMs() >= pauseEndMs) Unpause();
    }

    bool IsPausedFor(Client c, CommandDef cmd)
    {
        if (pauseEndMs == 0) return false;
        if (Clock.NowMs() >= pauseEndMs)
        {
            Unpause();
            return false;
        }
        if (pauseAll) return true;
        // A script counts by the flags it declares: a no-writes EVAL or FCALL runs during CLIENT PAUSE WRITE.
        return MayWrite(Scripting.ScriptEngine.EffectiveFlags(this, c.Args, cmd))
            || (cmd.FullName == "exec" && c.Multi is { } multi
                && multi.Queued.Any(q => MayWrite(Scripting.ScriptEngine.EffectiveFlags(this, q.Args, q.Command))));
    }

    static bool MayWrite(CommandFlags flags) => (flags & (CommandFlags.Write | CommandFlags.MayReplicate)) != 0;

    internal void WhenUnpaused(Action action)
    {
        lock (pauseGate)
        {
            if (pauseEndMs != 0)
            {
                unpauseWaiters.Add(action);
                return;
            }
        }
        action();
    }
}
