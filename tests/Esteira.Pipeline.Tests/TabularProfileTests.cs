using System.Globalization;
using System.Text.RegularExpressions;
using System.IO.Compression;
using System.Text.Json;
using Esteira.Config;
using Esteira.Data;
using Esteira.Data.Tabular;
using Esteira.Ml;
using Esteira.Pipeline.Profiles;

namespace Esteira.Pipeline.Tests;

/// <summary>
/// The tabular profile on two real Kaggle-style data sets (bike-sharing-demand: RMSLE on a count, time column as id;
/// adult-income: binary, AUC) and on small synthetic files for each inference rule and each refusal.
/// </summary>
public sealed class TabularProfileTests
{
    private static readonly GbmOptions Quick = new() { Iterations = 40, Leaves = 15, LearningRate = 0.1, MinLeafRows = 20 };

    /// <summary>The real tabular data sets bundled in <c>samples/</c> (gzipped copies, with their licence READMEs).</summary>
    private static string[] ReadLines(string gzPath)
    {
        using var reader = new StreamReader(new System.IO.Compression.GZipStream(File.OpenRead(gzPath), System.IO.Compression.CompressionMode.Decompress));
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
    }

    internal static string SharedData(string name)
    {
        var path = Path.GetFullPath(Path.Combine(Repository.Root, "samples", name));
        Assert.True(Directory.Exists(path), $"{path} is missing: the tabular tests read the real data sets bundled in samples/");
        return path;
    }

    [Fact]
    public void BikeSharingIsRecognisedAndItsIdTargetAndTimeInferred()
    {
        using var dir = new StageFolders();
        var data = SharedData("bike-sharing-demand");
        Assert.Same(TabularProfile.Instance, CompetitionProfiles.Resolve(null, data));

        var summary = TabularProfile.Instance.Features(Request(data, new() { Metric = "rmsle" }), dir.Features, SilentObserver.Instance);

        // the test holds days 20 to 31 of each month, between training's 1 to 19: K-fold over blocks as long as its runs
        Assert.Equal(("tabular", "rmsle", "regression", "blocks"), (summary.Profile, summary.Metric, summary.Task, summary.FoldKind));
        Assert.InRange(summary.BlockDays, 9, 12);
        Assert.Equal((10_886L, 6_493L), (summary.TrainRows, summary.TestRows));
        var meta = TabularProfile.ReadMeta(dir.Features);
        Assert.Equal(("datetime", "count", "datetime"), (meta.IdColumn, meta.Target, meta.TimeColumn));
        var schema = Schema(dir.Features);
        Assert.Equal("id", schema["datetime"].Role);
        Assert.Equal("datetime", schema["datetime"].Type);
        Assert.Equal("target", schema["count"].Role);
        foreach (var leak in new[] { "casual", "registered" })
        {
            Assert.Equal("ignored", schema[leak].Role);
            Assert.StartsWith("in train only", schema[leak].Note, StringComparison.Ordinal);
            Assert.DoesNotContain(leak, summary.FeatureNames);
        }

        Assert.Contains("datetime_hour", summary.FeatureNames);
        Assert.Contains("datetime_year", summary.FeatureNames);
        Assert.DoesNotContain("datetime_day", summary.FeatureNames); // test holds days 20 to 31, train 1 to 19
        Assert.DoesNotContain("datetime_days", summary.FeatureNames); // each test day falls between training days
        Assert.DoesNotContain("datetime_dayofyear", summary.FeatureNames);
        Assert.Contains("temp", summary.FeatureNames);
        Assert.Contains("weather_before", summary.FeatureNames); // one series in time: its neighbours' inputs
        Assert.Contains("temp_around", summary.FeatureNames);
        Assert.True(summary.FeatureNames.ToList().IndexOf("season") < summary.FeatureNames.ToList().IndexOf("datetime_month"),
            "the given columns come before those derived from dates");

        // each fold's rows are whole blocks of days, and neighbouring blocks belong to different folds
        Assert.Equal(3, summary.Folds.Count);
        var trainFolder = Path.Combine(dir.Features, "train");
        var fold = ColumnTable.ReadInt(trainFolder, "fold");
        var day = ColumnTable.ReadInt(trainFolder, "time").Select(h => h / 24).ToArray();
        Assert.All(fold, f => Assert.InRange(f, 1, 3));
        Assert.All(day.Zip(fold).GroupBy(p => p.First), g => Assert.Single(g.Select(p => p.Second).Distinct()));
        Assert.Equal(3, day.Zip(fold).Where(p => p.First - day.Min() < 3 * summary.BlockDays).Select(p => p.Second).Distinct().Count());
        var label = ColumnTable.ReadFloat(trainFolder, "label");
        Assert.Equal(16f, label[0]); // the raw count: label is in the target's units
    }

