using System.Collections.Concurrent;
using System.Text.Json;
using Esteira.Reporting.Post;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Esteira.Reporting.Tests;

/// <summary>A request the fake API received.</summary>
public sealed record Captured(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>Kestrel on loopback standing in for the GitLab or GitHub API: records each request, answers with a fixed status.</summary>
public sealed class FakeApi : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeApi(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public ConcurrentQueue<Captured> Requests { get; } = new();

    public static async Task<FakeApi> StartAsync(int status, string response)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeApi? api = null;
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            api!.Requests.Enqueue(new Captured(context.Request.Method, context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body));
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(response);
        });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        api = new FakeApi(app, url);
        return api;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>esteira report --post: to a GitLab merge request or a GitHub pull request, or why not.</summary>
[Collection(TrainedGroup.Name)]
public sealed class PostTests(TrainedWorkspace trained)
{
    private const string Token = "glpat-SECRET-0123456789abcdef";

    [Fact]
    public async Task Posts_a_merge_request_note_to_gitlab_with_the_job_token_header()
    {
        // Given GitLab's variables in a merge-request pipeline, its API played by Kestrel
        await using var api = await FakeApi.StartAsync(201, """{"id": 4242, "body": "…"}""");
        var workspace = trained.Clone();
        var environment = new Dictionary<string, string>
        {
            ["GITLAB_CI"] = "true",
            ["CI_JOB_TOKEN"] = Token,
            ["CI_API_V4_URL"] = api.Url + "/api/v4",
            ["CI_PROJECT_ID"] = "42",
            ["CI_MERGE_REQUEST_IID"] = "7",
            ["CI_PROJECT_DIR"] = workspace.Root,
            ["CI_PROJECT_URL"] = "https://gitlab.example.com/team/energy",
            ["CI_JOB_URL"] = "https://gitlab.example.com/team/energy/-/jobs/555",
        };

        // When
        var (exit, stdout, stderr) = Cli.Run(workspace.Root, environment, "report", "--post");

        // Then one note went to the merge request, authenticated by the JOB-TOKEN header
        Assert.True(exit == 0, stderr);
        var request = Assert.Single(api.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/api/v4/projects/42/merge_requests/7/notes", request.Path);
        Assert.Equal(Token, request.Headers["JOB-TOKEN"]);
        Assert.False(request.Headers.ContainsKey("PRIVATE-TOKEN"));
        Assert.StartsWith("application/json", request.Headers["Content-Type"], StringComparison.Ordinal);

        // And its body is the report's Markdown, with the plots linked to the job's artifacts
        using var json = JsonDocument.Parse(request.Body);
        var body = json.RootElement.GetProperty("body").GetString()!;
        var written = await File.ReadAllTextAsync(Path.Combine(workspace.Root, "out", "report", "report.md"));
        Assert.StartsWith("## Esteira report", body, StringComparison.Ordinal);
        Assert.Contains("| cv_rmsle |", body, StringComparison.Ordinal);
        Assert.Contains("![residuals by hour of day](https://gitlab.example.com/team/energy/-/jobs/555/artifacts/raw/out/report/baseline-residuals-by-hour.png)", body, StringComparison.Ordinal);
        Assert.Contains("![residuals by hour of day](baseline-residuals-by-hour.png)", written, StringComparison.Ordinal);
        Assert.Equal(written.Replace("](baseline-", "](https://gitlab.example.com/team/energy/-/jobs/555/artifacts/raw/out/report/baseline-", StringComparison.Ordinal), body);

        // And the CLI says where it went, never what the token is
        Assert.Contains("posted to merge request !7 of project 42: https://gitlab.example.com/team/energy/-/merge_requests/7#note_4242", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, stdout + stderr + body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Posts_a_pull_request_comment_to_github_with_a_bearer_token()
    {
        // Given GitHub's variables for a pull_request event
        await using var api = await FakeApi.StartAsync(201, """{"id": 1, "html_url": "https://github.com/team/energy/pull/5#issuecomment-1"}""");
        var workspace = trained.Clone();
        var eventPath = Path.Combine(workspace.Root, "event.json");
        await File.WriteAllTextAsync(eventPath, """{"action": "synchronize", "number": 5, "pull_request": {"number": 5}}""");
        var environment = new Dictionary<string, string>
        {
            ["GITHUB_ACTIONS"] = "true",
            ["GITHUB_TOKEN"] = Token,
            ["GITHUB_API_URL"] = api.Url,
            ["GITHUB_REPOSITORY"] = "team/energy",
            ["GITHUB_EVENT_PATH"] = eventPath,
            ["GITHUB_EVENT_NAME"] = "pull_request",
            ["GITHUB_SERVER_URL"] = "https://github.com",
            ["GITHUB_RUN_ID"] = "99",
        };

        // When
        var (exit, stdout, stderr) = Cli.Run(workspace.Root, environment, "report", "--post", "--format", "html");

        // Then
        Assert.True(exit == 0, stderr);
        var request = Assert.Single(api.Requests);
        Assert.Equal("/repos/team/energy/issues/5/comments", request.Path);
        Assert.Equal("Bearer " + Token, request.Headers["Authorization"]);
        Assert.Equal("application/vnd.github+json", request.Headers["Accept"]);
        using var json = JsonDocument.Parse(request.Body);
        var body = json.RootElement.GetProperty("body").GetString()!;
        Assert.StartsWith("## Esteira report", body, StringComparison.Ordinal);
        Assert.Contains("in the report artifact of [this workflow run](https://github.com/team/energy/actions/runs/99)", body, StringComparison.Ordinal);
        Assert.DoesNotContain("](baseline-", body, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(workspace.Root, "out", "report", "report.html")));
        Assert.Contains("posted to pull request #5 of team/energy: https://github.com/team/energy/pull/5#issuecomment-1", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_note_exits_3_with_the_remedy_and_without_the_token()
    {
        await using var api = await FakeApi.StartAsync(403, $$"""{"message": "403 Forbidden", "echo": "{{Token}}"}""");
        var workspace = trained.Clone();
        var environment = new Dictionary<string, string>
        {
            ["CI_JOB_TOKEN"] = Token,
            ["CI_API_V4_URL"] = api.Url + "/api/v4",
            ["CI_PROJECT_ID"] = "42",
            ["CI_MERGE_REQUEST_IID"] = "7",
        };

        var (exit, stdout, stderr) = Cli.Run(workspace.Root, environment, "report", "--post");

        Assert.Equal(3, exit);
        Assert.Contains("error: posting the report to merge request !7 of project 42 failed: HTTP 403", stderr, StringComparison.Ordinal);
        Assert.Contains("set GITLAB_TOKEN", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, stdout + stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(workspace.Root, "out", "report", "report.md")));
    }

    [Fact]
    public void Without_ci_variables_the_report_is_written_and_the_cli_says_why_it_was_not_posted()
    {
        var workspace = trained.Clone();

        var (exit, stdout, stderr) = Cli.Run(workspace.Root, new Dictionary<string, string>(), "report", "--post");

        Assert.True(exit == 0, stderr);
        Assert.Contains("not posted: neither CI_JOB_TOKEN (GitLab CI) nor GITHUB_TOKEN (GitHub Actions) is set", stdout, StringComparison.Ordinal);
        Assert.Contains("the report is in out/report/report.md", stdout, StringComparison.Ordinal);
        Assert.Contains("wrote out/report/report.md and 6 PNG(s)", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(workspace.Root, "out", "report", "report.md")));
    }

    [Fact]
    public void Each_missing_variable_is_named()
    {
        static Func<string, string?> Env(params (string Name, string Value)[] values) => n => values.FirstOrDefault(v => v.Name == n).Value;

        Assert.Equal("not posted to GitLab: CI_API_V4_URL, CI_PROJECT_ID and CI_MERGE_REQUEST_IID are not set (GitLab sets CI_MERGE_REQUEST_IID only in merge-request pipelines: rules: - if: $CI_PIPELINE_SOURCE == \"merge_request_event\")",
            ReportPoster.Resolve(Env(("CI_JOB_TOKEN", Token))).WhyNot);
        Assert.Equal("not posted to GitLab: CI_JOB_TOKEN is not set",
            ReportPoster.Resolve(Env(("GITLAB_CI", "true"), ("CI_API_V4_URL", "http://x/api/v4"), ("CI_PROJECT_ID", "1"), ("CI_MERGE_REQUEST_IID", "2"))).WhyNot);
        Assert.StartsWith("not posted to GitHub: GITHUB_TOKEN is not set (add env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
            ReportPoster.Resolve(Env(("GITHUB_ACTIONS", "true"), ("GITHUB_API_URL", "http://x"), ("GITHUB_REPOSITORY", "o/r"), ("GITHUB_EVENT_PATH", "/e"))).WhyNot, StringComparison.Ordinal);

        using var folder = new TempFolder();
        var push = folder.Combine("push.json");
        File.WriteAllText(push, """{"ref": "refs/heads/main", "commits": []}""");
        Assert.Equal("not posted to GitHub: the workflow event is not about a pull request (GITHUB_EVENT_NAME=push); the report is posted on pull requests only",
            ReportPoster.Resolve(Env(("GITHUB_TOKEN", Token), ("GITHUB_API_URL", "http://x"), ("GITHUB_REPOSITORY", "o/r"), ("GITHUB_EVENT_PATH", push), ("GITHUB_EVENT_NAME", "push"))).WhyNot);

        // A project access token wins over the job token, and no description of the target shows it
        var target = ReportPoster.Resolve(Env(("CI_JOB_TOKEN", "job"), ("GITLAB_TOKEN", Token), ("CI_API_V4_URL", "http://x/api/v4"), ("CI_PROJECT_ID", "g/p"), ("CI_MERGE_REQUEST_IID", "3"))).Target!;
        Assert.Equal("PRIVATE-TOKEN", target.AuthHeader);
        Assert.Equal("http://x/api/v4/projects/g%2Fp/merge_requests/3/notes", target.Url.ToString());
        Assert.DoesNotContain(Token, target.ToString(), StringComparison.Ordinal);
    }
}
