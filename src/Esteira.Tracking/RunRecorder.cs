namespace Esteira.Tracking;

/// <summary>
/// Owns one running run: logs to it, keeps its heartbeat fresh, and makes sure it never ends looking finished
/// unless <see cref="CompleteAsync"/> was called.
/// </summary>
/// <remarks>
/// <code>
/// await using var run = await RunRecorder.StartAsync(store, new NewRun { Experiment = "lgbm-base", Lineage = lineage });
/// await run.LogParamsAsync(parameters);
/// ... train ...
/// await run.LogMetricsAsync(metrics);
/// await run.CompleteAsync();          // without this, disposing marks the run failed
/// </code>
/// If the process dies before disposing (killed, power loss), the run stays <c>running</c> until
/// <see cref="RunRecovery.MarkStaleRunsFailedAsync"/> sees that its owner is gone and marks it failed.
/// </remarks>
public sealed class RunRecorder : IAsyncDisposable
{
    /// <summary>How often the heartbeat is refreshed while nothing else is written.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(30);

    private readonly IRunStore _store;
    private readonly Timer? _heartbeat;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _ended;

    private RunRecorder(IRunStore store, long runId, TimeSpan? heartbeatInterval)
    {
        _store = store;
        RunId = runId;
        var interval = heartbeatInterval ?? HeartbeatInterval;
        if (interval > TimeSpan.Zero)
        {
            _heartbeat = new Timer(_ => _ = BeatAsync(), null, interval, interval);
        }

        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>The run's id.</summary>
    public long RunId { get; }

    /// <summary>The status the recorder ended the run with, or null while it runs.</summary>
    public RunStatus? EndedAs { get; private set; }

    /// <summary>Starts a run owned by the current process.</summary>
    /// <param name="store">Where to record it.</param>
    /// <param name="run">Experiment, lineage, first params and tags.</param>
    /// <param name="heartbeatInterval">How often to refresh the heartbeat; zero turns it off (tests).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<RunRecorder> StartAsync(IRunStore store, NewRun run, TimeSpan? heartbeatInterval = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var id = await store.StartRunAsync(run, cancellationToken);
        return new RunRecorder(store, id, heartbeatInterval);
    }

    /// <summary>Writes a batch of results to the run in one transaction (see <see cref="IRunStore.LogAsync"/>); never concurrently with the heartbeat.</summary>
    public Task LogAsync(RunLog log, CancellationToken cancellationToken = default) => WithGateAsync(() => _store.LogAsync(RunId, log, cancellationToken), cancellationToken);

    /// <summary>Logs params (name → value); a name already logged gets the new value.</summary>
    public Task LogParamsAsync(IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default) =>
        LogAsync(new RunLog { Params = parameters }, cancellationToken);

    /// <summary>Logs metric values.</summary>
    public Task LogMetricsAsync(IReadOnlyList<MetricPoint> metrics, CancellationToken cancellationToken = default) =>
        LogAsync(new RunLog { Metrics = metrics }, cancellationToken);

    /// <summary>Logs one metric value: the summary value, or a per-fold (<paramref name="fold"/>) or history (<paramref name="step"/>) value.</summary>
    public Task LogMetricAsync(string name, double value, int? fold = null, long? step = null, CancellationToken cancellationToken = default) =>
        LogAsync(new RunLog { Metrics = [new MetricPoint(name, value, fold, step)] }, cancellationToken);

    /// <summary>Logs how long a pipeline stage took, in seconds.</summary>
    public Task LogStageAsync(string stage, double seconds, CancellationToken cancellationToken = default) =>
        LogAsync(new RunLog { Stages = [new StageDuration(stage, seconds)] }, cancellationToken);

    /// <summary>Logs an artifact's name and its URI or artifact-store key.</summary>
    public Task LogArtifactAsync(string name, string uri, CancellationToken cancellationToken = default) =>
        LogAsync(new RunLog { Artifacts = new Dictionary<string, string> { [name] = uri } }, cancellationToken);

    /// <summary>Sets tags on the run; unlike results, tags can change after the run has ended.</summary>
    public Task SetTagsAsync(IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default) =>
        _store.SetTagsAsync(RunId, tags, cancellationToken);

    /// <summary>Marks the run finished. Fails with <see cref="ErrorCode.Conflict"/> if it had already been marked
    /// failed (recovery decided its owner was dead): a run that was declared failed is never revived.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (!await EndAsync(RunStatus.Finished, null, cancellationToken))
        {
            throw new EsteiraException(ErrorCode.Conflict,
                $"run {RunId} was already ended (marked failed by recovery?) before it could be completed; rerun the experiment");
        }
    }

    /// <summary>Marks the run failed with <paramref name="reason"/> (passwords in it are masked).</summary>
    public Task FailAsync(string reason, CancellationToken cancellationToken = default) =>
        EndAsync(RunStatus.Failed, reason, cancellationToken);

    /// <summary>Marks the run failed because of <paramref name="error"/>.</summary>
    public Task FailAsync(Exception error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        return FailAsync($"{error.GetType().Name}: {error.Message}", cancellationToken);
    }

    /// <summary>Ends the run as failed unless it was completed or failed explicitly.</summary>
    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        if (_heartbeat is not null)
        {
            await _heartbeat.DisposeAsync();
        }

        try
        {
            await EndAsync(RunStatus.Failed, "the run ended without being completed (an error or an early exit)", CancellationToken.None);
        }
        catch (EsteiraException)
        {
            // Disposing must not hide the error that ended the run; if the store is unreachable now, the run
            // stays 'running' and recovery marks it failed once this process is gone.
        }
        finally
        {
            _gate.Dispose();
        }
    }

    private async Task<bool> EndAsync(RunStatus status, string? error, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _ended, 1) == 1)
        {
            return EndedAs == status;
        }

        var changed = false;
        await WithGateAsync(async () => changed = await _store.FinishRunAsync(RunId, status, error, cancellationToken), cancellationToken);
        EndedAs = changed ? status : RunStatus.Failed;
        return changed;
    }

    // Writes go one at a time so the heartbeat never races the final status.
    private async Task WithGateAsync(Func<Task> write, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await write();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task BeatAsync()
    {
        if (Volatile.Read(ref _ended) == 1 || !await _gate.WaitAsync(0))
        {
            return;
        }

        try
        {
            if (Volatile.Read(ref _ended) == 0)
            {
                await _store.HeartbeatAsync(RunId);
            }
        }
        catch (Exception e) when (e is EsteiraException or ObjectDisposedException)
        {
            // A missed heartbeat only makes recovery more likely to act on a remote run; the next one retries.
        }
        finally
        {
            _gate.Release();
        }
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        // The process is going away without having disposed the recorder (Ctrl+C, Environment.Exit):
        // the run did not complete, so say so now rather than leave it to recovery.
        try
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                _store.FinishRunAsync(RunId, RunStatus.Failed, "the process exited before the run completed")
                    .Wait(TimeSpan.FromSeconds(5));
            }
        }
        catch (Exception)
        {
            // Nothing more can be done while exiting; recovery will mark the run failed.
        }
    }
}
