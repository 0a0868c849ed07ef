using System.Text;
using Carmine.Server.Types;

namespace Carmine.Server.Tests;

/// <summary>The compact encodings of hashes and sets and the points where they convert, tested on the types directly.</summary>
public sealed class HashSetEncodingTests
{
    static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

    [Fact]
    public void AHashStaysAListpackUpToMaxEntries()
    {
        var h = new HashValue();
        for (int i = 0; i < 128; i++) h.Set(B($"f{i}"), B($"{i}"), 128, 64);
        Assert.Equal("listpack", h.Encoding);
        h.Set(B("f128"), B("x"), 128, 64);
        Assert.Equal("hashtable", h.Encoding);
        Assert.Equal(129, h.Count);
        Assert.True(h.TryGet(B("f77"), out var v));
        Assert.Equal("77", Encoding.ASCII.GetString(v));
    }

    [Fact]
    public void AHashConvertsOnAValueLongerThanMaxValue()
    {
        var h = new HashValue();
        h.Set(B("a"), new byte[64], 128, 64);
        Assert.Equal("listpack", h.Encoding);
        h.Set(B("b"), new byte[65], 128, 64);
        Assert.Equal("hashtable", h.Encoding);
    }

    [Fact]
    public void AHashConvertsOnAFieldLongerThanMaxValue()
    {
        var h = new HashValue();
        h.Set(new byte[65], B("1"), 128, 64);
        Assert.Equal("hashtable", h.Encoding);
    }

    [Fact]
    public void AListpackUpdatesAndDeletesInPlace()
    {
        var h = new HashValue();
        h.Set(B("a"), B("1"), 128, 1000);
        h.Set(B("b"), new byte[300], 128, 1000);
        h.Set(B("c"), B("3"), 128, 1000);
        Assert.False(h.Set(B("b"), B("2"), 128, 1000));
        Assert.True(h.Delete(B("a")));
        Assert.False(h.Delete(B("a")));
        var pairs = new List<string>();
        foreach (var p in h) pairs.Add(Encoding.ASCII.GetString(p.Field) + "=" + Encoding.ASCII.GetString(p.Value));
        Assert.Equal(["b=2", "c=3"], pairs);
        Assert.Equal("listpack", h.Encoding);
    }

    [Fact]
    public void AHashCloneIsIndependent()
    {
        var h = new HashValue();
        h.Set(B("a"), B("1"), 128, 64);
        var copy = h.Clone();
        h.Set(B("a"), B("2"), 128, 64);
        Assert.True(copy.TryGet(B("a"), out var v));
        Assert.Equal("1", Encoding.ASCII.GetString(v));
    }

    [Fact]
    public void ASetOfIntegersIsAnIntsetUpToMaxEntries()
    {
        var s = new SetValue(B("0"));
        for (int i = 0; i < 512; i++) s.Add(B(i.ToString()), 512);
        Assert.Equal("intset", s.Encoding);
        s.Add(B("512"), 512);
        Assert.Equal("hashtable", s.Encoding);
        Assert.True(s.Contains(B("300")));
    }

    [Fact]
    public void ASetConvertsOnANonIntegerMember()
    {
        var s = new SetValue(B("1"));
        s.Add(B("1"), 512);
        Assert.Equal("intset", s.Encoding);
        s.Add(B("a"), 512);
        Assert.Equal("hashtable", s.Encoding);
        Assert.True(s.Contains(B("1")));
        Assert.True(s.Contains(1));
    }

    [Theory]
    [InlineData("01")]
    [InlineData("+1")]
    [InlineData("-0")]
    [InlineData(" 1")]
    [InlineData("213244124402402314402033402")]
    public void NonCanonicalIntegersAreNotIntsetMembers(string member)
    {
        Assert.Equal("hashtable", new SetValue(B(member)).Encoding);
    }

    [Fact]
    public void AnIntsetWidensAndStaysSorted()
    {
        var i = new IntSet();
        i.Add(5);
        i.Add(-3);
        Assert.Equal(2, i.Width);
        i.Add(100000);
        Assert.Equal(4, i.Width);
        i.Add(long.MinValue);
        Assert.Equal(8, i.Width);
        Assert.Equal([long.MinValue, -3, 5, 100000], Enumerable.Range(0, i.Count).Select(k => i[k]));
        Assert.False(i.Add(5));
        Assert.True(i.Remove(-3));
        Assert.False(i.Contains(-3));
    }

    [Fact]
    public void ADictScanReturnsEveryKeyWhileItShrinks()
    {
        var d = new ByteDict(false);
        for (int i = 0; i < 1000; i++) d.AddNew(B(i.ToString()));
        var found = new List<int>();
        var seen = new HashSet<string>();
        ulong cursor = 0;
        int steps = 0;
        do
        {
            found.Clear();
            cursor = d.ScanStep(cursor, found);
            foreach (int k in found) seen.Add(Encoding.ASCII.GetString(d.KeyAt(k)));
            if (++steps == 10)
                for (int i = 100; i < 1000; i++) d.Remove(B(i.ToString()));
        } while (cursor != 0);
        for (int i = 0; i < 100; i++) Assert.Contains(i.ToString(), seen);
    }

    [Fact]
    public void ADictRemovalKeepsTheOtherKeysReachable()
    {
        var d = new ByteDict(true);
        for (int i = 0; i < 100; i++) d.AddNew(B($"k{i}"), B($"v{i}"));
        for (int i = 0; i < 100; i += 2) Assert.True(d.Remove(B($"k{i}")));
        Assert.Equal(50, d.Count);
        for (int i = 1; i < 100; i += 2) Assert.Equal($"v{i}", Encoding.ASCII.GetString(d.ValueAt(d.Find(B($"k{i}")))));
    }
}
