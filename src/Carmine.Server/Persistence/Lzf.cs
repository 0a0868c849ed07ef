namespace Carmine.Server.Persistence;

/// <summary>
/// LZF, the compression RDB uses for strings (rdbcompression). A control byte below 32 starts a run of
/// ctrl+1 literal bytes; otherwise its top three bits give a back-reference length (7 = more in the next byte)
/// and its low five bits with the next byte a distance of up to 8 KB.
/// </summary>
public static class Lzf
{
    const int HashBits = 14;
    const int MaxOffset = 1 << 13;
    const int MaxRef = (1 << 8) + (1 << 3);
    const int MaxLiteral = 1 << 5;

    [ThreadStatic] static int[]? hashTable;

    /// <summary>Compresses into <paramref name="output"/>; 0 when the result would not fit (the caller stores the string raw).</summary>
    public static int Compress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (input.Length < 4) return 0;
        // Reused per thread: a save compresses many strings, and this table is 64 KB.
        var table = hashTable ??= new int[1 << HashBits];
        Array.Fill(table, -1);
        int ip = 0, op = 0, lit = 0;
        // The control byte of the current literal run is written when the run closes.
        if (output.Length == 0) return 0;
        int litStart = op++;
        while (ip + 2 < input.Length)
        {
            uint v = (uint)((input[ip] << 16) | (input[ip + 1] << 8) | input[ip + 2]);
            int h = (int)((v * 2654435761u) >> (32 - HashBits));
            int refPos = table[h];
            table[h] = ip;
            int off = ip - refPos - 1;
            if (refPos >= 0 && off < MaxOffset && input[refPos] == input[ip] && input[refPos + 1] == input[ip + 1] && input[refPos + 2] == input[ip + 2])
            {
                int maxLen = Math.Min(MaxRef, input.Length - ip);
                int len = 3;
                while (len < maxLen && input[refPos + len] == input[ip + len]) len++;
                if (op + 3 > output.Length) return 0;
                if (lit > 0) output[litStart] = (byte)(lit - 1);
                else op--;
                int l = len - 2;
                if (l < 7) output[op++] = (byte)((l << 5) | (off >> 8));
                else
                {
                    output[op++] = (byte)((7 << 5) | (off >> 8));
                    output[op++] = (byte)(l - 7);
                }
                output[op++] = (byte)off;
                ip += len;
                lit = 0;
                litStart = op++;
                continue;
            }
            if (op >= output.Length) return 0;
            output[op++] = input[ip++];
            if (++lit == MaxLiteral)
            {
                output[litStart] = MaxLiteral - 1;
                lit = 0;
                litStart = op++;
            }
        }
        while (ip < input.Length)
        {
            if (op >= output.Length) return 0;
            output[op++] = input[ip++];
            if (++lit == MaxLiteral)
            {
                output[litStart] = MaxLiteral - 1;
                lit = 0;
                litStart = op++;
            }
        }
        if (lit > 0) output[litStart] = (byte)(lit - 1);
        else op--;
        return op <= output.Length ? op : 0;
    }

    /// <summary>Decompresses into <paramref name="output"/>, which must be exactly the original length; false on malformed input.</summary>
    public static bool Decompress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int ip = 0, op = 0;
        while (ip < input.Length)
        {
            int ctrl = input[ip++];
            if (ctrl < 32)
            {
                int n = ctrl + 1;
                if (ip + n > input.Length || op + n > output.Length) return false;
                input.Slice(ip, n).CopyTo(output[op..]);
                ip += n;
                op += n;
                continue;
            }
            int len = ctrl >> 5;
            if (len == 7)
            {
                if (ip >= input.Length) return false;
                len += input[ip++];
            }
            if (ip >= input.Length) return false;
            int refPos = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++];
            len += 2;
            if (refPos < 0 || op + len > output.Length) return false;
            for (int i = 0; i < len; i++) output[op++] = output[refPos++];
        }
        return op == output.Length;
    }
}
