using System.Text.Json;
using Esteira.Deploy.Kaggle;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Esteira.Leaderboard;

/// <summary>
/// The Kaggle RPC surface at <c>/api/v1/competitions.CompetitionApiService/&lt;Method&gt;</c> (and <c>/v1/…</c>, as
/// kagglesdk's production paths), for teams authenticated by <see cref="TeamAuthenticationHandler"/>, and token
/// introspection. Errors answer as <see cref="ApiErrors"/> says.
/// </summary>
public static class KaggleApiEndpoints
{
    private const long MaxRpcBodyBytes = 1 << 20;

    private const string Served = "ListCompetitions, GetCompetition, ListDataFiles, DownloadDataFile, DownloadDataFiles, StartSubmissionUpload, CreateSubmission, "
        + "ListSubmissions, GetSubmission, GetSubmissionLimits, GetLeaderboard and DownloadLeaderboard";

    /// <summary>Maps the RPC methods and token introspection under both prefixes.</summary>
    public static IEndpointRouteBuilder MapKaggleApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var prefix in new[] { "/api/v1", "/v1" })
        {
            var api = app.MapGroup(prefix).AddEndpointFilter<ApiErrorFilter>();
            api.MapPost("/competitions.CompetitionApiService/{method}", DispatchAsync)
                .RequireAuthorization(policy => policy.AddAuthenticationSchemes(TeamAuthenticationHandler.SchemeName).RequireAuthenticatedUser());
            api.MapPost("/security.OAuthService/IntrospectToken", IntrospectAsync);
        }

        return app;
    }

    private static async Task<IResult> DispatchAsync(HttpContext context, string method, TeamAuthenticator teams, CompetitionCatalog catalog, DataLinks links,
        SubmissionService submissions, Standings standings, PublicBaseUrl publicUrl)
    {
        var team = TeamAuthenticationHandler.TeamOf(context, teams);
        var request = await ReadRequestAsync(context);
        var baseUrl = publicUrl.For(context);
        var ct = context.RequestAborted;
        return method switch
        {
            "ListCompetitions" => ApiErrors.Json(catalog.List(request, baseUrl)),
            "GetCompetition" => ApiErrors.Json(catalog.Get(request, baseUrl)),
            "ListDataFiles" => ApiErrors.Json(catalog.ListDataFiles(request)),
            "DownloadDataFile" => Results.Redirect(links.DataFileLink(request, baseUrl).AbsoluteUri),
            "DownloadDataFiles" => Results.Redirect(links.DataArchiveLink(request, baseUrl).AbsoluteUri),
            "StartSubmissionUpload" => ApiErrors.Json(await submissions.StartUploadAsync(team, request, baseUrl, ct)),
            "CreateSubmission" => ApiErrors.Json(await submissions.CreateSubmissionAsync(team, request, ct)),
            "ListSubmissions" => ApiErrors.Json(await submissions.ListSubmissionsAsync(team, request, ct)),
            "GetSubmission" => ApiErrors.Json(await submissions.GetSubmissionAsync(team, request, ct)),
            "GetSubmissionLimits" => ApiErrors.Json(await submissions.GetLimitsAsync(team, request, ct)),
            "GetLeaderboard" => ApiErrors.Json(await standings.GetLeaderboardAsync(request, ct)),
            "DownloadLeaderboard" => Results.File(await standings.LeaderboardZipAsync(request, ct), "application/zip", standings.ZipName),
            _ => ApiErrors.Error(404, $"method '{method}' is not served here; this server implements {Served}"),
        };
    }

    private static async Task<IResult> IntrospectAsync(HttpContext context, TeamAuthenticator teams)
    {
        var request = await ReadRequestAsync(context);
        var team = request.Token is { Length: > 0 } token ? teams.Authenticate("Bearer " + token, context.Connection.RemoteIpAddress?.ToString() ?? "unknown") : null;
        return ApiErrors.Json(team is null
            ? new IntrospectTokenResponse { Active = false }
            : new IntrospectTokenResponse { Active = true, Username = team.Name, UserId = team.Id, ClientId = "esteira", Scope = "resources.admin:*" });
    }

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
}
