using Dapper;
using Esteira.Sql;
using Npgsql;
using Xunit;

namespace Esteira.Tracking.Tests;

/// <summary>The migrations runner on each dialect: a fresh, empty database per test.</summary>
public abstract class SqlMigrationsContract : IAsyncLifetime
{
    private readonly List<SqlDatabase> _opened = [];

    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    protected abstract SqlDialect Dialect { get; }

    /// <summary>A new, empty database.</summary>
    protected abstract SqlDatabase CreateDatabase();

    protected virtual Task CleanupAsync() => Task.CompletedTask;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var database in _opened)
        {
            await database.DisposeAsync();
        }

        await CleanupAsync();
    }

    private SqlDatabase NewDatabase() => Track(CreateDatabase());

    private SqlDatabase Track(SqlDatabase database)
    {
        _opened.Add(database);
        return database;
    }

    private MigrationSet Set(params string[] scripts) =>
        new("sample", "sample store", "sample_version", Dialect, scripts.Select((sql, i) => new Migration(i + 1, $"step{i + 1}", sql)));

    private static async Task<List<long>> VersionsAsync(SqlDatabase database, string table)
    {
        await using var connection = await database.OpenConnectionAsync();
        return (await connection.QueryAsync<long>($"SELECT version FROM {table} ORDER BY version")).AsList();
    }

    private static async Task<long> CountAsync(SqlDatabase database, string table)
    {
        await using var connection = await database.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}");
    }

    [Fact]
    public async Task A_fresh_database_gets_every_migration_once()
    {
        // Given an empty database and two migrations
        var database = NewDatabase();
        var set = Set("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL)", "INSERT INTO things (id, name) VALUES (1, 'one')");

        // When they are applied twice
        var first = await Migrator.ApplyAsync(database, set, "test-db", Clock);
        var second = await Migrator.ApplyAsync(database, set, "test-db", Clock);

        // Then each ran once and is recorded once, with its name and time
        Assert.Equal(2, first);
        Assert.Equal(2, second);
        Assert.Equal([1L, 2L], await VersionsAsync(database, "sample_version"));
        Assert.Equal(1, await CountAsync(database, "things"));
        await using var connection = await database.OpenConnectionAsync();
        Assert.Equal(Clock.GetUtcNow().ToUnixTimeMilliseconds(), await connection.ExecuteScalarAsync<long>("SELECT applied_at FROM sample_version WHERE name = 'step2'"));
    }

    [Fact]
    public async Task A_failing_migration_leaves_the_database_at_the_previous_version()
    {
        // Given a database, a good first migration and a second one that fails half-way
        var database = NewDatabase();
        var broken = Set("CREATE TABLE things (id INTEGER PRIMARY KEY)", "CREATE TABLE half (id INTEGER); INSERT INTO no_such_table (id) VALUES (1)");

        // When it is applied
        await Assert.ThrowsAnyAsync<Exception>(() => Migrator.ApplyAsync(database, broken, "test-db", Clock));

        // Then version 1 stands, nothing of version 2 is left, and the fixed migration applies afterwards
        Assert.Equal([1L], await VersionsAsync(database, "sample_version"));
        await Assert.ThrowsAnyAsync<Exception>(() => CountAsync(database, "half"));
        await Migrator.ApplyAsync(database, Set("CREATE TABLE things (id INTEGER PRIMARY KEY)", "CREATE TABLE half (id INTEGER)"), "test-db", Clock);
        Assert.Equal([1L, 2L], await VersionsAsync(database, "sample_version"));
        Assert.Equal(0, await CountAsync(database, "half"));
    }

    [Fact]
    public async Task A_database_newer_than_the_code_is_refused()
    {
        // Given a database migrated to version 2
        var database = NewDatabase();
        await Migrator.ApplyAsync(database, Set("CREATE TABLE a (id INTEGER)", "CREATE TABLE b (id INTEGER)"), "test-db", Clock);

        // When code that knows only version 1 opens it
        var error = await Assert.ThrowsAsync<EsteiraException>(() => Migrator.ApplyAsync(database, Set("CREATE TABLE a (id INTEGER)"), "test-db", Clock));

        // Then it is refused with what to do
        Assert.Equal(ErrorCode.Conflict, error.Code);
        Assert.Equal("sample store test-db has schema version 2 but this esteira knows only up to 1; upgrade esteira to use this store", error.Message);
    }

    [Fact]
    public async Task The_tracking_and_leaderboard_schemas_can_share_one_database()
    {
        // Given one database
        var database = NewDatabase();

        // When both stores migrate it
        await Migrator.ApplyAsync(database, MigrationSet.Tracking(Dialect), "test-db", Clock);
        await Migrator.ApplyAsync(database, MigrationSet.Leaderboard(Dialect), "test-db", Clock);

        // Then each keeps its own version table
        Assert.Equal(Enumerable.Range(1, MigrationSet.Tracking(Dialect).Latest).Select(v => (long)v), await VersionsAsync(database, "schema_version"));
        Assert.Equal(Enumerable.Range(1, MigrationSet.Leaderboard(Dialect).Latest).Select(v => (long)v), await VersionsAsync(database, "lb_schema_version"));
        Assert.Equal(0, await CountAsync(database, "runs"));
        Assert.Equal(0, await CountAsync(database, "lb_submissions"));
    }

    [Fact]
    public async Task Concurrent_openers_migrate_a_new_database_once()
    {
        // Given an empty database opened by four processes at once (four independent pools)
        var first = NewDatabase();
        var databases = new[] { first }.Concat(Enumerable.Range(0, 3).Select(_ => Track(Reopen(first)))).ToList();

        // When they all migrate it
        await Task.WhenAll(databases.Select(d => Migrator.ApplyAsync(d, MigrationSet.Tracking(Dialect), "test-db", Clock)));

        // Then every version is recorded exactly once
        Assert.Equal(Enumerable.Range(1, MigrationSet.Tracking(Dialect).Latest).Select(v => (long)v), await VersionsAsync(databases[0], "schema_version"));
    }

    /// <summary>Another instance on the same database as <paramref name="database"/>.</summary>
    protected abstract SqlDatabase Reopen(SqlDatabase database);
}

