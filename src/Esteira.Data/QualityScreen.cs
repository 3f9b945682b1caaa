namespace Esteira.Data;

/// <summary>What the data-quality screen found in one series (building × meter).</summary>
public sealed record SeriesQuality(
    int BuildingId,
    int Meter,
    int Rows,
    int MissingHours,
    int ConstantRuns,
    int ConstantHours,
    int ZeroRuns,
    int ZeroHours,
    int LevelShifts,
    string? LargestShiftAt,
    double LargestShiftRatio,
    int DormantHours,
    int StaleRegimeHours,
    string? RegimeStart)
{
    /// <summary>True when anything was found.</summary>
    public bool HasIssue => ConstantRuns > 0 || ZeroRuns > 0 || LevelShifts > 0 || MissingHours > 0 || DormantHours > 0 || StaleRegimeHours > 0;
}

/// <summary>The data-quality screen of the training readings.</summary>
/// <param name="Series">One entry per series.</param>
/// <param name="Flagged">Per training row: inside a run of ≥ 24 h of identical readings (zeros too, for electricity), a dormant start or a stale regime.</param>
public sealed record QualityReport(IReadOnlyList<SeriesQuality> Series, bool[] Flagged)
{
    /// <summary>How many training rows are flagged.</summary>
    public int FlaggedRows => Flagged.Count(f => f);
}

/// <summary>
/// Screens each series for missing hours, runs of ≥ 24 h of identical readings, runs of zeros and level
/// shifts (the mean log reading of one two-week window against the next).
/// </summary>
public static class QualityScreen
{
    /// <summary>Shortest run of identical (or zero) readings that is flagged.</summary>
    public const int MinRunHours = 24;

    /// <summary>Window compared against the next one for level shifts.</summary>
    public const int ShiftWindowHours = 14 * 24;

    /// <summary>Ratio between consecutive windows' geometric means above which a level shift is reported.</summary>
    public const double ShiftRatio = 1.5;

    /// <summary>
    /// A series' leading windows whose geometric mean is this many times below the median window are a dormant
    /// start (a meter installed before the building was in use, or logging near zero): not the series' real level.
    /// </summary>
    public const double DormantRatio = 5;

    /// <summary>
    /// An electricity series whose mean level after some date differs from its mean before by at least this
    /// ratio has changed regime (new equipment, occupancy, a metering fix): readings before it describe a
    /// building that no longer exists. Only electricity, because heating and cooling meters legitimately
    /// change by more than this between seasons.
    /// </summary>
    public const double RegimeRatio = 2;

    /// <summary>Screens every training series for constant and zero runs, level shifts, missing and dormant hours and stale regimes, and flags the affected rows.</summary>
    public static QualityReport Screen(MeterReadings train, SeriesIndex series)
    {
        var flagged = new bool[train.Count];
        var firstHour = train.Count == 0 ? 0 : train.Hour.Min();
        var lastHour = train.Count == 0 ? 0 : train.Hour.Max();
        var results = new SeriesQuality[series.Count];
        Parallel.For(0, series.Count, s =>
        {
            var rows = series.Order.AsSpan(series.Start[s], series.Start[s + 1] - series.Start[s]);
            var missing = (lastHour - firstHour + 1) - rows.Length;
            var electricity = series.Meter[s] == 0;
            int constantRuns = 0, constantHours = 0, zeroRuns = 0, zeroHours = 0;
            var runStart = 0;
            for (var k = 1; k <= rows.Length; k++)
            {
                var continues = k < rows.Length
                    && train.Hour[rows[k]] == train.Hour[rows[k - 1]] + 1
                    && train.Reading[rows[k]] == train.Reading[rows[runStart]];
                if (continues)
                {
                    continue;
                }

                var length = k - runStart;
                if (length >= MinRunHours)
                {
                    var zero = train.Reading[rows[runStart]] == 0;
                    if (zero)
                    {
                        zeroRuns++;
                        zeroHours += length;
                    }
                    else
                    {
                        constantRuns++;
                        constantHours += length;
                    }

                    // Heating and cooling meters legitimately read zero for whole seasons: report, keep.
                    if (!zero || electricity)
                    {
                        for (var j = runStart; j < k; j++)
                        {
                            flagged[rows[j]] = true;
                        }
                    }
                }

                runStart = k;
            }

            var (shifts, at, ratio) = LevelShifts(train, rows, firstHour);
            var dormant = electricity ? DormantStart(train, rows, firstHour) : 0; // a cooling meter's winter is not dormancy
            var (stale, regimeStart) = electricity ? StaleRegime(train, rows, firstHour) : (0, null);
            for (var k = 0; k < Math.Max(dormant, stale); k++)
            {
                flagged[rows[k]] = true;
            }

            results[s] = new SeriesQuality(series.BuildingId[s], series.Meter[s], rows.Length, missing,
                constantRuns, constantHours, zeroRuns, zeroHours, shifts, at, ratio, dormant, stale, regimeStart);
        });

        return new QualityReport(results, flagged);
    }

