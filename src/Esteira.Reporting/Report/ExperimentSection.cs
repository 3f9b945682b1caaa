using System.Globalization;
using Esteira.Pipeline;
using Esteira.Tracking;

namespace Esteira.Reporting.Report;

/// <summary>The blocks and figures of one experiment: headline, gate, metrics, folds, plots, segment changes.</summary>
internal sealed class ExperimentSection
{
    private const int Traces = 3;
    private const int WorstBuildings = 20;
    private const int TopFeatures = 15;
    private const int TableFeatures = 10;
    private const int ChangedBuildings = 10;
    private const string TraceFigure = "predicted-vs-actual.png";
    private const string HourFigure = "residuals-by-hour.png";
    private const string WeekdayFigure = "residuals-by-weekday.png";
    private const string BuildingFigure = "residuals-by-building.png";
    private const string ImportanceFigure = "feature-importance.png";
    private const string SegmentFigure = "segment-changes.png";

    /// <summary>Every figure an experiment's section may write, as <c>EXPERIMENT-NAME</c>.</summary>
    public static IEnumerable<string> FigureFiles(string experiment) =>
        new[] { TraceFigure, HourFigure, WeekdayFigure, BuildingFigure, ImportanceFigure, SegmentFigure }.Select(f => experiment + "-" + f);

    private readonly string _name;
    private readonly string _modelKey;
    private readonly ModelMetrics _metrics;
    private readonly OofData _data;
    private readonly TrackingFacts? _facts;
    private readonly float[]? _baselineOof;
    private readonly string? _noSegments;
    private readonly bool _noTracking;
    private readonly string _outDir;
    private readonly float[] _residuals;
    private readonly float[]? _baselineResiduals;

    public ExperimentSection(string name, string modelKey, ModelMetrics metrics, OofData data, TrackingFacts? facts, float[]? baselineOof, string? noSegments,
        bool noTracking, string outDir)
    {
        _name = name;
        _modelKey = modelKey;
        _metrics = metrics;
        _data = data;
        _facts = facts;
        _baselineOof = baselineOof;
        _noSegments = noSegments;
        _noTracking = noTracking;
        _outDir = outDir;
        _residuals = ReportAnalysis.Residuals(data.PredictionLog, data.Label);
        _baselineResiduals = baselineOof is null ? null : ReportAnalysis.Residuals(OofData.LogOf(baselineOof), data.Label);
        Headline = new ExperimentReport(name, modelKey, metrics.Cv, facts?.Baseline?.Label, BaselineCv, facts?.Challenger?.Id, facts?.Challenger?.Gate?.Passed,
            _baselineResiduals is not null) { ReproducesBaseline = ReproducesBaseline };
    }

    public ExperimentReport Headline { get; }

    private Baseline? Baseline => _facts?.Baseline;

    /// <summary>True when this result is a rerun of the baseline's experiment on the same data (the same stage key).</summary>
    private bool ReproducesBaseline =>
        _facts?.Challenger?.Lineage.ExperimentHash is { } hash && hash == Baseline?.Run.Lineage.ExperimentHash;

    /// <summary>The baseline's overall score: as tracked, else computed from its out-of-fold predictions.</summary>
    private double? BaselineCv =>
        Baseline?.Run.Metric(TrackingLookup.Metric) ?? (_baselineResiduals is null ? null : Math.Round(ReportAnalysis.Rmsle(_baselineResiduals), 5));

