using System.ComponentModel;
using System.Text.Json;
using Esteira.Config;
using Esteira.Ml;
using Esteira.Pipeline;
using Esteira.Pipeline.Runs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Esteira.Cli;

public sealed class RunSettings : CommandSettings
{
    [CommandOption("--data <PATH>")]
    [Description("A GEPIII folder, or any Kaggle-style tabular one (train.csv, test.csv, sample_submission.csv), plain, .gz or one .zip. Outside a workspace the default is the bundled real sample; inside one, esteira.yaml's dataset.")]
    public string? Data { get; init; }

    [CommandOption("--out <DIR>")]
    [Description("Where submission.csv.gz and quality.json go (default: out; one subfolder per experiment when there are several).")]
    public string Out { get; init; } = "out";

    [CommandOption("--experiment <NAME>")]
    [Description("In a workspace, run only this experiment.")]
    public string? Experiment { get; init; }

    [CommandOption("--force <STAGE>")]
    [Description("Rerun this stage (e.g. features, train:baseline; train alone: every train:* stage) and everything after it, even if cached. Repeatable.")]
    public string[] Force { get; init; } = [];

    [CommandOption("--jobs <N>")]
    [Description("Experiments trained at once (default 1); the cores are shared between them.")]
    public int Jobs { get; init; } = 1;

    [CommandOption("--folds <N>")]
    [Description("Outside a workspace: time-block cross-validation folds (default 3).")]
    public int Folds { get; init; } = 3;

    [CommandOption("--iterations <N>")]
    [Description("Outside a workspace: LightGBM boosting rounds (default 400; tabular: chosen on CV unless this or --leaves is given).")]
    public int? Iterations { get; init; }

    [CommandOption("--leaves <N>")]
    [Description("Outside a workspace: LightGBM leaves per tree (default 63; tabular: chosen on CV unless this or --iterations is given).")]
    public int? Leaves { get; init; }

    [CommandOption("--learning-rate <RATE>")]
    [Description("Outside a workspace: LightGBM learning rate (default 0.05).")]
    public double LearningRate { get; init; } = 0.05;

    [CommandOption("--bagging-fraction <SHARE>")]
    [Description("Outside a workspace: share of rows each boosting iteration samples (default 1: all).")]
    public double BaggingFraction { get; init; } = 1;

    [CommandOption("--max-train-rows <N>")]
    [Description("Outside a workspace: most rows one model trains on; more are thinned to a uniform random subset (default 2000000; 0: all).")]
    public int MaxTrainRows { get; init; } = new GbmOptions().MaxTrainRows;

    [CommandOption("--seed <N>")]
    [Description("Random seed (default 42). Outside a workspace: the model's and the features'; in a workspace: the features stage's (cv.seed).")]
    public int? Seed { get; init; }

    [CommandOption("--metric <NAME>")]
    [Description("The competition metric: rmsle, rmse, mae, auc, logloss or accuracy (default: GEPIII rmsle; tabular: rmse for regression, auc for binary). Overrides esteira.yaml.")]
    public string? Metric { get; init; }

    [CommandOption("--id <COLUMN>")]
    [Description("Tabular: the id column (default: the sample submission's first column).")]
    public string? Id { get; init; }

    [CommandOption("--target <COLUMN>")]
    [Description("Tabular: the target column (default: the sample submission's second column).")]
    public string? Target { get; init; }

    [CommandOption("--time <COLUMN>")]
    [Description("Tabular: the time column that orders the CV folds, or 'none' for K-fold (default: a date column found in train and test).")]
    public string? Time { get; init; }

    [CommandOption("--task <TASK>")]
    [Description("Tabular: regression or binary (default: inferred from the target's values).")]
    public string? Task { get; init; }

    [CommandOption("--keep-flagged")]
    [Description("Outside a workspace: train on rows the quality screen flagged (≥ 24 h identical or zero readings, dormant starts, stale regimes); by default they are dropped.")]
    public bool KeepFlagged { get; init; }

