using System.Globalization;

namespace Esteira.Tracking;

/// <summary>A run's value for the gate's metric: the summary value and the per-fold values.</summary>
/// <param name="Value">The summary (overall CV) value; null or NaN when the run did not report it.</param>
/// <param name="Folds">Per-fold values by fold number.</param>
public sealed record GateMetrics(double? Value, IReadOnlyDictionary<int, double> Folds)
{
    /// <summary>Reads <paramref name="metric"/> from a recorded run.</summary>
    public static GateMetrics FromRun(Run run, string metric)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new GateMetrics(run.Metric(metric), run.FoldMetrics(metric));
    }
}

/// <summary>Facts about the training data that data-quality conditions check.</summary>
/// <param name="FlaggedFraction">The fraction of training rows the quality screen flagged, when known.</param>
public sealed record DataQualityFacts(double? FlaggedFraction = null)
{
    /// <summary>No facts known: every data-quality condition fails for want of a value.</summary>
    public static readonly DataQualityFacts None = new();
}

/// <summary>How one condition came out.</summary>
public enum ConditionOutcome
{
    /// <summary>The condition held.</summary>
    Pass,
    /// <summary>The condition did not hold (or had no value to check); the gate fails.</summary>
    Fail,

    /// <summary>Not applicable (a comparison with a champion when there is none).</summary>
    Skipped,
}

/// <summary>One row of the verdict table.</summary>
/// <param name="Name">What was checked, e.g. <c>cv_rmsle ≤ max</c>.</param>
/// <param name="Value">The challenger's value for this condition (null when there is none).</param>
/// <param name="Threshold">The declared threshold.</param>
/// <param name="Outcome">Pass, fail or skipped.</param>
/// <param name="Detail">Why, in a few words (which fold, what the champion had).</param>
public sealed record GateCondition(string Name, double? Value, double? Threshold, ConditionOutcome Outcome, string Detail);

/// <summary>The gate's decision on a challenger, with one row per condition.</summary>
public sealed record GateVerdict
{
    /// <summary>The metric the gate judged (the spec's <see cref="GateSpec.Metric"/>).</summary>
    public required string Metric { get; init; }

    /// <summary>Whether lower or higher values of <see cref="Metric"/> are better.</summary>
    public required MetricDirection Direction { get; init; }

    /// <summary>True when no condition failed.</summary>
    public required bool Passed { get; init; }

    /// <summary>The champion's run, when there was a champion to compare with.</summary>
    public long? ChampionRunId { get; init; }

    /// <summary>One row per condition the spec declares, in the order they were checked.</summary>
    public required IReadOnlyList<GateCondition> Conditions { get; init; }

    /// <summary>One line for logs and promotion reasons: the failed conditions, or that all passed.</summary>
    public string Summary
    {
        get
        {
            var failed = Conditions.Where(c => c.Outcome == ConditionOutcome.Fail).Select(c => c.Name).ToList();
            var against = ChampionRunId is { } id ? $"against champion run {id}" : "with no champion yet";
            return failed.Count == 0
                ? $"gate passed {against} ({Conditions.Count(c => c.Outcome == ConditionOutcome.Pass)} conditions)"
                : $"gate failed {against}: {string.Join("; ", failed)}";
        }
    }
}

/// <summary>The gate: pure evaluation of a challenger against the declared thresholds and the champion.</summary>
public static class Gate
{
    // Thresholds are typed by people (0.002) and compared with differences of doubles (0.412 − 0.410),
    // which land a few ulps off; a tolerance far below any meaningful metric change keeps "exactly at the
    // threshold" on the passing side.
    private const double Tolerance = 1e-9;

