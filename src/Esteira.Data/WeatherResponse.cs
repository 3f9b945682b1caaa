using System.Collections.Concurrent;

namespace Esteira.Data;

/// <summary>
/// Each series' daily response to the weather, as of a cutoff: a change-point fit of the day's mean log1p reading on
/// its mean temperature, so that a profile measured over one season can be carried into another. The adjustment of an
/// hour is the fit at its temperature minus the fit's mean over the profile's own window: how much warmer or colder
/// weather moves the level away from what the profile saw.
/// </summary>
/// <remarks>
/// The fit is the classic energy-signature model: a level, a slope below a balance point and a slope above it
/// (heating and cooling), the balance point chosen among a few temperatures by least squares, or one straight line
/// when the days seen do not reach two degrees past any of them. Temperatures are clamped to the range the fit saw:
/// a spring's heating slope says nothing about a summer it never saw. Days need most of their hours
/// (<see cref="MinHoursPerDay"/>) and a series needs <see cref="MinDays"/> of them, else its adjustment is zero.
/// </remarks>
public sealed class WeatherResponse
{
    /// <summary>Hours a day needs to count as a day of the fit.</summary>
    public const int MinHoursPerDay = 20;

    /// <summary>Days a series needs before the cutoff to be fitted at all.</summary>
    public const int MinDays = 28;

    /// <summary>Days behind the cutoff over which the adjustment is centred: the long profile's window (26 weeks).</summary>
    public const int ReferenceDays = LevelHistory.LongProfileWeeks * 7;

    private static readonly float[] BalancePoints = [6, 10, 14, 18, 22];

    private readonly int[] _start;     // series s holds days [_start[s], _start[s + 1]), in order
    private readonly int[] _day;
    private readonly float[] _level;
    private readonly float[] _temperature;
    private readonly ConcurrentDictionary<(int Series, int Cutoff), Curve?> _curves = new();

    private WeatherResponse(int[] start, int[] day, float[] level, float[] temperature)
    {
        _start = start;
        _day = day;
        _level = level;
        _temperature = temperature;
    }

    /// <summary>Builds the daily table from the kept training rows (rows where <paramref name="keep"/> is false are left out).</summary>
    /// <param name="series">Index of the training rows.</param>
    /// <param name="hour">Local hour of each training row.</param>
    /// <param name="reading">Reading of each training row.</param>
    /// <param name="temperature24Of">The trailing 24-hour mean temperature at a row's hour (NaN where unknown).</param>
    /// <param name="keep">Optional row filter.</param>
    public static WeatherResponse Build(SeriesIndex series, int[] hour, float[] reading, Func<int, float> temperature24Of, bool[]? keep = null)
    {
        // two passes over each series' rows, counting its full days and then filling them: flat arrays of the exact size,
        // no per-series lists (at GEPIII scale the features step is at its peak while this table is alive)
        var start = new int[series.Count + 1];
        Parallel.For(0, series.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, s =>
            start[s + 1] = Days(series, s, hour, reading, temperature24Of, keep, null, null, null, 0));
        for (var s = 0; s < series.Count; s++)
        {
            start[s + 1] += start[s];
        }

        var (day, level, temperature) = (new int[start[^1]], new float[start[^1]], new float[start[^1]]);
        Parallel.For(0, series.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, s =>
            Days(series, s, hour, reading, temperature24Of, keep, day, level, temperature, start[s]));
        return new WeatherResponse(start, day, level, temperature);
    }

    /// <summary>Counts series <paramref name="s"/>'s full days and, given arrays, writes each day's mean log1p reading and temperature from <paramref name="at"/> on.</summary>
    private static int Days(SeriesIndex series, int s, int[] hour, float[] reading, Func<int, float> temperature24Of, bool[]? keep,
        int[]? dayOf, float[]? level, float[]? temperature, int at)
    {
        var written = 0;
        int day = int.MinValue, hours = 0, temperatures = 0;
        double levelSum = 0, temperatureSum = 0;
        void Close()
        {
            if (hours >= MinHoursPerDay && temperatures >= MinHoursPerDay)
            {
                if (dayOf is not null)
                {
                    (dayOf[at + written], level![at + written], temperature![at + written]) = (day, (float)(levelSum / hours), (float)(temperatureSum / temperatures));
                }

                written++;
            }
        }

        for (var k = series.Start[s]; k < series.Start[s + 1]; k++)
        {
            var r = series.Order[k];
            if (keep is not null && !keep[r])
            {
                continue;
            }

            var d = hour[r] / 24;
            if (d != day)
            {
                Close();
                (day, hours, temperatures, levelSum, temperatureSum) = (d, 0, 0, 0, 0);
            }

            hours++;
            levelSum += Math.Log(1.0 + reading[r]);
            var t = temperature24Of(r);
            if (float.IsFinite(t))
            {
                temperatures++;
                temperatureSum += t;
            }
        }

        Close();
        return written;
    }

    /// <summary>
    /// The response of series <paramref name="s"/> fitted on its days before <paramref name="cutoff"/> (an hour,
    /// exclusive); null when it has too few days (fitted once per series and cutoff, then remembered).
    /// </summary>
    public Curve? At(int s, int cutoff) => s < 0 ? null : _curves.GetOrAdd((s, cutoff), key => FitAt(key.Series, key.Cutoff));

