namespace Carmine.Server.Tests;

public sealed class SortTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    [Fact]
    public void SortOrdersASetNumerically()
    {
        r.Call("SADD", "sort:num", "3", "1", "2", "10");
        Assert.Equal("[1, 2, 3, 10]", r.Str("SORT", "sort:num"));
        Assert.Equal("[10, 3, 2, 1]", r.Str("SORT", "sort:num", "DESC"));
    }

    [Fact]
    public void SortAlphaComparesBytes()
    {
        r.Call("SADD", "sort:alpha", "3", "1", "2", "10");
        Assert.Equal("[1, 10, 2, 3]", r.Str("SORT", "sort:alpha", "ALPHA"));
    }

    [Fact]
    public void SortLimitTakesARange()
    {
        r.Call("SADD", "sort:limit", "3", "1", "2", "10");
        Assert.Equal("[3, 2]", r.Str("SORT", "sort:limit", "DESC", "LIMIT", "1", "2"));
        Assert.Equal("[]", r.Str("SORT", "sort:limit", "LIMIT", "10", "2"));
    }

    [Fact]
    public void SortByAndGetPatterns()
    {
        r.Call("SADD", "sort:by", "1", "2", "3");
        r.Call("MSET", "sort:w_1", "30", "sort:w_2", "20", "sort:w_3", "10");
        Assert.Equal("[3, 10, 2, 20, 1, 30]", r.Str("SORT", "sort:by", "BY", "sort:w_*", "GET", "#", "GET", "sort:w_*"));
    }

    [Fact]
    public void SortByHashFieldWithMissingKeysFirst()
    {
        r.Call("SADD", "sort:hash", "1", "2", "3");
        r.Call("HSET", "sort:h_1", "f", "b");
        r.Call("HSET", "sort:h_2", "f", "a");
        Assert.Equal("[(nil), a, b]", r.Str("SORT", "sort:hash", "BY", "sort:h_*->f", "ALPHA", "GET", "sort:h_*->f"));
    }

    [Fact]
    public void SortByConstantKeepsTheSortedSetOrder()
    {
        r.Call("ZADD", "sort:nosort", "1", "c", "2", "b", "3", "a");
        Assert.Equal("[c, b, a]", r.Str("SORT", "sort:nosort", "BY", "nosort"));
        Assert.Equal("[a, b]", r.Str("SORT", "sort:nosort", "BY", "nosort", "DESC", "LIMIT", "0", "2"));
        Assert.Equal("[a, b, c]", r.Str("SORT", "sort:nosort", "ALPHA"));
    }

    [Fact]
    public void SortRefusesNonNumericScores()
    {
        r.Call("SADD", "sort:bad", "a", "1");
        Assert.Equal("ERR One or more scores can't be converted into double", r.Str("SORT", "sort:bad"));
    }

    [Fact]
    public void SortErrors()
    {
        r.Call("SET", "sort:string", "x");
        r.Call("SADD", "sort:errors", "1");
        Assert.Equal("WRONGTYPE Operation against a key holding the wrong kind of value", r.Str("SORT", "sort:string"));
        Assert.Equal("ERR value is not an integer or out of range", r.Str("SORT", "sort:errors", "LIMIT", "0", "x"));
        Assert.Equal("ERR syntax error", r.Str("SORT", "sort:errors", "foo"));
        Assert.Equal("ERR syntax error", r.Str("SORT_RO", "sort:errors", "STORE", "sort:dst"));
    }

    [Fact]
    public void SortOfAMissingKeyIsEmpty()
    {
        Assert.Equal("[]", r.Str("SORT", "sort:missing"));
    }

    [Fact]
    public void SortGetkeysFindsTheLastStore()
    {
        Assert.Equal("[abc, def]", r.Str("COMMAND", "GETKEYS", "SORT", "abc", "STORE", "invalid", "STORE", "stillbad", "STORE", "def"));
        Assert.Equal("[abc]", r.Str("COMMAND", "GETKEYS", "SORT_RO", "abc"));
    }

    [Fact]
    public void SortOrdersAList()
    {
        r.Call("RPUSH", "sort:list", "3", "1", "2", "1");
        Assert.Equal("[1, 1, 2, 3]", r.Str("SORT", "sort:list"));
    }

    [Fact]
    public void SortByConstantKeepsTheListOrder()
    {
        r.Call("RPUSH", "sort:listnosort", "c", "a", "d", "b");
        Assert.Equal("[c, a, d, b]", r.Str("SORT", "sort:listnosort", "BY", "nosort"));
        Assert.Equal("[d, a]", r.Str("SORT", "sort:listnosort", "BY", "nosort", "DESC", "LIMIT", "1", "2"));
    }

    [Fact]
    public void SortStoreWritesAList()
    {
        r.Call("SADD", "{sort}src", "2", "1", "3");
        r.Call("SET", "{sort}w_2", "x");
        Assert.Equal(3, r.Int("SORT", "{sort}src", "STORE", "{sort}dst"));
        Assert.Equal("list", r.Str("TYPE", "{sort}dst"));
        Assert.Equal("[1, 2, 3]", r.Str("LRANGE", "{sort}dst", "0", "-1"));
        Assert.Equal(3, r.Int("SORT", "{sort}src", "GET", "{sort}w_*", "STORE", "{sort}dst"));
        Assert.Equal("[, x, ]", r.Str("LRANGE", "{sort}dst", "0", "-1"));
    }

    [Fact]
    public void SortStoreOfNothingDeletesTheDestination()
    {
        r.Call("SET", "{sort}gone", "x");
        Assert.Equal(0, r.Int("SORT", "{sort}empty", "STORE", "{sort}gone"));
        Assert.Equal(0, r.Int("EXISTS", "{sort}gone"));
    }

    [Fact]
    public void SortLeavesASortedSetInTheSkiplistEncoding()
    {
        r.Call("ZADD", "sort:encoding", "1", "a", "2", "b");
        r.Call("SORT_RO", "sort:encoding", "ALPHA");
        Assert.Equal("skiplist", r.Str("OBJECT", "ENCODING", "sort:encoding"));
    }
}
