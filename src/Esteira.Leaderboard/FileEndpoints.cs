using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Esteira.Leaderboard;

/// <summary>
/// The URLs the API hands out instead of serving bytes itself, as Kaggle's storage URLs: the upload URL
/// (<c>PUT /upload/{token}</c>), signed data-file links (<c>GET /files/{competition}/{name}</c>) and the signed link to the
/// zip of all data files (<c>GET /data/{competition}.zip</c>, what DownloadDataFiles redirects to).
/// </summary>
public static class FileEndpoints
{
    /// <summary>Maps the upload URL and the two signed download links.</summary>
    public static IEndpointRouteBuilder MapUploadsAndDownloads(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPut("/upload/{token}", ReceiveAsync).AddEndpointFilter<ApiErrorFilter>();

        app.MapGet("/data/{name}", async (HttpContext context, string name, DataLinks links) =>
        {
            var file = await links.ResolveDataArchiveLinkAsync(name, context.Request.Query["expires"], context.Request.Query["sig"], context.RequestAborted);
            return file is null
                ? ApiErrors.Error(404, "this download link is invalid or expired; ask DownloadDataFiles for a new one")
                : Results.File(file.FullName, "application/zip", links.DataArchiveName, new DateTimeOffset(file.LastWriteTimeUtc), enableRangeProcessing: true);
        });

        app.MapGet("/files/{competition}/{name}", (HttpContext context, string competition, string name, DataLinks links) =>
        {
            var file = links.ResolveDataFileLink(competition, name, context.Request.Query["expires"], context.Request.Query["sig"]);
            return file is null
                ? ApiErrors.Error(404, "this download link is invalid or expired; ask DownloadDataFile for a new one")
                : Results.File(file.FullName, "application/octet-stream", file.Name, new DateTimeOffset(file.LastWriteTimeUtc), enableRangeProcessing: true);
        });
        return app;
    }

    private static async Task<IResult> ReceiveAsync(HttpContext context, string token, CompetitionDefinition competition, SubmissionService submissions)
    {
        if (context.Request.Headers.ContentRange.ToString().StartsWith("bytes */", StringComparison.Ordinal) && context.Request.ContentLength is null or 0)
        {
            // A resumable-upload status probe: nothing received yet means "incomplete" (308), as storage services answer.
            return Results.StatusCode(308);
        }

        // A declared oversize is refused before the limit is lowered, so Kestrel can still drain a modest body and the
        // client reads a clean 413 instead of a reset connection.
        if (context.Request.ContentLength > competition.MaxUploadBytes)
        {
            throw BlobStore.TooLarge(competition.MaxUploadBytes);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = competition.MaxUploadBytes;
        }

        await submissions.ReceiveUploadAsync(token, context.Request.Body, context.RequestAborted);
        return Results.Ok();
    }
}
