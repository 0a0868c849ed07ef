namespace Carmine.Server.Tests;

public sealed class StringTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    [Fact]
    public void SetAndGetAnItem()
    {
        r.Call("SET", "str:x", "foobar");
        Assert.Equal("foobar", r.Str("GET", "str:x"));
    }

    [Fact]
    public void GetOfAMissingKeyIsNil()
    {
        Assert.True(r.Call("GET", "str:missing").IsNull);
    }

    [Fact]
    public void SetNxDoesNotOverwrite()
    {
        r.Call("SET", "str:nx", "1");
        Assert.True(r.Call("SET", "str:nx", "2", "NX").IsNull);
        Assert.Equal("1", r.Str("GET", "str:nx"));
    }

    [Fact]
    public void RedisCliSeesTheSameValue()
    {
        r.Call("SET", "str:cli", "hello world");
        Assert.Equal("hello world", RedisCli.Run(fixture.Server.Port, "GET", "str:cli"));
    }

    [Fact]
    public void SetGetWithNxRepliesTheOldValueAndKeepsIt()
    {
        r.Call("SET", "str:getnx", "old");
        Assert.Equal("old", r.Str("SET", "str:getnx", "new", "NX", "GET"));
        Assert.Equal("old", r.Str("GET", "str:getnx"));
    }

    [Fact]
    public void SetGetOnAMissingKeyRepliesNilAndSets()
    {
        Assert.True(r.Call("SET", "str:getnew", "v", "GET").IsNull);
        Assert.Equal("v", r.Str("GET", "str:getnew"));
    }

    [Fact]
    public void SetWithNxAndXxIsASyntaxError()
    {
        Assert.Equal("ERR syntax error", r.Str("SET", "str:nxxx", "v", "NX", "XX"));
    }

    [Fact]
    public void SetWithKeepTtlAndExIsASyntaxError()
    {
        Assert.Equal("ERR syntax error", r.Str("SET", "str:keepttl", "v", "KEEPTTL", "EX", "10"));
    }

    [Fact]
    public void SetWithARepeatedExpiryOptionIsAccepted()
    {
        Assert.Equal("OK", r.Str("SET", "str:exex", "v", "EX", "10", "EX", "20"));
    }

    [Fact]
    public void SetWithExAndPxIsASyntaxError()
    {
        Assert.Equal("ERR syntax error", r.Str("SET", "str:expx", "v", "EX", "10", "PX", "100"));
    }

    [Fact]
    public void SetWithAZeroExpireIsRefused()
    {
        Assert.Equal("ERR invalid expire time in 'set' command", r.Str("SET", "str:ex0", "v", "EX", "0"));
    }

    [Fact]
    public void SetWithANonIntegerExpireIsRefused()
    {
        Assert.Equal("ERR value is not an integer or out of range", r.Str("SET", "str:exbad", "v", "PX", "soon"));
    }

    [Fact]
    public void SetWithAnOverflowingExpireIsRefused()
    {
        Assert.Equal("ERR invalid expire time in 'set' command", r.Str("SET", "str:exbig", "v", "EX", "9223372036854775"));
    }

    [Fact]
    public void SetWithPxAtInThePastLeavesNoKey()
    {
        r.Call("SET", "str:pxat", "v", "PXAT", "1");
        Assert.True(r.Call("GET", "str:pxat").IsNull);
    }

    [Fact]
    public void SetWithPxExpiresTheKey()
    {
        r.Call("SET", "str:px", "v", "PX", "30");
        Thread.Sleep(100);
        Assert.True(r.Call("GET", "str:px").IsNull);
    }

    [Fact]
    public void SetnxRepliesOneThenZero()
    {
        Assert.Equal(1, r.Int("SETNX", "str:setnx", "a"));
        Assert.Equal(0, r.Int("SETNX", "str:setnx", "b"));
        Assert.Equal("a", r.Str("GET", "str:setnx"));
    }

    [Fact]
    public void SetexNamesItselfInTheExpireError()
    {
        Assert.Equal("ERR invalid expire time in 'setex' command", r.Str("SETEX", "str:setex", "0", "v"));
    }

    [Fact]
    public void PsetexSetsTheValue()
    {
        Assert.Equal("OK", r.Str("PSETEX", "str:psetex", "100000", "v"));
        Assert.Equal("v", r.Str("GET", "str:psetex"));
    }

    [Fact]
    public void GetexWithPersistAndExIsASyntaxError()
    {
        Assert.Equal("ERR syntax error", r.Str("GETEX", "str:getex", "PERSIST", "EX", "10"));
    }

    [Fact]
    public void GetexOnAMissingKeyIsNil()
    {
        Assert.True(r.Call("GETEX", "str:getexmissing", "EX", "10").IsNull);
    }

    [Fact]
    public void GetexWithPxAtInThePastRepliesThenDeletes()
    {
        r.Call("SET", "str:getexpast", "v");
        Assert.Equal("v", r.Str("GETEX", "str:getexpast", "PXAT", "1"));
        Assert.True(r.Call("GET", "str:getexpast").IsNull);
    }

    [Fact]
    public void GetexChecksTheExpireOnlyForAnExistingKey()
    {
        Assert.True(r.Call("GETEX", "str:getexbad", "EX", "soon").IsNull);
    }

    [Fact]
    public void GetdelRepliesAndDeletes()
    {
        r.Call("SET", "str:getdel", "v");
        Assert.Equal("v", r.Str("GETDEL", "str:getdel"));
        Assert.True(r.Call("GETDEL", "str:getdel").IsNull);
    }

    [Fact]
    public void GetsetRepliesTheOldValue()
    {
        Assert.True(r.Call("GETSET", "str:getset", "1").IsNull);
        Assert.Equal("1", r.Str("GETSET", "str:getset", "2"));
        Assert.Equal("2", r.Str("GET", "str:getset"));
    }

    [Fact]
    public void MgetRepliesNilForMissingKeys()
    {
        r.Call("MSET", "str:mget1{t}", "a", "str:mget2{t}", "b");
        Assert.Equal("[a, (nil), b]", r.Str("MGET", "str:mget1{t}", "str:mgetnone{t}", "str:mget2{t}"));
    }

    [Fact]
    public void MsetWithAnOddArgumentCountIsAnArityError()
    {
        Assert.Equal("ERR wrong number of arguments for 'mset' command", r.Str("MSET", "str:m1", "a", "str:m2"));
    }

    [Fact]
    public void MsetnxSetsNothingIfOneKeyExists()
    {
        r.Call("SET", "str:msetnx1{t}", "x");
        Assert.Equal(0, r.Int("MSETNX", "str:msetnx1{t}", "a", "str:msetnx2{t}", "b"));
        Assert.True(r.Call("GET", "str:msetnx2{t}").IsNull);
    }

    [Fact]
    public void MsetnxWithTheSameKeyTwiceKeepsTheLastValue()
    {
        Assert.Equal(1, r.Int("MSETNX", "str:msetnxtwice", "a", "str:msetnxtwice", "b"));
        Assert.Equal("b", r.Str("GET", "str:msetnxtwice"));
    }

    [Fact]
    public void IncrCreatesAMissingKey()
    {
        Assert.Equal(1, r.Int("INCR", "str:incr"));
        Assert.Equal("1", r.Str("GET", "str:incr"));
    }

    [Fact]
    public void IncrPastTheLargestIntegerIsRefused()
    {
        r.Call("SET", "str:incrmax", "9223372036854775807");
        Assert.Equal("ERR increment or decrement would overflow", r.Str("INCR", "str:incrmax"));
    }

    [Fact]
    public void IncrOfAValueWithSpacesIsRefused()
    {
        r.Call("SET", "str:incrspace", " 11");
        Assert.Equal("ERR value is not an integer or out of range", r.Str("INCR", "str:incrspace"));
    }

    [Fact]
    public void DecrbyTheSmallestIntegerIsRefused()
    {
        Assert.Equal("ERR decrement would overflow", r.Str("DECRBY", "str:decrby", "-9223372036854775808"));
    }

    [Fact]
    public void DecrbyGoesNegative()
    {
        r.Call("SET", "str:decrneg", "17179869184");
        Assert.Equal(-1, r.Int("DECRBY", "str:decrneg", "17179869185"));
    }

    [Fact]
    public void IncrbyfloatAddsWithLongDoublePrecision()
    {
        r.Call("SET", "str:float", "0.1");
        Assert.Equal("0.3", r.Str("INCRBYFLOAT", "str:float", "0.2"));
    }

    [Fact]
    public void IncrbyfloatPrintsSeventeenDecimalsAtMost()
    {
        Assert.Equal("0.02439024390243902", r.Str("INCRBYFLOAT", "str:float17", "0.024390243902439025"));
    }

    [Fact]
    public void IncrbyfloatNeverPrintsNegativeZero()
    {
        r.Call("INCRBYFLOAT", "str:floatzero", "1e-18");
        Assert.Equal("0", r.Str("INCRBYFLOAT", "str:floatzero", "-1e-18"));
    }

    [Fact]
    public void IncrbyfloatAcceptsHexadecimalFloats()
    {
        Assert.Equal("8", r.Str("INCRBYFLOAT", "str:floathex", "0x1p3"));
    }

    [Fact]
    public void IncrbyfloatByInfinityIsRefused()
    {
        Assert.Equal("ERR increment would produce NaN or Infinity", r.Str("INCRBYFLOAT", "str:floatinf", "+inf"));
    }

    [Fact]
    public void IncrbyfloatByAnUnderflowingIncrementIsRefused()
    {
        Assert.Equal("ERR value is not a valid float", r.Str("INCRBYFLOAT", "str:floatunder", "1e-5000"));
    }

    [Fact]
    public void IncrbyfloatOfAValueWithAZeroByteIsRefused()
    {
        r.Call("SET", "str:floatnul", "1");
        r.Call("SETRANGE", "str:floatnul", "2", "2");
        Assert.Equal("ERR value is not a valid float", r.Str("INCRBYFLOAT", "str:floatnul", "1"));
    }

    [Fact]
    public void AppendRepliesTheNewLength()
    {
        Assert.Equal(5, r.Int("APPEND", "str:append", "hello"));
        Assert.Equal(11, r.Int("APPEND", "str:append", " world"));
        Assert.Equal("hello world", r.Str("GET", "str:append"));
    }

    [Fact]
    public void StrlenOfAMissingKeyIsZero()
    {
        Assert.Equal(0, r.Int("STRLEN", "str:strlenmissing"));
    }

    [Fact]
    public void GetrangeResolvesNegativeIndexes()
    {
        r.Call("SET", "str:getrange", "Hello World");
        Assert.Equal("orld", r.Str("GETRANGE", "str:getrange", "-4", "-1"));
    }

    [Fact]
    public void GetrangeClampsHugeRanges()
    {
        r.Call("SET", "str:getrangehuge", "bar");
        Assert.Equal("bar", r.Str("GETRANGE", "str:getrangehuge", "0", "4294967297"));
    }

    [Fact]
    public void SubstrIsGetrange()
    {
        r.Call("SET", "str:substr", "Hello World");
        Assert.Equal("Hell", r.Str("SUBSTR", "str:substr", "0", "3"));
    }

    [Fact]
    public void SetrangePadsWithZeroBytes()
    {
        r.Call("SET", "str:setrange", "foo");
        Assert.Equal(7, r.Int("SETRANGE", "str:setrange", "4", "bar"));
        Assert.Equal("foo\0bar", r.Str("GET", "str:setrange"));
    }

    [Fact]
    public void SetrangeWithNothingDoesNotCreateTheKey()
    {
        Assert.Equal(0, r.Int("SETRANGE", "str:setrangeempty", "10", ""));
        Assert.True(r.Call("GET", "str:setrangeempty").IsNull);
    }

    [Fact]
    public void SetrangeWithANegativeOffsetIsRefused()
    {
        Assert.Equal("ERR offset is out of range", r.Str("SETRANGE", "str:setrangeneg", "-1", "x"));
    }

    [Fact]
    public void SetrangePastProtoMaxBulkLenIsRefused()
    {
        Assert.Equal("ERR string exceeds maximum allowed size (proto-max-bulk-len)", r.Str("SETRANGE", "str:setrangebig", "536870908", "world"));
    }

    [Fact]
    public void SetrangeWithTheLargestOffsetIsRefused()
    {
        Assert.Equal("ERR string exceeds maximum allowed size (proto-max-bulk-len)", r.Str("SETRANGE", "str:setrangemax", "9223372036854775807", "A"));
    }

    [Fact]
    public void LcsRepliesTheCommonSubsequence()
    {
        r.Call("MSET", "str:lcs1{t}", "ohmytext", "str:lcs2{t}", "mynewtext");
        Assert.Equal("mytext", r.Str("LCS", "str:lcs1{t}", "str:lcs2{t}"));
        Assert.Equal(6, r.Int("LCS", "str:lcs1{t}", "str:lcs2{t}", "LEN"));
    }

    [Fact]
    public void LcsIdxRepliesTheRangesFromLastToFirst()
    {
        r.Call("MSET", "str:lcsidx1{t}", "ohmytext", "str:lcsidx2{t}", "mynewtext");
        Assert.Equal("[matches, [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], len, 6]",
            r.Str("LCS", "str:lcsidx1{t}", "str:lcsidx2{t}", "IDX", "WITHMATCHLEN"));
    }

    [Fact]
    public void LcsMinMatchLenLeavesOutShortRanges()
    {
        r.Call("MSET", "str:lcsmin1{t}", "ohmytext", "str:lcsmin2{t}", "mynewtext");
        Assert.Equal("[matches, [[[4, 7], [5, 8]]], len, 6]",
            r.Str("LCS", "str:lcsmin1{t}", "str:lcsmin2{t}", "IDX", "MINMATCHLEN", "4"));
    }

    [Fact]
    public void LcsWithLenAndIdxIsRefused()
    {
        Assert.Equal("ERR If you want both the length and indexes, please just use IDX.",
            r.Str("LCS", "str:lcsboth1{t}", "str:lcsboth2{t}", "LEN", "IDX"));
    }
}
