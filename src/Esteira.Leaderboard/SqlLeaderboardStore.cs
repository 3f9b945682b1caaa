using System.Data.Common;
using Dapper;
using Esteira.Sql;
using Npgsql;

namespace Esteira.Leaderboard;

/// <summary>
/// The SQL shared by the SQLite and PostgreSQL stores, over one <see cref="SqlDatabase"/> per dialect; the schema is the
/// <see cref="MigrationSet.Leaderboard"/> migrations. Times are stored as Unix milliseconds (UTC), which both engines
/// compare the same way.
/// </summary>
public abstract class SqlLeaderboardStore : ILeaderboardStore
{
    private const string SubmissionColumns =
        "ref AS Ref, team AS Team, file_name AS FileName, content_sha256 AS ContentSha256, total_bytes AS TotalBytes, description AS Description, " +
        "submitted_ms AS SubmittedMs, status AS Status, public_score AS PublicScore, private_score AS PrivateScore, " +
        "error_description AS ErrorDescription, counts AS Counts";

    private readonly SqlDatabase _database;

    private protected SqlLeaderboardStore(SqlDatabase database) => _database = database;

    /// <inheritdoc/>
    public abstract string Location { get; }

    /// <summary>The clock that stamps new rows and applied migrations (default the system's).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>An open connection.</summary>
    private protected virtual async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _database.OpenConnectionAsync(cancellationToken);

    /// <summary>Within a write transaction, excludes other writers for that team until it ends.</summary>
    private protected abstract Task LockTeamAsync(DbConnection connection, DbTransaction transaction, string competition, string team, CancellationToken cancellationToken);

    /// <summary>Taken around every write; a no-op unless the engine needs writers serialised in-process.</summary>
    private protected virtual ValueTask<IDisposable?> EnterWriteAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IDisposable?>(null);

    /// <summary>Brings the schema up to date (a database from before migrations adopts version 1 as it is).</summary>
    public virtual Task InitializeAsync(CancellationToken cancellationToken = default) =>
        Migrator.ApplyAsync(_database, MigrationSet.Leaderboard(_database.Dialect), Location, Time, cancellationToken);

