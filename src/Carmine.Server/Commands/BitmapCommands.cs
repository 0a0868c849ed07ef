using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Carmine.Protocol;
using Carmine.Server.Network;
using Carmine.Server.PubSub;
using Carmine.Server.Types;

namespace Carmine.Server.Commands;

/// <summary>The bitmap commands (bitops.c in Redis): bits and bit fields of string values.</summary>
static class BitmapCommands
{
    const string BitOffsetError = "ERR bit offset is not an integer or out of range";
    const string BitValueError = "ERR bit is not an integer or out of range";

    enum BitOp { And, Or, Xor, Not }

    enum Overflow { Wrap, Sat, Fail }

    enum FieldOp { Get, Set, IncrBy }

    readonly record struct FieldCommand(FieldOp Op, long Offset, int Bits, bool Signed, long Value, Overflow Overflow);

    [Command("setbit", 4, Flags = "write denyoom", Acl = "bitmap", Group = "bitmap", Since = "2.2.0", Keys = ["RW access update; index 1; range 0 1 0"],
        Summary = "Sets or clears the bit at offset in the string value stored at key", Complexity = "O(1)",
        Arguments = ["key:key", "offset:integer", "value:integer"])]
    static void SetBit(Client c)
    {
        if (!TryBitOffset(c, 2, 0, out long offset)) return;
        if (!NumberFormat.TryParseInt64(c.Args[3], out long on) || (on & ~1L) != 0)
        {
            c.Error(BitValueError);
            return;
        }
        if (!TryLookupForWrite(c, offset, out var raw, out bool grown)) return;
        var bytes = raw.Writable;
        int index = (int)(offset >> 3), shift = 7 - (int)(offset & 7);
        int old = (bytes[index] >> shift) & 1;
        if (grown || old != on)
        {
            bytes[index] = (byte)((bytes[index] & ~(1 << shift)) | ((int)on << shift));
            StringCommands.Notify(c, NotifyFlags.String, "setbit", c.Args[1]);
            c.Dirty();
        }
        c.Reply.Integer(old);
    }

    [Command("getbit", 3, Flags = "readonly fast", Acl = "bitmap", Group = "bitmap", Since = "2.2.0", Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Returns the bit value at offset in the string value stored at key", Complexity = "O(1)",
        Arguments = ["key:key", "offset:integer"])]
    static void GetBit(Client c)
    {
        if (!TryBitOffset(c, 2, 0, out long offset)) return;
        if (!c.TryReadString(c.Args[1], out var e)) return;
        c.Reply.Integer(e is null ? 0 : Bitmap.GetBit(StringValue.Span(e.Value), offset));
    }

    [Command("bitcount", -2, Flags = "readonly", Acl = "bitmap", Group = "bitmap", Since = "2.6.0", Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Count set bits in a string", Complexity = "O(N)", History = ["7.0.0: Added the `BYTE|BIT` option."],
        Arguments = ["key:key", "index:block optional (start:integer | end:integer | index_unit:oneof since=7.0.0 optional (byte:pure-token token=BYTE | bit:pure-token token=BIT))"])]
    static void BitCount(Client c)
    {
        var args = c.Args;
        if (!c.TryReadString(args[1], out var e)) return;
        if (e is null)
        {
            c.Reply.Integer(0);
            return;
        }
        var p = StringValue.Span(e.Value);
        long start = 0, end = p.Length - 1;
        byte firstMask = 0, lastMask = 0;
        if (args.Count == 4 || args.Count == 5)
        {
            if (!c.TryLong(2, out start) || !c.TryLong(3, out end)) return;
            if (start < 0 && end < 0 && start > end)
            {
                c.Reply.Integer(0);
                return;
            }
            if (!TryRangeUnit(c, 4, out bool isBit)) return;
            NormalizeRange(p.Length, isBit, ref start, ref end, out firstMask, out lastMask);
        }
        else if (args.Count != 2)
        {
            c.Error(Errors.Syntax);
            return;
        }
        if (start > end)
        {
            c.Reply.Integer(0);
            return;
        }
        long count = Bitmap.PopCount(p.Slice((int)start, (int)(end - start + 1)));
        // The edge bytes were counted whole; take back the bits outside a BIT range.
        count -= Bitmap.PopCount([(byte)(p[(int)start] & firstMask), (byte)(p[(int)end] & lastMask)]);
        c.Reply.Integer(count);
    }

