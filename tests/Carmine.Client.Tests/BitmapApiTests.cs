namespace Carmine.Client.Tests;

public abstract partial class ClientApiTests
{
    [Fact]
    public async Task SetBitReturnsTheOldBit()
    {
        await Client.DelAsync("api:bit");
        Assert.False(await Client.SetBitAsync("api:bit", 7, true));
        Assert.True(await Client.SetBitAsync("api:bit", 7, true));
        Assert.True(await Client.GetBitAsync("api:bit", 7));
        Assert.False(await Client.GetBitAsync("api:bit", 100));
        Assert.Equal("\u0001", await Client.GetAsync("api:bit"));
    }

    [Fact]
    public async Task BitCountWholeByteRangeAndBitRange()
    {
        await Client.SetAsync("api:bitcount", "foobar");
        Assert.Equal(26, await Client.BitCountAsync("api:bitcount"));
        Assert.Equal(6, await Client.BitCountAsync("api:bitcount", 1, 1));
        Assert.Equal(17, await Client.BitCountAsync("api:bitcount", 5, 30, BitUnit.Bit));
    }

    [Fact]
    public async Task BitPosFindsSetAndClearBits()
    {
        await Client.SetAsync("api:bitpos", new byte[] { 0xff, 0xf0, 0x00 });
        Assert.Equal(12, await Client.BitPosAsync("api:bitpos", false));
        await Client.SetAsync("api:bitpos", new byte[] { 0x00, 0xff, 0xf0 });
        Assert.Equal(8, await Client.BitPosAsync("api:bitpos", true, 0));
        Assert.Equal(16, await Client.BitPosAsync("api:bitpos", true, 2));
        Assert.Equal(17, await Client.BitPosAsync("api:bitpos", true, 17, -1, BitUnit.Bit));
        await Client.SetAsync("api:bitpos", new byte[] { 0xff });
        Assert.Equal(8, await Client.BitPosAsync("api:bitpos", false, 0));
        Assert.Equal(-1, await Client.BitPosAsync("api:bitpos", false, 0, -1));
    }

    [Fact]
    public async Task BitOpAndOrXorNot()
    {
        await Client.SetAsync("api:bitop1", new byte[] { 0b1100 });
        await Client.SetAsync("api:bitop2", new byte[] { 0b1010, 0xff });
        Assert.Equal(2, await Client.BitOpAsync(BitOperation.And, "api:bitopd", "api:bitop1", "api:bitop2"));
        Assert.Equal(new byte[] { 0b1000, 0 }, await Client.GetBytesAsync("api:bitopd"));
        await Client.BitOpAsync(BitOperation.Or, "api:bitopd", "api:bitop1", "api:bitop2");
        Assert.Equal(new byte[] { 0b1110, 0xff }, await Client.GetBytesAsync("api:bitopd"));
        await Client.BitOpAsync(BitOperation.Xor, "api:bitopd", "api:bitop1", "api:bitop2");
        Assert.Equal(new byte[] { 0b0110, 0xff }, await Client.GetBytesAsync("api:bitopd"));
        await Client.BitOpAsync(BitOperation.Not, "api:bitopd", "api:bitop1");
        Assert.Equal(new byte[] { 0xf3 }, await Client.GetBytesAsync("api:bitopd"));
    }

    [Fact]
    public async Task BitFieldSetIncrByAndOverflow()
    {
        await Client.DelAsync("api:bitfield");
        Assert.Equal(new long?[] { 0, 200 }, await Client.BitFieldAsync("api:bitfield", new BitField().Set("u8", 0, 200).Get("u8", 0)));
        Assert.Equal(new long?[] { 255, null }, await Client.BitFieldAsync("api:bitfield",
            new BitField().Overflow(BitFieldOverflow.Sat).IncrBy("u8", 0, 100).Overflow(BitFieldOverflow.Fail).IncrBy("u8", 0, 1)));
        Assert.Equal(new long?[] { 44 }, await Client.BitFieldAsync("api:bitfield", new BitField().IncrBy("u8", 0, 45)));
        Assert.Equal(new long?[] { 44, 0 }, await Client.BitFieldAsync("api:bitfield", new BitField().Get("u8", 0).Get("i4", "#3")));
    }
}
