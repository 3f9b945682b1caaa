using System.Diagnostics;
using System.Text.Json;
using Esteira.Data;
using Esteira.Ml;

namespace Esteira.Pipeline;

/// <summary>The summary the features stage leaves beside its tables.</summary>
/// <remarks>
/// <see cref="Series"/>, <see cref="FlaggedRows"/>, <see cref="HorizonDays"/> and <see cref="Alignment"/> are the GEPIII
/// profile's (zero or empty for others). A fold of K-fold CV has <c>Origin = End = 0</c>; its rows are the
/// <c>valid/</c> rows with its index, and it trains on every other training row (<c>train/</c>'s <c>fold</c> column).
/// </remarks>
public sealed record FeaturesSummary(
    long TrainRows, long TestRows, int Series, int FlaggedRows, int HorizonDays,
    IReadOnlyList<TimeFold> Folds, IReadOnlyList<SiteAlignment> Alignment, string[] FeatureNames)
{
    /// <summary>The competition profile that wrote the features folder.</summary>
    public string Profile { get; init; } = "gepiii";

    /// <summary>The metric every model of these features is scored with.</summary>
    public string Metric { get; init; } = "rmsle";

    /// <summary><c>regression</c> or <c>binary</c>.</summary>
    public string Task { get; init; } = "regression";

    /// <summary>
    /// <c>time</c> (forward-chaining blocks), <c>kfold</c>, or <c>blocks</c>: K-fold whose folds are runs of
    /// <see cref="BlockDays"/> days dealt in turn (a test that sits between training days). Both K-fold kinds train each
    /// fold on every other fold's rows.
    /// </summary>
    public string FoldKind { get; init; } = "time";

    /// <summary>Days per block when <see cref="FoldKind"/> is <c>blocks</c>; 0 otherwise.</summary>
    public int BlockDays { get; init; }
}

/// <summary>The metrics a model stage leaves beside its predictions.</summary>
public sealed record ModelMetrics(string Metric, double Cv, IReadOnlyList<FoldScore> Folds, IReadOnlyList<FeatureGain> Importance)
{
    /// <summary>
    /// For a model that corrects a profile baseline: how much of each correction the CV windows kept, per meter type
    /// (see <see cref="Shrinkage"/>); null for other models.
    /// </summary>
    public IReadOnlyList<KeptShare>? Kept { get; init; }

    /// <summary>The series where a naive baseline beats the model on the CV rows (GEPIII); null for other profiles.</summary>
    public BaselineComparison? Baselines { get; init; }

    /// <summary>The metric the scores are in (<see cref="EvalMetric.Name"/>).</summary>
    public EvalMetric Eval => EvalMetric.Find(Metric) ?? EvalMetric.Rmsle;
}

/// <summary>The shares of two corrections to the profile baseline kept for one meter type, each in [0, 1].</summary>
/// <param name="Meter">The meter type.</param>
/// <param name="Model">Share of the model's learnt departure from the profile.</param>
/// <param name="Weather">Share of the weather adjustment (<see cref="WeatherResponse"/>).</param>
public sealed record KeptShare(int Meter, double Model, double Weather);

/// <summary>Gain-based importance of one feature.</summary>
public sealed record FeatureGain(string Feature, float Gain);

/// <summary>
/// The GEPIII competition profile's stages. Each reads its inputs from folders and writes its outputs into one
/// folder, so that the pipeline can cache, reuse and share them without knowing what they mean.
/// </summary>
/// <remarks>
/// Layout of a features folder: <c>train/</c> (features, <c>label</c> = log1p reading, <c>baseline</c>, <c>time</c> (hours since 1970),
/// <c>keep</c>), <c>valid/</c> (the validation rows of every fold, with features as of the fold's origin, <c>fold</c>,
/// <c>train_row</c>, <c>label</c>, <c>baseline</c>), <c>test/</c> (features as of the end of training, <c>row_id</c>,
/// <c>baseline</c>), <c>sample_row_id.npy</c>, <c>quality.json</c> and <c>summary.json</c>.
/// </remarks>
public static class GepiiiStages
{
    /// <summary>The features folder's summary (<see cref="FeaturesSummary"/>).</summary>
    public const string SummaryFile = "summary.json";
    /// <summary>The features folder's data-quality report.</summary>
    public const string QualityFile = "quality.json";
    /// <summary>The model folder's metrics (<see cref="ModelMetrics"/>).</summary>
    public const string MetricsFile = "metrics.json";
    /// <summary>The checked submission, gzip-compressed.</summary>
    public const string SubmissionFile = "submission.csv.gz";

