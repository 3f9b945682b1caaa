using Esteira.Data;
using Esteira.Pipeline.Baselines;

namespace Esteira.Pipeline.Tests;

using Cli = Esteira.Testing.Cli;

/// <summary>The recent_profile / profile experiments: naive baselines tracked and gated like any model.</summary>
public sealed class BaselineExperimentTests
{
    private const int Week = 168;

    /// <summary>Two series, ten weeks hourly, noisy labels; series 1 starts a week late.</summary>
    private static (int[] Series, int[] Time, float[] Label, byte[] Keep) History(int seed)
    {
        var random = new Random(seed);
        var (series, time, label) = (new List<int>(), new List<int>(), new List<float>());
        for (var s = 0; s < 2; s++)
        {
            for (var h = s * Week; h < 10 * Week; h++)
            {
                series.Add(s);
                time.Add(100_000 + h);
                label.Add((float)(2 + s + (0.5 * Math.Sin(h / 3.0)) + random.NextDouble()));
            }
        }

        return ([.. series], [.. time], [.. label], [.. Enumerable.Repeat((byte)1, series.Count)]);
    }

    private static float[] PredictAt(SeasonalProfile model, int cutoff) =>
        [.. Enumerable.Range(0, 2).SelectMany(s => Enumerable.Range(cutoff, 3 * Week).Select(h => model.PredictLog(s, h, cutoff)))];

    [Theory]
    [InlineData(8, ProfileStatistic.Median)]
    [InlineData(0, ProfileStatistic.Mean)]
    public void A_profile_uses_no_reading_at_or_after_its_cutoff(int weeks, ProfileStatistic statistic)
    {
        var (series, time, label, keep) = History(1);
        var cutoff = 100_000 + (6 * Week) + 5;
        var options = new ProfileOptions(weeks, statistic);
        var before = PredictAt(new SeasonalProfile(series, time, label, keep, options), cutoff);

        // every reading at or after the cutoff changes (and some are dropped): the predictions do not move
        var later = (float[])label.Clone();
        var laterKeep = (byte[])keep.Clone();
        for (var i = 0; i < later.Length; i++)
        {
            if (time[i] >= cutoff)
            {
                later[i] += 3;
                laterKeep[i] = (byte)(i % 2);
            }
        }

        Assert.Equal(before, PredictAt(new SeasonalProfile(series, time, later, laterKeep, options), cutoff));

        // a reading before the cutoff changes: they do
        var earlier = (float[])label.Clone();
        for (var i = 0; i < earlier.Length; i++)
        {
            earlier[i] += time[i] < cutoff ? 1 : 0;
        }

        Assert.NotEqual(before, PredictAt(new SeasonalProfile(series, time, earlier, keep, options), cutoff));
    }

    [Fact]
    public void The_recent_profile_follows_the_last_weeks_per_weekday_and_hour()
    {
        // level 1 for eight weeks, then a weekly pattern (weekday × 24 + hour) / 100 for eight more
        var hours = Enumerable.Range(0, 16 * Week).Select(h => 100_000 + h).ToArray();
        float Pattern(int h) => ((Timestamps.Weekday(h) * 24) + Timestamps.HourOfDay(h)) / 100f;
        var label = hours.Select((h, i) => i < 8 * Week ? 1f : Pattern(h)).ToArray();
        var keep = Enumerable.Repeat((byte)1, hours.Length).ToArray();
        var model = new SeasonalProfile(new int[hours.Length], hours, label, keep, ProfileOptions.Recent);
        var end = hours[^1] + 1;
        foreach (var h in Enumerable.Range(end + 1000, Week))
        {
            Assert.Equal(Pattern(h), model.PredictLog(0, h, end), 5);
        }

        // the all-history mean mixes in the old level; a series with nothing before the cutoff, or unknown, is 0
        var all = new SeasonalProfile(new int[hours.Length], hours, label, keep, new ProfileOptions(0, ProfileStatistic.Mean));
        Assert.Equal((1 + Pattern(end + 5)) / 2, all.PredictLog(0, end + 5, end), 5);
        Assert.Equal(0, model.PredictLog(0, hours[0], hours[0]));
        Assert.Equal(0, model.PredictLog(-1, end, end));
    }

