using System.Diagnostics;
using System.Text.Json;
using Esteira.Data;
using Esteira.Ml;

namespace Esteira.Pipeline;

/// <summary>What a run needs: where the data is, where to write, and how to model.</summary>
public sealed record RunOptions
{
    public required string DataPath { get; init; }
    public required string OutDir { get; init; }
    public int Folds { get; init; } = 3;
    public GbmOptions Gbm { get; init; } = new();

    /// <summary>
    /// Keep training rows the quality screen flagged (runs of ≥ 24 h identical or zero readings, dormant starts);
    /// by default they are left out of training and of every series' level.
    /// </summary>
    public bool KeepFlagged { get; init; }

    /// <summary>Rows of test.csv predicted at a time; bounds the memory of scoring.</summary>
    public int PredictChunkRows { get; init; } = 1 << 20;
}

/// <summary>One CV fold's result.</summary>
public sealed record FoldScore(int Fold, string ValidFrom, string ValidTo, int TrainRows, int ValidRows, double Rmsle);

/// <summary>How long a stage took.</summary>
public sealed record StageTiming(string Name, double Seconds);

/// <summary>Everything a run produced.</summary>
public sealed record RunResult(
    double CvRmsle,
    IReadOnlyList<FoldScore> Folds,
    string Submission,
    string QualityReport,
    long TrainRows,
    long TestRows,
    int Series,
    int FlaggedRows,
    IReadOnlyList<SiteAlignment> Alignment,
    IReadOnlyList<SeriesQuality> Quality,
    IReadOnlyList<(string Feature, float Importance)> Importance,
    IReadOnlyList<StageTiming> Stages,
    double Seconds,
    OutOfFold OutOfFold);

/// <summary>Out-of-fold predictions: for each validated training row, its fold and the prediction in log1p space.</summary>
public sealed record OutOfFold(int[] Rows, int[] Fold, float[] PredictedLog1p, float[] ActualLog1p, IReadOnlyList<TimeFold> Folds);

