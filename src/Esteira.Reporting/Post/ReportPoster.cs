using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Esteira.Reporting.Post;

/// <summary>Where a report can be posted.</summary>
public enum Platform
{
    /// <summary>A GitLab merge request note.</summary>
    GitLab,
    /// <summary>A GitHub pull request comment.</summary>
    GitHub,
}

/// <summary>A resolved place to post the report: the API URL, and the header carrying the token.</summary>
/// <remarks>Not a record, so that no generated ToString ever prints the token.</remarks>
public sealed class PostTarget
{
    internal PostTarget(Platform platform, Uri url, string authHeader, string authValue, string tokenVariable, string where, string? webUrl)
    {
        Platform = platform;
        Url = url;
        AuthHeader = authHeader;
        AuthValue = authValue;
        TokenVariable = tokenVariable;
        Where = where;
        WebUrl = webUrl;
    }

    /// <summary>The platform the report is posted to.</summary>
    public Platform Platform { get; }

    /// <summary>The endpoint the note or comment is POSTed to.</summary>
    public Uri Url { get; }

    /// <summary>The header name: <c>JOB-TOKEN</c>, <c>PRIVATE-TOKEN</c> or <c>Authorization</c>.</summary>
    public string AuthHeader { get; }

    /// <summary>The variable the token came from, for messages (never the token itself).</summary>
    public string TokenVariable { get; }

    /// <summary>For people, e.g. "merge request !12 of project 42".</summary>
    public string Where { get; }

    /// <summary>The page of the merge request or pull request, when known.</summary>
    public string? WebUrl { get; }

    internal string AuthValue { get; }

    /// <summary>Platform, place, URL and the token's variable name, never the token itself.</summary>
    public override string ToString() => $"{Platform} {Where} ({Url}, token from {TokenVariable})";
}

/// <summary>Either a target, or the exact reason there is none (which variable is missing).</summary>
public sealed record PostPlan(PostTarget? Target, string? WhyNot);

/// <summary>What the platform answered.</summary>
public sealed record PostOutcome(int Status, string? Url);

/// <summary>
/// Posts a report as a GitLab merge-request note (<c>POST /projects/:id/merge_requests/:iid/notes</c>) or a GitHub
/// pull-request comment (<c>POST /repos/{owner}/{repo}/issues/{number}/comments</c>), from the variables CI sets.
/// Tokens go in a header and nowhere else: not in messages, not in the body, not in logs.
/// </summary>
/// <remarks>
/// GitLab: a project access token in <c>GITLAB_TOKEN</c> (header <c>PRIVATE-TOKEN</c>) is used when set; otherwise
/// <c>CI_JOB_TOKEN</c> (header <c>JOB-TOKEN</c>). GitLab has long refused job tokens on the notes API, so a 401/403 with
/// the job token says to set <c>GITLAB_TOKEN</c>.
/// </remarks>
public static partial class ReportPoster
{
    /// <summary>GitHub refuses comments longer than this.</summary>
    public const int GitHubMaxBody = 65_536;

    /// <summary>GitLab's limit on a note.</summary>
    public const int GitLabMaxBody = 1_000_000;

    /// <summary>Works out where to post from CI variables; never throws for a missing variable, it explains instead.</summary>
    public static PostPlan Resolve(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string? Get(string name) => environment(name) is { Length: > 0 } v ? v.Trim() : null;

        var onGitHub = Get("GITHUB_ACTIONS") == "true" || Get("GITHUB_TOKEN") is not null;
        var onGitLab = Get("GITLAB_CI") == "true" || Get("CI_JOB_TOKEN") is not null || Get("GITLAB_TOKEN") is not null;
        if (onGitHub)
        {
            return GitHub(Get);
        }

        if (onGitLab)
        {
            return GitLab(Get);
        }

        return new PostPlan(null,
            "neither CI_JOB_TOKEN (GitLab CI) nor GITHUB_TOKEN (GitHub Actions) is set, so there is no merge request or pull request to post to");
    }

