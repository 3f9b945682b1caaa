using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace Esteira.Ml;

/// <summary>LightGBM settings. Names follow LightGBM's own where they differ from ML.NET's.</summary>
public sealed record GbmOptions
{
    public int Iterations { get; init; } = 400;
    public int Leaves { get; init; } = 63;
    public double LearningRate { get; init; } = 0.05;
    public int MinLeafRows { get; init; } = 50;
    public double FeatureFraction { get; init; } = 0.8;
    public double L2 { get; init; } = 1.0;
    public int MaxBins { get; init; } = 255;
    public int Seed { get; init; } = 42;

    /// <summary>Threads LightGBM may use; 0 means one per core.</summary>
    public int Threads { get; init; }
}

/// <summary>A trained gradient-boosted regressor that predicts from feature columns.</summary>
public sealed class GbmModel
{
    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly int _features;

    internal GbmModel(MLContext ml, ITransformer model, int features, float[] importance)
    {
        _ml = ml;
        _model = model;
        _features = features;
        Importance = importance;
    }

    /// <summary>Gain-based importance per feature, in feature order.</summary>
    public float[] Importance { get; }

    /// <summary>Predicts rows [start, start+output.Length) of <paramref name="columns"/> into <paramref name="output"/>.</summary>
    public void Predict(float[][] columns, int start, Span<float> output)
    {
        if (columns.Length != _features)
        {
            throw new ArgumentException($"model expects {_features} features, got {columns.Length}");
        }

        var scored = _model.Transform(new ColumnarDataView(columns, null, null, start, output.Length));
        using var cursor = scored.GetRowCursor(scored.Schema);
        var getter = cursor.GetGetter<float>(scored.Schema["Score"]);
        var i = 0;
        float value = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            output[i++] = value;
        }
    }

    /// <summary>Predicts the listed rows of <paramref name="columns"/>.</summary>
    public float[] Predict(float[][] columns, int[] rows)
    {
        var scored = _model.Transform(new ColumnarDataView(columns, null, rows));
        var output = new float[rows.Length];
        using var cursor = scored.GetRowCursor(scored.Schema);
        var getter = cursor.GetGetter<float>(scored.Schema["Score"]);
        var i = 0;
        float value = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            output[i++] = value;
        }

        return output;
    }

    /// <summary>Saves the model in ML.NET's zip format.</summary>
    public void Save(string path)
    {
        var schema = new ColumnarDataView(new float[_features][].Select(_ => Array.Empty<float>()).ToArray(), null).Schema;
        _ml.Model.Save(_model, schema, path);
    }
}

/// <summary>Trains LightGBM (through ML.NET) on feature columns.</summary>
public static partial class GbmTrainer
{
    static GbmTrainer()
    {
        // LightGBM's OpenMP threads spin while they wait; when anything else wants the cores (tests, a second
        // experiment, a CI neighbour) training slows down up to 10×. Passive waiting costs little when alone.
        // libgomp reads the variable when it loads, and .NET's own environment is invisible to native code.
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null)
        {
            _ = SetEnv("OMP_WAIT_POLICY", "PASSIVE", 0);
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    /// <summary>Trains on the listed rows (all rows when null) of <paramref name="columns"/> against <paramref name="label"/>.</summary>
    public static GbmModel Train(float[][] columns, float[] label, int[]? rows, GbmOptions options)
    {
        var ml = new MLContext(options.Seed);
        var trainer = ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
        {
            LabelColumnName = ColumnarDataView.LabelColumn,
            FeatureColumnName = ColumnarDataView.FeaturesColumn,
            NumberOfIterations = options.Iterations,
            NumberOfLeaves = options.Leaves,
            LearningRate = options.LearningRate,
            MinimumExampleCountPerLeaf = options.MinLeafRows,
            MaximumBinCountPerFeature = options.MaxBins,
            NumberOfThreads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount,
            Seed = options.Seed,
            EvaluationMetric = LightGbmRegressionTrainer.Options.EvaluateMetricType.None,
            Silent = true,
            Booster = new GradientBooster.Options { FeatureFraction = options.FeatureFraction, L2Regularization = options.L2 },
        });
        var data = new ColumnarDataView(columns, label, rows);
        var model = trainer.Fit(data);
        VBuffer<float> weights = default;
        model.Model.GetFeatureWeights(ref weights);
        return new GbmModel(ml, model, columns.Length, weights.DenseValues().ToArray());
    }
}
