using System.Text;

namespace Carmine.Cli;

/// <summary>Splits an interactive line into arguments with redis-cli's quoting rules:
/// "double quotes" with C escapes and \xHH, 'single quotes' with only \' escaped.</summary>
public static class ArgSplitter
{
    /// <summary>The arguments as bytes, or null for unbalanced quotes (redis-cli's "Invalid argument(s)").</summary>
    public static List<byte[]>? Split(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        var args = new List<byte[]>();
        int p = 0;
        while (true)
        {
            while (p < bytes.Length && IsSpace(bytes[p])) p++;
            if (p == bytes.Length) return args;
            var current = new List<byte>();
            bool inDouble = false, inSingle = false;
            while (true)
            {
                if (inDouble)
                {
                    if (p == bytes.Length) return null;
                    if (bytes[p] == '\\' && p + 3 < bytes.Length && bytes[p + 1] == 'x' && IsHex(bytes[p + 2]) && IsHex(bytes[p + 3]))
                    {
                        current.Add((byte)(HexValue(bytes[p + 2]) * 16 + HexValue(bytes[p + 3])));
                        p += 3;
                    }
                    else if (bytes[p] == '\\' && p + 1 < bytes.Length)
                    {
                        p++;
                        current.Add(bytes[p] switch
                        {
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            (byte)'b' => 8,
                            (byte)'a' => 7,
                            var c => c,
                        });
                    }
                    else if (bytes[p] == '"')
                    {
                        // A closing quote must end the argument.
                        if (p + 1 < bytes.Length && !IsSpace(bytes[p + 1])) return null;
                        p++;
                        break;
                    }
                    else current.Add(bytes[p]);
                }
                else if (inSingle)
                {
                    if (p == bytes.Length) return null;
                    if (bytes[p] == '\\' && p + 1 < bytes.Length && bytes[p + 1] == '\'')
                    {
                        p++;
                        current.Add((byte)'\'');
                    }
                    else if (bytes[p] == '\'')
                    {
                        if (p + 1 < bytes.Length && !IsSpace(bytes[p + 1])) return null;
                        p++;
                        break;
                    }
                    else current.Add(bytes[p]);
                }
                else
                {
                    if (p == bytes.Length || IsSpace(bytes[p]) || bytes[p] == 0) break;
                    if (bytes[p] == '"') inDouble = true;
                    else if (bytes[p] == '\'') inSingle = true;
                    else current.Add(bytes[p]);
                }
                p++;
            }
            args.Add(current.ToArray());
        }
    }

    static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or 0x0b or 0x0c;

    static bool IsHex(byte c) => char.IsAsciiHexDigit((char)c);

    static int HexValue(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
