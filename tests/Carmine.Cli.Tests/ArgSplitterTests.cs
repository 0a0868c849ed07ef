using System.Text;

namespace Carmine.Cli.Tests;

public sealed class ArgSplitterTests
{
    static string[]? Split(string line) => ArgSplitter.Split(line)?.Select(Encoding.Latin1.GetString).ToArray();

    [Fact]
    public void SplitsOnWhitespace() => Assert.Equal(new string[] { "set", "k", "v" }, Split("  set k\tv  "));

    [Fact]
    public void DoubleQuotesUnderstandEscapesAndHex() => Assert.Equal(new string[] { "a b\n\u00ff\"" }, Split("\"a b\\n\\xff\\\"\""));

    [Fact]
    public void SingleQuotesOnlyEscapeTheQuote() => Assert.Equal(new string[] { "it's \\n" }, Split("'it\\'s \\n'"));

    [Fact]
    public void UnbalancedQuotesAreInvalid() => Assert.Null(Split("echo \"open"));

    [Fact]
    public void ClosingQuoteMustEndTheArgument() => Assert.Null(Split("echo \"a\"b"));

    [Fact]
    public void EmptyQuotedArgument() => Assert.Equal(new string[] { "set", "k", "" }, Split("set k \"\""));
}
