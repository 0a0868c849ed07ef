using System.Text;
using Carmine.Protocol;

namespace Carmine.Protocol.Tests;

public sealed class RequestParserTests
{
    static (ParseResult Result, string[] Args, int Consumed, RequestParser Parser) Parse(string input)
    {
        var buf = Encoding.ASCII.GetBytes(input);
        var p = new RequestParser();
        var r = p.TryParse(buf, 0, buf.Length, out int consumed);
        var args = Enumerable.Range(0, p.Args.Count).Select(i => p.Args.ToStr(i)).ToArray();
        return (r, args, consumed, p);
    }

    [Fact]
    public void MultibulkRequestIsParsedWithoutCopies()
    {
        var (r, args, consumed, _) = Parse("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n");
        Assert.Equal(ParseResult.Complete, r);
        Assert.Equal(["GET", "key"], args);
        Assert.Equal(22, consumed);
    }

    [Fact]
    public void PartialRequestIsIncomplete()
    {
        Assert.Equal(ParseResult.Incomplete, Parse("*2\r\n$3\r\nGET\r\n$3\r\nke").Result);
    }

    [Fact]
    public void RequestArrivingInPiecesResumesWhereItStopped()
    {
        var full = Encoding.ASCII.GetBytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n");
        var p = new RequestParser();
        for (int len = 1; len < full.Length; len++)
            Assert.Equal(ParseResult.Incomplete, p.TryParse(full, 0, len, out _));
        Assert.Equal(ParseResult.Complete, p.TryParse(full, 0, full.Length, out int consumed));
        Assert.Equal(full.Length, consumed);
        Assert.Equal("value", p.Args.ToStr(2));
    }

    [Fact]
    public void InlineRequestSplitsOnSpacesAndQuotes()
    {
        var (r, args, _, _) = Parse("set \"a b\" 'c d' \"\\x41\\n\"\r\n");
        Assert.Equal(ParseResult.Complete, r);
        Assert.Equal(["set", "a b", "c d", "A\n"], args);
    }

    [Fact]
    public void UnbalancedQuotesAreAProtocolError()
    {
        var (r, _, _, p) = Parse("set \"a b\r\n");
        Assert.Equal(ParseResult.Error, r);
        Assert.Equal("Protocol error: unbalanced quotes in request", p.Error);
    }

    [Fact]
    public void BadBulkLengthIsAProtocolError()
    {
        var (r, _, _, p) = Parse("*1\r\n$x\r\n");
        Assert.Equal(ParseResult.Error, r);
        Assert.Equal("Protocol error: invalid bulk length", p.Error);
    }

    [Fact]
    public void WrongTypeByteIsAProtocolError()
    {
        var (r, _, _, p) = Parse("*1\r\n+foo\r\n");
        Assert.Equal(ParseResult.Error, r);
        Assert.Equal("Protocol error: expected '$', got '+'", p.Error);
    }

    [Fact]
    public void HugeMultibulkCountIsRefused()
    {
        Assert.Equal("Protocol error: invalid multibulk length", Parse("*20000000000\r\n").Parser.Error);
    }

    [Fact]
    public void UnauthenticatedClientsAreHeldToSmallRequests()
    {
        var buf = Encoding.ASCII.GetBytes("*11\r\n");
        var p = new RequestParser { Authenticated = false };
        Assert.Equal(ParseResult.Error, p.TryParse(buf, 0, buf.Length, out _));
        Assert.Equal("Protocol error: unauthenticated multibulk length", p.Error);
        var bulk = Encoding.ASCII.GetBytes("*1\r\n$100000\r\n");
        Assert.Equal(ParseResult.Error, p.TryParse(bulk, 0, bulk.Length, out _));
        Assert.Equal("Protocol error: unauthenticated bulk length", p.Error);
    }
}
