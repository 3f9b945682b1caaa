using System.Globalization;
using System.Net;
using System.Text;
using Esteira.Deploy.Kaggle;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Esteira.Deploy.Leaderboard;

/// <summary>
/// The leaderboard for people: <c>/</c> (or <c>/leaderboard</c>) ranks the teams as <c>GetLeaderboard</c> does, by the
/// public score until the private reveal and by the private score after it (the private column is never rendered
/// before then); <c>/competition</c> shows the rules and links to the data files. Server-rendered, no script.
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

    public static void Map(IEndpointRouteBuilder app, LeaderboardService service, TimeProvider time, string? publicUrl = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(time);
        app.MapGet("/", (Func<HttpContext, Task<IResult>>)(context => LeaderboardAsync(service, time.GetUtcNow(), context.RequestAborted)));
        app.MapGet("/leaderboard", (Func<HttpContext, Task<IResult>>)(context => LeaderboardAsync(service, time.GetUtcNow(), context.RequestAborted)));
        app.MapGet("/competition", (HttpContext context) => Results.Content(Page(service, "Data and rules", Competition(service, BaseUrl(context, publicUrl))), HtmlType));
        app.MapGet("/favicon.ico", () => Results.NoContent());
    }

    private static async Task<IResult> LeaderboardAsync(LeaderboardService service, DateTimeOffset now, CancellationToken ct)
    {
        var competition = service.Competition;
        var revealed = competition.IsRevealed(now);
        var html = new StringBuilder();
        html.Append("<h1>").Append(E(competition.Title)).Append(" — leaderboard</h1>");
        html.Append("<p class=\"muted\">ranked by ").Append(E(competition.Metric.ToString().ToUpperInvariant())).Append(", lower is better");
        if (competition.Deadline is { } deadline)
        {
            html.Append(Inv($"; deadline {deadline:yyyy-MM-dd HH:mm} UTC{(competition.IsClosed(now) ? " (closed)" : "")}"));
        }

        html.Append("</p>");
        var publicRows = await AllAsync(service, overridePublic: true, ct);
        if (revealed)
        {
            var privateRows = await AllAsync(service, overridePublic: false, ct);
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
        return Results.Content(Page(service, "Leaderboard", html.ToString()), HtmlType);
    }

    private static async Task<List<ApiLeaderboardSubmission>> AllAsync(LeaderboardService service, bool overridePublic, CancellationToken ct)
    {
        var rows = new List<ApiLeaderboardSubmission>();
        string? token = null;
        do
        {
            var page = await service.GetLeaderboardAsync(new RpcRequest
            {
                CompetitionName = service.Competition.Name, OverridePublic = overridePublic, PageToken = token, PageSize = 200,
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

    private static string Competition(LeaderboardService service, Uri baseUrl)
    {
        var c = service.Competition;
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
            var link = service.DataFileLink(request with { FileName = file.Name }, baseUrl);
            html.Append("<tr><td><a href=\"").Append(E(link.PathAndQuery)).Append("\">").Append(E(file.Name)).Append("</a></td><td class=\"num\">")
                .Append(Inv($"{file.Length:N0} B")).Append("</td></tr>");
        }

        html.Append("</tbody></table>");
        var archive = service.DataArchiveLink(request, baseUrl);
        html.Append("<p><a id=\"archive\" href=\"").Append(E(archive.PathAndQuery)).Append("\">all files as one zip</a></p>");
        return html.ToString();
    }

    private static void Row(StringBuilder html, string key, string value) =>
        html.Append("<tr><th>").Append(E(key)).Append("</th><td>").Append(E(value)).Append("</td></tr>");

    private static string Page(LeaderboardService service, string title, string body) =>
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">"
        + $"<title>{E(title)} · {E(service.Competition.Title)}</title><style>{Css}</style></head><body>"
        + "<header><a class=\"brand\" href=\"/\">" + E(service.Competition.Title) + "</a><a href=\"/leaderboard\">Leaderboard</a><a href=\"/competition\">Data and rules</a></header>"
        + "<main>" + body + "</main></body></html>";

    private static Uri BaseUrl(HttpContext context, string? publicUrl)
    {
        var text = publicUrl ?? $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
        return new Uri(text.EndsWith('/') ? text : text + "/");
    }

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