    [Command("bitpos", -3, Flags = "readonly", Acl = "bitmap", Group = "bitmap", Since = "2.8.7", Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Find first bit set or clear in a string", Complexity = "O(N)", History = ["7.0.0: Added the `BYTE|BIT` option."],
        Arguments = ["key:key", "bit:integer", "index:block optional (start:integer | end_index:block optional (end:integer | index_unit:oneof since=7.0.0 optional (byte:pure-token token=BYTE | bit:pure-token token=BIT)))"])]
    static void BitPos(Client c)
    {
        var args = c.Args;
        if (!c.TryLong(2, out long bit)) return;
        if (bit != 0 && bit != 1)
        {
            c.Error("ERR The bit argument must be 1 or 0.");
            return;
        }
        if (!c.TryReadString(args[1], out var e)) return;
        if (e is null)
        {
            // A missing key is an endless run of clear bits.
            c.Reply.Integer(bit == 1 ? -1 : 0);
            return;
        }
        var p = StringValue.Span(e.Value);
        long start = 0, end = p.Length - 1;
        bool endGiven = false;
        byte firstMask = 0, lastMask = 0;
        if (args.Count >= 4 && args.Count <= 6)
        {
            if (!c.TryLong(3, out start)) return;
            if (!TryRangeUnit(c, 5, out bool isBit)) return;
            if (args.Count >= 5)
            {
                if (!c.TryLong(4, out end)) return;
                endGiven = true;
            }
            else end = isBit ? (long)p.Length * 8 + 7 : p.Length - 1;
            NormalizeRange(p.Length, isBit, ref start, ref end, out firstMask, out lastMask);
        }
        else if (args.Count != 3)
        {
            c.Error(Errors.Syntax);
            return;
        }
        c.Reply.Integer(start > end ? -1 : FindBit(p, (int)bit, start, end, endGiven, firstMask, lastMask));
    }

    /// <summary>
    /// BITPOS over bytes start..end, where the masks hide the bits of the edge bytes outside a BIT range. With an
    /// explicit end, looking for a clear bit does not run on into the zero padding past the range.
    /// </summary>
    static long FindBit(ReadOnlySpan<byte> p, int bit, long start, long end, bool endGiven, byte firstMask, byte lastMask)
    {
        long bytes = end - start + 1;
        long pos;
        if (firstMask != 0)
        {
            byte first = Hide(p[(int)start], firstMask, bit);
            if (lastMask != 0 && bytes == 1) first = Hide(first, lastMask, bit);
            pos = Bitmap.FirstBit([first], bit);
            if (bytes == 1 || (pos != -1 && pos != 8)) return Result(pos);
            start++;
            bytes--;
        }
        long middle = bytes - (lastMask != 0 ? 1 : 0);
        if (middle > 0)
        {
            pos = Bitmap.FirstBit(p.Slice((int)start, (int)middle), bit);
            if (bytes == middle || (pos != -1 && pos != middle * 8)) return Result(pos);
            start += middle;
            bytes -= middle;
        }
        pos = Bitmap.FirstBit([Hide(p[(int)end], lastMask, bit)], bit);
        return Result(pos);

        long Result(long found)
        {
            if (endGiven && bit == 0 && found == bytes * 8) return -1;
            return found == -1 ? -1 : found + start * 8;
        }
    }

    /// <summary>Sets the masked bits to the value not searched for, so the search skips them.</summary>
    static byte Hide(byte b, byte mask, int bit) => bit == 1 ? (byte)(b & ~mask) : (byte)(b | mask);