    private static JsonSerializerOptions Json => EsteiraJson.Indented;

    /// <summary>ingest → validate → features: reads and checks the dataset and writes the feature tables.</summary>
    public static FeaturesSummary Features(string dataPath, int folds, bool keepFlagged, int seed, string output, IRunObserver observer)
    {
        var stage = new StageClock(observer);
        GepiiiDataset data;
        using (var source = DatasetSource.Open(dataPath))
        {
            stage.Start("ingest", null, "rows");
            data = GepiiiReader.Read(source, new ProgressAdapter(observer));
            stage.Finish($"{data.Train.Count:N0} train, {data.Test.Count:N0} test, {data.Weather.Count:N0} weather rows");
        }

        // parsing leaves as much garbage as it keeps (column blocks, then their copies); give it back before the
        // history and the feature tables are built, or the process peaks at both
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

        stage.Start("validate", data.Train.Count, "rows");
        var series = SeriesIndex.Build(data.Train.BuildingId, data.Train.Meter, data.Train.Hour, (a, b) =>
            throw EsteiraException.BadInput(GepiiiReader.TrainFile, data.Train.Line[b], null,
                $"building {data.Train.BuildingId[b]}, meter {data.Train.Meter[b]} at {Timestamps.Format(data.Train.Hour[b])} repeats line {data.Train.Line[a]}",
                "keep one reading per building, meter and hour"));
        CheckTestRows(data);
        var quality = QualityScreen.Screen(data.Train, series);
        var findings = DatasetFindings.Find(data);

        // the submission check reads the sample's row ids from the features folder, and only validation needs the line
        // numbers: holding them through the features step would cost 250 MB at GEPIII scale
        ColumnTable.Write(output, [("sample_row_id", data.SampleRowIds)]);
        var train = new MeterReadings { BuildingId = data.Train.BuildingId, Meter = data.Train.Meter, Hour = data.Train.Hour, Reading = data.Train.Reading, Line = [] };
        var (test, buildings, weatherRows) = (data.Test, data.Buildings, data.Weather);
        data = null!;
        GC.Collect();
        stage.Finish($"{series.Count:N0} series, {quality.FlaggedRows:N0} flagged rows");

        stage.Start("features", train.Count + test.Count, "rows");
        var (weather, alignment) = WeatherAlignment.Align(weatherRows);
        foreach (var site in alignment.Where(a => a.Disagrees))
        {
            observer.Warn($"site {site.SiteId}: weather peak suggests UTC{site.EstimatedOffset:+0;-0} but the known offset is UTC{site.KnownOffset:+0;-0}; using the known offset");
        }

        var keep = new bool[train.Count];
        for (var i = 0; i < keep.Length; i++)
        {
            keep[i] = keepFlagged || !quality.Flagged[i];
        }

        int SiteOf(int row) => buildings.SiteId[buildings.RowOf[train.BuildingId[row]]];
        var history = LevelHistory.Build(series, train.Hour, train.Reading,
            r => weather.TryGetValue(SiteOf(r), out var w) ? w.At(0, train.Hour[r]) : float.NaN,
            r => FeatureBuilder.IsDayOff(SiteOf(r), train.Hour[r]),
            keep);

        // the sample's row ids, the line numbers and the history's garbage are dead: return them before the tables grow
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var features = new FeatureBuilder(buildings, weather, history);
        var response = WeatherResponse.Build(series, train.Hour, train.Reading, r => features.Temperature24(train.BuildingId[r], train.Hour[r]), keep);
        var adjustment = new float[FeatureWriter.ChunkRows];
        var trainEnd = train.Hour.Max() + 1;
        var horizon = Math.Clamp(test.Count == 0 ? 24 : test.Hour.Max() - trainEnd + 1, 24, 366 * 24);
        // each fold validates a window as long as the test's horizon from its origin (cut at the end of training): a level
        // that moves shows over four months, not over the two after the origin that a block would hold
        var plan = TimeBlockFolds.Plan(train.Hour.Min(), trainEnd - 1, folds).Select(f => f with { End = Math.Min(f.Origin + horizon, trainEnd) }).ToList();

        // test first, features as of the end of training: its raw columns, the largest, can then go before the others come
        var buffers = new FeatureWriter.Buffers();
        using (var writer = new FeatureWriter(Path.Combine(output, "test"), test.Count, [("row_id", "int32"), ("weather_adjustment", "float32"), ("time", "int32")], buffers))
        {
            writer.Write(features, (start, keys) =>
            {
                test.BuildingId.AsSpan(start, keys.Rows).CopyTo(keys.BuildingId);
                test.Meter.AsSpan(start, keys.Rows).CopyTo(keys.Meter);
                test.Hour.AsSpan(start, keys.Rows).CopyTo(keys.Hour);
                keys.Cutoff.AsSpan(0, keys.Rows).Fill(trainEnd);
            }, (table, start, matrix) =>
            {
                var rows = matrix.Rows;
                table.Append<int>("row_id", test.RowId.AsSpan(start, rows));
                table.Append<float>("weather_adjustment", WeatherAdjustments(response, series, matrix, _ => trainEnd, adjustment));
                table.Append<int>("time", test.Hour.AsSpan(start, rows));
                observer.Progress(start + rows);
            });
        }

        var testCount = test.Count;
        test = null!;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

        // train: each row's history bound is a random whole number of days back, as far as the test horizon
        var label = new float[FeatureWriter.ChunkRows];
        var keepBytes = keep.Select(k => (byte)(k ? 1 : 0)).ToArray();
        using (var writer = new FeatureWriter(Path.Combine(output, "train"), train.Count, [("label", "float32"), ("time", "int32"), ("keep", "uint8")], buffers))
        {
            writer.Write(features, (start, keys) =>
            {
                train.BuildingId.AsSpan(start, keys.Rows).CopyTo(keys.BuildingId);
                train.Meter.AsSpan(start, keys.Rows).CopyTo(keys.Meter);
                train.Hour.AsSpan(start, keys.Rows).CopyTo(keys.Hour);
                GepiiiRun.TrainingCutoffs(train.Hour.AsSpan(start, keys.Rows), start, horizon, seed, keys.Cutoff);
            }, (table, start, matrix) =>
            {
                var rows = matrix.Rows;
                for (var k = 0; k < rows; k++)
                {
                    label[k] = MathF.Log(1 + train.Reading[start + k]);
                }

                table.Append<float>("label", label.AsSpan(0, rows));
                table.Append<int>("time", train.Hour.AsSpan(start, rows));
                table.Append<byte>("keep", keepBytes.AsSpan(start, rows));
                observer.Progress(testCount + start + rows);
            });
        }

        keepBytes = null!;

        // valid: the unflagged rows of each fold's block, with features as of the fold's origin
        var (validRows, validFold, validCutoff) = ValidationRows(train.Hour, keep, plan, series.SeriesOfRow, history, seed);

        using (var writer = new FeatureWriter(Path.Combine(output, "valid"), validRows.Length, [("fold", "int32"), ("train_row", "int32"), ("label", "float32"), ("weather_adjustment", "float32")], buffers))
        {
            var validLabel = new float[FeatureWriter.ChunkRows];
            writer.Write(features, (start, keys) =>
            {
                for (var k = 0; k < keys.Rows; k++)
                {
                    var row = validRows[start + k];
                    keys.BuildingId[k] = train.BuildingId[row];
                    keys.Meter[k] = train.Meter[row];
                    keys.Hour[k] = train.Hour[row];
                    keys.Cutoff[k] = validCutoff[start + k];
                }
            }, (table, start, matrix) =>
            {
                var rows = matrix.Rows;
                for (var k = 0; k < rows; k++)
                {
                    validLabel[k] = MathF.Log(1 + train.Reading[validRows[start + k]]);
                }

                table.Append<int>("fold", validFold.AsSpan(start, rows));
                table.Append<int>("train_row", validRows.AsSpan(start, rows));
                table.Append<float>("label", validLabel.AsSpan(0, rows));
                table.Append<float>("weather_adjustment", WeatherAdjustments(response, series, matrix, k => validCutoff[start + k], adjustment));
            });
        }

        validRows = validFold = validCutoff = null!;

        File.Delete(Path.Combine(output, ColumnTable.ManifestFile));

        var summary = new FeaturesSummary(train.Count, testCount, series.Count, quality.FlaggedRows, horizon / 24, plan, alignment, FeatureBuilder.Names);
        File.WriteAllText(Path.Combine(output, SummaryFile), JsonSerializer.Serialize(summary, Json));
        File.WriteAllText(Path.Combine(output, QualityFile), JsonSerializer.Serialize(new { flagged_rows = quality.FlaggedRows, findings, alignment, series = quality.Series }, Json));
        stage.Finish($"{FeatureBuilder.Names.Length} features, {plan.Count} folds, forecast horizon {horizon / 24} days");
        return summary;
    }

