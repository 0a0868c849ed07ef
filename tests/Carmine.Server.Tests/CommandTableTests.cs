using Carmine.Server.Commands;

namespace Carmine.Server.Tests;

public sealed class CommandTableTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    [Fact]
    public void CommandInfoOfGetIsRedisEntry()
    {
        Assert.Equal("[[get, 2, [readonly, fast], 1, 1, 1, [@read, @string, @fast], [], " +
            "[[flags, [RO, access], begin_search, [type, index, spec, [index, 1]], find_keys, [type, range, spec, [lastkey, 0, keystep, 1, limit, 0]]]], []]]",
            r.Str("COMMAND", "INFO", "get"));
    }

    [Fact]
    public void CommandInfoOfUnknownOrTooDeepNamesIsNull()
    {
        Assert.Equal("[(nil), (nil), (nil)]", r.Str("COMMAND", "INFO", "nosuch", "get|key", "command|info|x"));
    }

    [Fact]
    public void CommandInfoFindsSubcommandsByFullName()
    {
        Assert.Equal("command|count", r.Call("COMMAND", "INFO", "COMMAND|COUNT").Items![0].Items![0].Text);
    }

    [Fact]
    public void CommandInfoOfContainerListsSubcommands()
    {
        var entry = r.Call("COMMAND", "INFO", "slowlog").Items![0];
        Assert.Equal("[slowlog|get, slowlog|help, slowlog|len, slowlog|reset]", "[" + string.Join(", ", entry.Items![9].Items!.Select(s => s.Items![0].Text)) + "]");
    }

    [Fact]
    public void CommandWithoutArgumentsListsEveryCommand()
    {
        Assert.Equal(r.Int("COMMAND", "COUNT"), r.Call("COMMAND").Items!.Length);
    }

    [Fact]
    public void CommandCountCountsTopLevelCommands()
    {
        long topLevel = r.Call("COMMAND", "LIST").Items!.Count(i => !i.Text!.Contains('|'));
        Assert.Equal(topLevel, r.Int("COMMAND", "COUNT"));
    }

    [Fact]
    public void CommandGetKeysOfGet()
    {
        Assert.Equal("[key]", r.Str("COMMAND", "GETKEYS", "get", "key"));
    }

    [Fact]
    public void CommandGetKeysAndFlagsOfGet()
    {
        Assert.Equal("[[key, [RO, access]]]", r.Str("COMMAND", "GETKEYSANDFLAGS", "get", "key"));
    }

    [Fact]
    public void CommandGetKeysAndFlagsOfSetOverwrites()
    {
        Assert.Equal("[[k1, [OW, update]]]", r.Str("COMMAND", "GETKEYSANDFLAGS", "set", "k1", "v1"));
    }

    [Fact]
    public void CommandGetKeysAndFlagsOfSetGetReads()
    {
        Assert.Equal("[[k1, [RW, access, update]]]", r.Str("COMMAND", "GETKEYSANDFLAGS", "set", "k1", "v1", "GET"));
    }

    [Fact]
    public void CommandGetKeysAndFlagsOfBitfieldGetOnlyReads()
    {
        Assert.Equal("[[k, [RO, access]]]", r.Str("COMMAND", "GETKEYSANDFLAGS", "bitfield", "k", "GET", "u8", "0"));
        Assert.Equal("[[k, [RW, access, update]]]", r.Str("COMMAND", "GETKEYSANDFLAGS", "bitfield", "k", "SET", "u8", "0", "1"));
    }

    [Fact]
    public void CommandGetKeysOfUnknownCommand()
    {
        Assert.Equal("ERR Invalid command specified", r.Str("COMMAND", "GETKEYS", "nosuch", "key"));
    }

    [Fact]
    public void CommandGetKeysOfKeylessCommand()
    {
        Assert.Equal("ERR The command has no key arguments", r.Str("COMMAND", "GETKEYS", "ping", "x"));
    }

    [Fact]
    public void CommandGetKeysWithWrongArity()
    {
        Assert.Equal("ERR Invalid number of arguments specified for command", r.Str("COMMAND", "GETKEYS", "get", "a", "b"));
    }

    [Fact]
    public void CommandListFilterByPatternIncludesSubcommands()
    {
        Assert.Equal("[slowlog, slowlog|get, slowlog|help, slowlog|len, slowlog|reset]", r.Str("COMMAND", "LIST", "FILTERBY", "PATTERN", "SLOWLOG*"));
    }

    [Fact]
    public void CommandListFilterByAclCategory()
    {
        var names = r.Call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "string").Items!.Select(i => i.Text).ToList();
        Assert.Contains("get", names);
        Assert.DoesNotContain("ping", names);
    }

    [Fact]
    public void CommandListFilterByUnknownCategoryIsEmpty()
    {
        Assert.Equal("[]", r.Str("COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"));
    }

    [Fact]
    public void CommandListWithBadFilterIsSyntaxError()
    {
        Assert.Equal("ERR syntax error", r.Str("COMMAND", "LIST", "FILTERBY", "bad", "x"));
    }

    [Fact]
    public void CommandDocsOfGet()
    {
        Assert.Equal("[get, [summary, Get the value of a key, since, 1.0.0, group, string, complexity, O(1), arguments, [[name, key, type, key, key_spec_index, 0]]]]", r.Str("COMMAND", "DOCS", "get"));
    }

    [Fact]
    public void CommandDocsShowsHistory()
    {
        var docs = r.Call("COMMAND", "DOCS", "command|info").Items![1].ToString();
        Assert.Contains("history, [[7.0.0, Allowed to be called with no argument to get info on all commands.]]", docs);
    }

    [Fact]
    public void CommandDocsSkipsUnknownNames()
    {
        Assert.Equal("[]", r.Str("COMMAND", "DOCS", "nosuch"));
    }

    [Fact]
    public void CommandHelpStartsWithUsage()
    {
        Assert.Equal("COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", r.Call("COMMAND", "HELP").Items![0].Text);
    }

    [Fact]
    public void CommandWithUnknownSubcommand()
    {
        Assert.Equal("ERR unknown subcommand 'foo'. Try COMMAND HELP.", r.Str("COMMAND", "foo"));
    }
}

