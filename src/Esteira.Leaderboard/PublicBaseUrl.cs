using Microsoft.AspNetCore.Http;

namespace Esteira.Leaderboard;

/// <summary>The URL links are built from: <c>--public-url</c> when a proxy sits in front, else the request's own.</summary>
public sealed class PublicBaseUrl(string? publicUrl)
{
    /// <summary>The base URL, ending in '/', for <paramref name="context"/>.</summary>
    public Uri For(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var text = publicUrl ?? $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
        return new Uri(text.EndsWith('/') ? text : text + "/");
    }
}
