namespace Esteira;

/// <summary>Whether a metric's lower or higher values are better.</summary>
public enum MetricGoal
{
    /// <summary>Lower is better (errors, losses).</summary>
    Minimize,

    /// <summary>Higher is better (AUC, accuracy).</summary>
    Maximize,
}

/// <summary>
/// The competition metrics Esteira scores with, each implemented once: cross-validation, the blend, the gate's
/// defaults and the leaderboard server all call these. Predictions and truths are in the target's own units
/// (probabilities and 0/1 labels for the classification metrics).
/// </summary>
public sealed class EvalMetric
{
    private readonly Func<ReadOnlyMemory<double>, ReadOnlyMemory<double>, double> _score;

    private EvalMetric(string name, MetricGoal goal, bool classification, Func<ReadOnlyMemory<double>, ReadOnlyMemory<double>, double> score)
    {
        Name = name;
        Goal = goal;
        Classification = classification;
        _score = score;
    }

    /// <summary>The metric's name as written in esteira.yaml and on the command line (<c>rmsle</c>, <c>auc</c>, …).</summary>
    public string Name { get; }

    /// <summary>Whether lower or higher is better.</summary>
    public MetricGoal Goal { get; }

    /// <summary>True when the metric scores probabilities of a binary target.</summary>
    public bool Classification { get; }

    /// <summary>Root mean squared logarithmic error: sqrt(mean((ln(1+p) − ln(1+y))²)); both sides ≥ 0.</summary>
    public static EvalMetric Rmsle { get; } = new("rmsle", MetricGoal.Minimize, false, (p, y) => Mean(p, y, (a, b) => Square(Math.Log(1 + a) - Math.Log(1 + b)), Math.Sqrt));

    /// <summary>Root mean squared error.</summary>
    public static EvalMetric Rmse { get; } = new("rmse", MetricGoal.Minimize, false, (p, y) => Mean(p, y, (a, b) => Square(a - b), Math.Sqrt));

    /// <summary>Mean absolute error.</summary>
    public static EvalMetric Mae { get; } = new("mae", MetricGoal.Minimize, false, (p, y) => Mean(p, y, (a, b) => Math.Abs(a - b), m => m));

    /// <summary>Area under the ROC curve; tied predictions count half (the Mann–Whitney statistic).</summary>
    public static EvalMetric Auc { get; } = new("auc", MetricGoal.Maximize, true, (p, y) => RocAuc(p.Span, y.Span));

    /// <summary>Binary log loss; probabilities clipped to [1e-15, 1 − 1e-15] as scikit-learn and Kaggle do.</summary>
    public static EvalMetric LogLoss { get; } = new("logloss", MetricGoal.Minimize, true, (p, y) => Mean(p, y, (a, b) =>
    {
        var q = Math.Clamp(a, 1e-15, 1 - 1e-15);
        return -((b * Math.Log(q)) + ((1 - b) * Math.Log(1 - q)));
    }, m => m));

    /// <summary>Share of rows whose probability, cut at 0.5, gives the label.</summary>
    public static EvalMetric Accuracy { get; } = new("accuracy", MetricGoal.Maximize, true, (p, y) => Mean(p, y, (a, b) => (a >= 0.5 ? 1 : 0) == (b >= 0.5 ? 1 : 0) ? 1 : 0, m => m));

    /// <summary>Every metric, in the order help texts list them.</summary>
    public static IReadOnlyList<EvalMetric> All { get; } = [Rmsle, Rmse, Mae, Auc, LogLoss, Accuracy];

    /// <summary>The metric named <paramref name="name"/> (any case); null when there is none.</summary>
    public static EvalMetric? Find(string? name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The metric named <paramref name="name"/>, or a usage error that lists the known ones.</summary>
    public static EvalMetric Parse(string name, string where) =>
        Find(name) ?? throw new EsteiraException(ErrorCode.BadInput, $"{where}: metric '{name}' is not supported; use one of {string.Join(", ", All.Select(m => m.Name))}");

    /// <summary>The metric's name in the tracking store: <c>cv_rmsle</c>, <c>cv_auc</c>, …</summary>
    public string TrackingKey => "cv_" + Name;

    /// <summary>Scores <paramref name="predicted"/> against <paramref name="actual"/> (same length, not empty).</summary>
    public double Score(ReadOnlySpan<double> predicted, ReadOnlySpan<double> actual)
    {
        if (predicted.Length != actual.Length || predicted.Length == 0)
        {
            throw new ArgumentException($"{Name}: both sides need the same, non-zero number of values ({predicted.Length} and {actual.Length})");
        }

        return _score(predicted.ToArray(), actual.ToArray());
    }

    /// <summary>Scores float predictions against float truths.</summary>
    public double Score(ReadOnlySpan<float> predicted, ReadOnlySpan<float> actual)
    {
        var p = new double[predicted.Length];
        var y = new double[actual.Length];
        for (var i = 0; i < p.Length; i++)
        {
            p[i] = predicted[i];
        }

        for (var i = 0; i < y.Length; i++)
        {
            y[i] = actual[i];
        }

        return Score(p, y);
    }

    /// <summary>True when <paramref name="a"/> is a better score than <paramref name="b"/>.</summary>
    public bool Better(double a, double b) => Goal == MetricGoal.Minimize ? a < b : a > b;

    /// <inheritdoc/>
    public override string ToString() => Name;

    private static double Square(double x) => x * x;

    private static double Mean(ReadOnlyMemory<double> predicted, ReadOnlyMemory<double> actual, Func<double, double, double> term, Func<double, double> finish)
    {
        var p = predicted.Span;
        var y = actual.Span;
        double sum = 0;
        for (var i = 0; i < p.Length; i++)
        {
            sum += term(p[i], y[i]);
        }

        return finish(sum / p.Length);
    }

    private static double RocAuc(ReadOnlySpan<double> predicted, ReadOnlySpan<double> actual)
    {
        var order = new int[predicted.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var keys = predicted.ToArray();
        Array.Sort(keys, order);

        // rank sum of the positives, ties sharing their mean rank
        double positives = 0, rankSum = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && keys[end + 1] == keys[start])
            {
                end++;
            }

            var meanRank = ((start + end) / 2.0) + 1;
            for (var k = start; k <= end; k++)
            {
                if (actual[order[k]] >= 0.5)
                {
                    positives++;
                    rankSum += meanRank;
                }
            }

            start = end + 1;
        }

        var negatives = order.Length - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        return (rankSum - (positives * (positives + 1) / 2)) / (positives * negatives);
    }
}