    [CommandOption("--json")]
    [Description("Print one JSON object instead of tables.")]
    public bool Json { get; init; }

    [CommandOption("--ci")]
    [Description("Exit 1 when the gate refuses an experiment.")]
    public bool Ci { get; init; }

    [CommandOption("--no-promote")]
    [Description("In a workspace: gate the runs but never move the champion (a merge-request or train job; 'esteira gate --promote' decides on the default branch).")]
    public bool NoPromote { get; init; }

    [CommandOption("--verbose")]
    [Description("Show stack traces on failure.")]
    public bool Verbose { get; init; }

    /// <summary>The competition settings with the options given here over <paramref name="file"/>'s.</summary>
    public CompetitionSettings Competition(CompetitionSettings file) => file with
    {
        Metric = Metric is null ? file.Metric : EvalMetric.Find(Metric)!.Name,
        Id = Id ?? file.Id,
        Target = Target ?? file.Target,
        Time = Time ?? file.Time,
        Task = Task ?? file.Task,
    };

    public override ValidationResult Validate() =>
        Folds < 1 ? ValidationResult.Error("--folds must be at least 1")
        : Iterations < 1 ? ValidationResult.Error("--iterations must be at least 1")
        : Leaves < 2 ? ValidationResult.Error("--leaves must be at least 2")
        : Jobs < 1 ? ValidationResult.Error("--jobs must be at least 1")
        : LearningRate is <= 0 or > 1 ? ValidationResult.Error("--learning-rate must be in (0, 1]")
        : BaggingFraction is <= 0 or > 1 ? ValidationResult.Error("--bagging-fraction must be in (0, 1]")
        : MaxTrainRows < 0 ? ValidationResult.Error("--max-train-rows must be 0 (all rows) or more")
        : Seed < 0 ? ValidationResult.Error("--seed must be 0 or more")
        : Metric is not null && EvalMetric.Find(Metric) is null ? ValidationResult.Error($"--metric {Metric}: use one of {string.Join(", ", EvalMetric.All.Select(m => m.Name))}")
        : Task is not null and not ("regression" or "binary") ? ValidationResult.Error("--task must be regression or binary")
        : ValidationResult.Success();
}