    /// <summary>
    /// Evaluates every declared condition. With no champion, only absolute and data-quality conditions apply
    /// (the ones comparing with the champion are <see cref="ConditionOutcome.Skipped"/>), so the first run that
    /// passes them becomes champion.
    /// </summary>
    /// <param name="spec">The declared gate.</param>
    /// <param name="challenger">The challenger's metric, overall and per fold.</param>
    /// <param name="champion">The champion's metric, or null when there is no champion yet.</param>
    /// <param name="quality">Data-quality facts about the challenger's training data.</param>
    /// <param name="championRunId">The champion's run id, only to name it in the verdict.</param>
    public static GateVerdict Evaluate(GateSpec spec, GateMetrics challenger, GateMetrics? champion, DataQualityFacts? quality = null, long? championRunId = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(challenger);
        quality ??= DataQualityFacts.None;
        var rows = new List<GateCondition>();
        var m = spec.Metric;
        var value = challenger.Value is { } v && double.IsFinite(v) ? v : (double?)null;
        if (value is null)
        {
            rows.Add(new GateCondition($"{m} reported", challenger.Value, null, ConditionOutcome.Fail,
                challenger.Value is null ? $"the run has no summary value for '{m}'" : $"'{m}' is {Format(challenger.Value)}, not a finite number"));
        }

        if (spec.Max is { } max)
        {
            rows.Add(Check($"{m} ≤ max", value, max, value <= max + Tolerance, value is null ? "no value" : $"{Format(value)} vs ceiling {Format(max)}"));
        }

        if (spec.Min is { } min)
        {
            rows.Add(Check($"{m} ≥ min", value, min, value >= min - Tolerance, value is null ? "no value" : $"{Format(value)} vs floor {Format(min)}"));
        }

        var championValue = champion?.Value is { } cv && double.IsFinite(cv) ? cv : (double?)null;
        var sign = spec.Direction == MetricDirection.Minimize ? 1.0 : -1.0;
        double? improvement = value is not null && championValue is not null ? sign * (championValue.Value - value.Value) : null;
        if (spec.MinImprovement is { } minImprovement)
        {
            rows.Add(AgainstChampion("improvement over champion ≥ min_improvement", champion, improvement, minImprovement,
                () => $"champion {Format(championValue)}, challenger {Format(value)}"));
        }

        if (spec.MinRelativeImprovement is { } minRelative)
        {
            double? relative = improvement is { } imp && championValue is { } cval
                ? cval != 0 ? imp / Math.Abs(cval) : imp > 0 ? double.PositiveInfinity : imp < 0 ? double.NegativeInfinity : 0
                : null;
            rows.Add(AgainstChampion("relative improvement ≥ min_relative_improvement", champion, relative, minRelative,
                () => $"{Format(improvement)} / |{Format(championValue)}|"));
        }

        if (spec.MaxFoldRegression is { } maxRegression)
        {
            rows.Add(FoldRegression(spec, challenger, champion, maxRegression, sign));
        }

        if (spec.MaxFlaggedFraction is { } maxFlagged)
        {
            var flagged = quality.FlaggedFraction;
            rows.Add(Check("flagged row fraction ≤ max_flagged_fraction", flagged, maxFlagged, flagged <= maxFlagged + Tolerance,
                flagged is null ? "the run reported no flagged-row fraction" : $"{flagged.Value.ToString("P2", CultureInfo.InvariantCulture)} of training rows flagged"));
        }

        return new GateVerdict
        {
            Metric = m,
            Direction = spec.Direction,
            Passed = rows.TrueForAll(r => r.Outcome != ConditionOutcome.Fail),
            ChampionRunId = champion is null ? null : championRunId,
            Conditions = rows,
        };
    }

    private static GateCondition Check(string name, double? value, double threshold, bool? passed, string detail) =>
        new(name, value, threshold, passed == true ? ConditionOutcome.Pass : ConditionOutcome.Fail, detail);

    private static GateCondition AgainstChampion(string name, GateMetrics? champion, double? value, double threshold, Func<string> detail)
    {
        if (champion is null)
        {
            return new GateCondition(name, null, threshold, ConditionOutcome.Skipped, "no champion yet");
        }

        if (value is null || double.IsNaN(value.Value))
        {
            return new GateCondition(name, null, threshold, ConditionOutcome.Fail, "challenger or champion has no finite value");
        }

        return new GateCondition(name, value, threshold, value >= threshold - Tolerance ? ConditionOutcome.Pass : ConditionOutcome.Fail, detail());
    }

    private static GateCondition FoldRegression(GateSpec spec, GateMetrics challenger, GateMetrics? champion, double maxRegression, double sign)
    {
        const string Name = "worst fold regression ≤ max_fold_regression";
        if (champion is null)
        {
            return new GateCondition(Name, null, maxRegression, ConditionOutcome.Skipped, "no champion yet");
        }

        var common = challenger.Folds.Keys.Intersect(champion.Folds.Keys).Order().ToList();
        if (common.Count == 0)
        {
            // Without folds in common the promise "no fold got worse" cannot be checked, so it is not given.
            return new GateCondition(Name, null, maxRegression, ConditionOutcome.Fail,
                $"no CV fold of '{spec.Metric}' in common (challenger has {challenger.Folds.Count}, champion {champion.Folds.Count})");
        }

        var broken = common.Where(f => !double.IsFinite(challenger.Folds[f]) || !double.IsFinite(champion.Folds[f])).ToList();
        if (broken.Count > 0)
        {
            return new GateCondition(Name, null, maxRegression, ConditionOutcome.Fail, $"fold {broken[0]} has no finite value");
        }

        var worstFold = common.MaxBy(f => sign * (challenger.Folds[f] - champion.Folds[f]));
        var worst = sign * (challenger.Folds[worstFold] - champion.Folds[worstFold]);

        return new GateCondition(Name, worst, maxRegression, worst <= maxRegression + Tolerance ? ConditionOutcome.Pass : ConditionOutcome.Fail,
            $"fold {worstFold}: {Format(challenger.Folds[worstFold])} vs champion {Format(champion.Folds[worstFold])}");
    }

    internal static string Format(double? value) => value switch
    {
        null => "none",
        { } x when double.IsNaN(x) => "NaN",
        { } x => x.ToString("0.######", CultureInfo.InvariantCulture),
    };
}
