using System.Buffers.Binary;

namespace Carmine.Server.Types;

/// <summary>
/// Redis's HyperLogLog, stored byte for byte as Redis stores it inside a string value, so an HLL moves between
/// Redis and Carmine unchanged. Layout: "HYLL", encoding (0 dense, 1 sparse), three zero bytes, the cached
/// cardinality (8 bytes little endian, top bit set when stale), then the registers: 16384 six-bit registers
/// packed LSB first (dense), or a run-length list of ZERO (00xxxxxx), XZERO (01xxxxxx xxxxxxxx) and
/// VAL (1vvvvvxx) opcodes (sparse).
/// Every reader treats a missing byte past the end as zero, like the terminator Redis's strings carry, so a
/// hostile value reads the same as in Redis and never out of bounds.
/// </summary>
public static class HyperLogLog
{
    public const int HeaderSize = 16;
    public const int Registers = 1 << P;
    public const int DenseSize = HeaderSize + (Registers * RegisterBits + 7) / 8;
    public const byte DenseEncoding = 0;
    public const byte SparseEncoding = 1;

    const int P = 14;
    const int Q = 64 - P;
    const int RegisterBits = 6;
    const int RegisterMax = (1 << RegisterBits) - 1;
    const int SparseValMaxValue = 32;
    const int SparseValMaxLength = 4;
    const int SparseZeroMaxLength = 64;
    const int SparseXZeroMaxLength = 16384;
    const ulong HashSeed = 0xadc83b19;
    const double AlphaInf = 0.721347520444481703680; // 0.5 / ln(2)

    /// <summary>A new, empty HLL: sparse, a single XZERO opcode covering every register.</summary>
    public static byte[] Create()
    {
        var s = new byte[HeaderSize + 2];
        "HYLL"u8.CopyTo(s);
        s[4] = SparseEncoding;
        WriteXZero(s.AsSpan(HeaderSize), Registers);
        return s;
    }

    /// <summary>Whether a string passes Redis's HLL check: magic, a known encoding, the exact size when dense.</summary>
    public static bool IsValid(ReadOnlySpan<byte> s) =>
        s.Length >= HeaderSize && s.StartsWith("HYLL"u8) && s[4] <= SparseEncoding &&
        (s[4] != DenseEncoding || s.Length == DenseSize);

    public static bool IsSparse(ReadOnlySpan<byte> s) => s[4] == SparseEncoding;

    /// <summary>The cached cardinality, if it is not marked stale.</summary>
    public static bool TryGetCachedCount(ReadOnlySpan<byte> s, out ulong count)
    {
        count = BinaryPrimitives.ReadUInt64LittleEndian(s[8..]);
        return (s[15] & 0x80) == 0;
    }

    public static void SetCachedCount(Span<byte> s, ulong count) => BinaryPrimitives.WriteUInt64LittleEndian(s[8..], count);

    public static void InvalidateCache(Span<byte> s) => s[15] |= 0x80;

    /// <summary>Redis's MurmurHash64A (the endian-neutral variant it uses for HLLs).</summary>
    public static ulong MurmurHash64A(ReadOnlySpan<byte> key, ulong seed)
    {
        const ulong m = 0xc6a4a7935bd1e995;
        const int r = 47;
        ulong h = seed ^ ((ulong)key.Length * m);
        int blocks = key.Length & ~7;
        for (int i = 0; i < blocks; i += 8)
        {
            ulong k = BinaryPrimitives.ReadUInt64LittleEndian(key[i..]);
            k *= m;
            k ^= k >> r;
            k *= m;
            h ^= k;
            h *= m;
        }
        int tail = key.Length & 7;
        if (tail != 0)
        {
            for (int i = tail - 1; i >= 0; i--) h ^= (ulong)key[blocks + i] << (8 * i);
            h *= m;
        }
        h ^= h >> r;
        h *= m;
        h ^= h >> r;
        return h;
    }

    /// <summary>The register an element hashes to and its run length: the position of the first 1 bit after the index bits.</summary>
    public static int PatternLength(ReadOnlySpan<byte> element, out int index)
    {
        ulong hash = MurmurHash64A(element, HashSeed);
        index = (int)(hash & (Registers - 1));
        // The sentinel bit at Q bounds the count at Q + 1.
        hash = (hash >> P) | (1UL << Q);
        return System.Numerics.BitOperations.TrailingZeroCount(hash) + 1;
    }