/// <summary>
/// The main job on a GEPIII dataset: ingest → validate → features → train (time-block CV) → predict → check.
/// Nothing is written to the output folder until every input has been read and checked.
/// </summary>
public static class GepiiiRun
{
    public static RunResult Execute(RunOptions options, IRunObserver? observer = null)
    {
        observer ??= SilentObserver.Instance;
        var clock = Stopwatch.StartNew();
        var stages = new List<StageTiming>();
        var stage = new StageClock(observer, stages);

        // ingest
        GepiiiDataset data;
        using (var source = DatasetSource.Open(options.DataPath))
        {
            stage.Start("ingest", null, "rows");
            data = GepiiiReader.Read(source, new Progress(observer));
            stage.Finish($"{data.Train.Count:N0} train, {data.Test.Count:N0} test, {data.Weather.Count:N0} weather rows");
        }

        // validate
        stage.Start("validate", data.Train.Count, "rows");
        var series = SeriesIndex.Build(data.Train.BuildingId, data.Train.Meter, data.Train.Hour, (a, b) =>
            throw EsteiraException.BadInput(GepiiiReader.TrainFile, data.Train.Line[b], null,
                $"building {data.Train.BuildingId[b]}, meter {data.Train.Meter[b]} at {Timestamps.Format(data.Train.Hour[b])} repeats line {data.Train.Line[a]}",
                "keep one reading per building, meter and hour"));
        CheckTestRows(data);
        var quality = QualityScreen.Screen(data.Train, series);
        stage.Finish($"{series.Count:N0} series, {quality.FlaggedRows:N0} flagged rows");

        // features
        stage.Start("features", data.Train.Count, "rows");
        var (weather, alignment) = WeatherAlignment.Align(data.Weather);
        foreach (var site in alignment.Where(a => a.Disagrees))
        {
            observer.Warn($"site {site.SiteId}: weather peak suggests UTC{site.EstimatedOffset:+0;-0} but the known offset is UTC{site.KnownOffset:+0;-0}; using the known offset");
        }

        var keep = !options.KeepFlagged ? quality.Flagged.Select(f => !f).ToArray() : null;
        var isDayOff = new bool[data.Train.Count];
        var temperature = new float[data.Train.Count];
        var siteOf = data.Buildings.SiteId;
        var rowOf = data.Buildings.RowOf;
        var builder0 = (IReadOnlyDictionary<int, SiteWeather>)weather;
        Parallel.For(0, data.Train.Count, i =>
        {
            var site = siteOf[rowOf[data.Train.BuildingId[i]]];
            isDayOff[i] = FeatureBuilder.IsDayOff(site, data.Train.Hour[i]);
            temperature[i] = builder0.TryGetValue(site, out var w) ? w.At(0, data.Train.Hour[i]) : float.NaN;
        });
        var history = LevelHistory.Build(series, data.Train.Hour, data.Train.Reading, temperature, isDayOff, keep);
        var features = new FeatureBuilder(data.Buildings, weather, history);
        var trainEnd = data.Train.Hour.Max() + 1;
        var horizon = Math.Clamp(data.Test.Count == 0 ? 24 : data.Test.Hour.Max() - trainEnd + 1, 24, 366 * 24);
        var cutoff = TrainingCutoffs(data.Train.Hour, horizon, options.Gbm.Seed);
        var train = features.Build(data.Train.BuildingId, data.Train.Meter, data.Train.Hour, cutoff);
        var label = new float[data.Train.Count];
        for (var i = 0; i < label.Length; i++)
        {
            label[i] = MathF.Log(1 + data.Train.Reading[i]) - train.Baseline[i];
        }

        stage.Finish($"{FeatureBuilder.Names.Length} features, forecast horizon {horizon / 24} days");

        // train: forward-chaining CV on time blocks, then a final model on everything
        var folds = TimeBlockFolds.Plan(data.Train.Hour.Min(), trainEnd - 1, options.Folds);
        stage.Start("train", folds.Count + 1, "models");
        var scores = new List<FoldScore>();
        var oofPredicted = new List<float>();
        var oofActual = new List<float>();
        var oofRows = new List<int>();
        var oofFold = new List<int>();
        foreach (var fold in folds)
        {
            var trainRows = Rows(data.Train.Hour, h => h < fold.Origin, keep);
            var validRows = Rows(data.Train.Hour, h => h >= fold.Origin && h < fold.End, keep);
            var model = GbmTrainer.Train(train.Columns, label, trainRows, options.Gbm);
            var validCutoff = new int[validRows.Length];
            Array.Fill(validCutoff, fold.Origin);
            var valid = features.Build(Gather(data.Train.BuildingId, validRows), Gather(data.Train.Meter, validRows), Gather(data.Train.Hour, validRows), validCutoff);
            var predicted = new float[validRows.Length];
            model.Predict(valid.Columns, 0, predicted);
            var actual = new float[validRows.Length];
            for (var k = 0; k < validRows.Length; k++)
            {
                predicted[k] = MathF.Max(0, predicted[k] + valid.Baseline[k]);
                actual[k] = MathF.Log(1 + data.Train.Reading[validRows[k]]);
            }

            var score = Rmsle.FromLogSpace(predicted, actual);
            scores.Add(new FoldScore(fold.Index, Timestamps.Format(fold.Origin)[..10], Timestamps.Format(fold.End - 1)[..10], trainRows.Length, validRows.Length, Math.Round(score, 5)));
            oofPredicted.AddRange(predicted);
            oofActual.AddRange(actual);
            oofRows.AddRange(validRows);
            oofFold.AddRange(Enumerable.Repeat(fold.Index, validRows.Length));
            stage.Progress(fold.Index);
        }

        var cv = Rmsle.FromLogSpace(oofPredicted.ToArray(), oofActual.ToArray());
        var final = GbmTrainer.Train(train.Columns, label, keep is null ? null : Rows(data.Train.Hour, _ => true, keep), options.Gbm);
        stage.Finish($"CV RMSLE {cv:F4} over {folds.Count} folds");
        train = null!; // let the training matrix go before scoring

        // predict the test set in chunks
        stage.Start("predict", data.Test.Count, "rows");
        var predictions = new float[data.Test.Count];
        for (var start = 0; start < data.Test.Count; start += options.PredictChunkRows)
        {
            var length = Math.Min(options.PredictChunkRows, data.Test.Count - start);
            var chunkCutoff = new int[length];
            Array.Fill(chunkCutoff, trainEnd);
            var chunk = features.Build(data.Test.BuildingId[start..(start + length)], data.Test.Meter[start..(start + length)], data.Test.Hour[start..(start + length)], chunkCutoff);
            var output = predictions.AsSpan(start, length);
            final.Predict(chunk.Columns, 0, output);
            for (var k = 0; k < length; k++)
            {
                output[k] = MathF.Max(0, MathF.Exp(output[k] + chunk.Baseline[k]) - 1);
            }

            stage.Progress(start + length);
        }

        stage.Finish($"{data.Test.Count:N0} rows");

        // check and write: only now does anything reach the output folder
        stage.Start("check", data.Test.Count, "rows");
        Directory.CreateDirectory(options.OutDir);
        var submission = Path.GetFullPath(Path.Combine(options.OutDir, "submission.csv.gz"));
        SubmissionFile.WriteAtomic(submission, data.Test.RowId, predictions);
        var checkedRows = SubmissionFile.Check(submission, data.SampleRowIds);
        var qualityPath = Path.GetFullPath(Path.Combine(options.OutDir, "quality.json"));
        WriteJsonAtomic(qualityPath, new { flagged_rows = quality.FlaggedRows, alignment, series = quality.Series });
        stage.Finish($"{checkedRows:N0} rows match sample_submission.csv");

        var importance = FeatureBuilder.Names.Zip(final.Importance).OrderByDescending(p => p.Second).Select(p => (p.First, p.Second)).ToList();
        return new RunResult(Math.Round(cv, 5), scores, submission, qualityPath, data.Train.Count, data.Test.Count, series.Count,
            quality.FlaggedRows, alignment, quality.Series, importance, stages, clock.Elapsed.TotalSeconds,
            new OutOfFold([.. oofRows], [.. oofFold], [.. oofPredicted], [.. oofActual], folds));
    }