    private Curve? FitAt(int s, int cutoff)
    {
        var first = _start[s];
        var end = first;
        while (end < _start[s + 1] && (_day[end] + 1) * 24 <= cutoff)
        {
            end++;
        }

        var n = end - first;
        if (n < MinDays)
        {
            return null;
        }

        var t = _temperature.AsSpan(first, n);
        var y = _level.AsSpan(first, n);
        float low = float.MaxValue, high = float.MinValue;
        foreach (var v in t)
        {
            (low, high) = (MathF.Min(low, v), MathF.Max(high, v));
        }

        var best = Solve(t, y, float.NaN, low, high);
        foreach (var balance in BalancePoints)
        {
            if (balance > low + 2 && balance < high - 2 && Solve(t, y, balance, low, high) is { } candidate && (best is null || candidate.Sse < best.Sse))
            {
                best = candidate;
            }
        }

        if (best is null)
        {
            return null;
        }

        // centred on the days the long profile averages: the profile already holds their weather
        double sum = 0;
        var count = 0;
        for (var k = 0; k < n; k++)
        {
            if (_day[first + k] * 24 >= cutoff - (ReferenceDays * 24))
            {
                sum += best.At(t[k]);
                count++;
            }
        }

        return best with { Reference = count > 0 ? (float)(sum / count) : 0 };
    }

    /// <summary>Least squares of y on [1, min(t − b, 0), max(t − b, 0)] (or [1, t] when b is NaN), by the normal equations.</summary>
    private static Curve? Solve(ReadOnlySpan<float> t, ReadOnlySpan<float> y, float balance, float low, float high)
    {
        var hinge = float.IsFinite(balance);
        var k = hinge ? 3 : 2;
        Span<double> g = stackalloc double[9];
        Span<double> c = stackalloc double[3];
        Span<double> x = stackalloc double[3];
        for (var i = 0; i < t.Length; i++)
        {
            Row(t[i], balance, hinge, x);
            for (var a = 0; a < k; a++)
            {
                c[a] += x[a] * y[i];
                for (var b = 0; b < k; b++)
                {
                    g[(a * 3) + b] += x[a] * x[b];
                }
            }
        }

        if (!SolveInPlace(g, c, k))
        {
            return null;
        }

        var fit = new Curve((float)c[0], (float)c[1], hinge ? (float)c[2] : (float)c[1], hinge ? balance : 0, low, high, 0, 0);
        double sse = 0;
        for (var i = 0; i < t.Length; i++)
        {
            var e = fit.At(t[i]) - y[i];
            sse += e * e;
        }

        return fit with { Sse = sse };
    }

    private static void Row(float t, float balance, bool hinge, Span<double> x)
    {
        x[0] = 1;
        if (hinge)
        {
            x[1] = Math.Min(t - balance, 0);
            x[2] = Math.Max(t - balance, 0);
        }
        else
        {
            x[1] = t;
        }
    }

    /// <summary>Gaussian elimination with partial pivoting on the k×k system (row stride 3); the solution replaces <paramref name="c"/>.</summary>
    private static bool SolveInPlace(Span<double> g, Span<double> c, int k)
    {
        for (var col = 0; col < k; col++)
        {
            var pivot = col;
            for (var r = col + 1; r < k; r++)
            {
                if (Math.Abs(g[(r * 3) + col]) > Math.Abs(g[(pivot * 3) + col]))
                {
                    pivot = r;
                }
            }

            if (Math.Abs(g[(pivot * 3) + col]) < 1e-9)
            {
                return false;
            }

            if (pivot != col)
            {
                for (var j = 0; j < k; j++)
                {
                    (g[(col * 3) + j], g[(pivot * 3) + j]) = (g[(pivot * 3) + j], g[(col * 3) + j]);
                }

                (c[col], c[pivot]) = (c[pivot], c[col]);
            }

            for (var r = 0; r < k; r++)
            {
                if (r == col)
                {
                    continue;
                }

                var f = g[(r * 3) + col] / g[(col * 3) + col];
                for (var j = col; j < k; j++)
                {
                    g[(r * 3) + j] -= f * g[(col * 3) + j];
                }

                c[r] -= f * c[col];
            }
        }

        for (var r = 0; r < k; r++)
        {
            c[r] /= g[(r * 3) + r];
        }

        return true;
    }

    /// <summary>
    /// One series' fitted response: level + below·min(t − balance, 0) + above·max(t − balance, 0), t clamped to
    /// [low, high]; a straight line has balance 0 and below = above.
    /// </summary>
    /// <param name="Level">The fit at the balance point (log1p).</param>
    /// <param name="Below">Slope below the balance point (per °C).</param>
    /// <param name="Above">Slope above the balance point (per °C).</param>
    /// <param name="Balance">The balance point (°C).</param>
    /// <param name="Low">The coldest day the fit saw.</param>
    /// <param name="High">The warmest day the fit saw.</param>
    /// <param name="Reference">The fit's mean over the long profile's window.</param>
    /// <param name="Sse">The fit's sum of squared errors over its days.</param>
    public sealed record Curve(float Level, float Below, float Above, float Balance, float Low, float High, float Reference, double Sse)
    {
        /// <summary>The fit at a temperature (clamped to the range it saw).</summary>
        public float At(float temperature)
        {
            var t = Math.Clamp(temperature, Low, High) - Balance;
            return Level + (Below * MathF.Min(t, 0)) + (Above * MathF.Max(t, 0));
        }

        /// <summary>How far the weather at <paramref name="temperature24"/> moves the level from the profile's (log1p); 0 when unknown.</summary>
        public float Adjustment(float temperature24) => float.IsFinite(temperature24) ? At(temperature24) - Reference : 0;
    }
}
