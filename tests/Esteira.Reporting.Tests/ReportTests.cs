using System.Globalization;
using System.Text.RegularExpressions;
using Esteira.Artifacts;
using Esteira.Pipeline;
using Esteira.Pipeline.Cache;
using Esteira.Reporting.Report;
using Esteira.Tracking;

namespace Esteira.Reporting.Tests;

/// <summary>esteira report on real cached results and a real tracking store.</summary>
[Collection(TrainedGroup.Name)]
public sealed class ReportTests(TrainedWorkspace trained)
{
    private static string F5(double v) => v.ToString("0.00000", CultureInfo.InvariantCulture);

    private static string Signed(double v) => v.ToString("+0.00000;-0.00000;0.00000", CultureInfo.InvariantCulture);

    private static Task<ReportResult> ReportAsync(Workspace workspace, ReportRequest? request = null, Func<string, string?>? environment = null) =>
        Reports.WriteAsync(workspace, request ?? new ReportRequest { OutDir = Path.Combine(workspace.Root, "out", "report") }, environment ?? (_ => null));

    [Fact]
    public async Task Against_the_champion_the_report_has_metrics_deltas_folds_gate_and_segment_changes()
    {
        // Given the trained workspace: run 2 is the current result, run 1 the champion
        var workspace = trained.Clone();

        // When
        var result = await ReportAsync(workspace);

        // Then the Markdown is written where asked, and the headline is the current result against the champion
        var markdown = await File.ReadAllTextAsync(result.ReportPath);
        Assert.Equal(Path.Combine(workspace.Root, "out", "report", "report.md"), result.ReportPath);
        Assert.Equal(result.Markdown, markdown);
        var challenger = trained.ChallengerMetrics;
        var champion = trained.ChampionMetrics;
        var delta = challenger.Cv - champion.Cv;
        var headline = Assert.Single(result.Experiments);
        Assert.Equal($"champion (version 1, run {trained.ChampionRun})", headline.Baseline);
        Assert.Equal(champion.Cv, headline.BaselineCvRmsle);
        Assert.Equal(trained.ChallengerRun, headline.RunId);
        Assert.Equal(trained.Verdict.Passed, headline.GatePassed);
        Assert.True(headline.SegmentsCompared);
        Assert.Empty(result.Notes);

        // The metrics table: this result, the champion, the change
        Assert.Contains($"| cv_rmsle | {F5(challenger.Cv)} | {F5(champion.Cv)} | {Signed(delta)} |", markdown, StringComparison.Ordinal);
        Assert.Contains($"| `baseline` | {F5(challenger.Cv)} | champion (version 1, run {trained.ChampionRun}) | {F5(champion.Cv)} | {Signed(delta)} (", markdown, StringComparison.Ordinal);

        // One row per fold, from metrics.json, with the champion's fold score and the change
        Assert.Equal(2, challenger.Folds.Count);
        foreach (var fold in challenger.Folds)
        {
            var before = champion.Folds.Single(f => f.Fold == fold.Fold).Score;
            Assert.Contains(
                $"| {fold.Fold} | {fold.ValidFrom} … {fold.ValidTo} | {fold.ValidRows:N0} | {F5(fold.Score)} | {F5(before)} | {Signed(fold.Score - before)} |",
                markdown, StringComparison.Ordinal);
        }

        // The stored gate verdict, condition by condition
        Assert.Contains($"#### Gate: {(trained.Verdict.Passed ? "passed" : "**failed**")}", markdown, StringComparison.Ordinal);
        foreach (var condition in trained.Verdict.Conditions)
        {
            Assert.Contains($"| {condition.Name} |", markdown, StringComparison.Ordinal);
        }

        // Per-segment changes on the same rows: the meter, both sites, both buildings
        Assert.Contains("#### Error change by segment", markdown, StringComparison.Ordinal);
        foreach (var segment in new[] { "meter 0", "site 0", "site 1", "building 1", "building 7" })
        {
            Assert.Matches($@"\| {segment} \| [\d,]+ \| \d\.\d{{5}} \| \d\.\d{{5}} \| [+-]?\d\.\d{{5}} \|", markdown);
        }

        // Feature importance: the top feature of metrics.json heads the table
        Assert.Contains($"| `{challenger.Importance.OrderByDescending(f => f.Gain).First().Feature}` |", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_figure_is_a_png_that_decodes_at_its_declared_size()
    {
        var workspace = trained.Clone();

        var result = await ReportAsync(workspace);

        // Then the referenced PNGs are exactly the ones written, each referenced relatively
        var referenced = Regex.Matches(result.Markdown, @"!\[[^\]]*\]\(([^)]+)\)").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(referenced.Order(), result.Figures.Select(Path.GetFileName).Order());
        string[] expected =
        [
            "baseline-predicted-vs-actual.png", "baseline-residuals-by-hour.png", "baseline-residuals-by-weekday.png",
            "baseline-residuals-by-building.png", "baseline-feature-importance.png", "baseline-segment-changes.png",
        ];
        Assert.Equal(expected.Order(), referenced.Order());

        // And each decodes with the size the report declares: 900 wide; one 260-pixel panel per building for the traces
        foreach (var file in result.Figures)
        {
            var image = new ScottPlot.Image(file);
            Assert.Equal(ReportPlots.Width, image.Width);
            var height = Path.GetFileName(file) == "baseline-predicted-vs-actual.png" ? 2 * ReportPlots.TraceHeight : ReportPlots.Height;
            Assert.Equal(height, image.Height);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(file)[..4]);
        }

        Assert.Empty(Directory.GetFiles(result.OutDir, "*.tmp*"));
    }

    [Fact]
    public async Task Html_has_the_same_tables_and_images()
    {
        var workspace = trained.Clone();
        var result = await ReportAsync(workspace, new ReportRequest { OutDir = Path.Combine(workspace.Root, "html"), Format = ReportFormat.Html });

        var html = await File.ReadAllTextAsync(result.ReportPath);
        Assert.Equal("report.html", Path.GetFileName(result.ReportPath));
        Assert.False(File.Exists(Path.Combine(workspace.Root, "html", "report.md")));
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains($"<td>cv_rmsle</td><td class=\"r\">{F5(trained.ChallengerMetrics.Cv)}</td>", html, StringComparison.Ordinal);
        Assert.Contains("<img src=\"baseline-residuals-by-hour.png\" alt=\"residuals by hour of day\" width=\"900\" height=\"450\">", html, StringComparison.Ordinal);
        Assert.Contains("<code>baseline</code>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Against_a_run_id_compares_with_that_run()
    {
        var workspace = trained.Clone();
        var result = await ReportAsync(workspace, new ReportRequest { OutDir = Path.Combine(workspace.Root, "r"), Against = trained.ChampionRun.ToString(CultureInfo.InvariantCulture) });

        Assert.Equal($"run {trained.ChampionRun} (baseline)", result.Experiments[0].Baseline);
        Assert.True(result.Experiments[0].SegmentsCompared);

        var error = await Assert.ThrowsAsync<EsteiraException>(() => ReportAsync(workspace, new ReportRequest { OutDir = "x", Against = "best" }));
        Assert.Equal(ErrorCode.Usage, error.Code);
        Assert.Contains("'champion' or a run id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_gate_already_promoted_this_result_it_is_compared_with_the_champion_it_replaced()
    {
        // Given the current result promoted to champion, as a passing gate does
        var workspace = trained.Clone();
        await using (var store = await TrackingStores.OpenAsync(workspace.Tracking, workspace.Root))
        {
            await Promotion.PromoteAsync(store, trained.ChallengerRun, trained.Workspace.ChampionModel, AliasChangeKind.Gate, "gate passed", "esteira gate");
        }

        // When
        var result = await ReportAsync(workspace);

        // Then the comparison is with the champion the gate replaced, not with itself
        var headline = result.Experiments[0];
        Assert.Equal($"previous champion (run {trained.ChampionRun})", headline.Baseline);
        Assert.Equal(trained.ChampionMetrics.Cv, headline.BaselineCvRmsle);
        Assert.True(headline.SegmentsCompared);
        Assert.DoesNotContain("**is** the run it is compared with", result.Markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_tracking_store_the_report_says_so_and_still_has_the_scores()
    {
        // Given a report with a champion comparison, then no tracking database at all
        var workspace = trained.Clone();
        var before = await ReportAsync(workspace);
        Assert.True(File.Exists(Path.Combine(before.OutDir, "baseline-segment-changes.png")));
        foreach (var file in Directory.GetFiles(workspace.StateFolder, "esteira.db*"))
        {
            File.Delete(file);
        }

        // When
        var result = await ReportAsync(workspace);

        // Then it says why there is no comparison, creates no database, and still lists the folds
        Assert.Contains(result.Notes, n => n.Contains("No tracking store yet", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(workspace.StateFolder, "esteira.db")));
        Assert.Null(result.Experiments[0].Baseline);
        Assert.Contains("no tracking store, so no champion to compare with", result.Markdown, StringComparison.Ordinal);
        Assert.Contains($"| cv_rmsle | {F5(trained.ChallengerMetrics.Cv)} |", result.Markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("Error change by segment", result.Markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("segment-changes.png", result.Markdown, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(result.OutDir, "baseline-segment-changes.png")), "a stale figure from the earlier report is left behind");
    }

    [Fact]
    public async Task Scored_submissions_plot_cv_against_public_score()
    {
        // Given two submissions in the ledger with both scores, and one still pending
        var workspace = trained.Clone();
        await using (var store = await TrackingStores.OpenAsync(workspace.Tracking, workspace.Root))
        {
            await store.AddSubmissionAsync(new NewSubmission { RunId = trained.ChampionRun, FileSha256 = new string('a', 64), Target = "leaderboard:local", CvScore = 0.40, PublicScore = 0.43 });
            await store.AddSubmissionAsync(new NewSubmission { RunId = trained.ChallengerRun, FileSha256 = new string('b', 64), Target = "leaderboard:local", CvScore = 0.38, PublicScore = 0.42 });
            await store.AddSubmissionAsync(new NewSubmission { FileSha256 = new string('c', 64), Target = "leaderboard:local", CvScore = 0.37 });
        }

        var result = await ReportAsync(workspace);

        Assert.Contains("2 scored submission(s); public − CV is +0.03500 on average (from +0.03000 to +0.04000).", result.Markdown, StringComparison.Ordinal);
        var figure = Assert.Single(result.Figures, f => Path.GetFileName(f) == "cv-vs-public.png");
        var image = new ScottPlot.Image(figure);
        Assert.Equal((ReportPlots.Width, ReportPlots.Height), (image.Width, image.Height));
    }

    [Fact]
    public async Task With_a_tracking_store_but_no_champion_the_report_says_so()
    {
        // Given ESTEIRA_TRACKING_URI naming an empty store (it overrides esteira.yaml's tracking:)
        var workspace = trained.Clone();
        var uri = "sqlite:" + Path.Combine(workspace.Root, "empty.db");
        await (await TrackingStores.OpenAsync(uri, workspace.Root)).DisposeAsync();

        var result = await ReportAsync(workspace, environment: n => n == Stores.TrackingVariable ? uri : null);

        Assert.Contains($"no champion for model '{workspace.ChampionModel}' yet", result.Markdown, StringComparison.Ordinal);
        Assert.Contains("No gate verdict: no tracked run matches this result", result.Markdown, StringComparison.Ordinal);
        Assert.Null(result.Experiments[0].BaselineCvRmsle);
    }

    [Fact]
    public async Task A_champion_computed_elsewhere_is_compared_from_the_artifact_store()
    {
        // Given the champion's entry only in the artifact store, not in the local cache
        var workspace = trained.Clone();
        var storeFolder = trained.NewFolder("store");
        await CacheSync.PushAsync(workspace.StateFolder, ArtifactStores.Open(storeFolder, workspace.Root));
        Directory.Delete(Path.Combine(workspace.StateFolder, "cache", trained.ChampionKey), recursive: true);

        // When the store is known, the segments are compared; when it is not, the report says what is missing
        var withStore = await ReportAsync(workspace, new ReportRequest { OutDir = Path.Combine(workspace.Root, "a") },
            n => n == Stores.ArtifactsVariable ? storeFolder : null);
        var withoutStore = await ReportAsync(workspace with { Artifacts = null }, new ReportRequest { OutDir = Path.Combine(workspace.Root, "b") });

        Assert.True(withStore.Experiments[0].SegmentsCompared);
        Assert.Contains("| building 7 |", withStore.Markdown, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(workspace.StateFolder, "tmp")));
        Assert.False(Directory.Exists(Path.Combine(workspace.StateFolder, "cache", trained.ChampionKey)));
        Assert.False(withoutStore.Experiments[0].SegmentsCompared);
        Assert.Contains($"Not available: the outputs of run {trained.ChampionRun} (key {trained.ChampionKey[..12]}…) are neither in the local cache nor in the artifact store",
            withoutStore.Markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Results_that_are_not_cached_are_an_error_that_says_run_esteira_run_first()
    {
        // Given a workspace that never ran
        var fresh = trained.Fresh();

        // When / Then (library)
        var error = await Assert.ThrowsAsync<EsteiraException>(() => ReportAsync(fresh));
        Assert.Equal(ErrorCode.NotFound, error.Code);
        Assert.Contains("features: no cached result for the current inputs (it would run because it never ran here before); run esteira run first", error.Message, StringComparison.Ordinal);

        // And the CLI prints one line and exits 2
        var (exit, _, stderr) = Cli.Run(fresh.Root, new Dictionary<string, string>(), "report");
        Assert.Equal(2, exit);
        Assert.StartsWith("error: features: no cached result", stderr, StringComparison.Ordinal);
        Assert.Contains("run esteira run first", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_experiment_that_did_not_train_is_noted_and_the_others_are_reported()
    {
        // Given a second experiment that never ran
        var workspace = trained.Clone();
        Directory.CreateDirectory(Path.Combine(workspace.Root, "experiments", "wider"));
        File.WriteAllText(Path.Combine(workspace.Root, "experiments", "wider", Workspace.ExperimentFile), "kind: lightgbm\nparams:\n  leaves: 31\n");
        workspace = Workspace.Load(workspace.Root);

        var result = await ReportAsync(workspace);

        Assert.Equal(["baseline"], result.Experiments.Select(e => e.Experiment));
        Assert.Contains("train:wider: no cached result for the current inputs (it would run because it never ran here before); run esteira run first", result.Notes.Single(), StringComparison.Ordinal);
        Assert.Contains("- train:wider: no cached result", result.Markdown, StringComparison.Ordinal);

        // And asked for that experiment alone, it is an error
        var error = await Assert.ThrowsAsync<EsteiraException>(() => ReportAsync(workspace, new ReportRequest { OutDir = "x", Experiment = "wider" }));
        Assert.StartsWith("train:wider: no cached result", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Residual_statistics_and_segment_changes_are_computed_per_bucket()
    {
        // Residuals +1, -1, +3 in bucket 0 and 0.5 in bucket 5
        var stats = ReportAnalysis.ByBucket([0, 0, 5, 0], [1f, -1f, 0.5f, 3f]);
        Assert.Equal([0, 5], stats.Select(s => s.Bucket));
        Assert.Equal(3, stats[0].Rows);
        Assert.Equal(1, stats[0].Mean, 6);
        Assert.Equal(Math.Sqrt(11.0 / 3), stats[0].Rmse, 6);
        Assert.Equal(1, stats[0].Median, 6);
        Assert.Equal(0, stats[0].Q25, 6);
        Assert.Equal(0.5, stats[1].Median, 6);

        // The challenger halves building 2's error and doubles building 1's: building 2 changes most
        var changes = ReportAnalysis.Changes("building", [1, 2, 2], [0.1f, 0.8f, 0.8f], [0.2f, 0.4f, 0.4f]);
        Assert.Equal([2, 1], changes.Select(c => c.Value));
        Assert.Equal(-0.4, changes[0].Delta, 6);
        Assert.Equal(0.1, changes[1].Delta, 6);
        Assert.Equal(2, changes[0].Rows);

        // A long trace becomes daily means at noon
        var daily = ReportAnalysis.DailyMeans(new SeriesTrace(1, 0, [0, 1, 24, 47], [1, 3, 10, 20], [2, 2, 5, 5]));
        Assert.True(daily.Daily);
        Assert.Equal([12, 36], daily.Time);
        Assert.Equal([2.0, 15.0], daily.Actual);
        Assert.Equal([2.0, 5.0], daily.Predicted);
    }
}
