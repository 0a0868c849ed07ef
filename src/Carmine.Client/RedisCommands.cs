using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>
/// The typed command API, shared by the client (commands sent at once) and by pipelines and
/// transactions (commands queued until Execute). Each family lives in its own RedisCommands.*.cs file.
/// </summary>
public abstract partial class RedisCommands
{
    /// <summary>Sends (or queues) one encoded command and converts its reply.</summary>
    private protected abstract Task<T> SendAsync<T>(byte[][] args, Func<RespValue, T> convert);

    /// <summary>Any command, its reply returned as parsed; an error reply throws <see cref="RedisServerException"/>.</summary>
    public Task<RespValue> ExecuteAsync(string command, params object[] args)
    {
        var all = new object[args.Length + 1];
        all[0] = command;
        args.CopyTo(all, 1);
        return SendAsync(Args.Encode(all), Reply.Check);
    }

    private protected Task<T> Send<T>(Func<RespValue, T> convert, params object[] args) => SendAsync(Args.Encode(args), convert);

    private protected Task<T> Send<T, TItem>(Func<RespValue, T> convert, object[] head, IEnumerable<TItem> tail) where TItem : notnull =>
        SendAsync(Args.Encode(head, tail), convert);
}