    /// <summary>
    /// The weather adjustment of each row of a chunk (electricity only, like the levels): its series' response fitted on
    /// the days before the row's cutoff, at the row's 24-hour mean temperature.
    /// </summary>
    private static ReadOnlySpan<float> WeatherAdjustments(WeatherResponse response, SeriesIndex series, FeatureMatrix matrix, Func<int, int> cutoffOf, float[] into)
    {
        var building = matrix.Columns[(int)FeatureColumn.BuildingId];
        var meter = matrix.Columns[(int)FeatureColumn.Meter];
        var temperature = matrix.Columns[(int)FeatureColumn.AirTemperatureMean24];
        (int Building, int Cutoff) last = (int.MinValue, int.MinValue);
        WeatherResponse.Curve? curve = null;
        for (var k = 0; k < matrix.Rows; k++)
        {
            if (meter[k] != 0)
            {
                into[k] = 0;
                continue;
            }

            var key = ((int)building[k], cutoffOf(k));
            if (key != last)
            {
                curve = response.At(series.Find(key.Item1, 0), key.Item2);
                last = key;
            }

            into[k] = curve?.Adjustment(temperature[k]) ?? 0;
        }

        return into.AsSpan(0, matrix.Rows);
    }

    /// <summary>Validation rows a fold keeps at most (a seeded uniform sample beyond that).</summary>
    /// <remarks>
    /// At GEPIII scale a window one horizon long holds up to 15M rows per fold; a million scores a fold to the fourth
    /// decimal, and every model predicts them, every report and blend reads them.
    /// </remarks>
    public const int MaxValidRowsPerFold = 1_000_000;

