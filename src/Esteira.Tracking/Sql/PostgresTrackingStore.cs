using System.Globalization;
using Esteira.Sql;
using Npgsql;

namespace Esteira.Tracking;

/// <summary>The team tracking store on PostgreSQL, opened from a <c>postgresql://user:pass@host:port/db</c> URI
/// (options: <c>?schema=NAME</c>, <c>sslmode=…</c> and any Npgsql keyword) or an Npgsql connection string.</summary>
/// <remarks>With a schema (URI <c>schema=</c> or connection-string <c>Search Path</c>), the store creates it if
/// missing and keeps all its tables there, so several stores can share one database.</remarks>
public sealed class PostgresTrackingStore : SqlTrackingStore
{
    private PostgresTrackingStore(NpgsqlConnectionStringBuilder builder, TimeProvider? time)
        : base(new PostgresDatabase(builder), Describe(builder), time)
    {
    }

    /// <summary>Connects, creates the schema if one is named, and migrates it.</summary>
    public static async Task<PostgresTrackingStore> OpenAsync(string uriOrConnectionString, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var builder = PostgresConnection.Parse(uriOrConnectionString);
        var store = new PostgresTrackingStore(builder, time);
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

    private static string Describe(NpgsqlConnectionStringBuilder b)
    {
        var user = string.IsNullOrEmpty(b.Username) ? "" : b.Username + (string.IsNullOrEmpty(b.Password) ? "" : ":" + Secrets.Mask) + "@";
        var schema = string.IsNullOrEmpty(b.SearchPath) ? "" : "?schema=" + b.SearchPath;
        return string.Create(CultureInfo.InvariantCulture, $"postgresql://{user}{b.Host}:{b.Port}/{b.Database}{schema}");
    }
}

/// <summary>Turns a <c>postgresql://</c> URI or an Npgsql connection string into connection settings, with messages
/// that never show the password.</summary>
public static class PostgresConnection
{
    private static readonly Dictionary<string, string> UriOptions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["schema"] = "Search Path",
        ["search_path"] = "Search Path",
        ["sslmode"] = "SSL Mode",
        ["application_name"] = "Application Name",
        ["connect_timeout"] = "Timeout",
    };

    /// <summary>True when <paramref name="text"/> looks like an Npgsql connection string (<c>Host=…;…</c>).</summary>
    public static bool IsConnectionString(string text) =>
        text.Contains('=', StringComparison.Ordinal) && !text.Contains("://", StringComparison.Ordinal)
        && text.Split(';').Any(part => part.Split('=')[0].Trim() is var key
            && (key.Equals("Host", StringComparison.OrdinalIgnoreCase) || key.Equals("Server", StringComparison.OrdinalIgnoreCase)));

    /// <summary>Parses a URI (<c>postgresql://</c> or <c>postgres://</c>) or an Npgsql connection string.</summary>
    public static NpgsqlConnectionStringBuilder Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var shown = Secrets.MaskPasswords(text);
        NpgsqlConnectionStringBuilder builder;
        if (text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
        {
            builder = FromUri(text, shown);
        }
        else
        {
            try
            {
                builder = new NpgsqlConnectionStringBuilder(text);
            }
            catch (ArgumentException e)
            {
                throw new EsteiraException(ErrorCode.BadInput,
                    $"tracking store '{shown}' is not a valid PostgreSQL connection string ({Secrets.MaskPasswords(e.Message)}); use postgresql://user:pass@host:port/db or Host=…;Username=…;Database=…");
            }
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"tracking store '{shown}' names no host; use postgresql://user:pass@host:port/db");
        }

        foreach (var schema in (builder.SearchPath ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (schema != "$user" && !IsIdentifier(schema))
            {
                throw new EsteiraException(ErrorCode.BadInput,
                    $"schema '{schema}' in tracking store '{shown}' is not a plain identifier; use letters, digits and '_' (starting with a letter or '_')");
            }
        }

        return builder;
    }

    private static NpgsqlConnectionStringBuilder FromUri(string text, string shown)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"tracking store '{shown}' is not a valid URI; use postgresql://user:pass@host:port/db");
        }

        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host.Trim('[', ']'), Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port };
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            try
            {
                builder[UriOptions.GetValueOrDefault(key, key)] = value;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
            {
                throw new EsteiraException(ErrorCode.BadInput,
                    $"option '{key}' in tracking store '{shown}' is not understood; use schema=, sslmode=, application_name=, connect_timeout= or an Npgsql keyword");
            }
        }

        return builder;
    }

    private static bool IsIdentifier(string s) =>
        s.Length is > 0 and <= 63 && (char.IsAsciiLetter(s[0]) || s[0] == '_') && s.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_');
}
