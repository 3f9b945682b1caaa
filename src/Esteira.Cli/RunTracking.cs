using Esteira.Config;
using System.Diagnostics;
using Esteira.Cli.Commands.Tracking;
using Esteira.Pipeline;
using Esteira.Tracking;
using Spectre.Console;

namespace Esteira.Cli;

/// <summary>
/// Records every experiment of a workspace run as a tracked run (a model reused from the cache too, tagged
/// <c>esteira.reused</c>, so that a CI job that trained nothing still hands its runs to the gate), then puts the runs
/// through the workspace gate: all experiments compete with one champion.
/// </summary>
internal static class RunTracking
{
    public sealed record Outcome(string Experiment, long RunId, GateVerdict? Verdict, bool Reused);

    /// <summary>The share of training rows the quality screen flagged, as the gate's data-quality conditions read it.</summary>
    public const string FlaggedFraction = "flagged_fraction";

    /// <summary>What the gate's data-quality conditions know of a recorded run.</summary>
    public static DataQualityFacts QualityFacts(Run run) => new(run.Metric(FlaggedFraction));

    /// <summary>Tag of a run whose model came from the cache rather than being trained by this run.</summary>
    public const string ReusedTag = "esteira.reused";

    public static async Task<(IReadOnlyList<Outcome> Runs, WorkspaceGateResult? Gate)> RecordAsync(Workspace workspace, WorkspaceRunResult run, IReadOnlyList<RunResult> results,
        bool promote, IAnsiConsole? console, DateTimeOffset? startedAt = null)
    {
        var root = workspace.Root;
        await using var store = await TrackingStores.OpenAsync(WorkspaceConfig.TrackingUri(workspace.Config), root);
        await RunRecovery.MarkStaleRunsFailedAsync(store);
        var (commit, dirty) = Commit(root);
        var datasetHash = run.Plan.Single(p => p.Id == WorkspaceRunner.FeaturesStage).Key;
        var recorded = new List<(Outcome Outcome, RunResult Result)>();
        for (var i = 0; i < run.Experiments.Count; i++)
        {
            var experiment = run.Experiments[i];
            var result = results[i];
            var stage = run.Plan.Single(p => p.Id == "train:" + experiment.Name);
            var parameters = stage.Inputs.Where(p => p.Key.StartsWith("experiment.", StringComparison.Ordinal))
                .ToDictionary(p => p.Key["experiment.".Length..], p => p.Value);
            var tags = new Dictionary<string, string> { ["esteira.run"] = run.Run.ToString(System.Globalization.CultureInfo.InvariantCulture) };
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
            }))
            {
                runId = recorder.RunId;
                await recorder.LogMetricsAsync([
                    new MetricPoint("cv_" + result.Metric, result.Cv),
                    .. result.Folds.Select(f => new MetricPoint("cv_" + result.Metric, f.Score, Fold: f.Fold)),
                    new MetricPoint("flagged_rows", result.FlaggedRows),
                    .. result.TrainRows > 0 ? [new MetricPoint(FlaggedFraction, (double)result.FlaggedRows / result.TrainRows)] : Array.Empty<MetricPoint>(),
                ]);

                // Paths inside the workspace are kept relative to it, so that another CI job (another folder) finds them.
                await recorder.LogArtifactAsync("submission", WorkspacePath(root, result.Submission));
                await recorder.LogArtifactAsync("model", WorkspacePath(root, experiment.ModelFolder));
                if (Path.Combine(experiment.ModelFolder, "executed.ipynb") is var notebook && File.Exists(notebook))
                {
                    await recorder.LogArtifactAsync("notebook", WorkspacePath(root, notebook));
                }
                await recorder.CompleteAsync();
            }

            recorded.Add((new Outcome(experiment.Name, runId, null, !stage.Run), result));
            console?.MarkupLineInterpolated($"[bold]{experiment.Name}[/]: tracked as run {runId}{(stage.Run ? "" : " (model reused from the cache)")}");
        }

        if (workspace.Gate is null)
        {
            console?.MarkupLine("no gate in esteira.yaml: runs are tracked, nothing is promoted");
            return (recorded.Select(r => r.Outcome).ToList(), null);
        }

        var gate = await WorkspaceGate.DecideAsync(store, workspace.ChampionModel, GateSpec.FromYaml(workspace.Gate, defaultMetric: "cv_" + recorded[0].Result.Metric), [.. recorded.Select(r => r.Outcome.RunId)],
            QualityFacts, promote);
        if (console is not null)
        {
            TrackingRender.WorkspaceGate(console, gate);
        }

        return (recorded.Select(r => r.Outcome with { Verdict = gate.Runs.Single(g => g.RunId == r.Outcome.RunId).Verdict }).ToList(), gate);
    }

    /// <summary>The commit being built: the CI's own variable first (a CI checkout may be detached or shallow), else git.</summary>
    public static (string? Commit, bool? Dirty) Commit(string root)
    {
        foreach (var name in new[] { "CI_COMMIT_SHA", "GITHUB_SHA" })
        {
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } sha)
            {
                return (sha, null);
            }
        }

        return Git(root);
    }

    /// <summary><paramref name="path"/> relative to the workspace when it lies inside it, else unchanged.</summary>
    public static string WorkspacePath(string root, string path)
    {
        var relative = Path.GetRelativePath(root, Path.GetFullPath(path));
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }

    private static (string? Commit, bool? Dirty) Git(string root)
    {
        try
        {
            var commit = RunGit(root, "rev-parse", "HEAD");
            return commit is null ? (null, null) : (commit, RunGit(root, "status", "--porcelain")?.Length > 0);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (null, null); // no git on this machine
        }
    }

    private static string? RunGit(string root, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : null;
    }
}