    [Fact]
    public void BikeSharingTrainsAndWritesTheSampleSubmissionsHeaderAndIds()
    {
        using var dir = new StageFolders();
        var data = SharedData("bike-sharing-demand");
        TabularProfile.Instance.Features(Request(data, new() { Metric = "rmsle" }), dir.Features, SilentObserver.Instance);

        var metrics = TabularProfile.Instance.TrainLightGbm(dir.Features, Quick, dir.Model, SilentObserver.Instance);
        var rows = TabularProfile.Instance.Submission(dir.Features, dir.Model, dir.Model, SilentObserver.Instance);

        Assert.Equal("rmsle", metrics.Metric);
        Assert.True(double.IsFinite(metrics.Cv) && metrics.Cv is > 0 and < 1, $"CV RMSLE {metrics.Cv}");
        Assert.Equal(3, metrics.Folds.Count);
        Assert.All(metrics.Folds, f => Assert.True(double.IsFinite(f.Score) && f.ValidRows > 0 && f.TrainRows > 0 && f.ValidFrom.Length == 0)); // blocks of days: no one span
        Assert.Equal(6_493, rows);
        var (header, ids, values) = ReadSubmission(Path.Combine(dir.Model, GepiiiStages.SubmissionFile));
        var sample = ReadLines(Path.Combine(data, "sampleSubmission.csv.gz"));
        Assert.Equal(sample[0], header);
        Assert.Equal(sample.Skip(1).Select(l => l[..l.IndexOf(',', StringComparison.Ordinal)]), ids);
        Assert.All(values, v => Assert.True(v >= 0 && double.IsFinite(v)));
    }

    [Fact]
    public void AdultIncomeIsBinaryWithAucAndStratifiedKFold()
    {
        using var dir = new StageFolders();
        var data = SharedData("adult-income");

        var summary = TabularProfile.Instance.Features(Request(data, new()), dir.Features, SilentObserver.Instance);
        var metrics = TabularProfile.Instance.TrainLightGbm(dir.Features, Quick, dir.Model, SilentObserver.Instance);
        TabularProfile.Instance.Submission(dir.Features, dir.Model, dir.Model, SilentObserver.Instance);

        Assert.Equal(("auc", "binary", "kfold"), (summary.Metric, summary.Task, summary.FoldKind));
        var meta = TabularProfile.ReadMeta(dir.Features);
        Assert.Equal(("id", "income_gt_50k", null), (meta.IdColumn, meta.Target, meta.TimeColumn));
        Assert.Null(meta.Classes);
        Assert.Contains("workclass", meta.Categorical);
        Assert.Contains("native_country", meta.Categorical);
        Assert.DoesNotContain("id", summary.FeatureNames);
        var schema = Schema(dir.Features);
        Assert.Equal(("categorical", "feature"), (schema["occupation"].Type, schema["occupation"].Role));
        Assert.True(schema["occupation"].Missing > 0, "UCI's missing occupations are empty cells");
        Assert.Equal("numeric", schema["age"].Type);

        Assert.Equal(3, metrics.Folds.Count);
        Assert.True(metrics.Cv > 0.9, $"CV AUC {metrics.Cv}");
        Assert.All(metrics.Folds, f => Assert.Equal(("", ""), (f.ValidFrom, f.ValidTo)));
        var (header, ids, values) = ReadSubmission(Path.Combine(dir.Model, GepiiiStages.SubmissionFile));
        var sample = ReadLines(Path.Combine(data, "sample_submission.csv.gz"));
        Assert.Equal(sample[0], header);
        Assert.Equal(sample.Skip(1).Select(l => l[..l.IndexOf(',', StringComparison.Ordinal)]), ids);
        Assert.All(values, v => Assert.InRange(v, 0, 1));
    }

    [Fact]
    public void TheWorkspaceRunnerRunsATabularDatasetAndCachesIt()
    {
        using var dir = new StageFolders();
        var options = new RunOptions
        {
            DataPath = SharedData("adult-income"),
            OutDir = Path.Combine(dir.Root, "out"),
            StateRoot = dir.Root,
            Gbm = Quick,
        };

        var result = GepiiiRun.Execute(options);
        var again = GepiiiRun.Execute(options);

        Assert.Equal("auc", result.Metric);
        Assert.True(result.Cv > 0.9, $"CV AUC {result.Cv}");
        Assert.Equal(result.Cv, again.Cv);
        Assert.Contains(result.Schema, c => c.Name == "income_gt_50k" && c.Role == "target");
        Assert.Null(result.OutOfFold.Value);
        Assert.Equal(16_281, TabularProfileTests.ReadSubmission(result.Submission).Ids.Count);
    }

