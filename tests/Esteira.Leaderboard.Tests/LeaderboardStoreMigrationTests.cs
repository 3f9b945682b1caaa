using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit;

namespace Esteira.Leaderboard.Tests;

/// <summary>
/// A leaderboard database created before the store had migrations (by the DDL strings it ran on every start) must open
/// with today's store, adopt schema version 1 as it is, and keep its rows.
/// </summary>
public abstract class LeaderboardStoreMigrationContract : IAsyncLifetime
{
    private const string Competition = "legacy";

    /// <summary>The statements the store ran on every start before migrations, copied from it; do not edit.</summary>
    protected abstract IReadOnlyList<string> DdlBeforeMigrations { get; }

    /// <summary>A connection to a new, empty database.</summary>
    protected abstract DbConnection Connect();

    /// <summary>The store on the database <see cref="Connect"/> reaches.</summary>
    protected abstract ILeaderboardStore OpenStore();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_database_created_by_the_ddl_strings_opens_with_its_rows()
    {
        // Given a database the old way: the old DDL, run twice as every start did, with a team, an upload and a pending submission
        await using (var connection = Connect())
        {
            await connection.OpenAsync();
            foreach (var statement in DdlBeforeMigrations.Concat(DdlBeforeMigrations))
            {
                await connection.ExecuteAsync(statement);
            }

            await connection.ExecuteAsync(
                "INSERT INTO lb_teams (competition, name, salt, key_hash, created_ms) VALUES (@c, 'alice', @salt, @hash, 1764000000000)",
                new { c = Competition, salt = new byte[] { 1, 2 }, hash = new byte[] { 3, 4 } });
            await connection.ExecuteAsync(
                "INSERT INTO lb_uploads (token_hash, competition, team, file_name, declared_length, created_ms, content_sha256, size) " +
                "VALUES ('tok', @c, 'alice', 'sub.csv', 10, 1764000000000, @sha, 10)", new { c = Competition, sha = new string('a', 64) });
            await connection.ExecuteAsync(
                "INSERT INTO lb_submissions (competition, team, upload_token_hash, file_name, content_sha256, total_bytes, description, submitted_ms, status, counts) " +
                "VALUES (@c, 'alice', 'tok', 'sub.csv', @sha, 10, 'first', 1764000000000, 0, 1)", new { c = Competition, sha = new string('a', 64) });
        }

        // When today's store opens it (twice, as two starts would)
        await using var store = OpenStore();
        await store.InitializeAsync();
        await store.InitializeAsync();

        // Then it is recorded at version 1, and the rows read back and move on as before
        await using (var connection = Connect())
        {
            await connection.OpenAsync();
            Assert.Equal([1L], (await connection.QueryAsync<long>("SELECT version FROM lb_schema_version")).AsList());
        }

        var team = Assert.Single(await store.ListTeamsAsync(Competition));
        Assert.Equal("alice", team.Name);
        Assert.Equal([1, 2], team.Salt);
        Assert.Equal([3, 4], team.KeyHash);
        var submission = Assert.Single(await store.ListSubmissionsAsync(Competition, "alice"));
        Assert.Equal(("first", new DateTime(2025, 11, 24, 16, 0, 0, DateTimeKind.Utc)), (submission.Description, submission.SubmittedUtc));
        Assert.Equal([submission.Ref], await store.ListPendingAsync(Competition));
        Assert.Equal(1, await store.CountSinceAsync(Competition, "alice", new DateTime(2025, 11, 24, 0, 0, 0, DateTimeKind.Utc)));
        await store.CompleteSubmissionAsync(Competition, submission.Ref, 0.25, 0.5);
        Assert.Empty(await store.ListPendingAsync(Competition));
        Assert.Equal(0.25, (await store.GetSubmissionAsync(Competition, submission.Ref))!.PublicScore);
        Assert.True(await store.CompleteUploadAsync(Competition, "tok", new string('a', 64), 10));
    }
}

public sealed class SqliteLeaderboardStoreMigrationTests : LeaderboardStoreMigrationContract, IDisposable
{
    private readonly TempFolder _temp = new();

