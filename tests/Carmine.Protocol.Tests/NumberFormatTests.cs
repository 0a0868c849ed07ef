using System.Text;
using Carmine.Protocol;

namespace Carmine.Protocol.Tests;

public sealed class NumberFormatTests
{
    [Theory]
    [InlineData("0", true, 0)]
    [InlineData("-1", true, -1)]
    [InlineData("9223372036854775807", true, long.MaxValue)]
    [InlineData("-9223372036854775808", true, long.MinValue)]
    [InlineData("9223372036854775808", false, 0)]
    [InlineData("01", false, 0)]
    [InlineData("+1", false, 0)]
    [InlineData(" 1", false, 0)]
    [InlineData("-0", false, 0)]
    [InlineData("", false, 0)]
    public void IntegersAreParsedStrictlyLikeString2ll(string text, bool ok, long value)
    {
        Assert.Equal(ok, NumberFormat.TryParseInt64(Encoding.ASCII.GetBytes(text), out long v));
        if (ok) Assert.Equal(value, v);
    }

    [Theory]
    [InlineData(1.1, "1.1000000000000001")]
    [InlineData(3.0, "3")]
    [InlineData(-0.5, "-0.5")]
    [InlineData(1e20, "1e+20")]
    [InlineData(1.5e-7, "1.4999999999999999e-07")]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NegativeInfinity, "-inf")]
    public void DoublesAreFormattedLikePercent17g(double value, string expected)
    {
        Assert.Equal(expected, NumberFormat.FormatDouble(value));
    }

    [Theory]
    [InlineData(10.6, "10.6")]
    [InlineData(5000.0, "5000")]
    [InlineData(1e20, "100000000000000000000")]
    [InlineData(-0.0, "0")]
    public void IncrByFloatResultsArePrintedInFixedNotation(double value, string expected)
    {
        Assert.Equal(expected, NumberFormat.FormatHuman(value));
    }

    [Theory]
    [InlineData("1.5", true)]
    [InlineData("inf", true)]
    [InlineData("-inf", true)]
    [InlineData("nan", false)]
    [InlineData(" 1", false)]
    [InlineData("1 ", false)]
    [InlineData("1e400", false)]
    [InlineData("abc", false)]
    public void DoublesAreParsedLikeStrtod(string text, bool ok)
    {
        Assert.Equal(ok, NumberFormat.TryParseDouble(Encoding.ASCII.GetBytes(text), out _));
    }
}
