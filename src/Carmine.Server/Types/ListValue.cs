namespace Carmine.Server.Types;

/// <summary>
/// A Redis list as a quicklist: a doubly linked list of nodes, each packing many entries into one byte array,
/// so a long list costs a few objects per node instead of one per element. Pushes and pops at both ends are
/// O(1); positional access walks whole nodes first, then entries inside one node.
/// Nodes are bounded like Redis's: a negative fill caps a node's bytes (-1 = 4 KB ... -5 = 64 KB), a positive
/// fill caps its entry count (and, for safety, its bytes at 8 KB). An element too large for any node gets its own,
/// as does every element of at least <see cref="PackedThreshold"/> bytes (a "plain" node in Redis).
/// With a compress depth d > 0, all nodes but the d first and d last are kept LZF-compressed, as Redis does
/// (list-compress-depth): a node is decompressed while an operation works on it and compressed again after.
/// </summary>
public sealed class ListValue : IRedisObject, ICopyable
{
    static readonly int[] SizeLimits = [4096, 8192, 16384, 32768, 65536];
    const int SafetyLimit = 8192;
    const long DefaultPackedThreshold = 1L << 30;
    // Redis does not compress nodes smaller than this, nor keep a compression that saves less than 8 bytes.
    const int MinCompressBytes = 48, MinCompressGain = 8;

    /// <summary>Elements at least this long get a node of their own; DEBUG QUICKLIST-PACKED-THRESHOLD changes it for tests.</summary>
    public static long PackedThreshold { get; private set; } = DefaultPackedThreshold;

    /// <summary>Sets <see cref="PackedThreshold"/> as Redis does: 0 restores the default, nearly 4 GB or more is refused.</summary>
    public static bool SetPackedThreshold(long size)
    {
        if (size < 0 || size > (1L << 32) - (1 << 20)) return false;
        PackedThreshold = size == 0 ? DefaultPackedThreshold : size;
        return true;
    }

    readonly int fill;
    readonly int compressDepth;
    Node? head, tail;
    // Nodes an operation decompressed or created; compressed again when it ends, unless near an end.
    readonly List<Node> touched = [];

    public string TypeName => "list";
    public string Encoding => "quicklist";

    /// <summary>Number of elements.</summary>
    public long Count { get; private set; }

    /// <param name="fill">list-max-listpack-size at creation, as Redis fixes it per list.</param>
    /// <param name="compressDepth">list-compress-depth at creation: how many nodes at each end stay uncompressed (0 = none compressed).</param>
    public ListValue(int fill, int compressDepth = 0)
    {
        this.fill = fill;
        this.compressDepth = compressDepth;
    }

    /// <summary>One packed node: entries live in Buf[Start..End), with free room kept at both ends.</summary>
    internal sealed class Node(byte[] buf, int start)
    {
        public byte[] Buf = buf;
        public int Start = start, End = start;
        public int Count;
        /// <summary>Holds one element of at least <see cref="PackedThreshold"/> bytes, and never more.</summary>
        public bool Plain;
        /// <summary>Buf[Start..End) holds the LZF form of <see cref="RawSize"/> bytes of entries.</summary>
        public bool Compressed;
        public int RawSize;
        public bool Linked;
        public Node? Prev, Next;
        public int Size => End - Start;
    }

    /// <summary>A position in the list: one entry, valid until the list is modified.</summary>
    public struct Iterator
    {
        Node? node;
        byte[] buf;
        int start, end, pos;

        internal Iterator(Node node, long local)
        {
            this.node = node;
            (buf, start, end) = View(node);
            pos = Seek(buf, start, end, node.Count, local);
        }

        public readonly ReadOnlySpan<byte> Current => PackedEntry.Read(buf, pos, out _);