public sealed class RunCommand(IAnsiConsole console) : AsyncCommand<RunSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, RunSettings settings, CancellationToken cancellationToken)
    {
        var root = Workspace.Find(Environment.CurrentDirectory);
        OutputFolder.CheckWritable(root is null ? settings.Out : Path.Combine(root, settings.Out));
        var observer = settings.Json ? null : new ProgressObserver(console);
        var (workspace, request) = await PrepareAsync(root, settings, observer, cancellationToken);
        var timer = new StepTimer(observer is null ? SilentObserver.Instance : observer);
        Task<TrackedWorkspaceRun> RunAsync() => RunAndTrack.RunAsync(workspace, request, promote: !settings.NoPromote, timer, TimeProvider.System, cancellationToken);
        var outcome = observer is null ? await RunAsync() : await observer.RunAsync(RunAsync);
        var (run, results, tracked) = (outcome.Run, outcome.Results, outcome.Tracked);
        if (observer is not null)
        {
            RunReport.Render(console, results, observer);
            RunReport.RenderTracking(console, outcome);
        }

        if (settings.Json)
        {
            object Json(int i) => new
            {
                name = run.Experiments[i].Name,
                result = RunJson.From(results[i]),
                tracked_run = tracked.FirstOrDefault(t => t.Experiment == run.Experiments[i].Name)?.RunId,
                gate_passed = tracked.FirstOrDefault(t => t.Experiment == run.Experiments[i].Name)?.Verdict?.Passed,
            };
            var steps = timer.Steps.Select(s => new { name = s.Step, seconds = Math.Round(s.Seconds, 3), peak_rss_mib = s.PeakBytes >> 20 }).ToList();
            object json = results.Count == 1 && root is null ? RunJson.From(results[0], steps) : new { experiments = results.Select((_, i) => Json(i)), steps };
            Console.Out.WriteLine(JsonSerializer.Serialize(json, EsteiraJson.Options));
        }

        var refused = tracked.Where(t => t.Verdict is { Passed: false }).Select(t => t.Experiment).ToList();
        if (refused.Count > 0 && settings.Ci)
        {
            throw new EsteiraException(ErrorCode.GateFailed, $"the gate refused {string.Join(", ", refused)}; see the verdict above, or record a manual override with 'esteira promote RUN --reason'");
        }

        return 0;
    }

    /// <summary>The workspace to run (esteira.yaml's, or one built from the options outside a workspace), its dataset local.</summary>
    private static async Task<(Workspace Workspace, RunRequest Request)> PrepareAsync(string? root, RunSettings settings, ProgressObserver? observer, CancellationToken cancellationToken)
    {
        var force = settings.Force.ToHashSet(StringComparer.Ordinal);
        if (root is null)
        {
            var options = new RunOptions
            {
                DataPath = await RemoteDatasets.ResolveAsync(settings.Data ?? SampleData.Locate(), Path.Combine(Environment.CurrentDirectory, ".esteira"), m => observer?.Info(m), cancellationToken),
                OutDir = settings.Out,
                Folds = settings.Folds,
                KeepFlagged = settings.KeepFlagged,
                Force = force,
                Gbm = new GbmOptions
                {
                    Iterations = settings.Iterations ?? new GbmOptions().Iterations,
                    Leaves = settings.Leaves ?? new GbmOptions().Leaves,
                    Tune = settings.Iterations is null && settings.Leaves is null,
                    LearningRate = settings.LearningRate,
                    BaggingFraction = settings.BaggingFraction,
                    MaxTrainRows = settings.MaxTrainRows,
                    Seed = settings.Seed ?? 42,
                },
                Competition = settings.Competition(new CompetitionSettings()),
            };
            var implicitWorkspace = GepiiiRun.ImplicitWorkspace(options);
            observer?.Info($"esteira run on {options.DataPath}");
            return (implicitWorkspace, new RunRequest { OutDir = options.OutDir, Force = force });
        }

        var workspace = Workspace.Load(root);
        if (settings.Data is not null)
        {
            workspace = workspace with { Dataset = settings.Data.Contains("://", StringComparison.Ordinal) ? settings.Data : Path.GetFullPath(settings.Data) };
        }

        workspace = await RemoteDatasets.ResolveAsync(workspace, m => observer?.Info(m), cancellationToken);
        workspace = workspace with { CompetitionSettings = settings.Competition(workspace.CompetitionSettings), Seed = settings.Seed ?? workspace.Seed };
        observer?.Info($"esteira run in workspace {root}");
        return (workspace, new RunRequest { OutDir = Path.Combine(root, settings.Out), Experiment = settings.Experiment, Force = force, Jobs = settings.Jobs });
    }
}

public sealed class PlanSettings : CommandSettings
{
    [CommandOption("--experiment <NAME>")]
    [Description("Plan only this experiment.")]
    public string? Experiment { get; init; }

    [CommandOption("--force <STAGE>")]
    [Description("Plan as if this stage were forced. Repeatable.")]
    public string[] Force { get; init; } = [];

    [CommandOption("--json")]
    [Description("Print the plan as JSON.")]
    public bool Json { get; init; }
}

