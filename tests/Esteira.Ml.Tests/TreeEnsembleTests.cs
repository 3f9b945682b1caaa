
namespace Esteira.Ml.Tests;

/// <summary>The compiled evaluator must score exactly as LightGBM does, missing values included.</summary>
public sealed class TreeEnsembleTests
{
    /// <summary>
    /// Feature 0 has NaNs in training (LightGBM learns where they go), feature 1 never does (a NaN at scoring time is
    /// read as 0), feature 2 is signed with many exact zeros, feature 3 is constant.
    /// </summary>
    private static (float[][] Columns, float[] Label) Data(int rows, int seed, double nanShare)
    {
        var random = new Random(seed);
        var columns = Enumerable.Range(0, 4).Select(_ => new float[rows]).ToArray();
        var label = new float[rows];
        for (var i = 0; i < rows; i++)
        {
            var a = (float)random.NextDouble();
            var b = (float)((random.NextDouble() * 4) - 2);
            var c = random.Next(3) == 0 ? 0f : (float)((random.NextDouble() * 2) - 1);
            columns[0][i] = random.NextDouble() < nanShare ? float.NaN : a;
            columns[1][i] = b;
            columns[2][i] = c;
            columns[3][i] = 7;
            label[i] = (float)((float.IsNaN(columns[0][i]) ? 2.5 : 3 * a) + Math.Sin(b) + (c > 0 ? 1 : c < 0 ? -1 : 0));
        }

        return (columns, label);
    }

    private static float[] RowMajor(float[][] columns)
    {
        var rows = columns[0].Length;
        var result = new float[rows * columns.Length];
        for (var i = 0; i < rows; i++)
        {
            for (var f = 0; f < columns.Length; f++)
            {
                result[(i * columns.Length) + f] = columns[f][i];
            }
        }

        return result;
    }

    [Theory]
    [InlineData(63, 0.1)]
    [InlineData(255, 0.0)]
    [InlineData(7, 0.3)]
    public void Scores_are_bit_identical_to_LightGBM(int leaves, double nanShare)
    {
        var options = new GbmOptions { Iterations = 40, Leaves = leaves, LearningRate = 0.2, MinLeafRows = 5, FeatureFraction = 0.8 };
        var (columns, label) = Data(40_000, 11, nanShare);
        using var data = GbmDataset.FromColumns(columns, label, null, options);
        using var model = GbmModel.Train(data, options);
        var compiled = TreeEnsemble.TryCompile(model.ToText());
        Assert.NotNull(compiled);
        Assert.Equal(40, compiled.Trees);

        // unseen rows, with NaNs in every feature, exact zeros, ±∞ and values on both sides of every range
        var (test, _) = Data(5_003, 12, 0.2);
        var random = new Random(13);
        for (var i = 0; i < 5_003; i += 7)
        {
            test[random.Next(4)][i] = random.Next(4) switch { 0 => float.NaN, 1 => 0f, 2 => float.PositiveInfinity, _ => float.NegativeInfinity };
        }

        var rows = RowMajor(test);
        var expected = new double[5_003];
        var actual = new double[5_003];
        model.PredictWithLightGbm(rows, 5_003, expected);
        compiled.Predict(rows, 5_003, actual);

        Assert.Equal(expected, actual);
        Assert.True(expected.Distinct().Count() > 100, "the model is too flat for the comparison to mean anything");
    }

    [Fact]
    public void A_model_that_learned_nothing_scores_its_constant()
    {
        var options = new GbmOptions { Iterations = 5, Leaves = 7, MinLeafRows = 5 };
        var columns = new[] { Enumerable.Range(0, 1_000).Select(i => (float)i).ToArray() };
        var label = Enumerable.Repeat(4f, 1_000).ToArray();
        using var data = GbmDataset.FromColumns(columns, label, null, options);
        using var model = GbmModel.Train(data, options);
        var compiled = TreeEnsemble.TryCompile(model.ToText());
        Assert.NotNull(compiled);

        var scores = new double[3];
        compiled.Predict([-1f, 500f, float.NaN], 3, scores);
        var expected = new double[3];
        model.PredictWithLightGbm([-1f, 500f, float.NaN], 3, expected);

        Assert.Equal(expected, scores);
        Assert.Equal(4, scores[0], 5);
    }

    [Fact]
    public void Models_with_categorical_splits_are_left_to_LightGBM()
    {
        var options = new GbmOptions { Iterations = 3, Leaves = 4, MinLeafRows = 5 };
        var (columns, label) = Data(2_000, 1, 0);
        using var data = GbmDataset.FromColumns(columns, label, null, options);
        using var model = GbmModel.Train(data, options);
        var text = model.ToText();
        Assert.NotNull(TreeEnsemble.TryCompile(text));

        Assert.Null(TreeEnsemble.TryCompile(text.Replace("num_cat=0", "num_cat=1", StringComparison.Ordinal)));
        Assert.Null(TreeEnsemble.TryCompile(text.Replace("objective=regression", "objective=poisson", StringComparison.Ordinal)));
        Assert.Null(TreeEnsemble.TryCompile(text.Replace("is_linear=0", "is_linear=1", StringComparison.Ordinal)));
    }
}
