using System.Globalization;
using Esteira.Config;
using Esteira.Tracking;

namespace Esteira.Pipeline.Runs;

/// <summary>One experiment of a workspace run as the tracking store recorded it.</summary>
/// <param name="Experiment">The experiment's name.</param>
/// <param name="RunId">Its tracked run.</param>
/// <param name="Verdict">The workspace gate's verdict, null without a gate or for a reproduction of the champion.</param>
/// <param name="Reused">True when the model came from the cache rather than being trained by this run.</param>
public sealed record TrackedExperiment(string Experiment, long RunId, GateVerdict? Verdict, bool Reused);

/// <summary>What <see cref="RunAndTrack.RunAsync"/> did: the pipeline's run, each experiment's result and tracked run, the gate.</summary>
/// <param name="Run">The pipeline run: its plan, stages and experiments.</param>
/// <param name="Results">One result per experiment, in the order of <see cref="WorkspaceRunResult.Experiments"/>.</param>
/// <param name="Tracked">One tracked run per experiment, in the same order.</param>
/// <param name="Gate">The workspace gate's decision, null when esteira.yaml declares no gate.</param>
public sealed record TrackedWorkspaceRun(WorkspaceRunResult Run, IReadOnlyList<RunResult> Results, IReadOnlyList<TrackedExperiment> Tracked, WorkspaceGateResult? Gate);

/// <summary>
/// Runs a workspace and records every experiment as a tracked run (a model reused from the cache too, tagged
/// <c>esteira.reused</c>, so that a CI job that trained nothing still hands its runs to the gate), then puts the runs
/// through the workspace gate: all experiments compete with one champion.
/// </summary>
public static class RunAndTrack
{
    /// <summary>The share of training rows the quality screen flagged, as the gate's data-quality conditions read it.</summary>
    public const string FlaggedFraction = "flagged_fraction";

    /// <summary>Tag of a run whose model came from the cache rather than being trained by this run.</summary>
    public const string ReusedTag = "esteira.reused";

    /// <summary>What the gate's data-quality conditions know of a recorded run.</summary>
    public static DataQualityFacts QualityFacts(Run run) => new(run.Metric(FlaggedFraction));

    /// <summary>Runs <paramref name="workspace"/>, records each experiment in its tracking store and gates the runs.</summary>
    /// <param name="workspace">The workspace, its dataset already local (see <see cref="RemoteDatasets"/>).</param>
    /// <param name="request">Which experiments, which stages to force, where the outputs go.</param>
    /// <param name="promote">Let the gate make the best passing challenger champion (never in a merge request).</param>
    /// <param name="observer">Told of every stage; the pipeline runs on the calling thread.</param>
    /// <param name="time">The clock of the runs' start and of the tracking store.</param>
    /// <param name="cancellationToken">Cancels the tracking store calls; the pipeline itself runs to its end.</param>
    /// <exception cref="EsteiraException">A stage failed, or the tracking store did.</exception>
    public static async Task<TrackedWorkspaceRun> RunAsync(Workspace workspace, RunRequest request, bool promote, IRunObserver observer, TimeProvider time,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(time);
        var started = time.GetUtcNow();
        var run = WorkspaceRunner.Run(workspace, request, observer);
        var results = run.Experiments.Select(e => GepiiiRun.ToRunResult(run, e)).ToList();
        var (tracked, gate) = await RecordAsync(workspace, run, results, promote, started, time, cancellationToken);
        return new TrackedWorkspaceRun(run, results, tracked, gate);
    }

