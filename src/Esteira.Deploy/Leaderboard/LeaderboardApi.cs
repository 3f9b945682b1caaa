using System.Globalization;
using System.Text.Json;
using Esteira.Deploy.Kaggle;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Esteira.Deploy.Leaderboard;

/// <summary>
/// The HTTP face of <see cref="LeaderboardService"/>: the Kaggle RPC surface at <c>/api/v1/competitions.CompetitionApiService/&lt;Method&gt;</c>
/// (and <c>/v1/…</c>, as kagglesdk's production paths), token introspection, the upload URL (<c>PUT /upload/{token}</c>)
/// signed data-file links (<c>GET /files/{competition}/{name}</c>) and the signed link to the zip of all data files
/// (<c>GET /data/{competition}.zip</c>, what DownloadDataFiles redirects to). Errors answer with the real status and
/// <c>{"code":N,"message":"…"}</c>, which both kagglesdk and older clients show.
/// </summary>
public static class LeaderboardApi
{
    /// <summary>Key in <see cref="Exception.Data"/> that overrides the HTTP status of an <see cref="EsteiraException"/>.</summary>
    public const string HttpStatusKey = "esteira.http";

    /// <summary>Key in <see cref="Exception.Data"/> giving the seconds of a 429's Retry-After (default: until 00:00 UTC, the daily limit's reset).</summary>
    public const string RetryAfterKey = "esteira.retryAfter";

    private const long MaxRpcBodyBytes = 1 << 20;

    public static void Map(IEndpointRouteBuilder app, LeaderboardService service, string? publicUrl = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var prefix in new[] { "/api/v1", "/v1" })
        {
            app.MapPost(prefix + "/competitions.CompetitionApiService/{method}", (HttpContext context, string method) =>
                HandleAsync(context, service.Time, () => DispatchAsync(context, service, method, publicUrl)));
            app.MapPost(prefix + "/security.OAuthService/IntrospectToken", (Func<HttpContext, Task<IResult>>)(context =>
                HandleAsync(context, service.Time, () => IntrospectAsync(context, service))));
        }

        app.MapPut("/upload/{token}", (HttpContext context, string token) => HandleAsync(context, service.Time, async () =>
        {
            if (context.Request.Headers.ContentRange.ToString().StartsWith("bytes */", StringComparison.Ordinal) && context.Request.ContentLength is null or 0)
            {
                // A resumable-upload status probe: nothing received yet means "incomplete" (308), as storage services answer.
                return Results.StatusCode(308);
            }

            // A declared oversize is refused before the limit is lowered, so Kestrel can still drain a modest body and the
            // client reads a clean 413 instead of a reset connection.
            if (context.Request.ContentLength > service.Competition.MaxUploadBytes)
            {
                throw BlobStore.TooLarge(service.Competition.MaxUploadBytes);
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = service.Competition.MaxUploadBytes;
            }

            await service.ReceiveUploadAsync(token, context.Request.Body, context.RequestAborted);
            return Results.Ok();
        }));

        app.MapGet("/data/{name}", async (HttpContext context, string name) =>
        {
            var file = await service.ResolveDataArchiveLinkAsync(name, context.Request.Query["expires"], context.Request.Query["sig"], context.RequestAborted);
            return file is null
                ? Error(404, "this download link is invalid or expired; ask DownloadDataFiles for a new one")
                : Results.File(file.FullName, "application/zip", service.DataArchiveName, new DateTimeOffset(file.LastWriteTimeUtc), enableRangeProcessing: true);
        });

