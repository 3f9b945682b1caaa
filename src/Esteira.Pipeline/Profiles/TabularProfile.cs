using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Esteira.Config;
using Esteira.Data;
using Esteira.Data.Tabular;
using Esteira.Ml;
using Esteira.Pipeline.Cache;

namespace Esteira.Pipeline.Profiles;

/// <summary>
/// The usual Kaggle competition: train.csv, test.csv and a sample submission (sample_submission.csv or
/// sampleSubmission.csv; plain, gzipped or in one .zip), one target, regression or binary classification.
/// </summary>
/// <remarks>
/// The id is the sample submission's first column and the target its second, unless the settings say otherwise; the
/// task follows the target's values (exactly two: binary), the metric the task (rmse, auc) unless one is given; each
/// column's type follows its values in train and test. With a date column in both files the CV folds are forward-chaining
/// time blocks when the test follows training, and K-fold over blocks of days when it sits between training days;
/// otherwise K-fold (stratified for binary). <c>label</c> is in the target's own units everywhere.
/// </remarks>
public sealed class TabularProfile : ICompetitionProfile
{
    /// <summary>The profile's name in esteira.yaml and summary.json.</summary>
    public const string ProfileName = "tabular";

    /// <summary>The profile's own account of the features folder: columns, classes, sample submission header.</summary>
    public const string MetaFile = "tabular.json";

    /// <summary>test.csv's ids and the sample submission's, as read (strings).</summary>
    public const string IdsFile = "ids.json";

    /// <summary>
    /// Training sets smaller than this boost on one thread: a round of a few thousand rows is too short to pay for waking
    /// OpenMP's others, and when the cores are busy their spinning made it far slower (bike-sharing's tuning on a loaded
    /// 2-core machine: 160 s on two threads, 14-25 s on one).
    /// </summary>
    private const int SmallTrainRows = 100_000;

    /// <summary>GEPIII's JSON conventions, but quotes and arrows written as themselves: people read quality.json and schema.json.</summary>
    // The one shape, but a competition's column names and ids (ids.json) are written as they are, not \u-escaped.
    private static readonly JsonSerializerOptions Json = new(EsteiraJson.Indented) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The one instance (it has no state).</summary>
    public static TabularProfile Instance { get; } = new();

    /// <inheritdoc/>
    public string Name => ProfileName;

    /// <inheritdoc/>
    public bool Recognises(string dataset)
    {
        using var source = DatasetSource.Open(dataset);
        return TabularFiles.Recognises(source);
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, string Hash)> DatasetHashes(string dataset, FileHasher hasher)
    {
        if (File.Exists(dataset))
        {
            return [(Path.GetFileName(dataset), hasher.Hash(dataset))];
        }

        using var source = DatasetSource.Open(dataset);
        return TabularFiles.Present(source).Select(f =>
        {
            var display = source.DisplayName(f);
            return (Path.GetFileName(display), hasher.Hash(display));
        }).ToList();
    }

    /// <inheritdoc/>
    public CompetitionSettings Describe(string dataset, CompetitionSettings given)
    {
        using var source = DatasetSource.Open(dataset);
        var sampleName = TabularFiles.SampleName(source) ?? throw new EsteiraException(ErrorCode.BadInput,
            $"{dataset}: missing file sample_submission.csv (or sampleSubmission.csv); a tabular competition needs train.csv, test.csv and the sample submission");
        var schema = TabularSchema.Infer(TabularFiles.Read(source, TabularFiles.TrainFile), TabularFiles.Read(source, TabularFiles.TestFile), TabularFiles.Read(source, sampleName),
            new TabularOptions(given.Id, given.Target, given.Time, given.Task, given.Metric));
        return given with
        {
            Profile = ProfileName,
            Metric = schema.Metric.Name,
            Id = schema.IdColumn,
            Target = schema.TargetColumn,
            Time = schema.TimeColumn ?? "none",
            Task = schema.Task,
        };
    }

