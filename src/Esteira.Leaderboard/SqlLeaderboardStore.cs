using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Esteira.Leaderboard;

/// <summary>
/// The SQL shared by the SQLite and PostgreSQL stores; each dialect supplies its connection, its DDL and how a write
/// transaction locks one team. Times are stored as Unix milliseconds (UTC), which both engines compare the same way.
/// </summary>
public abstract class SqlLeaderboardStore : ILeaderboardStore
{
    private const string SubmissionColumns =
        "ref, team, file_name, content_sha256, total_bytes, description, submitted_ms, status, public_score, private_score, error_description, counts";

    public abstract string Location { get; }

    /// <summary>The clock that stamps new rows (default the system's).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>An open connection.</summary>
    protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    protected abstract IReadOnlyList<string> SchemaStatements { get; }

    /// <summary>Begins a transaction that, once <see cref="LockTeamAsync"/> ran, excludes other writers for that team.</summary>
    protected abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    protected abstract Task LockTeamAsync(DbConnection connection, DbTransaction transaction, string competition, string team, CancellationToken cancellationToken);

    /// <summary>Taken around every write; a no-op unless the engine needs writers serialised in-process.</summary>
    protected virtual ValueTask<IDisposable?> EnterWriteAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IDisposable?>(null);

    public virtual async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var statement in SchemaStatements)
        {
            await ExecuteAsync(connection, transaction, statement, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<TeamRecord> UpsertTeamAsync(string competition, string name, byte[] salt, byte[] keyHash, CancellationToken cancellationToken = default)
    {
        using (await EnterWriteAsync(cancellationToken))
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = await BeginWriteAsync(connection, cancellationToken);
            await ExecuteAsync(connection, transaction,
                "INSERT INTO lb_teams (competition, name, salt, key_hash, created_ms) VALUES (@c, @n, @s, @h, @t) " +
                "ON CONFLICT (competition, name) DO UPDATE SET salt = excluded.salt, key_hash = excluded.key_hash",
                cancellationToken, ("c", competition), ("n", name), ("s", salt), ("h", keyHash), ("t", Time.GetUtcNow().ToUnixTimeMilliseconds()));
            await transaction.CommitAsync(cancellationToken);
            return (await ListTeamsAsync(competition, cancellationToken)).Single(t => t.Name == name);
        }
    }

    public async Task<IReadOnlyList<TeamRecord>> ListTeamsAsync(string competition, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT id, name, salt, key_hash FROM lb_teams WHERE competition = @c ORDER BY name", ("c", competition));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var teams = new List<TeamRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            teams.Add(new TeamRecord(reader.GetInt64(0), reader.GetString(1), (byte[])reader.GetValue(2), (byte[])reader.GetValue(3)));
        }

        return teams;
    }

    public async Task CreateUploadAsync(string competition, UploadRecord upload, CancellationToken cancellationToken = default)
    {
        using (await EnterWriteAsync(cancellationToken))
        {
            ArgumentNullException.ThrowIfNull(upload);
            await using var connection = await OpenAsync(cancellationToken);
            await ExecuteAsync(connection, null,
                "INSERT INTO lb_uploads (token_hash, competition, team, file_name, declared_length, created_ms) VALUES (@k, @c, @t, @f, @l, @m)",
                cancellationToken, ("k", upload.TokenHash), ("c", competition), ("t", upload.Team), ("f", upload.FileName), ("l", upload.DeclaredLength),
                ("m", ToMs(upload.CreatedUtc)));
        }
    }

    public async Task<UploadRecord?> FindUploadAsync(string competition, string tokenHash, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null,
            "SELECT token_hash, team, file_name, declared_length, created_ms, content_sha256, size FROM lb_uploads WHERE competition = @c AND token_hash = @k",
            ("c", competition), ("k", tokenHash));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new UploadRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), FromMs(reader.GetInt64(4)),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetInt64(6))
            : null;
    }

    public async Task<bool> CompleteUploadAsync(string competition, string tokenHash, string contentSha256, long size, CancellationToken cancellationToken = default)
    {
        using (await EnterWriteAsync(cancellationToken))
        {
            // One statement decides: the first file wins, and only the same bytes again match afterwards.
            await using var connection = await OpenAsync(cancellationToken);
            return await ExecuteAsync(connection, null,
                "UPDATE lb_uploads SET content_sha256 = @s, size = @z WHERE competition = @c AND token_hash = @k AND (content_sha256 IS NULL OR content_sha256 = @s)",
                cancellationToken, ("s", contentSha256), ("z", size), ("c", competition), ("k", tokenHash)) == 1;
        }
    }

    public async Task<(SubmissionRecord Record, bool Created)> CreateSubmissionAsync(string competition, NewLeaderboardSubmission submission, int dailyLimit, DateTime dayStartUtc,
        CancellationToken cancellationToken = default)
    {
        using (await EnterWriteAsync(cancellationToken))
        {
            ArgumentNullException.ThrowIfNull(submission);
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = await BeginWriteAsync(connection, cancellationToken);
            await LockTeamAsync(connection, transaction, competition, submission.Team, cancellationToken);

            var existing = await QuerySubmissionsAsync(connection, transaction, "competition = @c AND upload_token_hash = @k", cancellationToken,
                ("c", competition), ("k", submission.UploadTokenHash));
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

            await using (var insert = Command(connection, transaction,
                "INSERT INTO lb_submissions (competition, team, upload_token_hash, file_name, content_sha256, total_bytes, description, submitted_ms, status, counts) " +
                "VALUES (@c, @t, @k, @f, @s, @b, @d, @m, 0, 1) RETURNING ref",
                ("c", competition), ("t", submission.Team), ("k", submission.UploadTokenHash), ("f", submission.FileName), ("s", submission.ContentSha256),
                ("b", submission.TotalBytes), ("d", submission.Description), ("m", ToMs(submission.SubmittedUtc))))
            {
                var id = Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
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
    }

    public async Task<SubmissionRecord?> GetSubmissionAsync(string competition, long submissionRef, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var found = await QuerySubmissionsAsync(connection, null, "competition = @c AND ref = @r", cancellationToken, ("c", competition), ("r", submissionRef));
        return found.Count > 0 ? found[0] : null;
    }

    public async Task<IReadOnlyList<SubmissionRecord>> ListSubmissionsAsync(string competition, string? team, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return team is null
            ? await QuerySubmissionsAsync(connection, null, "competition = @c", cancellationToken, ("c", competition))
            : await QuerySubmissionsAsync(connection, null, "competition = @c AND team = @t", cancellationToken, ("c", competition), ("t", team));
    }

    public async Task<int> CountSinceAsync(string competition, string team, DateTime dayStartUtc, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await CountAsync(connection, null, competition, team, dayStartUtc, cancellationToken);
    }

    public async Task CompleteSubmissionAsync(string competition, long submissionRef, double? publicScore, double? privateScore, CancellationToken cancellationToken = default)
    {
        using (await EnterWriteAsync(cancellationToken))
        {
            await using var connection = await OpenAsync(cancellationToken);
            await ExecuteAsync(connection, null,
                "UPDATE lb_submissions SET status = 1, public_score = @p, private_score = @q WHERE competition = @c AND ref = @r AND status = 0",
                cancellationToken, ("p", publicScore), ("q", privateScore), ("c", competition), ("r", submissionRef));
        }
    }

    public async Task FailSubmissionAsync(string competition, long submissionRef, string errorDescription, bool counts, CancellationToken cancellationToken = default)
    {
        using (await EnterWriteAsync(cancellationToken))
        {
            await using var connection = await OpenAsync(cancellationToken);
            await ExecuteAsync(connection, null,
                "UPDATE lb_submissions SET status = 2, error_description = @e, counts = @n WHERE competition = @c AND ref = @r AND status = 0",
                cancellationToken, ("e", errorDescription), ("n", counts ? 1 : 0), ("c", competition), ("r", submissionRef));
        }
    }

    public async Task<long> OpenUploadBytesAsync(string competition, string team, DateTime sinceUtc, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null,
            "SELECT COALESCE(SUM(COALESCE(u.size, u.declared_length)), 0) FROM lb_uploads u WHERE u.competition = @c AND u.team = @t AND u.created_ms >= @m " +
            "AND NOT EXISTS (SELECT 1 FROM lb_submissions s WHERE s.upload_token_hash = u.token_hash)",
            ("c", competition), ("t", team), ("m", ToMs(sinceUtc)));
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<IReadOnlyList<string>> DeleteExpiredUploadsAsync(string competition, DateTime beforeUtc, CancellationToken cancellationToken = default)
    {
        using (await EnterWriteAsync(cancellationToken))
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = await BeginWriteAsync(connection, cancellationToken);
            const string expired = "u.competition = @c AND u.created_ms < @m AND NOT EXISTS (SELECT 1 FROM lb_submissions s WHERE s.upload_token_hash = u.token_hash)";
            var hashes = new List<string>();
            await using (var select = Command(connection, transaction, $"SELECT DISTINCT u.content_sha256 FROM lb_uploads u WHERE {expired} AND u.content_sha256 IS NOT NULL",
                ("c", competition), ("m", ToMs(beforeUtc))))
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    hashes.Add(reader.GetString(0));
                }
            }

            await ExecuteAsync(connection, transaction, $"DELETE FROM lb_uploads WHERE token_hash IN (SELECT u.token_hash FROM lb_uploads u WHERE {expired})",
                cancellationToken, ("c", competition), ("m", ToMs(beforeUtc)));
            var orphans = new List<string>();
            foreach (var hash in hashes)
            {
                await using var used = Command(connection, transaction,
                    "SELECT (SELECT COUNT(*) FROM lb_uploads WHERE content_sha256 = @s) + (SELECT COUNT(*) FROM lb_submissions WHERE content_sha256 = @s)", ("s", hash));
                if (Convert.ToInt64(await used.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 0)
                {
                    orphans.Add(hash);
                }
            }

            await transaction.CommitAsync(cancellationToken);
            return orphans;
        }
    }

    public async Task<IReadOnlyList<long>> ListPendingAsync(string competition, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT ref FROM lb_submissions WHERE competition = @c AND status = 0 ORDER BY ref", ("c", competition));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var refs = new List<long>();
        while (await reader.ReadAsync(cancellationToken))
        {
            refs.Add(reader.GetInt64(0));
        }

        return refs;
    }

    public abstract ValueTask DisposeAsync();

    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