    /// <summary>
    /// The history bound of each training row: a whole number of days before its hour, spread evenly (and
    /// deterministically) between one day and <paramref name="horizon"/>, so that the model learns how far a
    /// level may be trusted at every distance the test set asks for.
    /// </summary>
    public static int[] TrainingCutoffs(int[] hour, int horizon, int seed)
    {
        var days = Math.Max(1, horizon / 24);
        var cutoff = new int[hour.Length];
        for (var i = 0; i < hour.Length; i++)
        {
            var mix = (uint)((i * 2654435761u) ^ (uint)(seed * 40503));
            mix ^= mix >> 15;
            mix *= 2246822519u;
            mix ^= mix >> 13;
            var lagDays = 1 + (int)(mix % (uint)days);
            cutoff[i] = ((hour[i] / 24) - lagDays + 1) * 24;
        }

        return cutoff;
    }

    private static void CheckTestRows(GepiiiDataset data)
    {
        var seen = new HashSet<int>(data.Test.Count);
        for (var i = 0; i < data.Test.Count; i++)
        {
            if (!seen.Add(data.Test.RowId[i]))
            {
                throw EsteiraException.BadInput(GepiiiReader.TestFile, null, "row_id", $"row_id {data.Test.RowId[i]} appears twice", "keep each row_id once");
            }
        }

        if (data.SampleRowIds.Length != data.Test.Count || data.SampleRowIds.Any(id => !seen.Contains(id)))
        {
            throw EsteiraException.BadInput(GepiiiReader.SampleSubmissionFile, null, "row_id",
                $"its {data.SampleRowIds.Length:N0} row_ids do not match the {data.Test.Count:N0} of test.csv", "use the sample submission that came with this test.csv");
        }
    }

    private static int[] Rows(int[] hour, Func<int, bool> predicate, bool[]? keep)
    {
        var rows = new List<int>();
        for (var i = 0; i < hour.Length; i++)
        {
            if (predicate(hour[i]) && (keep is null || keep[i]))
            {
                rows.Add(i);
            }
        }

        return [.. rows];
    }

    private static T[] Gather<T>(T[] values, int[] rows)
    {
        var result = new T[rows.Length];
        for (var k = 0; k < rows.Length; k++)
        {
            result[k] = values[rows[k]];
        }

        return result;
    }

    private static void WriteJsonAtomic(string path, object value)
    {
        var temp = path + $".tmp-{Environment.ProcessId}";
        File.WriteAllText(temp, JsonSerializer.Serialize(value, JsonOptions));
        File.Move(temp, path, overwrite: true);
    }

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        IncludeFields = true,
    };

    private sealed class Progress(IRunObserver observer) : IProgress<long>
    {
        public void Report(long value) => observer.Progress(value);
    }

    private sealed class StageClock(IRunObserver observer, List<StageTiming> timings)
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

        public void Finish(string summary)
        {
            var seconds = _watch.Elapsed.TotalSeconds;
            timings.Add(new StageTiming(_name, Math.Round(seconds, 3)));
            observer.StageFinished(_name, seconds, summary);
        }
    }
}