    /// <inheritdoc/>
    public async Task<TeamRecord> UpsertTeamAsync(string competition, string name, byte[] salt, byte[] keyHash, CancellationToken cancellationToken = default)
    {
        using (await EnterWriteAsync(cancellationToken))
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = await _database.BeginWriteAsync(connection, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO lb_teams (competition, name, salt, key_hash, created_ms) VALUES (@competition, @name, @salt, @keyHash, @now) " +
                "ON CONFLICT (competition, name) DO UPDATE SET salt = excluded.salt, key_hash = excluded.key_hash",
                new { competition, name, salt, keyHash, now = Time.GetUtcNow().ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            return (await ListTeamsAsync(competition, cancellationToken)).Single(t => t.Name == name);
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<TeamRecord>> ListTeamsAsync(string competition, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var teams = await connection.QueryAsync<TeamRecord>(new CommandDefinition(
            "SELECT id AS Id, name AS Name, salt AS Salt, key_hash AS KeyHash FROM lb_teams WHERE competition = @competition ORDER BY name",
            new { competition }, cancellationToken: cancellationToken));
        return teams.AsList();
    }

    /// <inheritdoc/>
    public async Task CreateUploadAsync(string competition, UploadRecord upload, CancellationToken cancellationToken = default)
    {
        using (await EnterWriteAsync(cancellationToken))
        {
            ArgumentNullException.ThrowIfNull(upload);
            await using var connection = await OpenAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO lb_uploads (token_hash, competition, team, file_name, declared_length, created_ms) " +
                "VALUES (@TokenHash, @competition, @Team, @FileName, @DeclaredLength, @createdMs)",
                new { upload.TokenHash, competition, upload.Team, upload.FileName, upload.DeclaredLength, createdMs = ToMs(upload.CreatedUtc) },
                cancellationToken: cancellationToken));
        }
    }

    /// <inheritdoc/>
    public async Task<UploadRecord?> FindUploadAsync(string competition, string tokenHash, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<UploadRow>(new CommandDefinition(
            "SELECT token_hash AS TokenHash, team AS Team, file_name AS FileName, declared_length AS DeclaredLength, created_ms AS CreatedMs, " +
            "content_sha256 AS ContentSha256, size AS Size FROM lb_uploads WHERE competition = @competition AND token_hash = @tokenHash",
            new { competition, tokenHash }, cancellationToken: cancellationToken));
        return row is null
            ? null
            : new UploadRecord(row.TokenHash, row.Team, row.FileName, row.DeclaredLength, FromMs(row.CreatedMs), row.ContentSha256, row.Size);
    }

    /// <inheritdoc/>
    public async Task<bool> CompleteUploadAsync(string competition, string tokenHash, string contentSha256, long size, CancellationToken cancellationToken = default)
    {
        using (await EnterWriteAsync(cancellationToken))
        {
            // One statement decides: the first file wins, and only the same bytes again match afterwards.
            await using var connection = await OpenAsync(cancellationToken);
            return await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE lb_uploads SET content_sha256 = @contentSha256, size = @size " +
                "WHERE competition = @competition AND token_hash = @tokenHash AND (content_sha256 IS NULL OR content_sha256 = @contentSha256)",
                new { contentSha256, size, competition, tokenHash }, cancellationToken: cancellationToken)) == 1;
        }
    }

    /// <inheritdoc/>
    public async Task<(SubmissionRecord Record, bool Created)> CreateSubmissionAsync(string competition, NewLeaderboardSubmission submission, int dailyLimit, DateTime dayStartUtc,
        CancellationToken cancellationToken = default)
    {
        using (await EnterWriteAsync(cancellationToken))
        {
            ArgumentNullException.ThrowIfNull(submission);
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = await _database.BeginWriteAsync(connection, cancellationToken);
            await LockTeamAsync(connection, transaction, competition, submission.Team, cancellationToken);

            var existing = await QuerySubmissionsAsync(connection, transaction, "competition = @competition AND upload_token_hash = @token",
                new { competition, token = submission.UploadTokenHash }, cancellationToken);
            if (existing.Count > 0)
            {
                await transaction.CommitAsync(cancellationToken);
                return (existing[0], false);
            }

            if (dailyLimit > 0)
            {
                var used = await CountAsync(connection, transaction, competition, submission.Team, dayStartUtc, cancellationToken);
                if (used >= dailyLimit)
                {
                    throw new EsteiraException(ErrorCode.LimitExceeded,
                        $"daily submission limit reached: team '{submission.Team}' has used {used} of {dailyLimit} submissions today (UTC); the limit resets at 00:00 UTC");
                }
            }

            var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "INSERT INTO lb_submissions (competition, team, upload_token_hash, file_name, content_sha256, total_bytes, description, submitted_ms, status, counts) " +
                "VALUES (@competition, @Team, @UploadTokenHash, @FileName, @ContentSha256, @TotalBytes, @Description, @submittedMs, 0, 1) RETURNING ref",
                new
                {
                    competition, submission.Team, submission.UploadTokenHash, submission.FileName, submission.ContentSha256, submission.TotalBytes,
                    submission.Description, submittedMs = ToMs(submission.SubmittedUtc),
                }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            return (new SubmissionRecord
            {
                Ref = id,
                Team = submission.Team,
                FileName = submission.FileName,
                ContentSha256 = submission.ContentSha256,
                TotalBytes = submission.TotalBytes,
                Description = submission.Description,
                SubmittedUtc = FromMs(ToMs(submission.SubmittedUtc)),
                Status = SubmissionStatus.Pending,
            }, true);
        }
    }

    /// <inheritdoc/>
    public async Task<SubmissionRecord?> GetSubmissionAsync(string competition, long submissionRef, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var found = await QuerySubmissionsAsync(connection, null, "competition = @competition AND ref = @submissionRef", new { competition, submissionRef }, cancellationToken);
        return found.Count > 0 ? found[0] : null;
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<SubmissionRecord>> ListSubmissionsAsync(string competition, string? team, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return team is null
            ? await QuerySubmissionsAsync(connection, null, "competition = @competition", new { competition }, cancellationToken)
            : await QuerySubmissionsAsync(connection, null, "competition = @competition AND team = @team", new { competition, team }, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<int> CountSinceAsync(string competition, string team, DateTime dayStartUtc, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await CountAsync(connection, null, competition, team, dayStartUtc, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task CompleteSubmissionAsync(string competition, long submissionRef, double? publicScore, double? privateScore, CancellationToken cancellationToken = default)
    {
        using (await EnterWriteAsync(cancellationToken))
        {
            await using var connection = await OpenAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE lb_submissions SET status = 1, public_score = @publicScore, private_score = @privateScore " +
                "WHERE competition = @competition AND ref = @submissionRef AND status = 0",
                new { publicScore, privateScore, competition, submissionRef }, cancellationToken: cancellationToken));
        }
    }

    /// <inheritdoc/>
    public async Task FailSubmissionAsync(string competition, long submissionRef, string errorDescription, bool counts, CancellationToken cancellationToken = default)
    {
        using (await EnterWriteAsync(cancellationToken))
        {
            await using var connection = await OpenAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE lb_submissions SET status = 2, error_description = @errorDescription, counts = @counts " +
                "WHERE competition = @competition AND ref = @submissionRef AND status = 0",
                new { errorDescription, counts = counts ? 1 : 0, competition, submissionRef }, cancellationToken: cancellationToken));
        }
    }

    /// <inheritdoc/>
    public async Task<long> OpenUploadBytesAsync(string competition, string team, DateTime sinceUtc, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COALESCE(SUM(COALESCE(u.size, u.declared_length)), 0) FROM lb_uploads u " +
            "WHERE u.competition = @competition AND u.team = @team AND u.created_ms >= @sinceMs " +
            "AND NOT EXISTS (SELECT 1 FROM lb_submissions s WHERE s.upload_token_hash = u.token_hash)",
            new { competition, team, sinceMs = ToMs(sinceUtc) }, cancellationToken: cancellationToken));
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<string>> DeleteExpiredUploadsAsync(string competition, DateTime beforeUtc, CancellationToken cancellationToken = default)
    {
        using (await EnterWriteAsync(cancellationToken))
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = await _database.BeginWriteAsync(connection, cancellationToken);
            const string expired = "u.competition = @competition AND u.created_ms < @beforeMs AND NOT EXISTS (SELECT 1 FROM lb_submissions s WHERE s.upload_token_hash = u.token_hash)";
            var window = new { competition, beforeMs = ToMs(beforeUtc) };
            var hashes = await connection.QueryAsync<string>(new CommandDefinition(
                $"SELECT DISTINCT u.content_sha256 FROM lb_uploads u WHERE {expired} AND u.content_sha256 IS NOT NULL", window, transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM lb_uploads WHERE token_hash IN (SELECT u.token_hash FROM lb_uploads u WHERE {expired})", window, transaction, cancellationToken: cancellationToken));
            var orphans = new List<string>();
            foreach (var hash in hashes)
            {
                var uses = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT (SELECT COUNT(*) FROM lb_uploads WHERE content_sha256 = @hash) + (SELECT COUNT(*) FROM lb_submissions WHERE content_sha256 = @hash)",
                    new { hash }, transaction, cancellationToken: cancellationToken));
                if (uses == 0)
                {
                    orphans.Add(hash);
                }
            }

            await transaction.CommitAsync(cancellationToken);
            return orphans;
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<long>> ListPendingAsync(string competition, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var refs = await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT ref FROM lb_submissions WHERE competition = @competition AND status = 0 ORDER BY ref", new { competition }, cancellationToken: cancellationToken));
        return refs.AsList();
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return _database.DisposeAsync();
    }

    private static Task<int> CountAsync(DbConnection connection, DbTransaction? transaction, string competition, string team, DateTime dayStartUtc,
        CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM lb_submissions WHERE competition = @competition AND team = @team AND submitted_ms >= @sinceMs AND counts = 1",
            new { competition, team, sinceMs = ToMs(dayStartUtc) }, transaction, cancellationToken: cancellationToken));

    private static async Task<List<SubmissionRecord>> QuerySubmissionsAsync(DbConnection connection, DbTransaction? transaction, string where, object parameters,
        CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<SubmissionRow>(new CommandDefinition(
            $"SELECT {SubmissionColumns} FROM lb_submissions WHERE {where} ORDER BY ref DESC", parameters, transaction, cancellationToken: cancellationToken));
        return rows.Select(row => new SubmissionRecord
        {
            Ref = row.Ref,
            Team = row.Team,
            FileName = row.FileName,
            ContentSha256 = row.ContentSha256,
            TotalBytes = row.TotalBytes,
            Description = row.Description,
            SubmittedUtc = FromMs(row.SubmittedMs),
            Status = (SubmissionStatus)row.Status,
            PublicScore = row.PublicScore,
            PrivateScore = row.PrivateScore,
            ErrorDescription = row.ErrorDescription,
            Counts = row.Counts != 0,
        }).ToList();
    }

    private static long ToMs(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeMilliseconds();

    private static DateTime FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;

    /// <summary>An lb_uploads row as stored (times in Unix ms).</summary>
    private sealed class UploadRow
    {
        public string TokenHash { get; init; } = "";
        public string Team { get; init; } = "";
        public string FileName { get; init; } = "";
        public long DeclaredLength { get; init; }
        public long CreatedMs { get; init; }
        public string? ContentSha256 { get; init; }
        public long? Size { get; init; }
    }

    /// <summary>An lb_submissions row as stored: status and counts are integers, times Unix ms.</summary>
    private sealed class SubmissionRow
    {
        public long Ref { get; init; }
        public string Team { get; init; } = "";
        public string FileName { get; init; } = "";
        public string ContentSha256 { get; init; } = "";
        public long TotalBytes { get; init; }
        public string Description { get; init; } = "";
        public long SubmittedMs { get; init; }
        public int Status { get; init; }
        public double? PublicScore { get; init; }
        public double? PrivateScore { get; init; }
        public string? ErrorDescription { get; init; }
        public int Counts { get; init; }
    }
}

