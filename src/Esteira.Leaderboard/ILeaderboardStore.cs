namespace Esteira.Leaderboard;

/// <summary>A team and the salted hash of its key (the key itself is never stored).</summary>
public sealed record TeamRecord(long Id, string Name, byte[] Salt, byte[] KeyHash);

/// <summary>An upload slot handed out by StartSubmissionUpload; the token is known only by its SHA-256.</summary>
public sealed record UploadRecord(string TokenHash, string Team, string FileName, long DeclaredLength, DateTime CreatedUtc, string? ContentSha256, long? Size);

/// <summary>A submission as stored: scores are kept whole; hiding the private one is the service's job.</summary>
public sealed record SubmissionRecord
{
    /// <summary>The submission's number, unique within the competition.</summary>
    public long Ref { get; init; }
    /// <summary>The submitting team's name.</summary>
    public required string Team { get; init; }
    /// <summary>The uploaded file's name as the client gave it.</summary>
    public required string FileName { get; init; }
    /// <summary>SHA-256 of the uploaded bytes (hex), the blob's content address.</summary>
    public required string ContentSha256 { get; init; }
    /// <summary>Size of the uploaded file in bytes.</summary>
    public long TotalBytes { get; init; }
    /// <summary>The team's description of the submission; empty when none.</summary>
    public string Description { get; init; } = "";
    /// <summary>When the submission was created (UTC).</summary>
    public DateTime SubmittedUtc { get; init; }
    /// <summary>Whether it is pending, scored or failed.</summary>
    public SubmissionStatus Status { get; init; }
    /// <summary>Score on the public rows; null until scored.</summary>
    public double? PublicScore { get; init; }
    /// <summary>Score on the private rows; null until scored.</summary>
    public double? PrivateScore { get; init; }
    /// <summary>Why scoring failed; null otherwise.</summary>
    public string? ErrorDescription { get; init; }

    /// <summary>Whether it uses one of the day's submissions (a format error does not, unless the competition says so).</summary>
    public bool Counts { get; init; } = true;
}

/// <summary>A leaderboard submission CreateSubmission asks the store to record (the tracking ledger's is <c>Esteira.Tracking.NewSubmission</c>).</summary>
public sealed record NewLeaderboardSubmission(string Team, string UploadTokenHash, string FileName, string ContentSha256, long TotalBytes, string Description, DateTime SubmittedUtc);

/// <summary>
/// The leaderboard server's state: teams, upload slots and submissions, per competition. Implementations: SQLite (default,
/// embedded) and PostgreSQL; both pass <c>LeaderboardStoreContract</c>.
/// </summary>
/// <remarks>
/// All methods are safe to call concurrently. <see cref="CreateSubmissionAsync"/> is the one write with a rule: it counts the
/// team's submissions of the day and inserts in one transaction that excludes any other create for the same team, so
/// concurrent clients can neither exceed the limit nor be double-counted; and it is idempotent per upload token, so a
/// client that retries CreateSubmission gets the same ref back.
/// </remarks>
public interface ILeaderboardStore : IAsyncDisposable
{
    /// <summary>Where the state lives, for messages; never contains a password.</summary>
    string Location { get; }

    /// <summary>Brings the schema up to date with its versioned migrations (safe to run from several processes at once).</summary>
    /// <exception cref="EsteiraException"><see cref="ErrorCode.Conflict"/> when the database was written by a newer esteira.</exception>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>Adds the team or replaces its key hash.</summary>
    Task<TeamRecord> UpsertTeamAsync(string competition, string name, byte[] salt, byte[] keyHash, CancellationToken cancellationToken = default);

    /// <summary>Every team of <paramref name="competition"/>.</summary>
    Task<IReadOnlyList<TeamRecord>> ListTeamsAsync(string competition, CancellationToken cancellationToken = default);

    /// <summary>Records a new upload slot (not yet holding bytes).</summary>
    Task CreateUploadAsync(string competition, UploadRecord upload, CancellationToken cancellationToken = default);

    /// <summary>The slot, or null when the token is unknown.</summary>
    Task<UploadRecord?> FindUploadAsync(string competition, string tokenHash, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the file an upload slot received. Atomic: true when the slot was empty or already holds these same bytes,
    /// false (and nothing changed) when another file got there first.
    /// </summary>
    Task<bool> CompleteUploadAsync(string competition, string tokenHash, string contentSha256, long size, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records a submission unless the team already has <paramref name="dailyLimit"/> counting submissions since
    /// <paramref name="dayStartUtc"/> (0 = no limit), in which case it throws <see cref="ErrorCode.LimitExceeded"/>.
    /// Returns the existing record (and false) when the upload token was already used.
    /// </summary>
    Task<(SubmissionRecord Record, bool Created)> CreateSubmissionAsync(string competition, NewLeaderboardSubmission submission, int dailyLimit, DateTime dayStartUtc,
        CancellationToken cancellationToken = default);

    /// <summary>The submission, or null when there is none with that ref in this competition.</summary>
    Task<SubmissionRecord?> GetSubmissionAsync(string competition, long submissionRef, CancellationToken cancellationToken = default);

    /// <summary>Submissions newest first; all teams' when <paramref name="team"/> is null.</summary>
    Task<IReadOnlyList<SubmissionRecord>> ListSubmissionsAsync(string competition, string? team, CancellationToken cancellationToken = default);

    /// <summary>How many counting submissions the team made since <paramref name="dayStartUtc"/>.</summary>
    Task<int> CountSinceAsync(string competition, string team, DateTime dayStartUtc, CancellationToken cancellationToken = default);

    /// <summary>Moves a PENDING submission to COMPLETE; a submission no longer pending is left alone.</summary>
    Task CompleteSubmissionAsync(string competition, long submissionRef, double? publicScore, double? privateScore, CancellationToken cancellationToken = default);

    /// <summary>Moves a PENDING submission to ERROR; <paramref name="counts"/> says whether it still uses a daily slot.</summary>
    Task FailSubmissionAsync(string competition, long submissionRef, string errorDescription, bool counts, CancellationToken cancellationToken = default);

    /// <summary>
    /// Bytes held by the team's uploads created at or after <paramref name="sinceUtc"/> and not yet passed to CreateSubmission
    /// (the received size, or the declared one while nothing arrived): what counts against the upload quota.
    /// </summary>
    Task<long> OpenUploadBytesAsync(string competition, string team, DateTime sinceUtc, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes the upload slots created before <paramref name="beforeUtc"/> that no submission uses, and returns the SHA-256s
    /// of their files that nothing (another slot, a submission) refers to any more, so their bytes can be deleted.
    /// </summary>
    Task<IReadOnlyList<string>> DeleteExpiredUploadsAsync(string competition, DateTime beforeUtc, CancellationToken cancellationToken = default);

    /// <summary>Refs still PENDING, oldest first (to re-queue after a restart).</summary>
    Task<IReadOnlyList<long>> ListPendingAsync(string competition, CancellationToken cancellationToken = default);
}
