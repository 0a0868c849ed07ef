namespace Carmine.Client;

public abstract partial class RedisCommands
{
    /// <summary>PFADD; true when the estimated cardinality changed.</summary>
    public Task<bool> PfAddAsync(string key, params object[] elements) => Send(Reply.Bool, ["PFADD", key], elements);
    /// <summary>PFCOUNT: the estimated number of distinct elements in the union of <paramref name="keys"/>.</summary>
    public Task<long> PfCountAsync(params string[] keys) => Send(Reply.Integer, ["PFCOUNT"], keys);
    public Task<bool> PfMergeAsync(string destination, params string[] sources) => Send(Reply.Ok, ["PFMERGE", destination], sources);
}
