using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit;

namespace Esteira.Tracking.Tests;

/// <summary>
/// Copying runs from SQLite files (what CI train jobs hand on) into a target store. Each implementation of the
/// target derives from this class; the sources are always fresh SQLite files.
/// </summary>
public abstract class RunTransferContract : IAsyncLifetime
{
    private readonly List<ITrackingStore> _opened = [];

    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero));

    protected TempFolder Workspace { get; } = new();

    /// <summary>A URI (or connection string) for a new, empty target database.</summary>
    protected abstract string NewTargetDatabase();

    protected virtual Task CleanupAsync() => Task.CompletedTask;

    /// <summary>A run as JSON with its ids left out, to compare every other field at once.</summary>
    internal static string Json(Run run) => JsonSerializer.Serialize(run with { Id = 0 }, EsteiraJson.Options);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _opened)
        {
            await store.DisposeAsync();
        }

        await CleanupAsync();
        Workspace.Dispose();
    }

    private async Task<ITrackingStore> OpenAsync(string uri)
    {
        var store = await TrackingStores.OpenAsync(uri, Workspace.Path, Clock);
        _opened.Add(store);
        return store;
    }

    private Task<ITrackingStore> NewSourceAsync(string name) => OpenAsync(Path.Combine(Workspace.Path, name, "runs.db"));

    private Task<ITrackingStore> NewTargetAsync() => OpenAsync(NewTargetDatabase());

    /// <summary>A finished run with summary, per-fold and per-step metrics, stages, artifacts and tags.</summary>
    private async Task<long> TrainedRunAsync(ITrackingStore store, string experiment, double rmsle, IReadOnlyList<BlendPart>? blendOf = null)
    {
        var id = await store.StartRunAsync(new NewRun
        {
            Experiment = experiment,
            Lineage = new RunLineage
            {
                GitCommit = "3f2a9c1", GitDirty = true, DatasetHash = "sha256:data", ExperimentHash = "sha256:exp", EsteiraVersion = "0.3.0",
                Machine = "runner-" + experiment, BlendOf = blendOf ?? [],
            },
            Params = new Dictionary<string, string> { ["leaves"] = "63", ["seed"] = "42" },
            Tags = new Dictionary<string, string> { ["ci.job"] = experiment },
        });
        Clock.Advance(TimeSpan.FromSeconds(30));
        await store.LogAsync(id, new RunLog
        {
            Metrics =
            [
                new MetricPoint("cv_rmsle", rmsle), new MetricPoint("cv_rmsle", rmsle - 0.01, Fold: 0), new MetricPoint("cv_rmsle", rmsle + 0.01, Fold: 1),
                new MetricPoint("train_loss", 1.5, Step: 0), new MetricPoint("train_loss", 1.2, Step: 10), new MetricPoint("train_loss", 1.1, Fold: 1, Step: 10),
                new MetricPoint("diverged", double.NaN),
            ],
            Stages = [new StageDuration("ingest", 1.5), new StageDuration("train", 30.25), new StageDuration("predict", 4)],
            Artifacts = new Dictionary<string, string> { ["model"] = $"runs/{id}/model.zip", ["oof"] = $"runs/{id}/oof.parquet" },
        });
        Clock.Advance(TimeSpan.FromSeconds(90));
        await store.FinishRunAsync(id, RunStatus.Finished);
        return id;
    }

    private static async Task<List<Run>> AllRunsAsync(ITrackingStore store)
    {
        var ids = (await store.ListRunsAsync(new RunQuery { Limit = 1000 })).Select(r => r.Id).Order().ToList();
        return [.. await store.GetRunsAsync(ids)];
    }

    [Fact]
    public async Task Transfer_copies_every_field_of_every_run_under_new_ids()
    {
        // Given a source with a gated finished run, a failed run, a blend of both and a run still going
        var source = await NewSourceAsync("train-a");
        var a = await TrainedRunAsync(source, "lgbm", 0.42);
        await source.RecordGateVerdictAsync(a, Gate.Evaluate(new GateSpec { Metric = "cv_rmsle", Max = 0.5 }, new GateMetrics(0.42, new Dictionary<int, double>()), null));
        var failed = await source.StartRunAsync(new NewRun { Experiment = "xgb", Owner = new RunOwner("ci-runner-9", 4242, Clock.GetUtcNow().AddHours(-1)) });
        Clock.Advance(TimeSpan.FromSeconds(5));
        await source.FinishRunAsync(failed, RunStatus.Failed, "IOException: disk full");
        var blend = await TrainedRunAsync(source, "blend", 0.40, [new BlendPart(a, 0.7), new BlendPart(failed, 0.3)]);
        await source.RecordGateVerdictAsync(blend, Gate.Evaluate(new GateSpec { Metric = "cv_rmsle", MinImprovement = 0.001 },
            new GateMetrics(0.40, new Dictionary<int, double>()), new GateMetrics(0.42, new Dictionary<int, double>()), championRunId: a));
        await source.StartRunAsync(new NewRun { Experiment = "lgbm" });

        // and a target that already has runs of its own, so that ids differ
        var target = await NewTargetAsync();
        var own = await TrainedRunAsync(target, "own", 0.5);
        await TrainedRunAsync(target, "own", 0.6);

        // When
        var result = await RunTransfer.CopyRunsAsync(source, target);

        // Then every source run is in the target, equal in everything but its id
        Assert.Equal(new TransferResult(4, 0), result);
        var sourceRuns = await AllRunsAsync(source);
        var copies = (await AllRunsAsync(target)).Where(r => r.Experiment != "own").ToList();
        Assert.Equal(4, copies.Count);
        var byUid = copies.ToDictionary(r => r.Uid);
        var idOf = sourceRuns.ToDictionary(r => r.Id, r => byUid[r.Uid].Id);
        Assert.DoesNotContain(copies, c => c.Id == own);
        foreach (var run in sourceRuns)
        {
            var expected = run with
            {
                Lineage = run.Lineage with { BlendOf = run.Lineage.BlendOf.Select(p => p with { RunId = idOf[p.RunId] }).ToList() },
                Gate = run.Gate is { ChampionRunId: { } c } gate ? gate with { ChampionRunId = idOf[c] } : run.Gate,
            };
            Assert.Equal(Json(expected), Json(byUid[run.Uid]));
        }

        var copiedBlend = byUid[sourceRuns.Single(r => r.Id == blend).Uid];
        Assert.Equal([idOf[a], idOf[failed]], copiedBlend.Lineage.BlendOf.Select(p => p.RunId));
        Assert.Equal(idOf[a], copiedBlend.Gate!.ChampionRunId);
        Assert.Equal(6, copiedBlend.Metrics.Count(m => !double.IsNaN(m.Value)));
        Assert.Equal(new Dictionary<int, double> { [0] = 0.40 - 0.01, [1] = 0.40 + 0.01 }, copiedBlend.FoldMetrics("cv_rmsle"));
        Assert.Equal(TimeSpan.FromSeconds(120), copiedBlend.Duration);
        var copiedFailed = byUid[sourceRuns.Single(r => r.Id == failed).Uid];
        Assert.Equal((RunStatus.Failed, "IOException: disk full", "ci-runner-9", 4242), (copiedFailed.Status, copiedFailed.Error, copiedFailed.Owner.Host, copiedFailed.Owner.ProcessId));
        Assert.Single(copies, r => r.Status == RunStatus.Running);
        Assert.True((await target.ListRunsAsync(new RunQuery { Experiment = "lgbm", Status = RunStatus.Finished })).Single().GatePassed);
    }

    [Fact]
    public async Task Transfer_twice_copies_nothing_the_second_time()
    {
        var source = await NewSourceAsync("train-a");
        await TrainedRunAsync(source, "lgbm", 0.42);
        await TrainedRunAsync(source, "lgbm", 0.41);
        var target = await NewTargetAsync();

        var first = await RunTransfer.CopyRunsAsync(source, target);
        await TrainedRunAsync(source, "lgbm", 0.40);
        var second = await RunTransfer.CopyRunsAsync(source, target);
        var third = await RunTransfer.CopyRunsAsync(source, target);

        Assert.Equal(new TransferResult(2, 0), first);
        Assert.Equal(new TransferResult(1, 2), second);
        Assert.Equal(new TransferResult(0, 3), third);
        Assert.Equal(3, (await target.ListRunsAsync(new RunQuery())).Count);
    }

    [Fact]
    public async Task Transfer_of_two_sources_into_one_target_keeps_both_runs_and_their_metrics()
    {
        var trainA = await NewSourceAsync("train-a");
        var trainB = await NewSourceAsync("train-b");
        await TrainedRunAsync(trainA, "lgbm", 0.42);
        await TrainedRunAsync(trainB, "xgb", 0.44);
        var target = await NewTargetAsync();

        Assert.Equal(new TransferResult(1, 0), await RunTransfer.CopyRunsAsync(trainA, target));
        Assert.Equal(new TransferResult(1, 0), await RunTransfer.CopyRunsAsync(trainB, target));

        var runs = await target.ListRunsAsync(new RunQuery { SortMetric = "cv_rmsle" });
        Assert.Equal([("lgbm", 0.42), ("xgb", 0.44)], runs.Select(r => (r.Experiment, r.Metrics["cv_rmsle"])));
        var full = await AllRunsAsync(target);
        Assert.All(full, r => Assert.Equal(2, r.FoldMetrics("cv_rmsle").Count));
    }

    [Fact]
    public async Task Transfer_by_two_paths_never_duplicates_a_run()
    {
        // A → B, then B → target and A → target: the run is recognised by its uid, whatever store it came through.
        var a = await NewSourceAsync("a");
        var b = await NewSourceAsync("b");
        await TrainedRunAsync(a, "lgbm", 0.42);
        await TrainedRunAsync(b, "xgb", 0.44);
        var target = await NewTargetAsync();

        await RunTransfer.CopyRunsAsync(a, b);
        var viaB = await RunTransfer.CopyRunsAsync(b, target);
        var direct = await RunTransfer.CopyRunsAsync(a, target);

        Assert.Equal(new TransferResult(2, 0), viaB);
        Assert.Equal(new TransferResult(0, 1), direct);
        Assert.Equal(2, (await target.ListRunsAsync(new RunQuery())).Count);
    }

    [Fact]
    public async Task Transfer_maps_a_champion_with_a_later_id_and_a_run_naming_itself()
    {
        var source = await NewSourceAsync("train-a");
        var early = await TrainedRunAsync(source, "lgbm", 0.42);
        var late = await TrainedRunAsync(source, "lgbm", 0.40);
        GateVerdict Against(long champion) => Gate.Evaluate(new GateSpec { Metric = "cv_rmsle" },
            new GateMetrics(0.42, new Dictionary<int, double>()), new GateMetrics(0.40, new Dictionary<int, double>()), championRunId: champion);
        await source.RecordGateVerdictAsync(early, Against(late));
        await source.RecordGateVerdictAsync(late, Against(late));
        var target = await NewTargetAsync();
        await TrainedRunAsync(target, "own", 0.5);

        await RunTransfer.CopyRunsAsync(source, target);

        var copies = (await AllRunsAsync(target)).Where(r => r.Experiment == "lgbm").ToList();
        var lateCopy = copies.Single(r => r.Metric("cv_rmsle") == 0.40);
        Assert.Equal(2, copies.Count);
        Assert.All(copies, r => Assert.Equal(lateCopy.Id, r.Gate!.ChampionRunId));
    }

    [Fact]
    public async Task Transfer_leaves_the_registry_and_the_ledger_of_the_target_alone()
    {
        var source = await NewSourceAsync("train-a");
        var run = await TrainedRunAsync(source, "lgbm", 0.40);
        await Promotion.PromoteAsync(source, run, null, AliasChangeKind.Manual, "best so far");
        await source.AddSubmissionAsync(new NewSubmission { RunId = run, FileSha256 = new string('a', 64), Target = "kaggle/x" });
        var target = await NewTargetAsync();

        await RunTransfer.CopyRunsAsync(source, target);

        Assert.Null(await target.GetAliasAsync("lgbm", TrackingStoreExtensions.ChampionAlias));
        Assert.Empty(await target.ListVersionsAsync("lgbm"));
        Assert.Empty(await target.ListSubmissionsAsync(new SubmissionQuery()));
    }
}

