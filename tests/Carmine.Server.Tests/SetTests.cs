using Carmine.Protocol;

namespace Carmine.Server.Tests;

public sealed class SetTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    static string Sorted(RespValue reply) => string.Join(" ", reply.Items!.Select(i => i.Text).Order(StringComparer.Ordinal));

    [Fact]
    public void SAddCountsOnlyNewMembers()
    {
        Assert.Equal(3, r.Int("SADD", "set:add", "a", "b", "c"));
        Assert.Equal(2, r.Int("SADD", "set:add", "A", "a", "b", "c", "B"));
        Assert.Equal(5, r.Int("SCARD", "set:add"));
    }

    [Fact]
    public void SIsMemberAndSMIsMember()
    {
        r.Call("SADD", "set:member", "16", "17", "foo");
        Assert.Equal(1, r.Int("SISMEMBER", "set:member", "16"));
        Assert.Equal(0, r.Int("SISMEMBER", "set:member", "18"));
        Assert.Equal("[1, 0, 1]", r.Str("SMISMEMBER", "set:member", "foo", "bla", "17"));
        Assert.Equal("[0, 0]", r.Str("SMISMEMBER", "set:member-none", "foo", "bar"));
    }

    [Fact]
    public void SRemOfTheLastMembersDeletesTheKey()
    {
        r.Call("SADD", "set:rem", "1", "2", "3");
        Assert.Equal(3, r.Int("SREM", "set:rem", "1", "2", "3", "4", "5"));
        Assert.Equal(1, r.Int("HSET", "set:rem", "f", "v"));
    }

    [Fact]
    public void SetCommandsAgainstAStringAreWrongType()
    {
        r.Call("SET", "set:string{t}", "x");
        Assert.StartsWith("WRONGTYPE", r.Str("SADD", "set:string{t}", "a"));
        Assert.StartsWith("WRONGTYPE", r.Str("SINTER", "set:none{t}", "set:string{t}"));
        Assert.StartsWith("WRONGTYPE", r.Str("SUNIONSTORE", "set:dst{t}", "set:none{t}", "set:string{t}"));
        Assert.StartsWith("WRONGTYPE", r.Str("SMOVE", "set:string{t}", "set:dst{t}", "a"));
    }

    [Fact]
    public void SMembersIsASetInResp3()
    {
        using var c3 = fixture.Server.Connect();
        c3.Call("HELLO", "3");
        c3.Call("SADD", "set:resp3", "a", "b");
        var reply = c3.Call("SMEMBERS", "set:resp3");
        Assert.Equal(RespType.Set, reply.Type);
        Assert.Equal("a b", Sorted(reply));
        Assert.Equal(RespType.Set, c3.Call("SPOP", "set:resp3", "1").Type);
    }

    [Fact]
    public void SInterWithAMissingKeyIsEmpty()
    {
        r.Call("SADD", "set:i1{t}", "a", "b", "c");
        Assert.Empty(r.Call("SINTER", "set:i1{t}", "set:i-none{t}").Items!);
    }

    [Fact]
    public void SInterOfIntegersAcrossEncodings()
    {
        r.Call("SADD", "set:ie1{t}", "1", "2", "3");
        r.Call("SADD", "set:ie2{t}", "1", "2", "3", "a");
        r.Call("SREM", "set:ie2{t}", "a");
        Assert.Equal("1 2 3", Sorted(r.Call("SINTER", "set:ie1{t}", "set:ie2{t}")));
    }

    [Fact]
    public void SInterStoreOfAnEmptyResultDeletesTheDestination()
    {
        r.Call("SET", "set:is-dst{t}", "xxx");
        Assert.Equal(0, r.Int("SINTERSTORE", "set:is-dst{t}", "set:is-none1{t}", "set:is-none2{t}"));
        Assert.Equal(1, r.Int("SADD", "set:is-dst{t}", "a"));
    }

    [Fact]
    public void SInterCardStopsAtTheLimit()
    {
        r.Call("SADD", "set:c1{t}", "1", "2", "3", "4", "5");
        r.Call("SADD", "set:c2{t}", "3", "4", "5", "6");
        Assert.Equal(3, r.Int("SINTERCARD", "2", "set:c1{t}", "set:c2{t}"));
        Assert.Equal(2, r.Int("SINTERCARD", "2", "set:c1{t}", "set:c2{t}", "LIMIT", "2"));
    }

    [Fact]
    public void SInterCardArgumentErrors()
    {
        Assert.Equal("ERR numkeys should be greater than 0", r.Str("SINTERCARD", "0", "set:x"));
        Assert.Equal("ERR Number of keys can't be greater than number of args", r.Str("SINTERCARD", "2", "set:x"));
        Assert.Equal("ERR syntax error", r.Str("SINTERCARD", "1", "set:x", "LIMIT"));
        Assert.Equal("ERR LIMIT can't be negative", r.Str("SINTERCARD", "1", "set:x", "LIMIT", "-1"));
    }

    [Fact]
    public void SUnionAndSDiff()
    {
        r.Call("SADD", "set:u1{t}", "a", "b", "c");
        r.Call("SADD", "set:u2{t}", "b", "c", "d");
        Assert.Equal("a b c d", Sorted(r.Call("SUNION", "set:u1{t}", "set:u2{t}", "set:u-none{t}")));
        Assert.Equal("a", Sorted(r.Call("SDIFF", "set:u1{t}", "set:u2{t}", "set:u-none{t}")));
        Assert.Empty(r.Call("SDIFF", "set:u1{t}", "set:u1{t}").Items!);
    }

    [Fact]
    public void SDiffStoreStoresTheDifference()
    {
        r.Call("SADD", "set:d1{t}", "1", "2", "3", "4");
        r.Call("SADD", "set:d2{t}", "2", "4");
        Assert.Equal(2, r.Int("SDIFFSTORE", "set:d-dst{t}", "set:d1{t}", "set:d2{t}"));
        Assert.Equal("1 3", Sorted(r.Call("SMEMBERS", "set:d-dst{t}")));
    }

    [Fact]
    public void SMoveMovesAMember()
    {
        r.Call("SADD", "set:m1{t}", "1", "a");
        r.Call("SADD", "set:m2{t}", "2");
        Assert.Equal(1, r.Int("SMOVE", "set:m1{t}", "set:m2{t}", "a"));
        Assert.Equal(0, r.Int("SMOVE", "set:m1{t}", "set:m2{t}", "zz"));
        Assert.Equal("1", Sorted(r.Call("SMEMBERS", "set:m1{t}")));
        Assert.Equal("2 a", Sorted(r.Call("SMEMBERS", "set:m2{t}")));
    }

    [Fact]
    public void SPopWithCountRemovesDistinctMembers()
    {
        var args = new List<string> { "SADD", "set:pop" };
        for (int i = 1; i <= 20; i++) args.Add(i.ToString());
        r.Call(args.ToArray());
        var popped = r.Call("SPOP", "set:pop", "18").Items!.Select(i => i.Text).ToList();
        Assert.Equal(18, popped.Distinct().Count());
        Assert.Equal(2, r.Int("SCARD", "set:pop"));
        Assert.Equal(2, r.Call("SPOP", "set:pop", "30").Items!.Length);
        Assert.Equal(0, r.Int("SCARD", "set:pop"));
    }

    [Fact]
    public void SPopNegativeCountIsAnError()
    {
        Assert.Equal("ERR value is out of range, must be positive", r.Str("SPOP", "set:pop-neg", "-1"));
    }

    [Fact]
    public void SRandMemberWithNegativeCountRepeatsMembers()
    {
        r.Call("SADD", "set:rand", "a", "b");
        Assert.Equal(100, r.Call("SRANDMEMBER", "set:rand", "-100").Items!.Length);
        Assert.Equal(2, r.Call("SRANDMEMBER", "set:rand", "100").Items!.Length);
        Assert.Empty(r.Call("SRANDMEMBER", "set:rand-none", "5").Items!);
    }

    [Fact]
    public void SScanAfterAShrinkStillReturnsTheSurvivors()
    {
        var args = new List<string> { "SADD", "set:scan", "x" };
        for (int i = 0; i < 1000; i++) args.Add(i.ToString());
        r.Call(args.ToArray());
        var remove = new List<string> { "SREM", "set:scan" };
        for (int i = 100; i < 1000; i++) remove.Add(i.ToString());
        var found = new HashSet<string>();
        string cursor = "0";
        int iteration = 0;
        do
        {
            var reply = r.Call("SSCAN", "set:scan", cursor);
            cursor = reply.Items![0].Text!;
            foreach (var m in reply.Items[1].Items!) found.Add(m.Text!);
            if (++iteration == 2) r.Call(remove.ToArray());
        } while (cursor != "0");
        for (int i = 0; i < 100; i++) Assert.Contains(i.ToString(), found);
    }
}
