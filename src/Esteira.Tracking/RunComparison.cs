using System.Globalization;

namespace Esteira.Tracking;

/// <summary>One row of a comparison: a key and its value in each run (null where the run has none).</summary>
/// <param name="Section">run, lineage, param, metric or tag.</param>
/// <param name="Key">The param, metric (with fold, e.g. <c>cv_rmsle[fold=1]</c>), tag or field name.</param>
/// <param name="Values">One value per run, in the order the runs were given.</param>
/// <param name="Numbers">For metrics, the numeric values (so JSON can carry numbers); null for other sections.</param>
/// <param name="Differs">True when not every run has the same value.</param>
public sealed record ComparisonRow(string Section, string Key, IReadOnlyList<string?> Values, IReadOnlyList<double?>? Numbers, bool Differs);

/// <summary>Runs side by side.</summary>
public sealed record RunComparisonTable(IReadOnlyList<long> RunIds, IReadOnlyList<ComparisonRow> Rows, int HiddenRows);

/// <summary>Pure: lines up params, metrics, lineage and tags of several runs, keeping only what differs unless asked for all.</summary>
public static class RunComparison
{
    /// <see cref="ComparisonRow.Section"/> of the run's own fields (status, times, error).
    public const string RunSection = "run";
    /// <see cref="ComparisonRow.Section"/> of the <see cref="RunLineage"/> fields.
    public const string LineageSection = "lineage";
    /// <see cref="ComparisonRow.Section"/> of params.
    public const string ParamSection = "param";
    /// <see cref="ComparisonRow.Section"/> of summary and per-fold metric values.
    public const string MetricSection = "metric";
    /// <see cref="ComparisonRow.Section"/> of tags.
    public const string TagSection = "tag";

    /// <summary>Builds the comparison. Metric histories (values with a step) are left out; summary and per-fold values are in.</summary>
    /// <param name="runs">The runs, in display order.</param>
    /// <param name="all">Keep rows where every run agrees.</param>
    public static RunComparisonTable Compare(IReadOnlyList<Run> runs, bool all)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var rows = new List<ComparisonRow>();
        AddText(rows, RunSection, "experiment", runs, r => r.Experiment);
        AddText(rows, RunSection, "status", runs, r => TrackingDatabase.Format(r.Status));
        AddText(rows, RunSection, "gate", runs, r => r.Gate is null ? null : r.Gate.Passed ? "passed" : "failed");
        AddText(rows, LineageSection, "git_commit", runs, r => r.Lineage.GitCommit);
        AddText(rows, LineageSection, "git_dirty", runs, r => r.Lineage.GitDirty is { } d ? (d ? "true" : "false") : null);
        AddText(rows, LineageSection, "dataset_hash", runs, r => r.Lineage.DatasetHash);
        AddText(rows, LineageSection, "experiment_hash", runs, r => r.Lineage.ExperimentHash);
        AddText(rows, LineageSection, "esteira_version", runs, r => r.Lineage.EsteiraVersion);
        AddText(rows, LineageSection, "machine", runs, r => r.Lineage.Machine);
        AddText(rows, LineageSection, "blend_of", runs,
            r => r.Lineage.BlendOf.Count == 0 ? null : string.Join(" + ", r.Lineage.BlendOf.Select(p => $"{Number(p.Weight)}×run {p.RunId}")));
        foreach (var key in runs.SelectMany(r => r.Params.Keys).Distinct().Order(StringComparer.Ordinal))
        {
            AddText(rows, ParamSection, key, runs, r => r.Params.GetValueOrDefault(key));
        }

        var metricKeys = runs.SelectMany(r => r.Metrics.Where(m => m.Step is null).Select(m => (m.Name, Fold: m.Fold ?? -1)))
            .Distinct().OrderBy(k => k.Name, StringComparer.Ordinal).ThenBy(k => k.Fold);
        foreach (var (name, fold) in metricKeys)
        {
            var numbers = runs.Select(r => r.Metrics.FirstOrDefault(m => m.Name == name && (m.Fold ?? -1) == fold && m.Step is null)?.Value).ToList();
            var key = fold < 0 ? name : $"{name}[fold={fold}]";
            var differs = numbers.Distinct().Count() > 1;
            rows.Add(new ComparisonRow(MetricSection, key, numbers.Select(n => n is { } v ? Number(v) : null).ToList(), numbers, differs));
        }

        foreach (var key in runs.SelectMany(r => r.Tags.Keys).Distinct().Order(StringComparer.Ordinal))
        {
            AddText(rows, TagSection, key, runs, r => r.Tags.GetValueOrDefault(key));
        }

        var shown = all ? rows : rows.Where(r => r.Differs).ToList();
        var emptyLineage = shown.Where(r => r.Values.All(v => v is null)).ToList();
        shown = shown.Except(emptyLineage).ToList();
        return new RunComparisonTable(runs.Select(r => r.Id).ToList(), shown, rows.Count - shown.Count);
    }

    /// <summary>Shortest round-trip text of a metric value, invariant culture.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static void AddText(List<ComparisonRow> rows, string section, string key, IReadOnlyList<Run> runs, Func<Run, string?> value)
    {
        var values = runs.Select(value).ToList();
        rows.Add(new ComparisonRow(section, key, values, null, values.Distinct(StringComparer.Ordinal).Count() > 1));
    }
}
