using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>One function of a library, as FUNCTION LIST describes it.</summary>
public sealed record FunctionInfo(string Name, string? Description, string[] Flags);

/// <summary>One library from FUNCTION LIST; Code is set only when asked for.</summary>
public sealed record FunctionLibrary(string Name, string Engine, FunctionInfo[] Functions, string? Code);

public abstract partial class RedisCommands
{
    /// <summary>EVAL; the script's reply as parsed, an error reply thrown. <see cref="LuaScript"/> sends by SHA1 first.</summary>
    public Task<RespValue> EvalAsync(string script, string[] keys, params object[] args) => Script("EVAL", script, keys, args);
    public Task<RespValue> EvalShaAsync(string sha1, string[] keys, params object[] args) => Script("EVALSHA", sha1, keys, args);
    /// <summary>EVAL_RO: the script may not write, so it can run on a replica.</summary>
    public Task<RespValue> EvalReadOnlyAsync(string script, string[] keys, params object[] args) => Script("EVAL_RO", script, keys, args);
    public Task<RespValue> EvalShaReadOnlyAsync(string sha1, string[] keys, params object[] args) => Script("EVALSHA_RO", sha1, keys, args);

    /// <summary>SCRIPT LOAD; returns the script's SHA1.</summary>
    public Task<string> ScriptLoadAsync(string script) => Send(r => Reply.String(r)!, "SCRIPT", "LOAD", script);
    public Task<bool[]> ScriptExistsAsync(params string[] sha1s) =>
        Send(r => Reply.Check(r).Items!.Select(Reply.Bool).ToArray(), ["SCRIPT", "EXISTS"], sha1s);
    public Task<bool> ScriptFlushAsync() => Send(Reply.Ok, "SCRIPT", "FLUSH");
    /// <summary>SCRIPT KILL: stops a running read-only script; throws NOTBUSY when none runs.</summary>
    public Task<bool> ScriptKillAsync() => Send(Reply.Ok, "SCRIPT", "KILL");

    public Task<RespValue> FCallAsync(string function, string[] keys, params object[] args) => Script("FCALL", function, keys, args);
    public Task<RespValue> FCallReadOnlyAsync(string function, string[] keys, params object[] args) => Script("FCALL_RO", function, keys, args);

    /// <summary>FUNCTION LOAD of a library ("#!lua name=..." first); returns the library's name.</summary>
    public Task<string> FunctionLoadAsync(string code, bool replace = false) =>
        replace ? Send(r => Reply.String(r)!, "FUNCTION", "LOAD", "REPLACE", code) : Send(r => Reply.String(r)!, "FUNCTION", "LOAD", code);
    public Task<bool> FunctionDeleteAsync(string library) => Send(Reply.Ok, "FUNCTION", "DELETE", library);
    public Task<bool> FunctionFlushAsync() => Send(Reply.Ok, "FUNCTION", "FLUSH");
    /// <summary>FUNCTION KILL: stops a running read-only function; throws NOTBUSY when none runs.</summary>
    public Task<bool> FunctionKillAsync() => Send(Reply.Ok, "FUNCTION", "KILL");

    public Task<FunctionLibrary[]> FunctionListAsync(string? libraryPattern = null, bool withCode = false)
    {
        var args = new List<object> { "FUNCTION", "LIST" };
        if (libraryPattern is not null) args.AddRange(["LIBRARYNAME", libraryPattern]);
        if (withCode) args.Add("WITHCODE");
        return Send(r => Reply.Check(r).Items!.Select(Library).ToArray(), args.ToArray());
    }

    /// <summary>FUNCTION DUMP: every library in a serialized form for <see cref="FunctionRestoreAsync"/>.</summary>
    public Task<byte[]> FunctionDumpAsync() => Send(r => Reply.Bytes(r)!, "FUNCTION", "DUMP");
    /// <summary>FUNCTION RESTORE with a policy of "APPEND" (fail on a name clash), "REPLACE" or "FLUSH".</summary>
    public Task<bool> FunctionRestoreAsync(byte[] payload, string policy = "APPEND") => Send(Reply.Ok, "FUNCTION", "RESTORE", payload, policy);

    Task<RespValue> Script(string command, string scriptOrName, string[] keys, object[] args) =>
        SendAsync(Args.Encode([command, scriptOrName, keys.Length], keys.Cast<object>().Concat(args)), Reply.Check);

    static FunctionLibrary Library(RespValue r)
    {
        var f = Reply.Fields(r);
        var functions = f["functions"].Items!.Select(fn =>
        {
            var d = Reply.Fields(fn);
            return new FunctionInfo(Reply.String(d["name"])!, Reply.String(d["description"]), Reply.Members(d["flags"]));
        }).ToArray();
        return new FunctionLibrary(Reply.String(f["library_name"])!, Reply.String(f["engine"])!, functions,
            f.TryGetValue("library_code", out var code) ? Reply.String(code) : null);
    }
}
