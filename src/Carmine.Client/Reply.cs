using System.Globalization;
using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>Converts replies into .NET values for the typed API; error replies become <see cref="RedisServerException"/>.</summary>
static class Reply
{
    public static RespValue Check(RespValue r) => r.IsError ? throw new RedisServerException(r.Text ?? "") : r;

    public static string? String(RespValue r) => Check(r).IsNull ? null : r.Type == RespType.Integer ? r.Integer.ToString(CultureInfo.InvariantCulture) : r.Text;
    public static byte[]? Bytes(RespValue r) => Check(r).IsNull ? null : r.Bytes;
    public static long Integer(RespValue r) => Check(r).Type switch
    {
        RespType.Integer or RespType.Boolean => r.Integer,
        RespType.Null => 0,
        _ => long.Parse(r.Text!, CultureInfo.InvariantCulture),
    };
    public static bool Bool(RespValue r) => Check(r).Type is RespType.Integer or RespType.Boolean ? r.Integer != 0 : !r.IsNull;
    /// <summary>+OK is true; a null reply (SET NX that did not set) is false.</summary>
    public static bool Ok(RespValue r) => !Check(r).IsNull;
    public static double? Double(RespValue r) => Check(r).IsNull ? null : r.Type == RespType.Integer ? r.Integer : ParseDouble(r.Text!);
    public static string?[] Strings(RespValue r) => Check(r).IsNull ? [] : r.Items!.Select(String).ToArray();
    /// <summary>Replies whose elements are never nil (SMEMBERS, KEYS, ZRANGE).</summary>
    public static string[] Members(RespValue r) => Check(r).IsNull ? [] : r.Items!.Select(i => String(i) ?? "").ToArray();

    /// <summary>A RESP3 map, or a RESP2 flat array of field, value, field, value.</summary>
    public static Dictionary<string, string> Map(RespValue r)
    {
        var result = new Dictionary<string, string>();
        if (Check(r).IsNull) return result;
        for (int i = 0; i + 1 < r.Items!.Length; i += 2) result[String(r.Items[i])!] = String(r.Items[i + 1]) ?? "";
        return result;
    }

    /// <summary>A reply of named fields of any type (XINFO, FUNCTION LIST): a RESP3 map or a RESP2 flat array of name, value, ...</summary>
    public static Dictionary<string, RespValue> Fields(RespValue r)
    {
        var result = new Dictionary<string, RespValue>();
        var items = Check(r).Items!;
        for (int i = 0; i + 1 < items.Length; i += 2) result[String(items[i])!] = items[i + 1];
        return result;
    }

    /// <summary>Members with scores: RESP2 flat pairs or RESP3 nested pairs.</summary>
    public static (string Member, double Score)[] ScoredMembers(RespValue r)
    {
        if (Check(r).IsNull) return [];
        var items = r.Items!;
        if (items.Length > 0 && items[0].Items is { } pair0 && pair0.Length == 2)
            return items.Select(p => (String(p.Items![0])!, Double(p.Items[1]) ?? 0)).ToArray();
        var result = new (string, double)[items.Length / 2];
        for (int i = 0; i < result.Length; i++) result[i] = (String(items[2 * i])!, Double(items[2 * i + 1]) ?? 0);
        return result;
    }

    static double ParseDouble(string s) => s switch
    {
        "inf" or "+inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        _ => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}
