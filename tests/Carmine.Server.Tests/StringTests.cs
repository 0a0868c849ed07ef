namespace Carmine.Server.Tests;

public sealed class StringTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    [Fact]
    public void SetAndGetAnItem()
    {
        r.Call("SET", "str:x", "foobar");
        Assert.Equal("foobar", r.Str("GET", "str:x"));
    }

    [Fact]
    public void GetOfAMissingKeyIsNil()
    {
        Assert.True(r.Call("GET", "str:missing").IsNull);
    }

    [Fact]
    public void SetNxDoesNotOverwrite()
    {
        r.Call("SET", "str:nx", "1");
        Assert.True(r.Call("SET", "str:nx", "2", "NX").IsNull);
        Assert.Equal("1", r.Str("GET", "str:nx"));
    }

    [Fact]
    public void RedisCliSeesTheSameValue()
    {
        r.Call("SET", "str:cli", "hello world");
        Assert.Equal("hello world", RedisCli.Run(fixture.Server.Port, "GET", "str:cli"));
    }
}
