using Esteira.Ml;
using FsCheck.Xunit;

namespace Esteira.Pipeline.Tests;

/// <summary>The blend's math: non-negative least squares weights and their application.</summary>
public sealed class BlendWeightsTests
{
    [Fact]
    public void An_exact_mixture_is_recovered()
    {
        float[] p1 = [1, 2, 3, 4, 5, 2, 7];
        float[] p2 = [2, 1, 1, 3, 0, 4, 1];
        var actual = p1.Zip(p2, (a, b) => 0.25f * a + 0.75f * b).ToArray();

        var fit = Blend.FitWeights([p1, p2], actual);

        Assert.Equal(0.25, fit.Weights[0], 5);
        Assert.Equal(0.75, fit.Weights[1], 5);
        Assert.True(fit.Rmsle < 1e-6);
    }

    [Fact]
    public void A_weight_that_least_squares_would_make_negative_is_held_at_zero()
    {
        // y = p1 − 0.5·p2 exactly, so unconstrained least squares gives (1, −0.5). With w ≥ 0, w2 = 0 and
        // w1 = p1·y / p1·p1 = (0.5 + 3 + 7.5) / 14 = 11/14.
        float[] p1 = [1, 2, 3];
        float[] p2 = [1, 1, 1];
        float[] y = [0.5f, 1.5f, 2.5f];

        var fit = Blend.FitWeights([p1, p2], y);

        Assert.Equal(11.0 / 14.0, fit.Weights[0], 6);
        Assert.Equal(0.0, fit.Weights[1]);
    }

    [Fact]
    public void Identical_parts_do_not_break_the_fit()
    {
        float[] p = [1, 2, 3, 4];

        var fit = Blend.FitWeights([p, p, p], p);

        Assert.Equal(1.0, fit.Weights.Sum(), 6);
        Assert.All(fit.Weights, w => Assert.True(w >= 0));
    }

    [Fact]
    public void Apply_reproduces_the_blend_from_weights_and_parts()
    {
        float[] p1 = [1, 2];
        float[] p2 = [3, 5];

        Assert.Equal([2.5f, 4.25f], Blend.Apply([0.25, 0.75], [p1, p2]));
    }

    [Fact]
    public void Parts_of_different_lengths_are_refused()
    {
        var error = Assert.Throws<EsteiraException>(() => Blend.FitWeights([new float[3], new float[2]], new float[3]));

        Assert.Contains("part 2 has 2", error.Message, StringComparison.Ordinal);
    }

    [Property(MaxTest = 60)]
    public bool Weights_are_non_negative_optimal_and_never_worse_than_any_single_part(int seed)
    {
        var random = new Random(seed);
        var k = random.Next(1, 6);
        var n = random.Next(k + 2, 80);
        var truth = Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 6)).ToArray();
        var parts = Enumerable.Range(0, k)
            .Select(_ =>
            {
                var bias = random.NextDouble() - 0.5;
                return truth.Select(t => (float)(t * (0.5 + random.NextDouble()) + bias)).ToArray();
            })
            .ToList();

        var fit = Blend.FitWeights(parts, truth);

        var nonNegative = fit.Weights.All(w => w >= 0);
        var noWorse = fit.PartRmsle.All(r => fit.Rmsle <= r + 1e-6);
        // KKT: the gradient of the squared error is ~0 where w > 0 and ≥ 0 (pointing out of the feasible set) where w = 0.
        var blended = Blend.Apply(fit.Weights, parts);
        var kkt = Enumerable.Range(0, k).All(i =>
        {
            var gradient = 0.0;
            for (var row = 0; row < n; row++)
            {
                gradient += parts[i][row] * ((double)blended[row] - truth[row]);
            }

            gradient /= n;
            return fit.Weights[i] > 0 ? Math.Abs(gradient) < 1e-3 : gradient > -1e-3;
        });
        return nonNegative && noWorse && kkt;
    }
}
