using System.Globalization;
using ScottPlot;

namespace Esteira.Reporting.Report;

/// <summary>The report's figures, rendered headless to PNG with ScottPlot (no display or fonts needed).</summary>
public static class ReportPlots
{
    /// <summary>Width of every figure, in pixels.</summary>
    public const int Width = 900;
    /// <summary>Height of a single-panel figure, in pixels.</summary>
    public const int Height = 450;
    /// <summary>Height of each panel of the predicted-vs-actual figure, in pixels.</summary>
    public const int TraceHeight = 260;

    private static readonly string[] WeekdayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    private static readonly Color Better = new(46, 139, 87);
    private static readonly Color Worse = new(205, 60, 60);

    /// <summary>Actual and out-of-fold predicted readings over time, one panel per series.</summary>
    public static Figure PredictedVsActual(string folder, string file, IReadOnlyList<SeriesTrace> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var multiplot = new Multiplot();
        multiplot.AddPlots(Math.Max(1, series.Count));
        for (var s = 0; s < series.Count; s++)
        {
            var plot = multiplot.GetPlot(s);
            var trace = series[s];
            var first = true;

            // One line per contiguous stretch, so that a gap (another fold, dropped rows) is not drawn as data.
            foreach (var (start, end) in Stretches(trace.Time))
            {
                var xs = trace.Time[start..end].Select(t => DateTime.UnixEpoch.AddHours(t).ToOADate()).ToArray();
                var actual = plot.Add.ScatterLine(xs, trace.Actual[start..end], Colors.Black);
                var predicted = plot.Add.ScatterLine(xs, trace.Predicted[start..end], Colors.DodgerBlue);
                predicted.LinePattern = LinePattern.Dashed;
                if (first)
                {
                    actual.LegendText = "actual";
                    predicted.LegendText = "predicted (out of fold)";
                    first = false;
                }
            }

            plot.Axes.DateTimeTicksBottom();
            plot.Title($"building {trace.Building}, meter {trace.Meter}{(trace.Daily ? " (daily means)" : "")}");
            plot.YLabel("meter_reading");
            plot.ShowLegend(Alignment.UpperRight);
        }

        var height = TraceHeight * Math.Max(1, series.Count);
        return Save(folder, file, "predicted vs actual (out of fold)", height, path => multiplot.SavePng(path, Width, height));
    }

