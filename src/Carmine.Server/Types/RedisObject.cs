namespace Carmine.Server.Types;

/// <summary>A value of one of Redis's aggregate types (list, hash, set, zset, stream); strings are byte[] or <see cref="RawString"/>.</summary>
public interface IRedisObject
{
    /// <summary>The name TYPE replies with: "list", "hash", "set", "zset", "stream".</summary>
    string TypeName { get; }
    /// <summary>The name OBJECT ENCODING replies with, as Redis 7.0 reports it.</summary>
    string Encoding { get; }
}

/// <summary>Type names and encodings of any stored value.</summary>
public static class RedisObject
{
    public static string TypeName(object value) => value switch
    {
        byte[] or RawString => "string",
        IRedisObject o => o.TypeName,
        _ => "none",
    };

    public static string Encoding(object value) => value switch
    {
        byte[] b => StringValue.Encoding(b),
        RawString => "raw",
        IRedisObject o => o.Encoding,
        _ => "unknown",
    };
}
