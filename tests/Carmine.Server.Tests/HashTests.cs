using Carmine.Protocol;

namespace Carmine.Server.Tests;

public sealed class HashTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    [Fact]
    public void HSetReturnsTheNumberOfNewFields()
    {
        Assert.Equal(2, r.Int("HSET", "hash:new", "a", "1", "b", "2"));
        Assert.Equal(1, r.Int("HSET", "hash:new", "a", "10", "c", "3"));
        Assert.Equal("10", r.Str("HGET", "hash:new", "a"));
    }

    [Fact]
    public void HSetWithAFieldWithoutValueIsAnArityError()
    {
        Assert.Equal("ERR wrong number of arguments for 'hset' command", r.Str("HSET", "hash:arity", "a", "1", "b"));
        Assert.Equal("ERR wrong number of arguments for 'hmset' command", r.Str("HMSET", "hash:arity", "a", "1", "b"));
    }

    [Fact]
    public void HMSetRepliesOk()
    {
        Assert.Equal("OK", r.Str("HMSET", "hash:hmset", "a", "1"));
    }

    [Fact]
    public void HGetOfAMissingFieldIsNil()
    {
        r.Call("HSET", "hash:get", "a", "1");
        Assert.True(r.Call("HGET", "hash:get", "zz").IsNull);
        Assert.True(r.Call("HGET", "hash:nokey", "a").IsNull);
    }

    [Fact]
    public void HMGetRepliesNilForMissingFields()
    {
        r.Call("HSET", "hash:hmget", "a", "1", "b", "2");
        Assert.Equal("[1, (nil), 2]", r.Str("HMGET", "hash:hmget", "a", "zz", "b"));
        Assert.Equal("[(nil), (nil)]", r.Str("HMGET", "hash:hmget-none", "a", "b"));
    }

    [Fact]
    public void HSetNxDoesNotOverwrite()
    {
        Assert.Equal(1, r.Int("HSETNX", "hash:nx", "a", "1"));
        Assert.Equal(0, r.Int("HSETNX", "hash:nx", "a", "2"));
        Assert.Equal("1", r.Str("HGET", "hash:nx", "a"));
    }

    [Fact]
    public void HDelOfTheLastFieldDeletesTheKey()
    {
        r.Call("HSET", "hash:del", "a", "1", "b", "2", "c", "3");
        Assert.Equal(3, r.Int("HDEL", "hash:del", "a", "b", "c", "d"));
        // The key is gone, so a set may take its name.
        Assert.Equal(1, r.Int("SADD", "hash:del", "x"));
    }

    [Fact]
    public void HLenHStrLenAndHExists()
    {
        r.Call("HSET", "hash:len", "a", "hello", "b", "");
        Assert.Equal(2, r.Int("HLEN", "hash:len"));
        Assert.Equal(5, r.Int("HSTRLEN", "hash:len", "a"));
        Assert.Equal(0, r.Int("HSTRLEN", "hash:len", "zz"));
        Assert.Equal(1, r.Int("HEXISTS", "hash:len", "b"));
        Assert.Equal(0, r.Int("HEXISTS", "hash:len", "zz"));
        Assert.Equal(0, r.Int("HLEN", "hash:len-none"));
    }

    [Fact]
    public void HIncrByDetectsOverflow()
    {
        r.Call("HSET", "hash:incr", "n", "-9223372036854775484");
        Assert.Equal(-9223372036854775485, r.Int("HINCRBY", "hash:incr", "n", "-1"));
        Assert.Equal("ERR increment or decrement would overflow", r.Str("HINCRBY", "hash:incr", "n", "-10000"));
    }

    [Fact]
    public void HIncrByRefusesAValueWithSpaces()
    {
        r.Call("HSET", "hash:incr-space", "s", " 11");
        Assert.Equal("ERR hash value is not an integer", r.Str("HINCRBY", "hash:incr-space", "s", "1"));
        Assert.Equal("ERR hash value is not a float", r.Str("HINCRBYFLOAT", "hash:incr-space", "s", "1"));
    }

    [Fact]
    public void HIncrByFloatPrintsHumanFriendlyNumbers()
    {
        Assert.Equal("1.23", r.Str("HINCRBYFLOAT", "hash:float", "f", "1.23"));
        Assert.Equal("2", r.Str("HINCRBYFLOAT", "hash:float", "f", "0.77"));
        Assert.Equal("1.9", r.Str("HINCRBYFLOAT", "hash:float", "f", "-0.1"));
    }

    [Fact]
    public void HIncrByFloatAddsInLongDoublePrecision()
    {
        Assert.Equal("0.1", r.Str("HINCRBYFLOAT", "hash:float-ld", "f", "0.1"));
        Assert.Equal("0.3", r.Str("HINCRBYFLOAT", "hash:float-ld", "f", "0.2"));
    }

    [Fact]
    public void HIncrByFloatRefusesInfinityAndCreatesNothing()
    {
        Assert.Equal("ERR value is NaN or Infinity", r.Str("HINCRBYFLOAT", "hash:inf", "f", "+inf"));
        Assert.Equal(0, r.Int("HLEN", "hash:inf"));
    }

    [Fact]
    public void HashCommandsAgainstAStringAreWrongType()
    {
        r.Call("SET", "hash:string", "x");
        Assert.StartsWith("WRONGTYPE", r.Str("HGET", "hash:string", "a"));
        Assert.StartsWith("WRONGTYPE", r.Str("HSET", "hash:string", "a", "1"));
        Assert.StartsWith("WRONGTYPE", r.Str("HMGET", "hash:string", "a"));
        Assert.StartsWith("WRONGTYPE", r.Str("HSCAN", "hash:string", "0"));
    }

    [Fact]
    public void HGetAllIsAMapInResp3()
    {
        using var c3 = fixture.Server.Connect();
        c3.Call("HELLO", "3");
        c3.Call("HSET", "hash:resp3", "a", "1");
        var reply = c3.Call("HGETALL", "hash:resp3");
        Assert.Equal(RespType.Map, reply.Type);
        Assert.Equal("[a, 1]", reply.ToString());
        Assert.Equal(RespType.Map, c3.Call("HGETALL", "hash:resp3-none").Type);
    }

    [Fact]
    public void HRandFieldWithNegativeCountRepeatsFields()
    {
        r.Call("HSET", "hash:rand", "a", "1", "b", "2");
        var reply = r.Call("HRANDFIELD", "hash:rand", "-20", "WITHVALUES");
        Assert.Equal(40, reply.Items!.Length);
    }

    [Fact]
    public void HRandFieldWithPositiveCountReturnsDistinctFields()
    {
        var args = new List<string> { "HSET", "hash:rand-uniq" };
        for (int i = 0; i < 100; i++) args.AddRange([$"f{i}", $"{i}"]);
        r.Call(args.ToArray());
        var reply = r.Call("HRANDFIELD", "hash:rand-uniq", "10");
        Assert.Equal(10, reply.Items!.Select(i => i.Text).Distinct().Count());
        Assert.Equal(100, r.Call("HRANDFIELD", "hash:rand-uniq", "1000").Items!.Length);
    }

    [Fact]
    public void HRandFieldCountOverflowIsAnError()
    {
        r.Call("HSET", "hash:rand-range", "a", "1");
        Assert.Equal("ERR value is out of range", r.Str("HRANDFIELD", "hash:rand-range", "-9223372036854770000", "WITHVALUES"));
        Assert.StartsWith("ERR value is out of range, value must between", r.Str("HRANDFIELD", "hash:rand-range", "-9223372036854775808"));
    }

    [Fact]
    public void HScanOfAListpackReturnsEverythingWithCursorZero()
    {
        r.Call("HSET", "hash:scan-small", "foo", "1", "bar", "2", "foobar", "3");
        Assert.Equal("[0, [foo, 1, foobar, 3]]", r.Str("HSCAN", "hash:scan-small", "0", "MATCH", "foo*"));
    }

    [Fact]
    public void HScanOfAHashtableVisitsEveryField()
    {
        var args = new List<string> { "HSET", "hash:scan-big" };
        for (int i = 0; i < 1000; i++) args.AddRange([$"key:{i}", $"{i}"]);
        r.Call(args.ToArray());
        var seen = new HashSet<string>();
        string cursor = "0";
        do
        {
            var reply = r.Call("HSCAN", "hash:scan-big", cursor);
            cursor = reply.Items![0].Text!;
            var items = reply.Items[1].Items!;
            for (int i = 0; i < items.Length; i += 2)
            {
                Assert.Equal("key:" + items[i + 1].Text, items[i].Text);
                seen.Add(items[i].Text!);
            }
        } while (cursor != "0");
        Assert.Equal(1000, seen.Count);
    }

    [Fact]
    public void HScanRefusesABadCursor()
    {
        Assert.Equal("ERR invalid cursor", r.Str("HSCAN", "hash:scan-bad", "abc"));
    }
}
