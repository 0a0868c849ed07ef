using System.Globalization;
using System.Numerics;
using System.Text;
using Carmine.Protocol;
using Carmine.Server.Network;
using Carmine.Server.PubSub;
using Carmine.Server.Types;

namespace Carmine.Server.Commands;

/// <summary>The geo commands (geo.c in Redis): a geo set is a sorted set whose scores are 52-bit geohashes.</summary>
static class GeoCommands
{
    const string DecodeMemberError = "ERR could not decode requested zset member";

    [Command("geoadd", -5, Flags = "write denyoom", Acl = "geo", Group = "geo", Since = "3.2.0",
        Keys = ["RW update; index 1; range 0 1 0"],
        Summary = "Add one or more geospatial items in the geospatial index represented using a sorted set",
        Complexity = "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
        History = ["6.2.0: Added the `CH`, `NX` and `XX` options."],
        Arguments = ["key:key", "condition:oneof since=6.2.0 optional (nx:pure-token token=NX | xx:pure-token token=XX)", "change:pure-token token=CH since=6.2.0 optional", "longitude_latitude_member:block multiple (longitude:double | latitude:double | member:string)"])]
    static void GeoAdd(Client c)
    {
        var args = c.Args;
        bool nx = false, xx = false, ch = false;
        int first = 2;
        for (; first < args.Count; first++)
        {
            if (args.Is(first, "nx")) nx = true;
            else if (args.Is(first, "xx")) xx = true;
            else if (args.Is(first, "ch")) ch = true;
            else break;
        }
        if ((args.Count - first) % 3 != 0 || (nx && xx))
        {
            c.Error(Errors.Syntax);
            return;
        }
        int elements = (args.Count - first) / 3;
        // Every position is checked before anything changes, as ZADD checks its scores.
        var scores = new double[elements];
        for (int j = 0; j < elements; j++)
        {
            if (!TryLongLat(c, first + 3 * j, out double lon, out double lat)) return;
            GeoHash.TryScore(lon, lat, out ulong score);
            scores[j] = score;
        }
        if (!c.TryWrite<SortedSet>(args[1], out _, out var z)) return;
        var limits = SortedSetCommands.Limits(c);
        if (z is null && !xx)
        {
            z = SortedSet.Create(limits, args[first + 2].Length);
            c.Database.Add(args[1], z);
        }
        long added = 0, updated = 0;
        if (z is not null)
        {
            var flags = (nx ? ZAddFlags.NX : 0) | (xx ? ZAddFlags.XX : 0);
            for (int j = 0; j < elements; j++)
            {
                var result = z.Add(args[first + 3 * j + 2], scores[j], flags, limits, out _);
                if (result == ZAddResult.Added) added++;
                else if (result == ZAddResult.Updated) updated++;
            }
            c.Dirty(added + updated);
            if (added + updated > 0) c.Server.Events.Notify(NotifyFlags.ZSet, "zadd", c.Db, args[1]);
        }
        c.Reply.Integer(ch ? added + updated : added);
    }

    [Command("geodist", -4, Flags = "readonly", Acl = "geo", Group = "geo", Since = "3.2.0",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Returns the distance between two members of a geospatial index", Complexity = "O(log(N))",
        Arguments = ["key:key", "member1:string", "member2:string", "unit:oneof optional (m:pure-token token=M | km:pure-token token=KM | ft:pure-token token=FT | mi:pure-token token=MI)"])]
    static void GeoDist(Client c)
    {
        var args = c.Args;
        double toMeters = 1;
        if (args.Count == 5)
        {
            if (!TryUnit(c, 4, out toMeters)) return;
        }
        else if (args.Count > 5)
        {
            c.Error(Errors.Syntax);
            return;
        }
        if (!c.TryRead<SortedSet>(args[1], out var z)) return;
        if (z is null || !z.TryGetScore(args[2], out double score1) || !z.TryGetScore(args[3], out double score2))
        {
            c.Reply.Null();
            return;
        }
        var (lon1, lat1) = GeoHash.DecodeScore(score1);
        var (lon2, lat2) = GeoHash.DecodeScore(score2);
        WriteDistance(c, GeoHash.Distance(lon1, lat1, lon2, lat2) / toMeters);
    }