        app.MapGet("/files/{competition}/{name}", (HttpContext context, string competition, string name) =>
        {
            var file = service.ResolveDataFileLink(competition, name, context.Request.Query["expires"], context.Request.Query["sig"]);
            return file is null
                ? Error(404, "this download link is invalid or expired; ask DownloadDataFile for a new one")
                : Results.File(file.FullName, "application/octet-stream", file.Name, new DateTimeOffset(file.LastWriteTimeUtc), enableRangeProcessing: true);
        });
    }

    private static async Task<IResult> DispatchAsync(HttpContext context, LeaderboardService service, string method, string? publicUrl)
    {
        var team = Authenticate(context, service);
        var request = await ReadRequestAsync(context);
        var baseUrl = BaseUrl(context, publicUrl);
        var ct = context.RequestAborted;
        return method switch
        {
            "ListCompetitions" => Json(service.ListCompetitions(request, baseUrl)),
            "GetCompetition" => Json(service.GetCompetition(request, baseUrl)),
            "ListDataFiles" => Json(service.ListDataFiles(request)),
            "DownloadDataFile" => Results.Redirect(service.DataFileLink(request, baseUrl).AbsoluteUri),
            "DownloadDataFiles" => Results.Redirect(service.DataArchiveLink(request, baseUrl).AbsoluteUri),
            "StartSubmissionUpload" => Json(await service.StartUploadAsync(team, request, baseUrl, ct)),
            "CreateSubmission" => Json(await service.CreateSubmissionAsync(team, request, ct)),
            "ListSubmissions" => Json(await service.ListSubmissionsAsync(team, request, ct)),
            "GetSubmission" => Json(await service.GetSubmissionAsync(team, request, ct)),
            "GetSubmissionLimits" => Json(await service.GetLimitsAsync(team, request, ct)),
            "GetLeaderboard" => Json(await service.GetLeaderboardAsync(request, ct)),
            "DownloadLeaderboard" => Results.File(await service.LeaderboardZipAsync(request, ct), "application/zip", $"{service.Competition.Name}.zip"),
            _ => Error(404, $"method '{method}' is not served here; this server implements ListCompetitions, GetCompetition, ListDataFiles, DownloadDataFile, DownloadDataFiles, StartSubmissionUpload, CreateSubmission, ListSubmissions, GetSubmission, GetSubmissionLimits, GetLeaderboard and DownloadLeaderboard"),
        };
    }

    private static async Task<IResult> IntrospectAsync(HttpContext context, LeaderboardService service)
    {
        var request = await ReadRequestAsync(context);
        var team = request.Token is { Length: > 0 } token ? service.Authenticate("Bearer " + token, Address(context)) : null;
        return Json(team is null
            ? new IntrospectTokenResponse { Active = false }
            : new IntrospectTokenResponse { Active = true, Username = team.Name, UserId = team.Id, ClientId = "esteira", Scope = "resources.admin:*" });
    }

    private static TeamRecord Authenticate(HttpContext context, LeaderboardService service)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (string.IsNullOrWhiteSpace(header))
        {
            throw new EsteiraException(ErrorCode.Unauthorized, "missing credentials; send Authorization: Basic base64(team:key) or Bearer <key>");
        }

        return service.Authenticate(header, Address(context)) ?? throw new EsteiraException(ErrorCode.Unauthorized, "unknown team or wrong key; check KAGGLE_USERNAME and KAGGLE_KEY");
    }

    private static string Address(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static async Task<RpcRequest> ReadRequestAsync(HttpContext context)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxRpcBodyBytes;
        }

        if (context.Request.ContentLength == 0)
        {
            return new RpcRequest();
        }

        try
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            return buffer.Length == 0 ? new RpcRequest() : JsonSerializer.Deserialize<RpcRequest>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), KaggleJson.Options) ?? new RpcRequest();
        }
        catch (JsonException e)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"the request body is not the expected JSON object ({e.Message.Split(" Path:")[0]})");
        }
    }

    private static async Task<IResult> HandleAsync(HttpContext context, TimeProvider time, Func<Task<IResult>> action)
    {
        IResult result;
        try
        {
            result = await action();
        }
        catch (EsteiraException e)
        {
            var status = e.Data[HttpStatusKey] is int overridden ? overridden : ErrorCodes.HttpStatus(e.Code);
            if (status == 401)
            {
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"esteira-leaderboard\", Bearer";
            }

            if (status == 429 && e.Data[RetryAfterKey] is int seconds)
            {
                context.Response.Headers.RetryAfter = Math.Max(1, seconds).ToString(CultureInfo.InvariantCulture);
            }
            else if (status == 429 && e.Code == ErrorCode.LimitExceeded)
            {
                var now = time.GetUtcNow().UtcDateTime;
                var untilReset = now.Date.AddDays(1) - now;
                context.Response.Headers.RetryAfter = Math.Ceiling(untilReset.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            }

            result = Error(status, e.Message);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            result = Error(413, "the request body is larger than this server accepts; gzip the file or ask the host to raise max_upload_mb");
        }
        catch (BadHttpRequestException e)
        {
            result = Error(e.StatusCode, $"bad request ({e.Message})");
        }

        return result;
    }

    private static IResult Json<T>(T value) => Results.Json(value, KaggleJson.Options);

    private static IResult Error(int status, string message) =>
        Results.Json(new ErrorBody(status, message), KaggleJson.Options, statusCode: status);

    private static Uri BaseUrl(HttpContext context, string? publicUrl)
    {
        var text = publicUrl ?? $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
        return new Uri(text.EndsWith('/') ? text : text + "/");
    }

    private sealed record ErrorBody(int Code, string Message);
}
