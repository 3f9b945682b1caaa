using Esteira.Config;
using System.ComponentModel;
using System.Text.Json;
using Esteira.Pipeline;
using Esteira.Tracking;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Esteira.Cli.Commands.Tracking;

/// <summary>Registers <c>esteira runs list|show|compare|export|import</c> and <c>esteira promote</c>.</summary>
public static class TrackingCommands
{
    public static void Register(IConfigurator config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.AddBranch<TrackingSettings>("runs", runs =>
        {
            runs.SetDescription("Look at recorded runs: list, show one, compare several side by side.");
            runs.AddCommand<RunsListCommand>("list")
                .WithDescription("List runs, newest first or sorted by a metric.")
                .WithExample("runs", "list", "--sort", "cv_rmsle", "--limit", "10")
                .WithExample("runs", "list", "--experiment", "lgbm-base", "--json");
            runs.AddCommand<RunsShowCommand>("show")
                .WithDescription("Everything recorded about one run: lineage, params, metrics per fold, stages, artifacts, gate verdict.")
                .WithExample("runs", "show", "12");
            runs.AddCommand<RunsCompareCommand>("compare")
                .WithDescription("Params and metrics of several runs side by side; only what differs unless --all.")
                .WithExample("runs", "compare", "12", "15", "17")
                .WithExample("runs", "compare", "12", "15", "--all", "--json");
            runs.AddCommand<RunsExportCommand>("export")
                .WithDescription("Write every run of the workspace's store to a new SQLite file (for a CI job to hand its runs on).")
                .WithExample("runs", "export", "--out", "out/train-a/runs.db");
            runs.AddCommand<RunsImportCommand>("import")
                .WithDescription("Merge the runs of other stores (SQLite files or tracking URIs) into the workspace's store; runs already there are skipped.")
                .WithExample("runs", "import", "out/train-a/runs.db", "out/train-b/runs.db");
        });
        config.AddCommand<PromoteCommand>("promote")
            .WithDescription("Make a finished run the champion by hand, overriding the gate; the reason is recorded.")
            .WithExample("promote", "15", "--reason", "public LB confirms the gain; fold 3 regression is a holiday artefact");
    }

    /// <summary>The tracking store: --tracking, else ESTEIRA_TRACKING_URI, else the workspace's esteira.yaml, else SQLite at
    /// .esteira/esteira.db, relative to the workspace root (the folder with esteira.yaml, else the current one): the same
    /// store <c>esteira run</c> and <c>esteira gate</c> use.</summary>
    internal static Task<ITrackingStore> OpenAsync(TrackingSettings settings, CancellationToken cancellationToken) =>
        OpenAsync(settings.Tracking, cancellationToken);

    /// <summary>The tracking store for <paramref name="option"/> (a --tracking value, or null), resolved as <see cref="OpenAsync(TrackingSettings, CancellationToken)"/>.</summary>
    internal static Task<ITrackingStore> OpenAsync(string? option, CancellationToken cancellationToken)
    {
        var root = WorkspaceConfig.Find(Directory.GetCurrentDirectory());
        var config = root is null ? null : WorkspaceConfig.Load(root);
        return TrackingStores.OpenAsync(WorkspaceConfig.TrackingUri(config, option), root ?? Directory.GetCurrentDirectory(), null, cancellationToken);
    }

    /// <summary>The registered model a promotion moves: --model, else the workspace's champion model, else the run's experiment.</summary>
    internal static string? DefaultModel(string? model) =>
        model ?? (Workspace.Find(Directory.GetCurrentDirectory()) is { } root ? Workspace.Load(root).ChampionModel : null);

    internal static void WriteJson<T>(IAnsiConsole console, T value) =>
        console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(value, EsteiraJson.Indented));
}

/// <summary>Options every tracking command shares.</summary>
public class TrackingSettings : CommandSettings
{
    [CommandOption("--tracking <URI>")]
    [Description("Tracking store: sqlite:PATH, a file path, postgresql://user:pass@host:port/db[[?schema=NAME]] or an Npgsql connection string (default: sqlite at .esteira/esteira.db).")]
    public string? Tracking { get; init; }

    [CommandOption("--json")]
    [Description("Print JSON instead of tables.")]
    public bool Json { get; init; }

    [CommandOption("--verbose")]
    [Description("Show stack traces on failure.")]
    public bool Verbose { get; init; }
}

public sealed class RunsListSettings : TrackingSettings
{
    [CommandOption("--experiment <NAME>")]
    [Description("Only runs of this experiment.")]
    public string? Experiment { get; init; }

