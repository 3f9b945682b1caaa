using System.Text.RegularExpressions;

namespace Esteira.Tracking;

/// <summary>Opens a tracking store from a URI, choosing the implementation by scheme.</summary>
/// <remarks>
/// <list type="bullet">
/// <item>null or empty: SQLite at <c>.esteira/esteira.db</c> under the workspace root;</item>
/// <item><c>sqlite:PATH</c> or a plain path: SQLite at PATH (relative to the workspace root; <c>sqlite:///abs/path</c> is absolute);</item>
/// <item><c>postgresql://user:pass@host:port/db[?schema=NAME]</c>, <c>postgres://…</c> or an Npgsql connection string
/// (<c>Host=…;Username=…;Database=…</c>): PostgreSQL.</item>
/// </list>
/// An unknown scheme is an error that lists the known ones. Passwords are masked in every message.
/// </remarks>
public static partial class TrackingStores
{
    /// <summary>Where the default SQLite store lives, relative to the workspace root.</summary>
    public const string DefaultPath = ".esteira/esteira.db";

    private delegate Task<ITrackingStore> Factory(string uri, string workspaceRoot, TimeProvider? time, CancellationToken cancellationToken);

    private static readonly Dictionary<string, Factory> Factories = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sqlite"] = async (uri, root, time, ct) => await SqliteTrackingStore.OpenAsync(SqlitePath(uri, root), time, ct),
        ["postgresql"] = async (uri, _, time, ct) => await PostgresTrackingStore.OpenAsync(uri, time, ct),
        ["postgres"] = async (uri, _, time, ct) => await PostgresTrackingStore.OpenAsync(uri, time, ct),
    };

    /// <summary>The URI schemes that select a store.</summary>
    public static IReadOnlyCollection<string> Schemes => Factories.Keys;

    /// <summary>Opens (and migrates) the store named by <paramref name="uri"/>.</summary>
    /// <param name="uri">The store's URI, a plain path or a connection string; null for the default.</param>
    /// <param name="workspaceRoot">The folder relative SQLite paths are resolved against.</param>
    /// <param name="time">The clock for timestamps; null for the system clock.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    public static Task<ITrackingStore> OpenAsync(string? uri, string workspaceRoot, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workspaceRoot);
        if (string.IsNullOrWhiteSpace(uri))
        {
            return Factories["sqlite"](DefaultPath, workspaceRoot, time, cancellationToken);
        }

        uri = uri.Trim();
        if (PostgresConnection.IsConnectionString(uri))
        {
            return Factories["postgresql"](uri, workspaceRoot, time, cancellationToken);
        }

        var scheme = SchemeOf(uri);
        if (scheme is null)
        {
            return Factories["sqlite"](uri, workspaceRoot, time, cancellationToken);
        }

        return Factories.TryGetValue(scheme, out var factory)
            ? factory(uri, workspaceRoot, time, cancellationToken)
            : throw new EsteiraException(ErrorCode.BadInput,
                $"unknown tracking store scheme '{scheme}:' in '{Secrets.MaskPasswords(uri)}'; known schemes: {string.Join(", ", Schemes.Select(s => s + ":"))} (or a plain file path for SQLite)");
    }

    /// <summary>Opens a store that must already exist, such as one to copy runs from: a SQLite file that is missing or
    /// is not an esteira tracking database is refused instead of being created or changed.</summary>
    /// <param name="uri">The store's URI, a plain path or a connection string.</param>
    /// <param name="workspaceRoot">The folder relative SQLite paths are resolved against.</param>
    /// <param name="time">The clock for timestamps; null for the system clock.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="EsteiraException"><see cref="ErrorCode.BadInput"/> for a missing, unreadable or foreign SQLite file.</exception>
    public static async Task<ITrackingStore> OpenExistingAsync(string uri, string workspaceRoot, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        ArgumentNullException.ThrowIfNull(workspaceRoot);
        uri = uri.Trim();
        var scheme = PostgresConnection.IsConnectionString(uri) ? "postgresql" : SchemeOf(uri);
        if (scheme is not null && !scheme.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return await OpenAsync(uri, workspaceRoot, time, cancellationToken);
        }

        var path = Path.GetFullPath(SqlitePath(uri, workspaceRoot));
        if (!File.Exists(path))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"tracking database {path} does not exist; give a file written by 'esteira runs export --out FILE'");
        }

        await CheckEsteiraDatabaseAsync(path, cancellationToken);
        try
        {
            return await SqliteTrackingStore.OpenAsync(path, time, cancellationToken);
        }
        catch (EsteiraException e) when (e.Code == ErrorCode.ExternalService)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{path} is not a readable esteira tracking database ({e.Message})", e);
        }
    }

    /// <summary>The scheme of <paramref name="uri"/>, or null for a plain path (a one-letter scheme is a Windows drive).</summary>
    internal static string? SchemeOf(string uri)
    {
        var match = Scheme().Match(uri);
        return match.Success ? match.Groups[1].Value : null;
    }

    private static string SqlitePath(string uri, string workspaceRoot)
    {
        var path = uri.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase) ? uri["sqlite:".Length..] : uri;
        if (path.StartsWith("//", StringComparison.Ordinal))
        {
            path = path[2..];
        }

        if (path.Length == 0)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"tracking store '{uri}' names no file; use sqlite:PATH, e.g. sqlite:{DefaultPath}");
        }

        return Path.IsPathRooted(path) ? path : Path.Combine(workspaceRoot, path);
    }

    private static async Task CheckEsteiraDatabaseAsync(string path, CancellationToken cancellationToken)
    {
        string? problem;
        try
        {
            var connectionString = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder
            {
                DataSource = path, Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadWrite, Pooling = false,
            }.ToString();
            await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA quick_check";
            var health = Convert.ToString(await check.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            check.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('schema_version', 'runs')";
            var tables = Convert.ToInt32(await check.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            problem = health != "ok" ? $"it is damaged ({health})" : tables != 2 ? "it holds no esteira runs tables" : null;
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            problem = e.Message.ReplaceLineEndings(" ").TrimEnd('.');
        }

        if (problem is not null)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{path} is not an esteira tracking database: {problem}; give a file written by 'esteira runs export --out FILE'");
        }
    }

    [GeneratedRegex(@"^([a-zA-Z][a-zA-Z0-9+.\-]+):")]
    private static partial Regex Scheme();
}
