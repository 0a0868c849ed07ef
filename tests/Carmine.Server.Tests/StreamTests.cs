namespace Carmine.Server.Tests;

public sealed class StreamTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    static void Send(RespConnection conn, params string[] args)
    {
        var b = new Carmine.Protocol.RespBuffer();
        b.Command(args);
        conn.SendRaw(b.Written);
    }

    static void Settle() => Thread.Sleep(100);

    [Fact]
    public void XAddWithExplicitIdsThenXRangeReturnsThemInOrder()
    {
        r.Call("XADD", "stream:range", "1-1", "a", "1");
        r.Call("XADD", "stream:range", "2-0", "b", "2", "c", "3");
        Assert.Equal("[[1-1, [a, 1]], [2-0, [b, 2, c, 3]]]", r.Str("XRANGE", "stream:range", "-", "+"));
    }

    [Fact]
    public void XAddPartialIdTakesTheNextSequenceOfTheSameMillisecond()
    {
        r.Call("XADD", "stream:partial", "123-456", "f", "v");
        Assert.Equal("123-457", r.Str("XADD", "stream:partial", "123-*", "f", "v"));
        Assert.Equal("789-0", r.Str("XADD", "stream:partial", "789-*", "f", "v"));
    }

    [Fact]
    public void XAddRefusesAnIdNotAboveTheTopItem()
    {
        r.Call("XADD", "stream:top", "5-5", "f", "v");
        Assert.Equal("ERR The ID specified in XADD is equal or smaller than the target stream top item", r.Str("XADD", "stream:top", "5-5", "f", "v"));
        Assert.Equal("ERR The ID specified in XADD is equal or smaller than the target stream top item", r.Str("XADD", "stream:top", "4-*", "f", "v"));
    }

    [Fact]
    public void XAddWithIdZeroIsRefusedAndCreatesNothing()
    {
        Assert.Equal("ERR The ID specified in XADD must be greater than 0-0", r.Str("XADD", "stream:zero", "0-0", "f", "v"));
        Assert.Equal("[]", r.Str("XRANGE", "stream:zero", "-", "+"));
    }

    [Fact]
    public void XAddAfterTheLastPossibleIdReportsExhaustion()
    {
        r.Call("XADD", "stream:max", "18446744073709551615-18446744073709551615", "f", "v");
        Assert.Equal("ERR The stream has exhausted the last possible ID, unable to add more items", r.Str("XADD", "stream:max", "*", "f", "v"));
    }

    [Fact]
    public void XAddNoMkStreamOnAMissingKeyRepliesNil()
    {
        Assert.True(r.Call("XADD", "stream:nomk", "NOMKSTREAM", "*", "f", "v").IsNull);
        Assert.Equal(0, r.Int("XLEN", "stream:nomk"));
    }

    [Fact]
    public void XAddWithAnOddNumberOfFieldArgumentsIsAnArityError()
    {
        Assert.Equal("ERR wrong number of arguments for 'xadd' command", r.Str("XADD", "stream:odd", "*", "f", "v", "g"));
    }

    [Fact]
    public void XAddMaxLenTrimsExactly()
    {
        for (int i = 1; i <= 10; i++) r.Call("XADD", "stream:maxlen", "MAXLEN", "5", $"{i}-0", "f", "v");
        Assert.Equal(5, r.Int("XLEN", "stream:maxlen"));
        Assert.Equal("[[6-0, [f, v]]]", r.Str("XRANGE", "stream:maxlen", "-", "+", "COUNT", "1"));
    }

    [Fact]
    public void ApproximateTrimRemovesOnlyWholeNodes()
    {
        r.Call("CONFIG", "SET", "stream-node-max-entries", "100");
        for (int i = 1; i <= 1000; i++) r.Call("XADD", "stream:approx", $"{i}-0", "xitem", i.ToString());
        Assert.Equal(400, r.Int("XTRIM", "stream:approx", "MAXLEN", "~", "555"));
        Assert.Equal(600, r.Int("XLEN", "stream:approx"));
    }

    [Fact]
    public void ApproximateTrimStopsAtTheLimit()
    {
        r.Call("CONFIG", "SET", "stream-node-max-entries", "2");
        try
        {
            for (int i = 1; i <= 3; i++) r.Call("XADD", "stream:limit", $"{i}-0", "f", "v");
            Assert.Equal(0, r.Int("XTRIM", "stream:limit", "MAXLEN", "~", "0", "LIMIT", "1"));
            Assert.Equal(2, r.Int("XTRIM", "stream:limit", "MAXLEN", "~", "0", "LIMIT", "2"));
        }
        finally
        {
            r.Call("CONFIG", "SET", "stream-node-max-entries", "100");
        }
    }

    [Fact]
    public void XTrimLimitWithoutTildeIsASyntaxError()
    {
        r.Call("XADD", "stream:limiteq", "1-0", "f", "v");
        Assert.Equal("ERR syntax error, LIMIT cannot be used without the special ~ option", r.Str("XTRIM", "stream:limiteq", "MAXLEN", "0", "LIMIT", "1"));
    }

    [Fact]
    public void XTrimMinIdRemovesOlderEntries()
    {
        for (int i = 1; i <= 5; i++) r.Call("XADD", "stream:minid", $"{i}-0", "f", "v");
        Assert.Equal(2, r.Int("XTRIM", "stream:minid", "MINID", "3"));
        Assert.Equal("[[3-0, [f, v]]]", r.Str("XRANGE", "stream:minid", "-", "+", "COUNT", "1"));
    }

    [Fact]
    public void XRangeExclusiveBoundsSkipTheirIds()
    {
        for (int i = 1; i <= 3; i++) r.Call("XADD", "stream:excl", $"{i}-0", "f", "v");
        Assert.Equal("[[2-0, [f, v]]]", r.Str("XRANGE", "stream:excl", "(1-0", "(3-0"));
        Assert.Equal("ERR invalid start ID for the interval", r.Str("XRANGE", "stream:excl", "(18446744073709551615-18446744073709551615", "+"));
    }

    [Fact]
    public void XRevRangeWithCountReturnsTheNewestFirst()
    {
        for (int i = 1; i <= 3; i++) r.Call("XADD", "stream:rev", $"{i}-0", "f", i.ToString());
        Assert.Equal("[[3-0, [f, 3]], [2-0, [f, 2]]]", r.Str("XREVRANGE", "stream:rev", "+", "-", "COUNT", "2"));
    }

    [Fact]
    public void XRangeWithCountZeroRepliesANullArray()
    {
        r.Call("XADD", "stream:count0", "1-0", "f", "v");
        Assert.True(r.Call("XRANGE", "stream:count0", "-", "+", "COUNT", "0").IsNull);
    }

    [Fact]
    public void XDelCountsOnlyExistingEntriesAndRecordsTheMaxDeletedId()
    {
        r.Call("XADD", "stream:del", "1-0", "f", "v");
        r.Call("XADD", "stream:del", "2-0", "f", "v");
        Assert.Equal(1, r.Int("XDEL", "stream:del", "2-0", "9-0"));
        var info = r.Call("XINFO", "STREAM", "stream:del").Items!;
        Assert.Equal("max-deleted-entry-id", info[8].Text);
        Assert.Equal("2-0", info[9].Text);
    }

    [Fact]
    public void InvalidIdsGetRedisError()
    {
        Assert.Equal("ERR Invalid stream ID specified as stream command argument", r.Str("XADD", "stream:badid", "abc", "f", "v"));
        r.Call("XADD", "stream:badid", "1-0", "f", "v");
        Assert.Equal("ERR Invalid stream ID specified as stream command argument", r.Str("XDEL", "stream:badid", "-"));
    }

    [Fact]
    public void XReadReturnsEntriesAfterTheGivenIds()
    {
        r.Call("XADD", "stream:read", "1-0", "f", "v");
        r.Call("XADD", "stream:read", "2-0", "g", "w");
        Assert.Equal("[[stream:read, [[2-0, [g, w]]]]]", r.Str("XREAD", "STREAMS", "stream:read", "1-0"));
        Assert.True(r.Call("XREAD", "STREAMS", "stream:read", "$").IsNull);
    }

    [Fact]
    public void XReadWithAnOddStreamListIsUnbalanced()
    {
        Assert.Equal("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
            r.Str("XREAD", "STREAMS", "stream:a", "stream:b", "0"));
    }

    [Fact]
    public void BlockingXReadIsServedByXAdd()
    {
        r.Call("XADD", "stream:block", "1-0", "f", "v");
        using var blocked = fixture.Server.Connect();
        Send(blocked, "XREAD", "BLOCK", "0", "STREAMS", "stream:block", "$");
        Settle();
        r.Call("XADD", "stream:block", "2-0", "new", "data");
        Assert.Equal("[[stream:block, [[2-0, [new, data]]]]]", blocked.Read().ToString());
    }

    [Fact]
    public void BlockingXReadTimesOutWithNil()
    {
        Assert.True(r.Call("XREAD", "BLOCK", "50", "STREAMS", "stream:timeout", "$").IsNull);
    }

    [Fact]
    public void XReadGroupDeliversNewEntriesAndRecordsThemPending()
    {
        r.Call("XADD", "stream:group", "1-0", "f", "v");
        r.Call("XGROUP", "CREATE", "stream:group", "g", "0");
        Assert.Equal("[[stream:group, [[1-0, [f, v]]]]]", r.Str("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "stream:group", ">"));
        Assert.Equal("[1, 1-0, 1-0, [[alice, 1]]]", r.Str("XPENDING", "stream:group", "g"));
        Assert.Equal(1, r.Int("XACK", "stream:group", "g", "1-0"));
        Assert.Equal("[0, (nil), (nil), (nil)]", r.Str("XPENDING", "stream:group", "g"));
    }

    [Fact]
    public void XReadGroupHistoryShowsDeletedEntriesAsNil()
    {
        r.Call("XADD", "stream:hist", "1-0", "f", "v");
        r.Call("XGROUP", "CREATE", "stream:hist", "g", "0");
        r.Call("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "stream:hist", ">");
        r.Call("XDEL", "stream:hist", "1-0");
        Assert.Equal("[[stream:hist, [[1-0, (nil)]]]]", r.Str("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "stream:hist", "0"));
    }

    [Fact]
    public void XGroupCreateTwiceIsBusyGroup()
    {
        r.Call("XGROUP", "CREATE", "stream:busy", "g", "$", "MKSTREAM");
        Assert.Equal("BUSYGROUP Consumer Group name already exists", r.Str("XGROUP", "CREATE", "stream:busy", "g", "$"));
    }

    [Fact]
    public void XGroupCreateWithoutMkStreamNeedsTheKey()
    {
        Assert.StartsWith("ERR The XGROUP subcommand requires the key to exist.", r.Str("XGROUP", "CREATE", "stream:nokey", "g", "$"));
    }

    [Fact]
    public void XReadGroupOnAMissingGroupIsNoGroup()
    {
        r.Call("XADD", "stream:nogroup", "1-0", "f", "v");
        Assert.Equal("NOGROUP No such key 'stream:nogroup' or consumer group 'missing' in XREADGROUP with GROUP option",
            r.Str("XREADGROUP", "GROUP", "missing", "c", "STREAMS", "stream:nogroup", ">"));
    }

    [Fact]
    public void XClaimMovesAPendingEntryToAnotherConsumer()
    {
        r.Call("XADD", "stream:claim", "1-0", "f", "v");
        r.Call("XGROUP", "CREATE", "stream:claim", "g", "0");
        r.Call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "stream:claim", ">");
        Assert.Equal("[1-0]", r.Str("XCLAIM", "stream:claim", "g", "bob", "0", "1-0", "JUSTID"));
        Assert.Equal("[1, 1-0, 1-0, [[bob, 1]]]", r.Str("XPENDING", "stream:claim", "g"));
    }

    [Fact]
    public void XAutoClaimReportsDeletedEntriesInItsThirdElement()
    {
        r.Call("XADD", "stream:auto", "1-0", "f", "v");
        r.Call("XADD", "stream:auto", "2-0", "f", "v");
        r.Call("XGROUP", "CREATE", "stream:auto", "g", "0");
        r.Call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "stream:auto", ">");
        r.Call("XDEL", "stream:auto", "1-0");
        Assert.Equal("[0-0, [2-0], [1-0]]", r.Str("XAUTOCLAIM", "stream:auto", "g", "bob", "0", "0", "JUSTID"));
    }

    [Fact]
    public void XInfoGroupsReportsEntriesReadAndLag()
    {
        for (int i = 1; i <= 3; i++) r.Call("XADD", "stream:lag", $"{i}-0", "f", "v");
        r.Call("XGROUP", "CREATE", "stream:lag", "g", "0");
        r.Call("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "stream:lag", ">");
        Assert.Equal("[[name, g, consumers, 1, pending, 1, last-delivered-id, 1-0, entries-read, 1, lag, 2]]", r.Str("XINFO", "GROUPS", "stream:lag"));
    }

    [Fact]
    public void XSetIdBelowTheTopItemIsRefused()
    {
        r.Call("XADD", "stream:setid", "5-0", "f", "v");
        Assert.Equal("ERR The ID specified in XSETID is smaller than the target stream top item", r.Str("XSETID", "stream:setid", "1-0"));
        Assert.Equal("OK", r.Str("XSETID", "stream:setid", "10-0"));
        Assert.Equal("10-1", r.Str("XADD", "stream:setid", "10-*", "f", "v"));
    }

    [Fact]
    public void Resp3XReadRepliesAMap()
    {
        using var c3 = fixture.Server.Connect();
        c3.Call("HELLO", "3");
        c3.Call("XADD", "stream:resp3", "1-0", "f", "v");
        var reply = c3.Call("XREAD", "STREAMS", "stream:resp3", "0");
        Assert.Equal(Carmine.Protocol.RespType.Map, reply.Type);
        Assert.Equal("[stream:resp3, [[1-0, [f, v]]]]", reply.ToString());
    }

    [Fact]
    public void CopyDuplicatesEntriesGroupsAndPendingIndependently()
    {
        r.Call("XADD", "stream:copysrc", "1-0", "f", "v");
        r.Call("XGROUP", "CREATE", "stream:copysrc", "g", "0");
        r.Call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "stream:copysrc", ">");
        Assert.Equal(1, r.Int("COPY", "stream:copysrc", "stream:copydst"));
        r.Call("XACK", "stream:copydst", "g", "1-0");
        r.Call("XADD", "stream:copydst", "2-0", "f", "v");
        Assert.Equal("[1, 1-0, 1-0, [[alice, 1]]]", r.Str("XPENDING", "stream:copysrc", "g"));
        Assert.Equal(1, r.Int("XLEN", "stream:copysrc"));
        Assert.Equal(2, r.Int("XLEN", "stream:copydst"));
    }

    [Fact]
    public void TypeAndEncodingAreStream()
    {
        r.Call("XADD", "stream:type", "1-0", "f", "v");
        Assert.Equal("stream", r.Str("TYPE", "stream:type"));
        Assert.Equal("stream", r.Str("OBJECT", "ENCODING", "stream:type"));
    }
}
