using Carmine.Protocol;

namespace Carmine.Server.Replication;

/// <summary>Who receives an effect: the AOF, the replicas, or both (PUBLISH reaches replicas only, as in Redis).</summary>
[Flags]
public enum PropagateTo
{
    Aof = 1,
    Replicas = 2,
    All = Aof | Replicas,
}

/// <summary>A change to the dataset as a command line in a database; <see cref="Db"/> -1 needs no SELECT (PING).</summary>
public readonly record struct Effect(int Db, byte[][] Argv, PropagateTo To);

/// <summary>A reader of the stream: the AOF, the backlog, a replica connection.</summary>
public interface IStreamConsumer
{
    /// <summary>Aof or Replicas: which half of the stream it reads (each half has its own SELECT state).</summary>
    PropagateTo Kind { get; }

    /// <summary>Receives the next bytes of the stream. Called under the stream's lock, in stream order; must not block.</summary>
    void Feed(ReadOnlySpan<byte> bytes);
}

/// <summary>
/// The one ordered stream of the dataset's changes (Redis's propagate()): every write command's effects,
/// expirations and evictions become RESP command lines here, and the AOF, the backlog and every replica read them.
/// A command appends its effects while it still holds the shard locks of its keys, so two changes to one key
/// reach the stream in the order they were applied; changes to different keys commute.
/// </summary>
public sealed class ReplicationStream
{
    static readonly byte[] Select = "SELECT"u8.ToArray();
    static readonly byte[][] MultiArgv = ["MULTI"u8.ToArray()];
    static readonly byte[][] ExecArgv = ["EXEC"u8.ToArray()];

    readonly object gate = new();
    readonly RespBuffer encoded = new(1024);
    IStreamConsumer[] consumers = [];
    int replicaDb = -1, aofDb = -1;
    long masterOffset;

    /// <summary>True when something reads the stream; with no reader, commands skip all propagation work.</summary>
    public bool Active => Volatile.Read(ref consumers).Length > 0;

    /// <summary>The lock that orders the stream: hold it to attach a reader at an exact offset.</summary>
    public object Gate => gate;

    /// <summary>Bytes ever sent to replicas: INFO's master_repl_offset.</summary>
    public long MasterOffset
    {
        get { lock (gate) return masterOffset; }
    }

    /// <summary>Set while the AOF is replayed: those commands are already where the stream would put them.</summary>
    public bool Loading { get; set; }

    /// <summary>The next AOF command says its database again (a new AOF file starts).</summary>
    public void ResetAofSelection()
    {
        lock (gate) aofDb = -1;
    }

    /// <summary>Attaches a reader (call with <see cref="Gate"/> held to pin its start offset).</summary>
    public void Attach(IStreamConsumer consumer)
    {
        lock (gate)
        {
            consumers = [.. consumers, consumer];
            // A new reader's first command must say which database it is in.
            if (consumer.Kind == PropagateTo.Aof) aofDb = -1;
            else replicaDb = -1;
        }
    }

    public void Detach(IStreamConsumer consumer)
    {
        lock (gate) consumers = [.. consumers.Where(x => x != consumer)];
    }

    /// <summary>
    /// Appends the effects of one command (or transaction, or script) atomically: more than one effect is
    /// wrapped in MULTI/EXEC, as Redis 7.0 does, so a replica or AOF applies all or none.
    /// </summary>
    public void Emit(IReadOnlyList<Effect> effects)
    {
        if (effects.Count == 0 || Loading) return;
        lock (gate)
        {
            var readers = consumers;
            if (readers.Length == 0) return;
            bool wrap = effects.Count > 1;
            bool anyAof = false, anyReplica = false;
            foreach (var r in readers)
            {
                if (r.Kind == PropagateTo.Aof) anyAof = true;
                else anyReplica = true;
            }
            if (anyReplica && Encode(effects, PropagateTo.Replicas, wrap, ref replicaDb))
            {
                masterOffset += encoded.Length;
                foreach (var r in readers)
                    if (r.Kind == PropagateTo.Replicas) r.Feed(encoded.Written);
            }
            if (anyAof && Encode(effects, PropagateTo.Aof, wrap, ref aofDb))
            {
                foreach (var r in readers)
                    if (r.Kind == PropagateTo.Aof) r.Feed(encoded.Written);
            }
        }
    }

    /// <summary>Appends one effect.</summary>
    public void Emit(Effect effect) => Emit([effect]);

    bool Encode(IReadOnlyList<Effect> effects, PropagateTo target, bool wrap, ref int selected)
    {
        encoded.Clear();
        int count = 0;
        foreach (var e in effects)
            if ((e.To & target) != 0) count++;
        if (count == 0) return false;
        wrap &= count > 1;
        bool opened = false;
        foreach (var e in effects)
        {
            if ((e.To & target) == 0) continue;
            if (e.Db >= 0 && e.Db != selected)
            {
                WriteCommand([Select, NumberBytes(e.Db)]);
                selected = e.Db;
            }
            if (wrap && !opened)
            {
                WriteCommand(MultiArgv);
                opened = true;
            }
            WriteCommand(e.Argv);
        }
        if (opened) WriteCommand(ExecArgv);
        return true;
    }

    void WriteCommand(byte[][] argv)
    {
        encoded.ArrayHeader(argv.Length);
        foreach (var a in argv) encoded.Bulk(a);
    }

    static byte[] NumberBytes(long n) => System.Text.Encoding.ASCII.GetBytes(n.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Turns an argument list into an effect's argv (copies: the request buffer is reused).</summary>
    public static byte[][] Argv(ArgList args, int from = 0)
    {
        var argv = new byte[args.Count - from][];
        for (int i = from; i < args.Count; i++) argv[i - from] = args.ToArray(i);
        return argv;
    }

    /// <summary>An argv from strings and byte arrays (numbers are formatted invariantly).</summary>
    public static byte[][] Argv(params object[] parts)
    {
        var argv = new byte[parts.Length][];
        for (int i = 0; i < parts.Length; i++)
        {
            argv[i] = parts[i] switch
            {
                byte[] b => b,
                string s => System.Text.Encoding.UTF8.GetBytes(s),
                long l => NumberBytes(l),
                int n => NumberBytes(n),
                _ => throw new ArgumentException("unsupported effect argument " + parts[i].GetType().Name),
            };
        }
        return argv;
    }
}
