using System.Diagnostics;
using Esteira.Config;
using Esteira.Pipeline.Runs;
using Esteira.Tracking;

namespace Esteira.Pipeline.Tests;

/// <summary>The run-and-track and gate services without the CLI: what a workspace run leaves in its tracking store.</summary>
public sealed class RunAndTrackTests
{
    [Fact]
    public async Task Each_experiment_is_tracked_with_its_lineage_gated_and_a_rerun_is_tagged_reused()
    {
        // Given a workspace with the template's gate
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var workspace = Workspace.Load(root);
        var request = new RunRequest { OutDir = Path.Combine(root, "out") };

        // When it runs twice
        var before = TimeProvider.System.GetUtcNow();
        var first = await RunAndTrack.RunAsync(workspace, request, promote: true, SilentObserver.Instance, TimeProvider.System);
        var second = await RunAndTrack.RunAsync(workspace, request, promote: true, SilentObserver.Instance, TimeProvider.System);

        // Then the first trained, passed the gate and became champion; the second reused its model and reproduces it
        var trained = Assert.Single(first.Tracked);
        Assert.Equal("baseline", trained.Experiment);
        Assert.False(trained.Reused);
        Assert.True(trained.Verdict?.Passed);
        Assert.Equal(trained.RunId, first.Gate?.Promoted);
        var reused = Assert.Single(second.Tracked);
        Assert.True(reused.Reused);
        Assert.Equal(GateRole.Champion, Assert.Single(second.Gate!.Runs).Role);

        // And the store holds each run with its metric, lineage, parameters and workspace-relative artifacts
        await using var store = await TrackingStores.OpenAsync(WorkspaceConfig.TrackingUri(workspace.Config), root);
        var runs = await store.GetRunsAsync([trained.RunId, reused.RunId]);
        var run = runs.Single(r => r.Id == trained.RunId);
        Assert.Equal(RunStatus.Finished, run.Status);
        Assert.InRange(run.StartedAt, before, TimeProvider.System.GetUtcNow());
        Assert.Equal(first.Results[0].Cv, run.Metric("cv_rmsle"));
        Assert.Equal(first.Run.Plan.Single(p => p.Id == WorkspaceRunner.FeaturesStage).Key, run.Lineage.DatasetHash);
        Assert.Equal(first.Run.Plan.Single(p => p.Id == "train:baseline").Key, run.Lineage.ExperimentHash);
        Assert.Equal("20", run.Params["params.iterations"]);
        Assert.Equal(Path.Combine("out", "submission.csv.gz"), run.Artifacts["submission"]);
        Assert.False(run.Tags.ContainsKey(RunAndTrack.ReusedTag));
        Assert.Equal("true", runs.Single(r => r.Id == reused.RunId).Tags[RunAndTrack.ReusedTag]);

        // And each run lists its own stages with their wall time: the first trained (seconds), the second only reused
        Assert.Equal([WorkspaceRunner.FeaturesStage, "train:baseline", "check:baseline"], run.Stages.Select(s => s.Stage));
        Assert.All(run.Stages, s => Assert.Equal(first.Run.StageSeconds[s.Stage], s.Seconds, 3));
        var reusedStages = runs.Single(r => r.Id == reused.RunId).Stages;
        Assert.True(reusedStages.Single(s => s.Stage == "train:baseline").Seconds < run.Stages.Single(s => s.Stage == "train:baseline").Seconds);
    }

    [Fact]
    public async Task Without_a_gate_section_the_latest_runs_cannot_be_gated()
    {
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var workspace = Workspace.Load(root) with { Gate = null };

        var e = await Assert.ThrowsAsync<EsteiraException>(() => WorkspaceGating.GateLatestAsync(workspace, null, promote: false, TimeProvider.System));

        Assert.Equal(ErrorCode.BadInput, e.Code);
        Assert.Contains("no 'gate' section", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_latest_run_of_the_commit_is_gated_and_an_experiment_without_one_is_named()
    {
        // Given two experiments, one with a finished run of the commit being built
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        Directory.CreateDirectory(Path.Combine(root, "experiments", "wider"));
        File.WriteAllText(Path.Combine(root, "experiments", "wider", "experiment.yaml"), "kind: lightgbm\n");
        var workspace = Workspace.Load(root);
        var (commit, _) = await GitLineage.CommitAsync(root);
        long runId;
        await using (var store = await TrackingStores.OpenAsync(WorkspaceConfig.TrackingUri(workspace.Config), root))
        {
            await using var recorder = await RunRecorder.StartAsync(store, new NewRun { Experiment = "baseline", Lineage = new RunLineage { GitCommit = commit } }, TimeSpan.Zero);
            runId = recorder.RunId;
            await recorder.LogMetricsAsync([new MetricPoint("cv_rmsle", 0.5), new MetricPoint("cv_rmsle", 0.5, Fold: 1)]);
            await recorder.CompleteAsync();
        }

        // When the gate looks at the latest runs and may promote
        var gated = await WorkspaceGating.GateLatestAsync(workspace, null, promote: true, TimeProvider.System);

        // Then the run is gated (the first passing challenger becomes champion) and the other experiment is named
        Assert.Equal(commit, gated.Commit);
        Assert.Equal(["wider"], gated.WithoutRun);
        Assert.Equal(runId, Assert.Single(gated.Gate!.Runs).RunId);
        Assert.Equal(runId, gated.Gate.Promoted);

        // And asking for the experiment without a run gates nothing
        var none = await WorkspaceGating.GateLatestAsync(workspace, "wider", promote: false, TimeProvider.System);
        Assert.Null(none.Gate);
        Assert.Equal(["wider"], none.WithoutRun);
    }

    [Fact]
    public async Task The_commit_comes_from_the_ci_variable_else_from_git_with_its_dirtiness()
    {
        var folder = Directory.CreateTempSubdirectory("esteira-git-").FullName;
        try
        {
            var ci = new[] { "CI_COMMIT_SHA", "GITHUB_SHA" }.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => !string.IsNullOrEmpty(v));
            if (ci is null)
            {
                Assert.Equal(((string?)null, (bool?)null), await GitLineage.CommitAsync(folder)); // not a working tree
            }

            Git(folder, "init", "-q");
            File.WriteAllText(Path.Combine(folder, "esteira.yaml"), "dataset: data\n");
            Git(folder, "add", ".");
            Git(folder, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "first");
            var head = Git(folder, "rev-parse", "HEAD");

            var clean = await GitLineage.CommitAsync(folder);
            File.AppendAllText(Path.Combine(folder, "esteira.yaml"), "# edited\n");
            var dirty = await GitLineage.CommitAsync(folder);

            // A CI job names its commit itself (a CI checkout may be detached or shallow); dirtiness is then unknown.
            Assert.Equal(ci is null ? (head, false) : (ci, (bool?)null), clean);
            Assert.Equal(ci is null ? (head, true) : (ci, (bool?)null), dirty);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Git(string folder, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = folder, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', args)} exited {process.ExitCode}");
        return output;
    }
}
