using Esteira.Pipeline;

namespace Esteira.Ml.Tests;

/// <summary>The LightGBM wrapper: binning listed rows from streamed columns, prediction, saving.</summary>
public sealed class GbmTests
{
    private static readonly GbmOptions Quick = new() { Iterations = 60, Leaves = 15, LearningRate = 0.2, MinLeafRows = 20, FeatureFraction = 1 };

    /// <summary>y = 3·x0 − 2·x1 + step(x2), enough rows that binning pushes several chunks.</summary>
    private static (float[][] Columns, float[] Label) Data(int rows, int seed)
    {
        var random = new Random(seed);
        var columns = new float[3][];
        for (var f = 0; f < 3; f++)
        {
            columns[f] = new float[rows];
        }

        var label = new float[rows];
        for (var i = 0; i < rows; i++)
        {
            for (var f = 0; f < 3; f++)
            {
                columns[f][i] = (float)random.NextDouble();
            }

            columns[2][i] = i % 97 == 0 ? float.NaN : columns[2][i];
            label[i] = (3 * columns[0][i]) - (2 * columns[1][i]) + (columns[2][i] > 0.5f ? 1 : 0);
        }

        return (columns, label);
    }

    private static double Rmse(float[] predicted, float[] label, Func<int, bool>? where = null)
    {
        double sum = 0;
        var n = 0;
        for (var i = 0; i < label.Length; i++)
        {
            if (where is null || where(i))
            {
                sum += (predicted[i] - label[i]) * (predicted[i] - label[i]);
                n++;
            }
        }

        return Math.Sqrt(sum / n);
    }

    [Fact]
    public void LearnsAKnownFunctionFromColumnsStreamedInChunks()
    {
        var (columns, label) = Data(300_000, 1);
        using var data = GbmDataset.FromColumns(columns, label, null, Quick);
        using var model = GbmModel.Train(data, Quick);
        var (test, truth) = Data(20_000, 2);

        var rmse = Rmse(model.Predict(test), truth);

        Assert.Equal(300_000, data.Rows);
        Assert.True(rmse < 0.15, $"RMSE {rmse:F3} on a function the label spread (≈1.2) dwarfs");
        var importance = model.Importance();
        Assert.True(importance[0] > importance[1] && importance[1] > 0, string.Join(", ", importance));
    }

    [Fact]
    public void TuningPicksTheBestMeanFoldScoreAndItsFoldPredictionsAreTheRetrainedModels()
    {
        // noisy labels, so that boosting overfits at some point and the early stop has something to find
        var (columns, clean) = Data(6_000, 5);
        var random = new Random(6);
        var label = clean.Select(y => y + (float)((random.NextDouble() * 4) - 2)).ToArray();
        var options = Quick with { LearningRate = 0.1, Threads = 1 };
        FeatureReader read = (f, start, destination) => columns[f].AsSpan(start, destination.Length).CopyTo(destination);
        var folds = new List<(GbmDataset Train, GbmDataset Valid)>();
        var validRows = new List<int[]>();
        try
        {
            for (var k = 0; k < 3; k++)
            {
                var fold = k;
                var train = GbmDataset.Build(label.Length, 3, read, label, Enumerable.Range(0, label.Length).Where(i => i % 3 != fold).ToArray(), options);
                validRows.Add(Enumerable.Range(0, label.Length).Where(i => i % 3 == fold).ToArray());
                folds.Add((train, GbmDataset.Build(label.Length, 3, read, label, validRows[k], options, train)));
            }

            var rounds = 0;
            var tuned = GbmTuning.Tune(folds, options, (k, predicted) => Rmse(predicted, [.. validRows[k].Select(i => label[i])]), higherIsBetter: false, () => rounds++);

            Assert.Equal(GbmTuning.CandidateLeaves, tuned.Trials.Select(t => t.Leaves));
            Assert.Equal(tuned.Trials.Min(t => t.Score), tuned.Score);
            Assert.Equal(tuned.Trials.Single(t => t.Score == tuned.Score).Leaves, tuned.Leaves);
            Assert.Equal(0, tuned.Iterations % GbmTuning.Every);
            Assert.True(tuned.Iterations < GbmTuning.MaxIterations - GbmTuning.Patience, $"noise should stop it early, at {tuned.Iterations}");
            var grown = tuned.Trials.Sum(t => t.Iterations + GbmTuning.Patience) * 3;
            Assert.Equal(grown, rounds); // every fold of a candidate grows Patience rounds past its best, then stops

            var mean = Enumerable.Range(0, 3).Average(k => Rmse(tuned.FoldPredictions[k], [.. validRows[k].Select(i => label[i])]));
            Assert.Equal(tuned.Score, mean, 9);

            // the snapshot is what the chosen pair, retrained from scratch, predicts
            using var retrained = GbmModel.Train(folds[1].Train, options with { Leaves = tuned.Leaves, Iterations = tuned.Iterations });
            var again = retrained.Predict([.. columns.Select(c => validRows[1].Select(i => c[i]).ToArray())]);
            Assert.Equal(again.Length, tuned.FoldPredictions[1].Length);
            Assert.All(again.Zip(tuned.FoldPredictions[1]), p => Assert.Equal(p.First, p.Second, 4));
        }
        finally
        {
            foreach (var (train, valid) in folds)
            {
                valid.Dispose();
                train.Dispose();
            }
        }
    }

