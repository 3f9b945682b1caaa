using Esteira.Data;
using Esteira.Pipeline.Profiles;

namespace Esteira.Pipeline.Baselines;

/// <summary>How a profile baseline summarises the readings of one weekday × hour cell.</summary>
public enum ProfileStatistic
{
    /// <summary>The median of the cell's readings.</summary>
    Median,

    /// <summary>The mean of the cell's readings in log space (ln(1 + reading)), the space RMSLE is measured in.</summary>
    Mean,
}

/// <summary>A profile baseline's settings: <c>params</c> of a <c>recent_profile</c> or <c>profile</c> experiment.</summary>
/// <param name="Weeks">How many weeks before the cutoff the profile looks at; 0 = all of the series' history.</param>
/// <param name="Statistic">How a cell is summarised.</param>
public sealed record ProfileOptions(int Weeks, ProfileStatistic Statistic)
{
    /// <summary>The <c>recent_profile</c> default: the median of the last 8 weeks.</summary>
    public static ProfileOptions Recent { get; } = new(8, ProfileStatistic.Median);

    /// <summary>The seasonal <c>profile</c> default: the median over all training.</summary>
    public static ProfileOptions AllHistory { get; } = new(0, ProfileStatistic.Median);
}

/// <summary>
/// The naive baselines every model must beat: per meter series, the statistic of the readings per weekday × hour over
/// the last <see cref="ProfileOptions.Weeks"/> weeks before a cutoff (<c>recent_profile</c>) or over all of its history
/// (<c>profile</c>). A prediction for an hour only uses readings strictly before its cutoff: a fold's origin for
/// <c>valid/</c> rows, the end of training for <c>test/</c> rows.
/// </summary>
/// <remarks>
/// Only the rows the quality screen kept are used. The window ends at the series' last kept reading before the cutoff
/// (a series that stopped early is still predicted from its own last weeks). An empty weekday × hour cell falls back
/// to the hour of day, then to the whole window; a series with no reading before the cutoff is predicted as 0, and a
/// test series never seen in training as its meter type's mean level.
/// </remarks>
public sealed class SeasonalProfile
{
    private const int HoursPerWeek = 168;

    private readonly int[][] _time;
    private readonly float[][] _label;
    private readonly ProfileOptions _options;
    private readonly Dictionary<(int Series, int Cutoff), float[]> _tables = [];
    private readonly List<float>[] _cells = [.. Enumerable.Range(0, HoursPerWeek).Select(_ => new List<float>())];

    /// <summary>Groups the kept training rows by series, in time order.</summary>
    /// <param name="series">The series of each training row (0 … n−1).</param>
    /// <param name="time">Each row's local hour index.</param>
    /// <param name="label">Each row's ln(1 + reading).</param>
    /// <param name="keep">Whether the row may be used.</param>
    /// <param name="options">The window and the statistic.</param>
    public SeasonalProfile(int[] series, int[] time, float[] label, byte[] keep, ProfileOptions options)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        var count = series.Length == 0 ? 0 : series.Max() + 1;
        var rows = new List<int>[count];
        for (var s = 0; s < count; s++)
        {
            rows[s] = [];
        }

        for (var i = 0; i < series.Length; i++)
        {
            if (keep[i] == 1 && float.IsFinite(label[i]))
            {
                rows[series[i]].Add(i);
            }
        }