    /// <summary>
    /// The unflagged rows of each fold's window whose series has a kept reading before the fold's origin (at most
    /// <see cref="MaxValidRowsPerFold"/>), fold after fold, with the fold and its origin.
    /// </summary>
    /// <remarks>
    /// A test row's series has its whole training history behind it (but for series never seen in training, which no
    /// fold can stand for). A series whose kept readings start inside a window (a new meter, a regime after a stale one)
    /// would be scored on the meter-wide fallback level, and a handful of them outweighed every other row of the CV.
    /// </remarks>
    private static (int[] Rows, int[] Fold, int[] Cutoff) ValidationRows(int[] hour, bool[] keep, IReadOnlyList<TimeFold> plan, int[] seriesOfRow, LevelHistory history, int seed)
    {
        // counted, then picked by selection sampling in a second pass: no list of a window's 15M rows is ever held
        var perFold = plan.Select(fold =>
        {
            bool InWindow(int i) => keep[i] && hour[i] >= fold.Origin && hour[i] < fold.End && history.FirstHour(seriesOfRow[i]) < fold.Origin;
            var inWindow = 0;
            for (var i = 0; i < hour.Length; i++)
            {
                inWindow += InWindow(i) ? 1 : 0;
            }

            var rows = new int[Math.Min(inWindow, MaxValidRowsPerFold)];
            var random = new Random(seed + fold.Index);
            var (needed, left) = (rows.Length, inWindow);
            for (var i = 0; i < hour.Length && needed > 0; i++)
            {
                if (InWindow(i))
                {
                    // keep it with probability needed / left: every subset of the window's rows equally likely
                    if (rows.Length == inWindow || random.NextInt64(left) < needed)
                    {
                        rows[rows.Length - needed] = i;
                        needed--;
                    }

                    left--;
                }
            }

            return rows;
        }).ToList();

        var count = perFold.Sum(r => r.Length);
        var (all, folds, cutoffs) = (new int[count], new int[count], new int[count]);
        var k = 0;
        foreach (var (fold, rows) in plan.Zip(perFold))
        {
            foreach (var i in rows)
            {
                (all[k], folds[k], cutoffs[k]) = (i, fold.Index, fold.Origin);
                k++;
            }
        }

        return (all, folds, cutoffs);
    }