    private static PostPlan GitLab(Func<string, string?> get)
    {
        var (header, tokenVariable) = get("GITLAB_TOKEN") is not null ? ("PRIVATE-TOKEN", "GITLAB_TOKEN") : ("JOB-TOKEN", "CI_JOB_TOKEN");
        var missing = new[] { tokenVariable, "CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID" }.Where(v => get(v) is null).ToList();
        if (missing.Count > 0)
        {
            var hint = missing.Contains("CI_MERGE_REQUEST_IID")
                ? " (GitLab sets CI_MERGE_REQUEST_IID only in merge-request pipelines: rules: - if: $CI_PIPELINE_SOURCE == \"merge_request_event\")"
                : "";
            return new PostPlan(null, $"not posted to GitLab: {Listed(missing)} {(missing.Count == 1 ? "is" : "are")} not set{hint}");
        }

        var api = get("CI_API_V4_URL")!.TrimEnd('/');
        var project = get("CI_PROJECT_ID")!;
        var iid = get("CI_MERGE_REQUEST_IID")!;
        if (!Uri.TryCreate($"{api}/projects/{Uri.EscapeDataString(project)}/merge_requests/{Uri.EscapeDataString(iid)}/notes", UriKind.Absolute, out var url))
        {
            return new PostPlan(null, $"not posted to GitLab: CI_API_V4_URL '{api}' is not an absolute URL");
        }

        var web = get("CI_PROJECT_URL") is { } projectUrl ? $"{projectUrl.TrimEnd('/')}/-/merge_requests/{iid}" : null;
        return new PostPlan(new PostTarget(Platform.GitLab, url, header, get(tokenVariable)!, tokenVariable, $"merge request !{iid} of project {project}", web), null);
    }

    private static PostPlan GitHub(Func<string, string?> get)
    {
        var missing = new[] { "GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH" }.Where(v => get(v) is null).ToList();
        if (missing.Count > 0)
        {
            var hint = missing.Contains("GITHUB_TOKEN") ? " (add env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }} and permissions: pull-requests: write to the report job)" : "";
            return new PostPlan(null, $"not posted to GitHub: {Listed(missing)} {(missing.Count == 1 ? "is" : "are")} not set{hint}");
        }

        var repository = get("GITHUB_REPOSITORY")!;
        if (!RepositoryName().IsMatch(repository))
        {
            return new PostPlan(null, $"not posted to GitHub: GITHUB_REPOSITORY '{repository}' is not OWNER/NAME");
        }

        var number = PullRequestNumber(get("GITHUB_EVENT_PATH")!, out var why);
        if (number is null)
        {
            return new PostPlan(null, $"not posted to GitHub: {why} (GITHUB_EVENT_NAME={get("GITHUB_EVENT_NAME") ?? "unset"}); the report is posted on pull requests only");
        }

        var api = get("GITHUB_API_URL")!.TrimEnd('/');
        if (!Uri.TryCreate($"{api}/repos/{repository}/issues/{number}/comments", UriKind.Absolute, out var url))
        {
            return new PostPlan(null, $"not posted to GitHub: GITHUB_API_URL '{api}' is not an absolute URL");
        }

        var web = $"{(get("GITHUB_SERVER_URL") ?? "https://github.com").TrimEnd('/')}/{repository}/pull/{number}";
        return new PostPlan(new PostTarget(Platform.GitHub, url, "Authorization", "Bearer " + get("GITHUB_TOKEN"), "GITHUB_TOKEN", $"pull request #{number} of {repository}", web), null);
    }