        _time = new int[count][];
        _label = new float[count][];
        for (var s = 0; s < count; s++)
        {
            var ordered = rows[s].OrderBy(i => time[i]).ToArray();
            _time[s] = [.. ordered.Select(i => time[i])];
            _label[s] = [.. ordered.Select(i => label[i])];
        }
    }

    /// <summary>The profile's prediction in log space (ln(1 + reading)) for one series at one hour, from readings before <paramref name="cutoff"/>.</summary>
    /// <param name="series">The series, or −1 for one never seen in training (predicted as 0).</param>
    /// <param name="hour">The hour predicted.</param>
    /// <param name="cutoff">No reading at or after this hour is used.</param>
    public float PredictLog(int series, int hour, int cutoff)
    {
        if (series < 0 || series >= _time.Length)
        {
            return 0;
        }

        if (!_tables.TryGetValue((series, cutoff), out var table))
        {
            table = Table(series, cutoff);
            _tables[(series, cutoff)] = table;
        }

        var cell = (Timestamps.Weekday(hour) * 24) + Timestamps.HourOfDay(hour);
        var value = table[cell];
        if (float.IsNaN(value))
        {
            value = table[HoursPerWeek + Timestamps.HourOfDay(hour)];
        }

        if (float.IsNaN(value))
        {
            value = table[HoursPerWeek + 24];
        }

        return float.IsNaN(value) ? 0 : value;
    }

    /// <summary>168 weekday × hour cells, 24 hour-of-day cells, then the whole window; NaN where empty.</summary>
    private float[] Table(int series, int cutoff)
    {
        var time = _time[series];
        var label = _label[series];
        var end = LowerBound(time, cutoff);
        var table = new float[HoursPerWeek + 24 + 1];
        Array.Fill(table, float.NaN);
        if (end == 0)
        {
            return table;
        }

        var start = _options.Weeks == 0 ? 0 : LowerBound(time, time[end - 1] + 1 - (_options.Weeks * HoursPerWeek));
        foreach (var cell in _cells)
        {
            cell.Clear();
        }

        for (var i = start; i < end; i++)
        {
            _cells[(Timestamps.Weekday(time[i]) * 24) + Timestamps.HourOfDay(time[i])].Add(label[i]);
        }

        var byHour = new List<float>();
        for (var h = 0; h < 24; h++)
        {
            byHour.Clear();
            for (var d = 0; d < 7; d++)
            {
                byHour.AddRange(_cells[(d * 24) + h]);
            }

            table[HoursPerWeek + h] = Summarise(byHour);
        }

        for (var c = 0; c < HoursPerWeek; c++)
        {
            table[c] = Summarise(_cells[c]);
        }

        table[HoursPerWeek + 24] = Summarise([.. label.AsSpan(start, end - start)]);
        return table;
    }

    private float Summarise(List<float> values)
    {
        if (values.Count == 0)
        {
            return float.NaN;
        }

        if (_options.Statistic == ProfileStatistic.Mean)
        {
            var sum = 0.0;
            foreach (var v in values)
            {
                sum += v;
            }

            return (float)(sum / values.Count);
        }

        values.Sort();
        var mid = values.Count / 2;
        return values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }

    private static int LowerBound(int[] sorted, int value)
    {
        var (lo, hi) = (0, sorted.Length);
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

    /// <summary>
    /// The <c>recent_profile</c> / <c>profile</c> experiment on a features folder: predicts every <c>valid/</c> row from
    /// the readings before its fold's origin and every <c>test/</c> row from all of training, then writes and scores
    /// them through the competition profile as it does any model's.
    /// </summary>
    /// <exception cref="EsteiraException">The features are not a time series of meter series (e.g. a tabular profile).</exception>
    public static ModelMetrics Run(string experiment, string kind, ProfileOptions options, string features, ICompetitionProfile profile, string output, IRunObserver observer)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(observer);
        var summary = GepiiiStages.ReadSummary(features);
        var trainFolder = Path.Combine(features, "train");
        if (summary.FoldKind != "time" || !HasColumns(trainFolder, SeriesColumns.Append("time")) || !HasColumns(Path.Combine(features, "test"), SeriesColumns.Append("time")))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"experiment {experiment}: {kind} needs a time series profile (time-block folds and building_id/meter/time columns); features of profile '{summary.Profile}' have none; use kind lightgbm or command");
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        observer.StageStarted(kind, null, "rows");
        var keys = new SeriesKeys();
        var trainSeries = keys.Of(trainFolder, add: true);
        var trainTime = ColumnTable.ReadInt(trainFolder, "time");
        var model = new SeasonalProfile(trainSeries, trainTime, ColumnTable.ReadFloat(trainFolder, "label"), ColumnTable.ReadByte(trainFolder, "keep"), options);

        var validFolder = Path.Combine(features, "valid");
        var validRow = ColumnTable.ReadInt(validFolder, "train_row");
        var origin = summary.Folds.ToDictionary(f => f.Index, f => f.Origin);
        var validFold = ColumnTable.ReadInt(validFolder, "fold");
        var oof = new float[validRow.Length];
        for (var k = 0; k < oof.Length; k++)
        {
            var row = validRow[k];
            oof[k] = ToReading(model.PredictLog(trainSeries[row], trainTime[row], origin[validFold[k]]));
        }

        var testFolder = Path.Combine(features, "test");
        var testSeries = keys.Of(testFolder, add: false);
        var testTime = ColumnTable.ReadInt(testFolder, "time");
        var trainEnd = trainTime.Length == 0 ? 0 : trainTime.Max() + 1;
        var test = new float[testSeries.Length];
        // a series never seen in training has no profile: it gets the features' fallback level (its meter type's mean)
        var testBaseline = ColumnTable.ReadFloat(testFolder, "baseline");
        for (var k = 0; k < test.Length; k++)
        {
            test[k] = ToReading(testSeries[k] < 0 ? testBaseline[k] : model.PredictLog(testSeries[k], testTime[k], trainEnd));
        }

        observer.StageFinished(kind, clock.Elapsed.TotalSeconds, $"{(options.Weeks == 0 ? "all history" : $"last {options.Weeks} weeks")}, {options.Statistic.ToString().ToLowerInvariant()} per weekday × hour, {keys.Count:N0} series");
        return profile.WritePredictions(features, oof, test, [], output);
    }

    private static readonly string[] SeriesColumns = ["building_id", "meter"];

    private static float ToReading(float log) => MathF.Max(0, MathF.Exp(log) - 1);

    private static bool HasColumns(string folder, IEnumerable<string> columns) =>
        Directory.Exists(folder) && columns.All(c => File.Exists(Path.Combine(folder, c + ".npy")));

    /// <summary>Numbers the (building_id, meter) pairs of the tables, training first.</summary>
    private sealed class SeriesKeys
    {
        private readonly Dictionary<(float Building, float Meter), int> _ids = [];

        public int Count => _ids.Count;

        public int[] Of(string folder, bool add)
        {
            var building = ColumnTable.ReadFloat(folder, SeriesColumns[0]);
            var meter = ColumnTable.ReadFloat(folder, SeriesColumns[1]);
            var ids = new int[building.Length];
            for (var i = 0; i < ids.Length; i++)
            {
                var key = (building[i], meter[i]);
                if (!_ids.TryGetValue(key, out var id))
                {
                    id = add ? _ids.Count : -1;
                    if (add)
                    {
                        _ids[key] = id;
                    }
                }

                ids[i] = id;
            }

            return ids;
        }
    }
}