#pragma warning disable CA2100 // every statement is a constant of this class; values go in as parameters
        command.CommandText = sql;
#pragma warning restore CA2100
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>Runs a statement and returns how many rows it changed.</summary>
    protected static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<int> CountAsync(DbConnection connection, DbTransaction? transaction, string competition, string team, DateTime dayStartUtc,
        CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "SELECT COUNT(*) FROM lb_submissions WHERE competition = @c AND team = @t AND submitted_ms >= @m AND counts = 1",
            ("c", competition), ("t", team), ("m", ToMs(dayStartUtc)));
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<List<SubmissionRecord>> QuerySubmissionsAsync(DbConnection connection, DbTransaction? transaction, string where,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, $"SELECT {SubmissionColumns} FROM lb_submissions WHERE {where} ORDER BY ref DESC", parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<SubmissionRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new SubmissionRecord
            {
                Ref = reader.GetInt64(0),
                Team = reader.GetString(1),
                FileName = reader.GetString(2),
                ContentSha256 = reader.GetString(3),
                TotalBytes = reader.GetInt64(4),
                Description = reader.GetString(5),
                SubmittedUtc = FromMs(reader.GetInt64(6)),
                Status = (SubmissionStatus)Convert.ToInt32(reader.GetValue(7), System.Globalization.CultureInfo.InvariantCulture),
                PublicScore = reader.IsDBNull(8) ? null : reader.GetDouble(8),
                PrivateScore = reader.IsDBNull(9) ? null : reader.GetDouble(9),
                ErrorDescription = reader.IsDBNull(10) ? null : reader.GetString(10),
                Counts = Convert.ToInt32(reader.GetValue(11), System.Globalization.CultureInfo.InvariantCulture) != 0,
            });
        }

        return result;
    }

    protected static long ToMs(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeMilliseconds();

    protected static DateTime FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;
}