    [Fact]
    public void ListedSourceRowsAreTheOnlyRowsBinned()
    {
        // rows not listed carry a label far off the function; leaving them out must leave the model clean
        var (columns, label) = Data(150_000, 4);
        var rows = Enumerable.Range(0, label.Length).Where(i => i % 3 != 0).ToArray();
        var poisoned = label.Select((y, i) => i % 3 == 0 ? 100f : y).ToArray();
        using var data = GbmDataset.FromColumns(columns, poisoned, rows, Quick);
        using var model = GbmModel.Train(data, Quick);

        Assert.Equal(rows.Length, data.Rows);
        Assert.True(Rmse(model.Predict(columns), label) < 0.15);
    }

    [Fact]
    public void ASavedModelPredictsTheSameAfterLoading()
    {
        var (columns, label) = Data(50_000, 5);
        GbmModel model;
        using (var data = GbmDataset.FromColumns(columns, label, null, Quick))
        {
            model = GbmModel.Train(data, Quick);
        }

        // the pipeline frees a model's bins before it predicts and saves
        using var trained = model;
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "model.txt");

        model.Save(path);
        using var loaded = GbmModel.Load(path);

        Assert.StartsWith("tree", File.ReadLines(path).First());
        Assert.Equal(model.Predict(columns), loaded.Predict(columns));
    }

    [Fact]
    public void StreamedTableColumnsReadTheSameRowsAsWholeColumns()
    {
        using var folder = new TempFolder();
        var (columns, _) = Data(10_000, 6);
        ColumnTable.Write(folder.Path, [("a", columns[0]), ("b", columns[1])]);
        using var table = new ColumnTable.FloatColumns(folder.Path, ["a", "b"]);
        var range = new float[1_000];

        table.Read(1, 4_321, range);

        Assert.Equal(10_000, table.Rows);
        Assert.Equal(columns[1].AsSpan(4_321, 1_000).ToArray(), range);
        Assert.Equal(ColumnTable.ReadFloatRange(folder.Path, "b", 4_321, 1_000), range);
        var error = Assert.Throws<EsteiraException>(() => table.Read(0, 9_500, new float[1_000]));
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void A_LightGBM_failure_is_an_EsteiraException_with_LightGBMs_own_message()
    {
        // Given parameters LightGBM refuses (a tree needs at least two leaves)
        var (columns, label) = Data(2_000, 6);
        var refused = Quick with { Leaves = 1 };

        // When
        var error = Assert.Throws<EsteiraException>(() =>
        {
            using var data = GbmDataset.FromColumns(columns, label, null, refused);
            using var model = GbmModel.Train(data, refused);
        });

        // Then: a pipeline failure (exit 1), one line, naming LightGBM and what to check
        Assert.Equal(ErrorCode.PipelineFailed, error.Code);
        Assert.StartsWith("LightGBM: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("num_leaves", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }
}
