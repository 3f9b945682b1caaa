using System.Data.Common;
using System.Globalization;
using System.Reflection;

namespace Esteira.Tracking;

/// <summary>One schema change: a numbered SQL script embedded in this assembly.</summary>
internal sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// Embedded, versioned schema migrations, one folder per dialect (<c>Sql/Migrations/&lt;dialect&gt;/NNNN_name.sql</c>).
/// They are applied on open, inside one transaction that first takes a lock (so two processes opening a new
/// database at once do not both migrate it), and each applied version is recorded in <c>schema_version</c>.
/// </summary>
internal static class Migrations
{
    private const string Prefix = "Migrations/";

    /// <summary>The migrations for <paramref name="dialect"/> in version order.</summary>
    public static IReadOnlyList<Migration> For(string dialect)
    {
        var assembly = typeof(Migrations).Assembly;
        var prefix = $"{Prefix}{dialect}/";
        var list = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var file = resource[prefix.Length..];
            var underscore = file.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(file[..underscore], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new InvalidOperationException($"migration resource '{resource}' is not named NNNN_name.sql");
            }

            list.Add(new Migration(version, Path.GetFileNameWithoutExtension(file[(underscore + 1)..]), Read(assembly, resource)));
        }

        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i].Version != i + 1)
            {
                throw new InvalidOperationException($"{dialect} migrations are not numbered 1..{list.Count} without gaps");
            }
        }

        return list;
    }

    /// <summary>Brings the database up to the newest version and returns that version.</summary>
    public static async Task<int> ApplyAsync(
        DbConnection connection, string dialect, Func<DbConnection, DbTransaction, CancellationToken, Task> lockAndPrepare,
        long nowMs, string location, CancellationToken cancellationToken)
    {
        var migrations = For(dialect);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await lockAndPrepare(connection, transaction, cancellationToken);
        await using (var create = Db.Command(connection, transaction,
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var applied = new HashSet<int>();
        await using (var select = Db.Command(connection, transaction, "SELECT version FROM schema_version"))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        var newest = applied.Count == 0 ? 0 : applied.Max();
        if (newest > migrations.Count)
        {
            throw new EsteiraException(ErrorCode.Conflict,
                $"tracking store {location} has schema version {newest} but this esteira knows only up to {migrations.Count}; upgrade esteira to use this store");
        }

        foreach (var migration in migrations.Where(m => !applied.Contains(m.Version)))
        {
            await using (var script = Db.Command(connection, transaction, migration.Sql))
            {
                await script.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var record = Db.Command(connection, transaction, "INSERT INTO schema_version (version, name, applied_at) VALUES (@v, @n, @t)")
                .With("@v", migration.Version).With("@n", migration.Name).With("@t", nowMs);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return migrations.Count;
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"missing embedded resource {resource}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
