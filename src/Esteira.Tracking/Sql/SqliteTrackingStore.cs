using Esteira.Sql;

namespace Esteira.Tracking;

/// <summary>The embedded tracking store: one SQLite file (by default <c>.esteira/esteira.db</c> in the workspace).</summary>
/// <remarks>
/// The file runs in WAL mode and every connection waits for a busy writer instead of failing (see
/// <see cref="SqliteDatabase"/>), so several processes can write at once.
/// </remarks>
public sealed class SqliteTrackingStore : SqlTrackingStore
{
    private SqliteTrackingStore(SqliteDatabase database, TimeProvider? time)
        : base(database, $"sqlite:{database.Path}", time)
    {
        DatabasePath = database.Path;
    }

    /// <summary>The absolute path of the database file.</summary>
    public string DatabasePath { get; }

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

        var store = new SqliteTrackingStore(new SqliteDatabase(full), time);
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
}
