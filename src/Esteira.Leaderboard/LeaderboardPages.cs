using System.Globalization;
using System.Net;
using System.Text;
using Esteira.Deploy.Kaggle;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Esteira.Leaderboard;

/// <summary>
/// The leaderboard for people: <c>/</c> (or <c>/leaderboard</c>) ranks the teams as <c>GetLeaderboard</c> does, by the
/// public score until the private reveal and by the private score after it (the private column is never rendered
/// before then); <c>/competition</c> shows the rules and links to the data files; <c>/login</c> then <c>/my-submissions</c>
/// shows a team its own submissions. Server-rendered, no script.
/// </summary>
public static class LeaderboardPages
{
    private const string HtmlType = "text/html; charset=utf-8";

    private const string Css = """
        body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: #1d232b; background: #f7f8fa; }
        header { display: flex; gap: 20px; align-items: center; padding: 10px 24px; background: #1d232b; }
        header a { color: #dbe6f5; text-decoration: none; } header .brand { color: #fff; font-weight: 700; }
        main { padding: 16px 24px 40px; max-width: 1000px; }
        h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 24px; }
        table { border-collapse: collapse; background: #fff; border: 1px solid #dde2e8; }
        th, td { padding: 5px 12px; border-bottom: 1px solid #dde2e8; text-align: left; }
        th { background: #eef1f5; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        .muted { color: #6b7480; } .note { background: #fbf1dc; padding: 6px 10px; border-radius: 4px; display: inline-block; }
        """;