    /// <summary>
    /// train → predict: LightGBM with forward-chaining CV on the shared folds, then a final model on all rows.
    /// Feature columns are streamed from the tables, never held whole: each model bins its rows straight from them
    /// (about one byte per value), one model at a time, so memory follows the largest model, not the folds' sum.
    /// </summary>
    public static ModelMetrics TrainLightGbm(string features, GbmOptions options, string output, IRunObserver observer)
    {
        var summary = ReadSummary(features);
        var stage = new StageClock(observer);
        var trainFolder = Path.Combine(features, "train");
        var hour = ColumnTable.ReadInt(trainFolder, "time");
        var kept = KeptRows(ColumnTable.ReadByte(trainFolder, "keep"));

        // the model learns the departure from the baseline, in log space
        var target = ColumnTable.ReadFloat(trainFolder, "label");
        var baseline = ColumnTable.ReadFloat(trainFolder, "baseline");
        for (var i = 0; i < target.Length; i++)
        {
            target[i] -= baseline[i];
        }

        baseline = null!;
        GC.Collect();

        var models = summary.Folds.Count + 1;
        stage.Start("train", (long)models * options.Iterations, "iterations");
        var validFolder = Path.Combine(features, "valid");
        var validFold = ColumnTable.ReadInt(validFolder, "fold");
        var validBaseline = ColumnTable.ReadFloat(validFolder, "baseline");
        var oof = new float[validFold.Length];
        using var train = new ColumnTable.FloatColumns(trainFolder, summary.FeatureNames);
        using (var valid = new ColumnTable.FloatColumns(validFolder, summary.FeatureNames))
        {
            foreach (var (fold, index) in summary.Folds.Select((f, i) => (f, i)))
            {
                var before = Array.FindAll(kept, row => hour[row] < fold.Origin);
                var done = (long)index * options.Iterations;
                using var model = Train(train, target, before, options, i => stage.Progress(done + i));
                var (first, count) = ContiguousRange(validFold, fold.Index);
                var predicted = oof.AsSpan(first, count);
                model.Predict(valid.Read, first, predicted);
            }
        }

        // how much of the model's departure and of the weather's adjustment of the profile carries over the horizon: one
        // pair of weights per meter type, fitted on the CV windows. Each fold is scored with weights fitted on the others,
        // so the CV stays out of sample: fitted on every fold, the weights could only make a model look at least as good as
        // the profile, and the gate would lose the power to refuse one.
        var validMeter = ColumnTable.ReadFloat(validFolder, "meter").Select(m => (int)m).ToArray();
        var validWeather = ColumnTable.ReadFloat(validFolder, "weather_adjustment");
        var validLabel = ColumnTable.ReadFloat(validFolder, "label");
        var weights = Shrinkage.Fit([oof, validWeather], validBaseline, validLabel, validMeter, 256);
        var foldWeights = Shrinkage.FitLeavingOut([oof, validWeather], validBaseline, validLabel, validMeter, 256, validFold, summary.Folds.Count);
        validLabel = null!;
        for (var k = 0; k < oof.Length; k++)
        {
            var w = foldWeights[validFold[k] - 1][validMeter[k]];
            oof[k] = MathF.Max(0, MathF.Exp((float)((w[0] * oof[k]) + (w[1] * validWeather[k]) + validBaseline[k])) - 1);
        }

        validWeather = null!;
        var shares = validMeter.Distinct().Order().Select(m => new KeptShare(m, Math.Round(weights[m][0], 4), Math.Round(weights[m][1], 4))).ToList();

        validFold = null!;
        validBaseline = null!;
        using var final = Train(train, target, kept, options, i => stage.Progress(((long)(models - 1) * options.Iterations) + i));
        final.Save(Path.Combine(output, "model.txt"));
        stage.Finish($"{models} models × {options.Iterations} iterations, {TrainedRows(kept.Length, options):N0} rows × {summary.FeatureNames.Length} features");
        target = null!;
        hour = null!;
        kept = null!;

        stage.Start("predict", summary.TestRows, "rows");
        var testFolder = Path.Combine(features, "test");
        using var test = new ColumnTable.FloatColumns(testFolder, summary.FeatureNames);
        var predictions = new float[test.Rows];
        final.Predict(test.Read, 0, predictions, stage.Progress);
        const int Chunk = 1 << 20;
        var chunkBaseline = new float[Chunk];
        var chunkMeter = new float[Chunk];
        var chunkWeather = new float[Chunk];
        using (var baselineColumn = new ColumnTable.FloatColumns(testFolder, ["baseline", "meter", "weather_adjustment"]))
        {
            for (var start = 0; start < test.Rows; start += Chunk)
            {
                var chunk = predictions.AsSpan(start, Math.Min(Chunk, test.Rows - start));
                baselineColumn.Read(0, start, chunkBaseline.AsSpan(0, chunk.Length));
                baselineColumn.Read(1, start, chunkMeter.AsSpan(0, chunk.Length));
                baselineColumn.Read(2, start, chunkWeather.AsSpan(0, chunk.Length));
                for (var k = 0; k < chunk.Length; k++)
                {
                    var w = weights[(int)chunkMeter[k]];
                    chunk[k] = MathF.Max(0, MathF.Exp((float)((w[0] * chunk[k]) + (w[1] * chunkWeather[k]) + chunkBaseline[k])) - 1);
                }
            }
        }

        stage.Finish($"{test.Rows:N0} rows");
        var importance = summary.FeatureNames.Zip(final.Importance()).OrderByDescending(p => p.Second).Select(p => new FeatureGain(p.First, (float)p.Second)).ToList();
        return WritePredictions(features, oof, predictions, importance, output, shares);
    }

