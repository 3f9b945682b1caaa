using Microsoft.Data.Sqlite;
using Xunit;

namespace Esteira.Tracking.Tests;

/// <summary>The contract on the embedded store: a fresh database file per test.</summary>
public sealed class SqliteTrackingStoreTests : TrackingStoreContract
{
    protected override Task<string> NewDatabaseAsync() =>
        Task.FromResult($"sqlite:{Path.Combine(Workspace.Path, $"db-{Guid.NewGuid():N}", "esteira.db")}");

    protected override Task<IReadOnlyList<int>> SchemaVersionsAsync(string uri) =>
        Task.FromResult<IReadOnlyList<int>>(Query(uri["sqlite:".Length..], "SELECT version FROM schema_version ORDER BY version").Select(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)).ToList());

    protected override string Dialect => "sqlite";

    protected override Task ExecuteScriptAsync(string uri, string sql)
    {
        var path = uri["sqlite:".Length..];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Query(path, sql + "\nSELECT 1;");
        return Task.CompletedTask;
    }

    private static List<object> Query(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<object>();
        while (reader.Read())
        {
            values.Add(reader.GetValue(0));
        }

        return values;
    }

    [Fact]
    public async Task The_default_store_is_a_wal_mode_file_under_the_workspace()
    {
        await using (var store = await TrackingStores.OpenAsync(null, Workspace.Path))
        {
            Assert.IsType<SqliteTrackingStore>(store);
            await store.StartRunAsync(new NewRun { Experiment = "e" });
        }

        var path = Path.Combine(Workspace.Path, ".esteira", "esteira.db");
        Assert.True(File.Exists(path));
        Assert.Equal("wal", Query(path, "PRAGMA journal_mode").Single());
    }

    [Fact]
    public async Task Runs_recorded_before_run_uids_existed_get_distinct_uids_on_upgrade()
    {
        // Given a version-1 database (this one, taken back to version 1) with two runs
        var path = Path.Combine(Workspace.Path, "v1.db");
        await using (var store = await TrackingStores.OpenAsync(path, Workspace.Path))
        {
            await store.StartRunAsync(new NewRun { Experiment = "e" });
            await store.StartRunAsync(new NewRun { Experiment = "e" });
        }

        Query(path, "DROP INDEX ux_runs_uid; ALTER TABLE runs DROP COLUMN uid; DELETE FROM schema_version WHERE version = 2; SELECT 1");

        // When it is opened again
        await using var upgraded = await TrackingStores.OpenAsync(path, Workspace.Path);

        // Then both runs have a uid, and they differ
        var runs = await upgraded.GetRunsAsync([1, 2]);
        Assert.Equal(2, runs.Select(r => r.Uid).Where(u => u != Guid.Empty).Distinct().Count());
    }

    [Fact]
    public async Task A_database_from_a_newer_esteira_is_refused()
    {
        var path = Path.Combine(Workspace.Path, "newer.db");
        await (await TrackingStores.OpenAsync(path, Workspace.Path)).DisposeAsync();
        Query(path, "INSERT INTO schema_version (version, name, applied_at) VALUES (99, 'future', 0) RETURNING version");

        var error = await Assert.ThrowsAsync<EsteiraException>(() => TrackingStores.OpenAsync(path, Workspace.Path));

        Assert.Equal(ErrorCode.Conflict, error.Code);
        Assert.Contains("schema version 99", error.Message, StringComparison.Ordinal);
    }
}