/// <summary>Checks, without a server, that every [Command] declares metadata Redis's rules allow.</summary>
public sealed class CommandMetadataTests
{
    static readonly CommandTable Table = new(1);

    static IEnumerable<CommandDef> Everything() =>
        Table.All.SelectMany(c => new[] { c }.Concat(c.Subcommands?.Values ?? Enumerable.Empty<CommandDef>()));

    static readonly string[] Groups =
        ["generic", "string", "list", "set", "sorted-set", "hash", "pubsub", "transactions", "connection", "server", "scripting",
         "hyperloglog", "cluster", "sentinel", "geo", "stream", "bitmap"];

    [Fact]
    public void EveryCommandHasNonZeroArity()
    {
        Assert.Empty(Everything().Where(c => c.Arity == 0).Select(c => c.FullName));
    }

    [Fact]
    public void SubcommandsNeedAtLeastTwoArguments()
    {
        Assert.Empty(Everything().Where(c => c.Parent is not null && Math.Abs(c.Arity) < 2).Select(c => c.FullName));
    }

    [Fact]
    public void LegacyKeyRangeIsSane()
    {
        foreach (var c in Everything())
        {
            if (c.FirstKey == 0)
            {
                Assert.True(c.LastKey == 0 && c.KeyStep == 0, c.FullName);
                continue;
            }
            Assert.True(c.FirstKey >= 1 && c.KeyStep >= 1, c.FullName);
            Assert.True(c.LastKey < 0 || c.LastKey >= c.FirstKey, c.FullName);
            if (c.Arity > 0) Assert.True(c.LastKey < c.Arity, c.FullName);
        }
    }

    [Fact]
    public void KeySpecsPointPastTheCommandName()
    {
        foreach (var c in Everything())
            foreach (var s in c.KeySpecs)
            {
                if (s.BeginType == "index") Assert.True(s.BeginIndex >= 1, c.FullName);
                if (s.BeginType == "keyword") Assert.True(s.Keyword.Length > 0 && s.StartFrom != 0, c.FullName);
                if (s.FindType != "unknown") Assert.True(s.KeyStep >= 1, c.FullName);
                Assert.True(s.Flags.Count(f => f is "RO" or "RW" or "OW" or "RM") == 1 || s.Has("not_key"), c.FullName);
            }
    }

    [Fact]
    public void DocsAreComplete()
    {
        foreach (var c in Everything())
        {
            Assert.True(c.Meta.Summary.Length > 0, c.FullName);
            Assert.Contains(c.Meta.Group, Groups);
            Assert.Matches(@"^\d+\.\d+\.\d+$", c.Meta.Since);
            foreach (var h in c.Meta.History) Assert.Matches(@"^\d+\.\d+\.\d+: .+", h);
            foreach (var f in c.Meta.DocFlags.Split(' ', StringSplitOptions.RemoveEmptyEntries)) Assert.Contains(f, new[] { "deprecated", "syscmd" });
        }
    }

