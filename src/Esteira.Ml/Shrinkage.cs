namespace Esteira.Ml;

/// <summary>
/// How much of each correction to a baseline to keep. The prediction is <c>baseline + Σ wᵢ·partᵢ</c> with every wᵢ in
/// [0, 1]: 1 keeps a part whole, 0 drops it. The weights are the least-squares fit on out-of-fold rows under those
/// bounds, one set per group of rows.
/// </summary>
/// <remarks>
/// A model that learns the departure from a profile level can carry what it learnt into a future that does not behave
/// so: a building whose level moved, a season the training months never saw. Cross-validation over windows as long as
/// the test's horizon measures how much of each correction survives that far, and the weights keep that much. They are
/// fitted on the rows the CV is scored on, so the CV reported is in sample by a few parameters per group (millions of
/// rows per parameter at GEPIII scale, tens of thousands on the sample). The bounded problem is convex; cyclic
/// coordinate descent on the k×k normal equations solves it to any precision.
/// </remarks>
public static class Shrinkage
{
    private const int Sweeps = 200;

    /// <summary>The weights per group, <c>[group][part]</c>; a group without rows keeps every part whole.</summary>
    /// <param name="parts">Each correction's out-of-fold values (log space), all of one length.</param>
    /// <param name="baseline">The baseline of each row (log space).</param>
    /// <param name="actual">The actual value of each row (log space).</param>
    /// <param name="group">The group of each row, in [0, <paramref name="groups"/>).</param>
    /// <param name="groups">How many groups there are.</param>
    /// <param name="include">Which rows to fit on; all when null.</param>
    public static double[][] Fit(IReadOnlyList<float[]> parts, float[] baseline, float[] actual, int[] group, int groups, Func<int, bool>? include = null)
    {
        var k = parts.Count;
        var n = baseline.Length;
        if (actual.Length != n || group.Length != n || parts.Any(p => p.Length != n))
        {
            throw new ArgumentException($"the parts, baseline, actual and group must have one length ({n} baseline rows)");
        }

        var gram = new double[groups, k, k];
        var across = new double[groups, k];
        var rows = new long[groups];
        for (var i = 0; i < n; i++)
        {
            if (include is not null && !include(i))
            {
                continue;
            }

            var g = group[i];
            rows[g]++;
            double residual = actual[i] - baseline[i];
            for (var a = 0; a < k; a++)
            {
                double x = parts[a][i];
                across[g, a] += x * residual;
                for (var b = 0; b < k; b++)
                {
                    gram[g, a, b] += x * parts[b][i];
                }
            }
        }

        var weights = new double[groups][];
        for (var g = 0; g < groups; g++)
        {
            var w = Enumerable.Repeat(1.0, k).ToArray();
            if (rows[g] > 0)
            {
                for (var sweep = 0; sweep < Sweeps; sweep++)
                {
                    for (var a = 0; a < k; a++)
                    {
                        if (gram[g, a, a] <= 0)
                        {
                            continue; // a part that is zero on every row of the group: its weight cannot matter
                        }

                        var rest = across[g, a];
                        for (var b = 0; b < k; b++)
                        {
                            rest -= b == a ? 0 : gram[g, a, b] * w[b];
                        }

                        w[a] = Math.Clamp(rest / gram[g, a, a], 0, 1);
                    }
                }
            }

            weights[g] = w;
        }

        return weights;
    }

    /// <summary>
    /// The weights each fold's rows are to be scored with, fitted on the other folds' rows only, so that a CV computed
    /// with them is out of sample for the weights too: <c>[fold index][group][part]</c>, fold numbers 1..<paramref name="folds"/>
    /// at indexes 0..folds − 1. With one fold there are no other rows, and it keeps every part whole.
    /// </summary>
    /// <param name="parts">Each correction's out-of-fold values (log space), all of one length.</param>
    /// <param name="baseline">The baseline of each row (log space).</param>
    /// <param name="actual">The actual value of each row (log space).</param>
    /// <param name="group">The group of each row, in [0, <paramref name="groups"/>).</param>
    /// <param name="groups">How many groups there are.</param>
    /// <param name="fold">The fold number of each row, 1..<paramref name="folds"/>.</param>
    /// <param name="folds">How many folds there are.</param>
    public static double[][][] FitLeavingOut(IReadOnlyList<float[]> parts, float[] baseline, float[] actual, int[] group, int groups, int[] fold, int folds) =>
        Enumerable.Range(1, folds).Select(f => Fit(parts, baseline, actual, group, groups, i => fold[i] != f)).ToArray();
}
