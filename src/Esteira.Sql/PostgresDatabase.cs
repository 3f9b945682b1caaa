using System.Data.Common;
using Dapper;
using Npgsql;

namespace Esteira.Sql;

/// <summary>A PostgreSQL database, optionally one schema of it (the first entry of the connection's Search Path).</summary>
/// <remarks>With a schema, <see cref="PrepareAsync"/> creates it if missing, so several stores can share one database.</remarks>
public sealed class PostgresDatabase : SqlDatabase
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string? _password;

    /// <summary>A database reached with <paramref name="settings"/>; nothing connects until the first open.</summary>
    public PostgresDatabase(NpgsqlConnectionStringBuilder settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _password = string.IsNullOrEmpty(settings.Password) ? null : settings.Password;
        Schema = settings.SearchPath?.Split(',')[0].Trim() is { Length: > 0 } s && s != "$user" ? s : null;
        _dataSource = NpgsqlDataSource.Create(settings.ConnectionString);
    }

    /// <summary>The schema the store's tables live in, or null for the server's default.</summary>
    public string? Schema { get; }

    /// <inheritdoc />
    public override SqlDialect Dialect => SqlDialect.Postgres;

    /// <inheritdoc />
    public override string? Secret => _password;

    /// <inheritdoc />
    public override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    /// <inheritdoc />
    public override Task LockAsync(DbConnection connection, DbTransaction transaction, string key, CancellationToken cancellationToken = default) =>
        connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@id)", new { id = LockId(key) }, transaction, cancellationToken: cancellationToken));

    /// <inheritdoc />
    public override Task PrepareAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken = default) =>
        Schema is null
            ? Task.CompletedTask
            // The schema name is checked to be a plain identifier where the settings are parsed; identifiers cannot be parameters.
            : connection.ExecuteAsync(new CommandDefinition($"CREATE SCHEMA IF NOT EXISTS \"{Schema.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", transaction: transaction, cancellationToken: cancellationToken));

    /// <inheritdoc />
    protected override void DisposeCore() => _dataSource.Dispose();
}
