namespace Esteira.Tracking;

/// <summary>Runs: start one, log to it while it runs, end it, read them back.</summary>
/// <remarks>
/// Every write is one transaction: a reader sees a batch entirely or not at all. Writes to a run's results
/// (<see cref="LogAsync"/>) are refused once it has ended, so a finished run cannot change underneath its
/// gate verdict. Convenience overloads (LogParamsAsync, LogMetricAsync, …) are extension methods in
/// <see cref="TrackingStoreExtensions"/>.
/// </remarks>
public interface IRunStore
{
    /// <summary>Opens a run in <see cref="RunStatus.Running"/> and returns its id (ids grow with time).</summary>
    Task<long> StartRunAsync(NewRun run, CancellationToken cancellationToken = default);

    /// <summary>Writes a batch to a running run and refreshes its heartbeat. Logging an existing key
    /// (param, metric name+fold+step, tag, stage, artifact) replaces its value.</summary>
    /// <exception cref="EsteiraException"><see cref="ErrorCode.NotFound"/> for an unknown run,
    /// <see cref="ErrorCode.Conflict"/> when the run has already ended.</exception>
    Task LogAsync(long runId, RunLog log, CancellationToken cancellationToken = default);

    /// <summary>Sets tags on any run, running or ended (tags are notes, not results).</summary>
    Task SetTagsAsync(long runId, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default);

    /// <summary>Stores the gate's verdict with the run, replacing any earlier one.</summary>
    Task RecordGateVerdictAsync(long runId, GateVerdict verdict, CancellationToken cancellationToken = default);

    /// <summary>Ends a running run. Returns false, changing nothing, when the run had already ended
    /// (for example, recovery marked it failed); <paramref name="status"/> must not be <see cref="RunStatus.Running"/>.</summary>
    Task<bool> FinishRunAsync(long runId, RunStatus status, string? errorMessage = null, CancellationToken cancellationToken = default);

    /// <summary>Writes a complete run recorded in another store (status, times, owner, error, lineage, params, tags,
    /// metrics, stages, artifacts, gate verdict) as a new run with a new id, in one transaction, unless a run with the
    /// same <see cref="Run.Uid"/> is already here; then nothing is written and that run's id is returned.</summary>
    /// <remarks>The store keeps the run as given apart from its <see cref="Run.Id"/>: run ids inside it
    /// (<see cref="RunLineage.BlendOf"/>, <see cref="GateVerdict.ChampionRunId"/>) must already be this store's ids
    /// (<see cref="RunTransfer"/> maps them). Registry and ledger rows are not part of a run and are not written.</remarks>
    /// <exception cref="EsteiraException"><see cref="ErrorCode.BadInput"/> when the run has no uid or a name is invalid.</exception>
    Task<ImportedRun> ImportRunAsync(Run run, CancellationToken cancellationToken = default);

    /// <summary>The runs with these ids, in the order asked; unknown ids are left out.</summary>
    Task<IReadOnlyList<Run>> GetRunsAsync(IReadOnlyCollection<long> runIds, CancellationToken cancellationToken = default);

    /// <summary>Runs matching <paramref name="query"/>, with their summary metrics.</summary>
    Task<IReadOnlyList<RunSummary>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default);
}

/// <summary>Registered models: numbered versions (each one a run) and aliases such as <c>champion</c>
/// whose every move is recorded with its reason.</summary>
public interface IModelRegistry
{
    /// <summary>Registers a finished run as the next version of <paramref name="model"/> (creating the model);
    /// registering the same run again returns its existing version.</summary>
    Task<ModelVersion> RegisterVersionAsync(string model, long runId, string? note = null, CancellationToken cancellationToken = default);

    /// <summary>Points <paramref name="aliasName"/> at <paramref name="version"/> and appends the change to its history.</summary>
    Task<AliasChange> SetAliasAsync(string model, string aliasName, int version, AliasChangeKind kind, string reason, string? actor = null, CancellationToken cancellationToken = default);

    /// <summary>The version <paramref name="aliasName"/> points at, or null.</summary>
    Task<ModelVersion?> GetAliasAsync(string model, string aliasName, CancellationToken cancellationToken = default);

    /// <summary>Every version of <paramref name="model"/>, oldest first (empty for an unknown model).</summary>
    Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string model, CancellationToken cancellationToken = default);

    /// <summary>Every change of <paramref name="aliasName"/>, oldest first.</summary>
    Task<IReadOnlyList<AliasChange>> GetAliasHistoryAsync(string model, string aliasName, CancellationToken cancellationToken = default);
}

/// <summary>The submission ledger: what was sent where, from which run, and how it scored.</summary>
public interface ISubmissionLedger
{
    /// <summary>Records a submission and returns its id. With <paramref name="dailyLimit"/>, counting today's
    /// submissions to the target (since 00:00 UTC) and adding this one happen atomically, and the add is refused
    /// with <see cref="ErrorCode.LimitExceeded"/> when the limit is already reached.</summary>
    Task<long> AddSubmissionAsync(NewSubmission submission, int? dailyLimit = null, CancellationToken cancellationToken = default);

    /// <summary>Changes status, scores or message of a recorded submission.</summary>
    Task UpdateSubmissionAsync(long submissionId, SubmissionUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Ledger rows, newest first.</summary>
    Task<IReadOnlyList<Submission>> ListSubmissionsAsync(SubmissionQuery query, CancellationToken cancellationToken = default);

    /// <summary>How many submissions to <paramref name="target"/> were recorded at or after <paramref name="since"/>.</summary>
    Task<int> CountSubmissionsSinceAsync(string target, DateTimeOffset since, CancellationToken cancellationToken = default);

    /// <summary>Writes submissions recorded elsewhere (such as the deploy log of earlier versions) with their own times, in one
    /// transaction, and returns how many were added. A submission whose target, file hash and time (to the millisecond) match a
    /// row already in the ledger is skipped, so importing the same entries twice adds nothing. No daily limit applies.</summary>
    /// <exception cref="EsteiraException"><see cref="ErrorCode.BadInput"/> for a bad target, hash or message; nothing is written then.</exception>
    Task<int> ImportSubmissionsAsync(IReadOnlyList<ImportedSubmission> submissions, CancellationToken cancellationToken = default);
}

/// <summary>The tracking port: runs, the model registry and the submission ledger in one database.
/// Open one with <see cref="TrackingStores.OpenAsync"/>; every implementation passes the same contract suite.</summary>
public interface ITrackingStore : IRunStore, IModelRegistry, ISubmissionLedger, IAsyncDisposable, IDisposable
{
    /// <summary>Where the store lives, for messages; a password is always masked.</summary>
    string Location { get; }
}
