using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Carmine.Server.Keyspace;

/// <summary>A fast seeded 32-bit hash of key bytes; the seed is random per process, so collisions cannot be planned.</summary>
public static class KeyHash
{
    static readonly ulong Seed = (ulong)Random.Shared.NextInt64() | 1;
    const ulong M1 = 0xa0761d6478bd642f, M2 = 0xe7037ed1a0b428db;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ulong Mix(ulong a, ulong b)
    {
        ulong hi = Math.BigMul(a, b, out ulong lo);
        return hi ^ lo;
    }

    public static uint Hash(ReadOnlySpan<byte> key)
    {
        ulong h = Seed ^ (ulong)key.Length * M1;
        int i = 0;
        for (; i + 8 <= key.Length; i += 8)
            h = Mix(h ^ BinaryPrimitives.ReadUInt64LittleEndian(key[i..]), M2);
        if (i < key.Length)
        {
            ulong tail = 0;
            for (int j = key.Length - 1; j >= i; j--) tail = (tail << 8) | key[j];
            h = Mix(h ^ tail, M1);
        }
        h = Mix(h, M2 ^ Seed);
        return (uint)(h ^ (h >> 32));
    }

    /// <summary>Reverses the bits of a 64-bit value (SCAN's cursor runs in reverse binary order).</summary>
    public static ulong Reverse(ulong v)
    {
        v = ((v >> 1) & 0x5555555555555555UL) | ((v & 0x5555555555555555UL) << 1);
        v = ((v >> 2) & 0x3333333333333333UL) | ((v & 0x3333333333333333UL) << 2);
        v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FUL) | ((v & 0x0F0F0F0F0F0F0F0FUL) << 4);
        return BinaryPrimitives.ReverseEndianness(v);
    }

    public static int Log2(ulong v) => BitOperations.Log2(v);
}
