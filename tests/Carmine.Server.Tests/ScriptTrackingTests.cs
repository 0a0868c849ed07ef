namespace Carmine.Server.Tests;

/// <summary>Client-side caching of keys that scripts and functions read and write.</summary>
public sealed class ScriptTrackingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    readonly RespConnection other = fixture.Server.Connect();

    RespConnection Resp3Tracking(params string[] options) => TrackingTests.Resp3Tracking(fixture.Server, options);

    /// <summary>Runs <paramref name="script"/> with <paramref name="key"/> declared, then checks a change of the key pushes nothing.</summary>
    void AssertTracksNothing(string command, string script, string key)
    {
        using var t = Resp3Tracking();
        t.Call(command, script, "1", key);
        other.Call("SET", key, "1");
        Assert.Equal("PONG", t.Str("PING"));
    }

    [Fact]
    public void ScriptThatReadsTracksItsDeclaredKeys()
    {
        using var t = Resp3Tracking();
        t.Call("EVAL", "return redis.call('get', 'strk:other')", "2", "strk:a", "strk:b");
        other.Call("MSET", "strk:b", "1", "strk:a", "1");
        Assert.Equal("[invalidate, [strk:b]]", t.Read().ToString());
        Assert.Equal("[invalidate, [strk:a]]", t.Read().ToString());
    }

    [Fact]
    public void ScriptThatOnlyWritesTracksNothing() => AssertTracksNothing("EVAL", "redis.call('set', 'strk:w3', 'x')", "strk:w1");

    [Fact]
    public void ReadOnlyScriptWithoutReadsTracksNothing() => AssertTracksNothing("EVAL_RO", "redis.call('ping')", "strk:ro");

    [Fact]
    public void FunctionThatReadsTracksItsDeclaredKeys()
    {
        other.Call("FUNCTION", "LOAD", "REPLACE", "#!lua name=strklib\nredis.register_function{function_name='strk_get', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}");
        using var t = Resp3Tracking();
        t.Call("FCALL_RO", "strk_get", "1", "strk:f");
        other.Call("SET", "strk:f", "1");
        Assert.Equal("[invalidate, [strk:f]]", t.Read().ToString());
    }

    [Fact]
    public void NoLoopClientIsNotToldOfItsScriptsWrites()
    {
        using var t = Resp3Tracking("NOLOOP");
        t.Call("SET", "strk:nl", "1");
        Assert.Equal("1", t.Str("GET", "strk:nl"));
        Assert.Equal("2", t.Str("EVAL", "redis.call('set', KEYS[1], '2') return redis.call('get', KEYS[1])", "1", "strk:nl"));
        Assert.Equal("2", t.Str("GET", "strk:nl"));
    }

    [Fact]
    public void OwnScriptWriteIsPushedAfterTheScriptsReply()
    {
        using var t = Resp3Tracking();
        t.Call("SET", "strk:own", "1");
        t.Call("GET", "strk:own");
        Assert.Equal("OK", t.Str("EVAL", "return redis.call('set', KEYS[1], '2')", "1", "strk:own"));
        Assert.Equal("[invalidate, [strk:own]]", t.Read().ToString());
    }

    [Fact]
    public void KeyChangedByAnUnblockedMoveIsInvalidatedAfterItsReply()
    {
        using var t = Resp3Tracking();
        other.Call("RPUSH", "strk:dst", "a");
        t.Call("LRANGE", "strk:dst", "0", "-1");
        t.SendRaw("*6\r\n$6\r\nBLMOVE\r\n$8\r\nstrk:src\r\n$8\r\nstrk:dst\r\n$4\r\nLEFT\r\n$4\r\nLEFT\r\n$1\r\n0\r\n");
        for (int i = 0; i < 100 && other.Call("INFO", "clients").ToString().Contains("blocked_clients:0"); i++) Thread.Sleep(10);
        other.Call("RPUSH", "strk:src", "foo");
        Assert.Equal("foo", t.Read().ToString());
        Assert.Equal("[invalidate, [strk:dst]]", t.Read().ToString());
    }
}
