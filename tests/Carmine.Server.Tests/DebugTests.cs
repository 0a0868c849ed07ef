using Carmine.Protocol;

namespace Carmine.Server.Tests;

public sealed class DebugTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    [Fact]
    public void DebugIsRefusedWhenNotEnabled()
    {
        using var server = new TestServer();
        using var c = server.Connect();
        Assert.StartsWith("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\"", c.Str("DEBUG", "SLEEP", "0"));
    }

    [Fact]
    public void DebugShowsNoProtectedFlag()
    {
        Assert.Equal("[admin, noscript, loading, stale]", r.Call("COMMAND", "INFO", "debug").Items![0].Items![2].ToString());
    }

    [Fact]
    public void DebugSleepReplies()
    {
        Assert.Equal("OK", r.Str("DEBUG", "SLEEP", "0.01"));
    }

    [Fact]
    public void DebugObjectOfSmallInteger()
    {
        r.Call("SET", "debug:int", "100");
        Assert.Matches(@"^Value at:0x[0-9a-f]+ refcount:2147483647 encoding:int serializedlength:2 lru:\d+ lru_seconds_idle:\d+$", r.Str("DEBUG", "OBJECT", "debug:int"));
    }

    [Fact]
    public void DebugObjectOfShortString()
    {
        r.Call("SET", "debug:str", "hello");
        Assert.Matches(@"^Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:6 lru:\d+ lru_seconds_idle:\d+$", r.Str("DEBUG", "OBJECT", "debug:str"));
    }

    [Fact]
    public void DebugObjectOfMissingKey()
    {
        Assert.Equal("ERR no such key", r.Str("DEBUG", "OBJECT", "debug:missing"));
    }

    [Fact]
    public void DebugUnknownSubcommand()
    {
        Assert.Equal("ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.", r.Str("DEBUG", "foo"));
    }

    [Fact]
    public void DebugSleepWithoutArgumentIsUnknown()
    {
        Assert.Equal("ERR unknown subcommand or wrong number of arguments for 'sleep'. Try DEBUG HELP.", r.Str("DEBUG", "sleep"));
    }

    [Fact]
    public void DebugErrorRepliesTheText()
    {
        Assert.Equal("hello world", r.Str("DEBUG", "ERROR", "hello\nworld"));
    }

    [Fact]
    public void DebugProtocolResp2Values()
    {
        Assert.Equal("Hello World", r.Str("DEBUG", "PROTOCOL", "string"));
        Assert.Equal("12345", r.Str("DEBUG", "PROTOCOL", "integer"));
        Assert.Equal("3.141", r.Str("DEBUG", "PROTOCOL", "double"));
        Assert.Equal("1234567999999999999999999999999999999", r.Str("DEBUG", "PROTOCOL", "bignum"));
        Assert.Equal("[0, 0, 1, 1, 2, 0]", r.Str("DEBUG", "PROTOCOL", "map"));
        Assert.Equal("Some real reply following the attribute", r.Str("DEBUG", "PROTOCOL", "attrib"));
        Assert.Equal("ERR RESP2 is not supported by this command", r.Str("DEBUG", "PROTOCOL", "push"));
    }

    [Fact]
    public void DebugProtocolResp3Types()
    {
        using var c = fixture.Server.Connect();
        c.Call("HELLO", "3");
        Assert.Equal(RespType.BigNumber, c.Call("DEBUG", "PROTOCOL", "bignum").Type);
        Assert.Equal(RespType.Double, c.Call("DEBUG", "PROTOCOL", "double").Type);
        Assert.Equal(RespType.Boolean, c.Call("DEBUG", "PROTOCOL", "true").Type);
        Assert.Equal(RespType.Verbatim, c.Call("DEBUG", "PROTOCOL", "verbatim").Type);
        Assert.Equal(RespType.Set, c.Call("DEBUG", "PROTOCOL", "set").Type);
    }

    [Fact]
    public void DebugProtocolUnknownType()
    {
        Assert.Equal("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
            r.Str("DEBUG", "PROTOCOL", "nosuch"));
    }

    [Fact]
    public void DebugPopulateCreatesKeys()
    {
        Assert.Equal("OK", r.Str("DEBUG", "POPULATE", "3", "debug:pop", "10"));
        Assert.Equal("value:2\0\0\0", r.Str("GET", "debug:pop:2"));
    }

    [Fact]
    public void DebugPopulateRejectsNegativeCount()
    {
        Assert.Equal("ERR value is out of range, must be positive", r.Str("DEBUG", "POPULATE", "-1"));
    }

    [Fact]
    public void DebugSetActiveExpireStopsBackgroundExpiry()
    {
        using var server = new TestServer("--enable-debug-command", "yes");
        using var c = server.Connect();
        c.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
        c.Call("SET", "debug:exp", "v", "PX", "1");
        Thread.Sleep(300);
        Assert.Matches("^Value at:", c.Str("DEBUG", "OBJECT", "debug:exp"));
        c.Call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
        Thread.Sleep(500);
        Assert.Equal("ERR no such key", c.Str("DEBUG", "OBJECT", "debug:exp"));
    }

    [Fact]
    public void DebugPauseCronStopsBackgroundExpiry()
    {
        using var server = new TestServer("--enable-debug-command", "yes");
        using var c = server.Connect();
        c.Call("DEBUG", "PAUSE-CRON", "1");
        c.Call("SET", "debug:cron", "v", "PX", "1");
        Thread.Sleep(300);
        Assert.Matches("^Value at:", c.Str("DEBUG", "OBJECT", "debug:cron"));
        c.Call("DEBUG", "PAUSE-CRON", "0");
        Thread.Sleep(500);
        Assert.Equal("ERR no such key", c.Str("DEBUG", "OBJECT", "debug:cron"));
    }
}