/// <summary>The embedded default: one SQLite file in WAL mode (see <see cref="SqliteDatabase"/>).</summary>
public sealed class SqliteLeaderboardStore : SqlLeaderboardStore
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly string _path;

    /// <summary>A store in the SQLite file at <paramref name="path"/>.</summary>
    public SqliteLeaderboardStore(string path)
        : this(new SqliteDatabase(CreateFolderOf(path)))
    {
    }

    private SqliteLeaderboardStore(SqliteDatabase database)
        : base(database) => _path = database.Path;

    /// <inheritdoc/>
    public override string Location => $"sqlite:{_path}";

    // SQLite's write transactions begin IMMEDIATE and so already run one at a time; no team lock is needed.
    private protected override Task LockTeamAsync(DbConnection connection, DbTransaction transaction, string competition, string team, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    // SQLite has one writer at a time, and Microsoft.Data.Sqlite answers a busy database by sleeping 150 ms before each
    // retry; queueing this process's writers in memory instead keeps write latency at the cost of a commit.
    private protected override async ValueTask<IDisposable?> EnterWriteAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        return new Releaser(_writeLock);
    }

    private static string CreateFolderOf(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return full;
    }

    private sealed class Releaser(SemaphoreSlim semaphore) : IDisposable
    {
        public void Dispose() => semaphore.Release();
    }
}