    /// <summary>
    /// Bins the listed rows of the training table (thinned to <see cref="GbmOptions.MaxTrainRows"/>) and boosts on them;
    /// the bins are freed before the model is returned.
    /// </summary>
    private static GbmModel Train(ColumnTable.FloatColumns train, float[] target, int[] rows, GbmOptions options, Action<int> iterationDone)
    {
        rows = RowSample.Uniform(rows, options.MaxTrainRows, options.Seed);
        using var data = GbmDataset.Build(train.Rows, train.Columns, train.Read, target, rows, options);

        // binning leaves large managed buffers behind; LightGBM's own memory is invisible to the GC, which would
        // otherwise let them pile up model after model
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return GbmModel.Train(data, options, iterationDone);
    }

    private static int TrainedRows(int rows, GbmOptions options) => options.MaxTrainRows == 0 ? rows : Math.Min(rows, options.MaxTrainRows);

    private static int[] KeptRows(byte[] keep)
    {
        var rows = new List<int>(keep.Length);
        for (var i = 0; i < keep.Length; i++)
        {
            if (keep[i] == 1)
            {
                rows.Add(i);
            }
        }

        return [.. rows];
    }

    /// <summary>The validation table holds each fold's rows together; finds them.</summary>
    private static (int First, int Count) ContiguousRange(int[] fold, int index)
    {
        var first = Array.IndexOf(fold, index);
        if (first < 0)
        {
            return (0, 0);
        }

        var last = Array.LastIndexOf(fold, index);
        for (var k = first; k <= last; k++)
        {
            if (fold[k] != index)
            {
                throw new EsteiraException(ErrorCode.PipelineFailed, $"validation rows of fold {index} are not contiguous; rebuild the features (esteira run --force features)");
            }
        }

        return (first, last - first + 1);
    }

