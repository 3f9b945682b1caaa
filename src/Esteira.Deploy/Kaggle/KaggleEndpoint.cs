namespace Esteira.Deploy.Kaggle;

/// <summary>Where RPC calls go: a base URL that ends in <c>/v1</c>, to which <c>/&lt;service&gt;/&lt;Method&gt;</c> is appended.</summary>
public static class KaggleEndpoint
{
    /// <summary>Kaggle itself. (kagglesdk ≥ 0.1.15 uses <c>https://api.kaggle.com/v1</c>; pass that as <c>--server</c> to follow it.)</summary>
    public static readonly Uri Production = new("https://www.kaggle.com/api/v1");

    /// <summary>
    /// The RPC base: an explicit server wins (our leaderboard server, e.g. <c>http://127.0.0.1:8080</c>, gets <c>/api/v1</c>
    /// appended unless its path already ends in <c>/v1</c>); else <c>KAGGLE_API_ENVIRONMENT</c> as kagglesdk reads it
    /// (<c>LOCALHOST</c> → <c>http://localhost/api/v1</c>, <c>TEST</c> → <c>http://localhost:7777/api/v1</c>); else Kaggle.
    /// </summary>
    public static Uri Resolve(string? server, IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!string.IsNullOrWhiteSpace(server))
        {
            return FromServer(server);
        }

        environment.TryGetValue("KAGGLE_API_ENVIRONMENT", out var name);
        return name?.Trim().ToUpperInvariant() switch
        {
            "LOCALHOST" => new Uri("http://localhost/api/v1"),
            "TEST" => new Uri("http://localhost:7777/api/v1"),
            "STAGING" => new Uri("https://staging.kaggle.com/api/v1"),
            "ADMIN" => new Uri("https://admin.kaggle.com/api/v1"),
            "QA" => new Uri("https://qa.kaggle.com/api/v1"),
            _ => Production,
        };
    }

    /// <summary>The RPC base of a server URL given by the user.</summary>
    public static Uri FromServer(string server)
    {
        if (!Uri.TryCreate(server.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new EsteiraException(ErrorCode.Usage, $"--server '{server}' is not an http(s) URL; expected e.g. http://127.0.0.1:8080");
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new EsteiraException(ErrorCode.Usage, "--server must not carry credentials; use KAGGLE_USERNAME/KAGGLE_KEY or KAGGLE_API_TOKEN");
        }

        var path = uri.AbsolutePath.TrimEnd('/');
        var builder = new UriBuilder(uri) { Path = path.EndsWith("/v1", StringComparison.Ordinal) ? path : path + "/api/v1", Query = "" };
        return builder.Uri;
    }
}
