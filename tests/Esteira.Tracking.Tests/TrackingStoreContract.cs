using System.Diagnostics;
using Xunit;

namespace Esteira.Tracking.Tests;

/// <summary>
/// The behaviour every <see cref="ITrackingStore"/> must have. Each implementation derives from this class and
/// says how to make a fresh, empty database; every test gets its own.
/// </summary>
public abstract class TrackingStoreContract : IAsyncLifetime
{
    private readonly List<ITrackingStore> _opened = [];
    private string? _uri;

    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero));

    protected TempFolder Workspace { get; } = new();

    /// <summary>A URI (or connection string) for a new, empty database.</summary>
    protected abstract Task<string> NewDatabaseAsync();

    /// <summary>The versions recorded in schema_version of the current database.</summary>
    protected abstract Task<IReadOnlyList<int>> SchemaVersionsAsync(string uri);

    /// <summary>The fixture folder's dialect name: <c>sqlite</c> or <c>postgresql</c>.</summary>
    protected abstract string Dialect { get; }

    /// <summary>Runs a script on the database at <paramref name="uri"/> directly, as an older esteira would have.</summary>
    protected abstract Task ExecuteScriptAsync(string uri, string sql);

    protected virtual Task CleanupAsync() => Task.CompletedTask;

    /// <summary>Opens a store on a fresh database.</summary>
    protected async Task<ITrackingStore> CreateStoreAsync()
    {
        _uri = await NewDatabaseAsync();
        return await OpenAgainAsync();
    }

    /// <summary>Opens another, independent store instance (own connections) on the same database.</summary>
    protected async Task<ITrackingStore> OpenAgainAsync(TimeProvider? time = null)
    {
        var store = await TrackingStores.OpenAsync(_uri ?? throw new InvalidOperationException("call CreateStoreAsync first"), Workspace.Path, time ?? Clock);
        lock (_opened)
        {
            _opened.Add(store);
        }

        return store;
    }

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

    private static NewRun NewRun(string experiment, IReadOnlyDictionary<string, string>? parameters = null) => new()
    {
        Experiment = experiment,
        Params = parameters ?? new Dictionary<string, string>(),
    };

    // ----- runs -----

    [Fact]
    public async Task Started_run_is_running_and_keeps_lineage_params_and_tags()
    {
        var store = await CreateStoreAsync();
        var lineage = new RunLineage
        {
            GitCommit = "3f2a9c1", GitDirty = true, DatasetHash = "sha256:abc", ExperimentHash = "sha256:def",
            EsteiraVersion = "0.1.0", Machine = "ci-runner-7", BlendOf = [new BlendPart(3, 0.4), new BlendPart(5, 0.6)],
        };
        var id = await store.StartRunAsync(new NewRun
        {
            Experiment = "lgbm-base",
            Lineage = lineage,
            Params = new Dictionary<string, string> { ["leaves"] = "63", ["learning_rate"] = "0.05" },
            Tags = new Dictionary<string, string> { ["note"] = "baseline" },
        });

        var run = await store.GetRunOrThrowAsync(id);
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Equal("lgbm-base", run.Experiment);
        Assert.Equal(Clock.GetUtcNow(), run.StartedAt);
        Assert.Null(run.EndedAt);
        Assert.Equal(lineage.GitCommit, run.Lineage.GitCommit);
        Assert.True(run.Lineage.GitDirty);
        Assert.Equal(lineage.DatasetHash, run.Lineage.DatasetHash);
        Assert.Equal(lineage.ExperimentHash, run.Lineage.ExperimentHash);
        Assert.Equal(lineage.EsteiraVersion, run.Lineage.EsteiraVersion);
        Assert.Equal(lineage.Machine, run.Lineage.Machine);
        Assert.Equal(lineage.BlendOf, run.Lineage.BlendOf);
        Assert.Equal("63", run.Params["leaves"]);
        Assert.Equal("0.05", run.Params["learning_rate"]);
        Assert.Equal("baseline", run.Tags["note"]);
        Assert.Equal(Environment.ProcessId, run.Owner.ProcessId);
        Assert.Equal(Environment.MachineName, run.Owner.Host);
    }

    [Fact]
    public async Task Logged_results_round_trip_and_later_values_replace_earlier_ones()
    {
        var store = await CreateStoreAsync();
        var id = await store.StartRunAsync(NewRun("e"));
        await store.LogAsync(id, new RunLog
        {
            Params = new Dictionary<string, string> { ["seed"] = "1", ["folds"] = "3" },
            Metrics =
            [
                new MetricPoint("cv_rmsle", 0.9), new MetricPoint("cv_rmsle", 0.41, Fold: 0), new MetricPoint("cv_rmsle", 0.43, Fold: 1),
                new MetricPoint("train_loss", 1.5, Step: 0), new MetricPoint("train_loss", 1.2, Step: 1), new MetricPoint("train_loss", 1.1, Fold: 1, Step: 1),
            ],
            Stages = [new StageDuration("ingest", 1.5), new StageDuration("train", 30.25)],
            Artifacts = new Dictionary<string, string> { ["model"] = "runs/1/model.zip" },
        });
        await store.LogAsync(id, new RunLog
        {
            Params = new Dictionary<string, string> { ["seed"] = "42" },
            Metrics = [new MetricPoint("cv_rmsle", 0.42)],
            Stages = [new StageDuration("predict", 4), new StageDuration("ingest", 1.75)],
        });

        var run = await store.GetRunOrThrowAsync(id);
        Assert.Equal("42", run.Params["seed"]);
        Assert.Equal("3", run.Params["folds"]);
        Assert.Equal(0.42, run.Metric("cv_rmsle"));
        Assert.Equal(new Dictionary<int, double> { [0] = 0.41, [1] = 0.43 }, run.FoldMetrics("cv_rmsle"));
        Assert.Equal(6, run.Metrics.Count);
        Assert.Contains(new MetricPoint("train_loss", 1.2, null, 1), run.Metrics);
        Assert.Contains(new MetricPoint("train_loss", 1.1, 1, 1), run.Metrics);
        Assert.Equal([new StageDuration("ingest", 1.75), new StageDuration("train", 30.25), new StageDuration("predict", 4)], run.Stages);
        Assert.Equal("runs/1/model.zip", run.Artifacts["model"]);
    }

    [Fact]
    public async Task A_nan_metric_reads_back_as_nan()
    {
        var store = await CreateStoreAsync();
        var id = await store.StartRunAsync(NewRun("e"));
        await store.LogMetricAsync(id, "cv_rmsle", double.NaN);
        await store.LogMetricAsync(id, "huge", double.PositiveInfinity);

        var run = await store.GetRunOrThrowAsync(id);
        Assert.True(double.IsNaN(run.Metric("cv_rmsle")!.Value));
        Assert.Equal(double.PositiveInfinity, run.Metric("huge"));
    }

    [Fact]
    public async Task Passwords_in_logged_values_are_masked_before_they_are_stored()
    {
        var store = await CreateStoreAsync();
        var id = await store.StartRunAsync(new NewRun
        {
            Experiment = "e",
            Params = new Dictionary<string, string> { ["tracking"] = "postgresql://ml:hunter2@db:5432/esteira" },
        });
        await store.LogAsync(id, new RunLog { Tags = new Dictionary<string, string> { ["cs"] = "Host=db;Username=ml;Password=hunter2" } });
        await store.FinishRunAsync(id, RunStatus.Failed, "could not reach postgresql://ml:hunter2@db/esteira");

        var run = await store.GetRunOrThrowAsync(id);
        Assert.Equal("postgresql://ml:***@db:5432/esteira", run.Params["tracking"]);
        Assert.DoesNotContain("hunter2", run.Tags["cs"], StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", run.Error!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_ends_once_and_its_results_cannot_change_afterwards()
    {
        var store = await CreateStoreAsync();
        var id = await store.StartRunAsync(NewRun("e"));
        Clock.Advance(TimeSpan.FromSeconds(90));

        Assert.True(await store.FinishRunAsync(id, RunStatus.Finished));
        Assert.False(await store.FinishRunAsync(id, RunStatus.Failed, "too late"));
        var error = await Assert.ThrowsAsync<EsteiraException>(() => store.LogMetricAsync(id, "cv_rmsle", 0.1));
        Assert.Equal(ErrorCode.Conflict, error.Code);

        var run = await store.GetRunOrThrowAsync(id);
        Assert.Equal(RunStatus.Finished, run.Status);
        Assert.Null(run.Error);
        Assert.Equal(TimeSpan.FromSeconds(90), run.Duration);
        Assert.Empty(run.Metrics);
    }

    [Fact]
    public async Task A_run_recorded_after_its_work_starts_when_the_work_did_never_in_the_future()
    {
        var store = await CreateStoreAsync();
        var id = await store.StartRunAsync(NewRun("e") with { StartedAt = Clock.GetUtcNow() - TimeSpan.FromSeconds(12) });
        Assert.True(await store.FinishRunAsync(id, RunStatus.Finished));
        var future = await store.StartRunAsync(NewRun("e") with { StartedAt = Clock.GetUtcNow() + TimeSpan.FromHours(1) });

        Assert.Equal(TimeSpan.FromSeconds(12), (await store.GetRunOrThrowAsync(id)).Duration);
        Assert.Equal(Clock.GetUtcNow(), (await store.GetRunOrThrowAsync(future)).StartedAt);
    }

    [Fact]
    public async Task Tags_can_be_set_on_an_ended_run()
    {
        var store = await CreateStoreAsync();
        var id = await store.StartRunAsync(NewRun("e"));
        await store.FinishRunAsync(id, RunStatus.Finished);

        await store.SetTagsAsync(id, new Dictionary<string, string> { ["submitted"] = "kaggle" });

        Assert.Equal("kaggle", (await store.GetRunOrThrowAsync(id)).Tags["submitted"]);
    }

    [Fact]
    public async Task Every_write_and_an_explicit_heartbeat_refresh_the_heartbeat()
    {
        var store = await CreateStoreAsync();
        var id = await store.StartRunAsync(NewRun("e"));
        Clock.Advance(TimeSpan.FromMinutes(3));
        await store.LogMetricAsync(id, "m", 1);
        var afterLog = (await store.GetRunOrThrowAsync(id)).HeartbeatAt;
        Clock.Advance(TimeSpan.FromMinutes(3));
        await store.HeartbeatAsync(id);

        var run = await store.GetRunOrThrowAsync(id);
        Assert.Equal(run.StartedAt + TimeSpan.FromMinutes(3), afterLog);
        Assert.Equal(Clock.GetUtcNow(), run.HeartbeatAt);
    }

    [Fact]
    public async Task An_unknown_run_is_reported_as_not_found()
    {
        var store = await CreateStoreAsync();

        Assert.Null(await store.GetRunAsync(999));
        Assert.Equal(ErrorCode.NotFound, (await Assert.ThrowsAsync<EsteiraException>(() => store.LogMetricAsync(999, "m", 1))).Code);
        Assert.Equal(ErrorCode.NotFound, (await Assert.ThrowsAsync<EsteiraException>(() => store.FinishRunAsync(999, RunStatus.Finished))).Code);
        Assert.Equal(ErrorCode.NotFound, (await Assert.ThrowsAsync<EsteiraException>(() => store.SetTagsAsync(999, new Dictionary<string, string> { ["a"] = "b" }))).Code);
    }

    [Fact]
    public async Task List_filters_by_experiment_and_status_and_sorts_by_a_metric_with_missing_values_last()
    {
        var store = await CreateStoreAsync();
        var scores = new (string Experiment, double? Rmsle)[] { ("a", 0.5), ("a", 0.3), ("b", 0.1), ("a", null), ("a", 0.4) };
        var ids = new List<long>();
        foreach (var (experiment, rmsle) in scores)
        {
            var id = await store.StartRunAsync(NewRun(experiment));
            if (rmsle is { } r)
            {
                await store.LogMetricsAsync(id, [new MetricPoint("cv_rmsle", r), new MetricPoint("cv_rmsle", r + 1, Fold: 0)]);
            }

            await store.LogMetricAsync(id, "seconds", ids.Count);
            await store.FinishRunAsync(id, RunStatus.Finished);
            ids.Add(id);
        }

        var running = await store.StartRunAsync(NewRun("a"));

        var newest = await store.ListRunsAsync(new RunQuery());
        Assert.Equal([running, ids[4], ids[3], ids[2], ids[1], ids[0]], newest.Select(r => r.Id));

        var ascending = await store.ListRunsAsync(new RunQuery { Experiment = "a", SortMetric = "cv_rmsle", Status = RunStatus.Finished });
        Assert.Equal([ids[1], ids[4], ids[0], ids[3]], ascending.Select(r => r.Id));
        Assert.Equal(0.3, ascending[0].Metrics["cv_rmsle"]);
        Assert.Equal(1.0, ascending[0].Metrics["seconds"]);
        Assert.False(ascending[3].Metrics.ContainsKey("cv_rmsle"));

        var descending = await store.ListRunsAsync(new RunQuery { Experiment = "a", SortMetric = "cv_rmsle", Descending = true, Limit = 2 });
        Assert.Equal([ids[0], ids[4]], descending.Select(r => r.Id));

        var onlyRunning = await store.ListRunsAsync(new RunQuery { Status = RunStatus.Running });
        Assert.Equal([running], onlyRunning.Select(r => r.Id));
    }

    [Fact]
    public async Task List_pages_with_an_offset_and_sorts_by_a_run_column()
    {
        var store = await CreateStoreAsync();
        var ids = new List<long>();
        foreach (var experiment in new[] { "c", "a", "b", "a", "c" })
        {
            var id = await store.StartRunAsync(NewRun(experiment));
            await store.FinishRunAsync(id, ids.Count == 2 ? RunStatus.Failed : RunStatus.Finished);
            ids.Add(id);
        }

        var running = await store.StartRunAsync(NewRun("b"));

        // Newest first, two at a time: the pages do not overlap and cover every run.
        var pages = new List<long>();
        for (var offset = 0; offset < 8; offset += 2)
        {
            pages.AddRange((await store.ListRunsAsync(new RunQuery { Limit = 2, Offset = offset })).Select(r => r.Id));
        }

        Assert.Equal([running, ids[4], ids[3], ids[2], ids[1], ids[0]], pages);

        // By experiment (ties newest first), both ways.
        var byExperiment = await store.ListRunsAsync(new RunQuery { Order = RunOrder.Experiment });
        Assert.Equal([ids[3], ids[1], running, ids[2], ids[4], ids[0]], byExperiment.Select(r => r.Id));
        var byExperimentDown = await store.ListRunsAsync(new RunQuery { Order = RunOrder.Experiment, Descending = true, Offset = 1, Limit = 2 });
        Assert.Equal([ids[0], running], byExperimentDown.Select(r => r.Id));

        // By status, oldest first, and by duration: a run still in progress has none and comes last either way.
        Assert.Equal([ids[0], ids[1], ids[2], ids[3], ids[4], running], (await store.ListRunsAsync(new RunQuery { Order = RunOrder.Started })).Select(r => r.Id));
        Assert.Equal(ids[2], (await store.ListRunsAsync(new RunQuery { Order = RunOrder.Status }))[0].Id);
        Assert.Equal(running, (await store.ListRunsAsync(new RunQuery { Order = RunOrder.Duration }))[^1].Id);
        Assert.Equal(running, (await store.ListRunsAsync(new RunQuery { Order = RunOrder.Duration, Descending = true }))[^1].Id);

        Assert.Equal(ErrorCode.BadInput, (await Assert.ThrowsAsync<EsteiraException>(() => store.ListRunsAsync(new RunQuery { Offset = -1 }))).Code);
    }

    [Fact]
    public async Task Get_runs_keeps_the_asked_order_and_skips_unknown_ids()
    {
        var store = await CreateStoreAsync();
        var a = await store.StartRunAsync(NewRun("e"));
        var b = await store.StartRunAsync(NewRun("e"));

        var runs = await store.GetRunsAsync([b, 12345, a]);

        Assert.Equal([b, a], runs.Select(r => r.Id));
        Assert.Equal(ErrorCode.NotFound, (await Assert.ThrowsAsync<EsteiraException>(() => store.GetRunsOrThrowAsync([a, 777]))).Code);
    }

    [Fact]
    public async Task Compare_lines_up_stored_runs_and_keeps_only_differences_unless_all()
    {
        var store = await CreateStoreAsync();
        var a = await store.StartRunAsync(NewRun("e", new Dictionary<string, string> { ["leaves"] = "63", ["seed"] = "42" }));
        await store.LogMetricsAsync(a, [new MetricPoint("cv_rmsle", 0.42), new MetricPoint("cv_rmsle", 0.40, Fold: 0)]);
        var b = await store.StartRunAsync(NewRun("e", new Dictionary<string, string> { ["leaves"] = "127", ["seed"] = "42" }));
        await store.LogMetricsAsync(b, [new MetricPoint("cv_rmsle", 0.41), new MetricPoint("cv_rmsle", 0.40, Fold: 0)]);

        var runs = await store.GetRunsOrThrowAsync([a, b]);
        var diff = RunComparison.Compare(runs, all: false);
        var everything = RunComparison.Compare(runs, all: true);

        Assert.Equal(["param:leaves", "metric:cv_rmsle"], diff.Rows.Select(r => $"{r.Section}:{r.Key}"));
        Assert.Equal(["63", "127"], diff.Rows[0].Values);
        Assert.Equal([0.42, 0.41], diff.Rows[1].Numbers!.Select(n => n!.Value));
        Assert.Contains(everything.Rows, r => r.Key == "seed" && !r.Differs);
        Assert.Contains(everything.Rows, r => r.Key == "cv_rmsle[fold=0]" && !r.Differs);
        Assert.True(diff.HiddenRows > 0);
    }

    [Fact]
    public async Task The_gate_verdict_is_stored_with_the_run()
    {
        var store = await CreateStoreAsync();
        var id = await store.StartRunAsync(NewRun("e"));
        var verdict = Gate.Evaluate(new GateSpec { Metric = "cv_rmsle", Max = 0.5 }, new GateMetrics(0.7, new Dictionary<int, double>()), null);

        await store.RecordGateVerdictAsync(id, verdict);

        var run = await store.GetRunOrThrowAsync(id);
        Assert.False(run.Gate!.Passed);
        Assert.Equal(verdict.Conditions, run.Gate.Conditions);
        Assert.False((await store.ListRunsAsync(new RunQuery())).Single().GatePassed);
    }

    [Fact]
    public async Task Every_run_gets_its_own_uid()
    {
        var store = await CreateStoreAsync();
        var a = await store.StartRunAsync(NewRun("e"));
        var b = await store.StartRunAsync(NewRun("e"));

        var runs = await store.GetRunsAsync([a, b]);

        Assert.All(runs, r => Assert.NotEqual(Guid.Empty, r.Uid));
        Assert.NotEqual(runs[0].Uid, runs[1].Uid);
    }

    [Fact]
    public async Task An_imported_run_keeps_every_field_under_a_new_id()
    {
        var store = await CreateStoreAsync();
        var existing = await store.StartRunAsync(NewRun("other"));
        var started = new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
        var run = new Run
        {
            Id = 77, Uid = Guid.NewGuid(), Experiment = "lgbm", Status = RunStatus.Failed,
            StartedAt = started, EndedAt = started.AddMinutes(5), HeartbeatAt = started.AddMinutes(4), Error = "IOException: disk full",
            Owner = new RunOwner("ci-runner-3", 4242, started.AddSeconds(-3)),
            Lineage = new RunLineage { GitCommit = "3f2a9c1", GitDirty = false, DatasetHash = "sha256:abc", Machine = "ci-runner-3", BlendOf = [new BlendPart(existing, 1)] },
            Params = new Dictionary<string, string> { ["leaves"] = "63" },
            Tags = new Dictionary<string, string> { ["note"] = "x" },
            Metrics = [new MetricPoint("cv_rmsle", 0.42), new MetricPoint("cv_rmsle", 0.41, Fold: 0), new MetricPoint("loss", 1.5, Step: 3)],
            Stages = [new StageDuration("train", 30), new StageDuration("ingest", 2)],
            Artifacts = new Dictionary<string, string> { ["model"] = "runs/77/model.zip" },
            Gate = Gate.Evaluate(new GateSpec { Metric = "cv_rmsle", Max = 0.5 }, new GateMetrics(0.42, new Dictionary<int, double>()), null),
        };

        var imported = await store.ImportRunAsync(run);

        Assert.True(imported.Created);
        Assert.NotEqual(existing, imported.RunId);
        var back = await store.GetRunOrThrowAsync(imported.RunId);
        Assert.Equal(RunTransferContract.Json(run with { Id = imported.RunId }), RunTransferContract.Json(back));
        Assert.True((await store.ListRunsAsync(new RunQuery())).Single(r => r.Id == imported.RunId).GatePassed);
    }

    [Fact]
    public async Task Importing_a_run_whose_uid_is_present_writes_nothing()
    {
        var store = await CreateStoreAsync();
        var id = await store.StartRunAsync(NewRun("e"));
        await store.FinishRunAsync(id, RunStatus.Finished);
        var run = await store.GetRunOrThrowAsync(id);

        var again = await store.ImportRunAsync(run with { Experiment = "changed" });

        Assert.Equal(new ImportedRun(id, false), again);
        Assert.Equal("e", Assert.Single(await store.ListRunsAsync(new RunQuery())).Experiment);
        Assert.Equal(ErrorCode.BadInput, (await Assert.ThrowsAsync<EsteiraException>(() => store.ImportRunAsync(run with { Uid = Guid.Empty }))).Code);
    }

    // ----- registry -----

    private async Task<long> FinishedRunAsync(ITrackingStore store, string experiment, double rmsle, params double[] folds)
    {
        var id = await store.StartRunAsync(NewRun(experiment));
        var metrics = new List<MetricPoint> { new("cv_rmsle", rmsle) };
        metrics.AddRange(folds.Select((f, i) => new MetricPoint("cv_rmsle", f, Fold: i)));
        await store.LogMetricsAsync(id, metrics);
        await store.FinishRunAsync(id, RunStatus.Finished);
        Clock.Advance(TimeSpan.FromMinutes(1));
        return id;
    }

    [Fact]
    public async Task Versions_are_numbered_per_model_and_registering_a_run_twice_returns_its_version()
    {
        var store = await CreateStoreAsync();
        var a = await FinishedRunAsync(store, "e", 0.5);
        var b = await FinishedRunAsync(store, "e", 0.4);

        var v1 = await store.RegisterVersionAsync("gbm", a, "first");
        var v2 = await store.RegisterVersionAsync("gbm", b);
        var again = await store.RegisterVersionAsync("gbm", a);
        var other = await store.RegisterVersionAsync("other", b);

        Assert.Equal((1, 2, 1, 1), (v1.Version, v2.Version, again.Version, other.Version));
        Assert.Equal("first", again.Note);
        Assert.Equal([a, b], (await store.ListVersionsAsync("gbm")).Select(v => v.RunId));
        Assert.Empty(await store.ListVersionsAsync("nobody"));
    }

    [Fact]
    public async Task Only_a_finished_run_can_be_registered()
    {
        var store = await CreateStoreAsync();
        var running = await store.StartRunAsync(NewRun("e"));
        var failed = await store.StartRunAsync(NewRun("e"));
        await store.FinishRunAsync(failed, RunStatus.Failed, "boom");

        Assert.Equal(ErrorCode.Conflict, (await Assert.ThrowsAsync<EsteiraException>(() => store.RegisterVersionAsync("gbm", running))).Code);
        Assert.Equal(ErrorCode.Conflict, (await Assert.ThrowsAsync<EsteiraException>(() => store.RegisterVersionAsync("gbm", failed))).Code);
        Assert.Equal(ErrorCode.NotFound, (await Assert.ThrowsAsync<EsteiraException>(() => store.RegisterVersionAsync("gbm", 4242))).Code);
    }

    [Fact]
    public async Task Every_alias_move_is_recorded_with_previous_version_kind_reason_and_actor()
    {
        var store = await CreateStoreAsync();
        var a = await FinishedRunAsync(store, "e", 0.5);
        var b = await FinishedRunAsync(store, "e", 0.4);
        await store.RegisterVersionAsync("gbm", a);
        await store.RegisterVersionAsync("gbm", b);

        Assert.Null(await store.GetChampionAsync("gbm"));
        await store.SetAliasAsync("gbm", "champion", 1, AliasChangeKind.Gate, "first run passing the gate", "esteira gate");
        Clock.Advance(TimeSpan.FromHours(1));
        await store.SetAliasAsync("gbm", "champion", 2, AliasChangeKind.Manual, "LB says so", "ana");

        var champion = await store.GetChampionAsync("gbm");
        Assert.Equal((2, b), (champion!.Version, champion.RunId));
        var history = await store.GetAliasHistoryAsync("gbm", "champion");
        Assert.Equal(2, history.Count);
        Assert.Equal((1, (int?)null, AliasChangeKind.Gate, "first run passing the gate", "esteira gate"),
            (history[0].Version, history[0].PreviousVersion, history[0].Kind, history[0].Reason, history[0].Actor));
        Assert.Equal((2, (int?)1, AliasChangeKind.Manual, "LB says so", "ana", b),
            (history[1].Version, history[1].PreviousVersion, history[1].Kind, history[1].Reason, history[1].Actor, history[1].RunId));
        Assert.Equal(Clock.GetUtcNow(), history[1].ChangedAt);
    }

    [Fact]
    public async Task An_alias_needs_a_reason_and_an_existing_version()
    {
        var store = await CreateStoreAsync();
        var a = await FinishedRunAsync(store, "e", 0.5);
        await store.RegisterVersionAsync("gbm", a);

        Assert.Equal(ErrorCode.BadInput, (await Assert.ThrowsAsync<EsteiraException>(() => store.SetAliasAsync("gbm", "champion", 1, AliasChangeKind.Manual, "  "))).Code);
        Assert.Equal(ErrorCode.NotFound, (await Assert.ThrowsAsync<EsteiraException>(() => store.SetAliasAsync("gbm", "champion", 7, AliasChangeKind.Manual, "why not"))).Code);
        Assert.Empty(await store.GetAliasHistoryAsync("gbm", "champion"));
    }

    [Fact]
    public async Task The_gate_makes_the_first_passing_run_champion_and_then_only_a_better_one()
    {
        var store = await CreateStoreAsync();
        var spec = new GateSpec { Metric = "cv_rmsle", Max = 0.6, MinImprovement = 0.002, MaxFoldRegression = 0.05 };
        var tooBad = await FinishedRunAsync(store, "lgbm", 0.7, 0.7, 0.7);
        var first = await FinishedRunAsync(store, "lgbm", 0.50, 0.48, 0.52);
        var worse = await FinishedRunAsync(store, "lgbm", 0.499, 0.40, 0.598);
        var better = await FinishedRunAsync(store, "lgbm", 0.45, 0.44, 0.46);

        var o1 = await Promotion.GateAndPromoteAsync(store, tooBad, spec);
        var o2 = await Promotion.GateAndPromoteAsync(store, first, spec);
        var o3 = await Promotion.GateAndPromoteAsync(store, worse, spec);
        var o4 = await Promotion.GateAndPromoteAsync(store, better, spec);

        Assert.False(o1.Verdict.Passed);
        Assert.Null(o1.Promotion);
        Assert.True(o2.Verdict.Passed);
        Assert.Null(o2.Verdict.ChampionRunId);
        Assert.Equal(first, o2.Promotion!.Version.RunId);
        Assert.False(o3.Verdict.Passed); // improvement 0.001 < 0.002 and fold 1 regressed by 0.078
        Assert.Equal(first, o3.Verdict.ChampionRunId);
        Assert.True(o4.Verdict.Passed);
        Assert.Equal(better, (await store.GetChampionAsync("lgbm"))!.RunId);
        var history = await store.GetAliasHistoryAsync("lgbm", "champion");
        Assert.All(history, h => Assert.Equal(AliasChangeKind.Gate, h.Kind));
        Assert.Equal([first, better], history.Select(h => h.RunId));
        Assert.False((await store.GetRunOrThrowAsync(worse)).Gate!.Passed);
    }

    [Fact]
    public async Task A_manual_promotion_overrides_the_gate_and_is_recorded_as_such()
    {
        var store = await CreateStoreAsync();
        var a = await FinishedRunAsync(store, "lgbm", 0.45);
        var b = await FinishedRunAsync(store, "lgbm", 0.47);
        await Promotion.PromoteAsync(store, a, null, AliasChangeKind.Gate, "gate passed");

        var result = await Promotion.PromoteAsync(store, b, null, AliasChangeKind.Manual, "public LB confirms it", "ana");

        Assert.Equal((2, (int?)1, AliasChangeKind.Manual, "public LB confirms it"),
            (result.Change.Version, result.Change.PreviousVersion, result.Change.Kind, result.Change.Reason));
        Assert.Equal(b, (await store.GetChampionAsync("lgbm"))!.RunId);
        Assert.Equal(ErrorCode.Usage, (await Assert.ThrowsAsync<EsteiraException>(() => Promotion.PromoteAsync(store, a, null, AliasChangeKind.Manual, ""))).Code);
    }

    // ----- ledger -----

    private static NewSubmission Submission(string target, long? runId = null, char hash = 'a') =>
        new() { Target = target, RunId = runId, FileSha256 = new string(hash, 64), CvScore = 0.41 };

    [Fact]
    public async Task The_ledger_records_and_updates_submissions()
    {
        var store = await CreateStoreAsync();
        var run = await FinishedRunAsync(store, "e", 0.41);
        var id = await store.AddSubmissionAsync(Submission("kaggle:ashrae", run) with { FileSha256 = new string('F', 64) });
        Clock.Advance(TimeSpan.FromMinutes(5));

        await store.UpdateSubmissionAsync(id, new SubmissionUpdate { Status = SubmissionStatus.Complete, PublicScore = 1.05, ExternalId = "ref-123" });
        await store.UpdateSubmissionAsync(id, new SubmissionUpdate { PrivateScore = 1.28 });

        var row = Assert.Single(await store.ListSubmissionsAsync(new SubmissionQuery { RunId = run }));
        Assert.Equal((run, new string('f', 64), "kaggle:ashrae", SubmissionStatus.Complete), (row.RunId!.Value, row.FileSha256, row.Target, row.Status));
        Assert.Equal((0.41, 1.05, 1.28, "ref-123"), (row.CvScore!.Value, row.PublicScore!.Value, row.PrivateScore!.Value, row.ExternalId));
        Assert.Equal(Clock.GetUtcNow() - TimeSpan.FromMinutes(5), row.SubmittedAt);
        Assert.Equal(Clock.GetUtcNow(), row.UpdatedAt);
        Assert.Equal(ErrorCode.NotFound, (await Assert.ThrowsAsync<EsteiraException>(() => store.UpdateSubmissionAsync(999, new SubmissionUpdate()))).Code);
        Assert.Equal(ErrorCode.BadInput, (await Assert.ThrowsAsync<EsteiraException>(() => store.AddSubmissionAsync(Submission("t") with { FileSha256 = "xyz" }))).Code);
    }

    [Fact]
    public async Task Submissions_are_counted_from_midnight_utc_per_target()
    {
        // A clock of its own: the day starts before the contract's clock does.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 1, 30, 0, TimeSpan.FromHours(3))); // 22:30 UTC the day before
        await CreateStoreAsync();
        var store = await OpenAgainAsync(clock);
        await store.AddSubmissionAsync(Submission("kaggle"));
        clock.SetUtcNow(new DateTimeOffset(2026, 11, 25, 23, 59, 59, TimeSpan.Zero));
        await store.AddSubmissionAsync(Submission("kaggle"));
        clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero));
        await store.AddSubmissionAsync(Submission("kaggle"));
        clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 18, 0, 0, TimeSpan.Zero));
        await store.AddSubmissionAsync(Submission("kaggle"));
        await store.AddSubmissionAsync(Submission("leaderboard"));

        Assert.Equal(2, await store.CountSubmissionsTodayAsync("kaggle", clock.GetUtcNow()));
        Assert.Equal(1, await store.CountSubmissionsTodayAsync("leaderboard", clock.GetUtcNow()));
        Assert.Equal(4, await store.CountSubmissionsSinceAsync("kaggle", DateTimeOffset.UnixEpoch));
        Assert.Equal(0, await store.CountSubmissionsTodayAsync("kaggle", clock.GetUtcNow().AddDays(1)));
    }

    [Fact]
    public async Task Imported_submissions_keep_their_times_count_by_them_and_are_not_added_twice()
    {
        var store = await CreateStoreAsync();
        var today = TrackingStoreExtensions.StartOfUtcDay(Clock.GetUtcNow());
        var entries = new List<ImportedSubmission>
        {
            new(Submission("folder/c", hash: 'b') with { CvScore = null, Status = SubmissionStatus.Complete, ExternalId = "41", Message = "at postgresql://u:pw@h/db" }, today.AddHours(-1)),
            new(Submission("folder/c", hash: 'c') with { Status = SubmissionStatus.Error }, today.AddMinutes(1)),
        };

        Assert.Equal(2, await store.ImportSubmissionsAsync(entries));
        Assert.Equal(0, await store.ImportSubmissionsAsync(entries));
        Assert.Equal(1, await store.ImportSubmissionsAsync([.. entries, new(Submission("folder/c", hash: 'b'), today.AddMinutes(2))]));

        var rows = await store.ListSubmissionsAsync(new SubmissionQuery { Target = "folder/c" });
        Assert.Equal([today.AddMinutes(2), today.AddMinutes(1), today.AddHours(-1)], rows.Select(r => r.SubmittedAt));
        Assert.Equal(("41", SubmissionStatus.Complete, (double?)null), (rows[2].ExternalId, rows[2].Status, rows[2].CvScore));
        Assert.Equal($"at postgresql://u:{Secrets.Mask}@h/db", rows[2].Message);
        Assert.Equal(2, await store.CountSubmissionsSinceAsync("folder/c", today));
        Assert.Equal(0, await store.ImportSubmissionsAsync([]));

        // A bad entry refuses the whole batch: nothing of it is written.
        var bad = await Assert.ThrowsAsync<EsteiraException>(() => store.ImportSubmissionsAsync(
            [new(Submission("folder/c", hash: 'd'), today), new(Submission("folder/c") with { FileSha256 = "xyz" }, today)]));
        Assert.Equal(ErrorCode.BadInput, bad.Code);
        Assert.Equal(3, await store.CountSubmissionsSinceAsync("folder/c", DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public async Task The_daily_limit_holds_when_several_processes_submit_at_once()
    {
        await CreateStoreAsync();
        var stores = new List<ITrackingStore>();
        for (var i = 0; i < 8; i++)
        {
            stores.Add(await OpenAgainAsync());
        }

        var outcomes = await Task.WhenAll(stores.Select((s, i) => Task.Run(async () =>
        {
            try
            {
                await s.AddSubmissionAsync(Submission("kaggle", hash: (char)('0' + i)), dailyLimit: 5);
                return "added";
            }
            catch (EsteiraException e) when (e.Code == ErrorCode.LimitExceeded)
            {
                return "refused";
            }
        })));

        Assert.Equal(5, outcomes.Count(o => o == "added"));
        Assert.Equal(3, outcomes.Count(o => o == "refused"));
        Assert.Equal(5, await stores[0].CountSubmissionsTodayAsync("kaggle", Clock.GetUtcNow()));
    }

    // ----- concurrency and crashes -----

    [Fact]
    public async Task Concurrent_writers_with_their_own_connections_lose_nothing()
    {
        var first = await CreateStoreAsync();
        var shared = await first.StartRunAsync(NewRun("shared"));
        var stores = new List<ITrackingStore>();
        for (var i = 0; i < 8; i++)
        {
            stores.Add(await OpenAgainAsync());
        }

        var own = await Task.WhenAll(stores.Select((store, writer) => Task.Run(async () =>
        {
            var mine = await store.StartRunAsync(NewRun($"writer-{writer}"));
            for (var i = 0; i < 50; i++)
            {
                await store.LogMetricAsync(shared, $"writer_{writer}", i, step: i);
                await store.LogAsync(mine, new RunLog
                {
                    Metrics = [new MetricPoint("loss", 1.0 / (i + 1), Step: i)],
                    Params = new Dictionary<string, string> { [$"p{i}"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                });
            }

            await store.FinishRunAsync(mine, RunStatus.Finished);
            return mine;
        })));

        var run = await first.GetRunOrThrowAsync(shared);
        Assert.Equal(400, run.Metrics.Count);
        for (var writer = 0; writer < 8; writer++)
        {
            Assert.Equal(Enumerable.Range(0, 50).Select(i => (double)i), run.Metrics.Where(m => m.Name == $"writer_{writer}").OrderBy(m => m.Step).Select(m => m.Value));
        }

        Assert.Equal(8, own.Distinct().Count());
        var mine = await first.GetRunsOrThrowAsync(own);
        Assert.All(mine, r =>
        {
            Assert.Equal(RunStatus.Finished, r.Status);
            Assert.Equal(50, r.Metrics.Count);
            Assert.Equal(50, r.Params.Count);
        });
    }

    [Fact]
    public async Task A_run_whose_process_died_is_marked_failed_by_recovery_and_live_runs_are_left_alone()
    {
        var store = await CreateStoreAsync();
        RunOwner dead;
        using (var process = Process.Start(new ProcessStartInfo("sleep", "0.3") { UseShellExecute = false })!)
        {
            dead = new RunOwner(Environment.MachineName, process.Id, new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero));
            await process.WaitForExitAsync();
        }

        var crashed = await store.StartRunAsync(new NewRun { Experiment = "e", Owner = dead });
        await store.LogMetricAsync(crashed, "cv_rmsle", 0.4, fold: 0); // half-written: one fold of three
        var alive = await store.StartRunAsync(NewRun("e"));
        var remoteStale = await store.StartRunAsync(new NewRun { Experiment = "e", Owner = new RunOwner("elsewhere", 1234, null) });
        Clock.Advance(TimeSpan.FromMinutes(11));
        var remoteFresh = await store.StartRunAsync(new NewRun { Experiment = "e", Owner = new RunOwner("elsewhere", 1235, null) });

        var failed = await RunRecovery.MarkStaleRunsFailedAsync(store, time: Clock);

        Assert.Equal([crashed, remoteStale], failed.Order());
        var runs = (await store.GetRunsAsync([crashed, alive, remoteStale, remoteFresh])).ToDictionary(r => r.Id);
        Assert.Equal(RunStatus.Failed, runs[crashed].Status);
        Assert.Contains("abandoned", runs[crashed].Error!, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Running, runs[alive].Status);
        Assert.Equal(RunStatus.Failed, runs[remoteStale].Status);
        Assert.Equal(RunStatus.Running, runs[remoteFresh].Status);
        Assert.Empty(await RunRecovery.MarkStaleRunsFailedAsync(store, time: Clock));
    }

    [Fact]
    public async Task A_recorder_disposed_without_completing_marks_the_run_failed()
    {
        var store = await CreateStoreAsync();
        long id = 0;

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var recorder = await RunRecorder.StartAsync(store, NewRun("e"), TimeSpan.Zero);
            id = recorder.RunId;
            await recorder.LogMetricAsync("cv_rmsle", 0.4, fold: 0);
            throw new InvalidOperationException("training diverged");
        });

        Assert.Equal("training diverged", thrown.Message);
        var run = await store.GetRunOrThrowAsync(id);
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("without being completed", run.Error!, StringComparison.Ordinal);
        Assert.NotNull(run.EndedAt);
    }

    [Fact]
    public async Task A_recorder_completes_its_run_or_records_why_it_failed()
    {
        var store = await CreateStoreAsync();
        long completed, failed;
        await using (var recorder = await RunRecorder.StartAsync(store, NewRun("e"), TimeSpan.Zero))
        {
            completed = recorder.RunId;
            await recorder.LogStageAsync("train", 12.5);
            await recorder.CompleteAsync();
        }

        await using (var recorder = await RunRecorder.StartAsync(store, NewRun("e"), TimeSpan.Zero))
        {
            failed = recorder.RunId;
            await recorder.FailAsync(new IOException("disk full"));
        }

        Assert.Equal(RunStatus.Finished, (await store.GetRunOrThrowAsync(completed)).Status);
        var run = await store.GetRunOrThrowAsync(failed);
        Assert.Equal((RunStatus.Failed, "IOException: disk full"), (run.Status, run.Error));
    }

    [Fact]
    public async Task A_run_declared_failed_by_recovery_is_never_revived_by_its_owner()
    {
        var store = await CreateStoreAsync();
        await using var recorder = await RunRecorder.StartAsync(store, NewRun("e"), TimeSpan.Zero);
        await store.FinishRunAsync(recorder.RunId, RunStatus.Failed, "abandoned: its process is gone");

        var error = await Assert.ThrowsAsync<EsteiraException>(() => recorder.CompleteAsync());

        Assert.Equal(ErrorCode.Conflict, error.Code);
        Assert.Equal(RunStatus.Failed, (await store.GetRunOrThrowAsync(recorder.RunId)).Status);
    }

    [Fact]
    public async Task Migrations_are_applied_once_and_recorded()
    {
        var store = await CreateStoreAsync();
        var id = await store.StartRunAsync(NewRun("e"));
        await using (var again = await OpenAgainAsync())
        {
            Assert.NotNull(await again.GetRunAsync(id));
        }

        Assert.Equal([1, 2], await SchemaVersionsAsync(_uri!));
    }

    [Fact]
    public async Task A_database_written_before_the_shared_sql_base_opens_as_it_is()
    {
        // Given a database created by the previous migrations runner, at version 2, with one finished run
        _uri = await NewDatabaseAsync();
        var fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", $"tracking-v2-before-esteira-sql.{Dialect}.sql");
        await ExecuteScriptAsync(_uri, await File.ReadAllTextAsync(fixture));

        // When this esteira opens it
        var store = await OpenAgainAsync();

        // Then nothing is migrated again, the old run reads back whole, and new runs follow it
        Assert.Equal([1, 2], await SchemaVersionsAsync(_uri));
        var legacy = await store.GetRunOrThrowAsync(1);
        Assert.Equal("legacy", legacy.Experiment);
        Assert.Equal(RunStatus.Finished, legacy.Status);
        Assert.Equal(Guid.ParseExact("0123456789abcdef0123456789abcdef", "N"), legacy.Uid);
        Assert.Equal("0.1", legacy.Params["lr"]);
        Assert.Equal(0.5, legacy.Metrics.Single(m => m.Name == "rmse").Value);
        Assert.Equal(2, await store.StartRunAsync(NewRun("after")));
    }
}