    /// <summary>
    /// Checks a model's predictions, scores the out-of-fold ones (Esteira computes every metric itself) and writes
    /// them with the metrics. Used by both built-in and command experiments.
    /// </summary>
    public static ModelMetrics WritePredictions(string features, float[] oof, float[] test, IReadOnlyList<FeatureGain> importance, string output, IReadOnlyList<KeptShare>? kept = null)
    {
        var summary = ReadSummary(features);
        var validFolder = Path.Combine(features, "valid");
        var label = ColumnTable.ReadFloat(validFolder, "label");
        var fold = ColumnTable.ReadInt(validFolder, "fold");
        var oofLog = oof.Select(v => MathF.Log(1 + v)).ToArray();
        var scores = summary.Folds.Select(f =>
        {
            var rows = Enumerable.Range(0, fold.Length).Where(k => fold[k] == f.Index).ToArray();
            var score = rows.Length == 0 ? double.NaN : Rmsle.FromLogSpace(Gather(oofLog, rows), Gather(label, rows));
            return new FoldScore(f.Index, Timestamps.Format(f.Origin)[..10], Timestamps.Format(f.End - 1)[..10], 0, rows.Length, Math.Round(score, 5));
        }).ToList();
        var metrics = new ModelMetrics(EvalMetric.Rmsle.Name, Math.Round(Rmsle.FromLogSpace(oofLog, label), 5), scores, importance)
        {
            Kept = kept,
            Baselines = BaselineComparison.Of(validFolder, oofLog, label),
        };
        ColumnTable.Write(Path.Combine(output, "oof"), [("prediction", oof)]);
        ColumnTable.Write(Path.Combine(output, "test"), [("prediction", test)]);
        File.WriteAllText(Path.Combine(output, MetricsFile), JsonSerializer.Serialize(metrics, Json));
        return metrics;
    }

    /// <summary>check: writes the submission from the test predictions and checks it against the sample submission.</summary>
    public static long Submission(string features, string model, string output, IRunObserver observer)
    {
        var stage = new StageClock(observer);
        var rowIds = ColumnTable.ReadInt(Path.Combine(features, "test"), "row_id");
        stage.Start("check", rowIds.Length, "rows");
        var predictions = ColumnTable.ReadFloat(Path.Combine(model, "test"), "prediction");
        var path = Path.Combine(output, SubmissionFile);
        Pipeline.SubmissionFile.WriteAtomic(path, rowIds, predictions);
        var rows = Pipeline.SubmissionFile.Check(path, ColumnTable.ReadIntFile(Path.Combine(features, "sample_row_id.npy"), "sample_row_id.npy"));
        stage.Finish($"{rows:N0} rows match sample_submission.csv");
        return rows;
    }

    /// <summary>Reads summary.json of a features folder.</summary>
    public static FeaturesSummary ReadSummary(string features) =>
        JsonSerializer.Deserialize<FeaturesSummary>(File.ReadAllText(Path.Combine(features, SummaryFile)), Json)!;

    /// <summary>Reads metrics.json of a model folder.</summary>
    public static ModelMetrics ReadMetrics(string model) =>
        JsonSerializer.Deserialize<ModelMetrics>(File.ReadAllText(Path.Combine(model, MetricsFile)), Json)!;

    private static void CheckTestRows(GepiiiDataset data)
    {
        var ids = data.Test.RowId;
        var seen = new RowIdSet(ids);
        for (var i = 0; i < ids.Length; i++)
        {
            if (!seen.Add(ids[i]))
            {
                throw EsteiraException.BadInput(GepiiiReader.TestFile, i + 2, "row_id", $"row_id {ids[i]} appears twice", "keep each row_id once");
            }
        }

        if (data.SampleRowIds.Length != ids.Length || data.SampleRowIds.Any(id => !seen.Contains(id)))
        {
            throw EsteiraException.BadInput(GepiiiReader.SampleSubmissionFile, null, "row_id",
                $"its {data.SampleRowIds.Length:N0} row_ids do not match the {ids.Length:N0} of test.csv", "use the sample submission that came with this test.csv");
        }
    }

    internal static T[] Gather<T>(T[] values, int[] rows)
    {
        var result = new T[rows.Length];
        for (var k = 0; k < rows.Length; k++)
        {
            result[k] = values[rows[k]];
        }

        return result;
    }

    /// <summary>The keys of one chunk of rows to build features for; filled by the caller, reused chunk after chunk.</summary>
    private sealed class RowKeys
    {
        public int[] BuildingId { get; } = new int[FeatureWriter.ChunkRows];
        public byte[] Meter { get; } = new byte[FeatureWriter.ChunkRows];
        public int[] Hour { get; } = new int[FeatureWriter.ChunkRows];
        public int[] Cutoff { get; } = new int[FeatureWriter.ChunkRows];
        public int Rows { get; set; }
    }

