namespace Esteira.Core.Tests;

/// <summary>The metric catalog against values computed by hand.</summary>
public sealed class MetricTests
{
    private static double Score(EvalMetric metric, double[] predicted, double[] actual) => metric.Score(predicted, actual);

    [Fact]
    public void RmsleOfTwoRowsOffByOneDoublingIsLn2()
    {
        // ln(1+1) − ln(1+0) = ln 2 and ln(1+3) − ln(1+1) = ln 2
        Assert.Equal(Math.Log(2), Score(EvalMetric.Rmsle, [1, 3], [0, 1]), 12);
    }

    [Fact]
    public void RmseAndMaeOfFourRows()
    {
        Assert.Equal(1.0, Score(EvalMetric.Rmse, [1, 2, 3, 4], [1, 2, 3, 6]), 12); // sqrt(4 / 4)
        Assert.Equal(1.0, Score(EvalMetric.Mae, [1, 2, 3, 4], [2, 2, 2, 2]), 12); // (1 + 0 + 1 + 2) / 4
    }

    [Fact]
    public void AucCountsATiedPairHalf()
    {
        // positives 0.4 and 0.8 against negatives 0.1 and 0.4: pairs 1 + ½ + 1 + 1 of 4
        Assert.Equal(0.875, Score(EvalMetric.Auc, [0.1, 0.4, 0.4, 0.8], [0, 1, 0, 1]), 12);
        Assert.Equal(1.0, Score(EvalMetric.Auc, [0.1, 0.2, 0.3, 0.9], [0, 0, 1, 1]), 12);
        Assert.Equal(0.5, Score(EvalMetric.Auc, [0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]), 12);
    }

    [Fact]
    public void AucOfOneClassIsNaN() => Assert.True(double.IsNaN(Score(EvalMetric.Auc, [0.1, 0.2], [1, 1])));

    [Fact]
    public void LogLossOfTwoRows()
    {
        // −ln 0.8 and −ln 0.7
        Assert.Equal((-Math.Log(0.8) - Math.Log(0.7)) / 2, Score(EvalMetric.LogLoss, [0.8, 0.3], [1, 0]), 12);
    }

    [Fact]
    public void LogLossClipsCertainWrongAnswersAt1e15()
    {
        // a certain wrong answer costs −ln(1e−15) = 34.5388, not infinity; a certain right one about 1e−15
        Assert.Equal(-Math.Log(1e-15), Score(EvalMetric.LogLoss, [0], [1]), 9);
        Assert.Equal(-Math.Log(1e-15) / 2, Score(EvalMetric.LogLoss, [0, 1], [1, 1]), 9);
        Assert.True(double.IsFinite(Score(EvalMetric.LogLoss, [1, 0], [0, 1])));
    }

    [Fact]
    public void AccuracyCutsAtOneHalfInclusive()
    {
        // 0.5 → 1 (right), 0.49 → 0 (right), 0.9 → 1 (wrong), 0.1 → 0 (right)
        Assert.Equal(0.75, Score(EvalMetric.Accuracy, [0.5, 0.49, 0.9, 0.1], [1, 0, 0, 0]), 12);
    }

    [Fact]
    public void GoalsAndNames()
    {
        Assert.Equal(["rmsle", "rmse", "mae", "auc", "logloss", "accuracy"], EvalMetric.All.Select(m => m.Name));
        Assert.All(new[] { EvalMetric.Rmsle, EvalMetric.Rmse, EvalMetric.Mae, EvalMetric.LogLoss }, m => Assert.Equal(MetricGoal.Minimize, m.Goal));
        Assert.All(new[] { EvalMetric.Auc, EvalMetric.Accuracy }, m => Assert.Equal(MetricGoal.Maximize, m.Goal));
        Assert.True(EvalMetric.Auc.Better(0.9, 0.8));
        Assert.True(EvalMetric.Rmse.Better(0.8, 0.9));
        Assert.Same(EvalMetric.Auc, EvalMetric.Find(" AUC "));
        Assert.Equal("cv_logloss", EvalMetric.LogLoss.TrackingKey);
        var error = Assert.Throws<EsteiraException>(() => EvalMetric.Parse("f1", "competition.metric"));
        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains("rmsle, rmse, mae, auc, logloss, accuracy", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FloatOverloadMatchesDouble() =>
        Assert.Equal(Score(EvalMetric.Rmse, [1, 2], [2, 4]), EvalMetric.Rmse.Score(new float[] { 1, 2 }, new float[] { 2, 4 }), 12);

    [Fact]
    public void MismatchedLengthsAreRefused() =>
        Assert.Throws<ArgumentException>(() => Score(EvalMetric.Rmse, [1, 2], [1]));
}
