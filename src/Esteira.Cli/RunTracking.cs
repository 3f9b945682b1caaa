using System.Diagnostics;
using Esteira.Cli.Commands.Tracking;
using Esteira.Pipeline;
using Esteira.Tracking;
using Spectre.Console;
using YamlDotNet.RepresentationModel;

namespace Esteira.Cli;

/// <summary>
/// Records each experiment whose model was (re)trained as a tracked run, then puts it through the gate.
/// A reused model is not recorded again: its run already is.
/// </summary>
internal static class RunTracking
{
    public sealed record Outcome(string Experiment, long RunId, GateVerdict? Verdict);

    public static async Task<IReadOnlyList<Outcome>> RecordAsync(string root, string? trackingUri, YamlMappingNode? gate, WorkspaceRunResult run, IReadOnlyList<RunResult> results, IAnsiConsole? console)
    {
        var trained = run.Experiments.Select((e, i) => (Experiment: e, Result: results[i]))
            .Where(x => run.Plan.Any(p => p.Id == "train:" + x.Experiment.Name && p.Run)).ToList();
        if (trained.Count == 0)
        {
            return [];
        }

        await using var store = await TrackingStores.OpenAsync(Environment.GetEnvironmentVariable("ESTEIRA_TRACKING_URI") ?? trackingUri, root);
        await RunRecovery.MarkStaleRunsFailedAsync(store);
        var spec = gate is null ? null : GateSpec.FromYaml(gate);
        var (commit, dirty) = Git(root);
        var datasetHash = run.Plan.Single(p => p.Id == WorkspaceRunner.FeaturesStage).Key;
        var outcomes = new List<Outcome>();
        foreach (var (experiment, result) in trained)
        {
            var stage = run.Plan.Single(p => p.Id == "train:" + experiment.Name);
            var parameters = stage.Inputs.Where(p => p.Key.StartsWith("experiment.", StringComparison.Ordinal))
                .ToDictionary(p => p.Key["experiment.".Length..], p => p.Value);
            long runId;
            await using (var recorder = await RunRecorder.StartAsync(store, new NewRun
            {
                Experiment = experiment.Name,
                Params = parameters,
                Tags = new Dictionary<string, string> { ["esteira.run"] = run.Run.ToString(System.Globalization.CultureInfo.InvariantCulture) },
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
                    new MetricPoint("cv_rmsle", result.CvRmsle),
                    .. result.Folds.Select(f => new MetricPoint("cv_rmsle", f.Rmsle, Fold: f.Fold)),
                    new MetricPoint("flagged_rows", result.FlaggedRows),
                ]);
                await recorder.LogArtifactAsync("submission", result.Submission);
                await recorder.LogArtifactAsync("model", experiment.ModelFolder);
                await recorder.CompleteAsync();
            }

            GateVerdict? verdict = null;
            if (spec is not null)
            {
                var gated = await Promotion.GateAndPromoteAsync(store, runId, spec, new DataQualityFacts(result.TrainRows == 0 ? null : (double)result.FlaggedRows / result.TrainRows));
                verdict = gated.Verdict;
                if (console is not null)
                {
                    console.MarkupLineInterpolated($"[bold]{experiment.Name}[/]: tracked as run {runId}");
                    TrackingRender.GateVerdict(console, verdict);
                    if (gated.Promotion is not null)
                    {
                        console.MarkupLineInterpolated($"[green]run {runId} is now the champion[/]");
                    }
                }
            }
            else
            {
                console?.MarkupLineInterpolated($"[bold]{experiment.Name}[/]: tracked as run {runId} (no gate in esteira.yaml)");
            }

            outcomes.Add(new Outcome(experiment.Name, runId, verdict));
        }

        return outcomes;
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
