namespace Carmine.Client;

/// <summary>Whether BITCOUNT and BITPOS ranges count bytes (the default) or bits.</summary>
public enum BitUnit { Byte, Bit }

/// <summary>The operation of BITOP.</summary>
public enum BitOperation { And, Or, Xor, Not }

/// <summary>What BITFIELD does when a SET or INCRBY overflows: wrap around, saturate, or fail (reply nil).</summary>
public enum BitFieldOverflow { Wrap, Sat, Fail }

/// <summary>
/// The sub-commands of one BITFIELD call, in order. Types are "i8", "u16", ...; an offset prefixed with '#'
/// counts in units of the type's width.
/// </summary>
public sealed class BitField
{
    internal List<object> Args { get; } = [];
    internal bool ReadOnly { get; private set; } = true;

    public BitField Get(string type, object offset)
    {
        Args.AddRange(["GET", type, offset]);
        return this;
    }

    public BitField Set(string type, object offset, long value)
    {
        ReadOnly = false;
        Args.AddRange(["SET", type, offset, value]);
        return this;
    }

    public BitField IncrBy(string type, object offset, long increment)
    {
        ReadOnly = false;
        Args.AddRange(["INCRBY", type, offset, increment]);
        return this;
    }

    /// <summary>The overflow behaviour of the SET and INCRBY sub-commands that follow.</summary>
    public BitField Overflow(BitFieldOverflow behaviour)
    {
        Args.AddRange(["OVERFLOW", behaviour.ToString().ToUpperInvariant()]);
        return this;
    }
}

public abstract partial class RedisCommands
{
    /// <summary>SETBIT; returns the bit's previous value.</summary>
    public Task<bool> SetBitAsync(string key, long offset, bool value) => Send(Reply.Bool, "SETBIT", key, offset, value ? 1 : 0);
    public Task<bool> GetBitAsync(string key, long offset) => Send(Reply.Bool, "GETBIT", key, offset);

    /// <summary>BITCOUNT over the whole string, or from <paramref name="start"/> to <paramref name="end"/> (inclusive, negative from the end).</summary>
    public Task<long> BitCountAsync(string key, long? start = null, long? end = null, BitUnit unit = BitUnit.Byte) =>
        Send(Reply.Integer, RangeArgs(["BITCOUNT", key], start, end ?? (start is null ? null : -1), unit));

    /// <summary>BITPOS: the position of the first bit equal to <paramref name="bit"/>, -1 when there is none in the range.</summary>
    public Task<long> BitPosAsync(string key, bool bit, long? start = null, long? end = null, BitUnit unit = BitUnit.Byte) =>
        Send(Reply.Integer, RangeArgs(["BITPOS", key, bit ? 1 : 0], start, end, unit));

    /// <summary>BITOP into <paramref name="destination"/>; returns the length of the result in bytes.</summary>
    public Task<long> BitOpAsync(BitOperation operation, string destination, params string[] keys) =>
        Send(Reply.Integer, ["BITOP", operation.ToString().ToUpperInvariant(), destination], keys);

    /// <summary>
    /// BITFIELD (BITFIELD_RO when every sub-command is a GET, so it may run on a replica); one value per GET, SET
    /// (the old value) and INCRBY (the new value), null where OVERFLOW FAIL stopped a write.
    /// </summary>
    public Task<long?[]> BitFieldAsync(string key, BitField operations) =>
        Send(r => Reply.Check(r).Items!.Select(v => v.IsNull ? (long?)null : Reply.Integer(v)).ToArray(),
            [operations.ReadOnly ? "BITFIELD_RO" : "BITFIELD", key], operations.Args);

    static object[] RangeArgs(object[] head, long? start, long? end, BitUnit unit)
    {
        if (start is not { } s) return head;
        // BITPOS without an end treats a string of set bits as padded with clear ones; BIT needs an explicit end.
        if (end is null && unit == BitUnit.Byte) return [.. head, s];
        long e = end ?? -1;
        return unit == BitUnit.Bit ? [.. head, s, e, "BIT"] : [.. head, s, e];
    }
}
