using Esteira.Config;
using Esteira.Tracking;

namespace Esteira.Pipeline.Runs;

/// <summary>What <see cref="BlendAndTrack.RunAsync"/> did: the parts it blended, the cached stage's result, the tracked run and the gate.</summary>
/// <param name="Parts">The blended runs, in the order given.</param>
/// <param name="Blend">The stage <c>blend:NAME</c>: ran or reused, weights, metrics, submission.</param>
/// <param name="RunId">The tracked run that records the blend, its lineage naming the parts.</param>
/// <param name="Gate">The workspace gate's outcome, null when esteira.yaml declares no gate.</param>
public sealed record TrackedBlend(BlendParts Parts, BlendResult Blend, long RunId, GateOutcome? Gate);

/// <summary>
/// <c>esteira blend</c>'s work: finds the tracked runs' model outputs, runs the cached stage <c>blend:NAME</c> over them,
/// records the blend as a run whose lineage names its parts and weights, then puts it through the workspace gate.
/// </summary>
public static class BlendAndTrack
{
    /// <summary>Blends <paramref name="runIds"/> in <paramref name="workspace"/> under the experiment name <paramref name="name"/>.</summary>
    /// <param name="workspace">The workspace whose tracking store holds the runs.</param>
    /// <param name="runIds">Two or more tracked runs trained on the same features and folds.</param>
    /// <param name="name">The blend's experiment name (the stage is <c>blend:NAME</c>).</param>
    /// <param name="outDir">Where the blend's submission goes; null: out/NAME in the workspace.</param>
    /// <param name="cancellationToken">Cancels the tracking store calls.</param>
    /// <exception cref="EsteiraException">A run is unknown or not blendable, the stage failed, or the tracking store did.</exception>
    public static async Task<TrackedBlend> RunAsync(Workspace workspace, IReadOnlyList<long> runIds, string name, string? outDir, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var root = workspace.Root;
        await using var store = await TrackingStores.OpenAsync(WorkspaceConfig.TrackingUri(workspace.Config), root, cancellationToken: cancellationToken);
        var parts = await BlendRuns.ResolveAsync(store, runIds, root, cancellationToken);
        var blend = BlendStage.Run(workspace, new BlendRequest
        {
            Name = name,
            FeaturesKey = parts.FeaturesKey,
            Parts = parts.Parts.Select(p => p.ModelFolder).ToList(),
            OutDir = Path.GetFullPath(outDir ?? Path.Combine(root, "out", name)),
        }, SilentObserver.Instance);
        var metrics = blend.Metrics;
        var runId = await BlendRuns.RecordAsync(store, new NewBlendRun
        {
            Experiment = name,
            Parts = parts,
            Weights = blend.Weights,
            StageKey = blend.Stage.Key,
            EsteiraVersion = WorkspaceRunner.ToolVersion,
            Metrics = [new MetricPoint("cv_" + metrics.Metric, metrics.Cv), .. metrics.Folds.Select(f => new MetricPoint("cv_" + metrics.Metric, f.Score, Fold: f.Fold))],
            Submission = blend.Submission,
            Model = RunAndTrack.WorkspacePath(root, blend.EntryFolder),
        }, cancellationToken);

        var gate = workspace.Gate is null ? null
            : await Promotion.GateAndPromoteAsync(store, runId, GateSpec.FromYaml(workspace.Gate, defaultMetric: "cv_" + metrics.Metric), model: workspace.ChampionModel,
                cancellationToken: cancellationToken);
        return new TrackedBlend(parts, blend, runId, gate);
    }
}
