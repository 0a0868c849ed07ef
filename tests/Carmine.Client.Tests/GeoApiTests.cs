namespace Carmine.Client.Tests;

public abstract partial class ClientApiTests
{
    async Task<string> Sicily(string key)
    {
        await Client.DelAsync(key);
        Assert.Equal(2, await Client.GeoAddAsync(key, (13.361389, 38.115556, "Palermo"), (15.087269, 37.502669, "Catania")));
        return key;
    }

    [Fact]
    public async Task GeoDistInKilometres()
    {
        var key = await Sicily("api:geodist");
        Assert.Equal(166.2742, await Client.GeoDistAsync(key, "Palermo", "Catania", GeoUnit.Km));
        Assert.Null(await Client.GeoDistAsync(key, "Palermo", "Nowhere"));
    }

    [Fact]
    public async Task GeoPosOfPresentAndMissingMembers()
    {
        var key = await Sicily("api:geopos");
        var pos = await Client.GeoPosAsync(key, "Palermo", "Nowhere");
        Assert.Equal(new GeoPosition(13.36138933897018433, 38.11555639549629859), pos[0]);
        Assert.Null(pos[1]);
    }

    [Fact]
    public async Task GeoHashOfMembers()
    {
        var key = await Sicily("api:geohash");
        Assert.Equal(new string?[] { "sqc8b49rny0", "sqdtr74hyu0", null }, await Client.GeoHashAsync(key, "Palermo", "Catania", "Nowhere"));
    }

    [Fact]
    public async Task GeoSearchByRadiusWithEverything()
    {
        var key = await Sicily("api:geosearch");
        var found = await Client.GeoSearchAsync(key, GeoOrigin.Position(15, 37), GeoShape.Radius(200, GeoUnit.Km),
            ascending: true, withCoord: true, withDist: true, withHash: true);
        Assert.Equal(
            [new GeoSearchResult("Catania", 56.4413, 3479447370796909, new GeoPosition(15.08726745843887329, 37.50266842333162032)),
             new GeoSearchResult("Palermo", 190.4424, 3479099956230698, new GeoPosition(13.36138933897018433, 38.11555639549629859))],
            found);
    }

    [Fact]
    public async Task GeoSearchByBoxFromAMemberWithCount()
    {
        var key = await Sicily("api:geobox");
        var found = await Client.GeoSearchAsync(key, GeoOrigin.Member("Palermo"), GeoShape.Box(400, 400, GeoUnit.Km), ascending: false, count: 1);
        Assert.Equal([new GeoSearchResult("Catania", null, null, null)], found);
    }

    [Fact]
    public async Task GeoSearchStoreWithDistances()
    {
        var key = await Sicily("api:geostore");
        Assert.Equal(1, await Client.GeoSearchStoreAsync("api:geostore:dst", key, GeoOrigin.Position(15, 37), GeoShape.Radius(100, GeoUnit.Km), storeDist: true));
        Assert.Equal([("Catania", 56.441257870158204)], await Client.ZRangeWithScoresAsync("api:geostore:dst", 0, -1));
    }
}