    /// <summary>The pull request number in a GitHub event payload, or null with the reason.</summary>
    internal static long? PullRequestNumber(string eventPath, out string why)
    {
        why = "";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(eventPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            why = $"the event payload GITHUB_EVENT_PATH={eventPath} could not be read ({e.GetType().Name})";
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.TryGetProperty("pull_request", out var pr) && pr.TryGetProperty("number", out var n) && n.TryGetInt64(out var number))
            {
                return number;
            }

            // issue_comment on a pull request: the issue is the pull request.
            if (root.TryGetProperty("issue", out var issue) && issue.TryGetProperty("pull_request", out _) && issue.TryGetProperty("number", out var i) && i.TryGetInt64(out var issueNumber))
            {
                return issueNumber;
            }

            why = "the workflow event is not about a pull request";
            return null;
        }
    }

    /// <summary>
    /// The Markdown as the platform will show it: relative PNG links point to the job's artifacts on GitLab (when the
    /// report folder is inside the project), and become a link to the workflow run on GitHub (its artifacts are zips).
    /// Too long a body is cut with a note.
    /// </summary>
    public static string Adapt(string markdown, PostTarget target, Func<string, string?> environment, string reportFolder)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(environment);
        string? Get(string name) => environment(name) is { Length: > 0 } v ? v.Trim() : null;

        string adapted;
        if (target.Platform == Platform.GitLab)
        {
            var jobUrl = Get("CI_JOB_URL");
            var projectDir = Get("CI_PROJECT_DIR");
            var relative = projectDir is null ? null : Path.GetRelativePath(Path.GetFullPath(projectDir), Path.GetFullPath(reportFolder)).Replace('\\', '/');
            adapted = jobUrl is null || relative is null || relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)
                ? FigureLink().Replace(markdown, m => $"*{m.Groups[1].Value}: `{Uri.UnescapeDataString(m.Groups[2].Value)}` in the job's artifacts*")
                : FigureLink().Replace(markdown, m => $"![{m.Groups[1].Value}]({jobUrl.TrimEnd('/')}/artifacts/raw/{(relative == "." ? "" : relative + "/")}{m.Groups[2].Value})");
        }
        else
        {
            var run = Get("GITHUB_SERVER_URL") is { } server && Get("GITHUB_REPOSITORY") is { } repo && Get("GITHUB_RUN_ID") is { } id
                ? $"{server.TrimEnd('/')}/{repo}/actions/runs/{id}"
                : null;
            adapted = FigureLink().Replace(markdown, m => run is null
                ? $"*{m.Groups[1].Value}: `{Uri.UnescapeDataString(m.Groups[2].Value)}` in the workflow's report artifact*"
                : $"*{m.Groups[1].Value}: `{Uri.UnescapeDataString(m.Groups[2].Value)}` in the report artifact of [this workflow run]({run})*");
        }

        var limit = target.Platform == Platform.GitHub ? GitHubMaxBody : GitLabMaxBody;
        const string Cut = "\n\n*(cut: the full report is in the job's artifacts)*\n";
        return adapted.Length <= limit ? adapted : adapted[..(limit - Cut.Length)] + Cut;
    }

    /// <summary>POSTs <paramref name="body"/> as a note or comment.</summary>
    /// <exception cref="EsteiraException">The platform refused it or could not be reached (<see cref="ErrorCode.ExternalService"/>),
    /// with what to do; the token is never part of the message.</exception>
    public static async Task<PostOutcome> PostAsync(HttpClient http, PostTarget target, string body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(target);
        using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = JsonContent.Create(new { body }) };
        request.Headers.TryAddWithoutValidation(target.AuthHeader, target.AuthValue);
        request.Headers.UserAgent.ParseAdd("esteira-report");
        if (target.Platform == Platform.GitHub)
        {
            request.Headers.Accept.ParseAdd("application/vnd.github+json");
            request.Headers.TryAddWithoutValidation("X-GitHub-Api-Version", "2022-11-28");
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new EsteiraException(ErrorCode.ExternalService, $"could not reach {target.Url.GetLeftPart(UriPartial.Authority)} to post the report to {target.Where} ({Redact(e.Message, target)}); check the network and rerun esteira report --post");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EsteiraException(ErrorCode.ExternalService, $"{target.Url.GetLeftPart(UriPartial.Authority)} did not answer in time when posting the report to {target.Where}; rerun esteira report --post");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                var hint = (target.Platform, status) switch
                {
                    (Platform.GitLab, 401 or 403 or 404) when target.TokenVariable == "CI_JOB_TOKEN" =>
                        "GitLab may not accept CI_JOB_TOKEN on the notes API; set GITLAB_TOKEN (masked CI/CD variable) to a project access token with the api scope",
                    (Platform.GitLab, 401 or 403) => "the token in GITLAB_TOKEN needs the api scope and at least the Reporter role on the project",
                    (Platform.GitHub, 401 or 403 or 404) => "give the job permissions: pull-requests: write and pass GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
                    _ => "rerun esteira report --post; the report itself is written",
                };
                var detail = Redact(text.Length > 200 ? text[..200] + "…" : text, target).ReplaceLineEndings(" ");
                throw new EsteiraException(ErrorCode.ExternalService,
                    $"posting the report to {target.Where} failed: HTTP {status} {response.ReasonPhrase} ({detail}); {hint}");
            }

            return new PostOutcome(status, CreatedUrl(text, target));
        }
    }

    private static string? CreatedUrl(string response, PostTarget target)
    {
        try
        {
            using var json = JsonDocument.Parse(response);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return target.WebUrl;
            }

            if (root.TryGetProperty("html_url", out var html) && html.ValueKind == JsonValueKind.String)
            {
                return html.GetString();
            }

            return target.WebUrl is { } web && root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number ? $"{web}#note_{id.GetRawText()}" : target.WebUrl;
        }
        catch (JsonException)
        {
            return target.WebUrl;
        }
    }

    private static string Redact(string text, PostTarget target)
    {
        var token = target.AuthValue.StartsWith("Bearer ", StringComparison.Ordinal) ? target.AuthValue[7..] : target.AuthValue;
        return token.Length >= 4 ? text.Replace(token, "***", StringComparison.Ordinal) : text;
    }

    private static string Listed(IReadOnlyList<string> names) =>
        names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " and " + names[^1];

    [GeneratedRegex(@"!\[([^\]]*)\]\(([^)\s/]+\.png)\)")]
    private static partial Regex FigureLink();

    [GeneratedRegex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")]
    private static partial Regex RepositoryName();
}
