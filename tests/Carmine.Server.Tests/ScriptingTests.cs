namespace Carmine.Server.Tests;

public sealed class ScriptingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection r = fixture.Server.Connect();

    [Fact]
    public void EvalReturnsANumberAsAnInteger()
    {
        Assert.Equal(3, r.Call("EVAL", "return 3.99", "0").Integer);
    }

    [Fact]
    public void EvalRunsCommandsWithKeysAndArgv()
    {
        Assert.Equal("v1", r.Str("EVAL", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])", "1", "script:k1", "v1"));
    }

    [Fact]
    public void EvalConvertsANestedTableToAnArray()
    {
        Assert.Equal("[1, 2, ciao, [1, 2]]", r.Call("EVAL", "return {1,2,'ciao',{1,2}}", "0").ToString());
    }

    [Fact]
    public void ReadingAnUndeclaredGlobalIsAnError()
    {
        var reply = r.Call("EVAL", "return a", "0");
        Assert.True(reply.IsError);
        Assert.StartsWith("ERR user_script:1: Script attempted to access nonexistent global variable 'a' script: ", reply.Text);
    }

    [Fact]
    public void SettingAGlobalIsAnError()
    {
        Assert.Contains("Attempt to modify a readonly table", r.Call("EVAL", "a = 10", "0").Text);
    }

    [Fact]
    public void RedisCallErrorCarriesTheScriptLocation()
    {
        r.Call("SET", "script:str", "abc");
        const string body = "local x = redis.call('incr', KEYS[1]) return x";
        Assert.Equal($"ERR value is not an integer or out of range script: {Sha(body)}, on @user_script:1.",
            r.Call("EVAL", body, "1", "script:str").Text);
    }

    [Fact]
    public void RedisPcallReturnsTheErrorAsAReply()
    {
        r.Call("SET", "script:str2", "abc");
        Assert.Equal("ERR value is not an integer or out of range", r.Call("EVAL", "return redis.pcall('incr', KEYS[1])", "1", "script:str2").Text);
    }

    [Fact]
    public void CjsonAndBitAreAvailable()
    {
        Assert.Equal("[1,2,{\"a\":1}]", r.Str("EVAL", "return cjson.encode({1,2,{a=1}})", "0"));
        Assert.Equal(3, r.Call("EVAL", "return bit.band(7, 3)", "0").Integer);
    }

    [Fact]
    public void LuaNumbersFormatAsLua51()
    {
        Assert.Equal("3 1e+20 0.1", r.Str("EVAL", "return tostring(3.0) .. ' ' .. tostring(1e20) .. ' ' .. tostring(0.1)", "0"));
    }

    [Fact]
    public void EvalShaOfAnUnknownScriptIsNoScript()
    {
        Assert.Equal("NOSCRIPT No matching script. Please use EVAL.", r.Call("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0").Text);
    }

    [Fact]
    public void ScriptLoadThenEvalSha()
    {
        Assert.Equal("59b6ab2fbe0ee4b25733de0f62e6cda4899ef8e9", r.Str("SCRIPT", "LOAD", "return 7"));
        Assert.Equal(7, r.Call("EVALSHA", "59b6ab2fbe0ee4b25733de0f62e6cda4899ef8e9", "0").Integer);
    }

    [Fact]
    public void EvalRoRefusesWrites()
    {
        Assert.StartsWith("ERR Write commands are not allowed from read-only scripts.",
            r.Call("EVAL_RO", "local x = redis.call('set', 'script:ro', 'v') return x", "0").Text);
    }

    [Fact]
    public void NoWritesShebangRefusesWrites()
    {
        Assert.StartsWith("ERR Write commands are not allowed from read-only scripts.",
            r.Call("EVAL", "#!lua flags=no-writes\nlocal x = redis.call('set', 'script:nw', 'v') return x", "0").Text);
    }

    [Fact]
    public void UnknownShebangFlagIsRefused()
    {
        Assert.Equal("ERR Unexpected flag in script shebang: bad-flag", r.Call("EVAL", "#!lua flags=bad-flag\nreturn 1", "0").Text);
    }

    [Fact]
    public void ErrorReplyAndStatusReply()
    {
        Assert.Equal("My Error", r.Call("EVAL", "return redis.error_reply('My Error')", "0").Text);
        Assert.Equal("OK2", r.Call("EVAL", "return redis.status_reply('OK2')", "0").Text);
    }

    [Fact]
    public void TooManyKeysIsAnError()
    {
        Assert.Equal("ERR Number of keys can't be greater than number of args", r.Call("EVAL", "return 1", "2", "a").Text);
    }

    [Fact]
    public void ScriptKillWithoutAScriptIsNotBusy()
    {
        Assert.Equal("NOTBUSY No scripts in execution right now.", r.Call("SCRIPT", "KILL").Text);
    }

    [Fact]
    public void FunctionLoadThenFcall()
    {
        Assert.Equal("scriptlib1", r.Str("FUNCTION", "LOAD", "REPLACE", "#!lua name=scriptlib1\nredis.register_function('scriptf1', function(keys, args) return args[1] end)"));
        Assert.Equal("hello", r.Str("FCALL", "scriptf1", "0", "hello"));
    }

    [Fact]
    public void FcallRoRefusesAFunctionWithoutNoWrites()
    {
        r.Call("FUNCTION", "LOAD", "REPLACE", "#!lua name=scriptlib2\nredis.register_function('scriptf2', function() return 1 end)");
        Assert.Equal("ERR Can not execute a script with write flag using *_ro command.", r.Call("FCALL_RO", "scriptf2", "0").Text);
    }

    [Fact]
    public void FunctionLoadOfAnExistingLibraryIsRefused()
    {
        r.Call("FUNCTION", "LOAD", "REPLACE", "#!lua name=scriptlib3\nredis.register_function('scriptf3', function() return 1 end)");
        Assert.Equal("ERR Library 'scriptlib3' already exists",
            r.Call("FUNCTION", "LOAD", "#!lua name=scriptlib3\nredis.register_function('scriptf3', function() return 1 end)").Text);
    }

    [Fact]
    public void FcallOfAnUnknownFunctionIsAnError()
    {
        Assert.Equal("ERR Function not found", r.Call("FCALL", "scriptnosuchfunction", "0").Text);
    }

    [Fact]
    public void FunctionDeleteOfAnUnknownLibraryIsAnError()
    {
        Assert.Equal("ERR Library not found", r.Call("FUNCTION", "DELETE", "scriptnosuchlib").Text);
    }

    [Fact]
    public void FunctionErrorNamesTheFunctionAndLine()
    {
        r.Call("FUNCTION", "LOAD", "REPLACE", "#!lua name=scriptlib4\nredis.register_function('scriptf4', function()\nreturn a\nend)");
        Assert.Equal("ERR user_function:3: Script attempted to access nonexistent global variable 'a' script: scriptf4, on @user_function:3.",
            r.Call("FCALL", "scriptf4", "0").Text);
    }

    [Fact]
    public void StructPackAndUnpackRoundTrip()
    {
        Assert.Equal("[-2, 70000, -1, 255, xyz, ab, 14]",
            r.Call("EVAL", "return {struct.unpack('>i2 <I3 b B c3 s', struct.pack('>i2 <I3 b B c3 s', -2, 70000, -1, 255, 'xyz', 'ab'))}", "0").ToString());
    }

    [Fact]
    public void StructPackLaysOutBytesAsTheFormatSays()
    {
        Assert.Equal("000100020000000304", Convert.ToHexString(r.Call("EVAL", "return struct.pack('>h !4 i2 i >B', 1, 2, 3, 4)", "0").Bytes!.ToArray()));
    }

    [Fact]
    public void StructSizeCountsAlignment()
    {
        Assert.Equal(28, r.Call("EVAL", "return struct.size('!8 b d i3 c5 h')", "0").Integer);
    }

    [Fact]
    public void StructUnpackReadsCountPrefixedStrings()
    {
        Assert.Equal("[hello, 7]", r.Call("EVAL", "return {struct.unpack('B c0', struct.pack('B', 5) .. 'hello')}", "0").ToString());
    }

    [Fact]
    public void StructErrorIsRaisedAtTheScriptsLine()
    {
        const string body = "return struct.pack('q', 1)";
        Assert.Equal($"ERR user_script:1: bad argument #1 to 'pack' (invalid format option 'q') script: {Sha(body)}, on @user_script:1.",
            r.Call("EVAL", body, "0").Text);
    }

    [Fact]
    public void StructUnpackOfShortDataIsAnError()
    {
        Assert.StartsWith("ERR user_script:1: bad argument #2 to 'unpack' (data string too short)", r.Call("EVAL", "return struct.unpack('>I4', 'ab')", "0").Text);
    }

    [Fact]
    public void StructTableIsReadOnly()
    {
        Assert.Contains("Attempt to modify a readonly table", r.Call("EVAL", "struct.pack = nil", "0").Text);
    }

    [Fact]
    public void CmsgpackPackWithoutInputIsAnArgumentErrorAtTheScriptsLine()
    {
        const string body = "return cmsgpack.pack()";
        Assert.Equal($"ERR user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.) script: {Sha(body)}, on @user_script:1.",
            r.Call("EVAL", body, "0").Text);
    }

    [Fact]
    public void CmsgpackUnpackAcceptsANumberAsItsString()
    {
        Assert.Equal(49, r.Call("EVAL", "return cmsgpack.unpack(1)", "0").Integer);
    }

    [Fact]
    public void ReadOnlyScriptMayNotPublish()
    {
        Assert.StartsWith("ERR Write commands are not allowed from read-only scripts. script: ",
            r.Call("EVAL", "#!lua flags=no-writes\nreturn redis.call('publish', 'script:ch', 'msg')", "0").Text);
    }

    [Fact]
    public void NoWritesScriptsRunDuringClientPauseWrite()
    {
        using var server = new TestServer();
        using var c = server.Connect();
        c.Call("FUNCTION", "LOAD", "#!lua name=pauselib\nredis.register_function{function_name='pause_ro', callback=function() return 'ro' end, flags={'no-writes'}}");
        Assert.Equal("OK", c.Str("CLIENT", "PAUSE", "100000", "WRITE"));
        using var other = server.Connect();
        Assert.Equal("ro", other.Str("EVAL", "#!lua flags=no-writes\nreturn 'ro'", "0"));
        Assert.Equal("ro", other.Str("FCALL", "pause_ro", "0"));
        Assert.Equal("OK", other.Str("MULTI"));
        Assert.Equal("QUEUED", other.Str("EVAL", "#!lua flags=no-writes\nreturn 12", "0"));
        Assert.Equal("[12]", other.Call("EXEC").ToString());
        Assert.Equal("OK", c.Str("CLIENT", "UNPAUSE"));
    }

    [Fact]
    public void XreadWithBlockIsRefusedInScripts()
    {
        r.Call("XADD", "script:stream", "*", "f", "v");
        Assert.Equal("ERR xread command is not allowed with BLOCK option from scripts",
            r.Call("EVAL", "return redis.pcall('xread', 'BLOCK', 0, 'STREAMS', KEYS[1], '$')", "1", "script:stream").Text);
    }

    [Fact]
    public void SortByAConstantIsOrderedInScripts()
    {
        r.Call("SADD", "script:sortset", "b", "aa", "c", "a");
        Assert.Equal("[a, aa, b, c]", r.Call("EVAL", "return redis.call('sort', KEYS[1], 'by', '_')", "1", "script:sortset").ToString());
    }

    [Fact]
    public void ScriptKillFromANewConnectionStopsABusyScript()
    {
        using var server = new TestServer("--busy-reply-threshold", "10");
        using var runner = server.Connect();
        runner.SendRaw("*3\r\n$4\r\nEVAL\r\n$17\r\nwhile true do end\r\n$1\r\n0\r\n");
        Thread.Sleep(200);
        for (int i = 0; i < 4; i++)
        {
            using var other = server.Connect();
            Assert.StartsWith("BUSY ", other.Call("PING").Text);
        }
        using var killer = server.Connect();
        Assert.Equal("OK", killer.Str("SCRIPT", "KILL"));
        Assert.StartsWith("ERR Script killed by user with SCRIPT KILL...", runner.Read().Text);
        Assert.Equal("PONG", killer.Str("PING"));
    }

    [Fact]
    public void TransactionStartedDuringABusyScriptIsAbortedByItsBusyCommand()
    {
        using var server = new TestServer("--busy-reply-threshold", "10");
        using var runner = server.Connect();
        using var client = server.Connect();
        using var killer = server.Connect();
        runner.SendRaw("*3\r\n$4\r\nEVAL\r\n$17\r\nwhile true do end\r\n$1\r\n0\r\n");
        Thread.Sleep(200);
        Assert.Equal("OK", client.Str("MULTI"));
        Assert.StartsWith("BUSY ", client.Call("INCR", "xx").Text);
        Assert.Equal("OK", killer.Str("SCRIPT", "KILL"));
        runner.Read();
        Assert.Equal("QUEUED", client.Str("INCR", "xx"));
        Assert.Equal("EXECABORT Transaction discarded because of previous errors.", client.Call("EXEC").Text);
        Assert.Equal("(nil)", killer.Str("GET", "xx"));
    }

    static string Sha(string body) => Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(body)));
}