    /// <inheritdoc/>
    public FeaturesSummary Features(FeaturesRequest request, string output, IRunObserver observer)
    {
        var stage = new GepiiiStages.StageClock(observer);
        RawTable train, test, sample;
        string sampleName;
        using (var source = DatasetSource.Open(request.Dataset))
        {
            sampleName = TabularFiles.SampleName(source) ?? throw new EsteiraException(ErrorCode.BadInput,
                $"{request.Dataset}: missing file sample_submission.csv (or sampleSubmission.csv); a tabular competition needs train.csv, test.csv and the sample submission");
            stage.Start("ingest", null, "rows");
            var progress = new RowProgress(observer);
            train = TabularFiles.Read(source, TabularFiles.TrainFile, progress);
            progress.Offset = train.Rows;
            test = TabularFiles.Read(source, TabularFiles.TestFile, progress);
            progress.Offset += test.Rows;
            sample = TabularFiles.Read(source, sampleName, progress);
            stage.Finish($"train {train.Rows:N0}, test {test.Rows:N0} rows, {train.Header.Length} columns");
        }

        stage.Start("validate", null, "rows");
        var c = request.Competition;
        var schema = TabularSchema.Infer(train, test, sample, new TabularOptions(c.Id, c.Target, c.Time, c.Task, c.Metric));
        stage.Finish($"id {schema.IdColumn}, target {schema.TargetColumn} ({schema.Task}, {schema.Metric.Name}), time {schema.TimeColumn ?? "none"}");

        stage.Start("features", null, "rows");
        var encoded = TabularEncoder.Encode(schema, train, test);
        var label = schema.Label;
        sample = null!;
        var (plan, trainFold, validRows, validFold, kind, blockDays) = Folds(schema, encoded, request);

        var trainColumns = Named(encoded.Names, encoded.Train);
        trainColumns.Add(("label", label));
        trainColumns.Add(("time", encoded.TrainTime));
        trainColumns.Add(("keep", Enumerable.Repeat((byte)1, train.Rows).ToArray()));
        trainColumns.Add(("fold", trainFold));
        ColumnTable.Write(Path.Combine(output, "train"), trainColumns);

        var validColumns = Named(encoded.Names, encoded.Train.Select(f => GepiiiStages.Gather(f, validRows)).ToArray());
        validColumns.Add(("fold", validFold));
        validColumns.Add(("train_row", validRows));
        validColumns.Add(("label", GepiiiStages.Gather(label, validRows)));
        ColumnTable.Write(Path.Combine(output, "valid"), validColumns);

        var testColumns = Named(encoded.Names, encoded.Test);
        testColumns.Add(("row", Enumerable.Range(0, test.Rows).ToArray()));
        testColumns.Add(("time", encoded.TestTime));
        ColumnTable.Write(Path.Combine(output, "test"), testColumns);

        var horizon = schema.TimeColumn is null || test.Rows == 0 || kind == "blocks" ? 0 : Math.Max(0, (encoded.TestTime.Max() - encoded.TrainTime.Max()) / 24);
        var summary = new FeaturesSummary(train.Rows, test.Rows, 0, 0, horizon, plan, [], encoded.Names)
        {
            Profile = ProfileName,
            Metric = schema.Metric.Name,
            Task = schema.Task,
            FoldKind = kind,
            BlockDays = blockDays,
        };
        var schemaJson = schema.Columns;
        var findings = schema.Findings.Concat(encoded.Findings).Select(f => new QualityFinding(f.Column, 0, f.Finding)).ToList();
        var meta = new TabularMeta(schema.IdColumn, schema.TargetColumn, schema.TimeColumn, schema.Classes, [.. encoded.Categorical.Select(i => encoded.Names[i])],
            schema.SampleHeader, sampleName);
        WriteJson(output, GepiiiStages.SummaryFile, summary);
        WriteJson(output, GepiiiRun.SchemaFile, schemaJson);
        WriteJson(output, GepiiiStages.QualityFile, new { flagged_rows = 0, series = Array.Empty<object>(), findings });
        WriteJson(output, MetaFile, meta);
        WriteJson(output, IdsFile, new TabularIds(schema.TestIds, schema.SampleIds));
        foreach (var finding in findings)
        {
            observer.Info($"{finding.Kind}: {finding.Message}");
        }

        stage.Finish($"{encoded.Names.Length} features ({encoded.Categorical.Length} categorical), {plan.Count} {kind switch { "time" => "time-block", "blocks" => $"K-fold ({blockDays}-day blocks)", _ => "K-fold" }} folds");
        return summary;
    }

