using Esteira.Config;
using System.ComponentModel;
using System.Globalization;
using Esteira.Cli.Commands.Tracking;
using Esteira.Pipeline;
using Esteira.Tracking;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Esteira.Cli;

public sealed class BlendSettings : CommandSettings
{
    [CommandArgument(0, "<RUN>")]
    [Description("Tracked runs to blend (two or more), trained on the same features and folds.")]
    public long[] Runs { get; init; } = [];

    [CommandOption("--name <NAME>")]
    [Description("Experiment name of the blend run (default: blend).")]
    public string Name { get; init; } = "blend";

    [CommandOption("--out <DIR>")]
    [Description("Where the blend's submission goes (default: out/NAME).")]
    public string? Out { get; init; }

    public override ValidationResult Validate() =>
        Runs.Length < 2 ? ValidationResult.Error("give at least two runs to blend") : ValidationResult.Success();
}

/// <summary>
/// <c>esteira blend RUN RUN…</c>: the cached stage <c>blend:NAME</c> (<see cref="BlendStage"/>) over the runs' model outputs, recorded as a
/// run whose lineage names its parts and weights, then gated.
/// </summary>
public sealed class BlendCommand(IAnsiConsole console) : AsyncCommand<BlendSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, BlendSettings settings, CancellationToken cancellationToken)
    {
        var root = Workspace.Find(Environment.CurrentDirectory)
            ?? throw new EsteiraException(ErrorCode.Usage, $"{Environment.CurrentDirectory}: not in a workspace; run 'esteira init DIR' first");
        var workspace = Workspace.Load(root);
        await using var store = await TrackingStores.OpenAsync(WorkspaceConfig.TrackingUri(workspace.Config), root, cancellationToken: cancellationToken);
        var parts = await BlendRuns.ResolveAsync(store, settings.Runs, root, cancellationToken);
        var blend = BlendStage.Run(workspace, new BlendRequest
        {
            Name = settings.Name,
            FeaturesKey = parts.FeaturesKey,
            Parts = parts.Parts.Select(p => p.ModelFolder).ToList(),
            OutDir = Path.GetFullPath(settings.Out ?? Path.Combine(root, "out", settings.Name)),
        }, SilentObserver.Instance);
        var metrics = blend.Metrics;
        var runId = await BlendRuns.RecordAsync(store, new NewBlendRun
        {
            Experiment = settings.Name,
            Parts = parts,
            Weights = blend.Weights,
            StageKey = blend.Stage.Key,
            EsteiraVersion = WorkspaceRunner.ToolVersion,
            Metrics = [new MetricPoint("cv_" + metrics.Metric, metrics.Cv), .. metrics.Folds.Select(f => new MetricPoint("cv_" + metrics.Metric, f.Score, Fold: f.Fold))],
            Submission = blend.Submission,
            Model = RunTracking.WorkspacePath(root, blend.EntryFolder),
        }, cancellationToken);

        console.MarkupLineInterpolated($"{blend.Stage.Id}: {blend.Stage.Reason}");
        var table = new Spectre.Console.Table().Border(TableBorder.Rounded).Title($"blend → run {runId}").AddColumns("run", "experiment", $"OOF {metrics.Metric.ToUpperInvariant()}", "weight");
        for (var i = 0; i < parts.Parts.Count; i++)
        {
            var part = parts.Parts[i].Run;
            table.AddRow(part.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(part.Experiment), part.Metric("cv_" + metrics.Metric)?.ToString("F5", CultureInfo.InvariantCulture) ?? "–", blend.Weights[i].ToString("F4", CultureInfo.InvariantCulture));
        }

        table.AddRow("[bold]blend[/]", "", $"[bold]{metrics.Cv:F5}[/]", "");
        console.Write(table);
        console.MarkupLineInterpolated($"submission: [green]{blend.Submission}[/]");
        if (workspace.Gate is not null)
        {
            var gated = await Promotion.GateAndPromoteAsync(store, runId, GateSpec.FromYaml(workspace.Gate, defaultMetric: "cv_" + metrics.Metric), model: workspace.ChampionModel, cancellationToken: cancellationToken);
            TrackingRender.GateVerdict(console, gated.Verdict);
        }

        return 0;
    }
}