    [Fact]
    public void DatesInEveryLayoutAreDatetimeColumns()
    {
        using var ds = new TabularDataset();
        ds.Train("id,iso,us,compact,plain,y",
            Enumerable.Range(0, 10).Select(i => $"{i},2014-10-{13 + i},10/{13 + i}/2014,201410{13 + i}T000000,201410{13 + i},{i}"));
        ds.Test("id,iso,us,compact,plain", Enumerable.Range(10, 3).Select(i => $"{i},2014-10-2{i - 9},10/2{i - 9}/2014,2014102{i - 9}T120000,2014102{i - 9}"));
        ds.Sample("id,y", Enumerable.Range(10, 3).Select(i => $"{i},0"));

        var schema = ds.Infer();

        Assert.All(new[] { "iso", "us", "compact", "plain" }, c => Assert.Equal("datetime", Column(schema, c).Type));
        Assert.Equal("iso", schema.TimeColumn);
        var features = TabularEncoder.Encode(schema, ds.Read("train.csv"), ds.Read("test.csv"));
        Assert.Contains("us_days", features.Names);
        Assert.Contains("iso_day", features.Names);
    }

    [Fact]
    public void MissingTokensAreCountedAndNumbersStayNumeric()
    {
        using var ds = new TabularDataset();
        ds.Train("id,x,y", ["1,1.5,1", "2,?,2", "3,NA,3", "4,,4", "5, n/a ,5", "6,None,6", "7,-2e3,7"]);
        ds.Test("id,x", ["8,null", "9,1"]);
        ds.Sample("id,y", ["8,0", "9,0"]);

        var schema = ds.Infer(new(Time: "none"));

        var x = Column(schema, "x");
        Assert.Equal(("numeric", "feature", 6L, 3), (x.Type, x.Role, x.Missing, x.Distinct));
        var features = TabularEncoder.Encode(schema, ds.Read("train.csv"), ds.Read("test.csv"));
        Assert.Equal([1.5f, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN, -2000f], features.Train[0]);
        Assert.Equal([float.NaN, 1f], features.Test[0]);
        Assert.Equal(("regression", "rmse"), (schema.Task, schema.Metric.Name));
    }

    [Fact]
    public void ANumberWhoseTestValuesAllLieOutsideTheTrainingRangeIsLeftOut()
    {
        using var ds = new TabularDataset();
        ds.Train("id,step,x,y", Enumerable.Range(0, 20).Select(i => $"{i},{i},{i % 4},{i * 1.5}"));
        ds.Test("id,step,x", ["100,40,1", "101,41,2"]);
        ds.Sample("id,y", ["100,0", "101,0"]);

        var schema = ds.Infer(new(Time: "none"));
        var features = TabularEncoder.Encode(schema, ds.Read("train.csv"), ds.Read("test.csv"));

        Assert.Equal(["x"], features.Names);
        Assert.Contains(features.Findings, f => f.Column == "step" && f.Finding.Contains("outside its training range [0, 19]", StringComparison.Ordinal));
    }

