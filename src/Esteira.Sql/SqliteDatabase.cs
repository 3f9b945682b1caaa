using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Esteira.Sql;

/// <summary>An embedded SQLite file in WAL mode.</summary>
/// <remarks>
/// Readers never block the writer in WAL mode, and every connection waits up to <see cref="BusyTimeout"/> for a lock
/// instead of failing, so several processes can write at once. Write transactions begin IMMEDIATE, which takes the
/// write lock up front and so avoids the "cannot upgrade a read transaction" failure WAL otherwise reports under
/// contention. WAL with synchronous NORMAL survives a process crash (only an OS crash may lose the last commits).
/// </remarks>
public sealed class SqliteDatabase : SqlDatabase
{
    /// <summary>How long a connection waits for another writer before giving up.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    private readonly string _connectionString;

    /// <summary>A database at <paramref name="path"/>; the file is created on first open, its folder must exist.</summary>
    public SqliteDatabase(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();
    }

    /// <summary>The absolute path of the database file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public override SqlDialect Dialect => SqlDialect.Sqlite;

    /// <inheritdoc />
    public override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var pragmas = connection.CreateCommand();
            // journal_mode is stored in the file (set once, cheap after); busy_timeout is per connection.
            pragmas.CommandText = $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";
            await pragmas.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public override Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken = default) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(IsolationLevel.Serializable, deferred: false));

    /// <inheritdoc />
    public override Task LockAsync(DbConnection connection, DbTransaction transaction, string key, CancellationToken cancellationToken = default) =>
        Task.CompletedTask;

    /// <inheritdoc />
    protected override void DisposeCore()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
