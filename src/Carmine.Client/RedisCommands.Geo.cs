namespace Carmine.Client;

/// <summary>A point as GEOADD takes it and GEOPOS returns it, longitude first as in Redis.</summary>
public readonly record struct GeoPosition(double Longitude, double Latitude);

/// <summary>The unit of distances and radii: m, km, mi or ft.</summary>
public enum GeoUnit { M, Km, Mi, Ft }

/// <summary>Where GEOSEARCH measures from: a member of the set (FROMMEMBER) or a point (FROMLONLAT).</summary>
public sealed class GeoOrigin
{
    readonly object[] args;

    GeoOrigin(object[] args) => this.args = args;

    public static GeoOrigin Member(object member) => new(["FROMMEMBER", member]);
    public static GeoOrigin Position(double longitude, double latitude) => new(["FROMLONLAT", longitude, latitude]);

    internal object[] Args => args;
}

/// <summary>The area GEOSEARCH covers: a circle (BYRADIUS) or a box (BYBOX) around the origin.</summary>
public sealed class GeoShape
{
    readonly object[] args;

    GeoShape(object[] args) => this.args = args;

    public static GeoShape Radius(double radius, GeoUnit unit) => new(["BYRADIUS", radius, unit.ToString().ToLowerInvariant()]);
    public static GeoShape Box(double width, double height, GeoUnit unit) => new(["BYBOX", width, height, unit.ToString().ToLowerInvariant()]);

    internal object[] Args => args;
}

/// <summary>One GEOSEARCH match; Distance, Hash and Position are set only when asked for.</summary>
public sealed record GeoSearchResult(string Member, double? Distance, long? Hash, GeoPosition? Position);

public abstract partial class RedisCommands
{
    /// <summary>GEOADD; returns how many members were new.</summary>
    public Task<long> GeoAddAsync(string key, params (double Longitude, double Latitude, object Member)[] items) =>
        Send(Reply.Integer, ["GEOADD", key], items.SelectMany(i => new[] { i.Longitude, i.Latitude, i.Member }));

    /// <summary>GEOPOS; null for a member that is not in the set.</summary>
    public Task<GeoPosition?[]> GeoPosAsync(string key, params object[] members) =>
        Send(r => Reply.Check(r).Items!.Select(p => p.IsNull ? (GeoPosition?)null : Position(p)).ToArray(), ["GEOPOS", key], members);

    /// <summary>GEODIST; null when either member is missing.</summary>
    public Task<double?> GeoDistAsync(string key, object member1, object member2, GeoUnit unit = GeoUnit.M) =>
        Send(Reply.Double, "GEODIST", key, member1, member2, unit.ToString().ToLowerInvariant());

    /// <summary>GEOHASH: the 11-character geohash of each member, null for missing ones.</summary>
    public Task<string?[]> GeoHashAsync(string key, params object[] members) => Send(Reply.Strings, ["GEOHASH", key], members);

    /// <summary>GEOSEARCH; <paramref name="ascending"/> null leaves the order to the server, <paramref name="any"/> stops at the first <paramref name="count"/> matches.</summary>
    public Task<GeoSearchResult[]> GeoSearchAsync(string key, GeoOrigin from, GeoShape by, bool? ascending = null, long? count = null,
        bool any = false, bool withCoord = false, bool withDist = false, bool withHash = false)
    {
        var args = SearchArgs(["GEOSEARCH", key], from, by, ascending, count, any);
        if (withCoord) args.Add("WITHCOORD");
        if (withDist) args.Add("WITHDIST");
        if (withHash) args.Add("WITHHASH");
        return Send(r => Reply.Check(r).Items!.Select(m => SearchResult(m, withDist, withHash, withCoord)).ToArray(), args.ToArray());
    }

    /// <summary>GEOSEARCHSTORE into <paramref name="destination"/>, with distances as scores when <paramref name="storeDist"/>; returns how many were stored.</summary>
    public Task<long> GeoSearchStoreAsync(string destination, string source, GeoOrigin from, GeoShape by, bool? ascending = null,
        long? count = null, bool any = false, bool storeDist = false)
    {
        var args = SearchArgs(["GEOSEARCHSTORE", destination, source], from, by, ascending, count, any);
        if (storeDist) args.Add("STOREDIST");
        return Send(Reply.Integer, args.ToArray());
    }

    static List<object> SearchArgs(object[] head, GeoOrigin from, GeoShape by, bool? ascending, long? count, bool any)
    {
        var args = new List<object>(head);
        args.AddRange(from.Args);
        args.AddRange(by.Args);
        if (ascending is { } asc) args.Add(asc ? "ASC" : "DESC");
        if (count is { } n) args.AddRange(["COUNT", n]);
        if (any) args.Add("ANY");
        return args;
    }

    static GeoPosition Position(Protocol.RespValue r) => new(Reply.Double(r.Items![0]) ?? 0, Reply.Double(r.Items[1]) ?? 0);

    // Without WITH* options each match is a bare member; with them an array in the order dist, hash, coord.
    static GeoSearchResult SearchResult(Protocol.RespValue m, bool withDist, bool withHash, bool withCoord)
    {
        if (m.Items is not { } items) return new GeoSearchResult(Reply.String(m)!, null, null, null);
        int i = 1;
        double? dist = withDist ? Reply.Double(items[i++]) : null;
        long? hash = withHash ? Reply.Integer(items[i++]) : null;
        GeoPosition? pos = withCoord ? Position(items[i]) : null;
        return new GeoSearchResult(Reply.String(items[0])!, dist, hash, pos);
    }
}