    [Fact]
    public void ATestBetweenTrainingDaysDropsDayCountersAndIsValidatedOnBlocksLikeIt()
    {
        // hourly rows; train holds days 1 to 10 of each month, test days 11 to 20: each test day falls between training days
        using var ds = new TabularDataset();
        var start = new DateTime(2020, 1, 1);
        var hours = Enumerable.Range(0, 24 * 120).Select(h => start.AddHours(h)).Where(t => t.Day <= 20).ToList();
        string Row(DateTime t, bool withTarget) => string.Create(CultureInfo.InvariantCulture,
            $"{t:yyyy-MM-dd HH:mm:ss},{t.Hour % 5},{(t.Hour * 7 + t.Day) % 11}{(withTarget ? $",{t.Hour + (t.Day % 3)}" : "")}");
        ds.Train("when,x,z,y", hours.Where(t => t.Day <= 10).Select(t => Row(t, true)));
        ds.Test("when,x,z", hours.Where(t => t.Day > 10).Select(t => Row(t, false)));
        ds.Sample("when,y", hours.Where(t => t.Day > 10).Select(t => $"{t:yyyy-MM-dd HH:mm:ss},0"));
        using var dir = new StageFolders();

        var summary = TabularProfile.Instance.Features(Request(ds.Root, new()), dir.Features, SilentObserver.Instance);

        Assert.Equal(("blocks", 10), (summary.FoldKind, summary.BlockDays));
        Assert.Contains("when_month", summary.FeatureNames);
        Assert.DoesNotContain("when_days", summary.FeatureNames);
        Assert.DoesNotContain("when_dayofyear", summary.FeatureNames);
        var findings = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Features, "quality.json"))).RootElement.ToString();
        Assert.Contains("fall between its training values", findings, StringComparison.Ordinal);
    }

    [Fact]
    public void ATestThatFollowsTrainingKeepsTheTrendAndForwardChains()
    {
        using var ds = new TabularDataset();
        var start = new DateTime(2020, 1, 1);
        ds.Train("when,x,y", Enumerable.Range(0, 24 * 90).Select(h => start.AddHours(h)).Select(t => $"{t:yyyy-MM-dd HH:mm:ss},{t.Hour % 5},{t.Hour}"));
        ds.Test("when,x", Enumerable.Range(24 * 90, 24 * 10).Select(h => start.AddHours(h)).Select(t => $"{t:yyyy-MM-dd HH:mm:ss},{t.Hour % 5}"));
        ds.Sample("when,y", Enumerable.Range(24 * 90, 24 * 10).Select(h => $"{start.AddHours(h):yyyy-MM-dd HH:mm:ss},0"));
        using var dir = new StageFolders();

        var summary = TabularProfile.Instance.Features(Request(ds.Root, new()), dir.Features, SilentObserver.Instance);

        Assert.Equal(("time", 0), (summary.FoldKind, summary.BlockDays));
        Assert.Contains("when_days", summary.FeatureNames);
    }

    [Fact]
    public void NeighbourFeaturesAreTheInputsOfTheRowsBeforeAndAfterInTimeAcrossTrainAndTest()
    {
        using var ds = new TabularDataset();
        // rows out of time order, and test rows interleaved: neighbours follow the clock, not the file
        ds.Train("when,x,kind,y", ["2024-01-01 02:00:00,30,b,3", "2024-01-01 00:00:00,10,a,1", "2024-01-01 04:00:00,50,a,5"]);
        ds.Test("when,x,kind", ["2024-01-01 03:00:00,40,b", "2024-01-01 01:00:00,20,b"]);
        ds.Sample("when,y", ["2024-01-01 03:00:00,0", "2024-01-01 01:00:00,0"]);

        var schema = ds.Infer(new(Task: "regression"));
        var features = TabularEncoder.Encode(schema, ds.Read("train.csv"), ds.Read("test.csv"));
        float[] Train(string name) => features.Train[Array.IndexOf(features.Names, name)];
        float[] Test(string name) => features.Test[Array.IndexOf(features.Names, name)];

        Assert.Equal([20f, float.NaN, 40f], Train("x_before"));
        Assert.Equal([40f, 20f, float.NaN], Train("x_after"));
        Assert.Equal([30f, 10f], Test("x_before"));
        Assert.Equal([50f, 30f], Test("x_after"));
        // the mean of up to three rows either side and itself: at 00:00 that is 00:00 to 03:00
        Assert.Equal(25f, Train("x_around")[1]);
        Assert.Contains(Array.IndexOf(features.Names, "kind_before"), features.Categorical);
        Assert.DoesNotContain("kind_around", features.Names);
    }

    [Fact]
    public void RepeatedTimesAreNotOneSeriesAndGetNoNeighbourFeatures()
    {
        using var ds = new TabularDataset();
        ds.Train("id,when,x,y", ["1,2024-01-01,1,1", "2,2024-01-01,2,2", "3,2024-01-02,3,3", "4,2024-01-03,4,4"]);
        ds.Test("id,when,x", ["5,2024-01-04,2"]);
        ds.Sample("id,y", ["5,0"]);

        var schema = ds.Infer(new(Task: "regression"));
        var features = TabularEncoder.Encode(schema, ds.Read("train.csv"), ds.Read("test.csv"));

        Assert.Equal("when", schema.TimeColumn);
        Assert.DoesNotContain(features.Names, n => n.EndsWith("_before", StringComparison.Ordinal));
        Assert.Contains(features.Findings, f => f.Finding.Contains("occurs twice, so rows are not one series", StringComparison.Ordinal));
    }

    [Fact]
    public void AnotherDateColumnKeepsItsDaysInARandomSplit()
    {
        // an opening day per row, spread over years: most test dates are no training date, yet the distance in days matters
        using var ds = new TabularDataset();
        var start = new DateTime(2000, 1, 1);
        ds.Train("id,opened,y", Enumerable.Range(0, 60).Select(i => $"{i},{start.AddDays(i * 97):yyyy-MM-dd},{i}"));
        ds.Test("id,opened", Enumerable.Range(0, 10).Select(i => $"{100 + i},{start.AddDays((i * 580) + 40):yyyy-MM-dd}"));
        ds.Sample("id,y", Enumerable.Range(0, 10).Select(i => $"{100 + i},0"));

        var schema = ds.Infer(new(Time: "none"));
        var features = TabularEncoder.Encode(schema, ds.Read("train.csv"), ds.Read("test.csv"));

        Assert.Contains("opened_days", features.Names);
    }

    [Fact]
    public void EventsAtIrregularTimesGetNoNeighbourFeatures()
    {
        using var ds = new TabularDataset();
        var start = new DateTime(2024, 1, 1);
        // gaps of 1, 2, 3, … minutes: no step is most of them
        var times = Enumerable.Range(1, 40).Select(i => start.AddMinutes(i * (i + 1) / 2)).ToList();
        ds.Train("id,when,x,y", times.Take(30).Select((t, i) => $"{i},{t:yyyy-MM-dd HH:mm:ss},{i % 4},{i % 3}"));
        ds.Test("id,when,x", times.Skip(30).Select((t, i) => $"{100 + i},{t:yyyy-MM-dd HH:mm:ss},{i % 4}"));
        ds.Sample("id,y", Enumerable.Range(0, 10).Select(i => $"{100 + i},0"));

        var schema = ds.Infer(new(Task: "regression"));
        var features = TabularEncoder.Encode(schema, ds.Read("train.csv"), ds.Read("test.csv"));

        Assert.Equal("when", schema.TimeColumn);
        Assert.Contains("x", features.Names);
        Assert.DoesNotContain(features.Names, n => n.EndsWith("_before", StringComparison.Ordinal));
        Assert.Contains(features.Findings, f => f.Finding.Contains("not at regular steps", StringComparison.Ordinal));
    }

    [Fact]
    public void StringIdsAreKeptAsWrittenThroughToTheSubmission()
    {
        using var ds = new TabularDataset();
        var colours = new[] { "red", "green", "blue" };
        ds.Train("key,colour,size,price", Enumerable.Range(0, 60).Select(i => $"item-{i:000},{colours[i % 3]},{i % 7},{(i % 3) * 10 + (i % 7)}"));
        ds.Test("key,colour,size", ["\"b, 1\",red,3", "007,blue,5", "x-9,purple,1"]);
        ds.Sample("key,price", ["\"b, 1\",0", "007,0", "x-9,0"]);
        using var dir = new StageFolders();

        TabularProfile.Instance.Features(Request(ds.Root, new()), dir.Features, SilentObserver.Instance);
        TabularProfile.Instance.TrainLightGbm(dir.Features, Quick with { MinLeafRows = 2 }, dir.Model, SilentObserver.Instance);
        TabularProfile.Instance.Submission(dir.Features, dir.Model, dir.Model, SilentObserver.Instance);

        var (header, ids, _) = ReadSubmission(Path.Combine(dir.Model, GepiiiStages.SubmissionFile));
        Assert.Equal("key,price", header);
        Assert.Equal(["\"b, 1\"", "007", "x-9"], ids);
        Assert.Equal(("id", "text"), (Schema(dir.Features)["key"].Role, Schema(dir.Features)["key"].Type));
        var quality = File.ReadAllText(Path.Combine(dir.Features, GepiiiStages.QualityFile));
        Assert.Contains("never seen in train (e.g. 'purple')", quality, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingTargetColumnIsRefusedWithTheOverride()
    {
        using var ds = new TabularDataset();
        ds.Train("id,x,y", ["1,1,1", "2,2,2"]);
        ds.Test("id,x", ["3,3"]);
        ds.Sample("id,target", ["3,0"]);

        var error = Assert.Throws<EsteiraException>(() => ds.Infer());

        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains("train.csv:1 column 'target': missing target column", error.Message, StringComparison.Ordinal);
        Assert.Contains("--target", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal("y", ds.Infer(new(Target: "y")).TargetColumn);
    }

    [Theory]
    [InlineData("id,x,y\n1,1,2\n2,2,abc\n3,3,4\n", "id,x\n3,3\n", "id,y\n3,0\n", "train.csv:3 column 'y': 'abc' is not a number")]
    [InlineData("id,x,y\n1,1,2\n2,2,-1\n3,1,1\n", "id,x\n3,3\n", "id,y\n3,0\n", "train.csv:3 column 'y': -1 is negative; rmsle needs a target ≥ 0")]
    [InlineData("id,x,y\n1,1,2\n2,2,5\n", "id,x\n3,3\n4,4\n3,5\n", "id,y\n3,0\n4,0\n", "test.csv:4 column 'id': id '3' repeats line 2")]
    [InlineData("id,x,y\n1,1,2\n2,2,5\n", "id,x\n3,3\n4,4\n", "id,y\n3,0\n5,0\n", "test.csv:3 column 'id': id '4' is not in")]
    [InlineData("id,x,y\n1,1,2\n2,2,5\n", "id,x\n3,3\n", "id,y\n3,0\n4,0\n", "sample_submission.csv:3 column 'id': id '4' is not in")]
    [InlineData("id,x,y\n1,1,2\n2,2\n", "id,x\n3,3\n", "id,y\n3,0\n", "train.csv:3: row has 2 fields, expected 3")]
    [InlineData("id,x,y\n1,1,\n2,2,5\n", "id,x\n3,3\n", "id,y\n3,0\n", "train.csv:2 column 'y': the target is missing")]
    public void BadInputIsOneLineNamingFileLineAndColumn(string train, string test, string sample, string expected)
    {
        using var ds = new TabularDataset();
        ds.Write("train.csv", train).Write("test.csv", test).Write("sample_submission.csv", sample);

        var error = Assert.Throws<EsteiraException>(() => ds.Infer(new(Metric: expected.Contains("rmsle", StringComparison.Ordinal) ? "rmsle" : null)));

        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void ATimeColumnSpanningLessThanTheFoldsNeedFallsBackToKFold()
    {
        using var ds = new TabularDataset();
        var rows = Enumerable.Range(0, 60).ToList();
        ds.Train("id,when,x,y", rows.Select(i => $"{i},2024-01-01 {i % 24:00}:00:00,{i % 7},{(i % 7) * 2}"));
        ds.Test("id,when,x", [$"100,2024-01-02 00:00:00,3"]);
        ds.Sample("id,y", ["100,0"]);
        using var dir = new StageFolders();

        var summary = TabularProfile.Instance.Features(Request(ds.Root, new()), dir.Features, SilentObserver.Instance);

        Assert.Equal("kfold", summary.FoldKind);
        Assert.Equal(3, summary.Folds.Count);
    }

    [Fact]
    public void AClassificationMetricOnARegressionTaskIsRefused()
    {
        using var ds = new TabularDataset();
        ds.Train("id,x,y", ["1,1,2.5", "2,2,3.5", "3,3,1"]);
        ds.Test("id,x", ["4,3"]);
        ds.Sample("id,y", ["4,0"]);

        var auc = Assert.Throws<EsteiraException>(() => ds.Infer(new(Metric: "auc")));
        var rmse = Assert.Throws<EsteiraException>(() => ds.Infer(new(Task: "binary", Metric: "rmse")));

        Assert.Contains("competition.metric: auc is a classification metric but the task is regression", auc.Message, StringComparison.Ordinal);
        Assert.Contains("has more than two distinct value(s)", rmse.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATwoStringTargetIsMappedToZeroAndOneInSortedOrder()
    {
        using var ds = new TabularDataset();
        ds.Train("id,x,answer", ["1,1,yes", "2,2,no", "3,3, yes", "4,4,no"]);
        ds.Test("id,x", ["5,3"]);
        ds.Sample("id,answer", ["5,0.5"]);

        var schema = ds.Infer();

        Assert.Equal(("binary", "auc"), (schema.Task, schema.Metric.Name));
        Assert.Equal(["no", "yes"], schema.Classes!);
        Assert.Equal([1f, 0f, 1f, 0f], schema.Label);
        Assert.Equal("no → 0, yes → 1", Column(schema, "answer").Note);
        Assert.Contains(schema.Findings, f => f.Finding.Contains("'no' is 0 and 'yes' is 1", StringComparison.Ordinal));
        Assert.Equal("regression", ds.Infer(new(Task: "regression", Target: "x")).Task);
    }

    [Fact]
    public void KFoldForABinaryTargetIsStratified()
    {
        var label = Enumerable.Range(0, 100).Select(i => i % 10 < 3 ? 1f : 0f).ToArray();

        var fold = TabularProfile.KFold(label, stratify: true, 3, seed: 42);

        var perFold = Enumerable.Range(1, 3).Select(f => (Rows: fold.Count(x => x == f), Ones: fold.Where((x, i) => x == f && label[i] == 1).Count())).ToList();
        Assert.All(perFold, p => Assert.Equal(10, p.Ones));
        Assert.All(perFold, p => Assert.InRange(p.Rows, 33, 34));
        Assert.Equal(fold, TabularProfile.KFold(label, stratify: true, 3, seed: 42));
        Assert.NotEqual(fold, TabularProfile.KFold(label, stratify: true, 3, seed: 7));
    }

    [Fact]
    public void KFoldFeaturesPutEachFoldsRowsTogetherInValid()
    {
        using var ds = new TabularDataset();
        ds.Train("id,x,y", Enumerable.Range(0, 50).Select(i => $"{i},{i % 5},{(i % 4 == 0 ? 1 : 0)}"));
        ds.Test("id,x", ["100,1", "101,2"]);
        ds.Sample("id,y", ["100,0.5", "101,0.5"]);
        using var dir = new StageFolders();

        var summary = TabularProfile.Instance.Features(Request(ds.Root, new(), folds: 1), dir.Features, SilentObserver.Instance);

        Assert.Equal(2, summary.Folds.Count); // at least two folds
        var valid = Path.Combine(dir.Features, "valid");
        var fold = ColumnTable.ReadInt(valid, "fold");
        var trainRow = ColumnTable.ReadInt(valid, "train_row");
        var trainFold = ColumnTable.ReadInt(Path.Combine(dir.Features, "train"), "fold");
        Assert.Equal(50, fold.Length);
        Assert.Equal(fold.Order(), fold);
        Assert.All(Enumerable.Range(0, 50), k => Assert.Equal(trainFold[trainRow[k]], fold[k]));
        Assert.Equal(ColumnTable.ReadFloat(valid, "label"), trainRow.Select(r => (r % 4 == 0) ? 1f : 0f));
    }

    [Fact]
    public void RecognisesPlainGzippedAndZippedLayoutsButNotGepiii()
    {
        using var ds = new TabularDataset();
        ds.Train("id,x,y", ["1,1,1", "2,2,2"]);
        ds.Test("id,x", ["3,3"]);
        ds.Write("sampleSubmission.csv", "id,y\n3,0\n");
        Assert.True(TabularProfile.Instance.Recognises(ds.Root));
        Assert.Equal(3, TabularProfile.Instance.DatasetHashes(ds.Root, new Esteira.Pipeline.Cache.FileHasher(Path.Combine(ds.Root, "state"))).Count);

        using (var gz = new GZipStream(File.Create(Path.Combine(ds.Root, "train.csv.gz")), CompressionLevel.Fastest))
        {
            gz.Write(File.ReadAllBytes(Path.Combine(ds.Root, "train.csv")));
        }

        File.Delete(Path.Combine(ds.Root, "train.csv"));
        Assert.True(TabularProfile.Instance.Recognises(ds.Root));
        Assert.Equal(2, ds.Infer().Label.Length);

        var zip = Path.Combine(Path.GetDirectoryName(ds.Root)!, Path.GetFileName(ds.Root) + ".zip");
        ZipFile.CreateFromDirectory(ds.Root, zip);
        try
        {
            Assert.True(TabularProfile.Instance.Recognises(zip));
            Assert.Single(TabularProfile.Instance.DatasetHashes(zip, new Esteira.Pipeline.Cache.FileHasher(Path.Combine(ds.Root, "state"))));
        }
        finally
        {
            File.Delete(zip);
        }

        File.Delete(Path.Combine(ds.Root, "sampleSubmission.csv"));
        Assert.False(TabularProfile.Instance.Recognises(ds.Root));
        Assert.Same(GepiiiProfile.Instance, CompetitionProfiles.Resolve(null, Repository.Sample));
    }

    [Fact]
    public void WhenTunedTheFinalModelHasTheLeavesAndIterationsCvChoseAndTheCvScoreIsTheirs()
    {
        using var ds = new TabularDataset();
        var random = new Random(3);
        string Row(int i, bool label)
        {
            var (a, b) = (random.NextDouble(), random.NextDouble());
            var y = (10 * a) + (a > 0.5 ? 5 * b : 0) + (random.NextDouble() * 3);
            return FormattableString.Invariant($"{i},{a:F4},{b:F4}") + (label ? FormattableString.Invariant($",{y:F3}") : "");
        }

        ds.Train("id,a,b,y", Enumerable.Range(0, 3_000).Select(i => Row(i, true)));
        ds.Test("id,a,b", Enumerable.Range(3_000, 500).Select(i => Row(i, false)));
        ds.Sample("id,y", Enumerable.Range(3_000, 500).Select(i => $"{i},0"));
        using var dir = new StageFolders();
        var messages = new List<string>();
        TabularProfile.Instance.Features(Request(ds.Root, new()), dir.Features, SilentObserver.Instance);

        var metrics = TabularProfile.Instance.TrainLightGbm(dir.Features, new GbmOptions { Tune = true }, dir.Model, new InfoRecorder(messages));

        var tuned = Assert.Single(messages, m => m.StartsWith("tuned on CV (mean fold rmse): ", StringComparison.Ordinal));
        var chosen = Regex.Matches(tuned, @"(\d+) leaves × (\d+) iterations (\d\.\d+)")
            .Select(m => (Leaves: int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Iterations: int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), Score: double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)))
            .MinBy(t => t.Score);
        var model = File.ReadAllText(Path.Combine(dir.Model, "model.txt"));
        Assert.Equal(chosen.Iterations, Regex.Count(model, @"^Tree=\d+$", RegexOptions.Multiline));
        Assert.All(Regex.Matches(model, @"^num_leaves=(\d+)$", RegexOptions.Multiline),
            m => Assert.InRange(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), 1, chosen.Leaves));

        // the reported CV is the pooled out-of-fold score of the chosen pair's fold models, not of some other pair
        var oof = ColumnTable.ReadFloat(Path.Combine(dir.Model, "oof"), "prediction");
        var label = ColumnTable.ReadFloat(Path.Combine(dir.Features, "valid"), "label");
        Assert.Equal(metrics.Cv, Math.Round(EvalMetric.Rmse.Score(oof, label), 5));
        Assert.InRange(chosen.Score, metrics.Folds.Min(f => f.Score) - 1e-3, metrics.Folds.Max(f => f.Score) + 1e-3);
    }

    private sealed class InfoRecorder(List<string> messages) : IRunObserver
    {
        public void StageStarted(string stage, long? total, string unit)
        {
        }

        public void Progress(long done)
        {
        }

        public void StageFinished(string stage, double seconds, string summary)
        {
        }

        public void Warn(string message) => messages.Add(message);

        public void Info(string message) => messages.Add(message);
    }

    [Fact]
    public void GbmParametersAreUnchangedByDefaultAndCarryObjectiveAndCategories()
    {
        var defaults = new GbmOptions { Threads = 2 };
        Assert.Equal(
            "objective=regression num_leaves=63 learning_rate=0.05 min_data_in_leaf=50 feature_fraction=0.8 bagging_fraction=1 bagging_freq=0 " +
            "lambda_l2=1 max_bin=255 seed=42 num_threads=2 force_row_wise=true verbosity=-1",
            defaults.Parameters);
        Assert.EndsWith("verbosity=-1 categorical_feature=0,3", (defaults with { CategoricalFeatures = [0, 3] }).Parameters, StringComparison.Ordinal);
        Assert.StartsWith("objective=binary ", (defaults with { Objective = "binary" }).Parameters, StringComparison.Ordinal);
    }

    [Fact]
    public void WritePredictionsRefusesProbabilitiesOutsideZeroOne()
    {
        using var dir = new StageFolders();
        TabularProfile.Instance.Features(Request(SharedData("adult-income"), new()), dir.Features, SilentObserver.Instance);
        var valid = ColumnTable.Rows(Path.Combine(dir.Features, "valid"));
        var test = ColumnTable.Rows(Path.Combine(dir.Features, "test"));
        var oof = Enumerable.Repeat(0.5f, valid).ToArray();
        oof[7] = 1.5f;

        var error = Assert.Throws<EsteiraException>(() => TabularProfile.Instance.WritePredictions(dir.Features, oof, new float[test], [], dir.Model));
        var tooFew = Assert.Throws<EsteiraException>(() => TabularProfile.Instance.WritePredictions(dir.Features, new float[valid], new float[test - 1], [], dir.Model));

        Assert.Equal("oof: row 7: value 1.5 is not a probability; auc needs values in [0, 1]; fix the model's predictions", error.Message);
        Assert.Contains("expected 16,281 (one per row of test/)", tooFew.Message, StringComparison.Ordinal);
    }

    private static FeaturesRequest Request(string data, CompetitionSettings settings, int folds = 3) => new(data, folds, false, 42, settings);

    private static Dictionary<string, Esteira.Data.Tabular.TabularColumn> Schema(string features) =>
        JsonSerializer.Deserialize<List<Esteira.Data.Tabular.TabularColumn>>(File.ReadAllText(Path.Combine(features, GepiiiRun.SchemaFile)), EsteiraJson.Options)!.ToDictionary(c => c.Name);

    private static TabularColumn Column(TabularSchema schema, string name) => schema.Columns.Single(c => c.Name == name);

    /// <summary>The submission's header line, its ids as written (quotes kept) and its values.</summary>
    internal static (string Header, List<string> Ids, List<double> Values) ReadSubmission(string path)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        var header = reader.ReadLine()!;
        var (ids, values) = (new List<string>(), new List<double>());
        while (reader.ReadLine() is { } line)
        {
            var comma = line.LastIndexOf(',');
            ids.Add(line[..comma]);
            values.Add(double.Parse(line[(comma + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        }

        return (header, ids, values);
    }

    /// <summary>A temporary folder with the features and model folders the tabular stages write into.</summary>
    private sealed class StageFolders : IDisposable
    {
        private readonly TempFolder _folder = new("esteira-tabular-");

        public StageFolders()
        {
            Features = Directory.CreateDirectory(_folder.Combine("features")).FullName;
            Model = Directory.CreateDirectory(_folder.Combine("model")).FullName;
        }

        public string Root => _folder.Path;
        public string Features { get; }
        public string Model { get; }

        public void Dispose() => _folder.Dispose();
    }

    /// <summary>A small tabular competition written in a temporary folder.</summary>
    private sealed class TabularDataset : IDisposable
    {
        private readonly TempFolder _folder = new("esteira-tabular-data-");

        public string Root => _folder.Path;

        public TabularDataset Write(string name, string text)
        {
            File.WriteAllText(Path.Combine(Root, name), text);
            return this;
        }

        public void Train(string header, IEnumerable<string> rows) => Write("train.csv", Lines(header, rows));

        public void Test(string header, IEnumerable<string> rows) => Write("test.csv", Lines(header, rows));

        public void Sample(string header, IEnumerable<string> rows) => Write("sample_submission.csv", Lines(header, rows));

        public RawTable Read(string file)
        {
            using var source = DatasetSource.Open(Root);
            return TabularFiles.Read(source, file);
        }

        public TabularSchema Infer(TabularOptions? options = null)
        {
            using var source = DatasetSource.Open(Root);
            return TabularSchema.Infer(TabularFiles.Read(source, "train.csv"), TabularFiles.Read(source, "test.csv"),
                TabularFiles.Read(source, TabularFiles.SampleName(source)!), options ?? new());
        }

        public void Dispose() => _folder.Dispose();

        private static string Lines(string header, IEnumerable<string> rows) => string.Join("\n", rows.Prepend(header)) + "\n";
    }
}