    /// <summary>Adds an element: 1 if a register changed, 0 if not, -1 if the sparse representation is corrupt.</summary>
    public static int Add(ref RawString hll, ReadOnlySpan<byte> element, long sparseMaxBytes)
    {
        int count = PatternLength(element, out int index);
        return SetIfGreater(ref hll, index, count, sparseMaxBytes);
    }

    /// <summary>Raises register <paramref name="index"/> to <paramref name="count"/> whatever the encoding; the result as <see cref="Add"/>.</summary>
    public static int SetIfGreater(ref RawString hll, int index, int count, long sparseMaxBytes) =>
        hll.Span[4] == DenseEncoding
            ? DenseSetIfGreater(hll.Writable[HeaderSize..], index, count)
            : SparseSetIfGreater(ref hll, index, count, sparseMaxBytes);

    // ---- dense ----

    static int GetRegister(ReadOnlySpan<byte> registers, int index)
    {
        int b = index * RegisterBits / 8, fb = index * RegisterBits & 7;
        int b0 = registers[b];
        int b1 = b + 1 < registers.Length ? registers[b + 1] : 0;
        return ((b0 >> fb) | (b1 << (8 - fb))) & RegisterMax;
    }

    static void SetRegister(Span<byte> registers, int index, int value)
    {
        int b = index * RegisterBits / 8, fb = index * RegisterBits & 7;
        registers[b] = (byte)((registers[b] & ~(RegisterMax << fb)) | (value << fb));
        // A register that ends in its first byte leaves the next one alone (and may be the last one).
        if (fb > 8 - RegisterBits)
            registers[b + 1] = (byte)((registers[b + 1] & ~(RegisterMax >> (8 - fb))) | (value >> (8 - fb)));
    }

    static int DenseSetIfGreater(Span<byte> registers, int index, int count)
    {
        if (count <= GetRegister(registers, index)) return 0;
        SetRegister(registers, index, count);
        return 1;
    }

    /// <summary>Every register of a dense HLL into one byte each; three packed bytes hold four registers.</summary>
    public static void UnpackDense(ReadOnlySpan<byte> hll, Span<byte> registers)
    {
        var packed = hll.Slice(HeaderSize, DenseSize - HeaderSize);
        registers = registers[..Registers];
        for (int i = 0, b = 0; i < Registers; i += 4, b += 3)
        {
            int b0 = packed[b], b1 = packed[b + 1], b2 = packed[b + 2];
            registers[i] = (byte)(b0 & RegisterMax);
            registers[i + 1] = (byte)(((b0 >> 6) | (b1 << 2)) & RegisterMax);
            registers[i + 2] = (byte)(((b1 >> 4) | (b2 << 4)) & RegisterMax);
            registers[i + 3] = (byte)(b2 >> 2);
        }
    }

    // ---- sparse ----

    static bool IsZero(byte op) => (op & 0xc0) == 0;
    static bool IsXZero(byte op) => (op & 0xc0) == 0x40;
    static bool IsVal(byte op) => (op & 0x80) != 0;
    static int ZeroLength(byte op) => (op & 0x3f) + 1;
    static int XZeroLength(ReadOnlySpan<byte> s, int p) => (((s[p] & 0x3f) << 8) | (p + 1 < s.Length ? s[p + 1] : 0)) + 1;
    static int ValValue(byte op) => ((op >> 2) & 0x1f) + 1;
    static int ValLength(byte op) => (op & 0x3) + 1;
    static byte Val(int value, int length) => (byte)(0x80 | ((value - 1) << 2) | (length - 1));
    static byte Zero(int length) => (byte)(length - 1);

    static void WriteXZero(Span<byte> s, int length)
    {
        s[0] = (byte)(0x40 | ((length - 1) >> 8));
        s[1] = (byte)((length - 1) & 0xff);
    }

    /// <summary>Writes a run of zero registers as ZERO or XZERO; returns the bytes written.</summary>
    static int WriteZeroRun(Span<byte> s, int length)
    {
        if (length > SparseZeroMaxLength)
        {
            WriteXZero(s, length);
            return 2;
        }
        s[0] = Zero(length);
        return 1;
    }

