namespace Carmine.Server.Tests;

/// <summary>
/// The threads standing in for Redis's forked children run at a lower CPU priority than the event loops, so a save
/// does not take cores from clients (docs/memory.md). Read from /proc while the save runs.
/// </summary>
public sealed class BackgroundPriorityTests
{
    /// <summary>The nice value of each of the server's threads named <paramref name="name"/>.</summary>
    static List<int> Nice(string pid, string name)
    {
        var found = new List<int>();
        foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).Trim() != name) continue;
                // Fields after the command name, which is in parentheses: nice is field 19 of stat.
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                found.Add(int.Parse(fields[16]));
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }
        return found;
    }

    /// <summary>Starts <paramref name="command"/>, slowed down, and waits for its thread to run at nice 10 while the loops stay at 0.</summary>
    static void AssertRunsBelowTheLoops(string command, string thread)
    {
        using var s = new TestServer("--enable-debug-command", "yes", "--rdb-key-save-delay", "10000");
        using var c = s.Connect();
        c.Call("DEBUG", "POPULATE", "200");
        string pid = ServerInfo.Field(c, "server", "process_id");
        c.Call(command);
        ServerInfo.WaitUntil(() => Nice(pid, thread) is [10], $"{thread} to lower its priority");
        Assert.All(Nice(pid, "carmine-loop-0"), nice => Assert.Equal(0, nice));
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "0");
    }

    [Fact]
    public void TheBgsaveThreadRunsBelowTheEventLoops() => AssertRunsBelowTheLoops("BGSAVE", "carmine-bgsave");

    [Fact]
    public void TheRewriteThreadRunsBelowTheEventLoops() => AssertRunsBelowTheLoops("BGREWRITEAOF", "carmine-aofrw");
}
