using System.Diagnostics;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Esteira.Leaderboard;

/// <summary>
/// Authenticates the team credentials the Kaggle CLI sends: <c>Authorization: Basic base64(team:key)</c> (KAGGLE_USERNAME
/// and KAGGLE_KEY) or <c>Bearer &lt;key&gt;</c> (an access token). A challenge answers as the rest of the API does:
/// 401 with <c>WWW-Authenticate</c>, or 429 with <c>Retry-After</c> once a team or address failed too often, and the
/// <c>{"code":N,"message":"…"}</c> body.
/// </summary>
public sealed class TeamAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    TeamAuthenticator teams, TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme's name, which the Kaggle API endpoints require.</summary>
    public const string SchemeName = "KaggleTeam";

    /// <inheritdoc/>
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrWhiteSpace(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        TeamRecord? team;
        try
        {
            team = teams.Authenticate(header, Context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        }
        catch (EsteiraException throttled)
        {
            return Task.FromResult(AuthenticateResult.Fail(throttled));
        }

        if (team is null)
        {
            return Task.FromResult(AuthenticateResult.Fail(new EsteiraException(ErrorCode.Unauthorized, "unknown team or wrong key; check KAGGLE_USERNAME and KAGGLE_KEY")));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, team.Name)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    /// <inheritdoc/>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // The result is cached per request, so this neither checks the key again nor counts a second failure.
        var result = await HandleAuthenticateOnceSafeAsync();
        var error = result.Failure as EsteiraException
            ?? new EsteiraException(ErrorCode.Unauthorized, "missing credentials; send Authorization: Basic base64(team:key) or Bearer <key>");
        await ApiErrors.From(Context, error, time).ExecuteAsync(Context);
    }

    /// <summary>The team an authenticated request came from.</summary>
    internal static TeamRecord TeamOf(HttpContext context, TeamAuthenticator teams) =>
        teams.Find(context.User.Identity?.Name) ?? throw new UnreachableException("the endpoint requires the team scheme but the request has no team");
}
