namespace Carmine.Client.Tests;

public class RedisOptionsTests
{
    [Fact]
    public void HostPortAndDatabase()
    {
        var o = RedisOptions.Parse("redis://example.com:6380/4");
        Assert.Equal(("example.com", 6380, 4, false), (o.Host, o.Port, o.Database, o.Tls));
    }

    [Fact]
    public void DefaultsToPort6379AndDatabase0()
    {
        var o = RedisOptions.Parse("redis://localhost");
        Assert.Equal(("localhost", 6379, 0), (o.Host, o.Port, o.Database));
    }

    [Fact]
    public void UserAndPassword()
    {
        var o = RedisOptions.Parse("redis://alice:s%40cret@h:1");
        Assert.Equal(("alice", "s@cret"), (o.User, o.Password));
    }

    [Fact]
    public void PasswordWithoutUser()
    {
        var o = RedisOptions.Parse("redis://:pw@h");
        Assert.Equal((null, "pw"), (o.User, o.Password));
    }

    [Fact]
    public void RedissMeansTls()
    {
        Assert.True(RedisOptions.Parse("rediss://h:6390").Tls);
    }

    [Fact]
    public void UnixSocketWithDatabase()
    {
        var o = RedisOptions.Parse("unix:///tmp/redis.sock?db=2");
        Assert.Equal(("/tmp/redis.sock", 2), (o.UnixSocket, o.Database));
    }

    [Fact]
    public void QueryOptions()
    {
        var o = RedisOptions.Parse("redis://h/1?protocol=3&client_name=app&response_timeout=0.5&connect_timeout=2");
        Assert.Equal((3, "app", 500.0, 2000.0), (o.Protocol, o.ClientName, o.ResponseTimeout.TotalMilliseconds, o.ConnectTimeout.TotalMilliseconds));
    }

    [Fact]
    public void UnknownSchemeIsRejected()
    {
        var e = Assert.Throws<FormatException>(() => RedisOptions.Parse("http://h"));
        Assert.Equal("unknown scheme 'http' in 'http://h'; use redis://, rediss:// or unix://", e.Message);
    }

    [Fact]
    public void NonNumericDatabaseIsRejected()
    {
        Assert.Throws<FormatException>(() => RedisOptions.Parse("redis://h/abc"));
    }
}