    /// <summary>Maps the pages; they read the competition through the server's services.</summary>
    public static IEndpointRouteBuilder MapLeaderboardPages(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var view = new View(
            app.ServiceProvider.GetRequiredService<CompetitionDefinition>(),
            app.ServiceProvider.GetRequiredService<Standings>(),
            app.ServiceProvider.GetRequiredService<SubmissionService>(),
            app.ServiceProvider.GetRequiredService<DataLinks>(),
            app.ServiceProvider.GetRequiredService<PublicBaseUrl>());
        var teams = app.ServiceProvider.GetRequiredService<TeamAuthenticator>();
        var time = app.ServiceProvider.GetRequiredService<TimeProvider>();
        app.MapGet("/", (Func<HttpContext, Task<IResult>>)(context => LeaderboardAsync(view, time.GetUtcNow(), context.RequestAborted)));
        app.MapGet("/leaderboard", (Func<HttpContext, Task<IResult>>)(context => LeaderboardAsync(view, time.GetUtcNow(), context.RequestAborted)));
        app.MapGet("/competition", (HttpContext context) => Results.Content(Page(view, "Data and rules", Competition(view, view.BaseUrl.For(context))), HtmlType));
        app.MapGet("/favicon.ico", () => Results.NoContent());

        // A team's own submissions, after logging in with its key: the session is a signed cookie (team, expiry), its
        // signing key lives in this process only, so a restart logs everyone out.
        var sessions = new Sessions(teams);
        app.MapGet("/login", () => Results.Content(Page(view, "Log in", LoginForm(null)), HtmlType));
        app.MapPost("/login", (Func<HttpContext, Task<IResult>>)(async context =>
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var team = teams.Authenticate("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{form["team"]}:{form["key"]}")));
            if (team is null)
            {
                return Results.Content(Page(view, "Log in", LoginForm("unknown team or wrong key")), HtmlType);
            }

            context.Response.Cookies.Append(Sessions.Cookie, sessions.Issue(team.Name, time.GetUtcNow()), new CookieOptions
            {
                HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = context.Request.IsHttps, Path = "/",
            });
            return Results.Redirect("/my-submissions");
        }));
        app.MapGet("/logout", (HttpContext context) =>
        {
            context.Response.Cookies.Delete(Sessions.Cookie);
            return Results.Redirect("/leaderboard");
        });
        app.MapGet("/my-submissions", (Func<HttpContext, Task<IResult>>)(async context =>
        {
            var team = sessions.Team(context.Request.Cookies[Sessions.Cookie], time.GetUtcNow());
            if (team is null)
            {
                return Results.Redirect("/login");
            }

            var mine = new List<ApiSubmission>();
            string? token = null;
            do
            {
                var page = await view.Submissions.ListSubmissionsAsync(team, new RpcRequest { CompetitionName = view.Competition.Name, PageToken = token, PageSize = 200 }, context.RequestAborted);
                mine.AddRange(page.Submissions);
                token = page.NextPageToken;
            }
            while (!string.IsNullOrEmpty(token) && mine.Count < 100_000);

            return Results.Content(Page(view, "My submissions", MySubmissions(team.Name, mine)), HtmlType);
        }));
        return app;
    }

    /// <summary>What the pages read.</summary>
    private sealed record View(CompetitionDefinition Competition, Standings Standings, SubmissionService Submissions, DataLinks Links, PublicBaseUrl BaseUrl);

    private static string LoginForm(string? problem)
    {
        var html = new StringBuilder("<h1>Log in</h1>");
        if (problem is not null)
        {
            html.Append("<p class=\"note\" id=\"login-problem\">").Append(E(problem)).Append("</p>");
        }

        html.Append("<form method=\"post\" action=\"/login\"><p><label>team <input name=\"team\" autocomplete=\"username\" required></label></p>");
        html.Append("<p><label>key <input name=\"key\" type=\"password\" autocomplete=\"current-password\" required></label></p>");
        return html.Append("<p><button type=\"submit\">Log in</button></p></form>").ToString();
    }

    private static string MySubmissions(string team, List<ApiSubmission> submissions)
    {
        var html = new StringBuilder("<h1>Submissions of ").Append(E(team)).Append("</h1><p><a href=\"/logout\">log out</a></p>");
        if (submissions.Count == 0)
        {
            return html.Append("<p class=\"muted\">no submissions yet</p>").ToString();
        }

        html.Append("<table id=\"mine\"><thead><tr><th class=\"num\">ref</th><th>submitted</th><th>file</th><th>description</th><th>status</th><th class=\"num\">public</th><th class=\"num\">private</th><th>error</th></tr></thead><tbody>");
        foreach (var s in submissions)
        {
            html.Append(Inv($"<tr><td class=\"num\">{s.Ref}</td><td>{s.Date:yyyy-MM-dd HH:mm}</td><td>{E(s.FileName)}</td><td class=\"description\">{E(s.Description)}</td><td>{E(s.State.ToString().ToLowerInvariant())}</td>"));
            html.Append(Inv($"<td class=\"num\">{E(s.PublicScore ?? "—")}</td><td class=\"num private\">{E(s.PrivateScore ?? "—")}</td><td>{E(s.ErrorDescription)}</td></tr>"));
        }

        return html.Append("</tbody></table>").ToString();
    }

    /// <summary>Signed session cookies: <c>team.expiry.signature</c>, valid for 12 hours.</summary>
    private sealed class Sessions(TeamAuthenticator teams)
    {
        public const string Cookie = "esteira_lb_session";

        private readonly byte[] _key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

        public string Issue(string team, DateTimeOffset now)
        {
            var payload = Inv($"{Convert.ToBase64String(Encoding.UTF8.GetBytes(team))}.{now.AddHours(12).ToUnixTimeSeconds()}");
            return payload + "." + Sign(payload);
        }

        public TeamRecord? Team(string? cookie, DateTimeOffset now)
        {
            var parts = cookie?.Split('.') ?? [];
            if (parts.Length != 3 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var expires) || now.ToUnixTimeSeconds() > expires)
            {
                return null;
            }

            var expected = Encoding.ASCII.GetBytes(Sign($"{parts[0]}.{parts[1]}"));
            if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(parts[2])))
            {
                return null;
            }

            try
            {
                var name = Encoding.UTF8.GetString(Convert.FromBase64String(parts[0]));
                return teams.Find(name);
            }
            catch (FormatException)
            {
                return null;
            }
        }

        private string Sign(string payload) =>
            Convert.ToHexString(System.Security.Cryptography.HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(payload)));
    }

    private static async Task<IResult> LeaderboardAsync(View view, DateTimeOffset now, CancellationToken ct)
    {
        var competition = view.Competition;
        var revealed = competition.IsRevealed(now);
        var html = new StringBuilder();
        html.Append("<h1>").Append(E(competition.Title)).Append(" — leaderboard</h1>");
        html.Append("<p class=\"muted\">ranked by ").Append(E(competition.Metric.ToString().ToUpperInvariant())).Append(", lower is better");
        if (competition.Deadline is { } deadline)
        {
            html.Append(Inv($"; deadline {deadline:yyyy-MM-dd HH:mm} UTC{(competition.IsClosed(now) ? " (closed)" : "")}"));
        }

        html.Append("</p>");
        var publicRows = await AllAsync(view, overridePublic: true, ct);
        if (revealed)
        {
            var privateRows = await AllAsync(view, overridePublic: false, ct);
            html.Append("<h2>Private leaderboard</h2>");
            html.Append(Board("private", privateRows, "private score"));
            html.Append("<h2>Public leaderboard</h2>");
        }
        else
        {
            var when = competition.PrivateReveal is { } reveal ? Inv($" until {reveal:yyyy-MM-dd HH:mm} UTC") : " until the host reveals them";
            html.Append("<p class=\"note\" id=\"private-hidden\">Private scores are hidden").Append(E(when)).Append(".</p>");
        }

        html.Append(Board("public", publicRows, "public score"));
        return Results.Content(Page(view, "Leaderboard", html.ToString()), HtmlType);
    }

    private static async Task<List<ApiLeaderboardSubmission>> AllAsync(View view, bool overridePublic, CancellationToken ct)
    {
        var rows = new List<ApiLeaderboardSubmission>();
        string? token = null;
        do
        {
            var page = await view.Standings.GetLeaderboardAsync(new RpcRequest
            {
                CompetitionName = view.Competition.Name, OverridePublic = overridePublic, PageToken = token, PageSize = 200,
            }, ct);
            rows.AddRange(page.Submissions);
            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token) && rows.Count < 100_000);

        return rows;
    }

    private static string Board(string id, List<ApiLeaderboardSubmission> rows, string scoreLabel)
    {
        if (rows.Count == 0)
        {
            return Inv($"<p class=\"muted\" id=\"{id}-empty\">no scored submissions yet</p>");
        }

        var html = new StringBuilder(Inv($"<table id=\"{id}\"><thead><tr><th class=\"num\">#</th><th>team</th><th class=\"num\">{E(scoreLabel)}</th><th>submitted</th></tr></thead><tbody>"));
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            html.Append(Inv($"<tr><td class=\"num\">{i + 1}</td><td class=\"team\">{E(row.TeamName)}</td><td class=\"num score\">{E(row.Score)}</td><td>{row.SubmissionDate:yyyy-MM-dd HH:mm}</td></tr>"));
        }

        return html.Append("</tbody></table>").ToString();
    }

    private static string Competition(View view, Uri baseUrl)
    {
        var c = view.Competition;
        var request = new RpcRequest { CompetitionName = c.Name };
        var html = new StringBuilder();
        html.Append("<h1>").Append(E(c.Title)).Append("</h1>");
        if (c.Description.Length > 0)
        {
            html.Append("<p>").Append(E(c.Description)).Append("</p>");
        }

        html.Append("<h2>Rules</h2><table id=\"rules\"><tbody>");
        Row(html, "metric", c.Metric.ToString().ToUpperInvariant() + " (lower is better)");
        Row(html, "submissions a day", c.DailyLimit == 0 ? "no limit" : c.DailyLimit.ToString(CultureInfo.InvariantCulture));
        Row(html, "deadline", c.Deadline is { } d ? Inv($"{d:yyyy-MM-dd HH:mm} UTC") : "none");
        Row(html, "private scores revealed", c.PrivateReveal is { } r ? Inv($"{r:yyyy-MM-dd HH:mm} UTC") : "not scheduled");
        Row(html, "largest upload", Inv($"{c.MaxUploadBytes >> 20} MiB"));
        Row(html, "failed submissions count", c.CountFormatErrors ? "yes" : "no");
        html.Append("</tbody></table>");
        html.Append("<p class=\"muted\">Submit with the Kaggle API (kaggle competitions submit, or esteira deploy --target leaderboard) as your team and key.</p>");

        html.Append("<h2>Data files</h2>");
        var files = c.DataFiles();
        if (files.Count == 0)
        {
            return html.Append("<p class=\"muted\">no data files</p>").ToString();
        }

        html.Append("<table id=\"files\"><thead><tr><th>file</th><th class=\"num\">size</th></tr></thead><tbody>");
        foreach (var file in files)
        {
            var link = view.Links.DataFileLink(request with { FileName = file.Name }, baseUrl);
            html.Append("<tr><td><a href=\"").Append(E(link.PathAndQuery)).Append("\">").Append(E(file.Name)).Append("</a></td><td class=\"num\">")
                .Append(Inv($"{file.Length:N0} B")).Append("</td></tr>");
        }

        html.Append("</tbody></table>");
        var archive = view.Links.DataArchiveLink(request, baseUrl);
        html.Append("<p><a id=\"archive\" href=\"").Append(E(archive.PathAndQuery)).Append("\">all files as one zip</a></p>");
        return html.ToString();
    }

    private static void Row(StringBuilder html, string key, string value) =>
        html.Append("<tr><th>").Append(E(key)).Append("</th><td>").Append(E(value)).Append("</td></tr>");

    private static string Page(View view, string title, string body) =>
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">"
        + $"<title>{E(title)} · {E(view.Competition.Title)}</title><style>{Css}</style></head><body>"
        + "<header><a class=\"brand\" href=\"/\">" + E(view.Competition.Title) + "</a><a href=\"/leaderboard\">Leaderboard</a><a href=\"/competition\">Data and rules</a><a href=\"/my-submissions\">My submissions</a></header>"
        + "<main>" + body + "</main></body></html>";

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