    /// <summary>
    /// Visits the runs of a sparse HLL in order: (first register, run length, value). Returns false when the
    /// opcodes do not cover exactly the 16384 registers, stopping as soon as they run past the last one.
    /// </summary>
    static bool WalkSparse<TVisitor>(ReadOnlySpan<byte> s, ref TVisitor visitor) where TVisitor : struct, IRunVisitor, allows ref struct
    {
        int index = 0, p = HeaderSize;
        while (p < s.Length)
        {
            byte op = s[p];
            if (IsZero(op))
            {
                index += ZeroLength(op);
                p++;
            }
            else if (IsXZero(op))
            {
                index += XZeroLength(s, p);
                p += 2;
            }
            else
            {
                int length = ValLength(op);
                if (index + length > Registers) return false;
                visitor.Run(index, length, ValValue(op));
                index += length;
                p++;
            }
            // Stopping here also keeps a long hostile run of XZEROs from overflowing the index.
            if (index > Registers) return false;
        }
        return index == Registers;
    }

    interface IRunVisitor
    {
        void Run(int first, int length, int value);
    }

    struct DenseWriter(byte[] dense) : IRunVisitor
    {
        public readonly void Run(int first, int length, int value)
        {
            var registers = dense.AsSpan(HeaderSize);
            for (int i = first; i < first + length; i++) SetRegister(registers, i, value);
        }
    }

    struct MaxMerger(byte[] max) : IRunVisitor
    {
        public readonly void Run(int first, int length, int value)
        {
            for (int i = first; i < first + length; i++)
                if (value > max[i]) max[i] = (byte)value;
        }
    }

    /// <summary>Counts the VAL runs into a histogram; the registers not covered by one are the zeros.</summary>
    ref struct HistogramCounter(Span<int> histogram) : IRunVisitor
    {
        readonly Span<int> histogram = histogram;
        public int NonZero;

        public void Run(int first, int length, int value)
        {
            histogram[value] += length;
            NonZero += length;
        }
    }

    /// <summary>Converts a sparse HLL to dense (a new string of the exact size); false (and unchanged) if the sparse opcodes are corrupt.</summary>
    public static bool ToDense(ref RawString hll)
    {
        var s = hll.Span;
        if (s[4] == DenseEncoding) return true;
        var dense = new byte[DenseSize];
        var writer = new DenseWriter(dense);
        if (!WalkSparse(s, ref writer)) return false;
        s[..HeaderSize].CopyTo(dense);
        dense[4] = DenseEncoding;
        hll = new RawString(dense);
        return true;
    }

    /// <summary>
    /// Raises one register of a sparse HLL by splitting the opcode that covers it, then merging equal
    /// neighbouring VALs. Promotes to dense when the value does not fit a VAL or the string would grow past
    /// <paramref name="sparseMaxBytes"/>.
    /// </summary>
    static int SparseSetIfGreater(ref RawString hll, int index, int count, long sparseMaxBytes)
    {
        if (count > SparseValMaxValue) return Promote(ref hll, index, count);

        // Find the opcode covering the register.
        var s = hll.Span;
        int end = s.Length, p = HeaderSize, first = 0, span = 0, prev = -1, opLength = 1;
        while (p < end)
        {
            byte op = s[p];
            opLength = 1;
            if (IsZero(op)) span = ZeroLength(op);
            else if (IsVal(op)) span = ValLength(op);
            else
            {
                span = XZeroLength(s, p);
                opLength = 2;
            }
            if (index <= first + span - 1) break;
            prev = p;
            p += opLength;
            first += span;
        }
        if (span == 0 || p >= end) return -1;

        byte current = s[p];
        bool isVal = IsVal(current);
        if (isVal)
        {
            if (ValValue(current) >= count) return 0;
            if (span == 1)
            {
                hll.Writable[p] = Val(count, 1);
                return MergeAdjacentValues(hll, prev);
            }
        }
        if (IsZero(current) && span == 1)
        {
            hll.Writable[p] = Val(count, 1);
            return MergeAdjacentValues(hll, prev);
        }

        // Split the run: [left part] VAL(count) [right part]; at most XZERO-VAL-XZERO, 5 bytes.
        Span<byte> seq = stackalloc byte[5];
        int n = 0, last = first + span - 1;
        if (isVal)
        {
            int value = ValValue(current);
            if (index != first) seq[n++] = Val(value, index - first);
            seq[n++] = Val(count, 1);
            if (index != last) seq[n++] = Val(value, last - index);
        }
        else
        {
            if (index != first) n += WriteZeroRun(seq[n..], index - first);
            seq[n++] = Val(count, 1);
            if (index != last) n += WriteZeroRun(seq[n..], last - index);
        }

        int delta = n - opLength;
        if (delta > 0 && end + delta > sparseMaxBytes) return Promote(ref hll, index, count);
        // An XZERO cut off by the end of the string ends one byte past it; Redis then writes its last
        // replacement byte over the terminator, so that byte is dropped here too.
        int next = p + opLength, length = end + delta;
        hll.EnsureLength(length);
        var w = hll.Writable;
        if (next < end) w[next..end].CopyTo(w[(next + delta)..]);
        seq[..Math.Min(n, length - p)].CopyTo(w[p..]);
        hll.Truncate(length);
        return MergeAdjacentValues(hll, prev);
    }

