using System.Globalization;
using System.Text;

namespace Carmine.Client;

/// <summary>Turns command arguments (strings, byte arrays, numbers) into the bulk strings sent on the wire.</summary>
static class Args
{
    public static byte[][] Encode(params object[] args)
    {
        var result = new byte[args.Length][];
        for (int i = 0; i < args.Length; i++) result[i] = ToBytes(args[i]);
        return result;
    }

    /// <summary>The command name and fixed arguments followed by a variable list (keys, members, ...).</summary>
    public static byte[][] Encode<T>(object[] head, IEnumerable<T> tail) where T : notnull
    {
        var list = new List<byte[]>(head.Length + 8);
        foreach (var a in head) list.Add(ToBytes(a));
        foreach (var a in tail) list.Add(ToBytes(a));
        return list.ToArray();
    }

    public static byte[] ToBytes(object arg) => arg switch
    {
        byte[] b => b,
        string s => Encoding.UTF8.GetBytes(s),
        int n => Encoding.ASCII.GetBytes(n.ToString(CultureInfo.InvariantCulture)),
        long n => Encoding.ASCII.GetBytes(n.ToString(CultureInfo.InvariantCulture)),
        double d => Encoding.ASCII.GetBytes(double.IsPositiveInfinity(d) ? "+inf" : double.IsNegativeInfinity(d) ? "-inf" : d.ToString("R", CultureInfo.InvariantCulture)),
        _ => Encoding.UTF8.GetBytes(Convert.ToString(arg, CultureInfo.InvariantCulture) ?? ""),
    };
}
