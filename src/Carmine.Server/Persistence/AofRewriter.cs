using Carmine.Protocol;
using Carmine.Server.Types;

namespace Carmine.Server.Persistence;

/// <summary>
/// The base file of an AOF written as commands (aof-use-rdb-preamble no), as Redis's rewriteAppendOnlyFileRio:
/// SELECT per database, one command per key with at most 64 elements each (RPUSH, SADD, ZADD, HMSET), SET for
/// strings, PEXPIREAT for keys with a time to live, FUNCTION LOAD for each function library. Streams, whose groups and pending entries would need many
/// commands, are written as RESTORE of their DUMP payload, which any Redis 7.0 loads the same way.
/// </summary>
public static class AofRewriter
{
    const int ItemsPerCommand = 64;

    public static void Write(Stream output, IEnumerable<DbSection> dbs, IReadOnlyList<byte[]> functions, Action? perKey = null)
    {
        var buffer = new RespBuffer(64 * 1024);
        // Function libraries first, as Redis's rewrite does: keys' scripts may call them once loaded.
        foreach (var code in functions) Command(buffer, "FUNCTION"u8.ToArray(), "LOAD"u8.ToArray(), code);
        Span<byte> scratch = stackalloc byte[40];
        foreach (var db in dbs)
        {
            bool selected = false;
            foreach (var k in db.Keys)
            {
                perKey?.Invoke();
                if (!selected)
                {
                    Command(buffer, "SELECT"u8.ToArray(), Number(db.Index));
                    selected = true;
                }
                switch (k.Value)
                {
                    case byte[] or RawString:
                        Command(buffer, "SET"u8.ToArray(), k.Key, StringValue.Span(k.Value).ToArray());
                        break;
                    case ListValue list:
                        Batched(buffer, "RPUSH", k.Key, list.Nodes().SelectMany(n => n.Elements).Select(e => new[] { e }));
                        break;
                    case SetValue set:
                        {
                            var members = new List<byte[][]>(set.Count);
                            for (int i = 0; i < set.Count; i++) members.Add([set.MemberAt(i, scratch).ToArray()]);
                            Batched(buffer, "SADD", k.Key, members);
                            break;
                        }
                    case SortedSet z:
                        {
                            var pairs = new List<byte[][]>((int)z.Count);
                            for (var cur = z.Iterate(); cur.Valid; cur.Next())
                                pairs.Add([scratch[..NumberFormat.FormatDouble(cur.Score, scratch)].ToArray(), cur.Member.ToArray()]);
                            Batched(buffer, "ZADD", k.Key, pairs);
                            break;
                        }
                    case HashValue h:
                        {
                            var pairs = new List<byte[][]>();
                            foreach (var pair in h) pairs.Add([pair.Field.ToArray(), pair.Value.ToArray()]);
                            Batched(buffer, "HMSET", k.Key, pairs);
                            break;
                        }
                    default:
                        Command(buffer, "RESTORE"u8.ToArray(), k.Key, "0"u8.ToArray(), DumpPayload.Create(k.Value, compress: false), "REPLACE"u8.ToArray());
                        break;
                }
                if (k.ExpireAt != 0) Command(buffer, "PEXPIREAT"u8.ToArray(), k.Key, Number(k.ExpireAt));
                if (buffer.Length > 32 * 1024)
                {
                    output.Write(buffer.Written);
                    buffer.Clear();
                }
            }
        }
        output.Write(buffer.Written);
    }

    static void Batched(RespBuffer buffer, string command, byte[] key, IEnumerable<byte[][]> items)
    {
        var name = System.Text.Encoding.ASCII.GetBytes(command);
        var batch = new List<byte[]>();
        int count = 0;
        foreach (var item in items)
        {
            batch.AddRange(item);
            if (++count == ItemsPerCommand)
            {
                Command(buffer, [name, key, .. batch]);
                batch.Clear();
                count = 0;
            }
        }
        if (count > 0) Command(buffer, [name, key, .. batch]);
    }

    static void Command(RespBuffer buffer, params byte[][] argv)
    {
        buffer.ArrayHeader(argv.Length);
        foreach (var a in argv) buffer.Bulk(a);
    }

    static byte[] Number(long n) => System.Text.Encoding.ASCII.GetBytes(n.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
