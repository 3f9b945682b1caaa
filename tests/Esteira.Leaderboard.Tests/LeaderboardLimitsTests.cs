using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Esteira.Deploy.Kaggle;
using Xunit;
using Xunit.Abstractions;

namespace Esteira.Leaderboard.Tests;

/// <summary>One team must not stall the server (issue 13): bounded scoring, fair queues, a quick stop, expiring uploads, a quota, login throttling.</summary>
public sealed class LeaderboardLimitsTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static HttpRequestMessage Rpc(LeaderboardServer server, string method, object body, string user = "alice", string key = "s3cret")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Addresses[0], $"/api/v1/competitions.CompetitionApiService/{method}"))
        {
            Content = JsonContent.Create(body),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{key}")));
        return request;
    }

    private static async Task<string> MessageAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("message").GetString()!;

    private static string Basic(string user, string key) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{key}"));

    private static async Task<long> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < timeout, $"not reached within {timeout}");
            await Task.Delay(20);
        }

        return clock.ElapsedMilliseconds;
    }

    [Fact]
    public async Task A_gz_of_blank_lines_is_refused_at_the_line_limit_at_once_and_does_not_use_a_slot()
    {
        var comp = TinyCompetition.Create(_temp.Path, config: "daily_limit: 1\n");
        var bomb = _temp.Combine("bomb.csv.gz");
        var blank = new byte[1 << 20];
        blank.AsSpan().Fill((byte)'\n');
        await using (var gz = new GZipStream(File.Create(bomb), CompressionLevel.SmallestSize))
        {
            gz.Write("row_id,meter_reading\n"u8);
            for (var i = 0; i < 256; i++)
            {
                gz.Write(blank);
            }
        }

        await using var server = await TestServers.StartAsync(comp.Dir);
        using var client = TestServers.Client(server);

        var clock = Stopwatch.StartNew();
        var result = await client.SubmitAsync("tiny-comp", bomb, "256 MiB of blank lines");
        output.WriteLine($"{new FileInfo(bomb).Length:N0} bytes of gz (256 MiB of blank lines) refused in {clock.ElapsedMilliseconds} ms: {result.ErrorDescription}");

        Assert.Equal(SubmissionStatus.Error, result.State);
        Assert.Equal("line 10202 is past this competition's limit of 10,201 lines (200 rows, the header and 10,000 blank lines); remove the blank lines", result.ErrorDescription);
        // no wall-clock bound: speed is measured in bench/, and on 2 shared cores a 3 s bound failed at load 30; what is
        // asserted is the refusal at the limit's line and that the refused file took no slot

        var good = _temp.Combine("good.csv");
        comp.WriteSubmission(good, (_, y) => y);
        Assert.Equal(SubmissionStatus.Complete, (await client.SubmitAsync("tiny-comp", good, "the real one")).State);
    }

    [Fact]
    public async Task A_submission_past_the_scoring_time_budget_is_ERROR_saying_so_and_does_not_count()
    {
        var comp = TinyCompetition.Create(_temp.Path, rows: 20_000, config: "daily_limit: 1\nscoring_timeout_seconds: 0.000001\n");
        await using var server = await TestServers.StartAsync(comp.Dir);
        using var client = TestServers.Client(server);
        var path = _temp.Combine("s.csv");
        comp.WriteSubmission(path, (_, y) => y);

        var result = await client.SubmitAsync("tiny-comp", path, "slow");

        Assert.Equal(SubmissionStatus.Error, result.State);
        Assert.Equal("line 4096 was reached when scoring stopped: the server scores a submission for at most 0.001 ms; this file does not count, submit a smaller or plain file", result.ErrorDescription);
        Assert.Equal(1, (await client.GetSubmissionLimitsAsync("tiny-comp"))!.RemainingToday);
    }

    [Fact]
    public async Task Queued_submissions_are_scored_round_robin_across_teams()
    {
        var comp = TinyCompetition.Create(_temp.Path, config: "scoring_workers: 1\n");
        await using var server = await TestServers.StartAsync(comp.Dir, scoring: false);
        using var alice = TestServers.Client(server);
        using var bob = TestServers.Client(server, "bob", "hunter2");
        var path = _temp.Combine("s.csv");
        comp.WriteSubmission(path, (_, y) => y + 1);
        var a1 = await alice.UploadAndCreateAsync("tiny-comp", path, "a1");
        var a2 = await alice.UploadAndCreateAsync("tiny-comp", path, "a2");
        var a3 = await alice.UploadAndCreateAsync("tiny-comp", path, "a3");
        var b1 = await bob.UploadAndCreateAsync("tiny-comp", path, "b1");
        var order = new List<long>();
        server.Scoring.Scored = r =>
        {
            lock (order)
            {
                order.Add(r);
            }
        };

        await server.Scoring.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => Task.FromResult(order.Count == 4), TimeSpan.FromSeconds(20));

        Assert.Equal([a1, b1, a2, a3], order);
    }

    [Fact]
    public async Task A_team_whose_submission_takes_long_does_not_hold_up_another_team()
    {
        var comp = TinyCompetition.Create(_temp.Path);
        await using var server = await TestServers.StartAsync(comp.Dir, scoring: false);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Scoring.BeforeScoring = (record, ct) => record.Team == "alice" ? release.Task.WaitAsync(ct) : Task.CompletedTask;
        using var alice = TestServers.Client(server);
        using var bob = TestServers.Client(server, "bob", "hunter2");
        var path = _temp.Combine("s.csv");
        comp.WriteSubmission(path, (_, y) => y + 1);
        await server.Scoring.StartAsync(CancellationToken.None);

        var a1 = await alice.UploadAndCreateAsync("tiny-comp", path, "slow");
        var a2 = await alice.UploadAndCreateAsync("tiny-comp", path, "queued behind alice's own");
        var b1 = await bob.UploadAndCreateAsync("tiny-comp", path, "bob");

        Assert.Equal(SubmissionStatus.Complete, (await bob.WaitForScoreAsync(b1)).State);
        Assert.Equal(SubmissionStatus.Pending, (await alice.GetSubmissionAsync(a1)).State);
        Assert.Equal(SubmissionStatus.Pending, (await alice.GetSubmissionAsync(a2)).State);

        release.SetResult();
        Assert.Equal(SubmissionStatus.Complete, (await alice.WaitForScoreAsync(a2)).State);
        Assert.Equal(SubmissionStatus.Complete, (await alice.WaitForScoreAsync(a1)).State);
    }

    [Fact]
    public async Task The_server_stops_within_5_s_while_scoring_and_the_next_start_scores_what_was_cut_off()
    {
        var comp = TinyCompetition.Create(_temp.Path);
        var path = _temp.Combine("s.csv");
        comp.WriteSubmission(path, (_, y) => y);
        long submissionRef;
        TimeSpan stop;
        var first = await TestServers.StartAsync(comp.Dir);
        var scoring = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        first.Scoring.BeforeScoring = async (_, ct) =>
        {
            scoring.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct); // a scoring that would never end by itself
        };
        using (var client = TestServers.Client(first))
        {
            submissionRef = await client.UploadAndCreateAsync("tiny-comp", path, "cut off");
            await scoring.Task.WaitAsync(TimeSpan.FromSeconds(10));

            var clock = Stopwatch.StartNew();
            await first.DisposeAsync();
            stop = clock.Elapsed;
        }

        output.WriteLine($"stopped in {stop.TotalMilliseconds:0} ms while scoring");
        Assert.True(stop < TimeSpan.FromSeconds(5), $"stopping took {stop}");

        await using var second = await TestServers.StartAsync(comp.Dir);
        using var again = TestServers.Client(second);
        var scored = await again.WaitForScoreAsync(submissionRef);
        Assert.Equal(SubmissionStatus.Complete, scored.State);
        Assert.Equal("0.00000", scored.PublicScore);
    }

    [Fact]
    public async Task An_upload_never_submitted_expires_and_its_file_is_deleted_but_submitted_files_stay()
    {
        var comp = TinyCompetition.Create(_temp.Path, config: "upload_expiry_minutes: 10\n");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 10, 0, 0, TimeSpan.Zero));
        await using var server = await TestServers.StartAsync(comp.Dir, time);
        using var client = TestServers.Client(server, time: time);
        using var http = new HttpClient();
        var kept = _temp.Combine("kept.csv");
        comp.WriteSubmission(kept, (_, y) => y);
        var abandoned = _temp.Combine("abandoned.csv");
        comp.WriteSubmission(abandoned, (_, y) => y + 3);
        await client.SubmitAsync("tiny-comp", kept, "submitted");

        using var start = await http.SendAsync(Rpc(server, "StartSubmissionUpload", new { competitionName = "tiny-comp", fileName = "a.csv", contentLength = new FileInfo(abandoned).Length }));
        var slot = (await start.Content.ReadFromJsonAsync<StartSubmissionUploadResponse>(KaggleJson.Options))!;
        using (var put = await http.PutAsync(slot.CreateUrl, new ByteArrayContent(await File.ReadAllBytesAsync(abandoned))))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var uploads = Path.Combine(comp.Dir, ".leaderboard", "uploads");
        var files = Directory.EnumerateFiles(uploads, "*", SearchOption.AllDirectories).Where(f => !f.Contains("incoming", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, files.Count);
        foreach (var file in files)
        {
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(-1));
        }

        time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(0, await server.UploadSweeper.SweepExpiredUploadsAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromMinutes(2));

        using (var late = await http.SendAsync(Rpc(server, "CreateSubmission", new { competitionName = "tiny-comp", blobFileTokens = slot.Token, submissionDescription = "too late" })))
        {
            Assert.Equal(HttpStatusCode.NotFound, late.StatusCode);
            Assert.Contains("this upload expired: an upload not submitted within 10 min is deleted; upload the file again", await MessageAsync(late));
        }

        Assert.Equal(1, await server.UploadSweeper.SweepExpiredUploadsAsync(CancellationToken.None));
        var left = Assert.Single(Directory.EnumerateFiles(uploads, "*", SearchOption.AllDirectories), f => !f.Contains("incoming", StringComparison.Ordinal));
        Assert.Equal((await server.Store.ListSubmissionsAsync("tiny-comp", "alice")).Single().ContentSha256, Path.GetFileName(left));
        using var reput = await http.PutAsync(slot.CreateUrl, new ByteArrayContent(await File.ReadAllBytesAsync(abandoned)));
        Assert.Equal(HttpStatusCode.NotFound, reput.StatusCode);
    }

    [Fact]
    public async Task Uploads_not_yet_submitted_count_against_a_per_team_quota_refused_with_429_and_Retry_After()
    {
        var comp = TinyCompetition.Create(_temp.Path, config: "upload_quota_mb: 0.01\nupload_expiry_minutes: 30\n");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 10, 0, 0, TimeSpan.Zero));
        await using var server = await TestServers.StartAsync(comp.Dir, time);
        using var http = new HttpClient();

        async Task<HttpResponseMessage> StartAsync(string user = "alice", string key = "s3cret") =>
            await http.SendAsync(Rpc(server, "StartSubmissionUpload", new { competitionName = "tiny-comp", fileName = "s.csv", contentLength = 4000 }, user, key));

        using (var one = await StartAsync())
        using (var two = await StartAsync())
        {
            Assert.Equal(HttpStatusCode.OK, one.StatusCode);
            Assert.Equal(HttpStatusCode.OK, two.StatusCode);
        }

        using (var three = await StartAsync())
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, three.StatusCode);
            Assert.Equal(TimeSpan.FromMinutes(30), three.Headers.RetryAfter?.Delta);
            var body = await MessageAsync(three);
            Assert.Contains("upload quota reached: team 'alice' holds 7.8 KiB in uploads not yet submitted and this file adds 3.9 KiB, over the quota of 10.2 KiB", body);
            Assert.Contains("an upload not submitted within 30 min is deleted", body);
        }

        using (var bobs = await StartAsync("bob", "hunter2"))
        {
            Assert.Equal(HttpStatusCode.OK, bobs.StatusCode);
        }

        time.Advance(TimeSpan.FromMinutes(31));
        using var later = await StartAsync();
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
    }

    [Fact]
    public async Task Three_hundred_wrong_keys_get_429_after_the_limit_and_the_team_may_log_in_again_after_the_window()
    {
        var comp = TinyCompetition.Create(_temp.Path, config: "login_max_failures: 5\nlogin_window_seconds: 60\n");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 10, 0, 0, TimeSpan.Zero));
        await using var server = await TestServers.StartAsync(comp.Dir, time);
        using var http = new HttpClient();
        var statuses = new List<HttpStatusCode>();
        TimeSpan? retryAfter = null;

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 300; i++)
        {
            using var response = await http.SendAsync(Rpc(server, "ListSubmissions", new { competitionName = "tiny-comp" }, "alice", $"guess-{i}"));
            statuses.Add(response.StatusCode);
            retryAfter ??= response.Headers.RetryAfter?.Delta;
        }

        output.WriteLine($"300 wrong keys in {clock.ElapsedMilliseconds} ms: {statuses.Count(s => s == HttpStatusCode.Unauthorized)} checked (401), {statuses.Count(s => s == HttpStatusCode.TooManyRequests)} refused unchecked (429)");
        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(295, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(TimeSpan.FromSeconds(60), retryAfter);

        // Even the right key waits for the window: the key is not checked at all while throttled.
        using (var right = await http.SendAsync(Rpc(server, "ListSubmissions", new { competitionName = "tiny-comp" })))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
            Assert.Contains("too many failed logins for team 'alice' (5 within 60 s); try again in 60 s", await MessageAsync(right));
        }

        // Another team from the same address is not locked out by alice's attacker.
        using (var bob = await http.SendAsync(Rpc(server, "ListSubmissions", new { competitionName = "tiny-comp" }, "bob", "hunter2")))
        {
            Assert.Equal(HttpStatusCode.OK, bob.StatusCode);
        }

        time.Advance(TimeSpan.FromSeconds(61));
        using var after = await http.SendAsync(Rpc(server, "ListSubmissions", new { competitionName = "tiny-comp" }));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Only_the_Kaggle_API_checks_credentials_so_a_wrong_header_on_pages_and_uploads_counts_no_failed_login()
    {
        // Given a server that throttles a team after 2 failed logins
        var comp = TinyCompetition.Create(_temp.Path, config: "login_max_failures: 2\n");
        await using var server = await TestServers.StartAsync(comp.Dir, scoring: false);
        using var http = new HttpClient();

        // When a browser or an upload sends a wrong key for alice, many times, to routes that need none
        foreach (var path in new[] { "/", "/leaderboard", "/competition", "/login", "/upload/no-such-token" })
        {
            for (var i = 0; i < 3; i++)
            {
                using var request = new HttpRequestMessage(path.StartsWith("/upload", StringComparison.Ordinal) ? HttpMethod.Put : HttpMethod.Get, new Uri(server.Addresses[0], path));
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:wrong")));
                request.Content = path.StartsWith("/upload", StringComparison.Ordinal) ? new ByteArrayContent([1]) : null;
                using var response = await http.SendAsync(request);
                Assert.NotEqual(HttpStatusCode.Unauthorized, response.StatusCode);
                Assert.NotEqual(HttpStatusCode.TooManyRequests, response.StatusCode);
            }
        }

        // Then alice is not throttled: her right key works at once
        using var mine = await http.SendAsync(Rpc(server, "ListSubmissions", new { competitionName = "tiny-comp" }));
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
    }

    [Fact]
    public async Task Failed_logins_are_also_throttled_per_address_whatever_team_or_key_they_try()
    {
        var comp = TinyCompetition.Create(_temp.Path, config: "login_max_failures: 2\n");
        await using var server = await TestServers.StartAsync(comp.Dir, scoring: false);
        var teams = server.Teams;

        for (var i = 0; i < 6; i++)
        {
            Assert.Null(teams.Authenticate(Basic($"mallory{i}", "x"), "10.0.0.1"));
        }

        var error = Assert.Throws<EsteiraException>(() => teams.Authenticate("Bearer guess", "10.0.0.1"));
        Assert.Equal(ErrorCode.LimitExceeded, error.Code);
        Assert.StartsWith("too many failed logins from this address (6 within 60 s); try again in ", error.Message, StringComparison.Ordinal);
        Assert.True(error.Data[ApiErrors.RetryAfterKey] is int seconds && seconds > 0);
        Assert.Throws<EsteiraException>(() => teams.Authenticate(Basic("bob", "hunter2"), "10.0.0.1"));

        Assert.Equal("bob", teams.Authenticate(Basic("bob", "hunter2"), "10.0.0.2")?.Name);
        Assert.Equal("bob", teams.Authenticate("Bearer hunter2", "10.0.0.2")?.Name);
    }

    [Fact]
    public async Task The_fair_queue_serves_teams_in_turn_and_never_two_of_one_team_at_once()
    {
        using var queue = new FairQueue();
        foreach (var (team, r) in new[] { ("a", 1L), ("a", 2L), ("a", 3L), ("b", 4L), ("c", 5L), ("b", 6L) })
        {
            queue.Enqueue(team, r);
        }

        var first = await queue.DequeueAsync(CancellationToken.None);
        var second = await queue.DequeueAsync(CancellationToken.None);
        var third = await queue.DequeueAsync(CancellationToken.None);
        Assert.Equal([("a", 1L), ("b", 4L), ("c", 5L)], new[] { first, second, third });

        // a and b are busy: nothing more until one finishes.
        var fourth = queue.DequeueAsync(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(fourth.IsCompleted);
        queue.Done("b");
        Assert.Equal(("b", 6L), await fourth.WaitAsync(TimeSpan.FromSeconds(5)));
        queue.Done("a");
        Assert.Equal(("a", 2L), await queue.DequeueAsync(CancellationToken.None));
        Assert.Equal(1, queue.Count);
    }
}
