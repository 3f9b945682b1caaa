using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Esteira.Tracking;

/// <summary>The embedded tracking store: one SQLite file (by default <c>.esteira/esteira.db</c> in the workspace).</summary>
/// <remarks>
/// The file runs in WAL mode, so readers never block the writer, and every connection waits up to
/// <see cref="BusyTimeout"/> for a lock instead of failing, so several processes can write at once. Write
/// transactions begin IMMEDIATE (Microsoft.Data.Sqlite's default), which takes the write lock up front and so
/// avoids the "cannot upgrade a read transaction" failure WAL otherwise reports under contention.
/// </remarks>
public sealed class SqliteTrackingStore : SqlTrackingStore
{
    /// <summary>How long a connection waits for another writer before giving up.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    private readonly string _connectionString;

    private SqliteTrackingStore(string path, TimeProvider? time)
        : base($"sqlite:{path}", time)
    {
        DatabasePath = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();
    }

    /// <summary>The absolute path of the database file.</summary>
    public string DatabasePath { get; }

    private protected override string Dialect => "sqlite";

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/> and migrates it.</summary>
    public static async Task<SqliteTrackingStore> OpenAsync(string path, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"cannot create the folder for tracking database {full}: {e.Message}; choose a writable path with --tracking");
        }

        var store = new SqliteTrackingStore(full, time);
        try
        {
            await store.InitializeAsync(cancellationToken);
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
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

    private protected override Task LockAsync(DbConnection connection, DbTransaction transaction, string key, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    private protected override void DisposeCore()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
