namespace Esteira.Tracking;

/// <summary>Convenience calls over the small tracking ports; each routes to one port method.</summary>
public static class TrackingStoreExtensions
{
    /// <summary>The alias the gate moves.</summary>
    public const string ChampionAlias = "champion";

    /// <summary>Logs params (name → value) to a running run.</summary>
    public static Task LogParamsAsync(this IRunStore store, long runId, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default) =>
        store.LogAsync(runId, new RunLog { Params = parameters }, cancellationToken);

    /// <summary>Logs metric values to a running run.</summary>
    public static Task LogMetricsAsync(this IRunStore store, long runId, IReadOnlyList<MetricPoint> metrics, CancellationToken cancellationToken = default) =>
        store.LogAsync(runId, new RunLog { Metrics = metrics }, cancellationToken);

    /// <summary>Logs one metric value to a running run: the summary value, or a per-fold (<paramref name="fold"/>) or history (<paramref name="step"/>) value.</summary>
    public static Task LogMetricAsync(this IRunStore store, long runId, string name, double value, int? fold = null, long? step = null, CancellationToken cancellationToken = default) =>
        store.LogAsync(runId, new RunLog { Metrics = [new MetricPoint(name, value, fold, step)] }, cancellationToken);

    /// <summary>Logs stage durations to a running run.</summary>
    public static Task LogStagesAsync(this IRunStore store, long runId, IReadOnlyList<StageDuration> stages, CancellationToken cancellationToken = default) =>
        store.LogAsync(runId, new RunLog { Stages = stages }, cancellationToken);

    /// <summary>Logs artifacts (name → URI or artifact-store key) to a running run.</summary>
    public static Task LogArtifactsAsync(this IRunStore store, long runId, IReadOnlyDictionary<string, string> artifacts, CancellationToken cancellationToken = default) =>
        store.LogAsync(runId, new RunLog { Artifacts = artifacts }, cancellationToken);

    /// <summary>Tells recovery the owner is still alive (any other write does too).</summary>
    public static Task HeartbeatAsync(this IRunStore store, long runId, CancellationToken cancellationToken = default) =>
        store.LogAsync(runId, new RunLog(), cancellationToken);

    /// <summary>The run with this id, or null.</summary>
    public static async Task<Run?> GetRunAsync(this IRunStore store, long runId, CancellationToken cancellationToken = default) =>
        (await store.GetRunsAsync([runId], cancellationToken)) is [var run, ..] ? run : null;

    /// <summary>The run with this id, or a <see cref="ErrorCode.NotFound"/> error naming it.</summary>
    public static async Task<Run> GetRunOrThrowAsync(this IRunStore store, long runId, CancellationToken cancellationToken = default) =>
        await store.GetRunAsync(runId, cancellationToken)
        ?? throw new EsteiraException(ErrorCode.NotFound, $"run {runId} does not exist; see 'esteira runs list' for the recorded runs");

    /// <summary>The runs with these ids, or a <see cref="ErrorCode.NotFound"/> error naming the missing ones.</summary>
    public static async Task<IReadOnlyList<Run>> GetRunsOrThrowAsync(this IRunStore store, IReadOnlyList<long> runIds, CancellationToken cancellationToken = default)
    {
        var runs = await store.GetRunsAsync(runIds, cancellationToken);
        var missing = runIds.Except(runs.Select(r => r.Id)).ToList();
        return missing.Count == 0
            ? runs
            : throw new EsteiraException(ErrorCode.NotFound, $"run{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)} do{(missing.Count > 1 ? "" : "es")} not exist; see 'esteira runs list'");
    }

    /// <summary>The version <c>champion</c> points at, or null when there is no champion yet.</summary>
    public static Task<ModelVersion?> GetChampionAsync(this IModelRegistry registry, string model, CancellationToken cancellationToken = default) =>
        registry.GetAliasAsync(model, ChampionAlias, cancellationToken);

    /// <summary>00:00 UTC of the day <paramref name="now"/> falls in: where daily submission limits reset.</summary>
    public static DateTimeOffset StartOfUtcDay(DateTimeOffset now)
    {
        var utc = now.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero);
    }

    /// <summary>How many submissions to <paramref name="target"/> were recorded since 00:00 UTC of <paramref name="now"/>'s day.</summary>
    public static Task<int> CountSubmissionsTodayAsync(this ISubmissionLedger ledger, string target, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        ledger.CountSubmissionsSinceAsync(target, StartOfUtcDay(now), cancellationToken);
}
