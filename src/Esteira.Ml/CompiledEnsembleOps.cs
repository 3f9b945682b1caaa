using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Esteira.Ml;

/// <summary>
/// The 512-bit vector operations <see cref="CompiledEnsemble"/>'s generated code calls (and the JIT inlines): 16 rows
/// per vector. <see cref="Vector256Ops"/> has the same members for 8 rows.
/// </summary>
internal static unsafe class Vector512Ops
{
    public const int Lanes = 16;

    public static bool IsSupported => Vector512.IsHardwareAccelerated;

    /// <summary>Every leaf still possible.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Ones() => Vector512<uint>.AllBitsSet;

    /// <summary>Clears the <paramref name="clear"/> bits of rows whose x is above the threshold (NaN is not: it goes left).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> ClearIfGreater(Vector512<uint> leaves, float* x, float threshold, uint clear)
        => Vector512.AndNot(leaves, Vector512.GreaterThan(Vector512.Load(x), Vector512.Create(threshold)).AsUInt32() & Vector512.Create(clear));

    /// <summary>Clears the <paramref name="clear"/> bits of rows whose x is not at most the threshold (NaN included: it goes right).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> ClearIfNotLessOrEqual(Vector512<uint> leaves, float* x, float threshold, uint clear)
        => Vector512.AndNot(leaves, Vector512.AndNot(Vector512.Create(clear), Vector512.LessThanOrEqual(Vector512.Load(x), Vector512.Create(threshold)).AsUInt32()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> And(Vector512<uint> a, Vector512<uint> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<uint> leaves, uint* to) => leaves.Store(to);

    /// <summary>Adds each row's leaf value (the lowest bit of <paramref name="low"/>, else of <paramref name="high"/> when <paramref name="useHigh"/>) to its score.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddLeaves2(Vector512<uint> low, Vector512<uint> high, int useHigh, double* scores, double* values)
    {
        var lo = (uint*)&low;
        var hi = (uint*)&high;
        var mask = useHigh == 0 ? 0ul : ulong.MaxValue;
        for (var i = 0; i < Lanes; i++)
        {
            scores[i] += values[BitOperations.TrailingZeroCount(lo[i] | (((ulong)hi[i] << 32) & mask))];
        }
    }

    /// <summary>Adds each row's leaf value to its score, the leaf words stored at <paramref name="words"/> (word k of row i at k * Lanes + i).</summary>
    public static void AddLeaves(uint* words, int count, double* scores, double* values)
    {
        for (var i = 0; i < Lanes; i++)
        {
            var k = 0;
            while (k < count - 1 && words[(k * Lanes) + i] == 0)
            {
                k++;
            }

            scores[i] += values[(32 * k) + BitOperations.TrailingZeroCount(words[(k * Lanes) + i])];
        }
    }
}

/// <summary>The 256-bit vector operations of <see cref="CompiledEnsemble"/>'s generated code: 8 rows per vector.</summary>
internal static unsafe class Vector256Ops
{
    public const int Lanes = 8;

    public static bool IsSupported => Vector256.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Ones() => Vector256<uint>.AllBitsSet;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> ClearIfGreater(Vector256<uint> leaves, float* x, float threshold, uint clear)
        => Vector256.AndNot(leaves, Vector256.GreaterThan(Vector256.Load(x), Vector256.Create(threshold)).AsUInt32() & Vector256.Create(clear));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> ClearIfNotLessOrEqual(Vector256<uint> leaves, float* x, float threshold, uint clear)
        => Vector256.AndNot(leaves, Vector256.AndNot(Vector256.Create(clear), Vector256.LessThanOrEqual(Vector256.Load(x), Vector256.Create(threshold)).AsUInt32()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> And(Vector256<uint> a, Vector256<uint> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<uint> leaves, uint* to) => leaves.Store(to);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddLeaves2(Vector256<uint> low, Vector256<uint> high, int useHigh, double* scores, double* values)
    {
        var lo = (uint*)&low;
        var hi = (uint*)&high;
        var mask = useHigh == 0 ? 0ul : ulong.MaxValue;
        for (var i = 0; i < Lanes; i++)
        {
            scores[i] += values[BitOperations.TrailingZeroCount(lo[i] | (((ulong)hi[i] << 32) & mask))];
        }
    }

    public static void AddLeaves(uint* words, int count, double* scores, double* values)
    {
        for (var i = 0; i < Lanes; i++)
        {
            var k = 0;
            while (k < count - 1 && words[(k * Lanes) + i] == 0)
            {
                k++;
            }

            scores[i] += values[(32 * k) + BitOperations.TrailingZeroCount(words[(k * Lanes) + i])];
        }
    }
}
