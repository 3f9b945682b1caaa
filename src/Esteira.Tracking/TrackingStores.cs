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

    /// <summary>Synchronous <see cref="OpenAsync"/>, for callers without an async context.</summary>
    public static ITrackingStore Open(string? uri, string workspaceRoot, TimeProvider? time = null) =>
        OpenAsync(uri, workspaceRoot, time).GetAwaiter().GetResult();

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

    [GeneratedRegex(@"^([a-zA-Z][a-zA-Z0-9+.\-]+):")]
    private static partial Regex Scheme();
}
