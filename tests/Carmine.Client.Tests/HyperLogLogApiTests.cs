namespace Carmine.Client.Tests;

public abstract partial class ClientApiTests
{
    [Fact]
    public async Task PfAddReportsWhetherTheEstimateChanged()
    {
        await Client.DelAsync("api:hll");
        Assert.True(await Client.PfAddAsync("api:hll", "a", "b", "c"));
        Assert.False(await Client.PfAddAsync("api:hll", "a"));
        Assert.Equal(3, await Client.PfCountAsync("api:hll"));
    }

    [Fact]
    public async Task PfCountOfSeveralKeysAndPfMerge()
    {
        await Client.DelAsync("api:hll1", "api:hll2", "api:hllm");
        await Client.PfAddAsync("api:hll1", "a", "b");
        await Client.PfAddAsync("api:hll2", "b", "c", "d");
        Assert.Equal(4, await Client.PfCountAsync("api:hll1", "api:hll2"));
        Assert.True(await Client.PfMergeAsync("api:hllm", "api:hll1", "api:hll2"));
        Assert.Equal(4, await Client.PfCountAsync("api:hllm"));
    }
}
