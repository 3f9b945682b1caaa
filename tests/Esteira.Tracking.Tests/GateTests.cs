using Xunit;

namespace Esteira.Tracking.Tests;

public sealed class GateTests
{
    private static GateMetrics M(double? value, params double[] folds) =>
        new(value, folds.Select((f, i) => (f, i)).ToDictionary(x => x.i, x => x.f));

    private static GateCondition Row(GateVerdict verdict, string startsWith) =>
        Assert.Single(verdict.Conditions, c => c.Name.StartsWith(startsWith, StringComparison.Ordinal));

    [Fact]
    public void Absolute_ceiling_passes_at_or_below_and_fails_above()
    {
        var spec = new GateSpec { Metric = "cv_rmsle", Max = 0.6 };

        Assert.True(Gate.Evaluate(spec, M(0.6), null).Passed);
        var failed = Gate.Evaluate(spec, M(0.61), null);

        Assert.False(failed.Passed);
        var row = Row(failed, "cv_rmsle ≤ max");
        Assert.Equal((0.61, 0.6, ConditionOutcome.Fail), (row.Value, row.Threshold, row.Outcome));
    }

    [Fact]
    public void Absolute_floor_applies_to_a_maximised_metric()
    {
        var spec = new GateSpec { Metric = "auc", Direction = MetricDirection.Maximize, Min = 0.8 };

        Assert.True(Gate.Evaluate(spec, M(0.85), null).Passed);
        Assert.False(Gate.Evaluate(spec, M(0.75), null).Passed);
    }

    [Fact]
    public void Minimum_improvement_is_in_metric_units_and_lower_is_better_for_rmsle()
    {
        var spec = new GateSpec { Metric = "cv_rmsle", MinImprovement = 0.002 };

        var exactly = Gate.Evaluate(spec, M(0.410), M(0.412));
        var tooLittle = Gate.Evaluate(spec, M(0.4110), M(0.412));
        var worse = Gate.Evaluate(spec, M(0.42), M(0.412));

        Assert.True(exactly.Passed); // 0.412 − 0.410 is 0.0019999… in binary; the tolerance keeps it a pass
        Assert.False(tooLittle.Passed);
        Assert.False(worse.Passed);
        Assert.Equal(-0.008, Row(worse, "improvement").Value!.Value, 9);
    }

    [Fact]
    public void Improvement_for_a_maximised_metric_is_challenger_minus_champion()
    {
        var spec = new GateSpec { Metric = "auc", Direction = MetricDirection.Maximize, MinImprovement = 0.01 };

        Assert.True(Gate.Evaluate(spec, M(0.82), M(0.80)).Passed);
        Assert.False(Gate.Evaluate(spec, M(0.80), M(0.82)).Passed);
    }

    [Fact]
    public void Relative_improvement_is_a_fraction_of_the_champion()
    {
        var spec = new GateSpec { Metric = "cv_rmsle", MinRelativeImprovement = 0.01 };

        var onePercent = Gate.Evaluate(spec, M(0.495), M(0.5));
        var half = Gate.Evaluate(spec, M(0.4975), M(0.5));

        Assert.True(onePercent.Passed);
        Assert.Equal(0.01, Row(onePercent, "relative").Value!.Value, 9);
        Assert.False(half.Passed);
    }

    [Fact]
    public void Fold_regression_compares_each_fold_with_the_champions_same_fold()
    {
        var spec = new GateSpec { Metric = "cv_rmsle", MaxFoldRegression = 0.05 };

        var better = Gate.Evaluate(spec, M(0.40, 0.38, 0.42, 0.40), M(0.42, 0.40, 0.41, 0.45));
        var oneFoldWorse = Gate.Evaluate(spec, M(0.40, 0.30, 0.52, 0.38), M(0.42, 0.40, 0.41, 0.45));

        Assert.True(better.Passed); // fold 1 is 0.01 worse: within 0.05
        Assert.Equal(0.01, Row(better, "worst fold").Value!.Value, 9);
        Assert.False(oneFoldWorse.Passed); // overall better, but fold 1 regressed by 0.11
        var row = Row(oneFoldWorse, "worst fold");
        Assert.Equal(0.11, row.Value!.Value, 9);
        Assert.Contains("fold 1", row.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Fold_regression_fails_when_no_fold_can_be_compared()
    {
        var verdict = Gate.Evaluate(new GateSpec { Metric = "cv_rmsle", MaxFoldRegression = 0.05 }, M(0.40, 0.4, 0.4), M(0.42));

        Assert.False(verdict.Passed);
        Assert.Contains("no CV fold", Row(verdict, "worst fold").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Flagged_fraction_is_a_data_quality_condition_that_applies_without_a_champion()
    {
        var spec = new GateSpec { Metric = "cv_rmsle", MaxFlaggedFraction = 0.2 };

        Assert.True(Gate.Evaluate(spec, M(0.4), null, new DataQualityFacts(0.05)).Passed);
        Assert.False(Gate.Evaluate(spec, M(0.4), null, new DataQualityFacts(0.25)).Passed);
        Assert.False(Gate.Evaluate(spec, M(0.4), null, DataQualityFacts.None).Passed);
    }

    [Fact]
    public void Without_a_champion_relative_conditions_are_skipped_so_the_first_passing_run_becomes_champion()
    {
        var spec = new GateSpec { Metric = "cv_rmsle", Max = 0.6, MinImprovement = 0.002, MinRelativeImprovement = 0.01, MaxFoldRegression = 0.05 };

        var verdict = Gate.Evaluate(spec, M(0.5, 0.5), null);

        Assert.True(verdict.Passed);
        Assert.Null(verdict.ChampionRunId);
        Assert.Equal([ConditionOutcome.Pass, ConditionOutcome.Skipped, ConditionOutcome.Skipped, ConditionOutcome.Skipped], verdict.Conditions.Select(c => c.Outcome));
        Assert.Contains("no champion", verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_or_nan_metric_fails_the_gate()
    {
        var spec = new GateSpec { Metric = "cv_rmsle", Max = 0.6, MinImprovement = 0 };

        var missing = Gate.Evaluate(spec, M(null), M(0.5));
        var nan = Gate.Evaluate(spec, M(double.NaN), M(0.5));

        Assert.False(missing.Passed);
        Assert.False(nan.Passed);
        Assert.Equal(ConditionOutcome.Fail, Row(nan, "cv_rmsle reported").Outcome);
        Assert.All(nan.Conditions, c => Assert.Equal(ConditionOutcome.Fail, c.Outcome));
    }

    [Fact]
    public void A_gate_with_no_thresholds_passes_and_names_its_champion()
    {
        var verdict = Gate.Evaluate(new GateSpec { Metric = "cv_rmsle" }, M(0.5), M(0.4), championRunId: 7);

        Assert.True(verdict.Passed);
        Assert.Equal(7, verdict.ChampionRunId);
        Assert.Empty(verdict.Conditions);
    }
}
