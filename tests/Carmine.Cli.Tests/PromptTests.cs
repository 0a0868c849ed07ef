using System.Text;

namespace Carmine.Cli.Tests;

/// <summary>The interactive prompt follows the session: host:port, [db] after SELECT, (TX) inside MULTI.</summary>
public sealed class PromptTests(RedisServerFixture server) : IClassFixture<RedisServerFixture>
{
    CliSession Session()
    {
        var session = new CliSession(new CliOptions { Port = server.Port, Output = OutputMode.Raw }, new MemoryStream()) { Interactive = true };
        Assert.True(session.Connect());
        return session;
    }

    static List<byte[]> Argv(params string[] args) => args.Select(Encoding.UTF8.GetBytes).ToList();

    [Fact]
    public void HintsShowTheArgumentsNotYetTyped()
    {
        using var session = Session();
        Assert.Equal(" key field", CommandHelp.Hint(session, "hget"));
        Assert.Equal("field", CommandHelp.Hint(session, "hget k "));
        Assert.Equal(" [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]",
            CommandHelp.Hint(session, "set k v"));
        Assert.Null(CommandHelp.Hint(session, "nosuchcommand"));
    }

    [Fact]
    public void TabCompletesCommandNamesAndHelpGroups()
    {
        using var session = Session();
        Assert.Equal(["HGET", "HGETALL"], CommandHelp.Complete(session, "hget"));
        Assert.Contains("CLIENT LIST", CommandHelp.Complete(session, "client l"));
        Assert.Equal(["help @hyperloglog"], CommandHelp.Complete(session, "help @hyper"));
    }

    [Fact]
    public void PromptShowsHostAndPort()
    {
        using var session = Session();
        Assert.Equal($"127.0.0.1:{server.Port}> ", session.Prompt);
    }

    [Fact]
    public void PromptShowsSelectedDatabase()
    {
        using var session = Session();
        session.IssueCommand(Argv("SELECT", "2"), 1);
        Assert.Equal($"127.0.0.1:{server.Port}[2]> ", session.Prompt);
    }

    [Fact]
    public void PromptMarksTransaction()
    {
        using var session = Session();
        session.IssueCommand(Argv("MULTI"), 1);
        Assert.Equal($"127.0.0.1:{server.Port}(TX)> ", session.Prompt);
        session.IssueCommand(Argv("DISCARD"), 1);
        Assert.Equal($"127.0.0.1:{server.Port}> ", session.Prompt);
    }

    [Fact]
    public void FailedSelectKeepsPrompt()
    {
        using var session = Session();
        session.IssueCommand(Argv("SELECT", "999"), 1);
        Assert.Equal($"127.0.0.1:{server.Port}> ", session.Prompt);
    }

    [Fact]
    public void DatabaseIsSelectedAgainAfterReconnect()
    {
        var output = new MemoryStream();
        using var session = new CliSession(new CliOptions { Port = server.Port, Output = OutputMode.Raw }, output) { Interactive = true };
        Assert.True(session.Connect());
        session.IssueCommand(Argv("SELECT", "3"), 1);
        session.IssueCommand(Argv("CLIENT", "KILL", "SKIPME", "no"), 1);
        session.IssueCommand(Argv("PING"), 1);
        output.SetLength(0);
        session.IssueCommand(Argv("CLIENT", "INFO"), 1);
        Assert.Contains(" db=3 ", Encoding.UTF8.GetString(output.ToArray()));
        Assert.Equal($"127.0.0.1:{server.Port}[3]> ", session.Prompt);
    }

    [Fact]
    public void UnixSocketPrompt()
    {
        var session = new CliSession(new CliOptions { UnixSocket = server.UnixSocket }, new MemoryStream());
        Assert.Equal($"redis {server.UnixSocket}> ", session.Prompt);
    }
}