    [CommandOption("--sort <METRIC>")]
    [Description("Sort by this summary metric, lowest first (runs without it come last); default: newest first.")]
    public string? Sort { get; init; }

    [CommandOption("--desc")]
    [Description("With --sort: highest first.")]
    public bool Descending { get; init; }

    [CommandOption("--status <STATUS>")]
    [Description("Only runs with this status: running, finished or failed.")]
    public string? Status { get; init; }

    [CommandOption("--limit <N>")]
    [Description("At most N runs (default 20).")]
    public int Limit { get; init; } = 20;

    public override ValidationResult Validate() =>
        Limit is < 1 or > 100_000 ? ValidationResult.Error("--limit must be between 1 and 100000")
        : Status is not null && ParseStatus(Status) is null ? ValidationResult.Error($"--status '{Status}' is not one of running, finished, failed")
        : ValidationResult.Success();

    internal static RunStatus? ParseStatus(string? status) => status?.ToUpperInvariant() switch
    {
        "RUNNING" => RunStatus.Running,
        "FINISHED" => RunStatus.Finished,
        "FAILED" => RunStatus.Failed,
        _ => null,
    };
}

public sealed class RunsListCommand(IAnsiConsole console) : AsyncCommand<RunsListSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, RunsListSettings settings, CancellationToken cancellationToken)
    {
        await using var store = await TrackingCommands.OpenAsync(settings, cancellationToken);
        // Listing is where people look for runs in progress, so runs whose owner died are marked failed first.
        var recovered = await RunRecovery.MarkStaleRunsFailedAsync(store, cancellationToken: cancellationToken);
        var runs = await store.ListRunsAsync(new RunQuery
        {
            Experiment = settings.Experiment,
            SortMetric = settings.Sort,
            Descending = settings.Descending,
            Status = RunsListSettings.ParseStatus(settings.Status),
            Limit = settings.Limit,
        }, cancellationToken);
        if (settings.Json)
        {
            TrackingCommands.WriteJson(console, runs);
            return 0;
        }

        if (recovered.Count > 0)
        {
            console.MarkupLineInterpolated($"[yellow]marked {recovered.Count} abandoned run(s) failed:[/] {string.Join(", ", recovered)}");
        }

        TrackingRender.RunList(console, runs, settings.Sort, store.Location);
        return 0;
    }
}

public sealed class RunsShowSettings : TrackingSettings
{
    [CommandArgument(0, "<ID>")]
    [Description("The run id (see 'esteira runs list').")]
    public long Id { get; init; }
}

public sealed class RunsShowCommand(IAnsiConsole console) : AsyncCommand<RunsShowSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, RunsShowSettings settings, CancellationToken cancellationToken)
    {
        await using var store = await TrackingCommands.OpenAsync(settings, cancellationToken);
        var run = await store.GetRunOrThrowAsync(settings.Id, cancellationToken);
        if (settings.Json)
        {
            TrackingCommands.WriteJson(console, run);
            return 0;
        }

        TrackingRender.RunDetail(console, run);
        return 0;
    }
}

public sealed class RunsCompareSettings : TrackingSettings
{
    [CommandArgument(0, "<IDS>")]
    [Description("Two or more run ids.")]
    public long[] Ids { get; init; } = [];

    [CommandOption("--all")]
    [Description("Show every row, not only those that differ.")]
    public bool All { get; init; }

    public override ValidationResult Validate() =>
        Ids.Length < 2 ? ValidationResult.Error("give at least two run ids to compare, e.g. 'esteira runs compare 12 15'")
        : Ids.Distinct().Count() != Ids.Length ? ValidationResult.Error("a run id is given twice; give distinct run ids")
        : ValidationResult.Success();
}

public sealed class RunsCompareCommand(IAnsiConsole console) : AsyncCommand<RunsCompareSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, RunsCompareSettings settings, CancellationToken cancellationToken)
    {
        await using var store = await TrackingCommands.OpenAsync(settings, cancellationToken);
        var runs = await store.GetRunsOrThrowAsync(settings.Ids, cancellationToken);
        var table = RunComparison.Compare(runs, settings.All);
        if (settings.Json)
        {
            TrackingCommands.WriteJson(console, new
            {
                runs = table.RunIds,
                rows = table.Rows.Select(r => new
                {
                    section = r.Section,
                    key = r.Key,
                    values = r.Numbers is null ? r.Values.Cast<object?>().ToList() : r.Numbers.Cast<object?>().ToList(),
                    differs = r.Differs,
                }),
                hidden_rows = table.HiddenRows,
            });
            return 0;
        }

        TrackingRender.Comparison(console, runs, table, settings.All);
        return 0;
    }
}

