using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>
/// Commands collected and written together in one go; each call returns a task that completes after
/// <see cref="ExecAsync"/>. An atomic pipeline is a MULTI/EXEC transaction.
/// </summary>
public sealed class Pipeline : RedisCommands
{
    readonly RedisConnection connection;
    readonly bool atomic;
    readonly List<byte[][]> commands = [];
    readonly List<Action<RespValue>> complete = [];
    readonly List<Action<Exception>> fail = [];
    bool executed;

    internal Pipeline(RedisConnection connection, bool atomic)
    {
        this.connection = connection;
        this.atomic = atomic;
    }

    public int Count => commands.Count;

    private protected override Task<T> SendAsync<T>(byte[][] args, Func<RespValue, T> convert)
    {
        if (executed) throw new InvalidOperationException("this pipeline was already executed; create a new one");
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        commands.Add(args);
        complete.Add(r =>
        {
            try { tcs.TrySetResult(convert(r)); }
            catch (Exception e) { tcs.TrySetException(e); }
        });
        fail.Add(e => tcs.TrySetException(e));
        return tcs.Task;
    }

    /// <summary>Sends everything queued. False only for a transaction that did not run because a WATCHed key changed.</summary>
    public async Task<bool> ExecAsync()
    {
        if (executed) throw new InvalidOperationException("this pipeline was already executed; create a new one");
        executed = true;
        if (!atomic)
        {
            var replies = connection.SendBatch(commands);
            for (int i = 0; i < replies.Length; i++) await Deliver(replies[i], i).ConfigureAwait(false);
            return true;
        }
        var batch = new List<byte[][]>(commands.Count + 2) { Args.Encode("MULTI") };
        batch.AddRange(commands);
        batch.Add(Args.Encode("EXEC"));
        var tasks = connection.SendBatch(batch);
        RespValue exec;
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
            exec = tasks[^1].Result;
        }
        catch (Exception e)
        {
            foreach (var f in fail) f(e);
            throw;
        }
        if (exec.IsNull)
        {
            var conflict = new RedisTransactionConflictException("the transaction did not run: a watched key changed before EXEC");
            foreach (var f in fail) f(conflict);
            return false;
        }
        if (exec.IsError)
        {
            // EXECABORT: tell each command its own queueing error where it had one.
            for (int i = 0; i < commands.Count; i++)
            {
                var queued = tasks[i + 1].Result;
                fail[i](new RedisServerException(queued.IsError ? queued.Text! : exec.Text!));
            }
            throw new RedisServerException(exec.Text!);
        }
        for (int i = 0; i < commands.Count; i++) complete[i](exec.Items![i]);
        return true;
    }

    async Task Deliver(Task<RespValue> reply, int i)
    {
        try { complete[i](await reply.ConfigureAwait(false)); }
        catch (Exception e) { fail[i](e); }
    }
}
