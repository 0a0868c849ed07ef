namespace Carmine.Server.Tests;

public sealed class PubSubTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public void PublishReachesASubscriberOnAnotherConnection()
    {
        using var sub = fixture.Server.Connect();
        using var pub = fixture.Server.Connect();
        Assert.Equal("[subscribe, ps:news, 1]", sub.Str("SUBSCRIBE", "ps:news"));
        Assert.Equal(1, pub.Int("PUBLISH", "ps:news", "hello"));
        Assert.Equal("[message, ps:news, hello]", sub.Read().ToString());
    }

    [Fact]
    public void PatternSubscribersGetPmessage()
    {
        using var sub = fixture.Server.Connect();
        using var pub = fixture.Server.Connect();
        sub.Call("PSUBSCRIBE", "ps:pat.*");
        Assert.Equal(1, pub.Int("PUBLISH", "ps:pat.a", "x"));
        Assert.Equal("[pmessage, ps:pat.*, ps:pat.a, x]", sub.Read().ToString());
    }

    [Fact]
    public void Resp2SubscribedModeRefusesOtherCommands()
    {
        using var sub = fixture.Server.Connect();
        sub.Call("SUBSCRIBE", "ps:only");
        Assert.Equal("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            sub.Str("GET", "x"));
        Assert.Equal("[pong, ]", sub.Str("PING"));
    }

    [Fact]
    public void UnsubscribeWithoutChannelsWhenNoneReturnsNilChannel()
    {
        using var c = fixture.Server.Connect();
        Assert.Equal("[unsubscribe, (nil), 0]", c.Str("UNSUBSCRIBE"));
    }

    [Fact]
    public void NumsubCountsSubscribers()
    {
        using var sub = fixture.Server.Connect();
        using var c = fixture.Server.Connect();
        sub.Call("SUBSCRIBE", "ps:count");
        Assert.Equal("[ps:count, 1, ps:none, 0]", c.Str("PUBSUB", "NUMSUB", "ps:count", "ps:none"));
    }

    [Fact]
    public void Resp3SubscriberReceivesPushMessages()
    {
        using var sub = fixture.Server.Connect();
        using var pub = fixture.Server.Connect();
        sub.Call("HELLO", "3");
        var reply = sub.Call("SUBSCRIBE", "ps:r3");
        Assert.Equal(Carmine.Protocol.RespType.Push, reply.Type);
        pub.Call("PUBLISH", "ps:r3", "m");
        var msg = sub.Read();
        Assert.Equal(Carmine.Protocol.RespType.Push, msg.Type);
        Assert.Equal("[message, ps:r3, m]", msg.ToString());
    }

    [Fact]
    public void ExpiredKeysAreNotifiedWhenEnabled()
    {
        using var sub = fixture.Server.Connect();
        using var c = fixture.Server.Connect();
        c.Call("CONFIG", "SET", "notify-keyspace-events", "Ex");
        try
        {
            sub.Call("SUBSCRIBE", "__keyevent@0__:expired");
            c.Call("SET", "ps:exp", "v", "PX", "20");
            Assert.Equal("[message, __keyevent@0__:expired, ps:exp]", sub.Read().ToString());
        }
        finally
        {
            c.Call("CONFIG", "SET", "notify-keyspace-events", "");
        }
    }

    [Fact]
    public void ResetLeavesSubscribedMode()
    {
        using var c = fixture.Server.Connect();
        using var pub = fixture.Server.Connect();
        c.Call("SUBSCRIBE", "ps:reset");
        Assert.Equal("RESET", c.Str("RESET"));
        Assert.Equal("OK", c.Str("SET", "ps:after-reset", "v"));
        Assert.Equal(0, pub.Int("PUBLISH", "ps:reset", "m"));
    }
}
