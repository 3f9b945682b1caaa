using System.Globalization;

namespace Esteira.Ml.Tests;

/// <summary>The generated scorer must score exactly as LightGBM's own predictor does, missing values and thresholds included.</summary>
public sealed class CompiledEnsembleTests
{
    public static TheoryData<int, double, int> Cases()
    {
        var cases = new TheoryData<int, double, int>();
        foreach (var bits in new[] { 512, 256 })
        {
            cases.Add(63, 0.1, bits);   // two leaf words
            cases.Add(255, 0.0, bits);  // eight leaf words, stored and scanned
            cases.Add(7, 0.3, bits);    // one word
            cases.Add(100, 0.05, bits); // four words
        }

        return cases;
    }

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

    /// <summary>Every split threshold of the model with its feature, parsed from the text format.</summary>
    private static List<(int Feature, double Threshold)> Splits(string modelText)
    {
        var splits = new List<(int, double)>();
        string[]? features = null;
        foreach (var line in modelText.Split('\n'))
        {
            if (line.StartsWith("split_feature=", StringComparison.Ordinal))
            {
                features = line["split_feature=".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
            else if (line.StartsWith("threshold=", StringComparison.Ordinal) && features is not null)
            {
                var thresholds = line["threshold=".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                for (var k = 0; k < thresholds.Length; k++)
                {
                    splits.Add((int.Parse(features[k], CultureInfo.InvariantCulture), double.Parse(thresholds[k], CultureInfo.InvariantCulture)));
                }
            }
        }

        return splits;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scores_are_bit_identical_to_LightGBM(int leaves, double nanShare, int vectorBits)
    {
        // Given a model with NaN-trained, NaN-free, zero-heavy and constant features
        var options = new GbmOptions { Iterations = 40, Leaves = leaves, LearningRate = 0.2, MinLeafRows = 5, FeatureFraction = 0.8 };
        var (columns, label) = Data(40_000, 11, nanShare);
        using var data = GbmDataset.FromColumns(columns, label, null, options);
        using var model = GbmModel.Train(data, options);
        var text = model.ToText();
        var compiled = CompiledEnsemble.TryCompile(text, vectorBits);
        if (compiled is null)
        {
            Assert.False(vectorBits == 256 && CompiledEnsemble.IsSupported, "256-bit code must compile where vectors are accelerated");
            return; // no such vectors on this machine
        }

        Assert.Equal(40, compiled.Trees);

        // unseen rows, with NaNs in every feature, exact zeros, ±∞, ±0, tiny values, values on both sides of every range, and every
        // split threshold exactly (as the nearest float and its neighbours), row counts off the block and vector sizes
        var (test, _) = Data(5_003, 12, 0.2);
        var random = new Random(13);
        for (var i = 0; i < 5_003; i += 7)
        {
            test[random.Next(4)][i] = random.Next(8) switch
            {
                0 => float.NaN,
                1 => 0f,
                2 => float.PositiveInfinity,
                3 => -0f,
                4 => 1e-36f, // LightGBM reads |x| <= 1e-35f as 0
                5 => -1e-40f,
                6 => 2e-35f,
                _ => float.NegativeInfinity,
            };
        }

        var splits = Splits(text);
        Assert.NotEmpty(splits);
        for (var i = 3; i < 5_003; i += 3)
        {
            var (feature, threshold) = splits[random.Next(splits.Count)];
            var near = (float)threshold;
            test[feature][i] = (i / 3 % 3) switch { 0 => near, 1 => MathF.BitIncrement(near), _ => MathF.BitDecrement(near) };
        }

        var rows = RowMajor(test);
        var expected = new double[5_003];
        model.PredictWithLightGbm(rows, 5_003, expected);

        // When the compiled code scores them, row-major and from columns, on one thread and on all
        var fromRows = new double[5_003];
        compiled.Predict(rows, 5_003, fromRows);
        var fromColumns = new double[4_000];
        compiled.Predict(test, 1_003, 4_000, fromColumns, threads: 1);

        // Then every score is LightGBM's, to the bit
        Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), fromRows.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(expected.Skip(1_003).Select(BitConverter.DoubleToInt64Bits), fromColumns.Select(BitConverter.DoubleToInt64Bits));
        Assert.True(expected.Distinct().Count() > 100, "the model is too flat for the comparison to mean anything");
    }

    [Fact]
    public void The_pipeline_predict_path_scores_as_LightGBM()
    {
        // Given a model and more rows than one prediction chunk (2^17), with NaNs
        var options = new GbmOptions { Iterations = 30, Leaves = 63, LearningRate = 0.2, MinLeafRows = 5 };
        var (columns, label) = Data(20_000, 3, 0.1);
        using var data = GbmDataset.FromColumns(columns, label, null, options);
        using var model = GbmModel.Train(data, options);
        var (test, _) = Data(140_001, 4, 0.2);

        // When GbmModel.Predict scores them (the compiled ensemble where the machine has the vectors)
        var predicted = model.Predict(test);

        // Then each is LightGBM's own score, as a float
        var expected = new double[140_001];
        model.PredictWithLightGbm(RowMajor(test), 140_001, expected);
        Assert.Equal(expected.Select(v => (float)v), predicted);
    }

    [Fact]
    public void A_model_that_learned_nothing_scores_its_constant()
    {
        var options = new GbmOptions { Iterations = 5, Leaves = 7, MinLeafRows = 5 };
        var columns = new[] { Enumerable.Range(0, 1_000).Select(i => (float)i).ToArray() };
        var label = Enumerable.Repeat(4f, 1_000).ToArray();
        using var data = GbmDataset.FromColumns(columns, label, null, options);
        using var model = GbmModel.Train(data, options);
        var compiled = CompiledEnsemble.TryCompile(model.ToText());
        if (compiled is null)
        {
            Assert.False(CompiledEnsemble.IsSupported);
            return;
        }

        var scores = new double[3];
        compiled.Predict([-1f, 500f, float.NaN], 3, scores);
        var expected = new double[3];
        model.PredictWithLightGbm([-1f, 500f, float.NaN], 3, expected);

        Assert.Equal(expected, scores);
        Assert.Equal(4, scores[0], 5);
    }

    [Fact]
    public void Models_it_cannot_compile_are_left_to_the_fallback()
    {
        var options = new GbmOptions { Iterations = 3, Leaves = 4, MinLeafRows = 5 };
        var (columns, label) = Data(2_000, 1, 0);
        using var data = GbmDataset.FromColumns(columns, label, null, options);
        using var model = GbmModel.Train(data, options);
        var text = model.ToText();
        Assert.Equal(CompiledEnsemble.IsSupported, CompiledEnsemble.TryCompile(text) is not null);

        Assert.Null(CompiledEnsemble.TryCompile(text.Replace("num_cat=0", "num_cat=1", StringComparison.Ordinal)));
        Assert.Null(CompiledEnsemble.TryCompile(text.Replace("objective=regression", "objective=poisson", StringComparison.Ordinal)));
        Assert.Null(CompiledEnsemble.TryCompile(text.Replace("is_linear=0", "is_linear=1", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_cache_compiles_a_model_once()
    {
        var options = new GbmOptions { Iterations = 3, Leaves = 4, MinLeafRows = 5 };
        var (columns, label) = Data(2_000, 2, 0);
        using var data = GbmDataset.FromColumns(columns, label, null, options);
        using var model = GbmModel.Train(data, options);

        Assert.Same(CompiledEnsemble.Cached(model.ToText()), CompiledEnsemble.Cached(model.ToText()));
    }
}
