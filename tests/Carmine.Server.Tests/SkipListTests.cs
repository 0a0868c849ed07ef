using System.Text;
using Carmine.Server.Types;

namespace Carmine.Server.Tests;

/// <summary>Unit tests of the sorted set encodings against a plain sorted list as the model.</summary>
public sealed class SkipListTests
{
    static readonly ZSetLimits Compact = new(128, 64);
    static readonly ZSetLimits NeverCompact = new(0, 64);

    static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

    static List<(double Score, string Member)> Model(SortedSet z)
    {
        var list = new List<(double, string)>();
        for (var c = z.Iterate(); c.Valid; c.Next()) list.Add((c.Score, Encoding.ASCII.GetString(c.Member)));
        return list;
    }

    static SortedSet Filled(ZSetLimits limits, int count, int seed, List<(double Score, string Member)> model)
    {
        var random = new Random(seed);
        var z = SortedSet.Create(limits, 4);
        for (int i = 0; i < count; i++)
        {
            double score = random.Next(0, count / 4 + 1);
            string member = "m" + random.Next(0, count * 2);
            z.Add(B(member), score, ZAddFlags.None, limits, out _);
            model.RemoveAll(e => e.Member == member);
            model.Add((score, member));
        }
        model.Sort((a, b) => SortedSet.Compare(a.Score, B(a.Member), b.Score, B(b.Member)));
        return z;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void IterationFollowsScoreThenMemberOrder(bool compact)
    {
        var model = new List<(double, string)>();
        var z = Filled(compact ? Compact : NeverCompact, 100, 1, model);
        Assert.Equal(compact ? "listpack" : "skiplist", z.Encoding);
        Assert.Equal(model, Model(z));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RankMatchesThePositionInOrder(bool compact)
    {
        var model = new List<(double Score, string Member)>();
        var z = Filled(compact ? Compact : NeverCompact, 120, 2, model);
        for (int i = 0; i < model.Count; i++)
        {
            Assert.Equal(i, z.Rank(B(model[i].Member)));
            var at = z.At(i, reverse: false);
            Assert.Equal(model[i].Member, Encoding.ASCII.GetString(at.Member));
        }
        Assert.Equal(-1, z.Rank(B("absent")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ScoreRangeSpansTheMatchingRanks(bool compact)
    {
        var model = new List<(double Score, string Member)>();
        var z = Filled(compact ? Compact : NeverCompact, 120, 3, model);
        Assert.True(ScoreRange.TryParse(B("(5"), B("20"), out var range));
        var (start, end) = z.RankSpan(range);
        Assert.Equal(model.FindIndex(e => e.Score > 5), start);
        Assert.Equal(model.FindLastIndex(e => e.Score <= 20) + 1, end);
    }

    [Fact]
    public void ReverseCursorWalksDownFromARank()
    {
        var model = new List<(double Score, string Member)>();
        var z = Filled(NeverCompact, 50, 4, model);
        var names = new List<string>();
        for (var c = z.At(10, reverse: true); c.Valid; c.Next()) names.Add(Encoding.ASCII.GetString(c.Member));
        Assert.Equal(model.Take(11).Select(e => e.Member).Reverse(), names);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DeleteRangeRemovesExactlyThoseRanks(bool compact)
    {
        var model = new List<(double Score, string Member)>();
        var z = Filled(compact ? Compact : NeverCompact, 100, 5, model);
        z.DeleteRange(7, 13);
        model.RemoveRange(7, 13);
        Assert.Equal(model, Model(z));
        for (int i = 0; i < model.Count; i++) Assert.Equal(i, z.Rank(B(model[i].Member)));
    }

    [Fact]
    public void ScoreUpdatesKeepTheOrder()
    {
        var model = new List<(double Score, string Member)>();
        var z = Filled(NeverCompact, 200, 6, model);
        var random = new Random(7);
        for (int i = 0; i < 300; i++)
        {
            int pick = random.Next(model.Count);
            double score = random.Next(0, 60);
            z.Add(B(model[pick].Member), score, ZAddFlags.None, NeverCompact, out _);
            model[pick] = (score, model[pick].Member);
        }
        model.Sort((a, b) => SortedSet.Compare(a.Score, B(a.Member), b.Score, B(b.Member)));
        Assert.Equal(model, Model(z));
        for (int i = 0; i < model.Count; i++) Assert.Equal(i, z.Rank(B(model[i].Member)));
    }

    [Fact]
    public void TheCompactEncodingConvertsPastTheEntryLimit()
    {
        var limits = new ZSetLimits(4, 64);
        var z = SortedSet.Create(limits, 1);
        for (int i = 0; i < 4; i++) z.Add(B("m" + i), i, ZAddFlags.None, limits, out _);
        Assert.Equal("listpack", z.Encoding);
        z.Add(B("m4"), 4, ZAddFlags.None, limits, out _);
        Assert.Equal("skiplist", z.Encoding);
        Assert.Equal(5, z.Count);
    }

    [Fact]
    public void TheCompactEncodingConvertsForALongMember()
    {
        var z = SortedSet.Create(Compact, 1);
        z.Add(B("short"), 1, ZAddFlags.None, Compact, out _);
        z.Add(new byte[65], 2, ZAddFlags.None, Compact, out _);
        Assert.Equal("skiplist", z.Encoding);
        Assert.Equal(1, z.Rank(new byte[65]));
    }

    [Fact]
    public void BuildPicksTheEncodingFromTheLimits()
    {
        var items = new List<(byte[], double)> { (B("b"), 2), (B("a"), 1), (B("c"), 3) };
        Assert.Equal("listpack", SortedSet.Build([.. items], new ZSetLimits(3, 64)).Encoding);
        var large = SortedSet.Build([.. items], new ZSetLimits(2, 64));
        Assert.Equal("skiplist", large.Encoding);
        Assert.Equal([(1.0, "a"), (2.0, "b"), (3.0, "c")], Model(large));
    }

    [Fact]
    public void IndexScanVisitsEveryMemberWhileTheTableGrows()
    {
        var z = SortedSet.Create(NeverCompact, 2);
        for (int i = 0; i < 100; i++) z.Add(B("m" + i), i, ZAddFlags.None, NeverCompact, out _);
        var seen = new HashSet<string>();
        var nodes = new List<SkipNode>();
        ulong cursor = 0;
        int added = 100;
        do
        {
            nodes.Clear();
            cursor = z.Index!.ScanStep(cursor, nodes);
            foreach (var n in nodes) seen.Add(Encoding.ASCII.GetString(n.Member));
            z.Add(B("m" + added), added, ZAddFlags.None, NeverCompact, out _);
            added++;
        } while (cursor != 0);
        for (int i = 0; i < 100; i++) Assert.Contains("m" + i, seen);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ACopySharesNoStateWithTheOriginal(bool compact)
    {
        var limits = compact ? Compact : NeverCompact;
        var model = new List<(double Score, string Member)>();
        var z = Filled(limits, 50, 8, model);
        var copy = (SortedSet)z.DeepCopy();
        Assert.Equal(z.Encoding, copy.Encoding);
        copy.Add(B("extra"), 1, ZAddFlags.None, limits, out _);
        copy.Remove(B(model[0].Member));
        Assert.Equal(model, Model(z));
        Assert.Equal(model.Count, copy.Count);
    }
}
