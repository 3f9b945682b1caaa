using Esteira.Deploy.Kaggle;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Esteira.Deploy.Tests;

/// <summary>The client's retries against a real Kestrel endpoint that fails a scripted number of times.</summary>
public sealed class RetryTests
{
    private static async Task<(WebApplication App, Uri Base, List<int> Hits)> StartFlakyAsync(Queue<(int Status, string? RetryAfter)> failures)
    {
        var hits = new List<int>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/api/v1/competitions.CompetitionApiService/GetCompetition", (HttpContext context) =>
        {
            lock (hits)
            {
                hits.Add(hits.Count);
                if (failures.TryDequeue(out var failure))
                {
                    if (failure.RetryAfter is not null)
                    {
                        context.Response.Headers.RetryAfter = failure.RetryAfter;
                    }

                    return Results.Json(new { code = failure.Status, message = $"scripted failure {failure.Status}" }, statusCode: failure.Status);
                }
            }

            return Results.Json(new { @ref = "tiny", title = "Tiny", maxDailySubmissions = 5 });
        });
        await app.StartAsync();
        return (app, KaggleEndpoint.FromServer(app.Urls.First()), hits);
    }

    private static KaggleClient Client(Uri apiBase, List<TimeSpan> delays, RetryPolicy? policy = null) => new(new KaggleClientOptions
    {
        ApiBase = apiBase,
        Credentials = KaggleCredentials.ApiKey("alice", "s3cret", "test"),
        Retry = policy ?? new RetryPolicy(),
        Jitter = () => 0.5,
        Delay = (d, _) =>
        {
            lock (delays)
            {
                delays.Add(d);
            }

            return Task.CompletedTask;
        },
    });

    [Fact]
    public async Task Transient_503_and_429_are_retried_with_backoff_and_Retry_After_is_honoured()
    {
        var (app, apiBase, hits) = await StartFlakyAsync(new Queue<(int, string?)>([(503, null), (503, null), (429, "3")]));
        await using var _ = app;
        var delays = new List<TimeSpan>();
        using var client = Client(apiBase, delays);

        var competition = await client.GetCompetitionAsync("tiny");

        Assert.Equal("Tiny", competition.Title);
        Assert.Equal(5, competition.MaxDailySubmissions);
        Assert.Equal(4, hits.Count);
        Assert.Equal(3, delays.Count);

        // Equal-jitter backoff with jitter 0.5: base 1 s → 0.75 s, then 2 s → 1.5 s; then the server's 3 s (+ ≤ 10 % jitter).
        Assert.Equal(TimeSpan.FromMilliseconds(750), delays[0]);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), delays[1]);
        Assert.InRange(delays[2], TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3.3));
    }

    [Fact]
    public async Task A_Retry_After_beyond_the_maximum_fails_at_once_with_the_servers_message()
    {
        var (app, apiBase, hits) = await StartFlakyAsync(new Queue<(int, string?)>([(429, "36000")]));
        await using var _ = app;
        var delays = new List<TimeSpan>();
        using var client = Client(apiBase, delays);

        var error = await Assert.ThrowsAsync<EsteiraException>(() => client.GetCompetitionAsync("tiny"));

        Assert.Single(hits);
        Assert.Empty(delays);
        Assert.Equal(ErrorCode.ExternalService, error.Code);
        Assert.Contains("scripted failure 429", error.Message);
        Assert.Contains("HTTP 429", error.Message);
        Assert.Equal(3, ErrorCodes.ExitCode(error.Code));
    }

    [Fact]
    public async Task Persistent_5xx_gives_up_after_the_last_attempt()
    {
        var (app, apiBase, hits) = await StartFlakyAsync(new Queue<(int, string?)>(Enumerable.Repeat((500, (string?)null), 10)));
        await using var _ = app;
        var delays = new List<TimeSpan>();
        using var client = Client(apiBase, delays, new RetryPolicy { MaxAttempts = 3 });

        var error = await Assert.ThrowsAsync<EsteiraException>(() => client.GetCompetitionAsync("tiny"));

        Assert.Equal(3, hits.Count);
        Assert.Equal(2, delays.Count);
        Assert.Contains("scripted failure 500", error.Message);
        Assert.Contains("retry later", error.Message);
    }

    [Fact]
    public async Task An_unreachable_server_is_an_external_service_error()
    {
        var delays = new List<TimeSpan>();
        using var client = Client(new Uri("http://127.0.0.1:1/api/v1"), delays, new RetryPolicy { MaxAttempts = 2 });

        var error = await Assert.ThrowsAsync<EsteiraException>(() => client.GetCompetitionAsync("tiny"));

        Assert.Equal(ErrorCode.ExternalService, error.Code);
        Assert.Contains("cannot reach http://127.0.0.1:1", error.Message);
        Assert.Single(delays);
    }

    [Fact]
    public void Backoff_grows_exponentially_up_to_the_cap()
    {
        var policy = new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(10) };
        Assert.Equal(TimeSpan.FromSeconds(0.5), policy.DelayFor(1, null, 0));
        Assert.Equal(TimeSpan.FromSeconds(4), policy.DelayFor(3, null, 0.999999).RoundTo());
        Assert.Equal(TimeSpan.FromSeconds(10), policy.DelayFor(9, null, 0.999999).RoundTo());
        Assert.Equal(TimeSpan.FromSeconds(5), policy.DelayFor(9, null, 0));
    }
}

internal static class TimeSpanRounding
{
    public static TimeSpan RoundTo(this TimeSpan value) => TimeSpan.FromMilliseconds(Math.Round(value.TotalMilliseconds / 10) * 10);
}