        /// <summary>Moves one entry towards the tail; false (and invalid) past the end.</summary>
        public bool MoveNext()
        {
            PackedEntry.Read(buf, pos, out int next);
            if (next < end) pos = next;
            else
            {
                node = node!.Next;
                if (node is not null)
                {
                    (buf, start, end) = View(node);
                    pos = start;
                }
            }
            return node is not null;
        }

        /// <summary>Moves one entry towards the head; false (and invalid) before the start.</summary>
        public bool MovePrevious()
        {
            if (pos > start) pos = PackedEntry.PreviousStart(buf, pos);
            else
            {
                node = node!.Prev;
                if (node is not null)
                {
                    (buf, start, end) = View(node);
                    pos = PackedEntry.PreviousStart(buf, end);
                }
            }
            return node is not null;
        }
    }

    public int NodeCount
    {
        get
        {
            int count = 0;
            for (var n = head; n is not null; n = n.Next) count++;
            return count;
        }
    }

    /// <summary>The nodes from head to tail, as RDB writes them: whether each is plain, and its elements.</summary>
    public IEnumerable<(bool Plain, List<byte[]> Elements)> Nodes()
    {
        for (var n = head; n is not null; n = n.Next)
        {
            var (buf, pos, end) = View(n);
            var elements = new List<byte[]>(n.Count);
            while (pos < end) elements.Add(PackedEntry.Read(buf, pos, out pos).ToArray());
            yield return (n.Plain, elements);
        }
    }

    /// <summary>COPY and BGSAVE: the same elements under the same fill and compress depth.</summary>
    public IRedisObject DeepCopy()
    {
        var copy = new ListValue(fill, compressDepth);
        for (var n = head; n is not null; n = n.Next)
        {
            var (buf, pos, end) = View(n);
            while (pos < end) copy.Push(PackedEntry.Read(buf, pos, out pos), atHead: false);
        }
        return copy;
    }

    /// <summary>The entry at <paramref name="index"/> (0 ≤ index &lt; Count), reached from the nearer end.</summary>
    public Iterator At(long index)
    {
        var (n, local) = Locate(index);
        return new Iterator(n, local);
    }

    public void Push(ReadOnlySpan<byte> value, bool atHead)
    {
        int size = PackedEntry.Size(value.Length);
        var n = atHead ? head : tail;
        if (n is not null) Raw(n);
        if (n is null || !Allows(n, size, value.Length))
        {
            n = NewNode(size, atHead, value.Length);
            if (atHead) LinkBefore(head, n);
            else LinkAfter(tail, n);
        }
        MakeRoom(n, size, atHead);
        if (atHead)
        {
            n.Start -= size;
            PackedEntry.Write(n.Buf, n.Start, value);
        }
        else
        {
            PackedEntry.Write(n.Buf, n.End, value);
            n.End += size;
        }
        n.Count++;
        Count++;
        Recompress();
    }

    /// <summary>Removes and returns the first or last element; the list must not be empty.</summary>
    public byte[] Pop(bool atHead)
    {
        var n = atHead ? head! : tail!;
        Raw(n);
        byte[] value;
        if (atHead)
        {
            value = PackedEntry.Read(n.Buf, n.Start, out int next).ToArray();
            n.Start = next;
        }
        else
        {
            int start = PackedEntry.PreviousStart(n.Buf, n.End);
            value = PackedEntry.Read(n.Buf, start, out _).ToArray();
            n.End = start;
        }
        n.Count--;
        Count--;
        if (n.Count == 0) Unlink(n);
        Recompress();
        return value;
    }

    /// <summary>Removes <paramref name="count"/> elements from the head or the tail (LTRIM, LPOP with a count).</summary>
    public void RemoveEnd(long count, bool atHead)
    {
        count = Math.Min(count, Count);
        while (count > 0)
        {
            var n = atHead ? head! : tail!;
            if (n.Count <= count)
            {
                count -= n.Count;
                Count -= n.Count;
                Unlink(n);
                continue;
            }
            Raw(n);
            for (; count > 0; count--)
            {
                if (atHead) PackedEntry.Read(n.Buf, n.Start, out n.Start);
                else n.End = PackedEntry.PreviousStart(n.Buf, n.End);
                n.Count--;
                Count--;
            }
        }
        Recompress();
    }

