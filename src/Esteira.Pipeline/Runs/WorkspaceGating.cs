using Esteira.Config;
using Esteira.Tracking;

namespace Esteira.Pipeline.Runs;

/// <summary>What <see cref="WorkspaceGating.GateLatestAsync"/> found and decided.</summary>
/// <param name="Commit">The commit whose runs were gated; null when unknown (no CI variable, no git), and then any run counts.</param>
/// <param name="WithoutRun">Experiments with no finished run of <paramref name="Commit"/>: not gated.</param>
/// <param name="Gate">The workspace gate's decision; null when no experiment had a run to gate.</param>
public sealed record LatestRunsGate(string? Commit, IReadOnlyList<string> WithoutRun, WorkspaceGateResult? Gate);

/// <summary>
/// <c>esteira gate</c>'s work: the workspace gate over each experiment's latest run of the commit being built (CI_COMMIT_SHA,
/// GITHUB_SHA or git HEAD). Every experiment competes with the one champion of the workspace.
/// </summary>
public static class WorkspaceGating
{
    /// <summary>Gates the newest finished run of each experiment built from the current commit.</summary>
    /// <param name="workspace">The workspace; esteira.yaml must declare a gate.</param>
    /// <param name="experiment">Only this experiment, or null for all.</param>
    /// <param name="promote">Make the best passing challenger the workspace's champion.</param>
    /// <param name="time">The tracking store's clock.</param>
    /// <param name="cancellationToken">Cancels the store calls.</param>
    /// <exception cref="EsteiraException"><see cref="ErrorCode.BadInput"/> when esteira.yaml has no gate section; a store failure.</exception>
    public static async Task<LatestRunsGate> GateLatestAsync(Workspace workspace, string? experiment, bool promote, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        if (workspace.Gate is null)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{Path.Combine(workspace.Root, Workspace.FileName)}: no 'gate' section; add one (see docs/contract.md) to gate challengers");
        }

        await using var store = await TrackingStores.OpenAsync(WorkspaceConfig.TrackingUri(workspace.Config), workspace.Root, time, cancellationToken);
        var (commit, _) = await GitLineage.CommitAsync(workspace.Root, cancellationToken);
        var candidates = new List<long>();
        var withoutRun = new List<string>();
        foreach (var name in workspace.Experiments.Select(e => e.Name).Where(n => experiment is null || n == experiment))
        {
            if (await LatestRunAsync(store, name, commit, cancellationToken) is { } latest)
            {
                candidates.Add(latest);
            }
            else
            {
                withoutRun.Add(name);
            }
        }

        if (candidates.Count == 0)
        {
            return new LatestRunsGate(commit, withoutRun, null);
        }

        var spec = GateSpec.FromYaml(workspace.Gate, defaultMetric: "cv_" + (workspace.CompetitionSettings.Metric ?? EvalMetric.Rmsle.Name));
        var gate = await WorkspaceGate.DecideAsync(store, workspace.ChampionModel, spec, candidates, RunAndTrack.QualityFacts, promote, cancellationToken);
        return new LatestRunsGate(commit, withoutRun, gate);
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