    [Command("geohash", -2, Flags = "readonly", Acl = "geo", Group = "geo", Since = "3.2.0",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Returns members of a geospatial index as standard geohash strings",
        Complexity = "O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
        Arguments = ["key:key", "member:string multiple"])]
    static void GeoHashCommand(Client c)
    {
        var args = c.Args;
        if (!c.TryRead<SortedSet>(args[1], out var z)) return;
        c.Reply.ArrayHeader(args.Count - 2);
        for (int j = 2; j < args.Count; j++)
        {
            if (z is not null && z.TryGetScore(args[j], out double score)) c.Reply.Bulk(GeoHash.ToBase32(score));
            else c.Reply.Null();
        }
    }

    [Command("geopos", -2, Flags = "readonly", Acl = "geo", Group = "geo", Since = "3.2.0",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Returns longitude and latitude of members of a geospatial index",
        Complexity = "O(N) where N is the number of members requested.",
        Arguments = ["key:key", "member:string multiple"])]
    static void GeoPos(Client c)
    {
        var args = c.Args;
        if (!c.TryRead<SortedSet>(args[1], out var z)) return;
        c.Reply.ArrayHeader(args.Count - 2);
        for (int j = 2; j < args.Count; j++)
        {
            if (z is not null && z.TryGetScore(args[j], out double score))
            {
                var (lon, lat) = GeoHash.DecodeScore(score);
                c.Reply.ArrayHeader(2);
                WriteCoordinate(c, lon);
                WriteCoordinate(c, lat);
            }
            else c.Reply.NullArray();
        }
    }

    [Command("georadius", -6, DocFlags = "deprecated", DeprecatedSince = "6.2.0", ReplacedBy = "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument",
        Flags = "write denyoom", Acl = "geo", Group = "geo", Since = "3.2.0",
        Keys = ["RO access; index 1; range 0 1 0", "OW update; keyword STORE 6; range 0 1 0", "OW update; keyword STOREDIST 6; range 0 1 0"],
        Summary = "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
        Complexity = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        History = ["6.2.0: Added the `ANY` option for `COUNT`.", "7.0.0: Added support for uppercase unit names."],
        Arguments = ["key:key", "longitude:double", "latitude:double", "radius:double", "unit:oneof (m:pure-token token=M | km:pure-token token=KM | ft:pure-token token=FT | mi:pure-token token=MI)", "withcoord:pure-token token=WITHCOORD optional", "withdist:pure-token token=WITHDIST optional", "withhash:pure-token token=WITHHASH optional", "count:block optional (count:integer token=COUNT | any:pure-token token=ANY since=6.2.0 optional)", "order:oneof optional (asc:pure-token token=ASC | desc:pure-token token=DESC)", "key:key token=STORE optional", "key:key token=STOREDIST optional"])]
    static void GeoRadius(Client c) => Search(c, 1, SearchKind.FromCoordinates);

    [Command("georadius_ro", -6, DocFlags = "deprecated", DeprecatedSince = "6.2.0", ReplacedBy = "`GEOSEARCH` with the `BYRADIUS` argument",
        Flags = "readonly", Acl = "geo", Group = "geo", Since = "3.2.10",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "A read-only variant for GEORADIUS",
        Complexity = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        History = ["6.2.0: Added the `ANY` option for `COUNT`."],
        Arguments = ["key:key", "longitude:double", "latitude:double", "radius:double", "unit:oneof (m:pure-token token=M | km:pure-token token=KM | ft:pure-token token=FT | mi:pure-token token=MI)", "withcoord:pure-token token=WITHCOORD optional", "withdist:pure-token token=WITHDIST optional", "withhash:pure-token token=WITHHASH optional", "count:block optional (count:integer token=COUNT | any:pure-token token=ANY since=6.2.0 optional)", "order:oneof optional (asc:pure-token token=ASC | desc:pure-token token=DESC)"])]
    static void GeoRadiusRo(Client c) => Search(c, 1, SearchKind.FromCoordinates | SearchKind.NoStore);

