using System.Diagnostics;

namespace Esteira.Tracking;

/// <summary>Where a run is in its life. A run only ever moves from <see cref="Running"/> to one of the other two.</summary>
public enum RunStatus
{
    /// <summary>Started and not yet ended; if its owner died, recovery turns it into <see cref="Failed"/>.</summary>
    Running,

    /// <summary>Ended by its owner after every result was written.</summary>
    Finished,

    /// <summary>Ended by an error, by its owner giving up, or by recovery after its owner died.</summary>
    Failed,
}

/// <summary>One metric value. A value with neither fold nor step is the run's summary value for that name
/// (the one lists sort by and the gate reads); per-fold values carry <see cref="Fold"/>, histories <see cref="Step"/>.</summary>
public sealed record MetricPoint(string Name, double Value, int? Fold = null, long? Step = null)
{
    /// <summary>True for the summary value: no fold and no step.</summary>
    public bool IsSummary => Fold is null && Step is null;

    /// <summary>A readable key such as <c>cv_rmsle</c>, <c>cv_rmsle[fold=2]</c> or <c>loss[step=10]</c>.</summary>
    public string Key => (Fold, Step) switch
    {
        (null, null) => Name,
        ({ } f, null) => $"{Name}[fold={f}]",
        (null, { } s) => $"{Name}[step={s}]",
        ({ } f, { } s) => $"{Name}[fold={f},step={s}]",
    };
}

/// <summary>How long one pipeline stage took.</summary>
public sealed record StageDuration(string Stage, double Seconds);

/// <summary>One input run of a blend and the weight it got.</summary>
public sealed record BlendPart(long RunId, double Weight);

/// <summary>What a run was made from, so that it can be explained and reproduced.</summary>
public sealed record RunLineage
{
    /// <summary>The git commit the code was at, when run from a git checkout.</summary>
    public string? GitCommit { get; init; }

    /// <summary>True when the working tree had uncommitted changes; null when unknown (not a git checkout).</summary>
    public bool? GitDirty { get; init; }

    /// <summary>Hash of the input data.</summary>
    public string? DatasetHash { get; init; }

    /// <summary>Hash of the experiment's configuration.</summary>
    public string? ExperimentHash { get; init; }

    /// <summary>The Esteira version that ran it.</summary>
    public string? EsteiraVersion { get; init; }

    /// <summary>The machine that ran it, for people; <see cref="RunOwner.Host"/> is what recovery uses.</summary>
    public string? Machine { get; init; }

    /// <summary>For a blend: the runs it combines and their weights, in order; empty otherwise.</summary>
    public IReadOnlyList<BlendPart> BlendOf { get; init; } = [];
}

/// <summary>The process that owns a running run: recovery marks the run failed once this process is gone.</summary>
/// <param name="Host">The machine name.</param>
/// <param name="ProcessId">The operating-system process id.</param>
/// <param name="ProcessStartedAt">When that process started, to tell a reused process id apart.</param>
public sealed record RunOwner(string Host, int ProcessId, DateTimeOffset? ProcessStartedAt)
{
    /// <summary>The current process.</summary>
    public static RunOwner Current()
    {
        using var self = Process.GetCurrentProcess();
        DateTimeOffset? started;
        try
        {
            started = new DateTimeOffset(self.StartTime.ToUniversalTime(), TimeSpan.Zero);
        }
        catch (InvalidOperationException)
        {
            started = null;
        }
        catch (NotSupportedException)
        {
            started = null;
        }

        return new RunOwner(Environment.MachineName, Environment.ProcessId, started);
    }
}

/// <summary>What <see cref="IRunStore.StartRunAsync"/> needs to open a run.</summary>
public sealed record NewRun
{
    /// <summary>The experiment the run belongs to.</summary>
    public required string Experiment { get; init; }

    /// <summary>What the run was made from.</summary>
    public RunLineage Lineage { get; init; } = new();

    /// <summary>The owning process; null means the current one.</summary>
    public RunOwner? Owner { get; init; }

    /// <summary>
    /// When the run's work began, for a run recorded once its work is done (<c>esteira run</c> records each experiment
    /// after its stages ran, so that a run's duration is theirs); null, or a time after now, means now.
    /// </summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Params to record as the run opens (name → value).</summary>
    public IReadOnlyDictionary<string, string> Params { get; init; } = new Dictionary<string, string>();

    /// <summary>Tags to set as the run opens (name → value).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}

/// <summary>A batch of results for a running run, written in one transaction (all or nothing).</summary>
public sealed record RunLog
{
    /// <summary>Params (name → value).</summary>
    public IReadOnlyDictionary<string, string> Params { get; init; } = new Dictionary<string, string>();

    /// <summary>Metric values: summary, per-fold or history.</summary>
    public IReadOnlyList<MetricPoint> Metrics { get; init; } = [];

    /// <summary>Tags (name → value).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>Pipeline stage durations.</summary>
    public IReadOnlyList<StageDuration> Stages { get; init; } = [];

    /// <summary>Artifact name → URI or artifact-store key.</summary>
    public IReadOnlyDictionary<string, string> Artifacts { get; init; } = new Dictionary<string, string>();

    /// <summary>True when the batch holds nothing (then logging it only refreshes the heartbeat).</summary>
    public bool IsEmpty => Params.Count == 0 && Metrics.Count == 0 && Tags.Count == 0 && Stages.Count == 0 && Artifacts.Count == 0;
}

/// <summary>A run as listed: identity, status and its summary metrics.</summary>
public sealed record RunSummary
{
    /// <summary>The run's id in this store.</summary>
    public required long Id { get; init; }

