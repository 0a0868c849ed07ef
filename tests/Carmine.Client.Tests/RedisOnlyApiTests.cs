namespace Carmine.Client.Tests;

/// <summary>Typed commands carmine-server does not have yet (FUNCTION DUMP and RESTORE): checked against redis-server.</summary>
public class RedisOnlyApiTests(RedisServerFixture f) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task FunctionDumpThenRestore()
    {
        await using var c = await RedisClient.ConnectAsync(f.Server.Url);
        await c.FunctionFlushAsync();
        await c.FunctionLoadAsync("#!lua name=dumped\nredis.register_function('dumped_f', function() return 'restored' end)");
        var payload = await c.FunctionDumpAsync();
        await c.FunctionFlushAsync();
        Assert.True(await c.FunctionRestoreAsync(payload));
        Assert.Equal("restored", (await c.FCallAsync("dumped_f", [])).Text);
        var e = await Assert.ThrowsAsync<RedisServerException>(() => c.FunctionRestoreAsync(payload));
        Assert.Equal("ERR Library dumped already exists", e.Message);
        Assert.True(await c.FunctionRestoreAsync(payload, "REPLACE"));
    }
}
