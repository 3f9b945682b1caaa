namespace Esteira.Data;

/// <summary>
/// Each series' past readings in log1p space with prefix sums, so that "the mean of the last N readings
/// before hour c" costs one binary search. This is how features see a building's recent level: real
/// consumption shifts within a year, and a model blind to recency predicts last season's level.
/// </summary>
public sealed class LevelHistory
{
    /// <summary>Readings that make up the overall recent level: four weeks of hours.</summary>
    public const int LevelWindow = 28 * 24;

    /// <summary>Readings that make up the long-run level: 26 weeks of hours.</summary>
    public const int LongWindow = 26 * 7 * 24;

    /// <summary>Weeks of same-class days in the long-run profile.</summary>
    public const int LongProfileWeeks = 26;

    /// <summary>Profile classes: hour of day × (working day, day off).</summary>
    public const int ProfileClasses = 48;

    private readonly int[][] _hours;
    private readonly double[][] _prefix;
    private readonly double[][] _tempPrefix;
    private readonly int[][][] _classHours;
    private readonly double[][][] _classPrefix;

    private LevelHistory(SeriesIndex series, int[][] hours, double[][] prefix, double[][] tempPrefix, int[][][] classHours, double[][][] classPrefix, float[] meterMean)
    {
        Series = series;
        _hours = hours;
        _prefix = prefix;
        _tempPrefix = tempPrefix;
        _classHours = classHours;
        _classPrefix = classPrefix;
        MeterMean = meterMean;
    }

    public SeriesIndex Series { get; }

    /// <summary>Mean log1p reading per meter type, the fallback level of a series with no history.</summary>
    public float[] MeterMean { get; }

    /// <summary>The last hour with a reading in series <paramref name="s"/>, or null when it has none.</summary>
    public int? LastHour(int s) => _hours[s].Length == 0 ? null : _hours[s][^1];

    /// <summary>Builds the history from training rows; rows where <paramref name="keep"/> is false are left out.</summary>
    /// <param name="series">Index of the training rows.</param>
    /// <param name="hour">Local hour of each training row.</param>
    /// <param name="reading">Reading of each training row.</param>
    /// <param name="temperature">Air temperature at each row's hour (NaN where unknown).</param>
    /// <param name="isDayOff">Whether each row falls on a weekend or holiday.</param>
    /// <param name="keep">Optional row filter.</param>
    public static LevelHistory Build(SeriesIndex series, int[] hour, float[] reading, float[] temperature, bool[] isDayOff, bool[]? keep = null)
    {
        var n = series.Count;
        var hours = new int[n][];
        var prefix = new double[n][];
        var tempPrefix = new double[n][];
        var classHours = new int[n][][];
        var classPrefix = new double[n][][];
        var meterSum = new double[256];
        var meterCount = new long[256];
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, s =>
        {
            // exact-size arrays, counted first: growing lists for 20M rows would leave as much garbage as they keep
            var rows = series.Order.AsSpan(series.Start[s], series.Start[s + 1] - series.Start[s]);
            var kept = 0;
            Span<int> perClass = stackalloc int[ProfileClasses];
            foreach (var r in rows)
            {
                if (keep is null || keep[r])
                {
                    kept++;
                    perClass[ClassOf(hour[r], isDayOff[r])]++;
                }
            }

            var h = new int[kept];
            var p = new double[kept + 1];
            var tp = new double[kept + 1];
            var ch = new int[ProfileClasses][];
            var cp = new double[ProfileClasses][];
            for (var c = 0; c < ProfileClasses; c++)
            {
                ch[c] = new int[perClass[c]];
                cp[c] = new double[perClass[c] + 1];
            }

            perClass.Clear();
            double lastTemp = 0;
            var k = 0;
            foreach (var r in rows)
            {
                if (keep is not null && !keep[r])
                {
                    continue;
                }

                var v = Math.Log(1.0 + reading[r]);
                h[k] = hour[r];
                p[k + 1] = p[k] + v;
                if (float.IsFinite(temperature[r]))
                {
                    lastTemp = temperature[r];
                }

                tp[k + 1] = tp[k] + lastTemp;
                k++;
                var cls = ClassOf(hour[r], isDayOff[r]);
                var j = perClass[cls]++;
                ch[cls][j] = hour[r];
                cp[cls][j + 1] = cp[cls][j] + v;
            }

            hours[s] = h;
            prefix[s] = p;
            tempPrefix[s] = tp;
            classHours[s] = ch;
            classPrefix[s] = cp;
        });

        for (var s = 0; s < n; s++)
        {
            meterSum[series.Meter[s]] += prefix[s][^1];
            meterCount[series.Meter[s]] += hours[s].Length;
        }

        var overall = meterCount.Sum() > 0 ? meterSum.Sum() / meterCount.Sum() : 0;
        var meterMean = Enumerable.Range(0, 256).Select(m => (float)(meterCount[m] > 0 ? meterSum[m] / meterCount[m] : overall)).ToArray();
        return new LevelHistory(series, hours, prefix, tempPrefix, classHours, classPrefix, meterMean);
    }

    /// <summary>The profile class of an hour: hour of day, split by working day and day off.</summary>
    public static int ClassOf(int hour, bool isDayOff) => (Timestamps.HourOfDay(hour) * 2) + (isDayOff ? 1 : 0);

    /// <summary>
    /// Mean log1p reading and mean temperature of the last <see cref="LevelWindow"/> readings of series
    /// <paramref name="s"/> before hour <paramref name="cutoff"/> (exclusive); NaN when there are none.
    /// </summary>
    public (float Level, float Temperature) Level(int s, int cutoff, int window = LevelWindow)
    {
        var j = LowerBound(_hours[s], cutoff);
        var i = Math.Max(0, j - window);
        if (j == i)
        {
            return (float.NaN, float.NaN);
        }

        return ((float)((_prefix[s][j] - _prefix[s][i]) / (j - i)), (float)((_tempPrefix[s][j] - _tempPrefix[s][i]) / (j - i)));
    }

    /// <summary>
    /// Mean log1p reading at the same hour of day and kind of day (working day or day off) over roughly the
    /// last four weeks of such days before <paramref name="cutoff"/>; NaN when there are none.
    /// </summary>
    public float ProfileLevel(int s, int cutoff, int cls, int weeks = 4)
    {
        var hours = _classHours[s][cls];
        var j = LowerBound(hours, cutoff);
        var window = (cls & 1) == 1 ? 2 * weeks : 5 * weeks;
        var i = Math.Max(0, j - window);
        return j == i ? float.NaN : (float)((_classPrefix[s][cls][j] - _classPrefix[s][cls][i]) / (j - i));
    }

    private static int LowerBound(int[] sorted, int value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
