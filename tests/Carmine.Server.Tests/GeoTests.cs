namespace Carmine.Server.Tests;

public sealed class GeoTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    void AddSicily(string key) =>
        r.Call("GEOADD", key, "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania");

    [Fact]
    public void GeoaddStoresTheGeohashAsTheScore()
    {
        Assert.Equal(2, r.Int("GEOADD", "geo:add", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"));
        Assert.Equal("3479099956230698", r.Str("ZSCORE", "geo:add", "Palermo"));
        Assert.Equal("3479447370796909", r.Str("ZSCORE", "geo:add", "Catania"));
    }

    [Fact]
    public void GeoaddRefusesAPositionOutsideTheMercatorRange()
    {
        Assert.Equal("ERR invalid longitude,latitude pair 200.000000,100.000000", r.Str("GEOADD", "geo:bad", "200", "100", "a"));
        Assert.Equal("ERR invalid longitude,latitude pair 10.000000,85.100000", r.Str("GEOADD", "geo:bad", "10", "85.1", "a"));
        Assert.Equal(0, r.Int("ZCARD", "geo:bad"));
    }

    [Fact]
    public void GeoaddOptions()
    {
        r.Call("GEOADD", "geo:opts", "10", "20", "a");
        Assert.Equal(1, r.Int("GEOADD", "geo:opts", "NX", "11", "21", "a", "12", "22", "b"));
        Assert.Equal("[a, b]", r.Str("ZRANGE", "geo:opts", "0", "-1"));
        Assert.Equal(1, r.Int("GEOADD", "geo:opts", "CH", "XX", "11", "21", "a", "12", "22", "c"));
        Assert.Equal("ERR syntax error", r.Str("GEOADD", "geo:opts", "NX", "XX", "11", "21", "a"));
        Assert.Equal("ERR syntax error", r.Str("GEOADD", "geo:opts", "11", "21", "a", "12"));
    }

    [Fact]
    public void GeoposPrintsCoordinatesAsRedisDoes()
    {
        AddSicily("geo:pos");
        Assert.Equal("[[13.36138933897018433, 38.11555639549629859], (nil)]", r.Str("GEOPOS", "geo:pos", "Palermo", "nowhere"));
    }

    [Fact]
    public void GeodistConvertsUnits()
    {
        AddSicily("geo:dist");
        Assert.Equal("166274.1516", r.Str("GEODIST", "geo:dist", "Palermo", "Catania"));
        Assert.Equal("166.2742", r.Str("GEODIST", "geo:dist", "Palermo", "Catania", "km"));
        Assert.Equal("103.3182", r.Str("GEODIST", "geo:dist", "Palermo", "Catania", "mi"));
        Assert.Equal("(nil)", r.Str("GEODIST", "geo:dist", "Palermo", "nowhere"));
        Assert.Equal("ERR unsupported unit provided. please use M, KM, FT, MI", r.Str("GEODIST", "geo:dist", "Palermo", "Catania", "yd"));
    }

    [Fact]
    public void GeohashGivesStandardGeohashStrings()
    {
        AddSicily("geo:hash");
        Assert.Equal("[sqc8b49rny0, sqdtr74hyu0, (nil)]", r.Str("GEOHASH", "geo:hash", "Palermo", "Catania", "nowhere"));
    }

    [Fact]
    public void GeoradiusWithAllOptions()
    {
        AddSicily("geo:radius");
        Assert.Equal("[[Catania, 56.4413, 3479447370796909, [15.08726745843887329, 37.50266842333162032]], "
                     + "[Palermo, 190.4424, 3479099956230698, [13.36138933897018433, 38.11555639549629859]]]",
            r.Str("GEORADIUS", "geo:radius", "15", "37", "200", "km", "WITHDIST", "WITHHASH", "WITHCOORD", "ASC"));
    }

    [Fact]
    public void GeosearchByBoxDescending()
    {
        AddSicily("geo:box");
        Assert.Equal("[Palermo, Catania]", r.Str("GEOSEARCH", "geo:box", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "DESC"));
        Assert.Equal("[Catania]", r.Str("GEOSEARCH", "geo:box", "FROMMEMBER", "Catania", "BYRADIUS", "100", "km"));
    }

    [Fact]
    public void GeosearchCountTakesTheNearest()
    {
        AddSicily("geo:count");
        Assert.Equal("[Catania]", r.Str("GEOSEARCH", "geo:count", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "1"));
        Assert.Equal("ERR the ANY argument requires COUNT argument", r.Str("GEOSEARCH", "geo:count", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ANY"));
        Assert.Equal("ERR COUNT must be > 0", r.Str("GEOSEARCH", "geo:count", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "0"));
    }

    [Fact]
    public void GeosearchNeedsOneCentreAndOneShape()
    {
        AddSicily("geo:args");
        Assert.Equal("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch",
            r.Str("geosearch", "geo:args", "BYRADIUS", "10", "km", "ASC", "WITHDIST"));
        Assert.Equal("ERR exactly one of BYRADIUS and BYBOX can be specified for geosearch",
            r.Str("geosearch", "geo:args", "FROMLONLAT", "15", "37", "ASC", "WITHDIST"));
        Assert.Equal("ERR syntax error", r.Str("GEOSEARCH", "geo:args", "FROMLONLAT", "15", "37", "BYRADIUS", "10", "km", "BYBOX", "1", "1", "km"));
        Assert.Equal("ERR could not decode requested zset member", r.Str("GEOSEARCH", "geo:args", "FROMMEMBER", "nowhere", "BYRADIUS", "10", "km"));
    }

    [Fact]
    public void GeosearchOnAMissingKeyIsEmpty()
    {
        Assert.Equal("[]", r.Str("GEOSEARCH", "geo:missing", "FROMMEMBER", "a", "BYRADIUS", "10", "km"));
        Assert.Equal("[]", r.Str("GEORADIUSBYMEMBER", "geo:missing", "a", "10", "km"));
    }

    [Fact]
    public void GeosearchstoreStoresHashesOrDistances()
    {
        AddSicily("{geo}src");
        Assert.Equal(2, r.Int("GEOSEARCHSTORE", "{geo}dst", "{geo}src", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"));
        Assert.Equal("[Palermo, 3479099956230698, Catania, 3479447370796909]", r.Str("ZRANGE", "{geo}dst", "0", "-1", "WITHSCORES"));
        Assert.Equal(2, r.Int("GEOSEARCHSTORE", "{geo}dst", "{geo}src", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"));
        Assert.Equal("[Catania, 56.441257870158204, Palermo, 190.44242984775784]", r.Str("ZRANGE", "{geo}dst", "0", "-1", "WITHSCORES"));
    }

    [Fact]
    public void GeoradiusStoreRefusesReplyOptions()
    {
        AddSicily("{geo}store");
        Assert.Equal("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            r.Str("GEORADIUS", "{geo}store", "15", "37", "200", "km", "STORE", "{geo}out", "WITHDIST"));
        Assert.Equal("ERR syntax error", r.Str("GEORADIUS_RO", "{geo}store", "15", "37", "200", "km", "STORE", "{geo}out"));
    }

    [Fact]
    public void GeoradiusStoreOfNothingDeletesTheDestination()
    {
        AddSicily("{geo}none");
        r.Call("SET", "{geo}gone", "x");
        Assert.Equal(0, r.Int("GEORADIUS", "{geo}none", "0", "0", "1", "km", "STORE", "{geo}gone"));
        Assert.Equal("(nil)", r.Str("GET", "{geo}gone"));
    }
}
