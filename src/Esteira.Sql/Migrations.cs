using System.Diagnostics;
using System.Globalization;
using Dapper;

namespace Esteira.Sql;

/// <summary>One schema change: a numbered SQL script (<c>NNNN_name.sql</c>).</summary>
/// <param name="Version">The number, from 1 without gaps.</param>
/// <param name="Name">The file name after the number, recorded with the version.</param>
/// <param name="Sql">The script; it may hold several statements.</param>
public sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// The versioned schema of one store in one dialect: the scripts embedded in this assembly under
/// <c>Migrations/&lt;store&gt;/&lt;dialect&gt;/NNNN_name.sql</c>, and the table that records which ones a database has.
/// </summary>
/// <remarks>Each store has its own version table, so two stores can share one database (or PostgreSQL schema).</remarks>
public sealed class MigrationSet
{
    /// <summary>A store's migrations for one dialect.</summary>
    /// <param name="store">The store's name (<c>tracking</c>); it also names the migration lock.</param>
    /// <param name="description">What the store is called in messages.</param>
    /// <param name="versionTable">The table that records applied versions (a plain identifier).</param>
    /// <param name="dialect">The dialect the scripts are written for.</param>
    /// <param name="migrations">The scripts, numbered 1..N without gaps (in any order).</param>
    public MigrationSet(string store, string description, string versionTable, SqlDialect dialect, IEnumerable<Migration> migrations)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        ArgumentNullException.ThrowIfNull(migrations);
        if (!IsIdentifier(versionTable))
        {
            throw new ArgumentException($"version table '{versionTable}' is not a plain identifier", nameof(versionTable));
        }

        var sorted = migrations.OrderBy(m => m.Version).ToList();
        if (sorted.Count == 0 || sorted.Where((m, i) => m.Version != i + 1).Any())
        {
            throw new ArgumentException($"{store} migrations for {dialect} are not numbered 1..N without gaps", nameof(migrations));
        }

        Store = store;
        Description = description;
        VersionTable = versionTable;
        Dialect = dialect;
        Migrations = sorted;
    }

    /// <summary>The store's folder name (<c>tracking</c>, <c>leaderboard</c>).</summary>
    public string Store { get; }

    /// <summary>What the store is called in messages (<c>tracking store</c>).</summary>
    public string Description { get; }

    /// <summary>The table that records the applied versions.</summary>
    public string VersionTable { get; }

    /// <summary>The dialect these scripts are written for.</summary>
    public SqlDialect Dialect { get; }

    /// <summary>The scripts in version order, numbered 1..N.</summary>
    public IReadOnlyList<Migration> Migrations { get; }

    /// <summary>The newest version this code knows.</summary>
    public int Latest => Migrations.Count;

    /// <summary>The tracking store's schema: runs, model registry, submission ledger. Its version table is
    /// <c>schema_version</c>, as it always was, so existing databases are recognised as they are.</summary>
    public static MigrationSet Tracking(SqlDialect dialect) => new("tracking", "tracking store", "schema_version", dialect, Embedded("tracking", dialect));

    /// <summary>The leaderboard server's schema: teams, upload slots, submissions (tables <c>lb_*</c>). Version 1 is the
    /// schema the server created before it had migrations, written with IF NOT EXISTS so such a database adopts it as is.</summary>
    public static MigrationSet Leaderboard(SqlDialect dialect) => new("leaderboard", "leaderboard state", "lb_schema_version", dialect, Embedded("leaderboard", dialect));

    private static List<Migration> Embedded(string store, SqlDialect dialect)
    {
        var assembly = typeof(MigrationSet).Assembly;
        var prefix = $"Migrations/{store}/{FolderOf(dialect)}/";
        var list = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var file = resource[prefix.Length..];
            var underscore = file.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(file[..underscore], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new UnreachableException($"migration resource '{resource}' is not named NNNN_name.sql");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            list.Add(new Migration(version, Path.GetFileNameWithoutExtension(file[(underscore + 1)..]), reader.ReadToEnd()));
        }

        return list;
    }

    private static bool IsIdentifier(string s) =>
        !string.IsNullOrEmpty(s) && (char.IsAsciiLetter(s[0]) || s[0] == '_') && s.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_');

    private static string FolderOf(SqlDialect dialect) => dialect switch
    {
        SqlDialect.Sqlite => "sqlite",
        SqlDialect.Postgres => "postgresql",
        _ => throw new ArgumentOutOfRangeException(nameof(dialect), dialect, null),
    };
}

/// <summary>Brings a database up to the newest version of a <see cref="MigrationSet"/>.</summary>
/// <remarks>
/// Each migration runs in its own transaction together with the row that records it, so a failed script leaves the
/// database at the previous version, never half-way. Every transaction first takes a lock named after the store, so
/// two processes opening a new database at once take turns and the second finds the work done.
/// </remarks>
public static class Migrator
{
    /// <summary>Applies the pending migrations of <paramref name="set"/> and returns the version the database is at.</summary>
    /// <param name="database">Where the store lives.</param>
    /// <param name="set">The store's migrations for the database's dialect.</param>
    /// <param name="location">The store's location for messages (password masked).</param>
    /// <param name="time">Stamps <c>applied_at</c>.</param>
    /// <param name="cancellationToken">Cancels between statements.</param>
    /// <exception cref="EsteiraException"><see cref="ErrorCode.Conflict"/> when the database has a version newer than
    /// this code knows (written by a newer esteira).</exception>
    public static async Task<int> ApplyAsync(SqlDatabase database, MigrationSet set, string location, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(time);
        if (set.Dialect != database.Dialect)
        {
            throw new ArgumentException($"{set.Store} migrations for {set.Dialect} cannot run on a {database.Dialect} database", nameof(set));
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        while (true)
        {
            await using var transaction = await database.BeginWriteAsync(connection, cancellationToken);
            await database.LockAsync(connection, transaction, LockKey(set), cancellationToken);
            await database.PrepareAsync(connection, transaction, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                $"CREATE TABLE IF NOT EXISTS {set.VersionTable} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                transaction: transaction, cancellationToken: cancellationToken));
            var applied = (await connection.QueryAsync<long>(new CommandDefinition(
                $"SELECT version FROM {set.VersionTable}", transaction: transaction, cancellationToken: cancellationToken))).ToHashSet();
            var newest = applied.Count == 0 ? 0 : applied.Max();
            if (newest > set.Latest)
            {
                throw new EsteiraException(ErrorCode.Conflict,
                    $"{set.Description} {location} has schema version {newest} but this esteira knows only up to {set.Latest}; upgrade esteira to use this store");
            }

            var next = set.Migrations.FirstOrDefault(m => !applied.Contains(m.Version));
            if (next is null)
            {
                await transaction.CommitAsync(cancellationToken);
                return set.Latest;
            }

            await connection.ExecuteAsync(new CommandDefinition(next.Sql, transaction: transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {set.VersionTable} (version, name, applied_at) VALUES (@Version, @Name, @AppliedAt)",
                new { next.Version, next.Name, AppliedAt = time.GetUtcNow().ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
        }
    }

    // The tracking store's key is the one it used before this runner existed, so an older esteira migrating the same
    // database at the same moment still takes turns with this one.
    private static string LockKey(MigrationSet set) => set.Store == "tracking" ? "esteira:migrations" : $"esteira:{set.Store}:migrations";
}