    /// <summary>Replaces the element at <paramref name="index"/> (0 ≤ index &lt; Count).</summary>
    public void Set(long index, ReadOnlySpan<byte> value)
    {
        SetCore(index, value);
        Recompress();
    }

    void SetCore(long index, ReadOnlySpan<byte> value)
    {
        var (n, local) = Locate(index);
        Raw(n);
        int pos = Seek(n.Buf, n.Start, n.End, n.Count, local);
        PackedEntry.Read(n.Buf, pos, out int next);
        int oldSize = next - pos, size = PackedEntry.Size(value.Length);
        if (oldSize == size)
        {
            PackedEntry.Write(n.Buf, pos, value);
            return;
        }
        if (n.Count == 1)
        {
            // Rewrite the lone entry in place of the old one, keeping the node where it is.
            n.Start = n.End = pos;
            n.Count = 0;
            n.Plain = value.Length >= PackedThreshold;
            MakeRoom(n, size, false);
            PackedEntry.Write(n.Buf, n.End, value);
            n.End += size;
            n.Count = 1;
            return;
        }
        RemoveEntry(n, pos);
        InsertAt(n, pos, value);
    }

    /// <summary>LINSERT: inserts next to the first occurrence of <paramref name="pivot"/>; false if it is absent.</summary>
    public bool Insert(ReadOnlySpan<byte> pivot, ReadOnlySpan<byte> value, bool after)
    {
        bool found = InsertCore(pivot, value, after);
        Recompress();
        return found;
    }

    bool InsertCore(ReadOnlySpan<byte> pivot, ReadOnlySpan<byte> value, bool after)
    {
        for (var n = head; n is not null; n = n.Next)
        {
            Raw(n);
            for (int pos = n.Start; pos < n.End;)
            {
                var entry = PackedEntry.Read(n.Buf, pos, out int next);
                if (entry.SequenceEqual(pivot))
                {
                    InsertAt(n, after ? next : pos, value);
                    return true;
                }
                pos = next;
            }
        }
        return false;
    }

    /// <summary>LREM: removes up to |count| occurrences (all if 0), from the tail when count is negative.</summary>
    public long Remove(ReadOnlySpan<byte> value, long count)
    {
        long removed = RemoveCore(value, count);
        Recompress();
        return removed;
    }

    long RemoveCore(ReadOnlySpan<byte> value, long count)
    {
        long limit = count == 0 ? long.MaxValue : Math.Abs(count);
        long removed = 0;
        if (count >= 0)
        {
            var n = head;
            while (n is not null && removed < limit)
            {
                var next = n.Next;
                Raw(n);
                int pos = n.Start;
                while (pos < n.End && removed < limit)
                {
                    var entry = PackedEntry.Read(n.Buf, pos, out int after);
                    if (!entry.SequenceEqual(value))
                    {
                        pos = after;
                        continue;
                    }
                    removed++;
                    if (RemoveEntry(n, pos)) break;
                }
                n = next;
            }
        }
        else
        {
            var n = tail;
            while (n is not null && removed < limit)
            {
                var prev = n.Prev;
                Raw(n);
                int end = n.End;
                while (end > n.Start && removed < limit)
                {
                    int pos = PackedEntry.PreviousStart(n.Buf, end);
                    if (PackedEntry.Read(n.Buf, pos, out _).SequenceEqual(value))
                    {
                        removed++;
                        if (RemoveEntry(n, pos)) break;
                    }
                    end = pos;
                }
                n = prev;
            }
        }
        return removed;
    }