    /// <summary>The optional BIT|BYTE argument at <paramref name="i"/>; BYTE when absent.</summary>
    static bool TryRangeUnit(Client c, int i, out bool isBit)
    {
        isBit = false;
        if (i >= c.Args.Count || c.Args.Is(i, "byte")) return true;
        if (c.Args.Is(i, "bit"))
        {
            isBit = true;
            return true;
        }
        c.Error(Errors.Syntax);
        return false;
    }

    /// <summary>
    /// Resolves negative indexes and clamps start/end to the string, in bytes or bits. A bit range is turned into
    /// bytes, with masks of the bits of the first and last byte that lie outside it.
    /// </summary>
    static void NormalizeRange(long length, bool isBit, ref long start, ref long end, out byte firstMask, out byte lastMask)
    {
        firstMask = lastMask = 0;
        long total = isBit ? length * 8 : length;
        if (start < 0) start = Math.Max(0, total + start);
        if (end < 0) end = Math.Max(0, total + end);
        if (end >= total) end = total - 1;
        if (!isBit || start > end) return;
        firstMask = (byte)~((1 << (8 - (int)(start & 7))) - 1);
        lastMask = (byte)((1 << (7 - (int)(end & 7))) - 1);
        start >>= 3;
        end >>= 3;
    }

    [Command("bitop", -4, Flags = "write denyoom", Acl = "bitmap", Group = "bitmap", Since = "2.6.0",
        Keys = ["OW update; index 2; range 0 1 0", "RO access; index 3; range -1 1 0"],
        Summary = "Perform bitwise operations between strings", Complexity = "O(N)",
        Arguments = ["operation:string", "destkey:key", "key:key multiple"])]
    static void BitOpCommand(Client c)
    {
        var args = c.Args;
        BitOp op;
        if (args.Is(1, "and")) op = BitOp.And;
        else if (args.Is(1, "or")) op = BitOp.Or;
        else if (args.Is(1, "xor")) op = BitOp.Xor;
        else if (args.Is(1, "not")) op = BitOp.Not;
        else
        {
            c.Error(Errors.Syntax);
            return;
        }
        if (op == BitOp.Not && args.Count != 4)
        {
            c.Error("ERR BITOP NOT must be called with a single source key.");
            return;
        }
        var sources = new object?[args.Count - 3];
        int maxLength = 0;
        for (int i = 0; i < sources.Length; i++)
        {
            if (!c.TryReadString(args[i + 3], out var e)) return;
            sources[i] = e?.Value;
            if (e is not null) maxLength = Math.Max(maxLength, StringValue.Span(e.Value).Length);
        }
        var target = args[2];
        var existing = c.LookupWrite(target);
        if (maxLength == 0)
        {
            if (existing is not null)
            {
                c.Database.Remove(existing);
                StringCommands.Notify(c, NotifyFlags.Generic, "del", target);
                c.Dirty();
            }
            c.Reply.Integer(0);
            return;
        }
        var result = new RawString([], maxLength);
        result.EnsureLength(maxLength);
        Combine(op, sources, result.Writable);
        StringCommands.SetKey(c, target, existing, result, keepTtl: false);
        StringCommands.Notify(c, NotifyFlags.String, "set", target);
        c.Dirty();
        c.Reply.Integer(maxLength);
    }

    /// <summary>Computes the operation into <paramref name="result"/>; missing keys and short strings read as zero bytes.</summary>
    static void Combine(BitOp op, object?[] sources, Span<byte> result)
    {
        ReadOnlySpan<byte> Source(int i) => sources[i] is { } v ? StringValue.Span(v) : [];
        Source(0).CopyTo(result);
        if (op == BitOp.Not)
        {
            var words = MemoryMarshal.Cast<byte, ulong>(result);
            for (int j = 0; j < words.Length; j++) words[j] = ~words[j];
            for (int j = words.Length * 8; j < result.Length; j++) result[j] = (byte)~result[j];
            return;
        }
        for (int i = 1; i < sources.Length; i++)
        {
            var src = Source(i);
            Apply(op, result[..src.Length], src);
            if (op == BitOp.And) result[src.Length..].Clear();
        }
    }

