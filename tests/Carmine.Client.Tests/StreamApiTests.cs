namespace Carmine.Client.Tests;

public abstract partial class ClientApiTests
{
    async Task<string> TwoEntries(string key)
    {
        await Client.DelAsync(key);
        await Client.XAddAsync(key, [("a", 1)], id: "1-1");
        await Client.XAddAsync(key, [("b", "two"), ("c", 3)], id: "2-1");
        return key;
    }

    [Fact]
    public async Task XAddThenXRange()
    {
        var key = await TwoEntries("api:xrange");
        var entries = await Client.XRangeAsync(key);
        Assert.Equal(["1-1", "2-1"], entries.Select(e => e.Id));
        Assert.Equal([("b", "two"), ("c", "3")], entries[1].Fields);
        Assert.Equal("1", entries[0]["a"]);
        Assert.Equal(2, await Client.XLenAsync(key));
    }

    [Fact]
    public async Task XRevRangeWithCountStartsAtTheNewest()
    {
        var key = await TwoEntries("api:xrevrange");
        Assert.Equal(["2-1"], (await Client.XRevRangeAsync(key, count: 1)).Select(e => e.Id));
    }

    [Fact]
    public async Task XAddWithNoMkStreamOnMissingKeyIsNull()
    {
        await Client.DelAsync("api:xnomk");
        Assert.Null(await Client.XAddAsync("api:xnomk", [("f", "v")], noMkStream: true));
        Assert.Equal(0, await Client.ExistsAsync("api:xnomk"));
    }

    [Fact]
    public async Task XAddWithMaxLenTrims()
    {
        await Client.DelAsync("api:xmaxlen");
        for (int i = 1; i <= 5; i++) await Client.XAddAsync("api:xmaxlen", [("n", i)], id: $"{i}-0", maxLen: 3);
        Assert.Equal(["3-0", "4-0", "5-0"], (await Client.XRangeAsync("api:xmaxlen")).Select(e => e.Id));
    }

    [Fact]
    public async Task XReadReturnsEntriesAfterTheId()
    {
        var key = await TwoEntries("api:xread");
        var read = await Client.XReadAsync([(key, "1-1")]);
        Assert.Equal(key, read.Single().Key);
        Assert.Equal(["2-1"], read[0].Entries.Select(e => e.Id));
    }

