namespace Carmine.Server.Types;

/// <summary>A geohash cell: <see cref="Step"/> bits of latitude interleaved with as many of longitude (latitude in the even bits).</summary>
public readonly record struct GeoHashBits(ulong Bits, int Step)
{
    public bool IsZero => Bits == 0 && Step == 0;
}

/// <summary>The rectangle a geohash cell covers, in degrees.</summary>
public readonly record struct GeoArea(double LongMin, double LongMax, double LatMin, double LatMax);

/// <summary>What a geo search looks for: a circle (radius) or a box (width × height) around a centre, in the request's unit.</summary>
public sealed class GeoShape
{
    public double Longitude;
    public double Latitude;
    /// <summary>Metres per unit of the request (1 for m, 1000 for km ...).</summary>
    public double Conversion = 1;
    public bool IsBox;
    public double Radius;
    public double Width;
    public double Height;
    /// <summary>The bounding box of the shape: min longitude, min latitude, max longitude, max latitude.</summary>
    public double MinLong, MinLat, MaxLong, MaxLat;
}

/// <summary>
/// Redis's geohash: positions are stored as 52-bit interleaved hashes (26 steps) over the Web Mercator latitude range,
/// and searches scan the score ranges of the 3×3 cells around the centre at a step chosen from the radius.
/// </summary>
public static class GeoHash
{
    public const double LongMin = -180;
    public const double LongMax = 180;
    public const double LatMin = -85.05112878;
    public const double LatMax = 85.05112878;
    public const int StepMax = 26;
    /// <summary>Redis's earth radius (the quadratic mean radius of WGS-84).</summary>
    public const double EarthRadiusMeters = 6372797.560856;
    const double MercatorMax = 20037726.37;
    const double DegToRad = Math.PI / 180.0;

    /// <summary>The cell of the given step holding a point within the given latitude range; false outside the Mercator range.</summary>
    public static bool TryEncode(double longitude, double latitude, int step, double latMin, double latMax, out GeoHashBits hash)
    {
        hash = new GeoHashBits(0, step);
        if (longitude > LongMax || longitude < LongMin || latitude > LatMax || latitude < LatMin) return false;
        if (latitude < latMin || latitude > latMax) return false;
        double latOffset = (latitude - latMin) / (latMax - latMin) * (1UL << step);
        double longOffset = (longitude - LongMin) / (LongMax - LongMin) * (1UL << step);
        hash = new GeoHashBits(Interleave((uint)latOffset, (uint)longOffset), step);
        return true;
    }

    public static bool TryEncode(double longitude, double latitude, int step, out GeoHashBits hash) =>
        TryEncode(longitude, latitude, step, LatMin, LatMax, out hash);

    /// <summary>The sorted set score of a point: its 26-step hash.</summary>
    public static bool TryScore(double longitude, double latitude, out ulong score)
    {
        bool ok = TryEncode(longitude, latitude, StepMax, out var hash);
        score = Align52(hash);
        return ok;
    }

    /// <summary>A hash shifted to the 52-bit scale of scores, so a cell of any step becomes the low end of its score range.</summary>
    public static ulong Align52(GeoHashBits hash) => hash.Bits << (52 - hash.Step * 2);

    public static GeoArea Decode(GeoHashBits hash)
    {
        ulong separated = Deinterleave(hash.Bits);
        uint lat = (uint)separated, lon = (uint)(separated >> 32);
        double cells = 1UL << hash.Step;
        double latScale = LatMax - LatMin, longScale = LongMax - LongMin;
        return new GeoArea(
            LongMin + lon / cells * longScale, LongMin + (lon + 1.0) / cells * longScale,
            LatMin + lat / cells * latScale, LatMin + (lat + 1.0) / cells * latScale);
    }

    /// <summary>The point a score stands for: the centre of its 26-step cell, clamped to the valid ranges.</summary>
    public static (double Longitude, double Latitude) DecodeScore(double score)
    {
        var area = Decode(new GeoHashBits((ulong)score, StepMax));
        double lon = Math.Clamp((area.LongMin + area.LongMax) / 2, LongMin, LongMax);
        double lat = Math.Clamp((area.LatMin + area.LatMax) / 2, LatMin, LatMax);
        return (lon, lat);
    }