    /// <summary>
    /// The split of the series into a before and an after (on window boundaries, at least two windows before and two
    /// after) that explains most of the squared spread of its log readings; when the two sides' mean log levels differ by
    /// at least <see cref="RegimeRatio"/>, the rows before it are a stale regime.
    /// </summary>
    private static (int Rows, string? Start) StaleRegime(MeterReadings train, ReadOnlySpan<int> rows, int firstHour)
    {
        var windows = Windows(train, rows, firstHour);
        if (windows.Count < 4)
        {
            return (0, null);
        }

        var list = windows.ToList();
        double totalSum = list.Sum(w => w.Value.Sum);
        long totalCount = list.Sum(w => (long)w.Value.Count);
        double beforeSum = 0;
        long beforeCount = 0;
        // the least-squares change point: the split that explains most of the squared spread of log readings (the gap
        // between the two means, weighted by how many readings each side holds). The widest gap alone favours a split
        // that leaves a handful of sparse early readings before it and puts the weeks before a jump after it.
        var best = (Explained: 0.0, Diff: 0.0, Index: -1);
        for (var i = 0; i < list.Count - 2; i++)
        {
            beforeSum += list[i].Value.Sum;
            beforeCount += list[i].Value.Count;
            if (i < 1)
            {
                continue;
            }

            var diff = Math.Abs(((totalSum - beforeSum) / (totalCount - beforeCount)) - (beforeSum / beforeCount));
            var explained = diff * diff * beforeCount * (totalCount - beforeCount) / totalCount;
            if (explained > best.Explained)
            {
                best = (explained, diff, i);
            }
        }

        if (best.Index < 0 || best.Diff < Math.Log(RegimeRatio))
        {
            return (0, null);
        }

        var next = list[best.Index + 1];
        return (list[best.Index].Value.Rows, Timestamps.Format(firstHour + (next.Key * ShiftWindowHours))[..10]);
    }

    private static SortedDictionary<int, (double Sum, int Count, int Rows)> Windows(MeterReadings train, ReadOnlySpan<int> rows, int firstHour)
    {
        var windows = new SortedDictionary<int, (double Sum, int Count, int Rows)>();
        for (var k = 0; k < rows.Length; k++)
        {
            var w = (train.Hour[rows[k]] - firstHour) / ShiftWindowHours;
            var (sum, n, _) = windows.GetValueOrDefault(w);
            windows[w] = (sum + Math.Log(1 + train.Reading[rows[k]]), n + 1, k + 1);
        }

        return windows;
    }

    /// <summary>How many leading rows of the series lie in windows far below its median window level.</summary>
    private static int DormantStart(MeterReadings train, ReadOnlySpan<int> rows, int firstHour)
    {
        var windows = Windows(train, rows, firstHour);
        if (windows.Count < 3)
        {
            return 0;
        }

        var means = windows.Values.Select(v => v.Sum / v.Count).Order().ToArray();
        var median = means[means.Length / 2];
        var dormantRows = 0;
        foreach (var (_, (sum, n, lastRow)) in windows)
        {
            if (sum / n >= median - Math.Log(DormantRatio))
            {
                break;
            }

            dormantRows = lastRow;
        }

        // Never call most of a series dormant: then it is the series' real level.
        return dormantRows <= rows.Length / 2 ? dormantRows : 0;
    }

    private static (int Count, string? At, double Ratio) LevelShifts(MeterReadings train, ReadOnlySpan<int> rows, int firstHour)
    {
        var sums = new Dictionary<int, (double Sum, int Count)>();
        foreach (var r in rows)
        {
            var w = (train.Hour[r] - firstHour) / ShiftWindowHours;
            var (sum, n) = sums.GetValueOrDefault(w);
            sums[w] = (sum + Math.Log(1 + train.Reading[r]), n + 1);
        }

        var count = 0;
        string? at = null;
        var largest = 1.0;
        foreach (var w in sums.Keys.Order())
        {
            if (!sums.TryGetValue(w + 1, out var next) || sums[w].Count < ShiftWindowHours / 2 || next.Count < ShiftWindowHours / 2)
            {
                continue;
            }

            var ratio = Math.Exp(Math.Abs((next.Sum / next.Count) - (sums[w].Sum / sums[w].Count)));
            if (ratio >= ShiftRatio)
            {
                count++;
                if (ratio > largest)
                {
                    largest = ratio;
                    at = Timestamps.Format(firstHour + ((w + 1) * ShiftWindowHours))[..10];
                }
            }
        }

        return (count, at, Math.Round(largest, 3));
    }
}
