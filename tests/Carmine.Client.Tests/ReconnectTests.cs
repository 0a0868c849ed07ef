namespace Carmine.Client.Tests;

/// <summary>What the client does when its server goes away and comes back; each test owns its server.</summary>
public class ReconnectTests
{
    static RedisOptions Options(ServerProcess s)
    {
        var o = RedisOptions.Parse(s.Url);
        o.ResponseTimeout = TimeSpan.FromSeconds(10);
        return o;
    }

    /// <summary>Kills the server and waits until the connections saw it go, so no command is written to a dead socket.</summary>
    static async Task KillAndNotice(ServerProcess server, params RedisConnection[] connections)
    {
        server.Kill();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (connections.Any(c => c.IsConnected) && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.DoesNotContain(connections, c => c.IsConnected);
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("carmine")]
    public async Task CommandsWorkAgainAfterTheServerRestarts(string kind)
    {
        using var server = new ServerProcess(kind);
        await using var c = await RedisClient.ConnectAsync(Options(server));
        await c.SetAsync("client:re", "before");
        await KillAndNotice(server, c.Connection);
        server.Start();
        Assert.Null(await c.GetAsync("client:re"));
        Assert.Equal(2, c.Connection.ConnectCount);
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("carmine")]
    public async Task CommandInFlightFailsWithConnectionException(string kind)
    {
        using var server = new ServerProcess(kind);
        await using var c = await RedisClient.ConnectAsync(Options(server));
        var sleeping = c.ExecuteAsync("DEBUG", "SLEEP", "5");
        await Task.Delay(200);
        server.Kill();
        var e = await Assert.ThrowsAsync<RedisConnectionException>(() => sleeping);
        Assert.StartsWith($"connection to 127.0.0.1:{server.Port} lost before the reply arrived; the command may or may not have run", e.Message);
        server.Start();
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("carmine")]
    public async Task CommandsSentWhileDownWaitForTheReconnect(string kind)
    {
        using var server = new ServerProcess(kind);
        await using var c = await RedisClient.ConnectAsync(Options(server));
        await KillAndNotice(server, c.Connection);
        var ping = c.PingAsync();
        server.Start();
        Assert.Equal("PONG", await ping);
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("carmine")]
    public async Task SubscriptionsAreRenewedAfterTheServerRestarts(string kind)
    {
        using var server = new ServerProcess(kind);
        await using var c = await RedisClient.ConnectAsync(Options(server));
        await using var subscriber = await c.SubscriberAsync();
        await using var sub = await subscriber.SubscribeAsync("client:resub");
        await using var messages = sub.GetAsyncEnumerator();
        await KillAndNotice(server, c.Connection, subscriber.Connection);
        server.Start();
        // The resubscribe races with our PUBLISH, so publish until someone is listening.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await c.PublishAsync("client:resub", "after") == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("after", messages.Current.Message);
        Assert.Equal(2, subscriber.Connection.ConnectCount);
    }

    [Fact]
    public async Task ConnectFailureNamesTheEndpoint()
    {
        var o = RedisOptions.Parse("redis://127.0.0.1:1");
        var e = await Assert.ThrowsAsync<RedisConnectionException>(() => RedisClient.ConnectAsync(o));
        Assert.StartsWith("cannot connect to 127.0.0.1:1: ", e.Message);
    }
}
