using System.Text.RegularExpressions;
using Carmine.Protocol;

namespace Carmine.Server.Tests;

public sealed class ClientTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    [Fact]
    public void ClientInfoHasEveryFieldOfRedis70InOrder()
    {
        Assert.Matches(new Regex(
            "^id=[0-9]+ addr=127\\.0\\.0\\.1:[0-9]+ laddr=127\\.0\\.0\\.1:[0-9]+ fd=[0-9]+ name= age=[0-9]+ idle=[0-9]+ flags=N db=0 " +
            "sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=[0-9]+ argv-mem=10 multi-mem=0 rbs=[0-9]+ rbp=[0-9]+ obl=0 oll=0 omem=0 " +
            "tot-mem=[0-9]+ events=r cmd=client\\|info user=default redir=-1 resp=2\n$"),
            r.Str("CLIENT", "INFO"));
    }

    [Fact]
    public void ClientIdMatchesClientInfo()
    {
        long id = r.Int("CLIENT", "ID");
        Assert.StartsWith($"id={id} ", r.Str("CLIENT", "INFO"));
    }

    [Fact]
    public void ClientListShowsOneLinePerConnection()
    {
        using var other = fixture.Server.Connect();
        long otherId = other.Int("CLIENT", "ID");
        string list = r.Str("CLIENT", "LIST");
        Assert.EndsWith("\n", list);
        Assert.Contains($"id={otherId} ", list);
        Assert.Contains(" cmd=client|id ", list);
    }

    [Fact]
    public void ClientListIdSelectsThoseClients()
    {
        using var other = fixture.Server.Connect();
        long otherId = other.Int("CLIENT", "ID");
        string list = r.Str("CLIENT", "LIST", "ID", otherId.ToString(), "999999");
        Assert.Single(list.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"id={otherId} ", list);
    }

    [Fact]
    public void ClientListShowsATransactionInProgress()
    {
        using var c = fixture.Server.Connect();
        long id = c.Int("CLIENT", "ID");
        c.Call("MULTI");
        c.Call("SET", "client:m", "v");
        string line = r.Str("CLIENT", "LIST", "ID", id.ToString());
        Assert.Contains(" flags=x ", line);
        Assert.Contains(" multi=1 ", line);
        Assert.Contains(" multi-mem=12 ", line);
    }

    [Fact]
    public void ClientListShowsSubscriptions()
    {
        using var c = fixture.Server.Connect();
        long id = c.Int("CLIENT", "ID");
        c.Call("SUBSCRIBE", "client:ch1", "client:ch2");
        c.Read();
        c.Call("PSUBSCRIBE", "client:p*");
        string line = r.Str("CLIENT", "LIST", "TYPE", "pubsub");
        Assert.StartsWith($"id={id} ", line);
        Assert.Contains(" flags=P ", line);
        Assert.Contains(" sub=2 psub=1 ssub=0 ", line);
    }

    [Fact]
    public void ClientListIdRejectsANonInteger()
    {
        Assert.Equal("ERR Invalid client ID", r.Str("CLIENT", "LIST", "ID", "x"));
    }

    [Fact]
    public void ClientListUnknownTypeIsAnError()
    {
        Assert.Equal("ERR Unknown client type 'foo'", r.Str("CLIENT", "LIST", "TYPE", "foo"));
    }

    [Fact]
    public void ClientListTypeNormalIncludesTheCaller()
    {
        long id = r.Int("CLIENT", "ID");
        Assert.Contains($"id={id} ", r.Str("CLIENT", "LIST", "TYPE", "normal"));
        Assert.Equal("", r.Str("CLIENT", "LIST", "TYPE", "master"));
    }

    [Fact]
    public void SetNameThenGetName()
    {
        using var c = fixture.Server.Connect();
        Assert.True(c.Call("CLIENT", "GETNAME").IsNull);
        Assert.Equal("OK", c.Str("CLIENT", "SETNAME", "client-name-1"));
        Assert.Equal("client-name-1", c.Str("CLIENT", "GETNAME"));
        Assert.Contains(" name=client-name-1 ", c.Str("CLIENT", "INFO"));
    }

    [Fact]
    public void SetNameRejectsSpaces()
    {
        Assert.Equal("ERR Client names cannot contain spaces, newlines or special characters.", r.Str("CLIENT", "SETNAME", "a b"));
    }

    [Fact]
    public void SetNameEmptyRemovesTheName()
    {
        using var c = fixture.Server.Connect();
        c.Call("CLIENT", "SETNAME", "temporary");
        Assert.Equal("OK", c.Str("CLIENT", "SETNAME", ""));
        Assert.True(c.Call("CLIENT", "GETNAME").IsNull);
    }

    [Fact]
    public void KillByIdClosesThatConnection()
    {
        using var victim = fixture.Server.Connect();
        long id = victim.Int("CLIENT", "ID");
        Assert.Equal(1, r.Int("CLIENT", "KILL", "ID", id.ToString()));
        Assert.True(victim.IsClosedByServer());
    }

    [Fact]
    public void KillOldFormByAddress()
    {
        using var victim = fixture.Server.Connect();
        string addr = Regex.Match(victim.Str("CLIENT", "INFO"), " addr=(\\S+) ").Groups[1].Value;
        Assert.Equal("OK", r.Str("CLIENT", "KILL", addr));
        Assert.True(victim.IsClosedByServer());
    }

    [Fact]
    public void KillOldFormUnknownAddressIsNoSuchClient()
    {
        Assert.Equal("ERR No such client", r.Str("CLIENT", "KILL", "1.2.3.4:5"));
    }

    [Fact]
    public void KillSkipsTheCallerUnlessSkipmeNo()
    {
        using var c = fixture.Server.Connect();
        long id = c.Int("CLIENT", "ID");
        Assert.Equal(0, c.Int("CLIENT", "KILL", "ID", id.ToString()));
        Assert.Equal(1, c.Int("CLIENT", "KILL", "ID", id.ToString(), "SKIPME", "no"));
        Assert.True(c.IsClosedByServer());
    }

    [Fact]
    public void KillFilterErrors()
    {
        Assert.Equal("ERR client-id should be greater than 0", r.Str("CLIENT", "KILL", "ID", "0"));
        Assert.Equal("ERR Unknown client type 'wrong'", r.Str("CLIENT", "KILL", "TYPE", "wrong"));
        Assert.Equal("ERR No such user 'nobody'", r.Str("CLIENT", "KILL", "USER", "nobody"));
        Assert.Equal("ERR syntax error", r.Str("CLIENT", "KILL", "SKIPME", "maybe"));
        Assert.Equal("ERR syntax error", r.Str("CLIENT", "KILL", "ID", "10", "extra"));
    }

    [Fact]
    public void ReplyOffSilencesUntilOn()
    {
        using var c = fixture.Server.Connect();
        c.SendRaw("CLIENT REPLY OFF\r\nPING one\r\nCLIENT REPLY ON\r\nPING two\r\n");
        Assert.Equal("OK", c.Read().Text);
        Assert.Equal("two", c.Read().Text);
    }

    [Fact]
    public void ReplySkipDropsOnlyTheNextReply()
    {
        using var c = fixture.Server.Connect();
        c.SendRaw("CLIENT REPLY SKIP\r\nPING one\r\nPING two\r\n");
        Assert.Equal("two", c.Read().Text);
    }

    [Fact]
    public void PauseWriteHoldsWritesUntilUnpause()
    {
        using var writer = fixture.Server.Connect();
        Assert.Equal("OK", r.Str("CLIENT", "PAUSE", "100000", "WRITE"));
        try
        {
            Assert.True(writer.Call("GET", "client:paused").IsNull);
            writer.SendRaw("SET client:paused 1\r\n");
            Thread.Sleep(200);
            Assert.True(r.Call("GET", "client:paused").IsNull);
            Assert.Contains("\r\nblocked_clients:1\r\n", r.Str("INFO", "clients"));
        }
        finally
        {
            Assert.Equal("OK", r.Str("CLIENT", "UNPAUSE"));
        }
        Assert.Equal("OK", writer.Read().Text);
        Assert.Equal("1", r.Str("GET", "client:paused"));
    }

    [Fact]
    public void PauseKeepsExpiredKeysUntilUnpause()
    {
        static long ExpiredKeys(RespConnection c) =>
            long.Parse(Regex.Match(c.Str("INFO", "stats"), "expired_keys:([0-9]+)").Groups[1].Value);
        r.Call("SET", "client:exp", "v", "PX", "50");
        Assert.Equal("OK", r.Str("CLIENT", "PAUSE", "100000", "WRITE"));
        long before;
        try
        {
            Thread.Sleep(300);
            before = ExpiredKeys(r);
            Assert.True(r.Call("GET", "client:exp").IsNull);
            Assert.Equal(before, ExpiredKeys(r));
        }
        finally
        {
            r.Call("CLIENT", "UNPAUSE");
        }
        Assert.True(r.Call("GET", "client:exp").IsNull);
        Assert.Equal(before + 1, ExpiredKeys(r));
    }

    [Fact]
    public void PauseArgumentErrors()
    {
        Assert.Equal("ERR CLIENT PAUSE mode must be WRITE or ALL", r.Str("CLIENT", "PAUSE", "10", "READ"));
        Assert.Equal("ERR timeout is not an integer or out of range", r.Str("CLIENT", "PAUSE", "soon"));
        Assert.Equal("ERR timeout is negative", r.Str("CLIENT", "PAUSE", "-1"));
        Assert.Equal("ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.", r.Str("CLIENT", "pause", "10", "ALL", "extra"));
    }

    [Fact]
    public void NoEvictShowsTheEFlag()
    {
        using var c = fixture.Server.Connect();
        Assert.Equal("OK", c.Str("CLIENT", "NO-EVICT", "on"));
        Assert.Contains(" flags=e ", c.Str("CLIENT", "INFO"));
        Assert.Equal("OK", c.Str("CLIENT", "NO-EVICT", "off"));
        Assert.Contains(" flags=N ", c.Str("CLIENT", "INFO"));
        Assert.Equal("ERR syntax error", c.Str("CLIENT", "NO-EVICT", "maybe"));
    }

    [Fact]
    public void UnknownSubcommandSuggestsHelp()
    {
        Assert.Equal("ERR unknown subcommand 'frobnicate'. Try CLIENT HELP.", r.Str("CLIENT", "frobnicate"));
    }

    [Fact]
    public void HelpStartsWithTheUsageLine()
    {
        var help = r.Call("CLIENT", "HELP");
        Assert.Equal(RespType.Array, help.Type);
        Assert.Equal("CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", help.Items![0].Text);
        Assert.Equal("    Prints this help.", help.Items[^1].Text);
    }
}
