using Esteira.Sql;

namespace Esteira.Tracking;

/// <summary>
/// The tracking store over a SQL database: the three ports (<see cref="IRunStore"/>, <see cref="IModelRegistry"/>,
/// <see cref="ISubmissionLedger"/>), each its own class over one shared database, behind the one object callers open.
/// All queries are shared between SQLite and PostgreSQL; a dialect supplies only its <see cref="SqlDatabase"/>.
/// </summary>
/// <remarks>
/// Each operation takes its own connection from the pool and, when it writes, runs in one transaction, so two
/// processes writing at once are serialised by the database and nothing is lost. Times are stored as Unix
/// milliseconds (UTC).
/// </remarks>
public abstract class SqlTrackingStore : ITrackingStore
{
    private readonly TrackingDatabase _db;
    private readonly IRunStore _runs;
    private readonly IModelRegistry _registry;
    private readonly ISubmissionLedger _ledger;

    private protected SqlTrackingStore(SqlDatabase database, string location, TimeProvider? time)
    {
        _db = new TrackingDatabase(database, location, time ?? TimeProvider.System);
        _runs = new SqlRunStore(_db);
        _registry = new SqlModelRegistry(_db);
        _ledger = new SqlSubmissionLedger(_db);
    }

    /// <inheritdoc />
    public string Location => _db.Location;

    /// <summary>Applies pending migrations.</summary>
    private protected Task InitializeAsync(CancellationToken cancellationToken) => _db.MigrateAsync(cancellationToken);

    /// <inheritdoc />
    public Task<long> StartRunAsync(NewRun run, CancellationToken cancellationToken = default) => _runs.StartRunAsync(run, cancellationToken);

    /// <inheritdoc />
    public Task LogAsync(long runId, RunLog log, CancellationToken cancellationToken = default) => _runs.LogAsync(runId, log, cancellationToken);

    /// <inheritdoc />
    public Task SetTagsAsync(long runId, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default) =>
        _runs.SetTagsAsync(runId, tags, cancellationToken);

    /// <inheritdoc />
    public Task RecordGateVerdictAsync(long runId, GateVerdict verdict, CancellationToken cancellationToken = default) =>
        _runs.RecordGateVerdictAsync(runId, verdict, cancellationToken);

    /// <inheritdoc />
    public Task<bool> FinishRunAsync(long runId, RunStatus status, string? errorMessage = null, CancellationToken cancellationToken = default) =>
        _runs.FinishRunAsync(runId, status, errorMessage, cancellationToken);

    /// <inheritdoc />
    public Task<ImportedRun> ImportRunAsync(Run run, CancellationToken cancellationToken = default) => _runs.ImportRunAsync(run, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<Run>> GetRunsAsync(IReadOnlyCollection<long> runIds, CancellationToken cancellationToken = default) =>
        _runs.GetRunsAsync(runIds, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<RunSummary>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default) =>
        _runs.ListRunsAsync(query, cancellationToken);

    /// <inheritdoc />
    public Task<ModelVersion> RegisterVersionAsync(string model, long runId, string? note = null, CancellationToken cancellationToken = default) =>
        _registry.RegisterVersionAsync(model, runId, note, cancellationToken);

    /// <inheritdoc />
    public Task<AliasChange> SetAliasAsync(string model, string aliasName, int version, AliasChangeKind kind, string reason, string? actor = null,
        CancellationToken cancellationToken = default) =>
        _registry.SetAliasAsync(model, aliasName, version, kind, reason, actor, cancellationToken);

    /// <inheritdoc />
    public Task<ModelVersion?> GetAliasAsync(string model, string aliasName, CancellationToken cancellationToken = default) =>
        _registry.GetAliasAsync(model, aliasName, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string model, CancellationToken cancellationToken = default) =>
        _registry.ListVersionsAsync(model, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<AliasChange>> GetAliasHistoryAsync(string model, string aliasName, CancellationToken cancellationToken = default) =>
        _registry.GetAliasHistoryAsync(model, aliasName, cancellationToken);

    /// <inheritdoc />
    public Task<long> AddSubmissionAsync(NewSubmission submission, int? dailyLimit = null, CancellationToken cancellationToken = default) =>
        _ledger.AddSubmissionAsync(submission, dailyLimit, cancellationToken);

    /// <inheritdoc />
    public Task UpdateSubmissionAsync(long submissionId, SubmissionUpdate update, CancellationToken cancellationToken = default) =>
        _ledger.UpdateSubmissionAsync(submissionId, update, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<Submission>> ListSubmissionsAsync(SubmissionQuery query, CancellationToken cancellationToken = default) =>
        _ledger.ListSubmissionsAsync(query, cancellationToken);

    /// <inheritdoc />
    public Task<int> CountSubmissionsSinceAsync(string target, DateTimeOffset since, CancellationToken cancellationToken = default) =>
        _ledger.CountSubmissionsSinceAsync(target, since, cancellationToken);

    /// <inheritdoc />
    public Task<int> ImportSubmissionsAsync(IReadOnlyList<ImportedSubmission> submissions, CancellationToken cancellationToken = default) =>
        _ledger.ImportSubmissionsAsync(submissions, cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        _db.Database.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _db.Database.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