    /// <summary>The node holding <paramref name="index"/> and the entry's position inside it.</summary>
    (Node, long) Locate(long index)
    {
        Node n;
        long local;
        if (index < Count / 2)
        {
            n = head!;
            while (index >= n.Count)
            {
                index -= n.Count;
                n = n.Next!;
            }
            local = index;
        }
        else
        {
            long fromTail = Count - 1 - index;
            n = tail!;
            while (fromTail >= n.Count)
            {
                fromTail -= n.Count;
                n = n.Prev!;
            }
            local = n.Count - 1 - fromTail;
        }
        return (n, local);
    }

    /// <summary>The offset of entry number <paramref name="local"/> among <paramref name="count"/> in buf[start..end), walked from the nearer end.</summary>
    static int Seek(byte[] buf, int start, int end, int count, long local)
    {
        int pos;
        if (local <= count / 2)
        {
            pos = start;
            for (long i = 0; i < local; i++) PackedEntry.Read(buf, pos, out pos);
        }
        else
        {
            pos = end;
            for (long i = count; i > local; i--) pos = PackedEntry.PreviousStart(buf, pos);
        }
        return pos;
    }

    /// <summary>A node's entries for reading: its own buffer, or a decompressed copy.</summary>
    static (byte[] Buf, int Start, int End) View(Node n)
    {
        if (!n.Compressed) return (n.Buf, n.Start, n.End);
        var raw = Inflate(n);
        return (raw, 0, raw.Length);
    }

    static byte[] Inflate(Node n)
    {
        var raw = new byte[n.RawSize];
        if (!Persistence.Lzf.Decompress(n.Buf.AsSpan(n.Start, n.Size), raw))
            throw new InvalidOperationException("corrupt compressed list node");
        return raw;
    }

    /// <summary>Decompresses a node for an operation that works on it; it is compressed again when the operation ends.</summary>
    void Raw(Node n)
    {
        if (!n.Compressed) return;
        var raw = Inflate(n);
        n.Buf = raw;
        n.Start = 0;
        n.End = raw.Length;
        n.Compressed = false;
        touched.Add(n);
    }

    static void Compress(Node n)
    {
        int size = n.Size;
        if (n.Compressed || size < MinCompressBytes) return;
        var packed = new byte[size - MinCompressGain - 1];
        int length = Persistence.Lzf.Compress(n.Buf.AsSpan(n.Start, size), packed);
        if (length == 0) return;
        n.RawSize = size;
        n.Buf = packed.AsSpan(0, length).ToArray();
        n.Start = 0;
        n.End = length;
        n.Compressed = true;
    }

    /// <summary>Compresses what the last operation left uncompressed outside the compress-depth nodes at each end.</summary>
    void Recompress()
    {
        if (compressDepth == 0) return;
        foreach (var n in touched)
            if (n.Linked && !NearAnEnd(n)) Compress(n);
        touched.Clear();
        // A push or pop shifts which nodes are near an end: the first node past each window is compressed.
        Node? fromHead = head, fromTail = tail;
        for (int i = 0; i < compressDepth; i++)
        {
            fromHead = fromHead?.Next;
            fromTail = fromTail?.Prev;
        }
        if (fromHead is not null && !NearAnEnd(fromHead)) Compress(fromHead);
        if (fromTail is not null && !NearAnEnd(fromTail)) Compress(fromTail);
    }

    bool NearAnEnd(Node n)
    {
        Node? a = head, b = tail;
        for (int i = 0; i < compressDepth && a is not null; i++)
        {
            if (a == n || b == n) return true;
            a = a.Next;
            b = b!.Prev;
        }
        return false;
    }

    /// <summary>Whether a node may take one more entry of <paramref name="entrySize"/> bytes holding <paramref name="length"/> bytes.</summary>
    bool Allows(Node n, int entrySize, int length)
    {
        if (n.Plain || length >= PackedThreshold) return false;
        int newSize = n.Size + entrySize;
        if (fill < 0) return newSize <= SizeLimits[Math.Min(-fill, SizeLimits.Length) - 1];
        return n.Count < fill && newSize <= SafetyLimit;
    }

