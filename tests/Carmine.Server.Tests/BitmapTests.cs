namespace Carmine.Server.Tests;

public sealed class BitmapTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    static byte[] B(string s) => System.Text.Encoding.Latin1.GetBytes(s);

    [Fact]
    public void SetbitRepliesTheOldBit()
    {
        Assert.Equal(0, r.Int("SETBIT", "bit:setbit", "7", "1"));
        Assert.Equal(1, r.Int("SETBIT", "bit:setbit", "7", "0"));
    }

    [Fact]
    public void SetbitGrowsTheStringWithZeroBytes()
    {
        r.Call("SETBIT", "bit:grow", "100", "1");
        Assert.Equal(13, r.Int("STRLEN", "bit:grow"));
    }

    [Fact]
    public void SetbitWritesTheMostSignificantBitFirst()
    {
        r.Call("SETBIT", "bit:msb", "1", "1");
        Assert.Equal("@", r.Str("GET", "bit:msb"));
    }

    [Fact]
    public void SetbitRefusesAValueOtherThanZeroOrOne()
    {
        Assert.Equal("ERR bit is not an integer or out of range", r.Str("SETBIT", "bit:value", "1", "2"));
    }

    [Fact]
    public void SetbitRefusesAnOffsetPastProtoMaxBulkLen()
    {
        Assert.Equal("ERR bit offset is not an integer or out of range", r.Str("SETBIT", "bit:far", "4294967296", "1"));
    }

    [Fact]
    public void GetbitPastTheEndIsZero()
    {
        r.Call("SET", "bit:getbit", "a");
        Assert.Equal(0, r.Int("GETBIT", "bit:getbit", "1000"));
    }

    [Fact]
    public void GetbitReadsAnIntegerValueAsItsDigits()
    {
        r.Call("SET", "bit:getbitint", "1234");
        Assert.Equal(1, r.Int("GETBIT", "bit:getbitint", "2"));
    }

    [Fact]
    public void BitcountCountsTheWholeString()
    {
        r.Call("SET", "bit:count", "foobar");
        Assert.Equal(26, r.Int("BITCOUNT", "bit:count"));
    }

    [Fact]
    public void BitcountCountsABitRange()
    {
        r.Call("SET", "bit:countbit", "foobar");
        Assert.Equal(17, r.Int("BITCOUNT", "bit:countbit", "5", "30", "BIT"));
    }

    [Fact]
    public void BitcountResolvesNegativeByteIndexes()
    {
        r.Call("SET", "bit:countneg", "foobar");
        Assert.Equal(7, r.Int("BITCOUNT", "bit:countneg", "-2", "-1"));
    }

    [Fact]
    public void BitcountWithAStartButNoEndIsASyntaxError()
    {
        r.Call("SET", "bit:countsyntax", "foobar");
        Assert.Equal("ERR syntax error", r.Str("BITCOUNT", "bit:countsyntax", "1"));
    }

    [Fact]
    public void BitposFindsTheFirstSetBit()
    {
        r.Call("SET", "bit:pos", "foobar");
        Assert.Equal(17, r.Int("BITPOS", "bit:pos", "1", "2", "-1"));
    }

    [Fact]
    public void BitposForAClearBitInAllOnesPointsPastTheEnd()
    {
        r.Call(B("SET"), B("bit:ones"), B("\xff\xff\xff"));
        Assert.Equal(24, r.Int("BITPOS", "bit:ones", "0"));
    }

    [Fact]
    public void BitposForAClearBitInAllOnesWithAnEndIsMinusOne()
    {
        r.Call(B("SET"), B("bit:onesend"), B("\xff\xff\xff"));
        Assert.Equal(-1, r.Int("BITPOS", "bit:onesend", "0", "0", "-1"));
    }

    [Fact]
    public void BitposInABitRange()
    {
        r.Call(B("SET"), B("bit:posbit"), B("\x00\x01\x00"));
        Assert.Equal(15, r.Int("BITPOS", "bit:posbit", "1", "7", "15", "BIT"));
    }

    [Fact]
    public void BitposOnAMissingKey()
    {
        Assert.Equal(-1, r.Int("BITPOS", "bit:posmissing", "1"));
        Assert.Equal(0, r.Int("BITPOS", "bit:posmissing", "0"));
    }

    [Fact]
    public void BitposRefusesABitOtherThanZeroOrOne()
    {
        Assert.Equal("ERR The bit argument must be 1 or 0.", r.Str("BITPOS", "bit:posbad", "2"));
    }

    [Fact]
    public void BitopAndPadsShortStringsWithZeros()
    {
        r.Call("MSET", "bit:and1{t}", "foobar", "bit:and2{t}", "bar");
        Assert.Equal(6, r.Int("BITOP", "AND", "bit:anddest{t}", "bit:and1{t}", "bit:and2{t}"));
        Assert.Equal("bab\0\0\0", r.Str("GET", "bit:anddest{t}"));
    }

    [Fact]
    public void BitopOrCombinesBytes()
    {
        r.Call("MSET", "bit:or1{t}", "foo", "bit:or2{t}", "bar");
        r.Call("BITOP", "OR", "bit:ordest{t}", "bit:or1{t}", "bit:or2{t}");
        Assert.Equal("fo\u007f", r.Str("GET", "bit:ordest{t}"));
    }

    [Fact]
    public void BitopNotInvertsEveryBit()
    {
        r.Call(B("SET"), B("bit:not{t}"), B("\x0f\xf0"));
        r.Call("BITOP", "NOT", "bit:notdest{t}", "bit:not{t}");
        Assert.Equal(B("\xf0\x0f"), r.Call("GET", "bit:notdest{t}").Bytes);
    }

    [Fact]
    public void BitopNotWithTwoSourcesIsRefused()
    {
        Assert.Equal("ERR BITOP NOT must be called with a single source key.", r.Str("BITOP", "NOT", "bit:n{t}", "bit:a{t}", "bit:b{t}"));
    }

    [Fact]
    public void BitopOfMissingKeysDeletesTheTarget()
    {
        r.Call("SET", "bit:emptydest{t}", "x");
        Assert.Equal(0, r.Int("BITOP", "XOR", "bit:emptydest{t}", "bit:none1{t}", "bit:none2{t}"));
        Assert.True(r.Call("GET", "bit:emptydest{t}").IsNull);
    }

    [Fact]
    public void BitfieldSetRepliesTheOldValue()
    {
        Assert.Equal("[0, -100]", r.Str("BITFIELD", "bit:field", "SET", "i8", "0", "-100", "GET", "i8", "0"));
    }

    [Fact]
    public void BitfieldWrapsByDefault()
    {
        Assert.Equal("[0, 44]", r.Str("BITFIELD", "bit:fieldwrap", "SET", "u8", "0", "300", "GET", "u8", "0"));
    }

    [Fact]
    public void BitfieldSaturates()
    {
        Assert.Equal("[127, 127]", r.Str("BITFIELD", "bit:fieldsat", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "1000", "INCRBY", "i8", "0", "1"));
    }

    [Fact]
    public void BitfieldFailRepliesNilAndLeavesTheField()
    {
        Assert.Equal("[3, (nil), 3]", r.Str("BITFIELD", "bit:fieldfail", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "3", "INCRBY", "u2", "0", "1", "GET", "u2", "0"));
    }

    [Fact]
    public void BitfieldHashOffsetCountsFieldsOfTheTypeWidth()
    {
        r.Call("BITFIELD", "bit:fieldhash", "SET", "u8", "#2", "200");
        Assert.Equal("[200]", r.Str("BITFIELD", "bit:fieldhash", "GET", "u8", "16"));
    }

    [Fact]
    public void BitfieldRefusesU64()
    {
        Assert.Equal("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
            r.Str("BITFIELD", "bit:fieldu64", "GET", "u64", "0"));
    }

    [Fact]
    public void BitfieldRefusesAnUnknownOverflow()
    {
        Assert.Equal("ERR Invalid OVERFLOW type specified", r.Str("BITFIELD", "bit:fieldow", "OVERFLOW", "CLAMP"));
    }

    [Fact]
    public void BitfieldRoRefusesSet()
    {
        Assert.Equal("ERR BITFIELD_RO only supports the GET subcommand", r.Str("BITFIELD_RO", "bit:fieldro", "SET", "u8", "0", "1"));
    }

    [Fact]
    public void BitfieldRoReadsZerosFromAMissingKey()
    {
        Assert.Equal("[0, 0]", r.Str("BITFIELD_RO", "bit:fieldromissing", "GET", "i8", "0", "GET", "u4", "100"));
    }
}
