using Carmine.Protocol;

namespace Carmine.Server.Tests;

public sealed class SortedSetTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    [Fact]
    public void ZaddReturnsTheNumberOfNewMembers()
    {
        Assert.Equal(3, r.Int("ZADD", "zset:add", "1", "a", "2", "b", "3", "c"));
        Assert.Equal(1, r.Int("ZADD", "zset:add", "10", "a", "4", "d"));
        Assert.Equal("[b, 2, c, 3, d, 4, a, 10]", r.Str("ZRANGE", "zset:add", "0", "-1", "WITHSCORES"));
    }

    [Fact]
    public void ZaddChCountsChangedMembers()
    {
        r.Call("ZADD", "zset:ch", "1", "a", "2", "b");
        Assert.Equal(2, r.Int("ZADD", "zset:ch", "CH", "5", "a", "2", "b", "3", "c"));
    }

    [Fact]
    public void ZaddXxOnAMissingKeyCreatesNothing()
    {
        Assert.Equal(0, r.Int("ZADD", "zset:xx-missing", "XX", "1", "a"));
        Assert.Equal(0, r.Int("ZCARD", "zset:xx-missing"));
    }

    [Fact]
    public void ZaddGtOnlyRaisesScores()
    {
        r.Call("ZADD", "zset:gt", "5", "a");
        Assert.Equal(0, r.Int("ZADD", "zset:gt", "GT", "CH", "3", "a"));
        Assert.Equal(1, r.Int("ZADD", "zset:gt", "GT", "CH", "7", "a"));
        Assert.Equal("7", r.Str("ZSCORE", "zset:gt", "a"));
    }

    [Fact]
    public void ZaddIncrRepliesWithTheNewScore()
    {
        r.Call("ZADD", "zset:incr", "1.5", "a");
        Assert.Equal("4", r.Str("ZADD", "zset:incr", "INCR", "2.5", "a"));
        Assert.True(r.Call("ZADD", "zset:incr", "INCR", "NX", "1", "a").IsNull);
    }

    [Fact]
    public void ZaddRefusesIncompatibleOptions()
    {
        Assert.Equal("ERR XX and NX options at the same time are not compatible", r.Str("ZADD", "zset:opts", "NX", "XX", "1", "a"));
        Assert.Equal("ERR GT, LT, and/or NX options at the same time are not compatible", r.Str("ZADD", "zset:opts", "GT", "LT", "1", "a"));
        Assert.Equal("ERR INCR option supports a single increment-element pair", r.Str("ZADD", "zset:opts", "INCR", "1", "a", "2", "b"));
        Assert.Equal("ERR syntax error", r.Str("ZADD", "zset:opts", "1", "a", "2"));
    }

    [Fact]
    public void ZaddWithABadScoreChangesNothing()
    {
        Assert.Equal("ERR value is not a valid float", r.Str("ZADD", "zset:badscore", "1", "a", "x", "b"));
        Assert.Equal(0, r.Int("ZCARD", "zset:badscore"));
    }

    [Fact]
    public void ZincrbyToNaNIsAnError()
    {
        r.Call("ZADD", "zset:nan", "+inf", "a");
        Assert.Equal("ERR resulting score is not a number (NaN)", r.Str("ZINCRBY", "zset:nan", "-inf", "a"));
        Assert.Equal("inf", r.Str("ZSCORE", "zset:nan", "a"));
    }

    [Fact]
    public void ZaddAgainstAStringIsWrongType()
    {
        r.Call("SET", "zset:string", "x");
        Assert.StartsWith("WRONGTYPE", r.Str("ZADD", "zset:string", "1", "a"));
    }

    [Fact]
    public void ZremDeletesTheKeyWhenEmptied()
    {
        r.Call("ZADD", "zset:rem", "1", "a", "2", "b");
        Assert.Equal(2, r.Int("ZREM", "zset:rem", "a", "b", "c"));
        Assert.Equal(0, r.Int("ZCARD", "zset:rem"));
        Assert.Equal("[0, []]", r.Str("ZSCAN", "zset:rem", "0"));
    }

    [Fact]
    public void ZrankAndZrevrank()
    {
        r.Call("ZADD", "zset:rank", "1", "a", "2", "b", "3", "c");
        Assert.Equal(1, r.Int("ZRANK", "zset:rank", "b"));
        Assert.Equal(0, r.Int("ZREVRANK", "zset:rank", "c"));
        Assert.True(r.Call("ZRANK", "zset:rank", "zz").IsNull);
    }

    [Fact]
    public void ZmscoreHasNilForMissingMembers()
    {
        r.Call("ZADD", "zset:mscore", "1.5", "a");
        Assert.Equal("[1.5, (nil)]", r.Str("ZMSCORE", "zset:mscore", "a", "b"));
    }

    [Fact]
    public void ZrangeByScoreWithExclusiveBoundsAndLimit()
    {
        r.Call("ZADD", "zset:byscore", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
        Assert.Equal("[c, d, e]", r.Str("ZRANGE", "zset:byscore", "(2", "+inf", "BYSCORE"));
        Assert.Equal("[d, c]", r.Str("ZRANGE", "zset:byscore", "(5", "(1", "BYSCORE", "REV", "LIMIT", "0", "2"));
        Assert.Equal("[b, c]", r.Str("ZRANGEBYSCORE", "zset:byscore", "-inf", "inf", "LIMIT", "1", "2"));
        Assert.Equal("[]", r.Str("ZRANGEBYSCORE", "zset:byscore", "-inf", "inf", "LIMIT", "-1", "2"));
    }

    [Fact]
    public void ZrangeOptionErrors()
    {
        r.Call("ZADD", "zset:rangeerr", "1", "a");
        Assert.Equal("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
            r.Str("ZRANGE", "zset:rangeerr", "0", "1", "LIMIT", "0", "1"));
        Assert.Equal("ERR syntax error, WITHSCORES not supported in combination with BYLEX",
            r.Str("ZRANGE", "zset:rangeerr", "-", "+", "BYLEX", "WITHSCORES"));
        Assert.Equal("ERR min or max is not a float", r.Str("ZRANGEBYSCORE", "zset:rangeerr", "x", "1"));
        Assert.Equal("ERR min or max not valid string range item", r.Str("ZRANGEBYLEX", "zset:rangeerr", "a", "+"));
    }

    [Fact]
    public void ZrangeByLex()
    {
        r.Call("ZADD", "zset:lex", "0", "a", "0", "b", "0", "c", "0", "d");
        Assert.Equal("[b, c]", r.Str("ZRANGEBYLEX", "zset:lex", "(a", "[c"));
        Assert.Equal("[d, c]", r.Str("ZREVRANGEBYLEX", "zset:lex", "+", "(b"));
        Assert.Equal(2, r.Int("ZLEXCOUNT", "zset:lex", "-", "(c"));
    }

    [Fact]
    public void ZrangestoreStoresAndDeletesOnEmptyResult()
    {
        r.Call("ZADD", "zset:store-src", "1", "a", "2", "b", "3", "c");
        Assert.Equal(2, r.Int("ZRANGESTORE", "zset:store-dst", "zset:store-src", "0", "1", "REV"));
        Assert.Equal("[b, 2, c, 3]", r.Str("ZRANGE", "zset:store-dst", "0", "-1", "WITHSCORES"));
        Assert.Equal(0, r.Int("ZRANGESTORE", "zset:store-dst", "zset:store-missing", "0", "-1"));
        Assert.Equal(0, r.Int("ZCARD", "zset:store-dst"));
    }

    [Fact]
    public void ZremrangebyrankScoreAndLex()
    {
        r.Call("ZADD", "zset:remrange", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
        Assert.Equal(2, r.Int("ZREMRANGEBYRANK", "zset:remrange", "0", "1"));
        Assert.Equal(1, r.Int("ZREMRANGEBYSCORE", "zset:remrange", "(3", "4"));
        Assert.Equal(1, r.Int("ZREMRANGEBYLEX", "zset:remrange", "[e", "+"));
        Assert.Equal("[c]", r.Str("ZRANGE", "zset:remrange", "0", "-1"));
    }

    [Fact]
    public void ZunionstoreWithWeightsAndAggregate()
    {
        r.Call("ZADD", "zset:u1", "1", "a", "2", "b");
        r.Call("ZADD", "zset:u2", "10", "b", "20", "c");
        Assert.Equal(3, r.Int("ZUNIONSTORE", "zset:u-dst", "2", "zset:u1", "zset:u2", "WEIGHTS", "2", "1"));
        Assert.Equal("[a, 2, b, 14, c, 20]", r.Str("ZRANGE", "zset:u-dst", "0", "-1", "WITHSCORES"));
        Assert.Equal("[a, 1, b, 10, c, 20]", r.Str("ZUNION", "2", "zset:u1", "zset:u2", "AGGREGATE", "MAX", "WITHSCORES"));
    }

    [Fact]
    public void ZinterZdiffAndZintercard()
    {
        r.Call("ZADD", "zset:i1", "1", "a", "2", "b", "3", "c");
        r.Call("ZADD", "zset:i2", "10", "b", "20", "c", "30", "d");
        Assert.Equal("[b, 12, c, 23]", r.Str("ZINTER", "2", "zset:i1", "zset:i2", "WITHSCORES"));
        Assert.Equal("[a, 1]", r.Str("ZDIFF", "2", "zset:i1", "zset:i2", "WITHSCORES"));
        Assert.Equal(2, r.Int("ZINTERCARD", "2", "zset:i1", "zset:i2"));
        Assert.Equal(1, r.Int("ZINTERCARD", "2", "zset:i1", "zset:i2", "LIMIT", "1"));
        Assert.Equal("ERR LIMIT can't be negative", r.Str("ZINTERCARD", "2", "zset:i1", "zset:i2", "LIMIT", "-1"));
        Assert.Equal("ERR at least 1 input key is needed for 'zinter' command", r.Str("ZINTER", "0", "zset:i1"));
    }

    [Fact]
    public void ZunionOfInfinitiesSumsToZero()
    {
        r.Call("ZADD", "zset:inf1", "inf", "a");
        r.Call("ZADD", "zset:inf2", "-inf", "a");
        Assert.Equal("[a, 0]", r.Str("ZUNION", "2", "zset:inf1", "zset:inf2", "WITHSCORES"));
    }

    [Fact]
    public void ZpopminAndZpopmax()
    {
        r.Call("ZADD", "zset:pop", "1", "a", "2", "b", "3", "c");
        Assert.Equal("[a, 1]", r.Str("ZPOPMIN", "zset:pop"));
        Assert.Equal("[c, 3, b, 2]", r.Str("ZPOPMAX", "zset:pop", "5"));
        Assert.Equal(0, r.Int("ZCARD", "zset:pop"));
        Assert.Equal("ERR value is out of range, must be positive", r.Str("ZPOPMIN", "zset:pop", "-1"));
    }

    [Fact]
    public void ZmpopPopsFromTheFirstNonEmptyKey()
    {
        r.Call("ZADD", "zset:mpop", "1", "a", "2", "b");
        Assert.Equal("[zset:mpop, [[b, 2], [a, 1]]]", r.Str("ZMPOP", "2", "zset:mpop-missing", "zset:mpop", "MAX", "COUNT", "10"));
        Assert.True(r.Call("ZMPOP", "1", "zset:mpop", "MIN").IsNull);
        Assert.Equal("ERR numkeys should be greater than 0", r.Str("ZMPOP", "0", "zset:mpop", "MIN"));
        Assert.Equal("ERR count should be greater than 0", r.Str("ZMPOP", "1", "zset:mpop", "MIN", "COUNT", "0"));
    }

    [Fact]
    public void ZrandmemberReturnsDistinctMembersForAPositiveCount()
    {
        r.Call("ZADD", "zset:rand", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
        var reply = r.Call("ZRANDMEMBER", "zset:rand", "3");
        Assert.Equal(3, reply.Items!.Select(i => i.Text).Distinct().Count());
        Assert.Equal(8, r.Call("ZRANDMEMBER", "zset:rand", "-4", "WITHSCORES").Items!.Length);
        Assert.Equal("[e, 5, d, 4, c, 3, b, 2, a, 1]", r.Str("ZRANDMEMBER", "zset:rand", "10", "WITHSCORES"));
    }

    [Fact]
    public void ZrandmemberCountOverflowIsRefused()
    {
        r.Call("ZADD", "zset:randof", "1", "a");
        Assert.Equal("ERR value is out of range", r.Str("ZRANDMEMBER", "zset:randof", "-9223372036854770000", "WITHSCORES"));
    }

    [Fact]
    public void ZscanOfASkiplistVisitsEveryMember()
    {
        var args = new List<string> { "ZADD", "zset:scan" };
        for (int i = 0; i < 500; i++) args.AddRange([i.ToString(), "m" + i]);
        r.Call([.. args]);
        var seen = new HashSet<string>();
        string cursor = "0";
        do
        {
            var reply = r.Call("ZSCAN", "zset:scan", cursor, "COUNT", "50");
            cursor = reply.Items![0].Text!;
            var items = reply.Items[1].Items!;
            for (int i = 0; i < items.Length; i += 2) seen.Add(items[i].Text + "=" + items[i + 1].Text);
        } while (cursor != "0");
        Assert.Equal(500, seen.Count);
        Assert.Contains("m42=42", seen);
    }

    [Fact]
    public void Resp3NestsScoresAndUsesDoubles()
    {
        using var r3 = fixture.Server.Connect();
        r3.Call("HELLO", "3");
        r3.Call("ZADD", "zset:resp3", "1", "a", "2.5", "b");
        var reply = r3.Call("ZRANGE", "zset:resp3", "0", "-1", "WITHSCORES");
        Assert.Equal("[[a, 1], [b, 2.5]]", reply.ToString());
        Assert.Equal(RespType.Double, reply.Items![1].Items![1].Type);
        Assert.Equal("[b, 2.5]", r3.Str("ZPOPMAX", "zset:resp3"));
        Assert.Equal("[[a, 1]]", r3.Str("ZPOPMIN", "zset:resp3", "1"));
    }

    [Fact]
    public void ScoresAreFormattedAsRedisDoes()
    {
        r.Call("ZADD", "zset:fmt", "0.1", "a", "1e20", "b", "-0", "c", "inf", "d");
        Assert.Equal("[c, 0, a, 0.10000000000000001, b, 1e+20, d, inf]", r.Str("ZRANGE", "zset:fmt", "0", "-1", "WITHSCORES"));
    }

    [Fact]
    public void LexRangesOverMixedScoresAnswerAsRedisListpacks()
    {
        r.Call("ZADD", "zset:mixlex", "1", "b", "2", "a", "3", "d", "4", "c");
        Assert.Equal("[b, a]", r.Str("ZRANGEBYLEX", "zset:mixlex", "[a", "[c"));
        Assert.Equal("[c, d, a, b]", r.Str("ZREVRANGEBYLEX", "zset:mixlex", "[c", "[a"));
        Assert.Equal(2, r.Int("ZLEXCOUNT", "zset:mixlex", "[a", "[c"));
    }

    [Fact]
    public void WritesAreNotifiedAsKeyspaceEvents()
    {
        using var server = new TestServer("--notify-keyspace-events", "KEA");
        using var subscriber = server.Connect();
        using var writer = server.Connect();
        subscriber.Call("PSUBSCRIBE", "__keyevent@0__:*");
        writer.Call("ZADD", "zset:events", "1", "a");
        writer.Call("ZINCRBY", "zset:events", "1", "a");
        writer.Call("ZPOPMIN", "zset:events");
        string[] events = [.. Enumerable.Range(0, 4).Select(_ => subscriber.Read().Items![2].Text!)];
        Assert.Equal(["__keyevent@0__:zadd", "__keyevent@0__:zincr", "__keyevent@0__:zpopmin", "__keyevent@0__:del"], events);
    }

    [Fact]
    public void SetOperationsTakePlainSetsWithScoreOne()
    {
        r.Call("SADD", "zset:plain-s", "a", "b", "1");
        r.Call("ZADD", "zset:plain-z", "5", "a", "7", "q");
        Assert.Equal("[1, 1, b, 1, a, 6, q, 7]", r.Str("ZUNION", "2", "zset:plain-s", "zset:plain-z", "WITHSCORES"));
        Assert.Equal("[a, 8]", r.Str("ZINTER", "2", "zset:plain-s", "zset:plain-z", "WEIGHTS", "3", "1", "WITHSCORES"));
        Assert.Equal("[1, 1, b, 1]", r.Str("ZDIFF", "2", "zset:plain-s", "zset:plain-z", "WITHSCORES"));
        Assert.Equal(1, r.Int("ZINTERCARD", "2", "zset:plain-s", "zset:plain-z"));
    }

    [Fact]
    public void StoreFormsWriteASortedSetFromPlainSets()
    {
        r.Call("SADD", "zset:plain-s1", "x", "y");
        r.Call("SADD", "zset:plain-s2", "y", "z");
        Assert.Equal(1, r.Int("ZINTERSTORE", "zset:plain-dest", "2", "zset:plain-s1", "zset:plain-s2"));
        Assert.Equal("zset", r.Str("TYPE", "zset:plain-dest"));
        Assert.Equal("[y, 2]", r.Str("ZRANGE", "zset:plain-dest", "0", "-1", "WITHSCORES"));
    }

    [Fact]
    public void SetOperationsRefuseOtherTypes()
    {
        r.Call("SET", "zset:plain-str", "v");
        Assert.Equal("WRONGTYPE Operation against a key holding the wrong kind of value", r.Str("ZUNION", "1", "zset:plain-str"));
    }
}
