using System.Text;
using Carmine.Protocol;

namespace Carmine.Client;

/// <summary>
/// Commands collected and sent when <see cref="ExecAsync"/> is called. A pipeline sends one batch per node
/// and completes each command's task with its own reply; commands redirected (MOVED, ASK) or caught by a
/// failover are sent again one by one in the order they were queued. A transaction (MULTI/EXEC) goes to
/// the master of the one slot all its keys hash to.
/// </summary>
public sealed class ClusterPipeline : RedisCommands
{
    sealed class Item(byte[][] args, int slot, bool read) : TaskCompletionSource<RespValue>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public byte[][] Args { get; } = args;
        public int Slot { get; } = slot;
        public bool Read { get; } = read;
    }

    readonly RedisClusterClient client;
    readonly bool atomic;
    readonly List<Item> items = [];
    bool executed;

    internal ClusterPipeline(RedisClusterClient client, bool atomic)
    {
        this.client = client;
        this.atomic = atomic;
    }

    public int Count => items.Count;

    private protected override Task<T> SendAsync<T>(byte[][] args, Func<RespValue, T> convert)
    {
        if (executed) throw new InvalidOperationException("this pipeline was already executed; create a new one");
        int slot;
        try
        {
            slot = client.SlotOf(args);
        }
        catch (RedisCrossSlotException e)
        {
            return Task.FromException<T>(e);
        }
        var item = new Item(args, slot, !atomic && client.IsRead(args));
        items.Add(item);
        return Convert(item.Task, convert);
    }

    static async Task<T> Convert<T>(Task<RespValue> reply, Func<RespValue, T> convert) => convert(await reply.ConfigureAwait(false));

    /// <summary>Sends everything queued. False only for a transaction that did not run because a WATCHed key changed.</summary>
    public Task<bool> ExecAsync()
    {
        if (executed) throw new InvalidOperationException("this pipeline was already executed; create a new one");
        executed = true;
        return atomic ? ExecTransactionAsync() : ExecPipelineAsync();
    }

    async Task<bool> ExecPipelineAsync()
    {
        var replies = new Task<RespValue>?[items.Count];
        var addresses = new string?[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            try { addresses[i] = client.PickNode(items[i].Slot, items[i].Read); }
            catch (RedisConnectionException e) { items[i].TrySetException(e); }
        }
        foreach (var group in Enumerable.Range(0, items.Count).Where(i => addresses[i] is not null).GroupBy(i => addresses[i]!))
        {
            RedisConnection conn;
            try
            {
                conn = (await client.NodeAsync(group.Key).ConfigureAwait(false)).Connection;
            }
            catch (Exception e) when (e is RedisConnectionException or ObjectDisposedException)
            {
                // Left without a reply: sent again below, after the map was reloaded.
                continue;
            }
            if (!conn.IsConnected) continue;
            var indexes = group.ToArray();
            var sent = conn.SendBatch(indexes.Select(i => items[i].Args).ToArray());
            for (int k = 0; k < indexes.Length; k++) replies[indexes[k]] = sent[k];
        }
        var again = new List<(Item Item, RespValue? First, string? From)>();
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item.Task.IsCompleted) continue;
            if (replies[i] is not { } pending)
            {
                again.Add((item, null, null));
                continue;
            }
            try
            {
                var reply = await pending.ConfigureAwait(false);
                if (reply.IsError && RedisClusterClient.IsRetryable(reply.Text!)) again.Add((item, reply, addresses[i]));
                else item.TrySetResult(reply);
            }
            catch (Exception e) when (e is RedisConnectionException or ObjectDisposedException)
            {
                again.Add((item, null, null));
            }
            catch (Exception e)
            {
                item.TrySetException(e);
            }
        }
        if (again.Count > 0 && again.Any(a => a.First is null)) client.TriggerRefresh();
        // One at a time and in queue order, so two redirected commands on one key still run in the caller's order.
        foreach (var (item, first, from) in again)
        {
            try { item.TrySetResult(await client.SendToSlotAsync(item.Args, item.Slot, item.Read, first, from).ConfigureAwait(false)); }
            catch (Exception e) { item.TrySetException(e); }
        }
        return true;
    }

    async Task<bool> ExecTransactionAsync()
    {
        int slot;
        try
        {
            slot = RedisClusterClient.CommonSlot(items.SelectMany(i => client.KeysOf(i.Args)), "MULTI");
        }
        catch (RedisCrossSlotException e)
        {
            foreach (var item in items) item.TrySetException(e);
            throw;
        }
        for (int attempt = 1; ; attempt++)
        {
            string address = client.PickNode(slot, read: false);
            RedisClient node;
            try
            {
                node = await client.NodeAsync(address).ConfigureAwait(false);
                if (!node.Connection.IsConnected) throw new RedisConnectionException($"{address} is not connected");
            }
            catch (Exception e) when (e is RedisConnectionException or ObjectDisposedException && attempt <= client.Options.MaxRetries)
            {
                // Nothing was sent yet, so waiting for the map to name a reachable master is safe.
                client.TriggerRefresh();
                await client.BackoffAsync(attempt).ConfigureAwait(false);
                continue;
            }
            var tx = node.CreateTransaction();
            var queued = items.Select(i => tx.ExecuteAsync(Encoding.UTF8.GetString(i.Args[0]), i.Args[1..].Cast<object>().ToArray())).ToArray();
            try
            {
                bool ran = await tx.ExecAsync().ConfigureAwait(false);
                Complete(queued);
                return ran;
            }
            catch (RedisServerException) when (attempt <= client.Options.MaxRedirects && Moved(queued) is { } moved)
            {
                // MULTI queued nothing on a node that no longer owns the slot: EXEC aborted, so sending it again is safe.
                client.ApplyMoved(moved, address);
            }
            catch
            {
                Complete(queued);
                throw;
            }
        }
    }

    static string? Moved(Task<RespValue>[] queued) =>
        queued.Select(t => t.Exception?.InnerException).OfType<RedisServerException>().FirstOrDefault(e => e.Prefix == "MOVED")?.Message;

    void Complete(Task<RespValue>[] queued)
    {
        for (int i = 0; i < queued.Length; i++)
        {
            var t = queued[i];
            if (t.IsCompletedSuccessfully) items[i].TrySetResult(t.Result);
            else if (t.Exception?.InnerException is { } e) items[i].TrySetException(e);
            else items[i].TrySetException(new RedisConnectionException("the transaction ended without a reply to this command"));
        }
    }
}