    /// <summary>Merges adjacent VALs of equal value around a change (up to five opcodes from the one before it), then marks the cache stale.</summary>
    static int MergeAdjacentValues(RawString hll, int prev)
    {
        int p = prev >= 0 ? prev : HeaderSize, scan = 5;
        while (p < hll.Length && scan-- > 0)
        {
            var s = hll.Writable;
            if (IsXZero(s[p]))
            {
                p += 2;
                continue;
            }
            if (IsZero(s[p]))
            {
                p++;
                continue;
            }
            if (p + 1 < s.Length && IsVal(s[p + 1]) && ValValue(s[p]) == ValValue(s[p + 1]))
            {
                int length = ValLength(s[p]) + ValLength(s[p + 1]);
                if (length <= SparseValMaxLength)
                {
                    s[p + 1] = Val(ValValue(s[p]), length);
                    s[(p + 1)..].CopyTo(s[p..]);
                    hll.Truncate(s.Length - 1);
                    continue;
                }
            }
            p++;
        }
        InvalidateCache(hll.Writable);
        return 1;
    }

    static int Promote(ref RawString hll, int index, int count)
    {
        if (!ToDense(ref hll)) return -1;
        return DenseSetIfGreater(hll.Writable[HeaderSize..], index, count);
    }

    // ---- merge and count ----

    /// <summary>Raises each of <paramref name="max"/>'s 16384 byte registers to the HLL's; false if a sparse HLL is corrupt.</summary>
    public static bool MergeInto(byte[] max, ReadOnlySpan<byte> hll)
    {
        if (hll[4] == SparseEncoding)
        {
            var merger = new MaxMerger(max);
            return WalkSparse(hll, ref merger);
        }
        Span<byte> registers = stackalloc byte[Registers];
        UnpackDense(hll, registers);
        for (int i = 0; i < Registers; i++)
            if (registers[i] > max[i]) max[i] = registers[i];
        return true;
    }

    /// <summary>The estimated cardinality of a valid HLL string; false if its sparse opcodes are corrupt.</summary>
    public static bool TryCount(ReadOnlySpan<byte> hll, out ulong count)
    {
        Span<int> histogram = stackalloc int[64];
        histogram.Clear();
        count = 0;
        if (hll[4] == DenseEncoding)
        {
            Span<byte> registers = stackalloc byte[Registers];
            UnpackDense(hll, registers);
            foreach (byte r in registers) histogram[r]++;
        }
        else
        {
            var counter = new HistogramCounter(histogram);
            if (!WalkSparse(hll, ref counter)) return false;
            histogram[0] = Registers - counter.NonZero;
        }
        count = Estimate(histogram);
        return true;
    }

    /// <summary>The estimated cardinality of registers held one per byte (the union PFCOUNT builds).</summary>
    public static ulong Count(ReadOnlySpan<byte> registers)
    {
        Span<int> histogram = stackalloc int[256];
        histogram.Clear();
        foreach (byte r in registers) histogram[r]++;
        return Estimate(histogram);
    }

