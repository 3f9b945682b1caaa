using Npgsql;
using Xunit;

namespace Esteira.Tracking.Tests;

/// <summary>The contract on PostgreSQL (ESTEIRA_TEST_POSTGRES): a fresh schema per test, dropped afterwards.</summary>
[Trait("Needs", "postgres")]
public sealed class PostgresTrackingStoreTests : TrackingStoreContract
{
    private readonly List<string> _schemas = [];

    protected override Task<string> NewDatabaseAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(TestServices.Postgres);
        var schema = $"esteira_test_{Guid.NewGuid():N}"[..40];
        _schemas.Add(schema);
        builder.SearchPath = schema;
        return Task.FromResult(builder.ConnectionString);
    }

    protected override async Task<IReadOnlyList<int>> SchemaVersionsAsync(string uri)
    {
        await using var connection = new NpgsqlConnection(uri);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT version FROM schema_version ORDER BY version", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var versions = new List<int>();
        while (await reader.ReadAsync())
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }

    protected override string Dialect => "postgresql";

    protected override async Task ExecuteScriptAsync(string uri, string sql)
    {
        // The previous store created its schema before migrating; so does this fixture.
        var schema = new NpgsqlConnectionStringBuilder(uri).SearchPath;
        await using var connection = new NpgsqlConnection(uri);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS \"{schema}\"; {sql}", connection);
        await command.ExecuteNonQueryAsync();
    }

    protected override async Task CleanupAsync()
    {
        if (_schemas.Count == 0)
        {
            return;
        }

        await using var connection = new NpgsqlConnection(TestServices.Postgres);
        await connection.OpenAsync();
        foreach (var schema in _schemas)
        {
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task A_postgresql_uri_with_a_schema_opens_the_same_store_as_the_connection_string()
    {
        var connection = new NpgsqlConnectionStringBuilder(TestServices.Postgres);
        var schema = $"esteira_test_{Guid.NewGuid():N}"[..40];
        _schemas.Add(schema);
        var uri = $"postgresql://{connection.Username}@{connection.Host}:{connection.Port}/{connection.Database}?schema={schema}";

        await using var viaUri = await TrackingStores.OpenAsync(uri, Workspace.Path);
        var id = await viaUri.StartRunAsync(new NewRun { Experiment = "e" });
        await using var viaConnectionString = await TrackingStores.OpenAsync(new NpgsqlConnectionStringBuilder(TestServices.Postgres) { SearchPath = schema }.ConnectionString, Workspace.Path);

        Assert.IsType<PostgresTrackingStore>(viaUri);
        Assert.Equal("e", (await viaConnectionString.GetRunOrThrowAsync(id)).Experiment);
        Assert.Contains($"?schema={schema}", viaUri.Location, StringComparison.Ordinal);
    }
}
