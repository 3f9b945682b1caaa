using Esteira.Config;
using System.ComponentModel;
using Esteira.Cli.Commands.Tracking;
using Esteira.Pipeline;
using Esteira.Tracking;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Esteira.Cli;

public sealed class GateSettings : CommandSettings
{
    [CommandOption("--experiment <NAME>")]
    [Description("Only this experiment.")]
    public string? Experiment { get; init; }

    [CommandOption("--promote")]
    [Description("Make the best passing challenger the workspace's champion (the default branch's pipeline does; a merge request never should).")]
    public bool Promote { get; init; }
}

/// <summary>
/// <c>esteira gate</c>: the workspace gate over each experiment's latest run of the commit being built (CI_COMMIT_SHA,
/// GITHUB_SHA or git HEAD). Every experiment competes with the one champion of the workspace; a challenger worse than it
/// is refused and the command exits 1, so a pipeline stops before deploy and the report says why.
/// </summary>
public sealed class GateCommand(IAnsiConsole console) : AsyncCommand<GateSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, GateSettings settings, CancellationToken cancellationToken)
    {
        var root = Workspace.Find(Environment.CurrentDirectory)
            ?? throw new EsteiraException(ErrorCode.Usage, $"{Environment.CurrentDirectory}: not in a workspace (no esteira.yaml here or above); run 'esteira init DIR' first");
        var workspace = Workspace.Load(root);
        if (workspace.Gate is null)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{Path.Combine(root, Workspace.FileName)}: no 'gate' section; add one (see docs/contract.md) to gate challengers");
        }

        await using var store = await TrackingStores.OpenAsync(WorkspaceConfig.TrackingUri(workspace.Config), root, cancellationToken: cancellationToken);
        var (commit, _) = RunTracking.Commit(root);
        var candidates = new List<long>();
        foreach (var experiment in workspace.Experiments.Where(e => settings.Experiment is null || e.Name == settings.Experiment))
        {
            var latest = await LatestRunAsync(store, experiment.Name, commit, cancellationToken);
            if (latest is null)
            {
                console.MarkupLineInterpolated($"[yellow]{experiment.Name}[/]: no finished run{(commit is null ? "" : $" of commit {commit[..Math.Min(12, commit.Length)]}")}; run 'esteira run'");
                continue;
            }

            candidates.Add(latest.Value);
        }

        if (candidates.Count == 0)
        {
            throw new EsteiraException(ErrorCode.NotFound, "no run to gate in the tracking store; run 'esteira run' first");
        }

        var result = await WorkspaceGate.DecideAsync(store, workspace.ChampionModel, GateSpec.FromYaml(workspace.Gate, defaultMetric: "cv_" + (workspace.CompetitionSettings.Metric ?? EvalMetric.Rmsle.Name)), candidates, RunTracking.QualityFacts, settings.Promote, cancellationToken);
        TrackingRender.WorkspaceGate(console, result);
        if (!result.Passed)
        {
            var refused = result.Runs.Where(r => r.Role == GateRole.Refused).Select(r => $"{r.Experiment} (run {r.RunId}: {r.Verdict!.Summary})");
            throw new EsteiraException(ErrorCode.GateFailed, $"the gate refused {string.Join("; ", refused)}");
        }

        return 0;
    }

    /// <summary>The newest finished run of <paramref name="experiment"/> built from <paramref name="commit"/> (any commit when unknown).</summary>
    private static async Task<long?> LatestRunAsync(ITrackingStore store, string experiment, string? commit, CancellationToken cancellationToken)
    {
        var runs = await store.ListRunsAsync(new RunQuery { Experiment = experiment, Status = RunStatus.Finished, Limit = 200 }, cancellationToken);
        if (commit is null)
        {
            return runs.Count > 0 ? runs[0].Id : null;
        }

        foreach (var run in (await store.GetRunsAsync(runs.Select(r => r.Id).ToList(), cancellationToken)).OrderByDescending(r => r.Id))
        {
            // Blends and other runs without lineage never stand for an experiment's commit.
            if (run.Lineage.GitCommit == commit)
            {
                return run.Id;
            }
        }

        return null;
    }
}
