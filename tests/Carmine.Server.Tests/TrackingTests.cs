namespace Carmine.Server.Tests;

public sealed class TrackingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();
    readonly RespConnection other = fixture.Server.Connect();

    RespConnection Resp3Tracking(params string[] options) => Resp3Tracking(fixture.Server, options);

    /// <summary>A new RESP3 connection to <paramref name="server"/> with CLIENT TRACKING on and <paramref name="options"/>.</summary>
    internal static RespConnection Resp3Tracking(TestServer server, params string[] options)
    {
        var c = server.Connect();
        c.Call("HELLO", "3");
        Assert.Equal("OK", c.Str(["CLIENT", "TRACKING", "on", .. options]));
        return c;
    }

    [Fact]
    public void ChangeOfAKeyReadInDefaultModeIsPushedInResp3()
    {
        var t = Resp3Tracking();
        t.Call("GET", "trk:a");
        other.Call("SET", "trk:a", "1");
        Assert.Equal("[invalidate, [trk:a]]", t.Read().ToString());
    }

    [Fact]
    public void KeyIsForgottenAfterItsInvalidation()
    {
        var t = Resp3Tracking();
        t.Call("GET", "trk:once");
        other.Call("SET", "trk:once", "1");
        other.Call("SET", "trk:once", "2");
        Assert.Equal("[invalidate, [trk:once]]", t.Read().ToString());
        Assert.Equal("PONG", t.Str("PING"));
    }

    [Fact]
    public void OwnChangeIsPushedAfterTheCommandsReply()
    {
        var t = Resp3Tracking();
        t.Call("HSET", "trk:h", "f", "1");
        t.Call("HGET", "trk:h", "f");
        Assert.Equal(1, t.Int("HDEL", "trk:h", "f"));
        Assert.Equal("[invalidate, [trk:h]]", t.Read().ToString());
    }

    [Fact]
    public void OwnChangeInATransactionIsPushedAfterExec()
    {
        var t = Resp3Tracking();
        t.Call("SET", "trk:m", "1");
        t.Call("GET", "trk:m");
        t.Call("MULTI");
        t.Call("INCR", "trk:m");
        Assert.Equal("[2]", t.Str("EXEC"));
        Assert.Equal("[invalidate, [trk:m]]", t.Read().ToString());
    }

    [Fact]
    public void RedirectionToAResp2SubscriberSendsInvalidateChannelMessages()
    {
        var redir = fixture.Server.Connect();
        long id = redir.Int("CLIENT", "ID");
        redir.Call("SUBSCRIBE", "__redis__:invalidate");
        var t = fixture.Server.Connect();
        Assert.Equal("OK", t.Str("CLIENT", "TRACKING", "on", "REDIRECT", id.ToString()));
        t.Call("GET", "trk:r");
        other.Call("SET", "trk:r", "1");
        Assert.Equal("[message, __redis__:invalidate, [trk:r]]", redir.Read().ToString());
    }

    [Fact]
    public void RedirectionToAMissingClientIsRefused()
    {
        Assert.Equal("ERR The client ID you want redirect to does not exist", r.Str("CLIENT", "TRACKING", "on", "REDIRECT", "999999"));
    }

    [Fact]
    public void GoneRedirectionClientGivesTrackingRedirBrokenPush()
    {
        var redir = fixture.Server.Connect();
        long id = redir.Int("CLIENT", "ID");
        var t = Resp3Tracking("REDIRECT", id.ToString());
        t.Call("GET", "trk:broken");
        redir.Call("QUIT");
        Assert.True(redir.IsClosedByServer());
        other.Call("SET", "trk:broken", "1");
        Assert.Equal($"[tracking-redir-broken, {id}]", t.Read().ToString());
        Assert.Equal("[flags, [on, broken_redirect], redirect, " + id + ", prefixes, []]", t.Str("CLIENT", "TRACKINGINFO"));
    }

    [Fact]
    public void BcastSendsChangesUnderItsPrefixesOnly()
    {
        var t = Resp3Tracking("BCAST", "PREFIX", "trk:bc:");
        other.Call("MSET", "trk:bc:1", "a", "trk:other", "b", "trk:bc:2", "c");
        Assert.Equal("[invalidate, [trk:bc:1, trk:bc:2]]", t.Read().ToString());
    }

    [Fact]
    public void BcastNoLoopSkipsTheClientsOwnChanges()
    {
        var t = Resp3Tracking("BCAST", "PREFIX", "trk:nl:", "NOLOOP");
        t.Call("SET", "trk:nl:mine", "1");
        other.Call("SET", "trk:nl:theirs", "1");
        Assert.Equal("[invalidate, [trk:nl:theirs]]", t.Read().ToString());
    }

    [Fact]
    public void OverlappingPrefixesAreRefused()
    {
        Assert.Equal("ERR Prefix 'FOOBAR' overlaps with another provided prefix 'FOO'. Prefixes for a single client must not overlap.",
            r.Str("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FOOBAR", "PREFIX", "FOO"));
    }

    [Fact]
    public void PrefixOverlappingAnExistingOneIsRefused()
    {
        var t = fixture.Server.Connect();
        t.Call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FOO");
        Assert.Equal("ERR Prefix 'FO' overlaps with an existing prefix 'FOO'. Prefixes for a single client must not overlap.",
            t.Str("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FO"));
    }

    [Fact]
    public void PrefixWithoutBcastIsRefused()
    {
        Assert.Equal("ERR PREFIX option requires BCAST mode to be enabled", r.Str("CLIENT", "TRACKING", "on", "PREFIX", "x"));
    }

    [Fact]
    public void OptInTracksOnlyAfterCachingYes()
    {
        var t = Resp3Tracking("OPTIN");
        t.Call("GET", "trk:in:no");
        Assert.Equal("OK", t.Str("CLIENT", "CACHING", "yes"));
        t.Call("GET", "trk:in:yes");
        other.Call("MSET", "trk:in:no", "1", "trk:in:yes", "1");
        Assert.Equal("[invalidate, [trk:in:yes]]", t.Read().ToString());
        Assert.Equal("PONG", t.Str("PING"));
    }

    [Fact]
    public void CachingNoOutsideOptOutIsRefused()
    {
        var t = Resp3Tracking("OPTIN");
        Assert.Equal("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.", t.Str("CLIENT", "CACHING", "no"));
    }

    [Fact]
    public void CachingWithoutTrackingIsRefused()
    {
        Assert.Equal("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
            r.Str("CLIENT", "CACHING", "yes"));
    }

    [Fact]
    public void FlushallInvalidatesEverythingWithANull()
    {
        var t = Resp3Tracking();
        t.Call("GET", "trk:f");
        other.Call("FLUSHALL");
        Assert.Equal("[invalidate, (nil)]", t.Read().ToString());
    }

    [Fact]
    public void GetRedirIsMinusOneWithoutTracking()
    {
        Assert.Equal(-1, r.Int("CLIENT", "GETREDIR"));
    }

    [Fact]
    public void TrackingInfoListsModeAndPrefixes()
    {
        var t = fixture.Server.Connect();
        t.Call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "trk:p1", "PREFIX", "trk:q", "NOLOOP");
        Assert.Equal("[flags, [on, bcast, noloop], redirect, 0, prefixes, [trk:p1, trk:q]]", t.Str("CLIENT", "TRACKINGINFO"));
    }

    [Fact]
    public void ClientInfoShowsTrackingFlagsAndRedirection()
    {
        var t = fixture.Server.Connect();
        t.Call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "trk:ci");
        string info = t.Str("CLIENT", "INFO");
        Assert.Contains(" flags=tB ", info);
        Assert.Contains(" redir=0 ", info);
    }

    [Fact]
    public void TrackingTableMaxKeysEvictsKeysWithAnInvalidation()
    {
        var t = Resp3Tracking();
        t.Call("MGET", "trk:max:1", "trk:max:2");
        try
        {
            other.Call("CONFIG", "SET", "tracking-table-max-keys", "1");
            string message = t.Read().ToString();
            Assert.True(message is "[invalidate, [trk:max:1]]" or "[invalidate, [trk:max:2]]", message);
        }
        finally
        {
            other.Call("CONFIG", "SET", "tracking-table-max-keys", "1000000");
        }
    }

    [Fact]
    public void TrackingOffStopsInvalidations()
    {
        var t = Resp3Tracking();
        t.Call("GET", "trk:off");
        t.Call("CLIENT", "TRACKING", "off");
        other.Call("SET", "trk:off", "1");
        Assert.Equal("PONG", t.Str("PING"));
    }

    [Fact]
    public void ReadOnlySourceKeyOfAWriteIsNotInvalidated()
    {
        other.Call("SADD", "trk:src1", "a");
        other.Call("SADD", "trk:src2", "b");
        var t = Resp3Tracking();
        t.Call("SMEMBERS", "trk:src1");
        t.Call("GET", "trk:dst");
        other.Call("SUNIONSTORE", "trk:dst", "trk:src1", "trk:src2");
        Assert.Equal("[invalidate, [trk:dst]]", t.Read().ToString());
        Assert.Equal("PONG", t.Str("PING"));
    }

    [Fact]
    public void DeletingAMissingKeyIsNoChange()
    {
        other.Call("SET", "trk:del:there", "1");
        var t = Resp3Tracking();
        t.Call("MGET", "trk:del:there", "trk:del:missing");
        other.Call("DEL", "trk:del:there", "trk:del:missing");
        Assert.Equal("[invalidate, [trk:del:there]]", t.Read().ToString());
        Assert.Equal("PONG", t.Str("PING"));
    }
}