    /// <summary>Ertl's improved estimator ("New cardinality estimation algorithms for HyperLogLog sketches"), as Redis 7.0 computes it.</summary>
    static ulong Estimate(ReadOnlySpan<int> histogram)
    {
        const double m = Registers;
        double z = m * Tau((m - histogram[Q + 1]) / m);
        for (int j = Q; j >= 1; j--)
        {
            z += histogram[j];
            z *= 0.5;
        }
        z += m * Sigma(histogram[0] / m);
        return (ulong)Math.Round(AlphaInf * m * m / z, MidpointRounding.AwayFromZero);
    }

    static double Sigma(double x)
    {
        if (x == 1.0) return double.PositiveInfinity;
        double y = 1, z = x, previous;
        do
        {
            x *= x;
            previous = z;
            z += x * y;
            y += y;
        } while (previous != z);
        return z;
    }

    static double Tau(double x)
    {
        if (x == 0.0 || x == 1.0) return 0.0;
        double y = 1.0, z = 1 - x, previous;
        do
        {
            x = Math.Sqrt(x);
            previous = z;
            y *= 0.5;
            z -= (1 - x) * (1 - x) * y;
        } while (previous != z);
        return z / 3;
    }

    // ---- debugging ----

    /// <summary>The opcodes of a sparse HLL as PFDEBUG DECODE prints them: "z:LEN", "Z:LEN", "v:VALUE,LEN".</summary>
    public static string Decode(ReadOnlySpan<byte> hll)
    {
        var parts = new List<string>();
        int p = HeaderSize;
        while (p < hll.Length)
        {
            byte op = hll[p];
            if (IsZero(op))
            {
                parts.Add($"z:{ZeroLength(op)}");
                p++;
            }
            else if (IsXZero(op))
            {
                parts.Add($"Z:{XZeroLength(hll, p)}");
                p += 2;
            }
            else
            {
                parts.Add($"v:{ValValue(op)},{ValLength(op)}");
                p++;
            }
        }
        return string.Join(' ', parts);
    }

    /// <summary>
    /// PFSELFTEST: dense registers keep what is written without disturbing neighbours, and sparse and dense
    /// HLLs fed the same elements agree and stay within six standard errors. Null on success, else the failure.
    /// </summary>
    public static string? SelfTest(long sparseMaxBytes)
    {
        var dense = new byte[DenseSize];
        var registers = dense.AsSpan(HeaderSize);
        var expected = new byte[Registers];
        var random = new Random();
        for (int cycle = 0; cycle < 1000; cycle++)
        {
            for (int i = 0; i < Registers; i++)
            {
                expected[i] = (byte)random.Next(RegisterMax + 1);
                SetRegister(registers, i, expected[i]);
            }
            for (int i = 0; i < Registers; i++)
            {
                int value = GetRegister(registers, i);
                if (value != expected[i]) return $"TESTFAILED Register {i} should be {expected[i]} but is {value}";
            }
        }

        registers.Clear();
        var sparse = new RawString(Create());
        double relativeError = 1.04 / Math.Sqrt(Registers);
        long checkpoint = 1;
        ulong seed = (ulong)random.NextInt64();
        Span<byte> element = stackalloc byte[8];
        for (long j = 1; j <= 10_000_000; j++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(element, (ulong)j ^ seed);
            int count = PatternLength(element, out int index);
            DenseSetIfGreater(registers, index, count);
            SetIfGreater(ref sparse, index, count, sparseMaxBytes);
            if (j != checkpoint) continue;

            if (j < sparseMaxBytes / 2 && !IsSparse(sparse.Span)) return "TESTFAILED sparse encoding not used";
            TryCount(dense, out ulong denseCount);
            if (!TryCount(sparse.Span, out ulong sparseCount) || denseCount != sparseCount) return "TESTFAILED dense/sparse disagree";
            long absError = Math.Abs(checkpoint - (long)denseCount);
            // Cardinality 10 sees large relative errors from collisions often enough to allow one.
            long maxError = j == 10 ? 1 : (long)Math.Ceiling(relativeError * 6 * checkpoint);
            if (absError > maxError) return $"TESTFAILED Too big error. card:{checkpoint} abserr:{absError}";
            checkpoint *= 10;
        }
        return null;
    }
}
