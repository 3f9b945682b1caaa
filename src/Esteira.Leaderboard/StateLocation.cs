using Npgsql;

namespace Esteira.Leaderboard;

/// <summary>
/// Chooses the state store by URI scheme: <c>sqlite:PATH</c> (the default, a file under the competition folder) or
/// <c>postgresql://user:password@host:port/db?sslmode=…</c> (also <c>postgres://</c>, or <c>postgresql:</c> followed by an
/// Npgsql connection string).
/// </summary>
public static class StateLocation
{
    /// <summary>The URI prefixes <see cref="Open"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Schemes = ["sqlite:", "postgresql:", "postgres:"];

    /// <summary>Opens (without initialising) the store named by <paramref name="state"/>.</summary>
    public static ILeaderboardStore Open(string state, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        ArgumentException.ThrowIfNullOrWhiteSpace(state);
        if (state.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            var path = state["sqlite:".Length..];
            if (path.StartsWith("//", StringComparison.Ordinal))
            {
                path = path[2..];
            }

            return string.IsNullOrWhiteSpace(path)
                ? throw new EsteiraException(ErrorCode.Usage, "--state sqlite: needs a file path, e.g. sqlite:/var/lib/esteira/leaderboard.db")
                : new SqliteLeaderboardStore(path) { Time = time };
        }

        if (state.StartsWith("postgresql:", StringComparison.OrdinalIgnoreCase) || state.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase))
        {
            return new PostgresLeaderboardStore(ToNpgsql(state)) { Time = time };
        }

        throw new EsteiraException(ErrorCode.Usage,
            $"--state '{Mask(state)}' has an unknown scheme; expected one of {string.Join(", ", Schemes)} (e.g. sqlite:leaderboard.db or postgresql://user@host/db)");
    }

    /// <summary>An Npgsql connection string for a <c>postgresql://</c> URI or a <c>postgresql:Host=…</c> string.</summary>
    public static string ToNpgsql(string state)
    {
        var colon = state.IndexOf(':', StringComparison.Ordinal);
        var rest = state[(colon + 1)..];
        if (!rest.StartsWith("//", StringComparison.Ordinal))
        {
            return new NpgsqlConnectionStringBuilder(rest).ConnectionString;
        }

        if (!Uri.TryCreate("postgresql:" + rest, UriKind.Absolute, out var uri))
        {
            throw new EsteiraException(ErrorCode.Usage, $"--state '{Mask(state)}' is not a valid postgresql:// URI; expected postgresql://user:password@host:port/database");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/')) is { Length: > 0 } db ? db : "postgres",
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            try
            {
                builder[key switch { "sslmode" => "SSL Mode", "application_name" => "Application Name", _ => key }] = value;
            }
            catch (ArgumentException)
            {
                throw new EsteiraException(ErrorCode.Usage, $"--state: unknown PostgreSQL option '{key}'; see the Npgsql connection string keywords");
            }
        }

        return builder.ConnectionString;
    }

    /// <summary>The state string with any password replaced by <c>****</c>, for messages.</summary>
    public static string Mask(string state)
    {
        if (Uri.TryCreate(state, UriKind.Absolute, out var uri) && uri.UserInfo.Contains(':', StringComparison.Ordinal))
        {
            return state.Replace(uri.UserInfo, uri.UserInfo.Split(':')[0] + ":****", StringComparison.Ordinal);
        }

        return System.Text.RegularExpressions.Regex.Replace(state, "(?i)(password|pwd)=[^;]*", "$1=****");
    }
}
