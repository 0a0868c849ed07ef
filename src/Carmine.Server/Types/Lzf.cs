namespace Carmine.Server.Types;

/// <summary>
/// The LZF format Redis uses for compressed quicklist nodes and RDB strings: a control byte below 32 starts a run
/// of (control + 1) literal bytes; otherwise its top three bits hold a copy length minus 2 (7 = one more length
/// byte follows) and its low five bits, with the next byte, a back-distance minus 1 of up to 8 KB.
/// </summary>
public static class Lzf
{
    const int HashBits = 13;
    const int MaxDistance = 1 << 13;
    const int MaxCopy = 255 + 7 + 2;
    const int MaxLiteral = 32;

    /// <summary>Compresses into <paramref name="output"/>; returns the compressed length, or 0 if it does not fit.</summary>
    public static int Compress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        Span<int> table = stackalloc int[1 << HashBits];
        table.Clear();
        int ip = 0, op = 0, literals = 0, control = 0;
        if (output.Length == 0) return 0;
        output[op++] = 0;
        while (ip < input.Length)
        {
            if (ip + 2 < input.Length)
            {
                int h = ((input[ip] << 16 | input[ip + 1] << 8 | input[ip + 2]) * 0x9E37) >>> (32 - HashBits) & ((1 << HashBits) - 1);
                int candidate = table[h] - 1;
                table[h] = ip + 1;
                if (candidate >= 0 && ip - candidate <= MaxDistance && input[candidate] == input[ip]
                    && input[candidate + 1] == input[ip + 1] && input[candidate + 2] == input[ip + 2])
                {
                    int max = Math.Min(MaxCopy, input.Length - ip), length = 3;
                    while (length < max && input[candidate + length] == input[ip + length]) length++;
                    if (literals > 0) output[control] = (byte)(literals - 1);
                    else op--;
                    if (op + 4 > output.Length) return 0;
                    int distance = ip - candidate - 1, code = length - 2;
                    if (code < 7) output[op++] = (byte)(code << 5 | distance >> 8);
                    else
                    {
                        output[op++] = (byte)(7 << 5 | distance >> 8);
                        output[op++] = (byte)(code - 7);
                    }
                    output[op++] = (byte)distance;
                    ip += length;
                    control = op;
                    output[op++] = 0;
                    literals = 0;
                    continue;
                }
            }
            if (op >= output.Length) return 0;
            output[op++] = input[ip++];
            if (++literals == MaxLiteral)
            {
                output[control] = MaxLiteral - 1;
                if (op >= output.Length) return 0;
                control = op;
                output[op++] = 0;
                literals = 0;
            }
        }
        if (literals > 0) output[control] = (byte)(literals - 1);
        else op--;
        return op;
    }

    /// <summary>Decompresses into <paramref name="output"/>; returns the length written, or -1 if the data is corrupt.</summary>
    public static int Decompress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int ip = 0, op = 0;
        while (ip < input.Length)
        {
            int control = input[ip++];
            if (control < 32)
            {
                int run = control + 1;
                if (ip + run > input.Length || op + run > output.Length) return -1;
                input.Slice(ip, run).CopyTo(output[op..]);
                ip += run;
                op += run;
                continue;
            }
            int length = control >> 5;
            if (length == 7)
            {
                if (ip >= input.Length) return -1;
                length += input[ip++];
            }
            if (ip >= input.Length) return -1;
            int from = op - ((control & 0x1F) << 8) - 1 - input[ip++];
            length += 2;
            if (from < 0 || op + length > output.Length) return -1;
            // Byte by byte: the copy may overlap the bytes it produces (a repeated pattern).
            for (int i = 0; i < length; i++) output[op++] = output[from + i];
        }
        return op;
    }
}
