using Esteira.Pipeline;
using Esteira.Tracking;

namespace Esteira.Reporting.Tests;

/// <summary>
/// One workspace trained twice, shared by every test (training is the slow part): run 1 with 20 iterations and 15 leaves
/// is tracked and promoted champion; run 2 with 30 iterations and 7 leaves is tracked with a gate verdict against it and
/// is the workspace's current result. Tests clone it before changing anything.
/// </summary>
public sealed class TrainedWorkspace : IAsyncLifetime, IDisposable
{
    private readonly TempFolder _folder = new();

    public string Data => _folder.Combine("data");
    public Workspace Workspace { get; private set; } = null!;
    public string FeaturesKey { get; private set; } = "";
    public string ChampionKey { get; private set; } = "";
    public string ChallengerKey { get; private set; } = "";
    public ModelMetrics ChampionMetrics { get; private set; } = null!;
    public ModelMetrics ChallengerMetrics { get; private set; } = null!;
    public long ChampionRun { get; private set; }
    public long ChallengerRun { get; private set; }
    public GateVerdict Verdict { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        TinyGepiii.WriteTo(Data);
        var workspace = TinyWorkspace.Create(_folder.Combine("trained"), Data);
        var first = TinyWorkspace.Run(workspace);
        FeaturesKey = first.Plan.Single(p => p.Id == WorkspaceRunner.FeaturesStage).Key;
        ChampionKey = first.Plan.Single(p => p.Id == "train:" + TinyWorkspace.Experiment).Key;
        ChampionMetrics = first.Experiments[0].Metrics;

        TinyWorkspace.SetParams(workspace.Root, iterations: 30, leaves: 7);
        Workspace = Workspace.Load(workspace.Root);
        var second = TinyWorkspace.Run(Workspace);
        ChallengerKey = second.Plan.Single(p => p.Id == "train:" + TinyWorkspace.Experiment).Key;
        ChallengerMetrics = second.Experiments[0].Metrics;

        await using var store = await TrackingStores.OpenAsync(Workspace.Tracking, Workspace.Root);
        ChampionRun = await RecordAsync(store, ChampionMetrics, ChampionKey);
        await Promotion.PromoteAsync(store, ChampionRun, Workspace.ChampionModel, AliasChangeKind.Manual, "the first model", "test");
        ChallengerRun = await RecordAsync(store, ChallengerMetrics, ChallengerKey);

        // The verdict is stored without promoting, so that the champion stays run 1 for the report.
        var spec = new GateSpec { Metric = "cv_rmsle", Max = 5, MinImprovement = 0.0001, MaxFoldRegression = 0.05 };
        var champion = await store.GetRunOrThrowAsync(ChampionRun);
        var challenger = await store.GetRunOrThrowAsync(ChallengerRun);
        Verdict = Gate.Evaluate(spec, GateMetrics.FromRun(challenger, spec.Metric), GateMetrics.FromRun(champion, spec.Metric), null, ChampionRun);
        await store.RecordGateVerdictAsync(ChallengerRun, Verdict);
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _folder.Dispose();

    /// <summary>A copy of the trained workspace beside it (so its relative dataset path still holds).</summary>
    public Workspace Clone() => TinyWorkspace.Clone(Workspace, _folder.Combine("clone-" + Guid.NewGuid().ToString("N")[..8]));

    /// <summary>A new workspace on the same dataset with the current experiment and an empty .esteira.</summary>
    public Workspace Fresh() => TinyWorkspace.Create(_folder.Combine("fresh-" + Guid.NewGuid().ToString("N")[..8]), Data, iterations: 30, leaves: 7);

    public string NewFolder(string name)
    {
        var path = _folder.Combine(name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        return path;
    }

    private static async Task<long> RecordAsync(ITrackingStore store, ModelMetrics metrics, string modelKey)
    {
        var id = await store.StartRunAsync(new NewRun { Experiment = TinyWorkspace.Experiment });
        await store.LogMetricsAsync(id, [new MetricPoint("cv_rmsle", metrics.Cv), .. metrics.Folds.Select(f => new MetricPoint("cv_rmsle", f.Score, f.Fold))]);
        await store.LogArtifactsAsync(id, new Dictionary<string, string> { ["model"] = "cache/" + modelKey });
        await store.FinishRunAsync(id, RunStatus.Finished);
        return id;
    }
}

[CollectionDefinition(Name)]
public sealed class TrainedGroup : ICollectionFixture<TrainedWorkspace>
{
    public const string Name = "trained workspace";
}