    /// <summary>The experiment the run belongs to.</summary>
    public required string Experiment { get; init; }

    /// <summary>Running, finished or failed.</summary>
    public required RunStatus Status { get; init; }

    /// <summary>When the run's work began.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When the run ended; null while it runs.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>The last time the owner wrote to the run (every write refreshes it).</summary>
    public required DateTimeOffset HeartbeatAt { get; init; }

    /// <summary>Why the run failed; null unless it failed.</summary>
    public string? Error { get; init; }

    /// <summary>The process that owns (or owned) the run.</summary>
    public required RunOwner Owner { get; init; }

    /// <summary>Null when no gate verdict was recorded.</summary>
    public bool? GatePassed { get; init; }

    /// <summary>Summary metric values (no fold, no step) by name.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Ended minus started; null while the run is still running.</summary>
    public TimeSpan? Duration => EndedAt - StartedAt;
}

/// <summary>Everything recorded about one run.</summary>
public sealed record Run
{
    /// <summary>The run's id in this store (see <see cref="Uid"/> for its identity across stores).</summary>
    public required long Id { get; init; }

    /// <summary>The run's identity across stores: random, given when the run starts and kept when it is copied to
    /// another store (<see cref="IRunStore.ImportRunAsync"/>), so a copy is recognised by it; ids are per store.</summary>
    public Guid Uid { get; init; }

    /// <summary>The experiment the run belongs to.</summary>
    public required string Experiment { get; init; }

    /// <summary>Running, finished or failed.</summary>
    public required RunStatus Status { get; init; }

    /// <summary>When the run's work began.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When the run ended; null while it runs.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>The last time the owner wrote to the run (every write refreshes it).</summary>
    public required DateTimeOffset HeartbeatAt { get; init; }

    /// <summary>Why the run failed; null unless it failed.</summary>
    public string? Error { get; init; }

    /// <summary>The process that owns (or owned) the run.</summary>
    public required RunOwner Owner { get; init; }

    /// <summary>What the run was made from.</summary>
    public required RunLineage Lineage { get; init; }

    /// <summary>Params (name → value).</summary>
    public IReadOnlyDictionary<string, string> Params { get; init; } = new Dictionary<string, string>();

    /// <summary>Every metric value, ordered by name, fold, step.</summary>
    public IReadOnlyList<MetricPoint> Metrics { get; init; } = [];

    /// <summary>Tags (name → value).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>Stage durations in the order they were first logged.</summary>
    public IReadOnlyList<StageDuration> Stages { get; init; } = [];

    /// <summary>Artifact name → URI or artifact-store key.</summary>
    public IReadOnlyDictionary<string, string> Artifacts { get; init; } = new Dictionary<string, string>();

    /// <summary>The gate's verdict on this run, when one was recorded.</summary>
    public GateVerdict? Gate { get; init; }

    /// <summary>Ended minus started; null while the run is still running.</summary>
    public TimeSpan? Duration => EndedAt - StartedAt;

    /// <summary>The summary value (no fold, no step) of <paramref name="name"/>, or null.</summary>
    public double? Metric(string name) => Metrics.FirstOrDefault(m => m.Name == name && m.IsSummary)?.Value;

    /// <summary>Per-fold values (no step) of <paramref name="name"/> by fold.</summary>
    public IReadOnlyDictionary<int, double> FoldMetrics(string name) =>
        Metrics.Where(m => m.Name == name && m.Fold is not null && m.Step is null).ToDictionary(m => m.Fold!.Value, m => m.Value);
}

/// <summary>What <see cref="IRunStore.ImportRunAsync"/> did.</summary>
/// <param name="RunId">The run's id in the store that was written to (new, or the earlier copy's).</param>
/// <param name="Created">False when a run with the same <see cref="Run.Uid"/> was already there (nothing was written).</param>
public sealed record ImportedRun(long RunId, bool Created);

/// <summary>Which runs <see cref="IRunStore.ListRunsAsync"/> returns, and in what order.</summary>
public sealed record RunQuery
{
    /// <summary>Only runs of this experiment; null for all.</summary>
    public string? Experiment { get; init; }

    /// <summary>Only runs with this status; null for all.</summary>
    public RunStatus? Status { get; init; }

    /// <summary>Sort by this summary metric (runs without it come last); null sorts newest first.</summary>
    public string? SortMetric { get; init; }

    /// <summary>Sort by a column of the run instead (ignored when <see cref="SortMetric"/> is set); null sorts newest first.</summary>
    public RunOrder? Order { get; init; }

    /// <summary>Sort the metric (or <see cref="Order"/>'s column) from high to low instead of low to high.</summary>
    public bool Descending { get; init; }

    /// <summary>At most this many runs; 1 to 100,000.</summary>
    public int Limit { get; init; } = 50;

    /// <summary>Skip this many runs of the sorted list first (paging); 0 to 10,000,000.</summary>
    public int Offset { get; init; }
}

/// <summary>A run column <see cref="IRunStore.ListRunsAsync"/> can sort by (ties: newest first).</summary>
public enum RunOrder
{
    /// <summary>When the run started (its id: ids grow with time).</summary>
    Started,

    /// <summary>By experiment name.</summary>
    Experiment,

    /// <summary>By status.</summary>
    Status,

    /// <summary>Ended minus started; runs still in progress come last.</summary>
    Duration,
}
