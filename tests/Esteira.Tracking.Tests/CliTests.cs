using System.Text.Json;
using Esteira.Cli;
using Spectre.Console;
using Xunit;

namespace Esteira.Tracking.Tests;

/// <summary>The tracking commands end to end: real CLI, real SQLite file.</summary>
public sealed class CliTests : IAsyncLifetime
{
    private readonly TempFolder _dir = new();
    private string Uri => $"sqlite:{Path.Combine(_dir.Path, "cli.db")}";

    private long _a, _b, _c;

    public async Task InitializeAsync()
    {
        await using var store = await TrackingStores.OpenAsync(Uri, _dir.Path);
        _a = await Finished(store, "lgbm", new() { ["leaves"] = "63", ["seed"] = "42" }, 0.45, 0.44, 0.46);
        _b = await Finished(store, "lgbm", new() { ["leaves"] = "127", ["seed"] = "42" }, 0.43, 0.42, 0.44);
        _c = await Finished(store, "xgb", new() { ["depth"] = "8" }, 0.47);
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    private static async Task<long> Finished(ITrackingStore store, string experiment, Dictionary<string, string> parameters, double rmsle, params double[] folds)
    {
        var id = await store.StartRunAsync(new NewRun { Experiment = experiment, Params = parameters, Lineage = new RunLineage { GitCommit = "abc123" } });
        await store.LogMetricsAsync(id, [new MetricPoint("cv_rmsle", rmsle), .. folds.Select((f, i) => new MetricPoint("cv_rmsle", f, Fold: i))]);
        await store.LogStagesAsync(id, [new StageDuration("train", 12.5)]);
        await store.FinishRunAsync(id, RunStatus.Finished);
        return id;
    }

    private (int Exit, string Out, string Err) Run(params string[] args) => RunOn(Uri, args);

    private static (int Exit, string Out, string Err) RunOn(string tracking, params string[] args) => RunOn(tracking, 200, args);

    private static (int Exit, string Out, string Err) RunOn(string tracking, int width, params string[] args)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = width;
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try
        {
            var exit = EsteiraApp.Run([.. args, "--tracking", tracking], console);
            return (exit, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetError(previous);
        }
    }

    [Fact]
    public void List_sorts_by_metric_and_prints_a_table()
    {
        var (exit, output, _) = Run("runs", "list", "--sort", "cv_rmsle");

        Assert.Equal(0, exit);
        var rows = output.Split('\n').Where(l => l.Contains("finished", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, rows.Count);
        Assert.Contains("0.43", rows[0], StringComparison.Ordinal);
        Assert.Contains("0.47", rows[2], StringComparison.Ordinal);
    }

    [Fact]
    public void List_in_an_80_column_terminal_keeps_each_run_on_one_line()
    {
        var (exit, output, _) = RunOn(Uri, 80, "runs", "list", "--sort", "cv_rmsle");

        Assert.Equal(0, exit);
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"{l.Length} columns: {l}"));
        var rows = lines.Where(l => l.Contains("finished", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, rows.Count); // one line per run: no value is wrapped onto a second
        Assert.Contains("0.43", rows[0], StringComparison.Ordinal);
        Assert.Contains("cv_rmsle", lines.First(l => l.Contains("experiment", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public void List_as_json_filters_by_experiment()
    {
        var (exit, output, _) = Run("runs", "list", "--experiment", "lgbm", "--json");

        Assert.Equal(0, exit);
        var runs = JsonSerializer.Deserialize<List<RunSummary>>(output, EsteiraJson.Options)!;
        Assert.Equal([_b, _a], runs.Select(r => r.Id));
        Assert.Equal(0.43, runs[0].Metrics["cv_rmsle"]);
    }

    [Fact]
    public void Show_prints_lineage_metrics_per_fold_and_stages()
    {
        var (exit, output, _) = Run("runs", "show", _a.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(0, exit);
        Assert.Contains("abc123", output, StringComparison.Ordinal);
        Assert.Contains("fold 1", output, StringComparison.Ordinal);
        Assert.Contains("0.46", output, StringComparison.Ordinal);
        Assert.Contains("train", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_shows_only_what_differs_unless_all()
    {
        var ids = new[] { _a, _b }.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

        var (exit, output, _) = Run(["runs", "compare", .. ids]);
        var (_, everything, _) = Run(["runs", "compare", .. ids, "--all"]);
        var (_, json, _) = Run(["runs", "compare", .. ids, "--json"]);

        Assert.Equal(0, exit);
        Assert.Contains("leaves", output, StringComparison.Ordinal);
        Assert.DoesNotContain("seed", output, StringComparison.Ordinal);
        Assert.Contains("identical row(s) hidden", output, StringComparison.Ordinal);
        Assert.Contains("seed", everything, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(json);
        var rmsle = doc.RootElement.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("key").GetString() == "cv_rmsle");
        Assert.Equal([0.45, 0.43], rmsle.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()));
    }

    [Fact]
    public async Task Promote_records_a_manual_override_with_its_reason()
    {
        var (exit, output, _) = Run("promote", _a.ToString(System.Globalization.CultureInfo.InvariantCulture), "--reason", "LB agrees");

        Assert.Equal(0, exit);
        Assert.Contains("champion", output, StringComparison.Ordinal);
        await using var store = await TrackingStores.OpenAsync(Uri, _dir.Path);
        var change = Assert.Single(await store.GetAliasHistoryAsync("lgbm", "champion"));
        Assert.Equal((AliasChangeKind.Manual, "LB agrees", _a), (change.Kind, change.Reason, change.RunId));
    }

    [Fact]
    public void Mistakes_exit_with_the_mapped_code_and_one_line()
    {
        var missing = Run("runs", "show", "999");
        var noReason = Run("promote", "1");
        var one = Run("runs", "compare", "1");

        Assert.Equal((2, "error: run 999 does not exist; see 'esteira runs list' for the recorded runs"), (missing.Exit, missing.Err.Trim()));
        Assert.Equal(2, noReason.Exit);
        Assert.Contains("--reason", noReason.Err, StringComparison.Ordinal);
        Assert.Equal(2, one.Exit);
    }

    [Fact]
    public async Task Export_then_import_merges_runs_once()
    {
        // Given a second job's store with one run of its own
        var other = Path.Combine(_dir.Path, "train-b.db");
        await using (var store = await TrackingStores.OpenAsync(other, _dir.Path))
        {
            await Finished(store, "xgb", new() { ["depth"] = "6" }, 0.41, 0.40, 0.42);
        }

        // When this store is exported and both are imported into a fresh gate store, twice
        var exported = Path.Combine(_dir.Path, "out", "train-a", "runs.db");
        var gate = $"sqlite:{Path.Combine(_dir.Path, "gate.db")}";
        var export = Run("runs", "export", "--out", exported);
        var first = RunOn(gate, "runs", "import", exported, other);
        var second = RunOn(gate, "runs", "import", exported, other);

        // Then each run arrives once, with its metrics
        Assert.Equal(0, export.Exit);
        Assert.Contains("exported 3 run(s)", export.Out, StringComparison.Ordinal);
        Assert.Equal((0, $"imported 3 run(s) from {exported} (0 already present)\nimported 1 run(s) from {other} (0 already present)"),
            (first.Exit, first.Out.Trim().ReplaceLineEndings("\n")));
        Assert.Equal($"imported 0 run(s) from {exported} (3 already present)\nimported 0 run(s) from {other} (1 already present)",
            second.Out.Trim().ReplaceLineEndings("\n"));
        var (_, json, _) = RunOn(gate, "runs", "list", "--sort", "cv_rmsle", "--json");
        var runs = JsonSerializer.Deserialize<List<RunSummary>>(json, EsteiraJson.Options)!;
        Assert.Equal([0.41, 0.43, 0.45, 0.47], runs.Select(r => r.Metrics["cv_rmsle"]));
    }

    [Fact]
    public async Task Import_of_a_missing_or_damaged_file_exits_2_with_one_line_and_imports_nothing()
    {
        var garbage = Path.Combine(_dir.Path, "garbage.db");
        await File.WriteAllTextAsync(garbage, "not a database at all, just text that is long enough to have a header");
        var other = Path.Combine(_dir.Path, "train-b.db");
        await using (var store = await TrackingStores.OpenAsync(other, _dir.Path))
        {
            await Finished(store, "xgb", new() { ["depth"] = "6" }, 0.41);
        }

        var missing = Run("runs", "import", other, Path.Combine(_dir.Path, "nope.db"));
        var damaged = Run("runs", "import", garbage);

        Assert.Equal(2, missing.Exit);
        Assert.Single(missing.Err.Trim().Split('\n'));
        Assert.StartsWith("error: tracking database ", missing.Err, StringComparison.Ordinal);
        Assert.Contains("nope.db does not exist", missing.Err, StringComparison.Ordinal);
        Assert.Equal(2, damaged.Exit);
        Assert.Contains("is not an esteira tracking database", damaged.Err, StringComparison.Ordinal);
        await using var cli = await TrackingStores.OpenAsync(Uri, _dir.Path);
        Assert.Equal(3, (await cli.ListRunsAsync(new RunQuery())).Count);
    }
}
