using Esteira.Config;
using Esteira.Deploy.Guard;
using Esteira.Deploy.Targets;
using Esteira.Pipeline.Deployment;
using Esteira.Tracking;
using YamlDotNet.RepresentationModel;

namespace Esteira.Pipeline.Tests;

/// <summary>
/// The deploy-champion service without the CLI: what a workspace's esteira.yaml fills in, which file goes where, and the
/// tracking store's submission ledger that remembers it either way. The folder target keeps it all on this machine.
/// </summary>
public sealed class SubmissionDeploymentTests : IDisposable
{
    private const string Sample = "row_id,meter_reading\n0,0\n1,0\n2,0\n";
    private const string Predictions = "row_id,meter_reading\n0,1.5\n1,2.25\n2,0\n";

    private readonly string _folder = Directory.CreateTempSubdirectory("esteira-deploy-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_workspace_fills_only_what_the_command_line_left_open()
    {
        // Given a workspace whose esteira.yaml names a target, and a dataset with both sample submissions
        var data = Directory.CreateDirectory(Path.Combine(_folder, "data")).FullName;
        File.WriteAllText(Path.Combine(data, "sample_submission.csv"), Sample);
        File.WriteAllText(Path.Combine(data, "sample_submission.csv.gz"), "");
        var deploy = new YamlMappingNode { { "target", "leaderboard" }, { "competition", "bdg2" }, { "server", "http://127.0.0.1:8080" }, { "dest", "sent" } };
        var workspace = new Workspace(_folder, data, 3, false, null, null, null, deploy, []) { CompetitionSettings = new CompetitionSettings { Metric = "rmse" } };

        // When the command line named nothing
        var filled = DeployDefaults.Apply(new DeploymentRequest { Target = new TargetSpec { Kind = DeployDefaults.Target } }, workspace);

        // Then every default comes from the workspace; dest is relative to it, and the .gz sample wins
        Assert.Equal("leaderboard", filled.Target.Kind);
        Assert.Equal("bdg2", filled.Target.Competition);
        Assert.Equal("http://127.0.0.1:8080", filled.Target.Server);
        Assert.Equal(Path.Combine(_folder, "sent"), filled.Target.Destination);
        Assert.Equal(Path.Combine(data, "sample_submission.csv.gz"), filled.Sample);
        Assert.Equal("rmse", filled.Metric);

        // And what the command line named stays
        var named = DeployDefaults.Apply(new DeploymentRequest
        {
            Target = new TargetSpec { Kind = "kaggle", Competition = "ashrae", Destination = "elsewhere" },
            Sample = "mine.csv",
            Metric = "mae",
        }, workspace);
        Assert.Equal("kaggle", named.Target.Kind);
        Assert.Equal("ashrae", named.Target.Competition);
        Assert.Equal(Path.Combine(_folder, "elsewhere"), named.Target.Destination);
        Assert.Equal("mine.csv", named.Sample);
        Assert.Equal("mae", named.Metric);
    }

    [Fact]
    public async Task Without_a_file_outside_a_workspace_the_deployment_is_a_usage_error()
    {
        var e = await Assert.ThrowsAsync<EsteiraException>(() => SubmissionDeployment.OpenAsync(
            new DeploymentRequest { Target = new TargetSpec { Kind = "folder" }, Folder = _folder }, null, _ => { }, TimeProvider.System));
        Assert.Equal(ErrorCode.Usage, e.Code);
    }

    [Fact]
    public async Task A_given_file_is_sent_once_and_remembered_in_the_ledger()
    {
        // Given a checked submission beside its sample
        var file = Path.Combine(_folder, "submission.csv");
        File.WriteAllText(file, Predictions);
        File.WriteAllText(Path.Combine(_folder, "sample_submission.csv"), Sample);
        var request = new DeploymentRequest
        {
            File = file,
            Target = new TargetSpec { Kind = "folder", Destination = Path.Combine(_folder, "sent") },
            Guard = new GuardOptions { OverrideGate = true },
            Tracking = Path.Combine(_folder, "tracking.db"),
            Folder = _folder,
        };

        // When it is deployed
        await using (var deployment = await SubmissionDeployment.OpenAsync(request, null, _ => { }, TimeProvider.System))
        {
            Assert.Null(deployment.Champion);
            var result = await deployment.SendAsync(null);
            Assert.Equal(3, result.Facts.Rows);
        }

        // Then it is in the folder and in the ledger (without a run), so the same bytes are refused next time
        Assert.Single(Directory.GetFiles(Path.Combine(_folder, "sent"), "*submission.csv"));
        await using (var store = await TrackingStores.OpenAsync(request.Tracking, _folder))
        {
            var entry = Assert.Single(await store.ListSubmissionsAsync(new SubmissionQuery()));
            Assert.Null(entry.RunId);
        }

        await using var again = await SubmissionDeployment.OpenAsync(request, null, _ => { }, TimeProvider.System);
        var refused = await Assert.ThrowsAsync<EsteiraException>(() => again.SendAsync(null));
        Assert.Equal(ErrorCode.Conflict, refused.Code);
        Assert.Contains("rule 'duplicate'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_champion_is_sent_to_the_workspace_target_recorded_in_the_ledger_and_not_sent_twice()
    {
        // Given a workspace whose champion run recorded its submission (relative to the workspace)
        var root = CreateWorkspace();
        var workspace = Workspace.Load(root);
        Directory.CreateDirectory(Path.Combine(root, "out"));
        File.WriteAllText(Path.Combine(root, "out", "submission.csv"), Predictions);
        long runId;
        await using (var store = await TrackingStores.OpenAsync(WorkspaceConfig.TrackingUri(workspace.Config), root))
        {
            runId = await ChampionRunAsync(store, workspace.ChampionModel, "baseline", Path.Combine("out", "submission.csv"));
        }

        var request = new DeploymentRequest { Target = new TargetSpec { Kind = DeployDefaults.Target } };

        // When it is deployed with nothing named
        await using (var deployment = await SubmissionDeployment.OpenAsync(request, root, _ => { }, TimeProvider.System))
        {
            Assert.Equal(runId, deployment.Champion?.Champion.Id);
            Assert.Null(deployment.AlreadySent);
            Assert.Equal($"esteira champion run {runId} (baseline)", deployment.Message);
            await deployment.SendAsync(null);
        }

        // Then it went to esteira.yaml's dest, and the ledger names the run
        Assert.Single(Directory.GetFiles(Path.Combine(root, "submissions"), "*submission.csv"));
        await using (var store = await TrackingStores.OpenAsync(WorkspaceConfig.TrackingUri(workspace.Config), root))
        {
            var entry = Assert.Single(await store.ListSubmissionsAsync(new SubmissionQuery()));
            Assert.Equal(runId, entry.RunId);
            Assert.Equal(SubmissionStatus.Complete, entry.Status);
        }

        // And the unchanged champion is found already sent, unless duplicates are allowed
        await using (var again = await SubmissionDeployment.OpenAsync(request, root, _ => { }, TimeProvider.System))
        {
            Assert.Equal(runId, again.AlreadySent?.RunId);
        }

        await using (var forced = await SubmissionDeployment.OpenAsync(request with { Guard = new GuardOptions { AllowDuplicate = true } }, root, _ => { }, TimeProvider.System))
        {
            Assert.Null(forced.AlreadySent);
        }
    }

    [Fact]
    public async Task A_new_champion_with_bytes_already_sent_is_found_sent_and_one_with_new_bytes_is_not()
    {
        // Given a champion that was sent
        var root = CreateWorkspace();
        var workspace = Workspace.Load(root);
        Directory.CreateDirectory(Path.Combine(root, "out"));
        File.WriteAllText(Path.Combine(root, "out", "first.csv"), Predictions);
        File.WriteAllText(Path.Combine(root, "out", "same.csv"), Predictions);
        File.WriteAllText(Path.Combine(root, "out", "other.csv"), Predictions.Replace("1.5", "1.75", StringComparison.Ordinal));
        var uri = WorkspaceConfig.TrackingUri(workspace.Config);
        var request = new DeploymentRequest { Target = new TargetSpec { Kind = DeployDefaults.Target } };
        long first;
        await using (var store = await TrackingStores.OpenAsync(uri, root))
        {
            first = await ChampionRunAsync(store, workspace.ChampionModel, "baseline", Path.Combine("out", "first.csv"));
        }

        await using (var deployment = await SubmissionDeployment.OpenAsync(request, root, _ => { }, TimeProvider.System))
        {
            await deployment.SendAsync(null);
        }

        // When another run with the very same bytes becomes champion, it counts as sent (a resend would be refused as a
        // duplicate and waste a submission), naming the run that sent them
        await using (var store = await TrackingStores.OpenAsync(uri, root))
        {
            await ChampionRunAsync(store, workspace.ChampionModel, "smaller", Path.Combine("out", "same.csv"));
        }

        await using (var same = await SubmissionDeployment.OpenAsync(request, root, _ => { }, TimeProvider.System))
        {
            Assert.Equal(first, same.AlreadySent?.RunId);
        }

        // Then a champion with different bytes is not
        await using (var store = await TrackingStores.OpenAsync(uri, root))
        {
            await ChampionRunAsync(store, workspace.ChampionModel, "wider", Path.Combine("out", "other.csv"));
        }

        await using (var other = await SubmissionDeployment.OpenAsync(request, root, _ => { }, TimeProvider.System))
        {
            Assert.Null(other.AlreadySent);
        }
    }

    [Fact]
    public async Task A_champion_of_another_experiment_or_none_at_all_is_not_found()
    {
        var root = CreateWorkspace();
        var request = new DeploymentRequest { Target = new TargetSpec { Kind = DeployDefaults.Target } };
        var none = await Assert.ThrowsAsync<EsteiraException>(() => SubmissionDeployment.OpenAsync(request, root, _ => { }, TimeProvider.System));
        Assert.Equal(ErrorCode.NotFound, none.Code);
        Assert.Contains("has no champion yet", none.Message, StringComparison.Ordinal);

        var workspace = Workspace.Load(root);
        await using (var store = await TrackingStores.OpenAsync(WorkspaceConfig.TrackingUri(workspace.Config), root))
        {
            await ChampionRunAsync(store, workspace.ChampionModel, "baseline", "submission.csv");
        }

        var other = await Assert.ThrowsAsync<EsteiraException>(() => SubmissionDeployment.OpenAsync(request with { Experiment = "wider" }, root, _ => { }, TimeProvider.System));
        Assert.Equal(ErrorCode.NotFound, other.Code);
        Assert.Contains("not of wider", other.Message, StringComparison.Ordinal);
    }

    /// <summary>A workspace from the template (deploy: folder, dest submissions) over a dataset holding only its sample submission.</summary>
    private string CreateWorkspace()
    {
        var data = Directory.CreateDirectory(Path.Combine(_folder, "data")).FullName;
        File.WriteAllText(Path.Combine(data, "sample_submission.csv"), Sample);
        var root = Path.Combine(_folder, "ws");
        WorkspaceTemplate.Create(root, data);
        return root;
    }

    /// <summary>A finished run of <paramref name="experiment"/> made champion of <paramref name="model"/> by hand.</summary>
    private static async Task<long> ChampionRunAsync(ITrackingStore store, string model, string experiment, string submission)
    {
        long runId;
        await using (var recorder = await RunRecorder.StartAsync(store, new NewRun { Experiment = experiment }, TimeSpan.Zero))
        {
            runId = recorder.RunId;
            await recorder.LogMetricAsync("cv_rmsle", 0.5);
            await recorder.LogArtifactAsync("submission", submission);
            await recorder.CompleteAsync();
        }

        await Promotion.PromoteAsync(store, runId, model, AliasChangeKind.Manual, "the test's champion");
        return runId;
    }
}