    [Command("georadiusbymember", -5, DocFlags = "deprecated", DeprecatedSince = "6.2.0", ReplacedBy = "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments",
        Flags = "write denyoom", Acl = "geo", Group = "geo", Since = "3.2.0",
        Keys = ["RO access; index 1; range 0 1 0", "OW update; keyword STORE 5; range 0 1 0", "OW update; keyword STOREDIST 5; range 0 1 0"],
        Summary = "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
        Complexity = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        History = ["7.0.0: Added support for uppercase unit names."],
        Arguments = ["key:key", "member:string", "radius:double", "unit:oneof (m:pure-token token=M | km:pure-token token=KM | ft:pure-token token=FT | mi:pure-token token=MI)", "withcoord:pure-token token=WITHCOORD optional", "withdist:pure-token token=WITHDIST optional", "withhash:pure-token token=WITHHASH optional", "count:block optional (count:integer token=COUNT | any:pure-token token=ANY optional)", "order:oneof optional (asc:pure-token token=ASC | desc:pure-token token=DESC)", "key:key token=STORE optional", "key:key token=STOREDIST optional"])]
    static void GeoRadiusByMember(Client c) => Search(c, 1, SearchKind.FromMember);

    [Command("georadiusbymember_ro", -5, DocFlags = "deprecated", DeprecatedSince = "6.2.0", ReplacedBy = "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments",
        Flags = "readonly", Acl = "geo", Group = "geo", Since = "3.2.10",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "A read-only variant for GEORADIUSBYMEMBER",
        Complexity = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        Arguments = ["key:key", "member:string", "radius:double", "unit:oneof (m:pure-token token=M | km:pure-token token=KM | ft:pure-token token=FT | mi:pure-token token=MI)", "withcoord:pure-token token=WITHCOORD optional", "withdist:pure-token token=WITHDIST optional", "withhash:pure-token token=WITHHASH optional", "count:block optional (count:integer token=COUNT | any:pure-token token=ANY optional)", "order:oneof optional (asc:pure-token token=ASC | desc:pure-token token=DESC)"])]
    static void GeoRadiusByMemberRo(Client c) => Search(c, 1, SearchKind.FromMember | SearchKind.NoStore);

    [Command("geosearch", -7, Flags = "readonly", Acl = "geo", Group = "geo", Since = "6.2.0",
        Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
        Complexity = "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape",
        History = ["7.0.0: Added support for uppercase unit names."],
        Arguments = ["key:key", "from:oneof (member:string token=FROMMEMBER | longitude_latitude:block token=FROMLONLAT (longitude:double | latitude:double))", "by:oneof (circle:block (radius:double token=BYRADIUS | unit:oneof (m:pure-token token=M | km:pure-token token=KM | ft:pure-token token=FT | mi:pure-token token=MI)) | box:block (width:double token=BYBOX | height:double | unit:oneof (m:pure-token token=M | km:pure-token token=KM | ft:pure-token token=FT | mi:pure-token token=MI)))", "order:oneof optional (asc:pure-token token=ASC | desc:pure-token token=DESC)", "count:block optional (count:integer token=COUNT | any:pure-token token=ANY optional)", "withcoord:pure-token token=WITHCOORD optional", "withdist:pure-token token=WITHDIST optional", "withhash:pure-token token=WITHHASH optional"])]
    static void GeoSearch(Client c) => Search(c, 1, SearchKind.GeoSearch);

    [Command("geosearchstore", -8, Flags = "write denyoom", Acl = "geo", Group = "geo", Since = "6.2.0",
        Keys = ["OW update; index 1; range 0 1 0", "RO access; index 2; range 0 1 0"],
        Summary = "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
        Complexity = "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape",
        History = ["7.0.0: Added support for uppercase unit names."],
        Arguments = ["destination:key", "source:key", "from:oneof (member:string token=FROMMEMBER | longitude_latitude:block token=FROMLONLAT (longitude:double | latitude:double))", "by:oneof (circle:block (radius:double token=BYRADIUS | unit:oneof (m:pure-token token=M | km:pure-token token=KM | ft:pure-token token=FT | mi:pure-token token=MI)) | box:block (width:double token=BYBOX | height:double | unit:oneof (m:pure-token token=M | km:pure-token token=KM | ft:pure-token token=FT | mi:pure-token token=MI)))", "order:oneof optional (asc:pure-token token=ASC | desc:pure-token token=DESC)", "count:block optional (count:integer token=COUNT | any:pure-token token=ANY optional)", "storedist:pure-token token=STOREDIST optional"])]
    static void GeoSearchStore(Client c) => Search(c, 2, SearchKind.GeoSearch | SearchKind.Store);

    [Flags]
    enum SearchKind { FromCoordinates = 1, FromMember = 2, NoStore = 4, GeoSearch = 8, Store = 16 }

    enum Order { None, Asc, Desc }

    record struct GeoPoint(double Longitude, double Latitude, double Distance, double Score, byte[] Member);