    /// <summary>GEOHASH's 11-character standard geohash of a score (re-encoded over latitudes ±90; the 11th character is always '0').</summary>
    public static string ToBase32(double score)
    {
        const string alphabet = "0123456789bcdefghjkmnpqrstuvwxyz";
        var (lon, lat) = DecodeScore(score);
        TryEncode(lon, lat, StepMax, -90, 90, out var hash);
        var chars = new char[11];
        for (int i = 0; i < 10; i++) chars[i] = alphabet[(int)((hash.Bits >> (52 - (i + 1) * 5)) & 0x1f)];
        chars[10] = '0';
        return new string(chars);
    }

    // Spreads the 32 bits of v to the even bit positions.
    static ulong Spread(uint v)
    {
        ulong x = v;
        x = (x | (x << 16)) & 0x0000FFFF0000FFFFUL;
        x = (x | (x << 8)) & 0x00FF00FF00FF00FFUL;
        x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FUL;
        x = (x | (x << 2)) & 0x3333333333333333UL;
        x = (x | (x << 1)) & 0x5555555555555555UL;
        return x;
    }

    // Gathers the even bits of v into 32 bits.
    static uint Gather(ulong x)
    {
        x &= 0x5555555555555555UL;
        x = (x | (x >> 1)) & 0x3333333333333333UL;
        x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FUL;
        x = (x | (x >> 4)) & 0x00FF00FF00FF00FFUL;
        x = (x | (x >> 8)) & 0x0000FFFF0000FFFFUL;
        x = (x | (x >> 16)) & 0x00000000FFFFFFFFUL;
        return (uint)x;
    }

    static ulong Interleave(uint lat, uint lon) => Spread(lat) | (Spread(lon) << 1);

    // Latitude in the low 32 bits, longitude in the high 32.
    static ulong Deinterleave(ulong bits) => Gather(bits) | ((ulong)Gather(bits >> 1) << 32);

    // Moves a cell by one along longitude (odd bits) or latitude (even bits), wrapping around at the edges.
    static GeoHashBits Move(GeoHashBits hash, int dLong, int dLat)
    {
        ulong bits = hash.Bits;
        int shift = 64 - hash.Step * 2;
        if (dLong != 0) bits = MoveAxis(bits, 0xAAAAAAAAAAAAAAAAUL, 0x5555555555555555UL, shift, dLong);
        if (dLat != 0) bits = MoveAxis(bits, 0x5555555555555555UL, 0xAAAAAAAAAAAAAAAAUL, shift, dLat);
        return hash with { Bits = bits };
    }

    // Adds ±1 to the bits of one axis: the other axis's bit positions are filled so that carries run through them.
    static ulong MoveAxis(ulong bits, ulong axisMask, ulong otherMask, int shift, int d)
    {
        ulong axis = bits & axisMask, other = bits & otherMask;
        ulong fill = otherMask >> shift;
        if (d > 0) axis += fill + 1;
        else
        {
            axis |= fill;
            axis -= fill + 1;
        }
        axis &= axisMask >> shift;
        return axis | other;
    }

    /// <summary>
    /// The cells to scan for a shape, in Redis's order: the centre cell, then north, south, east, west, north-east,
    /// north-west, south-east, south-west. Cells that cannot hold a match are zero.
    /// </summary>
    public static GeoHashBits[] AreasForShape(GeoShape shape)
    {
        SetBoundingBox(shape);
        double radius = shape.IsBox
            ? Math.Sqrt(shape.Width / 2 * (shape.Width / 2) + shape.Height / 2 * (shape.Height / 2))
            : shape.Radius;
        radius *= shape.Conversion;
        int steps = EstimateSteps(radius, shape.Latitude);
        TryEncode(shape.Longitude, shape.Latitude, steps, out var hash);
        var area = Decode(hash);
        var cells = Neighbours(hash);
        // The estimated step can leave a cell next to the centre too narrow to reach the bounding box's edge.
        if (steps > 1 && (Decode(cells[1]).LatMax < shape.MaxLat || Decode(cells[2]).LatMin > shape.MinLat
                          || Decode(cells[3]).LongMax < shape.MaxLong || Decode(cells[4]).LongMin > shape.MinLong))
        {
            steps--;
            TryEncode(shape.Longitude, shape.Latitude, steps, out hash);
            area = Decode(hash);
            cells = Neighbours(hash);
        }
        if (steps >= 2)
        {
            if (area.LatMin < shape.MinLat) Zero(cells, 2, 7, 8);
            if (area.LatMax > shape.MaxLat) Zero(cells, 1, 5, 6);
            if (area.LongMin < shape.MinLong) Zero(cells, 4, 8, 6);
            if (area.LongMax > shape.MaxLong) Zero(cells, 3, 7, 5);
        }
        return cells;
    }