public sealed class SqliteMigrationsTests : SqlMigrationsContract, IDisposable
{
    private readonly TempFolder _temp = new();

    protected override SqlDialect Dialect => SqlDialect.Sqlite;

    protected override SqlDatabase CreateDatabase() => new SqliteDatabase(Path.Combine(_temp.Path, $"{Guid.NewGuid():N}.db"));

    protected override SqlDatabase Reopen(SqlDatabase database) => new SqliteDatabase(((SqliteDatabase)database).Path);

    public void Dispose() => _temp.Dispose();
}

[Trait("Needs", "postgres")]
public sealed class PostgresMigrationsTests : SqlMigrationsContract
{
    private readonly List<string> _schemas = [];

    protected override SqlDialect Dialect => SqlDialect.Postgres;

    protected override SqlDatabase CreateDatabase()
    {
        var schema = $"esteira_test_{Guid.NewGuid():N}"[..40];
        _schemas.Add(schema);
        return new PostgresDatabase(new NpgsqlConnectionStringBuilder(TestServices.Postgres) { SearchPath = schema });
    }

    protected override SqlDatabase Reopen(SqlDatabase database) =>
        new PostgresDatabase(new NpgsqlConnectionStringBuilder(TestServices.Postgres) { SearchPath = ((PostgresDatabase)database).Schema });

    protected override async Task CleanupAsync()
    {
        await using var connection = new NpgsqlConnection(TestServices.Postgres);
        await connection.OpenAsync();
        foreach (var schema in _schemas)
        {
            await connection.ExecuteAsync($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        }
    }
}