    /// <summary>
    /// Builds feature rows chunk by chunk into reused buffers and appends them, with the table's other columns, to a
    /// table on disk: no table is ever whole in memory, whatever the size of the data set.
    /// </summary>
    private sealed class FeatureWriter(string folder, int rows, IEnumerable<(string Name, string Dtype)> extra, FeatureWriter.Buffers buffers) : IDisposable
    {
        public const int ChunkRows = 1 << 18;

        private readonly ColumnTable.ChunkedWriter _table = new(folder, rows,
            FeatureBuilder.Names.Select(n => (n, "float32")).Append(("baseline", "float32")).Concat(extra));

        /// <summary>
        /// Builds chunk after chunk and writes each while the next is built: at GEPIII scale the tables are ≈ 10 GB and
        /// the kernel throttles the writer, so building and writing in turn left the cores idle half the time.
        /// </summary>
        /// <param name="features">The builder.</param>
        /// <param name="keys">Fills the keys of rows [start, start + keys.Rows); called on the building thread.</param>
        /// <param name="appendExtra">Appends the other columns of rows [start, start + rows), given their features; called on the writing thread, chunk after chunk.</param>
        public void Write(FeatureBuilder features, Action<int, RowKeys> keys, Action<ColumnTable.ChunkedWriter, int, FeatureMatrix> appendExtra)
        {
            var writing = Task.CompletedTask;
            try
            {
                for (var (start, turn) = (0, 0); start < rows; start += ChunkRows, turn ^= 1)
                {
                    // the chunk before last used this turn's buffers, and its write finished before the last began
                    var (chunkKeys, matrix) = buffers.Turn(turn);
                    chunkKeys.Rows = Math.Min(ChunkRows, rows - start);
                    keys(start, chunkKeys);
                    features.Build(chunkKeys.BuildingId, chunkKeys.Meter, chunkKeys.Hour, chunkKeys.Cutoff, chunkKeys.Rows, matrix);
                    // A join of two CPU-bound threads inside a synchronous stage, not sync-over-async I/O: GetResult
                    // rethrows the writer's own exception (Wait would wrap it in an AggregateException).
                    writing.GetAwaiter().GetResult();
                    var chunkStart = start;
                    writing = Task.Run(() =>
                    {
                        for (var f = 0; f < matrix.Names.Length; f++)
                        {
                            _table.Append<float>(matrix.Names[f], matrix.Columns[f].AsSpan(0, matrix.Rows));
                        }

                        _table.Append<float>("baseline", matrix.Baseline.AsSpan(0, matrix.Rows));
                        appendExtra(_table, chunkStart, matrix);
                    });
                }
            }
            finally
            {
                // never leave a write running on a table about to be disposed; its failure, if any, surfaces here
                writing.GetAwaiter().GetResult();
            }

            _table.Complete();
        }

        public void Dispose() => _table.Dispose();

        /// <summary>Two chunks' keys and features, used in turn and shared by the stage's tables so that they leave no garbage behind.</summary>
        public sealed class Buffers
        {
            private readonly (RowKeys, FeatureMatrix)[] _turns = [(new(), new(FeatureBuilder.Names, ChunkRows)), (new(), new(FeatureBuilder.Names, ChunkRows))];

            public (RowKeys Keys, FeatureMatrix Matrix) Turn(int turn) => _turns[turn];
        }
    }

    private sealed class ProgressAdapter(IRunObserver observer) : IProgress<long>
    {
        public void Report(long value) => observer.Progress(value);
    }

    /// <summary>Times the sub-steps of a stage for the observer.</summary>
    internal sealed class StageClock(IRunObserver observer)
    {
        private readonly Stopwatch _watch = new();
        private string _name = "";

        public void Start(string name, long? total, string unit)
        {
            _name = name;
            _watch.Restart();
            observer.StageStarted(name, total, unit);
        }

        public void Progress(long done) => observer.Progress(done);

        public void Finish(string summary) => observer.StageFinished(_name, _watch.Elapsed.TotalSeconds, summary);
    }
}