    /// <summary>Removes the entry at <paramref name="pos"/>, closing the gap from the right; true if the node went away.</summary>
    bool RemoveEntry(Node n, int pos)
    {
        PackedEntry.Read(n.Buf, pos, out int next);
        Buffer.BlockCopy(n.Buf, next, n.Buf, pos, n.End - next);
        n.End -= next - pos;
        n.Count--;
        Count--;
        if (n.Count > 0) return false;
        Unlink(n);
        return true;
    }

    /// <summary>Inserts before the entry at <paramref name="pos"/> (or at the node's end), splitting a full node.</summary>
    void InsertAt(Node n, int pos, ReadOnlySpan<byte> value)
    {
        int size = PackedEntry.Size(value.Length);
        if (!Allows(n, size, value.Length))
        {
            if (pos == n.Start || pos == n.End)
            {
                bool front = pos == n.Start;
                var neighbour = front ? n.Prev : n.Next;
                if (neighbour is not null) Raw(neighbour);
                if (neighbour is not null && Allows(neighbour, size, value.Length))
                {
                    PushInto(neighbour, value, size, !front);
                    return;
                }
                var fresh = NewNode(size, false, value.Length);
                if (front) LinkBefore(n, fresh);
                else LinkAfter(n, fresh);
                PushInto(fresh, value, size, false);
                return;
            }
            Split(n, pos);
            if (Allows(n, size, value.Length)) PushInto(n, value, size, false);
            else
            {
                var fresh = NewNode(size, false, value.Length);
                LinkAfter(n, fresh);
                PushInto(fresh, value, size, false);
            }
            return;
        }
        int offset = pos - n.Start;
        if (n.Buf.Length - n.End >= size)
        {
            Buffer.BlockCopy(n.Buf, pos, n.Buf, pos + size, n.End - pos);
            n.End += size;
        }
        else if (n.Start >= size)
        {
            Buffer.BlockCopy(n.Buf, n.Start, n.Buf, n.Start - size, offset);
            n.Start -= size;
            pos -= size;
        }
        else
        {
            MakeRoom(n, size, false);
            pos = n.Start + offset;
            Buffer.BlockCopy(n.Buf, pos, n.Buf, pos + size, n.End - pos);
            n.End += size;
        }
        PackedEntry.Write(n.Buf, pos, value);
        n.Count++;
        Count++;
    }

    void PushInto(Node n, ReadOnlySpan<byte> value, int size, bool atFront)
    {
        MakeRoom(n, size, atFront);
        if (atFront)
        {
            n.Start -= size;
            PackedEntry.Write(n.Buf, n.Start, value);
        }
        else
        {
            PackedEntry.Write(n.Buf, n.End, value);
            n.End += size;
        }
        n.Count++;
        Count++;
    }

    /// <summary>Moves the entries from <paramref name="pos"/> on into a new node after <paramref name="n"/>.</summary>
    void Split(Node n, int pos)
    {
        int moved = 0;
        for (int p = pos; p < n.End; moved++) PackedEntry.Read(n.Buf, p, out p);
        int bytes = n.End - pos;
        var right = NewNode(bytes, false, 0);
        Buffer.BlockCopy(n.Buf, pos, right.Buf, right.Start, bytes);
        right.End += bytes;
        right.Count = moved;
        n.End = pos;
        n.Count -= moved;
        LinkAfter(n, right);
    }

    Node NewNode(int firstEntry, bool forHead, int length)
    {
        bool plain = length >= PackedThreshold;
        // A node that will not grow (plain, or already past any size limit) gets no spare room.
        int capacity = plain || firstEntry > SizeLimits[^1] ? firstEntry : Math.Max(64, firstEntry * 2);
        var n = new Node(new byte[capacity], forHead ? capacity : 0) { Plain = plain };
        if (compressDepth > 0) touched.Add(n);
        return n;
    }