/// <summary>The embedded default: one SQLite file in WAL mode.</summary>
public sealed class SqliteLeaderboardStore : SqlLeaderboardStore
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly string _connectionString;
    private readonly string _path;

    public SqliteLeaderboardStore(string path)
    {
        _path = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = _path, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    public override string Location => $"sqlite:{_path}";

    protected override IReadOnlyList<string> SchemaStatements { get; } =
    [
        "CREATE TABLE IF NOT EXISTS lb_teams (id INTEGER PRIMARY KEY AUTOINCREMENT, competition TEXT NOT NULL, name TEXT NOT NULL, salt BLOB NOT NULL, key_hash BLOB NOT NULL, created_ms INTEGER NOT NULL, UNIQUE (competition, name))",
        "CREATE TABLE IF NOT EXISTS lb_uploads (token_hash TEXT PRIMARY KEY, competition TEXT NOT NULL, team TEXT NOT NULL, file_name TEXT NOT NULL, declared_length INTEGER NOT NULL, created_ms INTEGER NOT NULL, content_sha256 TEXT, size INTEGER)",
        "CREATE TABLE IF NOT EXISTS lb_submissions (ref INTEGER PRIMARY KEY AUTOINCREMENT, competition TEXT NOT NULL, team TEXT NOT NULL, upload_token_hash TEXT NOT NULL UNIQUE, file_name TEXT NOT NULL, content_sha256 TEXT NOT NULL, total_bytes INTEGER NOT NULL, description TEXT NOT NULL, submitted_ms INTEGER NOT NULL, status INTEGER NOT NULL, public_score REAL, private_score REAL, error_description TEXT, counts INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS lb_submissions_team ON lb_submissions (competition, team, submitted_ms)",
    ];

    public override async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await using (var connection = new SqliteConnection(_connectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL", cancellationToken);
        }

        await base.InitializeAsync(cancellationToken);
    }

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);

            // WAL + NORMAL survives a process crash or restart (only an OS crash may lose the last commits).
            await ExecuteAsync(connection, null, "PRAGMA synchronous=NORMAL", cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    // BEGIN IMMEDIATE takes SQLite's single write lock up front, so count-then-insert cannot interleave.
    protected override Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(IsolationLevel.Serializable, deferred: false));

    protected override Task LockTeamAsync(DbConnection connection, DbTransaction transaction, string competition, string team, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    // SQLite has one writer at a time, and Microsoft.Data.Sqlite answers a busy database by sleeping 150 ms before each
    // retry; queueing this process's writers in memory instead keeps write latency at the cost of a commit.
    protected override async ValueTask<IDisposable?> EnterWriteAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        return new Releaser(_writeLock);
    }

    private sealed class Releaser(SemaphoreSlim semaphore) : IDisposable
    {
        public void Dispose() => semaphore.Release();
    }

    public override ValueTask DisposeAsync()
    {
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>PostgreSQL, for a team's shared server.</summary>
public sealed class PostgresLeaderboardStore : SqlLeaderboardStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _location;

    public PostgresLeaderboardStore(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        _location = $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public override string Location => _location;

    protected override IReadOnlyList<string> SchemaStatements { get; } =
    [
        // Concurrent CREATE TABLE IF NOT EXISTS can still collide in PostgreSQL's catalog; one advisory lock serialises them.
        "SELECT pg_advisory_xact_lock(724019)",
        "CREATE TABLE IF NOT EXISTS lb_teams (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, competition TEXT NOT NULL, name TEXT NOT NULL, salt BYTEA NOT NULL, key_hash BYTEA NOT NULL, created_ms BIGINT NOT NULL, UNIQUE (competition, name))",
        "CREATE TABLE IF NOT EXISTS lb_uploads (token_hash TEXT PRIMARY KEY, competition TEXT NOT NULL, team TEXT NOT NULL, file_name TEXT NOT NULL, declared_length BIGINT NOT NULL, created_ms BIGINT NOT NULL, content_sha256 TEXT, size BIGINT)",
        "CREATE TABLE IF NOT EXISTS lb_submissions (ref BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, competition TEXT NOT NULL, team TEXT NOT NULL, upload_token_hash TEXT NOT NULL UNIQUE, file_name TEXT NOT NULL, content_sha256 TEXT NOT NULL, total_bytes BIGINT NOT NULL, description TEXT NOT NULL, submitted_ms BIGINT NOT NULL, status INTEGER NOT NULL, public_score DOUBLE PRECISION, private_score DOUBLE PRECISION, error_description TEXT, counts INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS lb_submissions_team ON lb_submissions (competition, team, submitted_ms)",
    ];

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken);
        }
        catch (NpgsqlException e)
        {
            throw new EsteiraException(ErrorCode.ExternalService, $"cannot connect to {_location} ({e.Message}); check that PostgreSQL runs and the connection string", e);
        }
    }

    protected override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);

    // The team row's lock makes concurrent creates for one team take turns; other teams are not blocked.
    protected override Task LockTeamAsync(DbConnection connection, DbTransaction transaction, string competition, string team, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction, "SELECT id FROM lb_teams WHERE competition = @c AND name = @t FOR UPDATE", cancellationToken, ("c", competition), ("t", team));

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
