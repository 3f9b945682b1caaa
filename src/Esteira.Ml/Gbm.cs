using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using static Esteira.Ml.LightGbmNative;

namespace Esteira.Ml;

/// <summary>LightGBM settings. Names follow LightGBM's own where they differ.</summary>
public sealed record GbmOptions
{
    /// <summary>Boosting rounds (trees per model).</summary>
    public int Iterations { get; init; } = 400;
    /// <summary>Most leaves per tree (LightGBM <c>num_leaves</c>).</summary>
    public int Leaves { get; init; } = 63;
    /// <summary>Shrinkage applied to each tree's output (LightGBM <c>learning_rate</c>).</summary>
    public double LearningRate { get; init; } = 0.05;
    /// <summary>Fewest training rows a leaf may hold (LightGBM <c>min_data_in_leaf</c>).</summary>
    public int MinLeafRows { get; init; } = 50;
    /// <summary>Share of features, in (0, 1], each tree may split on (LightGBM <c>feature_fraction</c>).</summary>
    public double FeatureFraction { get; init; } = 0.8;

    /// <summary>
    /// Share of rows each iteration sees (resampled every iteration). Measured on the 10 % bench it did not save time
    /// (LightGBM's row-wise histograms gather sampled rows at random), so it stays 1 unless an experiment wants the noise.
    /// </summary>
    public double BaggingFraction { get; init; } = 1;
    /// <summary>L2 regularisation on leaf values (LightGBM <c>lambda_l2</c>).</summary>
    public double L2 { get; init; } = 1.0;

    /// <summary>
    /// Most rows one model trains on; more are thinned to a uniform random subset (0: no limit). Boosting time grows
    /// with the rows, but neighbouring hours of a meter say nearly the same thing: at full GEPIII scale (bench data)
    /// the CV RMSLE was 0.946 with every row, 0.945 with 5M and 0.947 with 2.5M per model, for 2.7× less boosting;
    /// with 2M it was 0.942 and the train step 106.6 s against 144.8 s at 2.5M (same data, same idle machine). The
    /// bundled sample (173k rows) and the tabular competitions are far below the limit.
    /// </summary>
    public int MaxTrainRows { get; init; } = 2_000_000;
    /// <summary>Most histogram bins per feature (LightGBM <c>max_bin</c>).</summary>
    public int MaxBins { get; init; } = 255;
    /// <summary>Random seed for LightGBM (<c>seed</c>) and for sampling rows when binning, so runs repeat.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>
    /// Whether the trainer may choose <see cref="Leaves"/> and <see cref="Iterations"/> on cross-validation
    /// (<see cref="GbmTuning"/>) instead of taking them as given; set when the user fixed neither.
    /// </summary>
    public bool Tune { get; init; }

    /// <summary>Threads LightGBM may use; 0 means one per core.</summary>
    public int Threads { get; init; }

    /// <summary>LightGBM's objective: <c>regression</c> (squared error) or <c>binary</c> (log loss; predictions are probabilities).</summary>
    public string Objective { get; init; } = "regression";

    /// <summary>Positions of the features LightGBM treats as categories (codes ≥ 0, NaN missing); none by default.</summary>
    public IReadOnlyList<int> CategoricalFeatures { get; init; } = [];

    /// <summary>
    /// The options as LightGBM's parameter string; datasets and boosters must be given the same one. Row-wise histograms
    /// are forced: LightGBM picks them anyway for many rows and few features, and forcing saves its timing trial per model.
    /// </summary>
    internal string Parameters => string.Create(CultureInfo.InvariantCulture,
        $"objective={Objective} num_leaves={Leaves} learning_rate={LearningRate} min_data_in_leaf={MinLeafRows} " +
        $"feature_fraction={FeatureFraction} bagging_fraction={BaggingFraction} bagging_freq={(BaggingFraction < 1 ? 1 : 0)} lambda_l2={L2} max_bin={MaxBins} seed={Seed} " +
        $"num_threads={(Threads > 0 ? Threads : Environment.ProcessorCount)} force_row_wise=true verbosity=-1") +
        (CategoricalFeatures.Count == 0 ? "" : " categorical_feature=" + string.Join(",", CategoricalFeatures));
}

/// <summary>Copies rows [start, start + destination.Length) of feature column <paramref name="feature"/> into <paramref name="destination"/>.</summary>
public delegate void FeatureReader(int feature, int start, Span<float> destination);

