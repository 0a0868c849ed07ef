namespace Carmine.Client.Tests;

public abstract partial class ClientApiTests
{
    [Fact]
    public async Task MonitorStreamsCommandsOfOtherClients()
    {
        await using var monitor = await Client.MonitorAsync();
        await using var db2 = await RedisClient.ConnectAsync(Server.Url + "/2");
        await db2.SetAsync("api:mon", "a \"b\"\n");
        await foreach (var line in monitor.WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token))
        {
            if (line.Args[0] != "SET") continue;
            Assert.Equal(["SET", "api:mon", "a \"b\"\n"], line.Args);
            Assert.Equal(2, line.Database);
            Assert.StartsWith("127.0.0.1:", line.Client);
            Assert.InRange(line.Time, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
            return;
        }
        Assert.Fail("the monitor stream ended without the SET");
    }
}

/// <summary>MONITOR lines parsed without a server.</summary>
public class MonitorLineTests
{
    [Fact]
    public void MonitorLineParsesEscapesAndLuaClients()
    {
        var line = MonitorLine.Parse("""1700000000.250000 [3 lua] "set" "k\"q" "\x00\\\r\n\t" "" """.TrimEnd())!;
        Assert.Equal(["set", "k\"q", "\0\\\r\n\t", ""], line.Args);
        Assert.Equal((3, "lua"), (line.Database, line.Client));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_250), line.Time);
        Assert.Null(MonitorLine.Parse("OK"));
    }
}