    /// <summary>One row per experiment: score, baseline, change, gate.</summary>
    public static Table SummaryTable(IReadOnlyList<ExperimentReport> experiments, EvalMetric? metric = null)
    {
        metric ??= EvalMetric.Rmsle;
        return new(
            ["experiment", metric.TrackingKey, "compared with", $"baseline {metric.TrackingKey}", "Δ", "gate"],
            [Align.Left, Align.Right, Align.Left, Align.Right, Align.Right, Align.Left],
            experiments.Select(e => (IReadOnlyList<string>)
            [
                $"`{e.Experiment}`",
                F5(e.CvRmsle),
                e.Baseline ?? "no champion",
                e.BaselineCvRmsle is { } b ? F5(b) : "–",
                e.BaselineCvRmsle is { } c ? $"{Delta(e.CvRmsle - c)} ({Verdict(e.CvRmsle - c, metric)})" : "–",
                e.GatePassed switch { true => "passed", false => "**failed**", null => e.ReproducesBaseline ? "reproduces it" : "not recorded" },
            ]).ToList());
    }

    /// <summary>
    /// The section of a profile without GEPIII's series (a tabular competition): the score in the competition's metric
    /// against the champion's, the gate's verdict and the per-fold scores.
    /// </summary>
    public static (IReadOnlyList<Block> Blocks, ExperimentReport Headline) Generic(string name, string modelKey, ModelMetrics metrics, TrackingFacts? facts)
    {
        var metric = metrics.Eval;
        var baselineCv = facts?.Baseline?.Run.Metric(metric.TrackingKey);
        var reproduces = facts?.Challenger?.Lineage.ExperimentHash is { } hash && hash == facts.Baseline?.Run.Lineage.ExperimentHash;
        var text = $"**{metric.TrackingKey} {F5(metrics.Cv)}** ({(metric.Goal == MetricGoal.Minimize ? "lower" : "higher")} is better)";
        if (facts?.Baseline is { } baseline && baselineCv is { } b)
        {
            var d = metrics.Cv - b;
            text += $" against the {baseline.Label}: {F5(b)}, **{Delta(d)} ({Percent(d, b)})**, {Verdict(d, metric)}.";
        }

        if (facts?.Challenger?.Gate is { } gate)
        {
            text += gate.Passed ? " The gate passed." : " **The gate refused it.**";
        }

        var folds = new Table(["fold", "validation", "rows", metric.Name.ToUpperInvariant()], [Align.Right, Align.Left, Align.Right, Align.Right],
            metrics.Folds.Select(f => (IReadOnlyList<string>)[I(f.Fold), f.ValidFrom.Length == 0 ? "K-fold" : $"{f.ValidFrom} … {f.ValidTo}", I(f.ValidRows), F5(f.Score)]).ToList());
        Block[] blocks = [new Heading(3, $"Experiment `{name}`"), new Paragraph(text), new Heading(4, "Scores by fold"), folds];
        var headline = new ExperimentReport(name, modelKey, metrics.Cv, facts?.Baseline?.Label, baselineCv, facts?.Challenger?.Id, facts?.Challenger?.Gate?.Passed, false)
        {
            ReproducesBaseline = reproduces,
            Metric = metric.TrackingKey,
        };
        return (blocks, headline);
    }

    /// <summary>The series where a naive profile beats the model on the CV rows, worst first.</summary>
    private IEnumerable<Block> BaselineLosses()
    {
        if (_metrics.Baselines is not { } b)
        {
            yield break;
        }

        yield return new Heading(4, "Where a naive profile beats the model");
        yield return new Paragraph(b.Losses.Count == 0
            ? $"On every one of the {I(b.Series)} series the model beats both the long-run and the recent profile on the CV rows."
            : $"On **{I(b.Losses.Count)} of {I(b.Series)}** series a profile (same hour and kind of day: the last 26 weeks, or the last four) beats the model on the CV rows." +
              (b.Losses.Count > WorstBuildings ? $" The {WorstBuildings} widest margins:" : ""));
        if (b.Losses.Count > 0)
        {
            yield return new Table(["building", "meter", "rows", "model", "profile", "recent profile", "margin"],
                [Align.Right, Align.Right, Align.Right, Align.Right, Align.Right, Align.Right, Align.Right],
                b.Losses.Take(WorstBuildings).Select(l => (IReadOnlyList<string>)
                    [I(l.BuildingId), I(l.Meter), I(l.Rows), F5(l.Model), F5(l.Profile), F5(l.RecentProfile), F5(l.Margin)]).ToList());
        }
    }