/// <summary>Training rows binned by LightGBM (about one byte per value), built from feature columns without copying them whole.</summary>
public sealed class GbmDataset : IDisposable
{
    private const int SampleRows = 200_000;
    private const int ChunkRows = 1 << 17;

    private readonly DatasetHandle _handle;

    private GbmDataset(DatasetHandle handle, int rows, int features)
    {
        _handle = handle;
        Rows = rows;
        Features = features;
    }

    /// <summary>Rows in the binned dataset.</summary>
    public int Rows { get; }

    /// <summary>Feature columns in the dataset.</summary>
    public int Features { get; }

    internal DatasetHandle Handle => _handle;

    /// <summary>Bins in-memory columns (all rows when <paramref name="rows"/> is null).</summary>
    public static GbmDataset FromColumns(float[][] columns, float[] label, int[]? rows, GbmOptions options) =>
        Build(columns[0].Length, columns.Length, (f, start, destination) => columns[f].AsSpan(start, destination.Length).CopyTo(destination), label, rows, options);

    /// <summary>
    /// Bins the listed source rows (ascending; all when null) of <paramref name="features"/> columns read through
    /// <paramref name="read"/>: bin bounds come from a sample of at most 200,000 rows (or from <paramref name="reference"/>,
    /// for a validation set), then rows are pushed in chunks, so no full copy of the columns ever exists.
    /// <paramref name="label"/> is indexed by source row.
    /// </summary>
    public static unsafe GbmDataset Build(int sourceRows, int features, FeatureReader read, float[] label, int[]? rows, GbmOptions options, GbmDataset? reference = null)
    {
        var count = rows?.Length ?? sourceRows;
        if (count == 0)
        {
            throw new ArgumentException("no training rows");
        }

        var parameters = options.Parameters;
        DatasetHandle handle;
        if (reference is null)
        {
            handle = CreateFromSample(sourceRows, features, read, rows, count, options.Seed, parameters);
        }
        else
        {
            // validation rows binned with the training set's bin bounds, as LightGBM requires of data it scores while boosting
            Check(DatasetCreateByReference(reference.Handle, count, out handle));
        }

        try
        {
            var sourceChunk = new float[features][];
            for (var f = 0; f < features; f++)
            {
                sourceChunk[f] = new float[ChunkRows];
            }

            var rowMajor = new float[ChunkRows * features];
            var picked = new int[ChunkRows];
            var next = 0; // position in rows
            var pushed = 0;
            for (var start = 0; start < sourceRows && pushed < count; start += ChunkRows)
            {
                var length = Math.Min(ChunkRows, sourceRows - start);
                var n = 0;
                if (rows is null)
                {
                    for (var k = 0; k < length; k++)
                    {
                        picked[n++] = k;
                    }
                }
                else
                {
                    while (next < rows.Length && rows[next] < start + length)
                    {
                        picked[n++] = rows[next++] - start;
                    }
                }

                if (n == 0)
                {
                    continue;
                }

                for (var f = 0; f < features; f++)
                {
                    read(f, start, sourceChunk[f].AsSpan(0, length));
                }

                Transpose(sourceChunk, picked.AsSpan(0, n), rowMajor);
                fixed (float* data = rowMajor)
                {
                    Check(DatasetPushRows(handle, data, Float32, n, features, pushed));
                }

                pushed += n;
            }

            var labels = rows is null ? label[..sourceRows] : Gather(label, rows);
            fixed (float* data = labels)
            {
                Check(DatasetSetField(handle, "label", data, labels.Length, Float32));
            }

            return new GbmDataset(handle, count, features);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Frees the native LightGBM dataset.</summary>
    public void Dispose() => _handle.Dispose();

    /// <summary>Copies the picked rows of column chunks into a row-major buffer, both cores at once.</summary>
    internal static void Transpose(float[][] columns, ReadOnlySpan<int> picked, float[] rowMajor)
    {
        var features = columns.Length;
        var rows = picked.ToArray();
        Parallel.For(0, (rows.Length + 4095) / 4096, block =>
        {
            var end = Math.Min(rows.Length, (block + 1) * 4096);
            for (var k = block * 4096; k < end; k++)
            {
                var row = rows[k];
                var offset = k * features;
                for (var f = 0; f < features; f++)
                {
                    rowMajor[offset + f] = columns[f][row];
                }
            }
        });
    }

    private static unsafe DatasetHandle CreateFromSample(int sourceRows, int features, FeatureReader read, int[]? rows, int count, int seed, string parameters)
    {
        // stratified: one random row from each of SampleRows equal strata, so the sample covers the whole time range
        var samples = Math.Min(count, SampleRows);
        var random = new Random(seed);
        var sampleRows = new int[samples];
        for (var k = 0; k < samples; k++)
        {
            var from = (int)((long)k * count / samples);
            var to = (int)((long)(k + 1) * count / samples);
            var position = from + random.Next(to - from);
            sampleRows[k] = rows is null ? position : rows[position];
        }

        var values = new double[features][];
        var indices = new int[features][];
        var column = new float[sourceRows];
        for (var f = 0; f < features; f++)
        {
            read(f, 0, column);
            var v = new List<double>();
            var i = new List<int>();
            for (var k = 0; k < samples; k++)
            {
                var x = column[sampleRows[k]];
                if (float.IsNaN(x) || Math.Abs(x) > 1e-35)
                {
                    v.Add(x);
                    i.Add(k);
                }
            }

            values[f] = [.. v];
            indices[f] = [.. i];
        }

        var valueHandles = values.Select(a => GCHandle.Alloc(a, GCHandleType.Pinned)).ToArray();
        var indexHandles = indices.Select(a => GCHandle.Alloc(a, GCHandleType.Pinned)).ToArray();
        try
        {
            var valuePointers = valueHandles.Select(h => (IntPtr)h.AddrOfPinnedObject()).ToArray();
            var indexPointers = indexHandles.Select(h => (IntPtr)h.AddrOfPinnedObject()).ToArray();
            var perColumn = values.Select(a => a.Length).ToArray();
            fixed (IntPtr* valuePointer = valuePointers)
            fixed (IntPtr* indexPointer = indexPointers)
            fixed (int* perColumnPointer = perColumn)
            {
                Check(DatasetCreateFromSampledColumn((double**)valuePointer, (int**)indexPointer, features, perColumnPointer, samples, count, count, parameters, out var handle));
                return handle;
            }
        }
        finally
        {
            foreach (var h in valueHandles.Concat(indexHandles))
            {
                h.Free();
            }
        }
    }

    private static float[] Gather(float[] values, int[] rows)
    {
        var result = new float[rows.Length];
        for (var k = 0; k < rows.Length; k++)
        {
            result[k] = values[rows[k]];
        }

        return result;
    }
}

/// <summary>A trained gradient-boosted regressor that predicts from feature columns.</summary>
public sealed class GbmModel : IDisposable
{
    private const int ChunkRows = 1 << 17;

    private readonly BoosterHandle _booster;
    private readonly string _parameters;
    private readonly Lazy<CompiledEnsemble?> _compiled;
    private readonly Lazy<TreeEnsemble?> _walker;

    private GbmModel(BoosterHandle booster, int features, string parameters)
    {
        _booster = booster;
        Features = features;
        _parameters = parameters;
        _compiled = new Lazy<CompiledEnsemble?>(() => CompiledEnsemble.Cached(ToText()));
        _walker = new Lazy<TreeEnsemble?>(() => TreeEnsemble.TryCompile(ToText()));
    }

    /// <summary>Feature columns the model expects per row.</summary>
    public int Features { get; }

    /// <summary>Boosts <see cref="GbmOptions.Iterations"/> rounds on <paramref name="data"/>; <paramref name="iterationDone"/> hears each round.</summary>
    public static GbmModel Train(GbmDataset data, GbmOptions options, Action<int>? iterationDone = null)
    {
        Check(BoosterCreate(data.Handle, options.Parameters, out var booster));
        var model = new GbmModel(booster, data.Features, options.Parameters);
        for (var i = 0; i < options.Iterations; i++)
        {
            Check(BoosterUpdateOneIter(booster, out var finished));
            iterationDone?.Invoke(i + 1);
            if (finished == 1)
            {
                break;
            }
        }

        return model;
    }

    /// <summary>Loads a model saved by <see cref="Save"/> (LightGBM's text format).</summary>
    public static GbmModel Load(string path, int threads = 0)
    {
        Check(BoosterCreateFromModelfile(path, out _, out var booster));
        Check(BoosterGetNumFeature(booster, out var features));
        return new GbmModel(booster, features, new GbmOptions { Threads = threads }.Parameters);
    }

    /// <summary>Gain-based importance per feature, in feature order.</summary>
    public unsafe double[] Importance()
    {
        var importance = new double[Features];
        fixed (double* output = importance)
        {
            Check(BoosterFeatureImportance(_booster, 0, ImportanceGain, output));
        }

        return importance;
    }

    /// <summary>
    /// Predicts rows [start, start + output.Length) of the columns read through <paramref name="read"/>, a chunk at a
    /// time into the same buffers; <paramref name="progress"/> hears how many rows are done.
    /// </summary>
    public unsafe void Predict(FeatureReader read, int start, Span<float> output, Action<long>? progress = null)
    {
        // The compiled ensemble's first call JIT-compiles every tree (about 4 ms a tree here): it pays from about this many
        // rows on; fewer (a small competition's folds and test set) go to the tree walker, bit-identical too.
        const int CompiledMinRows = 100_000;
        var chunk = new float[Features][];
        for (var f = 0; f < Features; f++)
        {
            chunk[f] = new float[Math.Min(ChunkRows, output.Length)];
        }

        int[]? picked = null;
        float[]? rowMajor = null; // only when the compiled ensemble cannot score the model
        var scores = new double[chunk[0].Length];
        for (var done = 0; done < output.Length; done += ChunkRows)
        {
            var length = Math.Min(ChunkRows, output.Length - done);
            for (var f = 0; f < Features; f++)
            {
                read(f, start + done, chunk[f].AsSpan(0, length));
            }

            if (output.Length >= CompiledMinRows && _compiled.Value is { } compiled)
            {
                compiled.Predict(chunk, 0, length, scores);
            }
            else
            {
                picked ??= Enumerable.Range(0, chunk[0].Length).ToArray();
                rowMajor ??= new float[chunk[0].Length * Features];
                GbmDataset.Transpose(chunk, picked.AsSpan(0, length), rowMajor);
                if (_walker.Value is { } walker)
                {
                    walker.Predict(rowMajor, length, scores);
                }
                else
                {
                    PredictWithLightGbm(rowMajor, length, scores);
                }
            }

            for (var k = 0; k < length; k++)
            {
                output[done + k] = (float)scores[k];
            }

            progress?.Invoke(done + length);
        }
    }

    /// <summary>LightGBM's own predictor: the reference the compiled ensemble matches, and the path for models it cannot compile.</summary>
    internal unsafe void PredictWithLightGbm(float[] rowMajor, int rows, double[] scores)
    {
        fixed (float* data = rowMajor)
        fixed (double* result = scores)
        {
            Check(BoosterPredictForMat(_booster, data, Float32, rows, Features, 1, PredictNormal, 0, -1, _parameters, out _, result));
        }
    }

    /// <summary>The model in LightGBM's text format.</summary>
    public unsafe string ToText()
    {
        Check(BoosterSaveModelToString(_booster, 0, -1, ImportanceGain, 0, out var length, null));
        var buffer = new byte[length];
        fixed (byte* output = buffer)
        {
            Check(BoosterSaveModelToString(_booster, 0, -1, ImportanceGain, length, out _, output));
        }

        return System.Text.Encoding.UTF8.GetString(buffer, 0, (int)length - 1); // without the terminating NUL
    }

    /// <summary>Predicts every row of in-memory columns.</summary>
    public float[] Predict(float[][] columns)
    {
        if (columns.Length != Features)
        {
            throw new ArgumentException($"model expects {Features} features, got {columns.Length}");
        }

        var output = new float[columns[0].Length];
        Predict((f, start, destination) => columns[f].AsSpan(start, destination.Length).CopyTo(destination), 0, output);
        return output;
    }

    /// <summary>Saves the model in LightGBM's text format, readable by LightGBM in any language.</summary>
    public void Save(string path) => Check(BoosterSaveModel(_booster, 0, -1, ImportanceGain, path));

    /// <summary>Frees the native LightGBM booster.</summary>
    public void Dispose() => _booster.Dispose();
}

internal sealed class DatasetHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public DatasetHandle()
        : base(true)
    {
    }

    protected override bool ReleaseHandle() => DatasetFree(handle) == 0;
}

internal sealed class BoosterHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public BoosterHandle()
        : base(true)
    {
    }

    protected override bool ReleaseHandle() => BoosterFree(handle) == 0;
}
