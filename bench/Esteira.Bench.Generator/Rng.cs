namespace Esteira.Bench.Generator;

/// <summary>xoshiro256** seeded through SplitMix64; deterministic, allocation-free.</summary>
internal struct Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spare;
    private bool _hasSpare;

    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
        _spare = 0; _hasSpare = false;
    }

    /// <summary>Seed derived from several integers (e.g. seed, building, meter, purpose).</summary>
    public static Rng For(long a, long b = 0, long c = 0, long d = 0)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (long v in (ReadOnlySpan<long>)[a, b, c, d])
        {
            ulong x = h ^ (ulong)v;
            h = SplitMix(ref x) ^ (h << 1);
        }
        return new Rng(h);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextULong()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3; _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    public double Uniform(double lo, double hi) => lo + (hi - lo) * NextDouble();

    /// <summary>Uniform integer in [lo, hi).</summary>
    public int Int(int lo, int hi) => lo + (int)((NextULong() >> 33) % (ulong)(hi - lo));

    public bool Chance(double p) => NextDouble() < p;

    /// <summary>Standard normal (Marsaglia polar method).</summary>
    public double Normal()
    {
        if (_hasSpare) { _hasSpare = false; return _spare; }
        double u, v, s;
        do
        {
            u = 2 * NextDouble() - 1;
            v = 2 * NextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double m = Math.Sqrt(-2 * Math.Log(s) / s);
        _spare = v * m; _hasSpare = true;
        return u * m;
    }

    public int Poisson(double mean)
    {
        double l = Math.Exp(-mean), p = 1; int k = 0;
        do { k++; p *= NextDouble(); } while (p > l);
        return k - 1;
    }
}
