namespace Esteira.Data;

/// <summary>
/// Each series' past readings in log1p space with prefix sums, so that "the mean of the last N readings
/// before hour c" costs one binary search. This is how features see a building's recent level: real
/// consumption shifts within a year, and a model blind to recency predicts last season's level.
/// </summary>
/// <remarks>
/// All series share flat arrays (one per kind, offsets per series and per series × profile class): at GEPIII scale
/// 20M hours in per-series arrays were 120,000 small objects that the GC copied from generation to generation, and
/// the process peaked at a third more than it kept. Prefix sums are accumulated in double and stored as float: a
/// year of log readings sums to ≈ 10⁵, so a stored sum is off by at most 0.004 and a four-week mean by 10⁻⁵.
/// </remarks>
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

    private readonly int[] _start;          // series s holds hours [_start[s], _start[s + 1]); its prefix sums start at _start[s] + s
    private readonly int[] _hours;
    private readonly float[] _prefix;
    private readonly float[] _tempPrefix;
    private readonly int[] _classStart;     // the same for series × class, numbered s × ProfileClasses + class
    private readonly int[] _classHours;
    private readonly float[] _classPrefix;

    private LevelHistory(SeriesIndex series, int[] start, int[] hours, float[] prefix, float[] tempPrefix, int[] classStart, int[] classHours, float[] classPrefix, float[] meterMean)
    {
        Series = series;
        _start = start;
        _hours = hours;
        _prefix = prefix;
        _tempPrefix = tempPrefix;
        _classStart = classStart;
        _classHours = classHours;
        _classPrefix = classPrefix;
        MeterMean = meterMean;
    }

    /// <summary>The (building, meter) series the history is kept for, and their training rows.</summary>
    public SeriesIndex Series { get; }

    /// <summary>Mean log1p reading per meter type, the fallback level of a series with no history.</summary>
    public float[] MeterMean { get; }

    /// <summary>The first hour with a kept reading in series <paramref name="s"/>, or <see cref="int.MaxValue"/> when it has none.</summary>
    public int FirstHour(int s) => _start[s + 1] == _start[s] ? int.MaxValue : _hours[_start[s]];

    /// <summary>The last hour with a reading in series <paramref name="s"/>, or null when it has none.</summary>
    public int? LastHour(int s) => _start[s + 1] == _start[s] ? null : _hours[_start[s + 1] - 1];

    /// <summary>Builds the history from training rows; rows where <paramref name="keep"/> is false are left out.</summary>
    /// <param name="series">Index of the training rows.</param>
    /// <param name="hour">Local hour of each training row.</param>
    /// <param name="reading">Reading of each training row.</param>
    /// <param name="temperature">Air temperature at each row's hour (NaN where unknown).</param>
    /// <param name="isDayOff">Whether each row falls on a weekend or holiday.</param>
    /// <param name="keep">Optional row filter.</param>
    public static LevelHistory Build(SeriesIndex series, int[] hour, float[] reading, float[] temperature, bool[] isDayOff, bool[]? keep = null) =>
        Build(series, hour, reading, r => temperature[r], r => isDayOff[r], keep);

    /// <summary>
    /// Builds the history, asking for each kept row's temperature and kind of day once, so that no per-row array of
    /// them has to exist (at GEPIII scale 100 MB at the step's peak).
    /// </summary>
    public static LevelHistory Build(SeriesIndex series, int[] hour, float[] reading, Func<int, float> temperatureOf, Func<int, bool> isDayOffOf, bool[]? keep = null)
    {
        var n = series.Count;
        bool Kept(int r) => keep is null || keep[r];
        ReadOnlySpan<int> RowsOf(int s) => series.Order.AsSpan(series.Start[s], series.Start[s + 1] - series.Start[s]);

        // counted first, so that every array has its exact size and each series fills its own ranges in parallel
        var classCount = new int[n * ProfileClasses];
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, s =>
        {
            foreach (var r in RowsOf(s))
            {
                if (Kept(r))
                {
                    classCount[(s * ProfileClasses) + ClassOf(hour[r], isDayOffOf(r))]++;
                }
            }
        });
        var classStart = Offsets(classCount);
        var start = new int[n + 1];
        for (var s = 0; s < n; s++)
        {
            start[s + 1] = classStart[(s + 1) * ProfileClasses];
        }

        var total = start[n];
        var hours = new int[total];
        var prefix = new float[total + n];
        var tempPrefix = new float[total + n];
        var classHours = new int[total];
        var classPrefix = new float[total + classCount.Length];
        var seriesSum = new double[n];
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, s =>
        {
            Span<int> filled = stackalloc int[ProfileClasses];
            Span<double> classSum = stackalloc double[ProfileClasses];
            double sum = 0, tempSum = 0, lastTemp = 0;
            var k = start[s];
            foreach (var r in RowsOf(s))
            {
                if (!Kept(r))
                {
                    continue;
                }

                var v = Math.Log(1.0 + reading[r]);
                var temperature = temperatureOf(r);
                if (float.IsFinite(temperature))
                {
                    lastTemp = temperature;
                }

                sum += v;
                tempSum += lastTemp;
                hours[k] = hour[r];
                prefix[k + s + 1] = (float)sum;
                tempPrefix[k + s + 1] = (float)tempSum;
                k++;

                var cls = ClassOf(hour[r], isDayOffOf(r));
                var c = (s * ProfileClasses) + cls;
                var j = classStart[c] + filled[cls]++;
                classSum[cls] += v;
                classHours[j] = hour[r];
                classPrefix[j + c + 1] = (float)classSum[cls];
            }

            seriesSum[s] = sum;
        });

        var meterSum = new double[256];
        var meterCount = new long[256];
        for (var s = 0; s < n; s++)
        {
            meterSum[series.Meter[s]] += seriesSum[s];
            meterCount[series.Meter[s]] += start[s + 1] - start[s];
        }

        var overall = meterCount.Sum() > 0 ? meterSum.Sum() / meterCount.Sum() : 0;
        var meterMean = Enumerable.Range(0, 256).Select(m => (float)(meterCount[m] > 0 ? meterSum[m] / meterCount[m] : overall)).ToArray();
        return new LevelHistory(series, start, hours, prefix, tempPrefix, classStart, classHours, classPrefix, meterMean);
    }

    /// <summary>The profile class of an hour: hour of day, split by working day and day off.</summary>
    public static int ClassOf(int hour, bool isDayOff) => (Timestamps.HourOfDay(hour) * 2) + (isDayOff ? 1 : 0);

    /// <summary>
    /// Mean log1p reading and mean temperature of the last <see cref="LevelWindow"/> readings of series
    /// <paramref name="s"/> before hour <paramref name="cutoff"/> (exclusive); NaN when there are none.
    /// </summary>
    public (float Level, float Temperature) Level(int s, int cutoff, int window = LevelWindow)
    {
        var first = _start[s];
        var j = LowerBound(_hours.AsSpan(first, _start[s + 1] - first), cutoff);
        var i = Math.Max(0, j - window);
        if (j == i)
        {
            return (float.NaN, float.NaN);
        }

        var p = first + s;
        return ((float)(((double)_prefix[p + j] - _prefix[p + i]) / (j - i)), (float)(((double)_tempPrefix[p + j] - _tempPrefix[p + i]) / (j - i)));
    }

    /// <summary>
    /// Mean log1p reading at the same hour of day and kind of day (working day or day off) over roughly the
    /// last four weeks of such days before <paramref name="cutoff"/>; NaN when there are none.
    /// </summary>
    public float ProfileLevel(int s, int cutoff, int cls, int weeks = 4)
    {
        var c = (s * ProfileClasses) + cls;
        var first = _classStart[c];
        var j = LowerBound(_classHours.AsSpan(first, _classStart[c + 1] - first), cutoff);
        var window = (cls & 1) == 1 ? 2 * weeks : 5 * weeks;
        var i = Math.Max(0, j - window);
        var p = first + c;
        return j == i ? float.NaN : (float)(((double)_classPrefix[p + j] - _classPrefix[p + i]) / (j - i));
    }

    /// <summary>Start offsets of consecutive ranges of the given lengths, with the total at the end.</summary>
    private static int[] Offsets(int[] lengths)
    {
        var offsets = new int[lengths.Length + 1];
        for (var k = 0; k < lengths.Length; k++)
        {
            offsets[k + 1] = offsets[k] + lengths[k];
        }

        return offsets;
    }

    private static int LowerBound(ReadOnlySpan<int> sorted, int value)
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
