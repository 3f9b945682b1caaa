namespace Esteira.Ml;

/// <summary>The fitted blend.</summary>
/// <param name="Weights">One non-negative weight per part, in the order given.</param>
/// <param name="Rmsle">Out-of-fold RMSLE of the blend (root mean squared error in log1p space).</param>
/// <param name="PartRmsle">Out-of-fold RMSLE of each part alone, for comparison.</param>
public sealed record BlendFit(IReadOnlyList<double> Weights, double Rmsle, IReadOnlyList<double> PartRmsle);

/// <summary>
/// Blending in log space: the blend of parts p₁…pₖ (each log1p of a prediction) is Σ wᵢ·pᵢ, with weights
/// wᵢ ≥ 0 fitted to minimise the out-of-fold RMSLE, which in log1p space is plain least squares. This is
/// non-negative least squares, solved exactly by Lawson–Hanson's active-set method on the k×k normal
/// equations (so memory stays O(k²) however many rows there are).
/// </summary>
/// <remarks>
/// The weights are <b>not</b> forced to sum to 1. In log space a sum above or below 1 rescales the prediction
/// (a power of 1+y), which corrects a shared bias of the parts and can only lower the out-of-fold error; with a
/// handful of parts and millions of rows it does not overfit. A blend that needs a sum far from 1 is a hint that
/// the parts are biased. There is no intercept, so that the blend of identical parts is that part.
/// Apply the same weights to the parts' test predictions with <see cref="Apply"/>: a blend is reproducible
/// from its parts and weights alone.
/// </remarks>
public static class Blend
{
    private const int MaxIterations = 500;

    /// <summary>Fits non-negative weights minimising the RMSLE of Σ wᵢ·partsᵢ against <paramref name="actualLog1p"/>.</summary>
    /// <param name="partsLog1p">Out-of-fold predictions of each part, in log1p space, all of the same length.</param>
    /// <param name="actualLog1p">The actual target in log1p space.</param>
    public static BlendFit FitWeights(IReadOnlyList<float[]> partsLog1p, float[] actualLog1p)
    {
        ArgumentNullException.ThrowIfNull(partsLog1p);
        ArgumentNullException.ThrowIfNull(actualLog1p);
        var k = partsLog1p.Count;
        var n = actualLog1p.Length;
        if (k == 0)
        {
            throw new EsteiraException(ErrorCode.BadInput, "a blend needs at least one part");
        }

        if (n == 0)
        {
            throw new EsteiraException(ErrorCode.BadInput, "a blend needs out-of-fold rows to fit on; the parts have none");
        }

        for (var i = 0; i < k; i++)
        {
            if (partsLog1p[i].Length != n)
            {
                throw new EsteiraException(ErrorCode.BadInput,
                    $"blend part {i + 1} has {partsLog1p[i].Length} out-of-fold rows but the target has {n}; every part must predict the same rows");
            }
        }

        // Normal equations G w = c with G = AᵀA / n, c = Aᵀy / n, accumulated in double.
        var g = new double[k, k];
        var c = new double[k];
        for (var row = 0; row < n; row++)
        {
            double y = actualLog1p[row];
            for (var i = 0; i < k; i++)
            {
                double a = partsLog1p[i][row];
                c[i] += a * y;
                for (var j = i; j < k; j++)
                {
                    g[i, j] += a * partsLog1p[j][row];
                }
            }
        }

        for (var i = 0; i < k; i++)
        {
            c[i] /= n;
            for (var j = i; j < k; j++)
            {
                g[i, j] /= n;
                g[j, i] = g[i, j];
            }
        }

        var weights = Nnls(g, c);
        var blended = Apply(weights, partsLog1p);
        var partRmsle = partsLog1p.Select(p => Rmsle.FromLogSpace(p, actualLog1p)).ToList();
        return new BlendFit(weights, Rmsle.FromLogSpace(blended, actualLog1p), partRmsle);
    }