    static void Zero(GeoHashBits[] cells, int a, int b, int c) => cells[a] = cells[b] = cells[c] = default;

    static GeoHashBits[] Neighbours(GeoHashBits hash) =>
    [
        hash, Move(hash, 0, 1), Move(hash, 0, -1), Move(hash, 1, 0), Move(hash, -1, 0),
        Move(hash, 1, 1), Move(hash, -1, 1), Move(hash, 1, -1), Move(hash, -1, -1),
    ];

    /// <summary>The coarsest step whose cells still cover the radius, a little coarser near the poles.</summary>
    static int EstimateSteps(double rangeMeters, double latitude)
    {
        if (rangeMeters == 0) return 26;
        int step = 1;
        while (rangeMeters < MercatorMax)
        {
            rangeMeters *= 2;
            step++;
        }
        step -= 2;
        if (latitude > 66 || latitude < -66)
        {
            step--;
            if (latitude > 80 || latitude < -80) step--;
        }
        return Math.Clamp(step, 1, 26);
    }

    static void SetBoundingBox(GeoShape shape)
    {
        double height = shape.Conversion * (shape.IsBox ? shape.Height / 2 : shape.Radius);
        double width = shape.Conversion * (shape.IsBox ? shape.Width / 2 : shape.Radius);
        double latDelta = height / EarthRadiusMeters / DegToRad;
        double longDeltaTop = width / EarthRadiusMeters / Math.Cos((shape.Latitude + latDelta) * DegToRad) / DegToRad;
        double longDeltaBottom = width / EarthRadiusMeters / Math.Cos((shape.Latitude - latDelta) * DegToRad) / DegToRad;
        // The edge nearer the pole is the wider one: the top in the north, the bottom in the south.
        double longDelta = shape.Latitude < 0 ? longDeltaBottom : longDeltaTop;
        shape.MinLong = shape.Longitude - longDelta;
        shape.MaxLong = shape.Longitude + longDelta;
        shape.MinLat = shape.Latitude - latDelta;
        shape.MaxLat = shape.Latitude + latDelta;
    }

    static double LatDistance(double lat1, double lat2) => EarthRadiusMeters * Math.Abs(lat2 * DegToRad - lat1 * DegToRad);

    /// <summary>The haversine distance in metres between two points.</summary>
    public static double Distance(double lon1, double lat1, double lon2, double lat2)
    {
        double lon1r = lon1 * DegToRad, lon2r = lon2 * DegToRad;
        double v = Math.Sin((lon2r - lon1r) / 2);
        if (v == 0.0) return LatDistance(lat1, lat2);
        double lat1r = lat1 * DegToRad, lat2r = lat2 * DegToRad;
        double u = Math.Sin((lat2r - lat1r) / 2);
        double a = u * u + Math.Cos(lat1r) * Math.Cos(lat2r) * v * v;
        return 2.0 * EarthRadiusMeters * Math.Asin(Math.Sqrt(a));
    }

    /// <summary>Whether a point lies in the shape; if so, its distance in metres from the centre.</summary>
    public static bool Within(GeoShape shape, double longitude, double latitude, out double distance)
    {
        distance = 0;
        if (!shape.IsBox)
        {
            distance = Distance(shape.Longitude, shape.Latitude, longitude, latitude);
            return distance <= shape.Radius * shape.Conversion;
        }
        if (LatDistance(latitude, shape.Latitude) > shape.Height * shape.Conversion / 2) return false;
        if (Distance(longitude, latitude, shape.Longitude, latitude) > shape.Width * shape.Conversion / 2) return false;
        distance = Distance(shape.Longitude, shape.Latitude, longitude, latitude);
        return true;
    }
}