    /// <inheritdoc/>
    public ModelMetrics TrainLightGbm(string features, GbmOptions options, string output, IRunObserver observer)
    {
        var summary = GepiiiStages.ReadSummary(features);
        var meta = ReadMeta(features);
        var metric = MetricOf(summary);
        var stage = new GepiiiStages.StageClock(observer);
        var trainFolder = Path.Combine(features, "train");
        var label = ColumnTable.ReadFloat(trainFolder, "label");
        var time = ColumnTable.ReadInt(trainFolder, "time");
        var trainFold = ColumnTable.ReadInt(trainFolder, "fold");
        var binary = summary.Task == TabularSchema.Binary;

        // rmsle is rmse in log1p space: the model learns there and its predictions come back with expm1
        var log = metric == EvalMetric.Rmsle;
        var target = log ? label.Select(y => MathF.Log(1 + y)).ToArray() : label;
        var gbm = options with
        {
            Objective = binary ? "binary" : "regression",
            CategoricalFeatures = [.. meta.Categorical.Select(n => Array.IndexOf(summary.FeatureNames, n))],
        };
        float Back(float p) => log ? MathF.Max(0, MathF.Exp(p) - 1) : binary ? Math.Clamp(p, 0, 1) : p;

        var validFolder = Path.Combine(features, "valid");
        var validFold = ColumnTable.ReadInt(validFolder, "fold");
        var oof = new float[validFold.Length];
        using var train = new ColumnTable.FloatColumns(trainFolder, summary.FeatureNames);
        gbm = gbm.Tune
            ? Tune(summary, metric, gbm, train, target, validFolder, validFold, time, trainFold, log, oof, Back, stage, observer)
            : CrossValidate(summary, gbm, train, target, validFolder, validFold, time, trainFold, oof, Back, stage);

        stage.Start("train", gbm.Iterations, "iterations");
        using var final = Train(train, target, Enumerable.Range(0, label.Length).ToArray(), gbm, i => stage.Progress(i));
        final.Save(Path.Combine(output, "model.txt"));
        stage.Finish($"final model: {gbm.Leaves} leaves × {gbm.Iterations} iterations, {label.Length:N0} rows × {summary.FeatureNames.Length} features");

        stage.Start("predict", summary.TestRows, "rows");
        using var test = new ColumnTable.FloatColumns(Path.Combine(features, "test"), summary.FeatureNames);
        var predictions = new float[test.Rows];
        final.Predict(test.Read, 0, predictions, stage.Progress);
        for (var k = 0; k < predictions.Length; k++)
        {
            predictions[k] = Back(predictions[k]);
        }

        stage.Finish($"{test.Rows:N0} rows");
        var importance = summary.FeatureNames.Zip(final.Importance()).OrderByDescending(p => p.Second).Select(p => new FeatureGain(p.First, (float)p.Second)).ToList();
        return WritePredictions(features, oof, predictions, importance, output);
    }

    /// <summary>The folds' models at the given leaves and iterations; their predictions fill <paramref name="oof"/>.</summary>
    private static GbmOptions CrossValidate(FeaturesSummary summary, GbmOptions gbm, ColumnTable.FloatColumns train, float[] target,
        string validFolder, int[] validFold, int[] time, int[] trainFold, float[] oof, Func<float, float> back, GepiiiStages.StageClock stage)
    {
        stage.Start("cv", (long)summary.Folds.Count * gbm.Iterations, "iterations");
        using var valid = new ColumnTable.FloatColumns(validFolder, summary.FeatureNames);
        foreach (var (fold, index) in summary.Folds.Select((f, i) => (f, i)))
        {
            var (first, count) = ValidRange(validFold, fold.Index);
            if (count == 0)
            {
                continue; // nothing to validate: its score is NaN
            }

            var done = (long)index * gbm.Iterations;
            using var model = Train(train, target, TrainingRows(summary, fold, time, trainFold), gbm, i => stage.Progress(done + i));
            var predicted = oof.AsSpan(first, count);
            model.Predict(valid.Read, first, predicted);
            for (var k = 0; k < count; k++)
            {
                predicted[k] = back(predicted[k]);
            }
        }

        stage.Finish($"{summary.Folds.Count} folds × {gbm.Leaves} leaves × {gbm.Iterations} iterations");
        return gbm;
    }