    /// <summary>Ensures <paramref name="size"/> free bytes at the front or the back, recentring or growing the buffer.</summary>
    static void MakeRoom(Node n, int size, bool atFront)
    {
        if (atFront ? n.Start >= size : n.Buf.Length - n.End >= size) return;
        int used = n.Size;
        byte[] buf = n.Buf;
        if (used + size > buf.Length - (buf.Length >> 2)) buf = new byte[Math.Max(64, (used + size) * 2)];
        int spare = buf.Length - used - size;
        int start = atFront ? size + spare / 2 : spare / 2;
        Buffer.BlockCopy(n.Buf, n.Start, buf, start, used);
        n.Buf = buf;
        n.Start = start;
        n.End = start + used;
    }

    void LinkBefore(Node? at, Node n)
    {
        n.Next = at;
        n.Prev = at?.Prev;
        if (at is null)
        {
            n.Prev = tail;
            if (tail is not null) tail.Next = n;
            tail = n;
        }
        else at.Prev = n;
        if (n.Prev is null) head = n;
        else n.Prev.Next = n;
        n.Linked = true;
    }

    void LinkAfter(Node? at, Node n)
    {
        if (at is null)
        {
            LinkBefore(head, n);
            return;
        }
        LinkBefore(at.Next, n);
    }

    void Unlink(Node n)
    {
        if (n.Prev is null) head = n.Next;
        else n.Prev.Next = n.Next;
        if (n.Next is null) tail = n.Prev;
        else n.Next.Prev = n.Prev;
        n.Prev = n.Next = null;
        n.Linked = false;
    }
}

/// <summary>
/// The entry format inside a list node: a varint length, the bytes, then the length of those two written so it
/// can be read backwards (as a listpack's backlen), which makes popping and iterating from the tail cheap.
/// </summary>
static class PackedEntry
{
    static int VarSize(int v) => v < 1 << 7 ? 1 : v < 1 << 14 ? 2 : v < 1 << 21 ? 3 : v < 1 << 28 ? 4 : 5;

    public static int Size(int length)
    {
        int body = VarSize(length) + length;
        return body + VarSize(body);
    }

    public static void Write(byte[] buf, int pos, ReadOnlySpan<byte> value)
    {
        int len = value.Length;
        int header = VarSize(len);
        uint v = (uint)len;
        for (int i = 0; i < header; i++, v >>= 7)
            buf[pos + i] = (byte)((v & 0x7F) | (i < header - 1 ? 0x80u : 0));
        value.CopyTo(buf.AsSpan(pos + header));
        // The back length: its lowest group sits last, each group but the leftmost flagged "more to the left".
        int body = header + len;
        int back = VarSize(body);
        int end = pos + body + back;
        uint b = (uint)body;
        for (int i = 0; i < back; i++, b >>= 7)
            buf[end - 1 - i] = (byte)((b & 0x7F) | (i < back - 1 ? 0x80u : 0));
    }

    /// <summary>The value of the entry starting at <paramref name="pos"/>; <paramref name="next"/> is where the next one starts.</summary>
    public static ReadOnlySpan<byte> Read(byte[] buf, int pos, out int next)
    {
        int len = 0, shift = 0, p = pos;
        while (true)
        {
            byte b = buf[p++];
            len |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) break;
            shift += 7;
        }
        int body = p - pos + len;
        next = pos + body + VarSize(body);
        return new ReadOnlySpan<byte>(buf, p, len);
    }

    /// <summary>The start of the entry that ends at <paramref name="end"/>.</summary>
    public static int PreviousStart(byte[] buf, int end)
    {
        int body = 0, shift = 0, p = end - 1;
        while (true)
        {
            byte b = buf[p];
            body |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) break;
            shift += 7;
            p--;
        }
        return p - body;
    }
}
