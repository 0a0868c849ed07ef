using Carmine.Server.Network;

namespace Carmine.Server.Commands;

/// <summary>Server commands: MONITOR SHUTDOWN TIME LOLWUT.</summary>
static class ServerCommands
{
    [Command("monitor", 1, Flags = "admin noscript loading stale", Group = "server", Since = "1.0.0",
        Summary = "Listen for all requests received by the server in real time")]
    static void Monitor(Client c)
    {
        // Inside EXEC a client must get one reply per command, which a monitor does not.
        if (c.InExec)
        {
            c.Error("ERR MONITOR isn't allowed for DENY BLOCKING client");
            return;
        }
        // A client already monitoring gets no reply at all, as in Redis.
        if (c.IsMonitor) return;
        c.IsMonitor = true;
        Interlocked.Increment(ref c.Server.MonitorCount);
        c.Reply.Ok();
    }

    [Command("shutdown", -1, Flags = "admin noscript loading stale no_multi sentinel allow_busy", Group = "server", Since = "1.0.0",
        Summary = "Synchronously save the dataset to disk and then shut down the server",
        Complexity = "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)")]
    static void Shutdown(Client c)
    {
        var args = c.Args;
        bool nosave = false, save = false, now = false, force = false, abort = false;
        for (int i = 1; i < args.Count; i++)
        {
            if (args.Is(i, "nosave")) nosave = true;
            else if (args.Is(i, "save")) save = true;
            else if (args.Is(i, "now")) now = true;
            else if (args.Is(i, "force")) force = true;
            else if (args.Is(i, "abort")) abort = true;
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        if ((abort && (nosave || save || now || force)) || (nosave && save))
        {
            c.Error(Errors.Syntax);
            return;
        }
        // Carmine never waits for replicas before exiting: the only shutdown to abort is a signal's the cron has not run.
        if (abort)
        {
            if (c.Server.AbortShutdown()) c.Reply.Ok();
            else c.Error("ERR No shutdown in progress.");
            return;
        }
        if (!c.Server.PrepareForShutdown(nosave, save, force))
        {
            c.Error("ERR Errors trying to SHUTDOWN. Check logs.");
            return;
        }
        // Like Redis, which exits inside the command: no reply, and nothing more from this client.
        c.CloseAfterReply = true;
        c.Server.RequestShutdown(0);
    }

    [Command("time", 1, Flags = "loading stale fast", Group = "server", Since = "2.6.0", Tips = "nondeterministic_output",
        Summary = "Return the current server time", Complexity = "O(1)")]
    static void Time(Client c)
    {
        long us = Clock.NowUs();
        c.Reply.ArrayHeader(2);
        c.Reply.Bulk(us / 1_000_000);
        c.Reply.Bulk(us % 1_000_000);
    }

    /// <summary>LOLWUT [VERSION v]: Redis 7's form for every version, the version line (the older versions' art is not drawn).</summary>
    [Command("lolwut", -1, Flags = "readonly fast", Group = "server", Since = "5.0.0",
        Summary = "Display some computer art and the Redis version")]
    static void Lolwut(Client c)
    {
        if (c.Args.Count >= 3 && c.Args.Is(1, "version") && !c.TryLong(2, out _)) return;
        c.Reply.Verbatim($"Redis ver. {RedisServer.RedisVersion}\n");
    }
}