public sealed class PromoteSettings : TrackingSettings
{
    [CommandArgument(0, "<RUN>")]
    [Description("The finished run to make champion.")]
    public long Run { get; init; }

    [CommandOption("--reason <TEXT>")]
    [Description("Why (required; recorded in the champion's history).")]
    public string? Reason { get; init; }

    [CommandOption("--model <NAME>")]
    [Description("The registered model (default: the workspace's champion model; outside a workspace the run's experiment).")]
    public string? Model { get; init; }

    public override ValidationResult Validate() =>
        string.IsNullOrWhiteSpace(Reason)
            ? ValidationResult.Error("a manual promotion needs --reason \"…\" (it is recorded with the champion's history)")
            : ValidationResult.Success();
}

public sealed class PromoteCommand(IAnsiConsole console) : AsyncCommand<PromoteSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, PromoteSettings settings, CancellationToken cancellationToken)
    {
        await using var store = await TrackingCommands.OpenAsync(settings, cancellationToken);
        var result = await Promotion.PromoteAsync(store, settings.Run, TrackingCommands.DefaultModel(settings.Model), AliasChangeKind.Manual, settings.Reason!, null, cancellationToken);
        if (settings.Json)
        {
            TrackingCommands.WriteJson(console, result);
            return 0;
        }

        var change = result.Change;
        var before = change.PreviousVersion is { } p ? $"version {p}" : "no champion";
        console.MarkupLineInterpolated(
            $"[green]champion[/] of [bold]{change.Model}[/] is now version {change.Version} (run {change.RunId}), was {before}; manual override recorded: {change.Reason}");
        return 0;
    }
}

public sealed class RunsExportSettings : TrackingSettings
{
    [CommandOption("--out <FILE>")]
    [Description("The SQLite file to write (replaced, once complete, if it exists).")]
    public string? Out { get; init; }

    public override ValidationResult Validate() =>
        string.IsNullOrWhiteSpace(Out) ? ValidationResult.Error("give the file to write with --out, e.g. 'esteira runs export --out out/runs.db'") : ValidationResult.Success();
}

/// <summary><c>esteira runs export --out FILE</c>: the workspace's runs into a new SQLite file, written beside it and then renamed.</summary>
public sealed class RunsExportCommand(IAnsiConsole console) : AsyncCommand<RunsExportSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, RunsExportSettings settings, CancellationToken cancellationToken)
    {
        await using var store = await TrackingCommands.OpenAsync(settings, cancellationToken);
        var result = await RunTransfer.ExportToSqliteAsync(store, settings.Out!, cancellationToken);
        if (settings.Json)
        {
            TrackingCommands.WriteJson(console, new { file = Path.GetFullPath(settings.Out!), runs = result.Copied });
            return 0;
        }

        console.MarkupLineInterpolated($"exported {result.Copied} run(s) from {store.Location} to {settings.Out}");
        return 0;
    }
}

public sealed class RunsImportSettings : TrackingSettings
{
    [CommandArgument(0, "<FILE_OR_URI>")]
    [Description("Stores to copy runs from: SQLite files (e.g. written by 'esteira runs export') or tracking URIs.")]
    public string[] Sources { get; init; } = [];
}

/// <summary><c>esteira runs import FILE_OR_URI...</c>: merges other stores' runs into the workspace's store, keyed by run uid.</summary>
public sealed class RunsImportCommand(IAnsiConsole console) : AsyncCommand<RunsImportSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, RunsImportSettings settings, CancellationToken cancellationToken)
    {
        // Every source is opened (and checked) before anything is written, so a typo in the last one changes nothing.
        var sources = new List<(string Shown, ITrackingStore Store)>();
        try
        {
            foreach (var source in settings.Sources)
            {
                sources.Add((Secrets.MaskPasswords(source), await TrackingStores.OpenExistingAsync(source, Directory.GetCurrentDirectory(), null, cancellationToken)));
            }

            await using var target = await TrackingCommands.OpenAsync(settings, cancellationToken);
            var results = new List<object>();
            foreach (var (shown, store) in sources)
            {
                var result = await RunTransfer.CopyRunsAsync(store, target, cancellationToken);
                if (settings.Json)
                {
                    results.Add(new { source = shown, imported = result.Copied, already_present = result.Skipped });
                }
                else
                {
                    console.MarkupLineInterpolated($"imported {result.Copied} run(s) from {shown} ({result.Skipped} already present)");
                }
            }

            if (settings.Json)
            {
                TrackingCommands.WriteJson(console, results);
            }

            return 0;
        }
        finally
        {
            foreach (var (_, store) in sources)
            {
                await store.DisposeAsync();
            }
        }
    }
}
