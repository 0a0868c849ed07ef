using System.Text;

namespace Carmine.Client;

/// <summary>
/// The commands a replica can serve: those Redis 7.0 flags READONLY (src/commands/*.json). The failover and
/// cluster clients route these by <see cref="ReadFrom"/>; every other command goes to the master.
/// </summary>
static class ReadOnlyCommands
{
    static readonly HashSet<string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        "BITCOUNT", "BITFIELD_RO", "BITPOS", "DBSIZE", "DUMP", "EVAL_RO", "EVALSHA_RO", "EXISTS", "EXPIRETIME",
        "FCALL_RO", "GEODIST", "GEOHASH", "GEOPOS", "GEORADIUS_RO", "GEORADIUSBYMEMBER_RO", "GEOSEARCH", "GET",
        "GETBIT", "GETRANGE", "HEXISTS", "HGET", "HGETALL", "HKEYS", "HLEN", "HMGET", "HRANDFIELD", "HSCAN",
        "HSTRLEN", "HVALS", "KEYS", "LCS", "LINDEX", "LLEN", "LOLWUT", "LPOS", "LRANGE", "MGET", "PEXPIRETIME",
        "PFCOUNT", "PTTL", "RANDOMKEY", "SCAN", "SCARD", "SDIFF", "SINTER", "SINTERCARD", "SISMEMBER", "SMEMBERS",
        "SMISMEMBER", "SORT_RO", "SRANDMEMBER", "SSCAN", "STRLEN", "SUBSTR", "SUNION", "TOUCH", "TTL", "TYPE",
        "XLEN", "XPENDING", "XRANGE", "XREAD", "XREVRANGE", "ZCARD", "ZCOUNT", "ZDIFF", "ZINTER", "ZINTERCARD",
        "ZLEXCOUNT", "ZMSCORE", "ZRANDMEMBER", "ZRANGE", "ZRANGEBYLEX", "ZRANGEBYSCORE", "ZRANK", "ZREVRANGE",
        "ZREVRANGEBYLEX", "ZREVRANGEBYSCORE", "ZREVRANK", "ZSCAN", "ZSCORE", "ZUNION",
    };

    /// <summary>True when the encoded command (its name first) only reads.</summary>
    public static bool Contains(byte[][] args) => args.Length > 0 && Names.Contains(Encoding.ASCII.GetString(args[0]));
}