    /// <summary>Σ wᵢ·partsᵢ row by row, in log1p space (use <c>expm1</c> to get predictions back).</summary>
    public static float[] Apply(IReadOnlyList<double> weights, IReadOnlyList<float[]> partsLog1p)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(partsLog1p);
        if (weights.Count != partsLog1p.Count || weights.Count == 0)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{weights.Count} blend weights for {partsLog1p.Count} parts; give one weight per part");
        }

        var n = partsLog1p[0].Length;
        if (partsLog1p.Any(p => p.Length != n))
        {
            throw new EsteiraException(ErrorCode.BadInput, "blend parts have different numbers of rows; every part must predict the same rows");
        }

        var result = new float[n];
        for (var row = 0; row < n; row++)
        {
            double sum = 0;
            for (var i = 0; i < weights.Count; i++)
            {
                sum += weights[i] * partsLog1p[i][row];
            }

            result[row] = (float)sum;
        }

        return result;
    }

    /// <summary>
    /// Lawson–Hanson NNLS in Gram form: minimise ½wᵀGw − cᵀw subject to w ≥ 0 (G symmetric positive semi-definite).
    /// </summary>
    internal static double[] Nnls(double[,] g, double[] c)
    {
        var k = c.Length;
        var scale = Math.Max(1e-300, Enumerable.Range(0, k).Max(i => Math.Abs(g[i, i])));
        var tolerance = 1e-12 * scale * Math.Max(1, Math.Sqrt(k));
        var w = new double[k];
        var passive = new bool[k];
        for (var iteration = 0; iteration < MaxIterations; iteration++)
        {
            var gradient = Gradient(g, c, w);
            var best = -1;
            for (var i = 0; i < k; i++)
            {
                if (!passive[i] && gradient[i] > tolerance && (best < 0 || gradient[i] > gradient[best]))
                {
                    best = i;
                }
            }

            if (best < 0)
            {
                return w; // KKT: every active (zero) weight has a non-positive gradient
            }

            passive[best] = true;
            while (true)
            {
                var s = SolvePassive(g, c, passive);
                var blocking = double.PositiveInfinity;
                var blocker = -1;
                for (var i = 0; i < k; i++)
                {
                    if (passive[i] && s[i] <= 0 && w[i] / (w[i] - s[i]) is var alpha && (blocker < 0 || alpha < blocking))
                    {
                        blocking = alpha;
                        blocker = i;
                    }
                }

                if (double.IsPositiveInfinity(blocking))
                {
                    w = s;
                    break;
                }

                // Step towards s until the first weight reaches zero, drop it from the passive set, re-solve.
                for (var i = 0; i < k; i++)
                {
                    w[i] += blocking * (s[i] - w[i]);
                    if (passive[i] && (i == blocker || w[i] <= tolerance))
                    {
                        passive[i] = false;
                        w[i] = 0;
                    }
                }

                if (!passive.Contains(true))
                {
                    break;
                }
            }
        }

        return w;
    }

    private static double[] Gradient(double[,] g, double[] c, double[] w)
    {
        var k = c.Length;
        var gradient = new double[k];
        for (var i = 0; i < k; i++)
        {
            var sum = c[i];
            for (var j = 0; j < k; j++)
            {
                sum -= g[i, j] * w[j];
            }

            gradient[i] = sum;
        }

        return gradient;
    }

    /// <summary>Solves G_PP s_P = c_P (zeros elsewhere) by Gaussian elimination with partial pivoting; a tiny
    /// ridge keeps collinear parts (two identical models) solvable.</summary>
    private static double[] SolvePassive(double[,] g, double[] c, bool[] passive)
    {
        var index = Enumerable.Range(0, c.Length).Where(i => passive[i]).ToArray();
        var m = index.Length;
        var a = new double[m, m + 1];
        for (var r = 0; r < m; r++)
        {
            for (var col = 0; col < m; col++)
            {
                a[r, col] = g[index[r], index[col]];
            }

            a[r, r] += 1e-12 * Math.Max(1e-300, g[index[r], index[r]]);
            a[r, m] = c[index[r]];
        }

        for (var col = 0; col < m; col++)
        {
            var pivot = col;
            for (var r = col + 1; r < m; r++)
            {
                if (Math.Abs(a[r, col]) > Math.Abs(a[pivot, col]))
                {
                    pivot = r;
                }
            }

            if (pivot != col)
            {
                for (var j = 0; j <= m; j++)
                {
                    (a[col, j], a[pivot, j]) = (a[pivot, j], a[col, j]);
                }
            }

            var p = a[col, col];
            if (p == 0)
            {
                continue;
            }

            for (var r = col + 1; r < m; r++)
            {
                var f = a[r, col] / p;
                for (var j = col; j <= m; j++)
                {
                    a[r, j] -= f * a[col, j];
                }
            }
        }

        var x = new double[m];
        for (var r = m - 1; r >= 0; r--)
        {
            var sum = a[r, m];
            for (var j = r + 1; j < m; j++)
            {
                sum -= a[r, j] * x[j];
            }

            x[r] = a[r, r] == 0 ? 0 : sum / a[r, r];
        }

        var s = new double[c.Length];
        for (var r = 0; r < m; r++)
        {
            s[index[r]] = x[r];
        }

        return s;
    }
}