    public IEnumerable<Block> Build()
    {
        yield return new Heading(3, $"Experiment `{_name}`");
        yield return new Paragraph(HeadlineText());
        foreach (var block in Gate())
        {
            yield return block;
        }

        yield return new Heading(4, "Metrics");
        yield return MetricsTable();
        yield return new Heading(4, "Scores by fold");
        yield return FoldTable();
        foreach (var block in BaselineLosses())
        {
            yield return block;
        }

        foreach (var block in Plots())
        {
            yield return block;
        }

        foreach (var block in Segments())
        {
            yield return block;
        }
    }

    private string HeadlineText()
    {
        var text = $"**cv_rmsle {F5(_metrics.Cv)}**";
        if (Baseline is { } baseline && BaselineCv is { } b)
        {
            var d = _metrics.Cv - b;
            text += $" against the {baseline.Label}: {F5(b)}, **{Delta(d)} ({Percent(d, b)})**, {Verdict(d)}.";
        }
        else if (Baseline is { } only)
        {
            text += $" against the {only.Label}, which has no {TrackingLookup.Metric}.";
        }
        else
        {
            text += _noTracking ? "; no tracking store, so no champion to compare with." : $"; {_facts?.NoBaseline}.";
        }

        text += $" Model key `{TrackingLookup.Short(_modelKey)}`";
        text += _facts?.Challenger is { } run ? $", tracked as run {run.Id} (matched {_facts.ChallengerMatch})." : ".";
        if (Baseline is { } same && _facts?.Challenger?.Id == same.Run.Id)
        {
            text += " This result **is** the run it is compared with.";
        }

        return text;
    }

    private IEnumerable<Block> Gate()
    {
        if (_facts?.Challenger?.Gate is not { } verdict)
        {
            if (!_noTracking)
            {
                yield return new Paragraph(_facts?.Challenger is { } run
                    ? ReproducesBaseline
                        ? $"Run {run.Id} reproduces {Baseline!.Label} (the same experiment on the same data): the gate has nothing to decide."
                        : $"No gate verdict is stored with run {run.Id}."
                    : "No gate verdict: no tracked run matches this result (run esteira gate to record one).");
            }

            yield break;
        }

        yield return new Heading(4, $"Gate: {(verdict.Passed ? "passed" : "**failed**")}");
        yield return new Paragraph(verdict.Summary + ".");
        yield return new Table(
            ["condition", "value", "threshold", "outcome", "detail"],
            [Align.Left, Align.Right, Align.Right, Align.Left, Align.Left],
            verdict.Conditions.Select(c => (IReadOnlyList<string>)
            [
                c.Name,
                c.Value is { } v ? F5(v) : "–",
                c.Threshold is { } t ? F5(t) : "–",
                c.Outcome switch { ConditionOutcome.Pass => "pass", ConditionOutcome.Fail => "**fail**", _ => "skipped" },
                c.Detail,
            ]).ToList());
    }