    [Theory]
    [InlineData("kind: recent_profile\nparams:\n  statistic: mode\n", "'mode' is not a profile statistic")]
    [InlineData("kind: profile\nparams:\n  iterations: 5\n", "iterations")]
    [InlineData("kind: recent_profile\nparams:\n  weeks: -1\n", "weeks")]
    public void Bad_baseline_params_are_refused_naming_the_key(string yaml, string expected)
    {
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds, yaml);
        var error = Assert.Throws<EsteiraException>(() => Workspace.Load(root));
        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Baselines_are_scored_on_the_same_folds_from_readings_before_each_origin_only()
    {
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        AddExperiment(root, "seasonal", "kind: profile\nparams:\n  statistic: mean\n");
        AddExperiment(root, "recent", "kind: recent_profile\nparams:\n  weeks: 2\n");

        var run = WorkspaceRunner.Run(Workspace.Load(root), new RunRequest { OutDir = Path.Combine(root, "out") }, SilentObserver.Instance);
        Assert.Equal(3, run.Experiments.Count);
        foreach (var e in run.Experiments)
        {
            Assert.Equal(run.Features.Folds.Count, e.Metrics.Folds.Count);
            Assert.InRange(e.Metrics.Cv, 0, 5);
            Assert.True(File.Exists(e.Submission));
        }

        // the recent profile's out-of-fold predictions do not move when every training reading at or after the first
        // fold's origin changes (features copied, labels perturbed, the experiment rerun on the copy)
        var recent = run.Experiments.Single(e => e.Name == "recent");
        var oof = ColumnTable.ReadFloat(Path.Combine(recent.ModelFolder, "oof"), "prediction");
        var firstOrigin = run.Features.Folds.Min(f => f.Origin);
        var copy = Path.Combine(ds.Root, "features-copy");
        CopyFolder(run.FeaturesFolder, copy);
        var time = ColumnTable.ReadInt(Path.Combine(copy, "train"), "time");
        var label = ColumnTable.ReadFloat(Path.Combine(copy, "train"), "label");
        var fold = ColumnTable.ReadInt(Path.Combine(copy, "valid"), "fold");
        for (var i = 0; i < label.Length; i++)
        {
            label[i] += time[i] >= firstOrigin ? 5 : 0;
        }

        ColumnTable.Write(Path.Combine(ds.Root, "scratch"), [("label", label)]);
        File.Copy(Path.Combine(ds.Root, "scratch", "label.npy"), Path.Combine(copy, "train", "label.npy"), overwrite: true);
        var output = Directory.CreateDirectory(Path.Combine(ds.Root, "rerun")).FullName;
        SeasonalProfile.Run("recent", "recent_profile", new ProfileOptions(2, ProfileStatistic.Median), copy, Profiles.GepiiiProfile.Instance, output, SilentObserver.Instance);
        var rerun = ColumnTable.ReadFloat(Path.Combine(output, "oof"), "prediction");
        var firstFold = run.Features.Folds.First(f => f.Origin == firstOrigin).Index;
        var rows = Enumerable.Range(0, fold.Length).Where(k => fold[k] == firstFold).ToArray();
        Assert.NotEmpty(rows);
        Assert.Equal(rows.Select(k => oof[k]), rows.Select(k => rerun[k]));

        // while its test predictions, which may use all of training, do move
        Assert.NotEqual(ColumnTable.ReadFloat(Path.Combine(recent.ModelFolder, "test"), "prediction"), ColumnTable.ReadFloat(Path.Combine(output, "test"), "prediction"));
    }

    [Fact]
    [Trait("Category", "Slow")] // two esteira processes end to end
    public void The_templates_recent_profile_is_tracked_and_gated_beside_lightgbm()
    {
        using var ds = new TempDataset();
        var root = TestWorkspace.Create(ds, withRecentProfile: true);
        Assert.Contains("kind: recent_profile", File.ReadAllText(Path.Combine(root, "experiments", "recent-profile", Workspace.ExperimentFile)), StringComparison.Ordinal);

        var run = Cli.Esteira(root, "run");
        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains("baseline: tracked as run", run.Out, StringComparison.Ordinal);
        Assert.Contains("recent-profile: tracked as run", run.Out, StringComparison.Ordinal);
        Assert.Contains("is now the champion", run.Out, StringComparison.Ordinal);

        var runs = Cli.Esteira(root, "runs", "list", "--json");
        Assert.True(runs.Exit == 0, runs.Err);
        Assert.Contains("recent-profile", runs.Out, StringComparison.Ordinal);
    }

    private static void AddExperiment(string root, string name, string yaml)
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, "experiments", name)).FullName;
        File.WriteAllText(Path.Combine(folder, "experiment.yaml"), yaml);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
        }
    }
}