    /// <summary>dst = dst op src, a machine word at a time.</summary>
    static void Apply(BitOp op, Span<byte> dst, ReadOnlySpan<byte> src)
    {
        var dstWords = MemoryMarshal.Cast<byte, ulong>(dst);
        var srcWords = MemoryMarshal.Cast<byte, ulong>(src);
        for (int j = 0; j < dstWords.Length; j++)
        {
            dstWords[j] = op switch
            {
                BitOp.And => dstWords[j] & srcWords[j],
                BitOp.Or => dstWords[j] | srcWords[j],
                _ => dstWords[j] ^ srcWords[j],
            };
        }
        for (int j = dstWords.Length * 8; j < dst.Length; j++)
        {
            dst[j] = op switch
            {
                BitOp.And => (byte)(dst[j] & src[j]),
                BitOp.Or => (byte)(dst[j] | src[j]),
                _ => (byte)(dst[j] ^ src[j]),
            };
        }
    }

    [Command("bitfield", -2, Flags = "write denyoom", Acl = "bitmap", Group = "bitmap", Since = "3.2.0",
        Keys = ["RW update access variable_flags; index 1; range 0 1 0; notes This command allows both access and modification of the key"],
        KeysFunction = nameof(BitFieldKeys), Summary = "Perform arbitrary bitfield integer operations on strings", Complexity = "O(1) for each subcommand specified",
        Arguments = ["key:key", "operation:oneof optional multiple (encoding_offset:block token=GET (encoding:string | offset:integer) | write:block (wrap_sat_fail:oneof token=OVERFLOW optional (wrap:pure-token token=WRAP | sat:pure-token token=SAT | fail:pure-token token=FAIL) | write_operation:oneof (encoding_offset_value:block token=SET (encoding:string | offset:integer | value:integer) | encoding_offset_increment:block token=INCRBY (encoding:string | offset:integer | increment:integer))))"])]
    static void BitField(Client c) => BitFieldGeneric(c, readOnlyCommand: false);

    [Command("bitfield_ro", -2, Flags = "readonly fast", Acl = "bitmap", Group = "bitmap", Since = "6.0.0", Keys = ["RO access; index 1; range 0 1 0"],
        Summary = "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD", Complexity = "O(1) for each subcommand specified",
        Arguments = ["key:key", "encoding_offset:block token=GET optional multiple multiple_token (encoding:string | offset:integer)"])]
    static void BitFieldRo(Client c) => BitFieldGeneric(c, readOnlyCommand: true);

    /// <summary>BITFIELD's key is only read when every subcommand before the first write is a GET (Redis's bitfieldGetKeys).</summary>
    static bool BitFieldKeys(ArgList args, List<KeyReference> keys)
    {
        bool readOnly = true;
        for (int i = 2; i < args.Count; i++)
        {
            int remaining = args.Count - i - 1;
            if (args.Is(i, "get") && remaining >= 2) i += 2;
            else if (args.Is(i, "overflow") && remaining >= 1) i++;
            else
            {
                // A write, or a syntax error: safer to assume a write.
                readOnly = false;
                break;
            }
        }
        keys.Add(new KeyReference(1, readOnly ? ["RO", "access"] : ["RW", "access", "update"]));
        return true;
    }

