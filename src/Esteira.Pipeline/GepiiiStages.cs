using System.Diagnostics;
using System.Text.Json;
using Esteira.Data;
using Esteira.Ml;

namespace Esteira.Pipeline;

/// <summary>The summary the features stage leaves beside its tables.</summary>
public sealed record FeaturesSummary(
    long TrainRows, long TestRows, int Series, int FlaggedRows, int HorizonDays,
    IReadOnlyList<TimeFold> Folds, IReadOnlyList<SiteAlignment> Alignment, string[] FeatureNames);

/// <summary>The metrics a model stage leaves beside its predictions.</summary>
public sealed record ModelMetrics(double CvRmsle, IReadOnlyList<FoldScore> Folds, IReadOnlyList<FeatureGain> Importance);

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
    public const string SummaryFile = "summary.json";
    public const string QualityFile = "quality.json";
    public const string MetricsFile = "metrics.json";
    public const string SubmissionFile = "submission.csv.gz";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

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

        stage.Start("validate", data.Train.Count, "rows");
        var series = SeriesIndex.Build(data.Train.BuildingId, data.Train.Meter, data.Train.Hour, (a, b) =>
            throw EsteiraException.BadInput(GepiiiReader.TrainFile, data.Train.Line[b], null,
                $"building {data.Train.BuildingId[b]}, meter {data.Train.Meter[b]} at {Timestamps.Format(data.Train.Hour[b])} repeats line {data.Train.Line[a]}",
                "keep one reading per building, meter and hour"));
        CheckTestRows(data);
        var quality = QualityScreen.Screen(data.Train, series);
        stage.Finish($"{series.Count:N0} series, {quality.FlaggedRows:N0} flagged rows");

        stage.Start("features", data.Train.Count + data.Test.Count, "rows");
        var (weather, alignment) = WeatherAlignment.Align(data.Weather);
        foreach (var site in alignment.Where(a => a.Disagrees))
        {
            observer.Warn($"site {site.SiteId}: weather peak suggests UTC{site.EstimatedOffset:+0;-0} but the known offset is UTC{site.KnownOffset:+0;-0}; using the known offset");
        }

        var keep = new bool[data.Train.Count];
        for (var i = 0; i < keep.Length; i++)
        {
            keep[i] = keepFlagged || !quality.Flagged[i];
        }

        var isDayOff = new bool[data.Train.Count];
        var temperature = new float[data.Train.Count];
        Parallel.For(0, data.Train.Count, i =>
        {
            var site = data.Buildings.SiteId[data.Buildings.RowOf[data.Train.BuildingId[i]]];
            isDayOff[i] = FeatureBuilder.IsDayOff(site, data.Train.Hour[i]);
            temperature[i] = weather.TryGetValue(site, out var w) ? w.At(0, data.Train.Hour[i]) : float.NaN;
        });
        var history = LevelHistory.Build(series, data.Train.Hour, data.Train.Reading, temperature, isDayOff, keep);
        var features = new FeatureBuilder(data.Buildings, weather, history);
        var trainEnd = data.Train.Hour.Max() + 1;
        var horizon = Math.Clamp(data.Test.Count == 0 ? 24 : data.Test.Hour.Max() - trainEnd + 1, 24, 366 * 24);
        var plan = TimeBlockFolds.Plan(data.Train.Hour.Min(), trainEnd - 1, folds);

        // train: each row's history bound is a random whole number of days back, as far as the test horizon
        var train = features.Build(data.Train.BuildingId, data.Train.Meter, data.Train.Hour, GepiiiRun.TrainingCutoffs(data.Train.Hour, horizon, seed));
        var label = data.Train.Reading.Select(r => MathF.Log(1 + r)).ToArray();
        WriteTable(Path.Combine(output, "train"), train, [("label", label), ("time", data.Train.Hour), ("keep", keep.Select(k => (byte)(k ? 1 : 0)).ToArray())]);
        observer.Progress(data.Train.Count);

        // valid: the unflagged rows of each fold's block, with features as of the fold's origin
        var validRows = new List<int>();
        var validFold = new List<int>();
        var validCutoff = new List<int>();
        foreach (var fold in plan)
        {
            for (var i = 0; i < data.Train.Count; i++)
            {
                if (keep[i] && data.Train.Hour[i] >= fold.Origin && data.Train.Hour[i] < fold.End)
                {
                    validRows.Add(i);
                    validFold.Add(fold.Index);
                    validCutoff.Add(fold.Origin);
                }
            }
        }

        var rows = validRows.ToArray();
        var valid = features.Build(Gather(data.Train.BuildingId, rows), Gather(data.Train.Meter, rows), Gather(data.Train.Hour, rows), [.. validCutoff]);
        WriteTable(Path.Combine(output, "valid"), valid, [("fold", validFold.ToArray()), ("train_row", rows), ("label", Gather(label, rows))]);
        train = null!;
        valid = null!;

        // test: features as of the end of training, in chunks to bound memory
        var columns = FeatureBuilder.Names.Select(n => (n, "float32")).Append(("baseline", "float32"))
            .Concat([("row_id", "int32"), ("time", "int32")]);
        using (var writer = new ColumnTable.ChunkedWriter(Path.Combine(output, "test"), data.Test.Count, columns))
        {
            const int Chunk = 1 << 21;
            for (var start = 0; start < data.Test.Count; start += Chunk)
            {
                var end = Math.Min(data.Test.Count, start + Chunk);
                var chunk = features.Build(data.Test.BuildingId[start..end], data.Test.Meter[start..end], data.Test.Hour[start..end], Enumerable.Repeat(trainEnd, end - start).ToArray());
                for (var f = 0; f < chunk.Names.Length; f++)
                {
                    writer.Append(chunk.Names[f], chunk.Columns[f]);
                }

                writer.Append("baseline", chunk.Baseline);
                writer.Append("row_id", data.Test.RowId[start..end]);
                writer.Append("time", data.Test.Hour[start..end]);
                observer.Progress(data.Train.Count + end);
            }

            writer.Complete();
        }
        ColumnTable.Write(output, [("sample_row_id", data.SampleRowIds)]);
        File.Delete(Path.Combine(output, ColumnTable.ManifestFile));

        var summary = new FeaturesSummary(data.Train.Count, data.Test.Count, series.Count, quality.FlaggedRows, horizon / 24, plan, alignment, FeatureBuilder.Names);
        File.WriteAllText(Path.Combine(output, SummaryFile), JsonSerializer.Serialize(summary, Json));
        File.WriteAllText(Path.Combine(output, QualityFile), JsonSerializer.Serialize(new { flagged_rows = quality.FlaggedRows, alignment, series = quality.Series }, Json));
        stage.Finish($"{FeatureBuilder.Names.Length} features, {plan.Count} folds, forecast horizon {horizon / 24} days");
        return summary;
    }

    /// <summary>train → predict: LightGBM with forward-chaining CV on the shared folds, then a final model on all rows.</summary>
    public static ModelMetrics TrainLightGbm(string features, GbmOptions options, string output, IRunObserver observer)
    {
        var summary = ReadSummary(features);
        var stage = new StageClock(observer);
        stage.Start("train", summary.Folds.Count + 1, "models");
        var trainFolder = Path.Combine(features, "train");
        var columns = summary.FeatureNames.Select(n => ColumnTable.ReadFloat(trainFolder, n)).ToArray();
        var label = ColumnTable.ReadFloat(trainFolder, "label");
        var baseline = ColumnTable.ReadFloat(trainFolder, "baseline");
        var target = label.Select((y, i) => y - baseline[i]).ToArray();
        var hour = ColumnTable.ReadInt(trainFolder, "time");
        var keep = ColumnTable.ReadByte(trainFolder, "keep");

        var validFolder = Path.Combine(features, "valid");
        var validColumns = summary.FeatureNames.Select(n => ColumnTable.ReadFloat(validFolder, n)).ToArray();
        var validBaseline = ColumnTable.ReadFloat(validFolder, "baseline");
        var validFold = ColumnTable.ReadInt(validFolder, "fold");
        var oof = new float[validFold.Length];
        foreach (var fold in summary.Folds)
        {
            var trainRows = Enumerable.Range(0, hour.Length).Where(i => keep[i] == 1 && hour[i] < fold.Origin).ToArray();
            var model = GbmTrainer.Train(columns, target, trainRows, options);
            var rows = Enumerable.Range(0, validFold.Length).Where(k => validFold[k] == fold.Index).ToArray();
            var predicted = model.Predict(validColumns, rows);
            for (var k = 0; k < rows.Length; k++)
            {
                oof[rows[k]] = MathF.Max(0, MathF.Exp(predicted[k] + validBaseline[rows[k]]) - 1);
            }

            stage.Progress(fold.Index);
        }

        var final = GbmTrainer.Train(columns, target, Enumerable.Range(0, hour.Length).Where(i => keep[i] == 1).ToArray(), options);
        final.Save(Path.Combine(output, "model.zip"));
        columns = null!;
        validColumns = null!;
        stage.Finish("");

        stage.Start("predict", summary.TestRows, "rows");
        var testFolder = Path.Combine(features, "test");
        var rowsTotal = ColumnTable.Rows(testFolder);
        var predictions = new float[rowsTotal];
        const int Chunk = 1 << 20;
        for (var start = 0; start < rowsTotal; start += Chunk)
        {
            var length = Math.Min(Chunk, rowsTotal - start);
            var chunk = summary.FeatureNames.Select(n => ColumnTable.ReadFloatRange(testFolder, n, start, length)).ToArray();
            var chunkBaseline = ColumnTable.ReadFloatRange(testFolder, "baseline", start, length);
            var output2 = predictions.AsSpan(start, length);
            final.Predict(chunk, 0, output2);
            for (var k = 0; k < length; k++)
            {
                output2[k] = MathF.Max(0, MathF.Exp(output2[k] + chunkBaseline[k]) - 1);
            }

            stage.Progress(start + length);
        }

        stage.Finish($"{rowsTotal:N0} rows");
        var importance = summary.FeatureNames.Zip(final.Importance).OrderByDescending(p => p.Second).Select(p => new FeatureGain(p.First, p.Second)).ToList();
        return WritePredictions(features, oof, predictions, importance, output);
    }

    /// <summary>
    /// Checks a model's predictions, scores the out-of-fold ones (Esteira computes every metric itself) and writes
    /// them with the metrics. Used by both built-in and command experiments.
    /// </summary>
    public static ModelMetrics WritePredictions(string features, float[] oof, float[] test, IReadOnlyList<FeatureGain> importance, string output)
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
        var metrics = new ModelMetrics(Math.Round(Rmsle.FromLogSpace(oofLog, label), 5), scores, importance);
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

    public static FeaturesSummary ReadSummary(string features) =>
        JsonSerializer.Deserialize<FeaturesSummary>(File.ReadAllText(Path.Combine(features, SummaryFile)), Json)!;

    public static ModelMetrics ReadMetrics(string model) =>
        JsonSerializer.Deserialize<ModelMetrics>(File.ReadAllText(Path.Combine(model, MetricsFile)), Json)!;

    private static void WriteTable(string folder, FeatureMatrix matrix, IEnumerable<(string, Array)> extra)
    {
        var columns = matrix.Names.Select((n, i) => (n, (Array)matrix.Columns[i])).Append(("baseline", matrix.Baseline)).Concat(extra).ToList();
        ColumnTable.Write(folder, columns);
    }

    private static void CheckTestRows(GepiiiDataset data)
    {
        var seen = new HashSet<int>(data.Test.Count);
        for (var i = 0; i < data.Test.Count; i++)
        {
            if (!seen.Add(data.Test.RowId[i]))
            {
                throw EsteiraException.BadInput(GepiiiReader.TestFile, i + 2, "row_id", $"row_id {data.Test.RowId[i]} appears twice", "keep each row_id once");
            }
        }

        if (data.SampleRowIds.Length != data.Test.Count || data.SampleRowIds.Any(id => !seen.Contains(id)))
        {
            throw EsteiraException.BadInput(GepiiiReader.SampleSubmissionFile, null, "row_id",
                $"its {data.SampleRowIds.Length:N0} row_ids do not match the {data.Test.Count:N0} of test.csv", "use the sample submission that came with this test.csv");
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