    private Table MetricsTable()
    {
        var folds = _metrics.Folds.Where(f => double.IsFinite(f.Score)).ToList();
        var rows = new List<(string Name, double Value, double? Baseline)>
        {
            (TrackingLookup.Metric, _metrics.Cv, BaselineCv),
        };
        if (folds.Count > 0)
        {
            var baselineFolds = BaselineFolds();
            var worst = baselineFolds.Count > 0 ? baselineFolds.Values.Max() : (double?)null;
            var spread = baselineFolds.Count > 1 ? baselineFolds.Values.Max() - baselineFolds.Values.Min() : (double?)null;
            rows.Add(("worst fold RMSLE", folds.Max(f => f.Score), worst));
            rows.Add(("fold spread (worst − best)", folds.Max(f => f.Score) - folds.Min(f => f.Score), spread));
        }

        rows.Add(("out-of-fold rows", _data.Rows, _baselineOof is null ? null : _baselineOof.Length));

        // Any other summary metric both runs recorded.
        if (_facts?.Challenger is { } run && Baseline is { } baseline)
        {
            foreach (var m in run.Metrics.Where(m => m.IsSummary && m.Name != TrackingLookup.Metric).OrderBy(m => m.Name, StringComparer.Ordinal))
            {
                if (baseline.Run.Metric(m.Name) is { } other)
                {
                    rows.Add((m.Name, m.Value, other));
                }
            }
        }

        if (Baseline is null)
        {
            return new Table(["metric", "value"], [Align.Left, Align.Right], rows.Select(r => (IReadOnlyList<string>)[r.Name, Number(r.Value)]).ToList());
        }

        return new Table(["metric", "this result", "baseline", "Δ", "Δ %"], [Align.Left, Align.Right, Align.Right, Align.Right, Align.Right],
            rows.Select(r => (IReadOnlyList<string>)
            [
                r.Name,
                Number(r.Value),
                r.Baseline is { } b ? Number(b) : "–",
                r.Baseline is { } c ? Delta(r.Value - c, IsCount(r.Value) && IsCount(c) ? 0 : 5) : "–",
                r.Baseline is { } p ? Percent(r.Value - p, p) : "–",
            ]).ToList());
    }

    /// <summary>The baseline's per-fold scores: as tracked, else computed from its out-of-fold predictions.</summary>
    private Dictionary<int, double> BaselineFolds()
    {
        if (Baseline is null)
        {
            return [];
        }

        var tracked = Baseline.Run.FoldMetrics(TrackingLookup.Metric);
        if (tracked.Count > 0 || _baselineResiduals is null)
        {
            return tracked.ToDictionary();
        }

        return _metrics.Folds.ToDictionary(f => f.Fold, f =>
        {
            var rows = Enumerable.Range(0, _data.Rows).Where(i => _data.Fold[i] == f.Fold).Select(i => _baselineResiduals[i]).ToArray();
            return Math.Round(ReportAnalysis.Rmsle(rows), 5);
        });
    }

    private Table FoldTable()
    {
        var baseline = BaselineFolds();
        var compare = Baseline is not null;
        string[] headers = compare ? ["fold", "validation period", "rows", "RMSLE", "baseline", "Δ"] : ["fold", "validation period", "rows", "RMSLE"];
        Align[] alignments = compare ? [Align.Right, Align.Left, Align.Right, Align.Right, Align.Right, Align.Right] : [Align.Right, Align.Left, Align.Right, Align.Right];
        return new Table(headers, alignments, _metrics.Folds.Select(f =>
        {
            var row = new List<string> { I(f.Fold), $"{f.ValidFrom} … {f.ValidTo}", I(f.ValidRows), F5(f.Score) };
            if (compare)
            {
                var has = baseline.TryGetValue(f.Fold, out var b);
                row.Add(has ? F5(b) : "–");
                row.Add(has ? Delta(f.Score - b) : "–");
            }

            return (IReadOnlyList<string>)row;
        }).ToList());
    }