    static void BitFieldGeneric(Client c, bool readOnlyCommand)
    {
        if (!TryParseFields(c, out var ops, out long highestWrite)) return;
        bool readOnly = ops.TrueForAll(o => o.Op == FieldOp.Get);
        RawString? raw = null;
        ReadOnlySpan<byte> readable = [];
        bool grown = false;
        if (readOnly)
        {
            if (!c.TryReadString(c.Args[1], out var e)) return;
            if (e is not null) readable = StringValue.Span(e.Value);
        }
        else
        {
            if (readOnlyCommand)
            {
                c.Error("ERR BITFIELD_RO only supports the GET subcommand");
                return;
            }
            if (!TryLookupForWrite(c, highestWrite, out raw, out grown)) return;
        }
        c.Reply.ArrayHeader(ops.Count);
        long changes = 0;
        foreach (var op in ops)
        {
            if (op.Op == FieldOp.Get)
            {
                var bytes = raw is null ? readable : raw.Span;
                c.Reply.Integer(op.Signed ? Bitmap.GetSigned(bytes, op.Offset, op.Bits) : (long)Bitmap.GetUnsigned(bytes, op.Offset, op.Bits));
                continue;
            }
            var target = raw!.Writable;
            ulong old = Bitmap.GetUnsigned(target, op.Offset, op.Bits);
            bool overflow;
            ulong stored;
            long reply;
            if (op.Signed)
            {
                long oldValue = Bitmap.GetSigned(target, op.Offset, op.Bits);
                long value = op.Op == FieldOp.IncrBy ? oldValue : op.Value;
                long incr = op.Op == FieldOp.IncrBy ? op.Value : 0;
                overflow = SignedOverflow(value, incr, op.Bits, op.Overflow, out long limited);
                long newValue = overflow ? limited : value + incr;
                stored = (ulong)newValue;
                reply = op.Op == FieldOp.IncrBy ? newValue : oldValue;
            }
            else
            {
                ulong value = op.Op == FieldOp.IncrBy ? old : (ulong)op.Value;
                long incr = op.Op == FieldOp.IncrBy ? op.Value : 0;
                overflow = UnsignedOverflow(value, incr, op.Bits, op.Overflow, out ulong limited);
                stored = overflow ? limited : value + (ulong)incr;
                reply = op.Op == FieldOp.IncrBy ? (long)stored : (long)old;
            }
            if (overflow && op.Overflow == Overflow.Fail)
            {
                c.Reply.Null();
                continue;
            }
            c.Reply.Integer(reply);
            Bitmap.SetUnsigned(target, op.Offset, op.Bits, stored);
            if (grown || Bitmap.GetUnsigned(target, op.Offset, op.Bits) != old) changes++;
        }
        if (changes > 0)
        {
            StringCommands.Notify(c, NotifyFlags.String, "setbit", c.Args[1]);
            c.Dirty(changes);
        }
    }

    /// <summary>
    /// Parses the BITFIELD subcommands; OVERFLOW applies to those after it. Returns the highest bit a SET or
    /// INCRBY reaches, which the string must be grown to.
    /// </summary>
    static bool TryParseFields(Client c, out List<FieldCommand> ops, out long highestWrite)
    {
        var args = c.Args;
        ops = [];
        highestWrite = 0;
        var overflow = Overflow.Wrap;
        for (int j = 2; j < args.Count; j++)
        {
            int remaining = args.Count - j - 1;
            FieldOp op;
            if (args.Is(j, "get") && remaining >= 2) op = FieldOp.Get;
            else if (args.Is(j, "set") && remaining >= 3) op = FieldOp.Set;
            else if (args.Is(j, "incrby") && remaining >= 3) op = FieldOp.IncrBy;
            else if (args.Is(j, "overflow") && remaining >= 1)
            {
                j++;
                if (args.Is(j, "wrap")) overflow = Overflow.Wrap;
                else if (args.Is(j, "sat")) overflow = Overflow.Sat;
                else if (args.Is(j, "fail")) overflow = Overflow.Fail;
                else
                {
                    c.Error("ERR Invalid OVERFLOW type specified");
                    return false;
                }
                continue;
            }
            else
            {
                c.Error(Errors.Syntax);
                return false;
            }
            if (!TryFieldType(c, j + 1, out bool signed, out int bits)) return false;
            if (!TryBitOffset(c, j + 2, bits, out long offset)) return false;
            long value = 0;
            if (op != FieldOp.Get)
            {
                highestWrite = Math.Max(highestWrite, offset + bits - 1);
                if (!c.TryLong(j + 3, out value)) return false;
            }
            ops.Add(new FieldCommand(op, offset, bits, signed, value, overflow));
            j += op == FieldOp.Get ? 2 : 3;
        }
        return true;
    }

