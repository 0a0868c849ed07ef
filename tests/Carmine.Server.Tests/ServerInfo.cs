using System.Diagnostics;

namespace Carmine.Server.Tests;

/// <summary>What the tests read from INFO and wait for (replication offsets, rewrites), bounded in time.</summary>
static class ServerInfo
{
    /// <summary>One field of an INFO section; "" when the section does not show it.</summary>
    public static string Field(RespConnection c, string section, string name)
    {
        foreach (var line in c.Call("INFO", section).Text!.Split("\r\n"))
            if (line.StartsWith(name + ":", StringComparison.Ordinal)) return line[(name.Length + 1)..];
        return "";
    }

    public static void WaitUntil(Func<bool> condition, string what, int seconds = 20)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(seconds)) throw new TimeoutException("timed out waiting for " + what);
            Thread.Sleep(20);
        }
    }

    /// <summary>The replica's link is up and it has applied everything the master has written.</summary>
    public static void WaitInSync(RespConnection master, RespConnection replica) =>
        WaitUntil(() => Field(replica, "replication", "master_link_status") == "up"
            && Field(master, "replication", "master_repl_offset") == Field(replica, "replication", "slave_repl_offset"), "the replica to catch up");
}