/// <summary>PostgreSQL, for a team's shared server.</summary>
public sealed class PostgresLeaderboardStore : SqlLeaderboardStore
{
    private readonly string _location;

    /// <summary>A store in the PostgreSQL database named by the Npgsql <paramref name="connectionString"/>.</summary>
    public PostgresLeaderboardStore(string connectionString)
        : this(new NpgsqlConnectionStringBuilder(connectionString))
    {
    }

    private PostgresLeaderboardStore(NpgsqlConnectionStringBuilder builder)
        : base(new PostgresDatabase(builder)) =>
        _location = $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";

    /// <inheritdoc/>
    public override string Location => _location;

    /// <inheritdoc/>
    public override async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await base.InitializeAsync(cancellationToken);
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            throw CannotConnect(e);
        }
    }

    private protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await base.OpenAsync(cancellationToken);
        }
        catch (NpgsqlException e)
        {
            throw CannotConnect(e);
        }
    }

    // The team row's lock makes concurrent creates for one team take turns; other teams are not blocked.
    private protected override Task LockTeamAsync(DbConnection connection, DbTransaction transaction, string competition, string team, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("SELECT id FROM lb_teams WHERE competition = @competition AND name = @team FOR UPDATE",
            new { competition, team }, transaction, cancellationToken: cancellationToken));

    private EsteiraException CannotConnect(NpgsqlException e) =>
        new(ErrorCode.ExternalService, $"cannot connect to {_location} ({e.Message}); check that PostgreSQL runs and the connection string", e);
}
