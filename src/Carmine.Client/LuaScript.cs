using System.Security.Cryptography;
using System.Text;
using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>A Lua script sent by its SHA1 (EVALSHA), and in full (EVAL) only when the server does not have it cached.</summary>
public sealed class LuaScript(string source)
{
    public string Source { get; } = source;
    public string Sha1 { get; } = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(source)));

    public async Task<RespValue> EvaluateAsync(RedisCommands target, string[] keys, params object[] args)
    {
        object[] tail = [keys.Length, .. keys, .. args];
        try
        {
            return await target.ExecuteAsync("EVALSHA", [Sha1, .. tail]).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Prefix == "NOSCRIPT")
        {
            return await target.ExecuteAsync("EVAL", [Source, .. tail]).ConfigureAwait(false);
        }
    }

    /// <summary>SCRIPT LOAD, so the first EVALSHA finds the script.</summary>
    public Task LoadAsync(RedisCommands target) => target.ExecuteAsync("SCRIPT", "LOAD", Source);
}
