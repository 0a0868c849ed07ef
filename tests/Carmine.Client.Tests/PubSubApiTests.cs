namespace Carmine.Client.Tests;

public abstract partial class ClientApiTests
{
    [Fact]
    public async Task PubSubChannelsNumSubAndNumPat()
    {
        await using var subscriber = await Client.SubscriberAsync();
        await using var sub = await subscriber.SubscribeAsync("api:ps:a", "api:ps:b");
        await using var psub = await subscriber.PSubscribeAsync("api:pp:*");
        Assert.Equal(["api:ps:a", "api:ps:b"], (await Client.PubSubChannelsAsync("api:ps:*")).Order());
        Assert.Equal(new Dictionary<string, long> { ["api:ps:a"] = 1, ["api:ps:none"] = 0 }, await Client.PubSubNumSubAsync("api:ps:a", "api:ps:none"));
        Assert.Equal(1, await Client.PubSubNumPatAsync());
        Assert.Equal(2, await Client.PublishAsync("api:pp:x", "m") + await Client.PublishAsync("api:ps:a", "m"));
    }

    [Fact]
    public async Task ShardChannelsWithoutSubscribers()
    {
        Assert.Equal(0, await Client.SPublishAsync("api:shard", "m"));
        Assert.Empty(await Client.PubSubShardChannelsAsync());
        Assert.Empty(await Client.PubSubShardChannelsAsync("api:*"));
        Assert.Equal(new Dictionary<string, long> { ["api:shard"] = 0 }, await Client.PubSubShardNumSubAsync("api:shard"));
    }
}
