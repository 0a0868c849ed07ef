using Carmine.Protocol;

namespace Carmine.Client.Tests;

public abstract partial class ClientApiTests
{
    const string ApiLibrary = """
        #!lua name=apilib
        redis.register_function('api_echo', function(keys, args) return {keys[1], args[1]} end)
        redis.register_function{function_name='api_get', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}
        """;

    [Fact]
    public async Task EvalGetsKeysAndArgs()
    {
        var r = await Client.EvalAsync("return {KEYS[1], ARGV[1], 3}", ["api:k"], "a");
        Assert.Equal(("api:k", "a", 3L), (r.Items![0].Text, r.Items[1].Text, r.Items[2].Integer));
    }

    [Fact]
    public async Task EvalErrorReplyThrows()
    {
        var e = await Assert.ThrowsAsync<RedisServerException>(() => Client.EvalAsync("return redis.error_reply('MY boom')", []));
        Assert.Equal("MY boom", e.Message);
    }

    [Fact]
    public async Task ScriptLoadThenEvalShaAndScriptExists()
    {
        var script = new LuaScript("return 'loaded'");
        Assert.Equal(script.Sha1, await Client.ScriptLoadAsync(script.Source));
        Assert.Equal("loaded", (await Client.EvalShaAsync(script.Sha1, [])).Text);
        Assert.Equal("loaded", (await Client.EvalShaReadOnlyAsync(script.Sha1, [])).Text);
        Assert.Equal(new[] { true, false }, await Client.ScriptExistsAsync(script.Sha1, new string('0', 40)));
    }

    [Fact]
    public async Task EvalShaOfAnUnknownScriptIsNoScript()
    {
        var e = await Assert.ThrowsAsync<RedisServerException>(() => Client.EvalShaAsync(new string('f', 40), []));
        Assert.Equal("NOSCRIPT", e.Prefix);
    }

    [Fact]
    public async Task EvalReadOnlyReadsButMayNotWrite()
    {
        await Client.SetAsync("api:evalro", "v");
        Assert.Equal("v", (await Client.EvalReadOnlyAsync("return redis.call('GET', KEYS[1])", ["api:evalro"])).Text);
        var e = await Assert.ThrowsAsync<RedisServerException>(() => Client.EvalReadOnlyAsync("return redis.call('SET', KEYS[1], 'x')", ["api:evalro"]));
        Assert.StartsWith("ERR Write commands are not allowed from read-only scripts", e.Message);
    }

    [Fact]
    public async Task ScriptKillWithoutARunningScriptIsNotBusy()
    {
        var e = await Assert.ThrowsAsync<RedisServerException>(Client.ScriptKillAsync);
        Assert.Equal("NOTBUSY", e.Prefix);
    }

    [Fact]
    public async Task FunctionLoadListCallDelete()
    {
        await Client.FunctionFlushAsync();
        Assert.Equal("apilib", await Client.FunctionLoadAsync(ApiLibrary));
        var e = await Assert.ThrowsAsync<RedisServerException>(() => Client.FunctionLoadAsync(ApiLibrary));
        Assert.Equal("ERR Library 'apilib' already exists", e.Message);
        Assert.Equal("apilib", await Client.FunctionLoadAsync(ApiLibrary, replace: true));

        var echo = await Client.FCallAsync("api_echo", ["api:fk"], "arg");
        Assert.Equal(["api:fk", "arg"], echo.Items!.Select(i => i.Text));
        await Client.SetAsync("api:fget", "value");
        Assert.Equal("value", (await Client.FCallReadOnlyAsync("api_get", ["api:fget"])).Text);

        var lib = (await Client.FunctionListAsync("api*", withCode: true)).Single();
        Assert.Equal(("apilib", "LUA", ApiLibrary), (lib.Name, lib.Engine, lib.Code));
        Assert.Equal(["api_echo:", "api_get:no-writes"], lib.Functions.Select(f => $"{f.Name}:{string.Join(",", f.Flags)}").Order());
        Assert.Null((await Client.FunctionListAsync()).Single().Code);

        Assert.True(await Client.FunctionDeleteAsync("apilib"));
        Assert.Empty(await Client.FunctionListAsync());
    }

    [Fact]
    public async Task FunctionKillWithoutARunningFunctionIsNotBusy()
    {
        var e = await Assert.ThrowsAsync<RedisServerException>(Client.FunctionKillAsync);
        Assert.Equal("NOTBUSY", e.Prefix);
    }

    [Fact]
    public async Task ScriptFlushForgetsLoadedScripts()
    {
        var sha = await Client.ScriptLoadAsync("return 'flushed'");
        Assert.True(await Client.ScriptFlushAsync());
        Assert.Equal(new[] { false }, await Client.ScriptExistsAsync(sha));
    }

    [Fact]
    public async Task ScriptsQueueInAPipeline()
    {
        var p = Client.CreatePipeline();
        var a = p.EvalAsync("return ARGV[1]", [], "first");
        var b = p.EvalAsync("return 2", []);
        await p.ExecAsync();
        Assert.Equal(("first", RespType.Integer), ((await a).Text, (await b).Type));
    }
}
