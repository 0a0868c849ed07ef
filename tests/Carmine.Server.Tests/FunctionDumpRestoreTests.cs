using System.Text;

namespace Carmine.Server.Tests;

/// <summary>FUNCTION DUMP / RESTORE and function libraries in RDB files, checked against the installed redis-server 7.0.</summary>
public sealed class FunctionDumpRestoreTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    const string Library = "#!lua name=fdrlib\nredis.register_function{function_name='fdr_one', callback=function() return 'one' end, flags={'no-writes'}, description='first'}\nredis.register_function('fdr_two', function() return 2 end)";
    const string Other = "#!lua name=fdrother\nredis.register_function('fdr_g', function() return 'g' end)";

    static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    static byte[] Dump(RespConnection c) => c.Call("FUNCTION", "DUMP").Bytes!.ToArray();

    static string Restore(RespConnection c, byte[] payload, params string[] policy) =>
        c.Call([B("FUNCTION"), B("RESTORE"), payload, .. policy.Select(B)]).ToString();

    /// <summary>A server of its own: FUNCTION FLUSH in one test must not drop another's libraries.</summary>
    static TestServer Isolated() => new("--enable-debug-command", "yes");

    [Fact]
    public void DumpThenRestoreBringsBackTheLibraries()
    {
        using var s = Isolated();
        using var c = s.Connect();
        c.Call("FUNCTION", "LOAD", Library);
        var payload = Dump(c);
        c.Call("FUNCTION", "FLUSH");
        Assert.Equal("OK", Restore(c, payload));
        Assert.Equal("one", c.Str("FCALL", "fdr_one", "0"));
        Assert.Equal(2, c.Int("FCALL", "fdr_two", "0"));
    }

    [Fact]
    public void DumpIsByteIdenticalToRedisWithoutCompression()
    {
        using var redis = new RealRedis();
        using var rc = redis.Connect();
        using var s = Isolated();
        using var c = s.Connect();
        foreach (var x in new[] { rc, c })
        {
            x.Call("CONFIG", "SET", "rdbcompression", "no");
            x.Call("FUNCTION", "LOAD", Library);
        }
        Assert.Equal(Convert.ToHexString(Dump(rc)), Convert.ToHexString(Dump(c)));
    }

    [Fact]
    public void PayloadsMoveBothWaysBetweenRedisAndCarmine()
    {
        using var redis = new RealRedis();
        using var rc = redis.Connect();
        using var s = Isolated();
        using var c = s.Connect();
        rc.Call("FUNCTION", "LOAD", Library);
        rc.Call("FUNCTION", "LOAD", Other + "\n-- " + new string('x', 300));
        Assert.Equal("OK", Restore(c, Dump(rc)));
        Assert.Equal("one", c.Str("FCALL", "fdr_one", "0"));
        Assert.Equal("g", c.Str("FCALL", "fdr_g", "0"));
        rc.Call("FUNCTION", "FLUSH");
        Assert.Equal("OK", Restore(rc, Dump(c)));
        Assert.Equal("one", rc.Str("FCALL", "fdr_one", "0"));
        Assert.Equal("g", rc.Str("FCALL", "fdr_g", "0"));
    }

    [Fact]
    public void AppendRefusesALibraryThatExists()
    {
        using var s = Isolated();
        using var c = s.Connect();
        c.Call("FUNCTION", "LOAD", Library);
        Assert.Equal("ERR Library fdrlib already exists", Restore(c, Dump(c), "APPEND"));
    }

    [Fact]
    public void ReplaceSwapsALibraryOfTheSameName()
    {
        using var s = Isolated();
        using var c = s.Connect();
        c.Call("FUNCTION", "LOAD", Library);
        var payload = Dump(c);
        c.Call("FUNCTION", "LOAD", "REPLACE", "#!lua name=fdrlib\nredis.register_function('fdr_one', function() return 'new' end)");
        Assert.Equal("OK", Restore(c, payload, "REPLACE"));
        Assert.Equal("one", c.Str("FCALL", "fdr_one", "0"));
    }

    [Fact]
    public void FlushDropsLibrariesNotInThePayload()
    {
        using var s = Isolated();
        using var c = s.Connect();
        c.Call("FUNCTION", "LOAD", Library);
        var payload = Dump(c);
        c.Call("FUNCTION", "LOAD", Other);
        Assert.Equal("OK", Restore(c, payload, "FLUSH"));
        Assert.Equal("ERR Function not found", c.Str("FCALL", "fdr_g", "0"));
        Assert.Equal("one", c.Str("FCALL", "fdr_one", "0"));
    }

    [Fact]
    public void AFunctionNameTakenByAnotherLibraryFailsTheWholeRestore()
    {
        using var s = Isolated();
        using var c = s.Connect();
        c.Call("FUNCTION", "LOAD", Library);
        c.Call("FUNCTION", "LOAD", Other);
        var payload = Dump(c);
        c.Call("FUNCTION", "FLUSH");
        c.Call("FUNCTION", "LOAD", "#!lua name=thief\nredis.register_function('fdr_g', function() return 'thief' end)");
        Assert.Equal("ERR Function fdr_g already exists", Restore(c, payload));
        Assert.Equal("ERR Function not found", c.Str("FCALL", "fdr_one", "0"));
        Assert.Equal("thief", c.Str("FCALL", "fdr_g", "0"));
    }

    [Fact]
    public void BadPayloadIsRefused()
    {
        using var c = fixture.Server.Connect();
        Assert.Equal("ERR DUMP payload version or checksum are wrong", Restore(c, B("bad_payload")));
    }

    [Fact]
    public void AKeyPayloadIsNotAFunction()
    {
        using var c = fixture.Server.Connect();
        c.Call("SET", "fdr:key", "v");
        Assert.Equal("ERR given type is not a function", Restore(c, c.Call("DUMP", "fdr:key").Bytes!.ToArray()));
    }

    [Fact]
    public void UnknownPolicyIsRefused()
    {
        using var c = fixture.Server.Connect();
        Assert.Equal("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.", Restore(c, Dump(c), "MERGE"));
    }

    [Fact]
    public void TooManyArgumentsIsASyntaxError()
    {
        using var c = fixture.Server.Connect();
        Assert.Equal("ERR unknown subcommand or wrong number of arguments for 'restore'. Try FUNCTION HELP.", c.Str("FUNCTION", "RESTORE", "a", "b", "c"));
    }

    [Fact]
    public void CarmineRdbWithFunctionsLoadsInRedis()
    {
        using var s = Isolated();
        using var c = s.Connect();
        c.Call("FUNCTION", "LOAD", Library);
        Assert.Equal("OK", c.Str("SAVE"));
        using var redis = new RealRedis(s.Dir);
        using var rc = redis.Connect();
        Assert.Equal("one", rc.Str("FCALL", "fdr_one", "0"));
    }

    [Fact]
    public void RedisRdbWithFunctionsLoadsInCarmine()
    {
        string dir;
        using (var redis = new RealRedis())
        {
            using var rc = redis.Connect();
            rc.Call("FUNCTION", "LOAD", Library);
            Assert.Equal("OK", rc.Str("SAVE"));
            dir = redis.Dir;
        }
        using var s = new TestServer("--dir", dir);
        using var c = s.Connect();
        Assert.Equal(2, c.Int("FCALL", "fdr_two", "0"));
    }

    [Fact]
    public void DebugReloadWithoutFlushRefusesAnExistingLibraryUnlessMerging()
    {
        using var s = Isolated();
        using var c = s.Connect();
        c.Call("FUNCTION", "LOAD", Library);
        Assert.Equal("ERR Error trying to load the RDB dump", c.Str("DEBUG", "RELOAD", "NOFLUSH"));
        Assert.Equal("OK", c.Str("DEBUG", "RELOAD", "NOFLUSH", "MERGE"));
        Assert.Equal("one", c.Str("FCALL", "fdr_one", "0"));
    }
}