    /// <summary>
    /// Chooses leaves and iterations on the folds (<see cref="GbmTuning"/>), scoring each fold with the competition's
    /// metric; the chosen pair's fold predictions fill <paramref name="oof"/>, and it is the pair the final model uses.
    /// </summary>
    private static GbmOptions Tune(FeaturesSummary summary, EvalMetric metric, GbmOptions gbm, ColumnTable.FloatColumns train, float[] target,
        string validFolder, int[] validFold, int[] time, int[] trainFold, bool log, float[] oof, Func<float, float> back,
        GepiiiStages.StageClock stage, IRunObserver observer)
    {
        var validLabel = ColumnTable.ReadFloat(validFolder, "label");
        var validTarget = log ? validLabel.Select(y => MathF.Log(1 + y)).ToArray() : validLabel;
        var scored = summary.Folds.Select(f => (Fold: f, Range: ValidRange(validFold, f.Index))).Where(f => f.Range.Count > 0).ToList();
        var datasets = new List<(GbmDataset Train, GbmDataset Valid)>();
        using var valid = new ColumnTable.FloatColumns(validFolder, summary.FeatureNames);
        try
        {
            foreach (var (fold, (first, count)) in scored)
            {
                var rows = RowSample.Uniform(TrainingRows(summary, fold, time, trainFold), gbm.MaxTrainRows, gbm.Seed);
                var trainSet = GbmDataset.Build(train.Rows, train.Columns, train.Read, target, rows, gbm);
                datasets.Add((trainSet, GbmDataset.Build(valid.Rows, valid.Columns, valid.Read, validTarget, Enumerable.Range(first, count).ToArray(), gbm, trainSet)));
            }

            // the bar's length is a guess (early stopping ends candidates sooner); it fills as rounds are boosted
            var budget = (long)GbmTuning.CandidateLeaves.Count * datasets.Count * 600;
            var done = 0L;
            stage.Start("cv", budget, "iterations");
            var threads = gbm.Threads == 0 && datasets.Max(d => d.Train.Rows) < SmallTrainRows ? 1 : gbm.Threads;
            var tuned = GbmTuning.Tune(datasets, gbm with { Threads = threads }, (k, predicted) =>
            {
                var (first, count) = scored[k].Range;
                for (var r = 0; r < predicted.Length; r++)
                {
                    predicted[r] = back(predicted[r]);
                }

                return metric.Score(predicted, validLabel.AsSpan(first, count));
            }, metric.Goal == MetricGoal.Maximize, () => stage.Progress(Math.Min(budget, ++done)));
            for (var k = 0; k < scored.Count; k++)
            {
                var (first, count) = scored[k].Range;
                for (var r = 0; r < count; r++)
                {
                    oof[first + r] = back(tuned.FoldPredictions[k][r]);
                }
            }

            stage.Finish($"chose {tuned.Leaves} leaves × {tuned.Iterations} iterations on {scored.Count} folds ({done:N0} rounds boosted)");
            observer.Info("tuned on CV (mean fold " + metric.Name + "): " + string.Join(", ",
                tuned.Trials.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Leaves} leaves × {t.Iterations} iterations {t.Score:F4}"))));
            return gbm with { Leaves = tuned.Leaves, Iterations = tuned.Iterations };
        }
        finally
        {
            foreach (var (t, v) in datasets)
            {
                v.Dispose();
                t.Dispose();
            }
        }
    }

    private static (int First, int Count) ValidRange(int[] validFold, int fold) =>
        (Array.IndexOf(validFold, fold), validFold.Count(f => f == fold));

    /// <inheritdoc/>
    public ModelMetrics WritePredictions(string features, float[] oof, float[] test, IReadOnlyList<FeatureGain> importance, string output)
    {
        var summary = GepiiiStages.ReadSummary(features);
        var metric = MetricOf(summary);
        var validFolder = Path.Combine(features, "valid");
        var label = ColumnTable.ReadFloat(validFolder, "label");
        var fold = ColumnTable.ReadInt(validFolder, "fold");
        CheckPredictions("oof", oof, label.Length, "valid/", metric);
        CheckPredictions("test", test, ColumnTable.Rows(Path.Combine(features, "test")), "test/", metric);

        var trainFolder = Path.Combine(features, "train");
        var time = ColumnTable.ReadInt(trainFolder, "time");
        var trainFold = ColumnTable.ReadInt(trainFolder, "fold");
        var timeFolds = summary.FoldKind == "time";
        var scores = summary.Folds.Select(f =>
        {
            var rows = Enumerable.Range(0, fold.Length).Where(k => fold[k] == f.Index).ToArray();
            var score = rows.Length == 0 ? double.NaN : metric.Score(GepiiiStages.Gather(oof, rows), GepiiiStages.Gather(label, rows));
            return new FoldScore(f.Index,
                timeFolds ? Timestamps.Format(f.Origin)[..10] : "",
                timeFolds ? Timestamps.Format(f.End - 1)[..10] : "",
                TrainingRows(summary, f, time, trainFold).Length, rows.Length, Math.Round(score, 5));
        }).ToList();
        var metrics = new ModelMetrics(metric.Name, Math.Round(metric.Score(oof, label), 5), scores, importance);
        ColumnTable.Write(Path.Combine(output, "oof"), [("prediction", oof)]);
        ColumnTable.Write(Path.Combine(output, "test"), [("prediction", test)]);
        WriteJson(output, GepiiiStages.MetricsFile, metrics);
        return metrics;
    }

    /// <inheritdoc/>
    public long Submission(string features, string model, string output, IRunObserver observer)
    {
        var stage = new GepiiiStages.StageClock(observer);
        var summary = GepiiiStages.ReadSummary(features);
        var metric = MetricOf(summary);
        var meta = ReadMeta(features);
        var ids = JsonSerializer.Deserialize<TabularIds>(File.ReadAllText(Path.Combine(features, IdsFile)), Json)!;
        stage.Start("check", ids.Test.Length, "rows");
        var predictions = ColumnTable.ReadFloat(Path.Combine(model, "test"), "prediction");
        if (predictions.Length != ids.Test.Length)
        {
            throw new EsteiraException(ErrorCode.PipelineFailed, $"{Path.Combine(model, "test")}: {predictions.Length:N0} predictions for {ids.Test.Length:N0} test rows; rerun the model stage");
        }

        var path = Path.Combine(output, GepiiiStages.SubmissionFile);
        TabularSubmission.WriteAtomic(path, meta.SampleHeader, ids.Test, predictions);
        var rows = TabularSubmission.Check(path, meta.SampleHeader, ids.Sample, metric == EvalMetric.Rmsle, metric.Classification);
        stage.Finish($"{rows:N0} rows match {meta.SampleFile}");
        return rows;
    }

    /// <summary>Reads the profile's account of a features folder it wrote.</summary>
    public static TabularMeta ReadMeta(string features) =>
        JsonSerializer.Deserialize<TabularMeta>(File.ReadAllText(Path.Combine(features, MetaFile)), Json)!;

    /// <summary>The rows fold <paramref name="fold"/> trains on: before its origin (time blocks) or every other fold's (K-fold).</summary>
    private static int[] TrainingRows(FeaturesSummary summary, TimeFold fold, int[] time, int[] trainFold) => summary.FoldKind == "time"
        ? Enumerable.Range(0, time.Length).Where(i => time[i] < fold.Origin).ToArray()
        : Enumerable.Range(0, trainFold.Length).Where(i => trainFold[i] != fold.Index).ToArray();

    private static EvalMetric MetricOf(FeaturesSummary summary) => EvalMetric.Parse(summary.Metric, GepiiiStages.SummaryFile);

    private static (IReadOnlyList<TimeFold> Plan, int[] TrainFold, int[] ValidRows, int[] ValidFold, string Kind, int BlockDays) Folds(
        TabularSchema schema, TabularFeatures encoded, FeaturesRequest request)
    {
        var rows = schema.Label.Length;
        // A test that sits between training days (days 20 to 31 of each month, training 1 to 19) asks the model to fill
        // gaps, not to forecast: forward chaining would validate on a future the test never asks about. Its folds are
        // blocks of days as long as the test's own runs, dealt in turn, so each validation block has training on both
        // sides, as a test block does.
        // (a test row without a time has hour 0 in TestTime: it places nothing)
        if (schema.TimeColumn is not null && InterleavedRunDays(encoded.TrainTime, encoded.TestTime.Where(h => h != 0).ToArray()) is { } runDays
            && Math.Max(2, request.Folds) is var blockFolds && rows >= blockFolds)
        {
            var firstDay = Day(encoded.TrainTime.Min());
            var assignedByBlock = encoded.TrainTime.Select(t => ((Day(t) - firstDay) / runDays % blockFolds) + 1).ToArray();
            var blockOrder = Enumerable.Range(1, blockFolds).SelectMany(f => Enumerable.Range(0, rows).Where(i => assignedByBlock[i] == f)).ToArray();
            return (Enumerable.Range(1, blockFolds).Select(f => new TimeFold(f, 0, 0)).ToList(), assignedByBlock, blockOrder,
                [.. blockOrder.Select(i => assignedByBlock[i])], "blocks", runDays);
        }

        // A time column whose training span is too short for day-aligned blocks (a few hours or days) orders nothing: K-fold.
        if (schema.TimeColumn is not null && (long)encoded.TrainTime.Max() - encoded.TrainTime.Min() + 1 >= (Math.Max(1, request.Folds) + 1) * 24L)
        {
            var time = encoded.TrainTime;
            var plan = TimeBlockFolds.Plan(time.Min(), time.Max(), Math.Max(1, request.Folds));
            var validRows = new List<int>();
            var validFold = new List<int>();
            foreach (var fold in plan)
            {
                for (var i = 0; i < rows; i++)
                {
                    if (time[i] >= fold.Origin && time[i] < fold.End)
                    {
                        validRows.Add(i);
                        validFold.Add(fold.Index);
                    }
                }
            }

            return (plan, Enumerable.Repeat(-1, rows).ToArray(), [.. validRows], [.. validFold], "time", 0);
        }

        var k = Math.Max(2, request.Folds);
        if (rows < k)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"train.csv has {rows} rows, too few for {k}-fold cross-validation; add rows or use fewer folds");
        }