    [Fact]
    public void TipsAreRedisTips()
    {
        foreach (var c in Everything())
            foreach (var t in c.Meta.Tips.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                Assert.Matches("^(nondeterministic_output|nondeterministic_output_order|request_policy:(all_nodes|all_shards|multi_shard|special)|response_policy:(one_succeeded|all_succeeded|agg_logical_and|agg_logical_or|agg_min|agg_max|agg_sum|special))$", t);
    }

    [Fact]
    public void MultiKeySpecsAreMovableUnlessConsecutive()
    {
        var lmoveLike = new CommandDef(new CommandAttribute("x", 3) { Keys = ["RW access delete; index 1; range 0 1 0", "RW insert; index 2; range 0 1 0"] }, null, 1);
        var zunionLike = new CommandDef(new CommandAttribute("y", -4) { Keys = ["OW update; index 1; range 0 1 0", "RO access; index 2; keynum 0 1 1"] }, null, 1);
        Assert.Equal((1, 2, 1, false), (lmoveLike.FirstKey, lmoveLike.LastKey, lmoveLike.KeyStep, lmoveLike.Has(CommandFlags.MovableKeys)));
        Assert.Equal((1, 1, 1, true), (zunionLike.FirstKey, zunionLike.LastKey, zunionLike.KeyStep, zunionLike.Has(CommandFlags.MovableKeys)));
    }
}

public sealed class CommandArgumentTests
{
    [Fact]
    public void KeyArgumentsReferToKeySpecsInOrder()
    {
        var args = CommandArgument.ParseAll(["source:key", "destination:key", "count:integer optional"]);
        Assert.Equal((0, 1, -1), (args[0].KeySpecIndex, args[1].KeySpecIndex, args[2].KeySpecIndex));
    }

    [Fact]
    public void OneofTakesItsChoicesInParentheses()
    {
        var arg = CommandArgument.ParseAll(["condition:oneof optional since=2.6.12 (nx:pure-token token=NX | xx:pure-token token=XX)"])[0];
        Assert.Equal(("condition", "oneof", true, "2.6.12"), (arg.Name, arg.Type, arg.Optional, arg.Since));
        Assert.Equal("NX XX", string.Join(' ', arg.Children.Select(c => c.Token)));
    }

    [Fact]
    public void NamesMayContainColons()
    {
        Assert.Equal("ip:port", CommandArgument.ParseAll(["ip:port:string"])[0].Name);
    }

    [Fact]
    public void UnknownTypeIsRejected()
    {
        Assert.Throws<FormatException>(() => CommandArgument.ParseAll(["x:float"]));
    }

    [Fact]
    public void CommandDocsListsArguments()
    {
        using var server = new TestServer();
        using var r = server.Connect();
        Assert.Equal("[slowlog|get, [summary, Get the slow log's entries, since, 2.2.12, group, server, complexity, O(N) where N is the number of entries returned, " +
            "history, [[4.0.0, Added client IP address, port and name to the reply.]], arguments, [[name, count, type, integer, flags, [optional]]]]]",
            r.Str("COMMAND", "DOCS", "slowlog|get"));
    }
}

public sealed class KeySpecTests
{
    static List<int> Keys(string spec, params string[] args)
    {
        var keys = new List<int>();
        Assert.True(KeySpec.Parse(spec).FindKeys(Carmine.Protocol.ArgList.From(args), keys));
        return keys;
    }

    [Fact]
    public void KeywordSpecFindsTheKeysAfterTheKeyword()
    {
        Assert.Equal([4, 5], Keys("RO access; keyword STREAMS 1; range -1 1 2", "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"));
    }

    [Fact]
    public void KeynumSpecReadsTheKeyCount()
    {
        Assert.Equal([3, 4], Keys("RO access; index 2; keynum 0 1 1", "ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"));
    }

    [Fact]
    public void KeynumSpecWithTooFewArgumentsCannotTell()
    {
        Assert.False(KeySpec.Parse("RO access; index 2; keynum 0 1 1").FindKeys(Carmine.Protocol.ArgList.From("ZUNIONSTORE", "d", "3", "a"), []));
    }

    [Fact]
    public void UnknownSpecCannotTell()
    {
        Assert.False(KeySpec.Parse("OW update incomplete; unknown; unknown").FindKeys(Carmine.Protocol.ArgList.From("SORT", "k", "STORE", "d"), []));
    }

    [Fact]
    public void NotesFollowTheSpec()
    {
        Assert.Equal("optional GET", KeySpec.Parse("RW access update variable_flags; index 1; range 0 1 0; notes optional GET").Notes);
    }

    [Fact]
    public void UnknownFlagIsRejected()
    {
        Assert.Throws<FormatException>(() => KeySpec.Parse("XX access; index 1; range 0 1 0"));
    }
}
