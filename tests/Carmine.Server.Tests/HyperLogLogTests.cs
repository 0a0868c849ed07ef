using System.Security.Cryptography;
using System.Text;

namespace Carmine.Server.Tests;

/// <summary>HyperLogLog commands. Expected bytes, digests and counts were taken from real redis-server 7.0.15.</summary>
public sealed class HyperLogLogTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    string Hex(string key) => Convert.ToHexStringLower(r.Call("GET", key).Bytes!);

    string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(r.Call("GET", key).Bytes!));

    [Fact]
    public void PfaddWithoutElementsCreatesAnEmptySparseHll()
    {
        Assert.Equal(1, r.Int("PFADD", "hll:empty"));
        Assert.Equal("48594c4c0100000000000000000000807fff", Hex("hll:empty"));
        Assert.Equal(0, r.Int("PFCOUNT", "hll:empty"));
    }

    [Fact]
    public void SparseBytesMatchRedisAndTheCacheIsStaleUntilCounted()
    {
        Assert.Equal(1, r.Int("PFADD", "hll:abc", "a", "b", "c"));
        Assert.Equal("48594c4c01000000000000000000008060f38050b1844bfb80425a", Hex("hll:abc"));
        Assert.Equal(3, r.Int("PFCOUNT", "hll:abc"));
        Assert.Equal("48594c4c01000000030000000000000060f38050b1844bfb80425a", Hex("hll:abc"));
    }

    [Fact]
    public void PfaddReturnsZeroWhenNoRegisterChanges()
    {
        r.Call("PFADD", "hll:same", "a", "b", "c");
        Assert.Equal(0, r.Int("PFADD", "hll:same", "a", "b", "c"));
    }

    [Fact]
    public void TheEmptyStringIsAnElement()
    {
        Assert.Equal(1, r.Int("PFADD", "hll:emptystr", ""));
        Assert.Equal("48594c4c01000000000000000000008057318468cc", Hex("hll:emptystr"));
    }

    [Fact]
    public void DecodeListsTheSparseOpcodes()
    {
        r.Call("PFADD", "hll:decode", "a", "b", "c");
        Assert.Equal("Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603", r.Str("PFDEBUG", "DECODE", "hll:decode"));
    }

    [Fact]
    public void PfmergeBytesAndCountMatchRedis()
    {
        r.Call("PFADD", "hll:m1", "a", "b", "c");
        r.Call("PFADD", "hll:m2", "foo", "bar", "zap", "a");
        Assert.Equal("48594c4c0100000000000000000000805cb3904207844858804a8e844e57", Hex("hll:m2"));
        Assert.Equal("OK", r.Str("PFMERGE", "hll:mdest", "hll:m1", "hll:m2"));
        Assert.Equal("48594c4c0100000000000000000000805cb3904207844235804621804a8e844bfb80425a", Hex("hll:mdest"));
        Assert.Equal(6, r.Int("PFCOUNT", "hll:mdest"));
    }

    [Fact]
    public void ThousandElementsStaySparseAndConvertToTheSameDenseBytes()
    {
        r.Call(["PFADD", "hll:k1000", .. Enumerable.Range(0, 1000).Select(i => $"e{i}")]);
        Assert.Equal(1906, r.Call("GET", "hll:k1000").Bytes!.Length);
        Assert.Equal("sparse", r.Str("PFDEBUG", "ENCODING", "hll:k1000"));
        Assert.Equal(1008, r.Int("PFCOUNT", "hll:k1000"));
        Assert.Equal("ab6313e24c05ff993730105e09ef76d5c0c4fcde58406d6a29d1889220a056e4", Sha256("hll:k1000"));
        Assert.Equal(1, r.Int("PFDEBUG", "TODENSE", "hll:k1000"));
        Assert.Equal("3437113f599d4733815efa1f293cb15de449136190b669a8f16a9b15a50ba82a", Sha256("hll:k1000"));
        Assert.Equal(0, r.Int("PFDEBUG", "TODENSE", "hll:k1000"));
    }

    [Fact]
    public void LargeSetsPromoteToDenseWithRedisCount()
    {
        for (int i = 0; i < 20000; i += 1000)
            r.Call(["PFADD", "hll:k20000", .. Enumerable.Range(i, 1000).Select(j => $"d{j}")]);
        Assert.Equal("dense", r.Str("PFDEBUG", "ENCODING", "hll:k20000"));
        Assert.Equal(12304, r.Call("GET", "hll:k20000").Bytes!.Length);
        Assert.Equal("779b39500b63f1df9fc631482a87890f397c74ec4b5a9ab9ddd8c68099bac3e9", Sha256("hll:k20000"));
        Assert.Equal(19978, r.Int("PFCOUNT", "hll:k20000"));
    }

    [Fact]
    public void SparseIsPromotedAtHllSparseMaxBytes()
    {
        using var server = new TestServer("--hll-sparse-max-bytes", "40");
        using var c = server.Connect();
        var lengths = new List<string>();
        for (int i = 0; i < 9; i++)
        {
            c.Call("PFADD", "hll:promote", $"x{i}");
            lengths.Add($"{c.Call("GET", "hll:promote").Bytes!.Length}:{c.Str("PFDEBUG", "ENCODING", "hll:promote")}");
        }
        Assert.Equal(["21:sparse", "24:sparse", "27:sparse", "30:sparse", "33:sparse", "36:sparse", "39:sparse", "12304:dense", "12304:dense"], lengths);
    }

    [Fact]
    public void AnHllWrittenByRedisCountsTheSame()
    {
        r.Call(B("SET"), B("hll:fromredis"), Convert.FromHexString("48594c4c0100000000000000000000805cb3904207844235804621804a8e844bfb80425a"));
        Assert.Equal(6, r.Int("PFCOUNT", "hll:fromredis"));
        Assert.Equal(0, r.Int("PFADD", "hll:fromredis", "zap"));
    }

    [Fact]
    public void PfcountOfSeveralKeysCountsTheUnionWithoutCaching()
    {
        r.Call("PFADD", "hll:u1", "a", "b", "c");
        r.Call("PFADD", "hll:u2", "b", "c", "d");
        Assert.Equal(4, r.Int("PFCOUNT", "hll:u1", "hll:u2", "hll:umissing"));
        Assert.Equal("48594c4c01000000000000000000008060f38050b1844bfb80425a", Hex("hll:u1"));
    }

    [Fact]
    public void GetregReturnsAllRegisters()
    {
        r.Call("PFADD", "hll:getreg", "a");
        var registers = r.Call("PFDEBUG", "GETREG", "hll:getreg").Items!;
        Assert.Equal(16384, registers.Length);
        Assert.Equal(1, registers.Count(v => v.Integer != 0));
    }

    [Fact]
    public void PlainStringsAreRejectedWithWrongtype()
    {
        r.Call("SET", "hll:plain", "bar");
        Assert.Equal("WRONGTYPE Key is not a valid HyperLogLog string value.", r.Str("PFADD", "hll:plain", "1"));
        Assert.Equal("WRONGTYPE Key is not a valid HyperLogLog string value.", r.Str("PFCOUNT", "hll:plain"));
        Assert.Equal("WRONGTYPE Key is not a valid HyperLogLog string value.", r.Str("PFMERGE", "hll:other", "hll:plain"));
    }

    [Fact]
    public void OtherTypesAreRejectedWithTheGenericWrongtype()
    {
        r.Call("ZADD", "hll:zset", "1", "a");
        Assert.Equal("WRONGTYPE Operation against a key holding the wrong kind of value", r.Str("PFADD", "hll:zset", "1"));
    }

    [Fact]
    public void ADenseHllOfTheWrongLengthIsRejected()
    {
        r.Call(B("SET"), B("hll:shortdense"), Convert.FromHexString("48594c4c000000000000000000000080"));
        Assert.Equal("WRONGTYPE Key is not a valid HyperLogLog string value.", r.Str("PFCOUNT", "hll:shortdense"));
    }

    [Fact]
    public void SparseOpcodesBeyondTheRegistersAreCorrupted()
    {
        r.Call(B("SET"), B("hll:tail"), Convert.FromHexString("48594c4c01000000000000000000008060f38050b1844bfb80425a68656c6c6f"));
        Assert.Equal("INVALIDOBJ Corrupted HLL object detected", r.Str("PFCOUNT", "hll:tail"));
        Assert.Equal("INVALIDOBJ Corrupted HLL object detected", r.Str("PFMERGE", "hll:taildest", "hll:tail"));
    }

    [Fact]
    public void AnXZeroCutOffAtTheEndIsReadSafely()
    {
        // The last byte starts an XZERO whose second byte is missing; Redis reads it as zero.
        r.Call(B("SET"), B("hll:cut"), Convert.FromHexString("48594c4c0100000000000000000000805c33844080ed55"));
        Assert.Equal("Z:7220 v:2,1 Z:129 v:28,2 Z:5377", r.Str("PFDEBUG", "DECODE", "hll:cut"));
        Assert.Equal("INVALIDOBJ Corrupted HLL object detected", r.Str("PFCOUNT", "hll:cut"));
    }

    [Fact]
    public void PfdebugErrors()
    {
        Assert.Equal("ERR The specified key does not exist", r.Str("PFDEBUG", "ENCODING", "hll:nokey"));
        r.Call("PFADD", "hll:dbg", "a");
        Assert.Equal("ERR Unknown PFDEBUG subcommand 'nope'", r.Str("PFDEBUG", "nope", "hll:dbg"));
        r.Call("PFDEBUG", "TODENSE", "hll:dbg");
        Assert.Equal("ERR HLL encoding is not sparse", r.Str("PFDEBUG", "DECODE", "hll:dbg"));
    }

    [Fact]
    public void WritesAreNotifiedAsPfaddEvents()
    {
        using var server = new TestServer("--notify-keyspace-events", "KEA");
        using var subscriber = server.Connect();
        using var writer = server.Connect();
        subscriber.Call("PSUBSCRIBE", "__keyevent@0__:*");
        writer.Call("PFADD", "hll:ev", "a");
        writer.Call("PFADD", "hll:ev", "a");
        writer.Call("PFMERGE", "hll:evdest", "hll:ev");
        string[] events = [.. Enumerable.Range(0, 2).Select(_ => subscriber.Read().Items!).Select(m => m[2].Text + " " + m[3].Text)];
        Assert.Equal(["__keyevent@0__:pfadd hll:ev", "__keyevent@0__:pfadd hll:evdest"], events);
    }
}
