namespace Esteira;

/// <summary>Root mean squared logarithmic error, the GEPIII metric: sqrt(mean((ln(1+p) − ln(1+y))²)).</summary>
public static class Rmsle
{
    /// <summary>RMSLE of <paramref name="predicted"/> against <paramref name="actual"/>; both non-negative.</summary>
    public static double Compute(ReadOnlySpan<float> predicted, ReadOnlySpan<float> actual)
    {
        if (predicted.Length != actual.Length)
        {
            throw new ArgumentException($"predicted has {predicted.Length} values but actual has {actual.Length}");
        }

        if (predicted.Length == 0)
        {
            throw new ArgumentException("RMSLE of zero rows is undefined");
        }

        double sum = 0;
        for (var i = 0; i < predicted.Length; i++)
        {
            var d = Math.Log(1.0 + predicted[i]) - Math.Log(1.0 + actual[i]);
            sum += d * d;
        }

        return Math.Sqrt(sum / predicted.Length);
    }

    /// <summary>RMSLE when both sides are already in log1p space: the root mean squared difference.</summary>
    public static double FromLogSpace(ReadOnlySpan<float> predictedLog1p, ReadOnlySpan<float> actualLog1p)
    {
        if (predictedLog1p.Length != actualLog1p.Length || predictedLog1p.Length == 0)
        {
            throw new ArgumentException("both sides need the same, non-zero number of values");
        }

        double sum = 0;
        for (var i = 0; i < predictedLog1p.Length; i++)
        {
            double d = predictedLog1p[i] - actualLog1p[i];
            sum += d * d;
        }

        return Math.Sqrt(sum / predictedLog1p.Length);
    }
}
