using System.Runtime.CompilerServices;
using Carmine.Server.Types;

namespace Carmine.Server.Persistence;

/// <summary>
/// Lists in RDB: written as Redis 7.0 writes them (QUICKLIST_2: per node a container kind, then the element of a
/// plain node or a listpack of a packed one); read from that and from the older quicklist of ziplists, ziplist and
/// plain list encodings. Loaded lists are rebuilt by pushing, so their nodes follow list-max-listpack-size.
/// </summary>
static class ListRdb
{
    // quicklist.h's container kinds of a QUICKLIST_2 node.
    const ulong ContainerPlain = 1, ContainerPacked = 2;

    [ModuleInitializer]
    internal static void Register()
    {
        RdbTypeRegistry.Register(typeof(ListValue), Rdb.TypeListQuicklist2, Write);
        foreach (byte t in new[] { Rdb.TypeList, Rdb.TypeListZiplist, Rdb.TypeListQuicklist, Rdb.TypeListQuicklist2 })
            RdbTypeRegistry.Register(t, Load);
        // debug.c mixes every element in order, so the digest depends on order but not on node layout.
        DatasetDigest.Register(typeof(ListValue), 1, (digest, value) =>
        {
            foreach (var (_, elements) in ((ListValue)value).Nodes())
                foreach (var e in elements) DatasetDigest.Mix(digest, e);
        });
    }

    static void Write(RdbWriter w, object value)
    {
        var list = (ListValue)value;
        w.WriteLength((ulong)list.NodeCount);
        foreach (var (plain, elements) in list.Nodes())
        {
            if (plain)
            {
                w.WriteLength(ContainerPlain);
                w.WriteString(elements[0]);
                continue;
            }
            w.WriteLength(ContainerPacked);
            var lp = new ListpackBuilder();
            foreach (var e in elements) lp.Append(e);
            w.WriteString(lp.ToArray());
        }
    }

    static object? Load(RdbReader r, byte type, RdbLoadLimits limits)
    {
        var list = new ListValue(limits.ListFill, limits.ListCompressDepth);
        switch (type)
        {
            case Rdb.TypeList:
                for (int i = r.ReadCount(); i > 0; i--) list.Push(r.ReadString(), atHead: false);
                break;
            case Rdb.TypeListZiplist:
                PushBlob(list, r, CompactBlob.ReadZiplist, "List ziplist integrity check failed.");
                break;
            default:
                for (int i = r.ReadCount(); i > 0; i--)
                {
                    if (type == Rdb.TypeListQuicklist)
                    {
                        PushBlob(list, r, CompactBlob.ReadZiplist, "Ziplist integrity check failed.");
                        continue;
                    }
                    int at = r.Position;
                    ulong container = r.ReadLength();
                    if (container == ContainerPlain) list.Push(NodeData(r), atHead: false);
                    else if (container == ContainerPacked) PushBlob(list, r, CompactBlob.ReadListpack, "Listpack integrity check failed.");
                    else throw new RdbFormatException("Quicklist integrity check failed.", at);
                }
                break;
        }
        return list.Count == 0 ? null : list;
    }

    static void PushBlob(ListValue list, RdbReader r, BlobParser parse, string error)
    {
        int at = r.Position;
        var elements = parse(r.ReadString()) ?? throw new RdbFormatException(error, at);
        foreach (var e in elements) list.Push(e, atHead: false);
    }

    /// <summary>A plain quicklist node's element; Redis never writes an empty node, so one is corrupt.</summary>
    static byte[] NodeData(RdbReader r)
    {
        int at = r.Position;
        var data = r.ReadString();
        return data.Length > 0 ? data : throw new RdbFormatException("Empty quicklist node", at);
    }
}
