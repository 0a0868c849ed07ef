namespace Carmine.Client.Tests;

/// <summary>Client features whose server side carmine-server does not have yet (scripting, Unix sockets): checked against redis-server.</summary>
public class RedisOnlyTests(RedisServerFixture f) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task ScriptFallsBackToEvalOnNoScript()
    {
        await using var c = await RedisClient.ConnectAsync(f.Server.Url);
        await c.ExecuteAsync("SCRIPT", "FLUSH");
        var script = new LuaScript("return redis.call('SET', KEYS[1], ARGV[1])");
        Assert.Equal("OK", (await script.EvaluateAsync(c, ["client:lua"], "v1")).Text);
        Assert.Equal(1, (await c.ExecuteAsync("SCRIPT", "EXISTS", script.Sha1)).Items![0].Integer);
        Assert.Equal("OK", (await script.EvaluateAsync(c, ["client:lua"], "v2")).Text);
        Assert.Equal("v2", await c.GetAsync("client:lua"));
    }

    [Fact]
    public async Task UnixSocketConnection()
    {
        string path = Path.Combine(Path.GetTempPath(), $"carmine-client-{Guid.NewGuid():N}.sock");
        using var server = new ServerProcess("redis", "--unixsocket", path);
        await using var c = await RedisClient.ConnectAsync($"unix://{path}?db=1");
        await c.SetAsync("client:unix", "u");
        await using var tcp = await RedisClient.ConnectAsync(server.Url + "/1");
        Assert.Equal("u", await tcp.GetAsync("client:unix"));
    }
}
