namespace Esteira.Ml.Tests;

/// <summary>The bounded least-squares shares of corrections to a baseline, per group and leaving each fold out.</summary>
public sealed class ShrinkageTests
{
    /// <summary>Rows where actual = baseline + a·x1 + b·x2 exactly, x1 and x2 independent.</summary>
    private static (float[] X1, float[] X2, float[] Baseline, float[] Actual) Exact(int rows, double a, double b, int seed)
    {
        var random = new Random(seed);
        var (x1, x2, baseline, actual) = (new float[rows], new float[rows], new float[rows], new float[rows]);
        for (var i = 0; i < rows; i++)
        {
            x1[i] = (float)(random.NextDouble() - 0.5);
            x2[i] = (float)(random.NextDouble() - 0.5);
            baseline[i] = (float)(3 + random.NextDouble());
            actual[i] = (float)(baseline[i] + (a * x1[i]) + (b * x2[i]));
        }

        return (x1, x2, baseline, actual);
    }

    [Fact]
    public void Shares_inside_the_bounds_are_recovered_exactly()
    {
        var (x1, x2, baseline, actual) = Exact(5_000, 0.3, 0.8, 1);
        var w = Shrinkage.Fit([x1, x2], baseline, actual, new int[5_000], 1)[0];
        Assert.Equal(0.3, w[0], 4);
        Assert.Equal(0.8, w[1], 4);
    }

    [Fact]
    public void Shares_stay_in_zero_to_one_and_the_other_part_is_refitted()
    {
        // a part the data wants 1.6 of is kept whole, one it wants −0.5 of is dropped; the bounded optimum, not a clamp of the free one
        var (x1, x2, baseline, actual) = Exact(5_000, 1.6, -0.5, 2);
        var w = Shrinkage.Fit([x1, x2], baseline, actual, new int[5_000], 1)[0];
        Assert.Equal(1.0, w[0], 9);
        Assert.Equal(0.0, w[1], 9);

        // correlated parts: x2 = x1 + noise, actual = baseline + 1.5·x1 − 0.4·x2. The free solution is outside the box;
        // with w1 = 1 the best w2 is the least-squares fit of the rest, (Σ x2·(r − x1)) / Σ x2²
        var random = new Random(3);
        var n = 4_000;
        var (a, b, bl, y) = (new float[n], new float[n], new float[n], new float[n]);
        for (var i = 0; i < n; i++)
        {
            a[i] = (float)(random.NextDouble() - 0.5);
            b[i] = a[i] + (float)((random.NextDouble() - 0.5) * 0.3);
            y[i] = (1.5f * a[i]) - (0.4f * b[i]);
        }

        var bounded = Shrinkage.Fit([a, b], bl, y, new int[n], 1)[0];
        double across = 0, square = 0;
        for (var i = 0; i < n; i++)
        {
            across += b[i] * (y[i] - a[i]);
            square += b[i] * b[i];
        }

        Assert.Equal(1.0, bounded[0], 9);
        Assert.Equal(Math.Clamp(across / square, 0, 1), bounded[1], 6);
    }

    [Fact]
    public void Each_group_has_its_own_shares_and_a_group_without_rows_keeps_every_part()
    {
        var (x1, x2, baseline, actual) = Exact(4_000, 0.2, 0.9, 4);
        var group = Enumerable.Range(0, 4_000).Select(i => i % 2 == 0 ? 0 : 2).ToArray();
        for (var i = 1; i < 4_000; i += 2)
        {
            actual[i] = baseline[i] + (0.7f * x1[i]);
        }

        var w = Shrinkage.Fit([x1, x2], baseline, actual, group, 3);
        Assert.Equal(0.2, w[0][0], 4);
        Assert.Equal(0.9, w[0][1], 4);
        Assert.Equal([1.0, 1.0], w[1]);
        Assert.Equal(0.7, w[2][0], 4);
        Assert.Equal(0.0, w[2][1], 4);
    }

    [Fact]
    public void A_fold_is_scored_with_shares_fitted_on_the_other_folds_only()
    {
        // fold 1 follows 0.9·x1, folds 2 and 3 follow 0.1·x1: leaving fold 1 out must give 0.1, whatever fold 1 says
        var (x1, _, baseline, actual) = Exact(6_000, 0.1, 0, 5);
        var fold = Enumerable.Range(0, 6_000).Select(i => 1 + (i % 3)).ToArray();
        for (var i = 0; i < 6_000; i++)
        {
            if (fold[i] == 1)
            {
                actual[i] = baseline[i] + (0.9f * x1[i]);
            }
        }

        var left = Shrinkage.FitLeavingOut([x1], baseline, actual, new int[6_000], 1, fold, 3);
        Assert.Equal(0.1, left[0][0][0], 4);
        var withoutTwo = Shrinkage.Fit([x1], baseline, actual, new int[6_000], 1, i => fold[i] != 2)[0][0];
        Assert.Equal(withoutTwo, left[1][0][0], 9);
        Assert.True(left[1][0][0] > 0.3, $"leaving fold 2 out keeps fold 1's 0.9: {left[1][0][0]}");
    }
}