    /// <summary>Residual box plots (10th–90th percentile whiskers) per bucket, with zero marked.</summary>
    public static Figure Residuals(string folder, string file, string title, string axis, IReadOnlyList<BucketStats> buckets, Func<int, string> label)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        ArgumentNullException.ThrowIfNull(label);
        var plot = new Plot();
        plot.Add.Boxes(buckets.Select(b => new Box
        {
            Position = b.Bucket,
            BoxMin = b.Q25,
            BoxMax = b.Q75,
            BoxMiddle = b.Median,
            WhiskerMin = b.Q10,
            WhiskerMax = b.Q90,
        }).ToList());
        var mean = plot.Add.Markers(buckets.Select(b => (double)b.Bucket).ToArray(), buckets.Select(b => b.Mean).ToArray(), MarkerShape.FilledDiamond, 6, Colors.OrangeRed);
        mean.LegendText = "mean";
        plot.Add.HorizontalLine(0, 1, Colors.Gray, LinePattern.Dotted);
        plot.Axes.Bottom.SetTicks(buckets.Select(b => (double)b.Bucket).ToArray(), buckets.Select(b => label(b.Bucket)).ToArray());
        plot.Title(title);
        plot.XLabel(axis);
        plot.YLabel("log1p(predicted) − log1p(actual)");
        plot.ShowLegend(Alignment.UpperRight);
        return Save(folder, file, title, Height, path => plot.SavePng(path, Width, Height));
    }

    /// <summary>Residuals by hour of day (0–23).</summary>
    public static Figure ByHour(string folder, string file, IReadOnlyList<BucketStats> buckets) =>
        Residuals(folder, file, "residuals by hour of day", "hour", buckets, h => h.ToString(CultureInfo.InvariantCulture));

    /// <summary>Residuals by weekday (Monday = 0).</summary>
    public static Figure ByWeekday(string folder, string file, IReadOnlyList<BucketStats> buckets) =>
        Residuals(folder, file, "residuals by weekday", "weekday", buckets, d => d is >= 0 and < 7 ? WeekdayNames[d] : d.ToString(CultureInfo.InvariantCulture));

    /// <summary>Horizontal bars, largest first at the top.</summary>
    public static Figure HorizontalBars(string folder, string file, string title, string axis, IReadOnlyList<(string Label, double Value, Color? Color)> bars)
    {
        ArgumentNullException.ThrowIfNull(bars);
        var plot = new Plot();
        var n = bars.Count;
        var items = bars.Select((b, i) => new Bar
        {
            Position = n - 1 - i,
            Value = b.Value,
            FillColor = b.Color ?? Colors.SteelBlue,
            Size = 0.7,
        }).ToArray();
        var barPlot = plot.Add.Bars(items);
        barPlot.Horizontal = true;
        plot.Axes.Left.SetTicks(Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), bars.Select(b => b.Label).ToArray());
        plot.Add.VerticalLine(0, 1, Colors.Gray);
        plot.Title(title);
        plot.XLabel(axis);
        var height = Math.Max(Height, 60 + (22 * n));
        return Save(folder, file, title, height, path => plot.SavePng(path, Width, height));
    }

    /// <summary>RMSLE of the worst buildings.</summary>
    public static Figure ByBuilding(string folder, string file, IReadOnlyList<SegmentScore> worst) =>
        HorizontalBars(folder, file, "RMSLE by building (worst first)", "RMSLE",
            worst.Select(s => ($"building {s.Value}", s.Rmsle, (Color?)null)).ToList());

    /// <summary>Gain share of the most important features.</summary>
    public static Figure Importance(string folder, string file, IReadOnlyList<(string Feature, double Share)> features) =>
        HorizontalBars(folder, file, "feature importance (share of gain)", "share of total gain (%)",
            features.Select(f => (f.Feature, f.Share * 100, (Color?)null)).ToList());

    /// <summary>RMSLE change per segment, green where the challenger is better.</summary>
    public static Figure SegmentChanges(string folder, string file, IReadOnlyList<SegmentChange> changes) =>
        HorizontalBars(folder, file, "RMSLE change by segment (challenger − champion)", "Δ RMSLE (negative is better)",
            changes.Select(c => ($"{c.Kind} {c.Value}", c.Delta, (Color?)(c.Delta <= 0 ? Better : Worse))).ToList());

    /// <summary>Local CV against public leaderboard score, one point per scored submission, with the y = x line.</summary>
    public static Figure CvVersusPublic(string folder, string file, IReadOnlyList<(double Cv, double Public)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var plot = new Plot();
        var xs = points.Select(p => p.Cv).ToArray();
        var ys = points.Select(p => p.Public).ToArray();
        var markers = plot.Add.Markers(xs, ys, MarkerShape.FilledCircle, 8, Colors.SteelBlue);
        markers.LegendText = "submission";
        var low = Math.Min(xs.Min(), ys.Min());
        var high = Math.Max(xs.Max(), ys.Max());
        var pad = Math.Max(1e-3, (high - low) * 0.1);
        var diagonal = plot.Add.Line(low - pad, low - pad, high + pad, high + pad);
        diagonal.LinePattern = LinePattern.Dotted;
        diagonal.Color = Colors.Gray;
        diagonal.LegendText = "public = CV";
        plot.Title("CV vs public score across submissions");
        plot.XLabel("local CV RMSLE");
        plot.YLabel("public RMSLE");
        plot.ShowLegend(Alignment.UpperLeft);
        return Save(folder, file, "CV vs public score", Height, path => plot.SavePng(path, Width, Height));
    }

    /// <summary>[start, end) index ranges of <paramref name="time"/> (sorted hours) without a gap of more than a day.</summary>
    internal static IEnumerable<(int Start, int End)> Stretches(int[] time)
    {
        var start = 0;
        for (var i = 1; i <= time.Length; i++)
        {
            if (i == time.Length || time[i] - time[i - 1] > 24)
            {
                if (i > start)
                {
                    yield return (start, i);
                }

                start = i;
            }
        }
    }

    private static Figure Save(string folder, string file, string alt, int height, Action<string> render)
    {
        // A reader never sees half a PNG; the temporary name keeps the .png that tells ScottPlot the format.
        var path = Path.Combine(folder, file);
        AtomicFile.WriteFile(path, render);
        return new Figure(alt, file, Width, height);
    }
}