/// <summary>Transfer into SQLite, plus what only a SQLite file has: export to a single file and refusal of bad sources.</summary>
public sealed class SqliteRunTransferTests : RunTransferContract
{
    protected override string NewTargetDatabase() => $"sqlite:{Path.Combine(Workspace.Path, $"target-{Guid.NewGuid():N}", "esteira.db")}";

    [Fact]
    public async Task Transfer_export_writes_one_self_contained_file_and_replaces_an_old_one()
    {
        var workspace = await TrackingStores.OpenAsync(Path.Combine(Workspace.Path, ".esteira", "esteira.db"), Workspace.Path, Clock);
        var id = await workspace.StartRunAsync(new NewRun { Experiment = "lgbm" });
        await workspace.LogMetricAsync(id, "cv_rmsle", 0.42);
        await workspace.FinishRunAsync(id, RunStatus.Finished);
        var file = Path.Combine(Workspace.Path, "out", "train-a", "runs.db");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, "an old export");
        await File.WriteAllTextAsync(file + "-wal", "a stale journal");

        var result = await RunTransfer.ExportToSqliteAsync(workspace, file);

        Assert.Equal(new TransferResult(1, 0), result);
        Assert.Equal(["runs.db"], Directory.GetFiles(Path.GetDirectoryName(file)!).Select(Path.GetFileName));
        await using var exported = await TrackingStores.OpenExistingAsync(file, Workspace.Path);
        var copy = Assert.Single(await exported.ListRunsAsync(new RunQuery()));
        var original = await workspace.GetRunOrThrowAsync(id);
        Assert.Equal(Json(original), Json(await exported.GetRunOrThrowAsync(copy.Id)));
        var error = await Assert.ThrowsAsync<EsteiraException>(() => RunTransfer.ExportToSqliteAsync(workspace, Path.Combine(Workspace.Path, ".esteira", "esteira.db")));
        Assert.Equal(ErrorCode.BadInput, error.Code);
        await workspace.DisposeAsync();
    }

    [Fact]
    public async Task Transfer_source_that_is_missing_damaged_or_foreign_is_refused_unchanged()
    {
        var missing = Path.Combine(Workspace.Path, "nope.db");
        var garbage = Path.Combine(Workspace.Path, "garbage.db");
        await File.WriteAllTextAsync(garbage, new string('x', 4096));
        var foreign = Path.Combine(Workspace.Path, "foreign.db");
        await using (var connection = new SqliteConnection($"Data Source={foreign};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var create = connection.CreateCommand();
            create.CommandText = "CREATE TABLE notes (text TEXT)";
            await create.ExecuteNonQueryAsync();
        }

        var foreignBefore = await File.ReadAllBytesAsync(foreign);
        foreach (var (path, expected) in new[] { (missing, "does not exist"), (garbage, "is not an esteira tracking database"), (foreign, "holds no esteira runs tables") })
        {
            var error = await Assert.ThrowsAsync<EsteiraException>(() => TrackingStores.OpenExistingAsync(path, Workspace.Path));
            Assert.Equal(ErrorCode.BadInput, error.Code);
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(missing));
        Assert.Equal(foreignBefore, await File.ReadAllBytesAsync(foreign));
    }
}

/// <summary>Transfer from SQLite into PostgreSQL (ESTEIRA_TEST_POSTGRES): a fresh schema per target, dropped afterwards.</summary>
[Trait("Needs", "postgres")]
public sealed class PostgresRunTransferTests : RunTransferContract
{
    private readonly List<string> _schemas = [];

    protected override string NewTargetDatabase()
    {
        var builder = new NpgsqlConnectionStringBuilder(TestServices.Postgres);
        var schema = $"esteira_test_{Guid.NewGuid():N}"[..40];
        _schemas.Add(schema);
        builder.SearchPath = schema;
        return builder.ConnectionString;
    }

    protected override async Task CleanupAsync()
    {
        if (_schemas.Count == 0)
        {
            return;
        }

        await using var connection = new NpgsqlConnection(TestServices.Postgres);
        await connection.OpenAsync();
        foreach (var schema in _schemas)
        {
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