    /// <summary>A field type: i1..i64 or u1..u63 (a u64 could not be replied as a signed integer).</summary>
    static bool TryFieldType(Client c, int i, out bool signed, out int bits)
    {
        var t = c.Args[i];
        signed = t.Length > 0 && t[0] == 'i';
        bits = 0;
        if (t.Length > 0 && (signed || t[0] == 'u') && NumberFormat.TryParseInt64(t[1..], out long n) && n >= 1 && n <= (signed ? 64 : 63))
        {
            bits = (int)n;
            return true;
        }
        c.Error("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
        return false;
    }

    /// <summary>
    /// A bit offset, limited to what proto-max-bulk-len bytes hold. For BITFIELD (<paramref name="fieldBits"/> &gt; 0)
    /// "#N" means the N-th field of that width; the multiplication wraps as Redis's does.
    /// </summary>
    static bool TryBitOffset(Client c, int i, int fieldBits, out long offset)
    {
        var s = c.Args[i];
        bool hash = fieldBits > 0 && s.Length > 0 && s[0] == '#';
        if (!NumberFormat.TryParseInt64(hash ? s[1..] : s, out offset))
        {
            c.Error(BitOffsetError);
            return false;
        }
        if (hash) offset = unchecked(offset * fieldBits);
        if (offset < 0 || (offset >> 3) >= c.Server.Config.GetLong("proto-max-bulk-len") || (offset >> 3) >= Array.MaxLength)
        {
            c.Error(BitOffsetError);
            return false;
        }
        return true;
    }

    /// <summary>
    /// The key's string, created or zero-padded so that bit <paramref name="maxBit"/> exists, ready to change in
    /// place; false after WRONGTYPE. <paramref name="grown"/> tells whether the key was created or lengthened.
    /// </summary>
    static bool TryLookupForWrite(Client c, long maxBit, [NotNullWhen(true)] out RawString? raw, out bool grown)
    {
        int length = (int)(maxBit >> 3) + 1;
        var e = c.LookupWrite(c.Args[1]);
        raw = null;
        grown = false;
        if (e is null)
        {
            raw = StringCommands.AddRawString(c, length);
            grown = true;
            return true;
        }
        if (!StringValue.IsString(e.Value))
        {
            c.Error(Errors.WrongType);
            return false;
        }
        raw = StringCommands.Unshare(e);
        grown = raw.Length < length;
        raw.EnsureLength(length);
        return true;
    }

    /// <summary>Whether value + incr leaves a signed field of <paramref name="bits"/>; if so, the value to store instead.</summary>
    static bool SignedOverflow(long value, long incr, int bits, Overflow kind, out long limited)
    {
        long max = bits == 64 ? long.MaxValue : (1L << (bits - 1)) - 1;
        long min = -max - 1;
        Int128 sum = (Int128)value + incr;
        limited = 0;
        if (sum >= min && sum <= max) return false;
        if (kind == Overflow.Sat) limited = sum > max ? max : min;
        else
        {
            ulong wrapped = unchecked((ulong)value + (ulong)incr);
            if (bits < 64)
            {
                ulong mask = ulong.MaxValue << bits;
                wrapped = (wrapped & (1UL << (bits - 1))) != 0 ? wrapped | mask : wrapped & ~mask;
            }
            limited = (long)wrapped;
        }
        return true;
    }

    /// <summary>Whether value + incr leaves an unsigned field of <paramref name="bits"/>; if so, the value to store instead.</summary>
    static bool UnsignedOverflow(ulong value, long incr, int bits, Overflow kind, out ulong limited)
    {
        ulong max = (1UL << bits) - 1;
        limited = 0;
        bool above;
        if (value > max) above = true;
        else
        {
            Int128 sum = (Int128)value + incr;
            if (sum >= 0 && sum <= max) return false;
            above = sum > max;
        }
        if (kind == Overflow.Sat) limited = above ? max : 0;
        else limited = unchecked(value + (ulong)incr) & max;
        return true;
    }
}
