namespace Carmine.Server.Tests;

public sealed class KeyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    [Fact]
    public void DelReturnsTheNumberOfKeysRemoved()
    {
        r.Call("SET", "key:del1", "a");
        r.Call("SET", "key:del2", "b");
        Assert.Equal(2, r.Int("DEL", "key:del1", "key:del2", "key:del3"));
        Assert.Equal(0, r.Int("EXISTS", "key:del1", "key:del2"));
    }

    [Fact]
    public void UnlinkDeletesLikeDel()
    {
        r.Call("SET", "key:unlink", "a");
        Assert.Equal(1, r.Int("UNLINK", "key:unlink", "key:unlink"));
        Assert.True(r.Call("GET", "key:unlink").IsNull);
    }

    [Fact]
    public void ExistsCountsARepeatedKeyEachTime()
    {
        r.Call("SET", "key:exists", "a");
        Assert.Equal(2, r.Int("EXISTS", "key:exists", "key:exists", "key:nokey"));
    }

    [Fact]
    public void TypeOfAStringAndOfAMissingKey()
    {
        r.Call("SET", "key:type", "a");
        Assert.Equal("string", r.Str("TYPE", "key:type"));
        Assert.Equal("none", r.Str("TYPE", "key:notype"));
    }

    [Fact]
    public void RenameMovesTheValueAndItsTtl()
    {
        r.Call("DEL", "key:ren-dst");
        r.Call("SET", "key:ren-src", "hello", "EX", "100");
        Assert.Equal("OK", r.Str("RENAME", "key:ren-src", "key:ren-dst"));
        Assert.Equal("hello", r.Str("GET", "key:ren-dst"));
        Assert.InRange(r.Int("TTL", "key:ren-dst"), 95, 100);
        Assert.Equal(0, r.Int("EXISTS", "key:ren-src"));
    }

    [Fact]
    public void RenameDoesNotInheritTheTargetsTtl()
    {
        r.Call("SET", "key:ren2-src", "a");
        r.Call("SET", "key:ren2-dst", "b", "EX", "100");
        r.Call("RENAME", "key:ren2-src", "key:ren2-dst");
        Assert.Equal(-1, r.Int("TTL", "key:ren2-dst"));
        Assert.Equal("a", r.Str("GET", "key:ren2-dst"));
    }

    [Fact]
    public void RenameOfAMissingKeyIsAnError()
    {
        Assert.Equal("ERR no such key", r.Str("RENAME", "key:ren-none", "key:ren-none2"));
        Assert.Equal("ERR no such key", r.Str("RENAME", "key:ren-none", "key:ren-none"));
    }

    [Fact]
    public void RenameOfAKeyToItselfIsOkAndRenameNxIsZero()
    {
        r.Call("SET", "key:self", "a");
        Assert.Equal("OK", r.Str("RENAME", "key:self", "key:self"));
        Assert.Equal(0, r.Int("RENAMENX", "key:self", "key:self"));
        Assert.Equal("a", r.Str("GET", "key:self"));
    }

    [Fact]
    public void RenameNxDoesNotOverwrite()
    {
        r.Call("SET", "key:rnx-src", "a");
        r.Call("SET", "key:rnx-dst", "b");
        Assert.Equal(0, r.Int("RENAMENX", "key:rnx-src", "key:rnx-dst"));
        Assert.Equal("b", r.Str("GET", "key:rnx-dst"));
        r.Call("DEL", "key:rnx-dst");
        Assert.Equal(1, r.Int("RENAMENX", "key:rnx-src", "key:rnx-dst"));
        Assert.Equal("a", r.Str("GET", "key:rnx-dst"));
    }

    [Fact]
    public void CopyDuplicatesTheValueAndTtl()
    {
        r.Call("DEL", "key:copy-dst");
        r.Call("SET", "key:copy-src", "foobar", "EX", "100");
        Assert.Equal(1, r.Int("COPY", "key:copy-src", "key:copy-dst"));
        Assert.Equal("foobar", r.Str("GET", "key:copy-dst"));
        Assert.InRange(r.Int("TTL", "key:copy-dst"), 95, 100);
        r.Call("SET", "key:copy-dst", "changed");
        Assert.Equal("foobar", r.Str("GET", "key:copy-src"));
    }

    [Fact]
    public void CopyWithoutTtlCreatesNone()
    {
        r.Call("SET", "key:copy2-src", "a");
        r.Call("COPY", "key:copy2-src", "key:copy2-dst", "REPLACE");
        Assert.Equal(-1, r.Int("TTL", "key:copy2-dst"));
    }

    [Fact]
    public void CopyReplacesOnlyWithReplace()
    {
        r.Call("SET", "key:copy3-src", "new");
        r.Call("SET", "key:copy3-dst", "old");
        Assert.Equal(0, r.Int("COPY", "key:copy3-src", "key:copy3-dst"));
        Assert.Equal("old", r.Str("GET", "key:copy3-dst"));
        Assert.Equal(1, r.Int("COPY", "key:copy3-src", "key:copy3-dst", "REPLACE"));
        Assert.Equal("new", r.Str("GET", "key:copy3-dst"));
    }

    [Fact]
    public void CopyOfAHashIsIndependent()
    {
        r.Call("DEL", "key:hcopy", "key:hcopy2");
        r.Call("HSET", "key:hcopy", "f", "v");
        Assert.Equal(1, r.Int("COPY", "key:hcopy", "key:hcopy2"));
        r.Call("HSET", "key:hcopy2", "g", "w");
        Assert.Equal(1, r.Int("HLEN", "key:hcopy"));
        Assert.Equal("[f, v, g, w]", r.Str("HGETALL", "key:hcopy2"));
        Assert.Equal("listpack", r.Str("OBJECT", "ENCODING", "key:hcopy2"));
    }

    [Fact]
    public void CopyOfASetKeepsItsEncodingAndIsIndependent()
    {
        r.Call("DEL", "key:scopy", "key:scopy2", "key:scopy3", "key:scopy4");
        r.Call("SADD", "key:scopy", "1", "2", "3");
        r.Call("SADD", "key:scopy3", "1", "a");
        r.Call("COPY", "key:scopy", "key:scopy2");
        r.Call("COPY", "key:scopy3", "key:scopy4");
        Assert.Equal("intset", r.Str("OBJECT", "ENCODING", "key:scopy2"));
        Assert.Equal("hashtable", r.Str("OBJECT", "ENCODING", "key:scopy4"));
        r.Call("SREM", "key:scopy2", "1");
        r.Call("SADD", "key:scopy4", "b");
        Assert.Equal(3, r.Int("SCARD", "key:scopy"));
        Assert.Equal(2, r.Int("SCARD", "key:scopy3"));
        Assert.Equal(3, r.Int("SCARD", "key:scopy4"));
    }

    [Fact]
    public void CopyOfASortedSetIsIndependent()
    {
        r.Call("DEL", "key:zcopy", "key:zcopy2");
        r.Call("ZADD", "key:zcopy", "1", "a", "2", "b");
        r.Call("COPY", "key:zcopy", "key:zcopy2");
        r.Call("ZADD", "key:zcopy2", "3", "c");
        Assert.Equal(2, r.Int("ZCARD", "key:zcopy"));
        Assert.Equal("[a, b, c]", r.Str("ZRANGE", "key:zcopy2", "0", "-1"));
    }

    [Fact]
    public void CopyToAnotherDatabase()
    {
        r.Call("SET", "key:copydb", "v");
        Assert.Equal(1, r.Int("COPY", "key:copydb", "key:copydb", "DB", "3", "REPLACE"));
        r.Call("SELECT", "3");
        Assert.Equal("v", r.Str("GET", "key:copydb"));
    }

    [Fact]
    public void CopyErrors()
    {
        r.Call("SET", "key:copyerr", "v");
        Assert.Equal("ERR source and destination objects are the same", r.Str("COPY", "key:copyerr", "key:copyerr"));
        Assert.Equal("ERR DB index is out of range", r.Str("COPY", "key:copyerr", "x", "DB", "99"));
        Assert.Equal("ERR value is not an integer or out of range", r.Str("COPY", "key:copyerr", "x", "DB", "notanumber"));
        Assert.Equal("ERR syntax error", r.Str("COPY", "key:copyerr", "x", "FOO"));
        Assert.Equal(0, r.Int("COPY", "key:copy-none", "x"));
    }

    [Fact]
    public void MoveCarriesTheTtlToTheTargetDatabase()
    {
        r.Call("SELECT", "4");
        r.Call("DEL", "key:move");
        r.Call("SELECT", "0");
        r.Call("SET", "key:move", "foo", "EX", "100");
        Assert.Equal(1, r.Int("MOVE", "key:move", "4"));
        Assert.Equal(-2, r.Int("TTL", "key:move"));
        r.Call("SELECT", "4");
        Assert.InRange(r.Int("TTL", "key:move"), 95, 100);
        Assert.Equal("foo", r.Str("GET", "key:move"));
    }

    [Fact]
    public void MoveRefusesAKeyPresentInTheTarget()
    {
        r.Call("SELECT", "5");
        r.Call("SET", "key:move2", "there");
        r.Call("SELECT", "0");
        r.Call("SET", "key:move2", "here");
        Assert.Equal(0, r.Int("MOVE", "key:move2", "5"));
        Assert.Equal("here", r.Str("GET", "key:move2"));
    }

    [Fact]
    public void MoveErrors()
    {
        r.Call("SET", "key:move3", "v");
        Assert.Equal("ERR source and destination objects are the same", r.Str("MOVE", "key:move3", "0"));
        Assert.Equal("ERR DB index is out of range", r.Str("MOVE", "key:move3", "16"));
        Assert.Equal("ERR value is not an integer or out of range", r.Str("MOVE", "key:move3", "notanumber"));
        Assert.Equal("ERR value is out of range, value must between -2147483648 and 2147483647", r.Str("MOVE", "key:move3", "2147483648"));
        Assert.Equal(0, r.Int("MOVE", "key:move-none", "1"));
    }

    [Fact]
    public void TouchCountsTheExistingKeys()
    {
        r.Call("SET", "key:touch1", "1");
        r.Call("SET", "key:touch2", "2");
        Assert.Equal(2, r.Int("TOUCH", "key:touch0", "key:touch1", "key:touch2", "key:touch3"));
    }

    [Fact]
    public void KeysMatchesAPattern()
    {
        foreach (var k in new[] { "key:kp:x", "key:kp:y", "key:kp:foo_a", "key:kp:foo_b" }) r.Call("SET", k, "hello");
        var keys = r.Call("KEYS", "key:kp:foo*").Items!.Select(i => i.Text!).Order().ToArray();
        Assert.Equal(["key:kp:foo_a", "key:kp:foo_b"], keys);
    }

    [Fact]
    public void AnExpiredKeyIsNotObservable()
    {
        r.Call("SET", "key:gone", "v");
        r.Call("PEXPIRE", "key:gone", "1");
        Thread.Sleep(20);
        Assert.Empty(r.Call("KEYS", "key:gone").Items!);
        Assert.Equal(0, r.Int("EXISTS", "key:gone"));
        Assert.Equal("none", r.Str("TYPE", "key:gone"));
        Assert.Equal(-2, r.Int("TTL", "key:gone"));
        Assert.Equal(0, r.Int("PERSIST", "key:gone"));
    }

    [Fact]
    public void ExpireSetsTheTimeToLive()
    {
        r.Call("SET", "key:exp", "v");
        Assert.Equal(1, r.Int("EXPIRE", "key:exp", "100"));
        Assert.Equal(100, r.Int("TTL", "key:exp"));
        Assert.InRange(r.Int("PTTL", "key:exp"), 99_000, 100_000);
        Assert.Equal(0, r.Int("EXPIRE", "key:exp-none", "100"));
    }

    [Fact]
    public void ExpireTimeReturnsTheAbsoluteTime()
    {
        r.Call("SET", "key:exptime", "v");
        Assert.Equal(1, r.Int("PEXPIREAT", "key:exptime", "4000000000123"));
        Assert.Equal(4000000000, r.Int("EXPIRETIME", "key:exptime"));
        Assert.Equal(4000000000123, r.Int("PEXPIRETIME", "key:exptime"));
    }

    [Fact]
    public void TtlFamilyRepliesMinusOneWithoutExpiryAndMinusTwoWithoutKey()
    {
        r.Call("SET", "key:noexp", "v");
        foreach (var cmd in new[] { "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME" })
        {
            Assert.Equal(-1, r.Int(cmd, "key:noexp"));
            Assert.Equal(-2, r.Int(cmd, "key:nokey"));
        }
    }

    [Fact]
    public void ExpireInThePastDeletesTheKey()
    {
        r.Call("SET", "key:past1", "v");
        r.Call("SET", "key:past2", "v");
        Assert.Equal(1, r.Int("EXPIRE", "key:past1", "-10"));
        Assert.Equal(1, r.Int("EXPIREAT", "key:past2", "1"));
        Assert.Equal(0, r.Int("EXISTS", "key:past1", "key:past2"));
    }

    [Fact]
    public void ExpireNxSetsOnlyWithoutExpiry()
    {
        r.Call("SET", "key:nx", "v", "EX", "100");
        Assert.Equal(0, r.Int("EXPIRE", "key:nx", "200", "NX"));
        r.Call("SET", "key:nx", "v");
        Assert.Equal(1, r.Int("EXPIRE", "key:nx", "200", "NX"));
        Assert.Equal(200, r.Int("TTL", "key:nx"));
    }

    [Fact]
    public void ExpireXxSetsOnlyWithExpiry()
    {
        r.Call("SET", "key:xx", "v");
        Assert.Equal(0, r.Int("EXPIRE", "key:xx", "200", "XX"));
        Assert.Equal(-1, r.Int("TTL", "key:xx"));
        r.Call("EXPIRE", "key:xx", "100");
        Assert.Equal(1, r.Int("EXPIRE", "key:xx", "200", "XX"));
    }

    [Fact]
    public void ExpireGtTreatsNoExpiryAsInfinite()
    {
        r.Call("SET", "key:gt", "v");
        Assert.Equal(0, r.Int("EXPIRE", "key:gt", "200", "GT"));
        r.Call("EXPIRE", "key:gt", "100");
        Assert.Equal(0, r.Int("EXPIRE", "key:gt", "50", "GT"));
        Assert.Equal(1, r.Int("EXPIRE", "key:gt", "200", "GT"));
        Assert.Equal(200, r.Int("TTL", "key:gt"));
    }

    [Fact]
    public void ExpireLtSetsALowerOrFirstExpiry()
    {
        r.Call("SET", "key:lt", "v");
        Assert.Equal(1, r.Int("EXPIRE", "key:lt", "100", "LT"));
        Assert.Equal(0, r.Int("EXPIRE", "key:lt", "200", "LT"));
        Assert.Equal(1, r.Int("EXPIRE", "key:lt", "50", "LT", "XX"));
        Assert.Equal(50, r.Int("TTL", "key:lt"));
    }

    [Fact]
    public void ExpireOptionErrors()
    {
        r.Call("SET", "key:opt", "v");
        Assert.Equal("ERR GT and LT options at the same time are not compatible", r.Str("EXPIRE", "key:opt", "200", "LT", "GT"));
        Assert.Equal("ERR NX and XX, GT or LT options at the same time are not compatible", r.Str("EXPIRE", "key:opt", "200", "NX", "GT"));
        Assert.Equal("ERR NX and XX, GT or LT options at the same time are not compatible", r.Str("EXPIRE", "key:opt", "200", "NX", "XX"));
        Assert.Equal("ERR Unsupported option AB", r.Str("EXPIRE", "key:opt", "200", "XX", "AB"));
        Assert.Equal("ERR value is not an integer or out of range", r.Str("EXPIRE", "key:opt", ""));
    }

    [Fact]
    public void ExpireOverflowIsAnError()
    {
        r.Call("SET", "key:ovf", "v");
        Assert.Equal("ERR invalid expire time in 'expire' command", r.Str("EXPIRE", "key:ovf", "9223370399119966"));
        Assert.Equal("ERR invalid expire time in 'expire' command", r.Str("EXPIRE", "key:ovf", "9223372036854776"));
        Assert.Equal("ERR invalid expire time in 'expire' command", r.Str("EXPIRE", "key:ovf", "-9223372036854776"));
        Assert.Equal("ERR invalid expire time in 'pexpire' command", r.Str("PEXPIRE", "key:ovf", "9223372036854770000"));
        Assert.Equal(-1, r.Int("TTL", "key:ovf"));
        Assert.Equal(1, r.Int("PEXPIREAT", "key:ovf", "9223372036854770000"));
    }

    [Fact]
    public void PersistRemovesTheExpiry()
    {
        r.Call("SET", "key:persist", "v", "EX", "50");
        Assert.Equal(1, r.Int("PERSIST", "key:persist"));
        Assert.Equal(-1, r.Int("TTL", "key:persist"));
        Assert.Equal(0, r.Int("PERSIST", "key:persist"));
        Assert.Equal(0, r.Int("PERSIST", "key:persist-none"));
    }

    [Fact]
    public void ObjectEncodingOfStrings()
    {
        r.Call("SET", "key:enc-int", "12345");
        r.Call("SET", "key:enc-embstr", "hello");
        r.Call("SET", "key:enc-raw", new string('x', 45));
        Assert.Equal("int", r.Str("OBJECT", "ENCODING", "key:enc-int"));
        Assert.Equal("embstr", r.Str("OBJECT", "ENCODING", "key:enc-embstr"));
        Assert.Equal("raw", r.Str("OBJECT", "ENCODING", "key:enc-raw"));
        Assert.True(r.Call("OBJECT", "ENCODING", "key:enc-none").IsNull);
    }

    [Fact]
    public void ObjectRefcountOfASharedSmallInteger()
    {
        r.Call("SET", "key:rc-shared", "1");
        r.Call("SET", "key:rc-own", "10000");
        Assert.Equal(2147483647, r.Int("OBJECT", "REFCOUNT", "key:rc-shared"));
        Assert.Equal(1, r.Int("OBJECT", "REFCOUNT", "key:rc-own"));
    }

    [Fact]
    public void ObjectIdletimeOfANewKeyIsAboutZero()
    {
        r.Call("SET", "key:idle", "hello");
        // The LRU clock counts whole seconds: a second may tick between the two commands.
        Assert.InRange(r.Int("OBJECT", "IDLETIME", "key:idle"), 0, 1);
    }

    [Fact]
    public void ObjectFreqNeedsAnLfuPolicy()
    {
        r.Call("SET", "key:freq", "hello");
        Assert.StartsWith("ERR An LFU maxmemory policy is not selected", r.Str("OBJECT", "FREQ", "key:freq"));
    }

    [Fact]
    public void ObjectFreqCountsAccessesUnderAnLfuPolicy()
    {
        r.Call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
        try
        {
            r.Call("SET", "key:lfu", "v");
            Assert.Equal(5, r.Int("OBJECT", "FREQ", "key:lfu"));
            r.Call("GET", "key:lfu");
            Assert.Equal(6, r.Int("OBJECT", "FREQ", "key:lfu"));
            Assert.StartsWith("ERR An LFU maxmemory policy is selected, idle time not tracked.", r.Str("OBJECT", "IDLETIME", "key:lfu"));
        }
        finally
        {
            r.Call("CONFIG", "SET", "maxmemory-policy", "noeviction");
        }
    }

    [Fact]
    public void SmallIntegersAreNotSharedUnderMaxmemoryWithAnLruPolicy()
    {
        r.Call("CONFIG", "SET", "maxmemory", "1073741824");
        r.Call("CONFIG", "SET", "maxmemory-policy", "volatile-lru");
        try
        {
            r.Call("SET", "key:rc-lru", "1");
            Assert.Equal(1, r.Int("OBJECT", "REFCOUNT", "key:rc-lru"));
        }
        finally
        {
            r.Call("CONFIG", "SET", "maxmemory-policy", "noeviction");
            r.Call("CONFIG", "SET", "maxmemory", "0");
        }
    }

    [Fact]
    public void ObjectHelpAndUnknownSubcommand()
    {
        var help = r.Call("OBJECT", "HELP").Items!;
        Assert.Equal("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", help[0].Text);
        Assert.Equal("    Prints this help.", help[^1].Text);
        Assert.Equal(15, help.Length);
        Assert.Equal("ERR unknown subcommand 'foo'. Try OBJECT HELP.", r.Str("OBJECT", "foo", "key:x"));
        Assert.Equal("ERR wrong number of arguments for 'object|encoding' command", r.Str("OBJECT", "ENCODING"));
    }

    [Fact]
    public void GenericCommandsPublishKeyspaceEvents()
    {
        using var server = new TestServer("--notify-keyspace-events", "Eg");
        using var sub = server.Connect();
        using var c = server.Connect();
        sub.Call("PSUBSCRIBE", "__keyevent@*");
        c.Call("SET", "key:ev", "v");
        c.Call("EXPIRE", "key:ev", "100");
        c.Call("PERSIST", "key:ev");
        c.Call("RENAME", "key:ev", "key:ev2");
        c.Call("COPY", "key:ev2", "key:ev3", "DB", "2");
        c.Call("MOVE", "key:ev2", "1");
        c.Call("DEL", "key:ev3", "key:ev4");
        c.Call("SELECT", "2");
        c.Call("DEL", "key:ev3");
        string[] expected =
        [
            "__keyevent@0__:expire key:ev", "__keyevent@0__:persist key:ev",
            "__keyevent@0__:rename_from key:ev", "__keyevent@0__:rename_to key:ev2",
            "__keyevent@2__:copy_to key:ev3", "__keyevent@0__:move_from key:ev2", "__keyevent@1__:move_to key:ev2",
            "__keyevent@2__:del key:ev3",
        ];
        foreach (var e in expected)
        {
            var m = sub.Read().Items!;
            Assert.Equal(e, m[2].Text + " " + m[3].Text);
        }
    }
}