    protected override IReadOnlyList<string> DdlBeforeMigrations { get; } =
    [
        "CREATE TABLE IF NOT EXISTS lb_teams (id INTEGER PRIMARY KEY AUTOINCREMENT, competition TEXT NOT NULL, name TEXT NOT NULL, salt BLOB NOT NULL, key_hash BLOB NOT NULL, created_ms INTEGER NOT NULL, UNIQUE (competition, name))",
        "CREATE TABLE IF NOT EXISTS lb_uploads (token_hash TEXT PRIMARY KEY, competition TEXT NOT NULL, team TEXT NOT NULL, file_name TEXT NOT NULL, declared_length INTEGER NOT NULL, created_ms INTEGER NOT NULL, content_sha256 TEXT, size INTEGER)",
        "CREATE TABLE IF NOT EXISTS lb_submissions (ref INTEGER PRIMARY KEY AUTOINCREMENT, competition TEXT NOT NULL, team TEXT NOT NULL, upload_token_hash TEXT NOT NULL UNIQUE, file_name TEXT NOT NULL, content_sha256 TEXT NOT NULL, total_bytes INTEGER NOT NULL, description TEXT NOT NULL, submitted_ms INTEGER NOT NULL, status INTEGER NOT NULL, public_score REAL, private_score REAL, error_description TEXT, counts INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS lb_submissions_team ON lb_submissions (competition, team, submitted_ms)",
    ];

    protected override DbConnection Connect() => new SqliteConnection($"Data Source={_temp.Combine("state.db")};Pooling=False");

    protected override ILeaderboardStore OpenStore() => new SqliteLeaderboardStore(_temp.Combine("state.db"));

    public void Dispose() => _temp.Dispose();
}

[Trait("Needs", "postgres")]
public sealed class PostgresLeaderboardStoreMigrationTests : LeaderboardStoreMigrationContract
{
    private readonly string _schema = $"esteira_lb_test_{Guid.NewGuid():N}"[..40];

    private string ConnectionString
    {
        get
        {
            var connection = TestServices.Postgres;
            return new NpgsqlConnectionStringBuilder(connection) { SearchPath = _schema }.ConnectionString;
        }
    }

    protected override IReadOnlyList<string> DdlBeforeMigrations { get; } =
    [
        "SELECT pg_advisory_xact_lock(724019)",
        "CREATE TABLE IF NOT EXISTS lb_teams (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, competition TEXT NOT NULL, name TEXT NOT NULL, salt BYTEA NOT NULL, key_hash BYTEA NOT NULL, created_ms BIGINT NOT NULL, UNIQUE (competition, name))",
        "CREATE TABLE IF NOT EXISTS lb_uploads (token_hash TEXT PRIMARY KEY, competition TEXT NOT NULL, team TEXT NOT NULL, file_name TEXT NOT NULL, declared_length BIGINT NOT NULL, created_ms BIGINT NOT NULL, content_sha256 TEXT, size BIGINT)",
        "CREATE TABLE IF NOT EXISTS lb_submissions (ref BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, competition TEXT NOT NULL, team TEXT NOT NULL, upload_token_hash TEXT NOT NULL UNIQUE, file_name TEXT NOT NULL, content_sha256 TEXT NOT NULL, total_bytes BIGINT NOT NULL, description TEXT NOT NULL, submitted_ms BIGINT NOT NULL, status INTEGER NOT NULL, public_score DOUBLE PRECISION, private_score DOUBLE PRECISION, error_description TEXT, counts INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS lb_submissions_team ON lb_submissions (competition, team, submitted_ms)",
    ];

    public override async Task InitializeAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await connection.ExecuteAsync($"CREATE SCHEMA \"{_schema}\"");
    }

    public override async Task DisposeAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await connection.ExecuteAsync($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");
    }

    protected override DbConnection Connect() => new NpgsqlConnection(ConnectionString);

    protected override ILeaderboardStore OpenStore() => new PostgresLeaderboardStore(ConnectionString);
}