    [Fact]
    public async Task XReadWithBlockThatTimesOutIsEmpty()
    {
        var key = await TwoEntries("api:xreadblock");
        Assert.Empty(await Client.XReadAsync([(key, "$")], block: TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task XReadGroupBlocksUntilAnEntryIsAdded()
    {
        await Client.DelAsync("api:xgblock");
        await Client.XGroupCreateAsync("api:xgblock", "g", "$", mkStream: true);
        var read = Client.XReadGroupAsync("g", "c", [("api:xgblock", ">")], block: TimeSpan.FromSeconds(20));
        // The blocked read holds a pooled connection; the shared one still serves the XADD that wakes it.
        await WaitUntil(async () => (await Client.ExecuteAsync("CLIENT", "LIST")).Text!.Contains("cmd=xreadgroup"));
        await Client.XAddAsync("api:xgblock", [("f", "v")], id: "7-7");
        var got = await Bounded(read);
        Assert.Equal(("api:xgblock", "7-7"), (got[0].Key, got[0].Entries[0].Id));
    }

    [Fact]
    public async Task ConsumerGroupReadPendingAck()
    {
        var key = await TwoEntries("api:xgroup");
        Assert.True(await Client.XGroupCreateAsync(key, "g", "0"));
        var read = await Client.XReadGroupAsync("g", "c1", [(key, ">")]);
        Assert.Equal(["1-1", "2-1"], read[0].Entries.Select(e => e.Id));
        var summary = await Client.XPendingAsync(key, "g");
        Assert.Equal((2L, "1-1", "2-1"), (summary.Count, summary.LowestId, summary.HighestId));
        Assert.Equal([("c1", 2L)], summary.Consumers);
        Assert.Equal(1, await Client.XAckAsync(key, "g", "1-1", "9-9"));
        var pending = await Client.XPendingAsync(key, "g", "-", "+", 10);
        Assert.Equal(("2-1", "c1", 1L), (pending.Single().Id, pending[0].Consumer, pending[0].DeliveryCount));
    }

    [Fact]
    public async Task XPendingOfAnEmptyGroup()
    {
        var key = await TwoEntries("api:xpendempty");
        await Client.XGroupCreateAsync(key, "g", "$");
        var summary = await Client.XPendingAsync(key, "g");
        Assert.Equal((0L, (string?)null, (string?)null, 0), (summary.Count, summary.LowestId, summary.HighestId, summary.Consumers.Length));
    }

    [Fact]
    public async Task XClaimMovesAnEntryToAnotherConsumer()
    {
        var key = await TwoEntries("api:xclaim");
        await Client.XGroupCreateAsync(key, "g", "0");
        await Client.XReadGroupAsync("g", "c1", [(key, ">")]);
        var claimed = await Client.XClaimAsync(key, "g", "c2", TimeSpan.Zero, "1-1");
        Assert.Equal(("1-1", "1"), (claimed.Single().Id, claimed[0]["a"]));
        Assert.Equal(["2-1"], await Client.XClaimIdsAsync(key, "g", "c2", TimeSpan.Zero, "2-1"));
        var pending = await Client.XPendingAsync(key, "g", "-", "+", 10, consumer: "c2");
        Assert.Equal([("1-1", 2L), ("2-1", 1L)], pending.Select(p => (p.Id, p.DeliveryCount)));
    }

    [Fact]
    public async Task XAutoClaimTakesIdleEntriesAndReportsDeletedOnes()
    {
        var key = await TwoEntries("api:xautoclaim");
        await Client.XGroupCreateAsync(key, "g", "0");
        await Client.XReadGroupAsync("g", "c1", [(key, ">")]);
        await Client.XDelAsync(key, "2-1");
        var r = await Client.XAutoClaimAsync(key, "g", "c2", TimeSpan.Zero);
        Assert.Equal(("0-0", "1-1"), (r.NextId, r.Entries.Single().Id));
        Assert.Equal(["2-1"], r.DeletedIds);
    }

    [Fact]
    public async Task XInfoStreamGroupsAndConsumers()
    {
        var key = await TwoEntries("api:xinfo");
        await Client.XGroupCreateAsync(key, "g", "0");
        Assert.True(await Client.XGroupCreateConsumerAsync(key, "g", "idle"));
        await Client.XReadGroupAsync("g", "c1", [(key, ">")], count: 1);
        var info = await Client.XInfoStreamAsync(key);
        Assert.Equal((2L, "2-1", 2L, 1L, "1-1", "2-1"),
            (info.Length, info.LastGeneratedId, info.EntriesAdded, info.Groups, info.FirstEntry!.Id, info.LastEntry!.Id));
        var group = (await Client.XInfoGroupsAsync(key)).Single();
        Assert.Equal(("g", 2L, 1L, "1-1", (long?)1, (long?)1),
            (group.Name, group.Consumers, group.Pending, group.LastDeliveredId, group.EntriesRead, group.Lag));
        var consumers = await Client.XInfoConsumersAsync(key, "g");
        Assert.Equal([("c1", 1L), ("idle", 0L)], consumers.Select(c => (c.Name, c.Pending)).Order());
        Assert.Equal(1, await Client.XGroupDelConsumerAsync(key, "g", "c1"));
        Assert.True(await Client.XGroupSetIdAsync(key, "g", "0"));
        Assert.True(await Client.XGroupDestroyAsync(key, "g"));
    }

    [Fact]
    public async Task XDelAndXTrim()
    {
        await Client.DelAsync("api:xtrim");
        for (int i = 1; i <= 6; i++) await Client.XAddAsync("api:xtrim", [("n", i)], id: $"{i}-0");
        Assert.Equal(1, await Client.XDelAsync("api:xtrim", "1-0", "99-0"));
        Assert.Equal(2, await Client.XTrimAsync("api:xtrim", 3));
        Assert.Equal(1, await Client.XTrimMinIdAsync("api:xtrim", "5-0"));
        Assert.Equal(["5-0", "6-0"], (await Client.XRangeAsync("api:xtrim")).Select(e => e.Id));
    }

    [Fact]
    public async Task Resp3XReadGetsAMap()
    {
        await using var c = await RedisClient.ConnectAsync(Server.Url + "?protocol=3");
        var key = await TwoEntries("api:xread3");
        var read = await c.XReadAsync([(key, "0")], count: 1);
        Assert.Equal((key, "1-1"), (read.Single().Key, read[0].Entries.Single().Id));
        Assert.Equal(2, (await c.XInfoStreamAsync(key)).Length);
    }
}