        var assigned = KFold(schema.Label, schema.Task == TabularSchema.Binary, k, request.Seed);
        var order = Enumerable.Range(1, k).SelectMany(f => Enumerable.Range(0, rows).Where(i => assigned[i] == f)).ToArray();
        return (Enumerable.Range(1, k).Select(f => new TimeFold(f, 0, 0)).ToList(), assigned, order, [.. order.Select(i => assigned[i])], "kfold", 0);
    }

    /// <summary>
    /// The length in days of the test's typical run of consecutive days (the median) when most test rows lie inside the
    /// training span, in days no training row has; null when the test follows training or shares its days (a random split).
    /// </summary>
    internal static int? InterleavedRunDays(int[] trainHours, int[] testHours)
    {
        if (trainHours.Length == 0 || testHours.Length == 0)
        {
            return null;
        }

        var trainDays = trainHours.Select(Day).ToHashSet();
        var (first, last) = (trainDays.Min(), trainDays.Max());
        var testDays = testHours.Select(Day).ToArray();
        if (testDays.Count(d => d > first && d < last && !trainDays.Contains(d)) * 2 <= testDays.Length)
        {
            return null;
        }

        var runs = new List<int>();
        var distinct = testDays.Distinct().Order().ToArray();
        var run = 1;
        for (var i = 1; i <= distinct.Length; i++)
        {
            if (i < distinct.Length && distinct[i] == distinct[i - 1] + 1)
            {
                run++;
                continue;
            }

            runs.Add(run);
            run = 1;
        }

        runs.Sort();
        return runs[runs.Count / 2];
    }

    /// <summary>The day since 1970 of an hour since 1970 (floored: hours before 1970 belong to negative days).</summary>
    private static int Day(int hour) => (int)Math.Floor(hour / 24.0);

    /// <summary>
    /// Folds 1..k: rows are shuffled (seeded) and dealt in turn; for a binary target each class is dealt separately,
    /// continuing the turn, so that every fold has the same share of each class (to one row).
    /// </summary>
    internal static int[] KFold(float[] label, bool stratify, int k, int seed)
    {
        var random = new Random(seed);
        var fold = new int[label.Length];
        var groups = stratify
            ? label.Select((y, i) => (y, i)).GroupBy(p => p.y).OrderBy(g => g.Key).Select(g => g.Select(p => p.i).ToArray()).ToList()
            : [Enumerable.Range(0, label.Length).ToArray()];
        var dealt = 0;
        foreach (var rows in groups)
        {
            random.Shuffle(rows);
            foreach (var row in rows)
            {
                fold[row] = (dealt++ % k) + 1;
            }
        }

        return fold;
    }

    private static GbmModel Train(ColumnTable.FloatColumns train, float[] target, int[] rows, GbmOptions options, Action<int> iterationDone)
    {
        rows = RowSample.Uniform(rows, options.MaxTrainRows, options.Seed);
        using var data = GbmDataset.Build(train.Rows, train.Columns, train.Read, target, rows, options);
        return GbmModel.Train(data, options.Threads == 0 && rows.Length < SmallTrainRows ? options with { Threads = 1 } : options, iterationDone);
    }

    private static void CheckPredictions(string name, float[] values, int expected, string table, EvalMetric metric)
    {
        if (values.Length != expected)
        {
            throw new EsteiraException(ErrorCode.PipelineFailed, $"{name}: {values.Length:N0} predictions, expected {expected:N0} (one per row of {table}); write one prediction per row, in its order");
        }

        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            var problem = !float.IsFinite(v) ? "is not finite"
                : metric == EvalMetric.Rmsle && v < 0 ? "is negative; rmsle needs predictions ≥ 0"
                : metric.Classification && v is < 0 or > 1 ? $"is not a probability; {metric.Name} needs values in [0, 1]"
                : null;
            if (problem is not null)
            {
                throw new EsteiraException(ErrorCode.PipelineFailed, $"{name}: row {i}: value {v} {problem}; fix the model's predictions");
            }
        }
    }

    private static List<(string Name, Array Values)> Named(string[] names, float[][] columns) =>
        names.Zip(columns, (n, v) => (n, (Array)v)).ToList();

    private static void WriteJson<T>(string folder, string file, T value) =>
        File.WriteAllText(Path.Combine(folder, file), JsonSerializer.Serialize(value, Json));

    private sealed class RowProgress(IRunObserver observer) : IProgress<long>
    {
        public long Offset { get; set; }

        public void Report(long value) => observer.Progress(Offset + value);
    }
}

/// <summary>What the tabular profile keeps about a features folder beside its tables (<c>tabular.json</c>).</summary>
/// <param name="IdColumn">test.csv's id column.</param>
/// <param name="Target">train.csv's target column.</param>
/// <param name="TimeColumn">The column the CV blocks follow; null for K-fold.</param>
/// <param name="Classes">Binary with a non-0/1 target: the values label 0 and 1 stand for.</param>
/// <param name="Categorical">The features LightGBM treats as categories.</param>
/// <param name="SampleHeader">The sample submission's header, which the submission repeats.</param>
/// <param name="SampleFile">The sample submission's file name.</param>
public sealed record TabularMeta(string IdColumn, string Target, string? TimeColumn, string[]? Classes, string[] Categorical, string[] SampleHeader, string SampleFile);

/// <summary>test.csv's ids in file order and the sample submission's, as read.</summary>
public sealed record TabularIds(string[] Test, string[] Sample);
