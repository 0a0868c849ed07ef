using System.Runtime.CompilerServices;
using System.Text;

namespace Carmine.Protocol;

/// <summary>One argument of a request: a slice of the buffer it arrived in, never copied until stored.</summary>
public struct ArgSlice
{
    public byte[] Buffer;
    public int Offset;
    public int Length;

    public readonly ReadOnlySpan<byte> Span => new(Buffer, Offset, Length);
}

/// <summary>The arguments of one request, the command name first.</summary>
public sealed class ArgList
{
    ArgSlice[] items = new ArgSlice[16];
    int count;

    public int Count => count;

    public ReadOnlySpan<byte> this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            ref var a = ref items[index];
            return new ReadOnlySpan<byte>(a.Buffer, a.Offset, a.Length);
        }
    }

    /// <summary>A copy of an argument, for storing in the keyspace.</summary>
    public byte[] ToArray(int index) => this[index].ToArray();

    public string ToStr(int index) => Encoding.UTF8.GetString(this[index]);

    /// <summary>The argument lowercased as a .NET string, for option and subcommand matching.</summary>
    public string Lower(int index) => Encoding.UTF8.GetString(this[index]).ToLowerInvariant();

    public bool Is(int index, string lowercase)
    {
        var a = this[index];
        if (a.Length != lowercase.Length) return false;
        for (int i = 0; i < a.Length; i++)
        {
            int c = a[i];
            if (c >= 'A' && c <= 'Z') c += 32;
            if (c != lowercase[i]) return false;
        }
        return true;
    }

    public void Clear() => count = 0;

    public void Add(byte[] buffer, int offset, int length)
    {
        if (count == items.Length) Array.Resize(ref items, count * 2);
        items[count++] = new ArgSlice { Buffer = buffer, Offset = offset, Length = length };
    }

    public void Add(byte[] value) => Add(value, 0, value.Length);

    /// <summary>Points slices that referred to <paramref name="oldBuffer"/> at <paramref name="newBuffer"/>, moved by <paramref name="delta"/>.</summary>
    public void Rebase(byte[] oldBuffer, byte[] newBuffer, int delta)
    {
        for (int i = 0; i < count; i++)
        {
            if (ReferenceEquals(items[i].Buffer, oldBuffer))
            {
                items[i].Buffer = newBuffer;
                items[i].Offset += delta;
            }
        }
    }

    /// <summary>Copies every argument out of shared buffers, so the list outlives the read buffer.</summary>
    public ArgList Detach()
    {
        var copy = new ArgList();
        for (int i = 0; i < count; i++) copy.Add(ToArray(i));
        return copy;
    }

    public byte[][] ToArrays()
    {
        var result = new byte[count][];
        for (int i = 0; i < count; i++) result[i] = ToArray(i);
        return result;
    }

    public static ArgList From(params byte[][] args)
    {
        var list = new ArgList();
        foreach (var a in args) list.Add(a);
        return list;
    }

    public static ArgList From(params string[] args)
    {
        var list = new ArgList();
        foreach (var a in args) list.Add(Encoding.UTF8.GetBytes(a));
        return list;
    }
}