/// <summary><c>esteira plan</c>: what would run and why, running nothing.</summary>
public sealed class PlanCommand(IAnsiConsole console) : AsyncCommand<PlanSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, PlanSettings settings, CancellationToken cancellationToken)
    {
        var root = Workspace.Find(Environment.CurrentDirectory)
            ?? throw new EsteiraException(ErrorCode.Usage, $"{Environment.CurrentDirectory}: not in a workspace (no esteira.yaml here or above); run 'esteira init DIR' first");
        var workspace = await RemoteDatasets.ResolveAsync(Workspace.Load(root), m => Console.Error.WriteLine(m), cancellationToken);
        var plan = WorkspaceRunner.Plan(workspace, new RunRequest { OutDir = "out", Experiment = settings.Experiment, Force = settings.Force.ToHashSet(StringComparer.Ordinal) });
        if (settings.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(plan.Select(p => new { stage = p.Id, run = p.Run, reason = p.Reason, key = p.Key }), EsteiraJson.Options));
            return 0;
        }

        var table = new Spectre.Console.Table().Border(TableBorder.Rounded).AddColumns("stage", "action", "why");
        foreach (var p in plan)
        {
            table.AddRow(Markup.Escape(p.Id), p.Run ? "[yellow]run[/]" : "[green]reuse[/]", Markup.Escape(p.Reason));
        }

        console.Write(table);
        return 0;
    }
}

public sealed class InitSettings : CommandSettings
{
    [CommandArgument(0, "<DIR>")]
    [Description("Folder to create the workspace in.")]
    public string Dir { get; init; } = ".";

    [CommandOption("--data <PATH>")]
    [Description("Dataset for esteira.yaml (default: the bundled real sample).")]
    public string? Data { get; init; }
}

/// <summary><c>esteira init DIR</c>: scaffolds a workspace.</summary>
public sealed class InitCommand(IAnsiConsole console) : Command<InitSettings>
{
    public override int Execute(CommandContext context, InitSettings settings, CancellationToken cancellationToken)
    {
        var data = settings.Data ?? Path.GetFullPath(SampleData.Locate());
        var written = WorkspaceTemplate.Create(settings.Dir, data, Competition(data));
        foreach (var file in written)
        {
            console.MarkupLineInterpolated($"created [green]{file}[/]");
        }

        var root = Path.GetFullPath(settings.Dir);
        if (ToolManifest.Note(root) is { } note)
        {
            console.MarkupLineInterpolated($"[yellow]note:[/] {note}");
        }

        if (!data.Contains("://", StringComparison.Ordinal) && Path.GetRelativePath(root, Path.GetFullPath(data)).StartsWith("..", StringComparison.Ordinal))
        {
            console.MarkupLineInterpolated($"[yellow]warning:[/] the dataset {data} is outside the workspace: a CI job (a fresh clone) will not find it. Copy it into the workspace (e.g. data/, with its licence), or upload it and set dataset: s3://bucket/prefix or kaggle://COMPETITION in esteira.yaml");
        }

        console.MarkupLineInterpolated($"next: cd {settings.Dir} && esteira run");
        return 0;
    }

    /// <summary>The competition section for <paramref name="data"/>: inferred from a local dataset by its profile; a remote one is named only.</summary>
    private static CompetitionSettings Competition(string data)
    {
        if (data.StartsWith("kaggle://", StringComparison.OrdinalIgnoreCase))
        {
            return new CompetitionSettings { Name = data["kaggle://".Length..].Trim('/') };
        }

        if (data.Contains("://", StringComparison.Ordinal))
        {
            return new CompetitionSettings { Name = Workspace.DefaultModel };
        }

        var path = Path.GetFullPath(data);
        var name = Path.GetFileNameWithoutExtension(path.TrimEnd(Path.DirectorySeparatorChar));
        if (name is "data" or "input" && Path.GetDirectoryName(path.TrimEnd(Path.DirectorySeparatorChar)) is { } parent)
        {
            name = Path.GetFileName(parent); // data/ inside the workspace: the workspace's name
        }
        var described = Esteira.Pipeline.Profiles.CompetitionProfiles.Resolve(null, path).Describe(path, new CompetitionSettings());
        return described with { Name = described.Name ?? name };
    }
}
