namespace Esteira.Reporting.Report;

/// <summary>Residual quantiles of one bucket (an hour of day, a weekday…); residual = log1p(predicted) − log1p(actual).</summary>
public sealed record BucketStats(int Bucket, int Rows, double Mean, double Rmse, double Q10, double Q25, double Median, double Q75, double Q90);

/// <summary>RMSLE of one segment (one meter type, one site, one building).</summary>
public sealed record SegmentScore(int Value, int Rows, double Rmsle);

/// <summary>How one segment's RMSLE changed from the champion to the challenger; negative is better.</summary>
public sealed record SegmentChange(string Kind, int Value, int Rows, double Champion, double Challenger)
{
    /// <summary>Challenger minus champion RMSLE; negative means the challenger is better on this segment.</summary>
    public double Delta => Challenger - Champion;
}

/// <summary>One (building, meter) series of OOF rows in time order, for the predicted-vs-actual plot.</summary>
/// <param name="Building">The building.</param>
/// <param name="Meter">The meter type.</param>
/// <param name="Time">Hours since 1970; for daily means, the middle of each day.</param>
/// <param name="Actual">meter_reading as recorded.</param>
/// <param name="Predicted">The out-of-fold prediction.</param>
/// <param name="Daily">True when the values are daily means (long spans are unreadable hour by hour).</param>
public sealed record SeriesTrace(int Building, int Meter, int[] Time, double[] Actual, double[] Predicted, bool Daily = false);

/// <summary>The report's numbers: pure functions of arrays, so that they are tested without files or plots.</summary>
public static class ReportAnalysis
{
    /// <summary>log1p(predicted) − log1p(actual) per row: positive means the model over-predicts.</summary>
    public static float[] Residuals(float[] predictionLog, float[] labelLog)
    {
        ArgumentNullException.ThrowIfNull(predictionLog);
        ArgumentNullException.ThrowIfNull(labelLog);
        var residuals = new float[labelLog.Length];
        for (var i = 0; i < residuals.Length; i++)
        {
            residuals[i] = predictionLog[i] - labelLog[i];
        }

        return residuals;
    }

    /// <summary>Residual statistics per bucket value, in bucket order.</summary>
    public static IReadOnlyList<BucketStats> ByBucket(int[] bucket, float[] residuals)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(residuals);
        return Enumerable.Range(0, residuals.Length).GroupBy(i => bucket[i]).OrderBy(g => g.Key).Select(g =>
        {
            var values = g.Select(i => (double)residuals[i]).Order().ToArray();
            var mean = values.Average();
            var rmse = Math.Sqrt(values.Sum(v => v * v) / values.Length);
            return new BucketStats(g.Key, values.Length, mean, rmse, Quantile(values, 0.10), Quantile(values, 0.25), Quantile(values, 0.5), Quantile(values, 0.75), Quantile(values, 0.90));
        }).ToList();
    }

    /// <summary>RMSLE per segment value, in value order.</summary>
    public static IReadOnlyList<SegmentScore> Segments(int[] segment, float[] residuals)
    {
        ArgumentNullException.ThrowIfNull(segment);
        ArgumentNullException.ThrowIfNull(residuals);
        var sums = new SortedDictionary<int, (int Rows, double Squares)>();
        for (var i = 0; i < residuals.Length; i++)
        {
            sums.TryGetValue(segment[i], out var s);
            sums[segment[i]] = (s.Rows + 1, s.Squares + ((double)residuals[i] * residuals[i]));
        }

        return sums.Select(p => new SegmentScore(p.Key, p.Value.Rows, Math.Sqrt(p.Value.Squares / p.Value.Rows))).ToList();
    }

    /// <summary>Per-segment RMSLE of both models on the same rows, largest changes (either way) first.</summary>
    public static IReadOnlyList<SegmentChange> Changes(string kind, int[] segment, float[] championResiduals, float[] challengerResiduals)
    {
        var champion = Segments(segment, championResiduals).ToDictionary(s => s.Value);
        return Segments(segment, challengerResiduals)
            .Select(s => new SegmentChange(kind, s.Value, s.Rows, champion[s.Value].Rmsle, s.Rmsle))
            .OrderByDescending(c => Math.Abs(c.Delta)).ThenBy(c => c.Value)
            .ToList();
    }

    /// <summary>RMSLE of all rows.</summary>
    public static double Rmsle(float[] residuals)
    {
        ArgumentNullException.ThrowIfNull(residuals);
        return residuals.Length == 0 ? double.NaN : Math.Sqrt(residuals.Sum(r => (double)r * r) / residuals.Length);
    }

    /// <summary>
    /// Up to <paramref name="count"/> series to draw, one per building: the (building, meter) pairs with the most OOF rows,
    /// so that the plot shows long stretches rather than fragments.
    /// </summary>
    /// <remarks>Series spanning more than <paramref name="hourlyDays"/> days are reduced to daily means.</remarks>
    public static IReadOnlyList<SeriesTrace> PickSeries(OofData data, int count, int hourlyDays = 28)
    {
        ArgumentNullException.ThrowIfNull(data);
        var rows = Enumerable.Range(0, data.Rows).GroupBy(i => (data.Building[i], data.Meter[i]))
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key.Item1).ThenBy(g => g.Key.Item2)
            .DistinctBy(g => g.Key.Item1)
            .Take(count);
        return rows.Select(g =>
        {
            var ordered = g.OrderBy(i => data.Time[i]).ToArray();
            var trace = new SeriesTrace(g.Key.Item1, g.Key.Item2,
                ordered.Select(i => data.Time[i]).ToArray(),
                ordered.Select(i => Math.Exp(data.Label[i]) - 1).ToArray(),
                ordered.Select(i => (double)data.Prediction[i]).ToArray());
            return trace.Time[^1] - trace.Time[0] > hourlyDays * 24 ? DailyMeans(trace) : trace;
        }).ToList();
    }

    /// <summary>The trace as one point per day: the mean of that day's hours, placed at noon.</summary>
    public static SeriesTrace DailyMeans(SeriesTrace hourly)
    {
        ArgumentNullException.ThrowIfNull(hourly);
        var days = Enumerable.Range(0, hourly.Time.Length).GroupBy(i => Math.DivRem(hourly.Time[i], 24, out var r) - (r < 0 ? 1 : 0)).OrderBy(g => g.Key).ToList();
        return hourly with
        {
            Time = days.Select(d => (d.Key * 24) + 12).ToArray(),
            Actual = days.Select(d => d.Average(i => hourly.Actual[i])).ToArray(),
            Predicted = days.Select(d => d.Average(i => hourly.Predicted[i])).ToArray(),
            Daily = true,
        };
    }

    /// <summary>Linear-interpolated quantile of sorted values.</summary>
    internal static double Quantile(double[] sorted, double q)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var position = q * (sorted.Length - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + ((position - low) * (sorted[high] - sorted[low]));
    }
}