    /// <summary>The worker of every search command: parses the centre, shape and options, scans the cells around the centre, replies or stores.</summary>
    static void Search(Client c, int sourceIndex, SearchKind kind)
    {
        var args = c.Args;
        if (!c.TryRead<SortedSet>(args[sourceIndex], out var z)) return;
        var shape = new GeoShape();
        int baseArgs;
        int storeIndex = -1;
        bool storeDist = false;
        if ((kind & SearchKind.FromCoordinates) != 0)
        {
            baseArgs = 6;
            if (!TryLongLat(c, 2, out shape.Longitude, out shape.Latitude)) return;
            if (!TryRadius(c, 4, shape)) return;
        }
        else if ((kind & SearchKind.FromMember) != 0)
        {
            baseArgs = 5;
            // Without the key, parsing goes on only to learn which empty reply to give.
            if (z is not null)
            {
                if (!TryMemberPosition(c, z, 2, shape)) return;
                if (!TryRadius(c, 3, shape)) return;
            }
        }
        else
        {
            baseArgs = 2;
            if ((kind & SearchKind.Store) != 0)
            {
                baseArgs = 3;
                storeIndex = 1;
            }
        }

        bool withDist = false, withHash = false, withCoord = false, any = false;
        bool fromMember = false, fromLonLat = false, byRadius = false, byBox = false;
        var order = Order.None;
        long count = 0;
        bool geoSearch = (kind & SearchKind.GeoSearch) != 0;
        bool storeAllowed = (kind & (SearchKind.NoStore | SearchKind.GeoSearch)) == 0;
        for (int i = baseArgs; i < args.Count; i++)
        {
            int remaining = args.Count - i - 1;
            if (args.Is(i, "withdist")) withDist = true;
            else if (args.Is(i, "withhash")) withHash = true;
            else if (args.Is(i, "withcoord")) withCoord = true;
            else if (args.Is(i, "any")) any = true;
            else if (args.Is(i, "asc")) order = Order.Asc;
            else if (args.Is(i, "desc")) order = Order.Desc;
            else if (args.Is(i, "count") && remaining >= 1)
            {
                if (!c.TryLong(i + 1, out count)) return;
                if (count <= 0)
                {
                    c.Error("ERR COUNT must be > 0");
                    return;
                }
                i++;
            }
            else if ((args.Is(i, "store") || args.Is(i, "storedist")) && remaining >= 1 && storeAllowed)
            {
                storeDist = args.Is(i, "storedist");
                storeIndex = i + 1;
                i++;
            }
            else if (args.Is(i, "storedist") && (kind & SearchKind.Store) != 0) storeDist = true;
            else if (args.Is(i, "frommember") && remaining >= 1 && geoSearch && !fromLonLat)
            {
                if (z is not null && !TryMemberPosition(c, z, i + 1, shape)) return;
                fromMember = true;
                i++;
            }
            else if (args.Is(i, "fromlonlat") && remaining >= 2 && geoSearch && !fromMember)
            {
                if (!TryLongLat(c, i + 1, out shape.Longitude, out shape.Latitude)) return;
                fromLonLat = true;
                i += 2;
            }
            else if (args.Is(i, "byradius") && remaining >= 2 && geoSearch && !byBox)
            {
                if (!TryRadius(c, i + 1, shape)) return;
                byRadius = true;
                i += 2;
            }
            else if (args.Is(i, "bybox") && remaining >= 3 && geoSearch && !byRadius)
            {
                if (!TryBox(c, i + 1, shape)) return;
                byBox = true;
                i += 3;
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }

        if (storeIndex >= 0 && (withDist || withHash || withCoord))
        {
            c.Error((kind & SearchKind.Store) != 0
                ? "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
                : "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
            return;
        }
        if (geoSearch && !(fromMember || fromLonLat))
        {
            c.Error($"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {args.ToStr(0)}");
            return;
        }
        if (geoSearch && !(byRadius || byBox))
        {
            c.Error($"ERR exactly one of BYRADIUS and BYBOX can be specified for {args.ToStr(0)}");
            return;
        }
        if (any && count == 0)
        {
            c.Error("ERR the ANY argument requires COUNT argument");
            return;
        }

        if (z is null)
        {
            if (storeIndex >= 0) StoreResult(c, storeIndex, [], geoSearch);
            else c.Reply.EmptyArray();
            return;
        }
        // The nearest COUNT need an order; ANY takes whatever is found first.
        if (count != 0 && order == Order.None && !any) order = Order.Asc;

        var points = FindPoints(z, shape, any ? count : 0);
        long returned = count == 0 || points.Count < count ? points.Count : count;
        if (order != Order.None)
        {
            // A stable sort: points at equal distances keep the order in which the cells were scanned.
            var sorted = order == Order.Asc
                ? points.OrderBy(p => p.Distance).ToList()
                : points.OrderByDescending(p => p.Distance).ToList();
            points = sorted;
        }
        for (int i = 0; i < returned; i++) points[i] = points[i] with { Distance = points[i].Distance / shape.Conversion };

        if (storeIndex >= 0)
        {
            var items = new List<(byte[] Member, double Score)>((int)returned);
            for (int i = 0; i < returned; i++) items.Add((points[i].Member, storeDist ? points[i].Distance : points[i].Score));
            StoreResult(c, storeIndex, items, geoSearch);
            return;
        }
        int options = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoord ? 1 : 0);
        c.Reply.ArrayHeader(returned);
        for (int i = 0; i < returned; i++)
        {
            var p = points[i];
            if (options > 0) c.Reply.ArrayHeader(options + 1);
            c.Reply.Bulk(p.Member);
            if (withDist) WriteDistance(c, p.Distance);
            if (withHash) c.Reply.Integer((long)p.Score);
            if (withCoord)
            {
                c.Reply.ArrayHeader(2);
                WriteCoordinate(c, p.Longitude);
                WriteCoordinate(c, p.Latitude);
            }
        }
    }

    /// <summary>The members inside the shape, cell by cell in Redis's order; stops at <paramref name="limit"/> matches if it is not 0.</summary>
    static List<GeoPoint> FindPoints(SortedSet z, GeoShape shape, long limit)
    {
        var cells = GeoHash.AreasForShape(shape);
        var points = new List<GeoPoint>();
        int lastProcessed = 0;
        for (int i = 0; i < cells.Length; i++)
        {
            if (cells[i].IsZero) continue;
            // With huge radii neighbouring cells can coincide; scanning one twice would duplicate its members.
            if (lastProcessed != 0 && cells[i] == cells[lastProcessed]) continue;
            if (points.Count > 0 && limit != 0 && points.Count >= limit) break;
            ScanCell(z, cells[i], shape, points, limit);
            lastProcessed = i;
        }
        return points;
    }

    static void ScanCell(SortedSet z, GeoHashBits cell, GeoShape shape, List<GeoPoint> points, long limit)
    {
        double min = GeoHash.Align52(cell);
        double max = GeoHash.Align52(cell with { Bits = cell.Bits + 1 });
        var (start, end) = z.RankSpan(new ScoreRange(min, max, false, true));
        if (end <= start) return;
        var cursor = z.At(start, reverse: false);
        for (long n = start; n < end; n++, cursor.Next())
        {
            var (lon, lat) = GeoHash.DecodeScore(cursor.Score);
            if (GeoHash.Within(shape, lon, lat, out double distance))
                points.Add(new GeoPoint(lon, lat, distance, cursor.Score, cursor.Member.ToArray()));
            if (points.Count > 0 && limit != 0 && points.Count >= limit) break;
        }
    }

    /// <summary>Stores a search result as a sorted set (deleting the key when empty) and replies with its size.</summary>
    static void StoreResult(Client c, int keyIndex, List<(byte[] Member, double Score)> items, bool geoSearch)
    {
        var key = c.Args[keyIndex];
        if (items.Count == 0)
        {
            if (c.Database.Delete(key, c.NowMs))
            {
                c.Dirty();
                c.Server.Events.Notify(NotifyFlags.Generic, "del", c.Db, key);
            }
            c.Reply.Integer(0);
            return;
        }
        c.Database.Set(key, SortedSet.Build(items, SortedSetCommands.Limits(c)), c.NowMs);
        c.Dirty(items.Count);
        c.Server.Events.Notify(NotifyFlags.ZSet, geoSearch ? "geosearchstore" : "georadiusstore", c.Db, key);
        c.Reply.Integer(items.Count);
    }

    static bool TryLongLat(Client c, int index, out double longitude, out double latitude)
    {
        latitude = 0;
        if (!c.TryDouble(index, out longitude) || !c.TryDouble(index + 1, out latitude)) return false;
        if (longitude < GeoHash.LongMin || longitude > GeoHash.LongMax || latitude < GeoHash.LatMin || latitude > GeoHash.LatMax)
        {
            c.Error(string.Create(CultureInfo.InvariantCulture, $"ERR invalid longitude,latitude pair {longitude:F6},{latitude:F6}"));
            return false;
        }
        return true;
    }

    static bool TryMemberPosition(Client c, SortedSet z, int index, GeoShape shape)
    {
        if (!z.TryGetScore(c.Args[index], out double score))
        {
            c.Error(DecodeMemberError);
            return false;
        }
        (shape.Longitude, shape.Latitude) = GeoHash.DecodeScore(score);
        return true;
    }

    static bool TryUnit(Client c, int index, out double toMeters)
    {
        var args = c.Args;
        if (args.Is(index, "m")) toMeters = 1;
        else if (args.Is(index, "km")) toMeters = 1000;
        else if (args.Is(index, "ft")) toMeters = 0.3048;
        else if (args.Is(index, "mi")) toMeters = 1609.34;
        else
        {
            toMeters = 0;
            c.Error("ERR unsupported unit provided. please use M, KM, FT, MI");
            return false;
        }
        return true;
    }

    static bool TryRadius(Client c, int index, GeoShape shape)
    {
        if (!c.TryDouble(index, out double radius, "ERR need numeric radius")) return false;
        if (radius < 0)
        {
            c.Error("ERR radius cannot be negative");
            return false;
        }
        if (!TryUnit(c, index + 1, out shape.Conversion)) return false;
        shape.IsBox = false;
        shape.Radius = radius;
        return true;
    }

    static bool TryBox(Client c, int index, GeoShape shape)
    {
        if (!c.TryDouble(index, out double width, "ERR need numeric width") || !c.TryDouble(index + 1, out double height, "ERR need numeric height")) return false;
        if (width < 0 || height < 0)
        {
            c.Error("ERR height or width cannot be negative");
            return false;
        }
        if (!TryUnit(c, index + 2, out shape.Conversion)) return false;
        shape.IsBox = true;
        shape.Width = width;
        shape.Height = height;
        return true;
    }

    /// <summary>A distance as Redis prints it: rounded to 4 decimals (half to even, like llrint), as a bulk string.</summary>
    static void WriteDistance(Client c, double distance)
    {
        long scaled = (long)Math.Round(distance * 10000, MidpointRounding.ToEven);
        c.Reply.Bulk(string.Create(CultureInfo.InvariantCulture, $"{scaled / 10000}.{scaled % 10000:D4}"));
    }

    /// <summary>
    /// A coordinate as Redis prints it (long double "%.17Lf", trailing zeros trimmed): the exact binary value rounded
    /// to 17 decimals, which differs from the shortest round-trip text; a double in RESP3.
    /// </summary>
    static void WriteCoordinate(Client c, double value)
    {
        var text = Encoding.ASCII.GetBytes(FormatExact17(value));
        if (c.Reply.Resp3)
        {
            c.Reply.WriteRaw(","u8);
            c.Reply.WriteRaw(text);
            c.Reply.WriteRaw("\r\n"u8);
        }
        else c.Reply.Bulk(text);
    }

    static string FormatExact17(double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        bool negative = bits < 0;
        int exponent = (int)((bits >> 52) & 0x7FF);
        long fraction = bits & 0xFFFFFFFFFFFFFL;
        if (exponent == 0) exponent = 1;
        else fraction |= 1L << 52;
        exponent -= 1075;
        // |value| = fraction × 2^exponent; scale by 10^17 and round half to even.
        var scaled = new BigInteger(fraction) * BigInteger.Pow(10, 17);
        if (exponent >= 0) scaled <<= exponent;
        else
        {
            var divisor = BigInteger.One << -exponent;
            var quotient = BigInteger.DivRem(scaled, divisor, out var remainder);
            int half = (remainder * 2).CompareTo(divisor);
            if (half > 0 || (half == 0 && !quotient.IsEven)) quotient += 1;
            scaled = quotient;
        }
        string digits = scaled.ToString(CultureInfo.InvariantCulture).PadLeft(18, '0');
        string integer = digits[..^17], decimals = digits[^17..].TrimEnd('0');
        string text = decimals.Length > 0 ? integer + "." + decimals : integer;
        return negative && text != "0" ? "-" + text : text;
    }
}