    private IEnumerable<Block> Plots()
    {
        yield return new Heading(4, "Out-of-fold predictions");
        yield return new Paragraph("Residual = log1p(predicted) − log1p(actual): above zero the model over-predicts. Boxes span the 25th–75th percentiles, whiskers the 10th–90th.");
        var prefix = _name + "-";
        yield return ReportPlots.PredictedVsActual(_outDir, prefix + TraceFigure, ReportAnalysis.PickSeries(_data, Traces));
        yield return ReportPlots.ByHour(_outDir, prefix + HourFigure, ReportAnalysis.ByBucket(_data.HourOfDay, _residuals));
        yield return ReportPlots.ByWeekday(_outDir, prefix + WeekdayFigure, ReportAnalysis.ByBucket(_data.Weekday, _residuals));
        var worst = ReportAnalysis.Segments(_data.Building, _residuals).OrderByDescending(s => s.Rmsle).ThenBy(s => s.Value).Take(WorstBuildings).ToList();
        yield return ReportPlots.ByBuilding(_outDir, prefix + BuildingFigure, worst);

        var total = _metrics.Importance.Sum(f => (double)f.Gain);
        if (total > 0)
        {
            var shares = _metrics.Importance.OrderByDescending(f => f.Gain).Select(f => (f.Feature, Share: f.Gain / total)).ToList();
            yield return new Heading(4, "Feature importance");
            yield return ReportPlots.Importance(_outDir, prefix + ImportanceFigure, shares.Take(TopFeatures).ToList());
            yield return new Table(["feature", "gain", "share"], [Align.Left, Align.Right, Align.Right],
                _metrics.Importance.OrderByDescending(f => f.Gain).Take(TableFeatures)
                    .Select(f => (IReadOnlyList<string>)[$"`{f.Feature}`", f.Gain.ToString("0.000", CultureInfo.InvariantCulture), (f.Gain / total).ToString("0.0 %", CultureInfo.InvariantCulture)])
                    .ToList());
        }
    }

    private IEnumerable<Block> Segments()
    {
        if (Baseline is null)
        {
            yield break;
        }

        yield return new Heading(4, "Error change by segment");
        if (_baselineResiduals is null)
        {
            yield return new Paragraph($"Not available: {_noSegments}.");
            yield break;
        }

        var meters = ReportAnalysis.Changes("meter", _data.Meter, _baselineResiduals, _residuals);
        var sites = ReportAnalysis.Changes("site", _data.Site, _baselineResiduals, _residuals);
        var buildings = ReportAnalysis.Changes("building", _data.Building, _baselineResiduals, _residuals);
        var better = buildings.Count(b => b.Delta < 0);
        yield return new Paragraph(string.Create(CultureInfo.InvariantCulture,
            $"RMSLE of this result minus the {Baseline.Label}'s on the same out-of-fold rows (negative is better). Better in {better} of {buildings.Count} buildings, worse in {buildings.Count(b => b.Delta > 0)}."));
        var shown = meters.OrderBy(m => m.Value).Concat(sites.OrderBy(s => s.Value)).Concat(buildings.Take(ChangedBuildings)).ToList();
        yield return ReportPlots.SegmentChanges(_outDir, _name + "-" + SegmentFigure, shown);
        yield return new Table(["segment", "rows", "baseline", "this result", "Δ"], [Align.Left, Align.Right, Align.Right, Align.Right, Align.Right],
            shown.Select(c => (IReadOnlyList<string>)[$"{c.Kind} {c.Value}", I(c.Rows), F5(c.Champion), F5(c.Challenger), Delta(c.Delta)]).ToList());
    }

    internal static string F5(double value) => double.IsFinite(value) ? value.ToString("0.00000", CultureInfo.InvariantCulture) : "–";

    private static string I(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Number(double value) => IsCount(value) ? value.ToString("N0", CultureInfo.InvariantCulture) : F5(value);

    private static bool IsCount(double value) => value == Math.Round(value) && Math.Abs(value) >= 1;

    internal static string Delta(double delta, int decimals = 5) =>
        !double.IsFinite(delta) ? "–" : delta.ToString(decimals == 0 ? "+#,0;-#,0;0" : "+0.00000;-0.00000;0.00000", CultureInfo.InvariantCulture);

    internal static string Percent(double delta, double baseline) =>
        baseline == 0 || !double.IsFinite(delta) ? "–" : (delta / baseline * 100).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture) + " %";

    internal static string Verdict(double delta, EvalMetric? metric = null)
    {
        var better = (metric?.Goal ?? MetricGoal.Minimize) == MetricGoal.Minimize ? -delta : delta;
        return better > 1e-9 ? "better" : better < -1e-9 ? "worse" : "same";
    }
}