    private static async Task<(IReadOnlyList<TrackedExperiment> Runs, WorkspaceGateResult? Gate)> RecordAsync(Workspace workspace, WorkspaceRunResult run,
        IReadOnlyList<RunResult> results, bool promote, DateTimeOffset startedAt, TimeProvider time, CancellationToken cancellationToken)
    {
        var root = workspace.Root;
        await using var store = await TrackingStores.OpenAsync(WorkspaceConfig.TrackingUri(workspace.Config), root, time, cancellationToken);
        await RunRecovery.MarkStaleRunsFailedAsync(store, time: time, cancellationToken: cancellationToken);
        var (commit, dirty) = await GitLineage.CommitAsync(root, cancellationToken);
        var datasetHash = run.Plan.Single(p => p.Id == WorkspaceRunner.FeaturesStage).Key;
        var recorded = new List<(TrackedExperiment Tracked, RunResult Result)>();
        for (var i = 0; i < run.Experiments.Count; i++)
        {
            var experiment = run.Experiments[i];
            var result = results[i];
            var stage = run.Plan.Single(p => p.Id == "train:" + experiment.Name);
            var parameters = stage.Inputs.Where(p => p.Key.StartsWith("experiment.", StringComparison.Ordinal))
                .ToDictionary(p => p.Key["experiment.".Length..], p => p.Value);
            var tags = new Dictionary<string, string> { ["esteira.run"] = run.Run.ToString(CultureInfo.InvariantCulture) };
            if (!stage.Run)
            {
                tags[ReusedTag] = "true";
            }

            long runId;
            await using (var recorder = await RunRecorder.StartAsync(store, new NewRun
            {
                Experiment = experiment.Name,
                StartedAt = startedAt,
                Params = parameters,
                Tags = tags,
                Lineage = new RunLineage
                {
                    GitCommit = commit,
                    GitDirty = dirty,
                    DatasetHash = datasetHash,
                    ExperimentHash = stage.Key,
                    EsteiraVersion = WorkspaceRunner.ToolVersion,
                    Machine = Environment.MachineName,
                },
            }, cancellationToken: cancellationToken))
            {
                runId = recorder.RunId;
                await recorder.LogMetricsAsync([
                    new MetricPoint("cv_" + result.Metric, result.Cv),
                    .. result.Folds.Select(f => new MetricPoint("cv_" + result.Metric, f.Score, Fold: f.Fold)),
                    new MetricPoint("flagged_rows", result.FlaggedRows),
                    .. result.TrainRows > 0 ? [new MetricPoint(FlaggedFraction, (double)result.FlaggedRows / result.TrainRows)] : Array.Empty<MetricPoint>(),
                ], cancellationToken);

                // The run's own stages: the shared features stage and its train and check. Its start and end are the
                // invocation's (experiments of one invocation share the features and may run side by side).
                await recorder.LogAsync(new RunLog
                {
                    Stages = [.. new[] { WorkspaceRunner.FeaturesStage, stage.Id, "check:" + experiment.Name }
                        .Where(run.StageSeconds.ContainsKey)
                        .Select(id => new StageDuration(id, Math.Round(run.StageSeconds[id], 3)))],
                }, cancellationToken);

                // Paths inside the workspace are kept relative to it, so that another CI job (another folder) finds them.
                await recorder.LogArtifactAsync("submission", WorkspacePath(root, result.Submission), cancellationToken);
                await recorder.LogArtifactAsync("model", WorkspacePath(root, experiment.ModelFolder), cancellationToken);
                if (Path.Combine(experiment.ModelFolder, "executed.ipynb") is var notebook && File.Exists(notebook))
                {
                    await recorder.LogArtifactAsync("notebook", WorkspacePath(root, notebook), cancellationToken);
                }
                await recorder.CompleteAsync(cancellationToken);
            }

            recorded.Add((new TrackedExperiment(experiment.Name, runId, null, !stage.Run), result));
        }

        if (workspace.Gate is null)
        {
            return (recorded.Select(r => r.Tracked).ToList(), null);
        }

        var gate = await WorkspaceGate.DecideAsync(store, workspace.ChampionModel, GateSpec.FromYaml(workspace.Gate, defaultMetric: "cv_" + recorded[0].Result.Metric),
            [.. recorded.Select(r => r.Tracked.RunId)], QualityFacts, promote, cancellationToken);
        return (recorded.Select(r => r.Tracked with { Verdict = gate.Runs.Single(g => g.RunId == r.Tracked.RunId).Verdict }).ToList(), gate);
    }

    /// <summary><paramref name="path"/> relative to the workspace when it lies inside it, else unchanged.</summary>
    internal static string WorkspacePath(string root, string path)
    {
        var relative = Path.GetRelativePath(root, Path.GetFullPath(path));
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }
}
