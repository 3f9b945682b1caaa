using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Esteira.Deploy;
using Esteira.Deploy.Guard;
using Esteira.Deploy.Kaggle;
using Esteira.Deploy.Targets;
using Xunit;

namespace Esteira.Leaderboard.Tests;

/// <summary>Our C# client against our server, over real HTTP on loopback.</summary>
public sealed class LeaderboardServerTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static double Score(string? text) => double.Parse(text!, CultureInfo.InvariantCulture);

    private static HttpRequestMessage Rpc(LeaderboardServer server, string method, object body, string? user = "alice", string? key = "s3cret")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Addresses[0], $"/api/v1/competitions.CompetitionApiService/{method}"))
        {
            Content = JsonContent.Create(body),
        };
        if (user is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{key}")));
        }

        return request;
    }

    [Fact]
    public async Task The_full_submit_cycle_returns_the_public_score_Rmsle_Compute_gives()
    {
        var comp = TinyCompetition.Create(_temp.Path, rows: 400);
        await using var server = await TestServers.StartAsync(comp.Dir);
        using var client = TestServers.Client(server);
        var path = _temp.Combine("submission.csv.gz");
        var predictions = comp.WriteSubmission(path, (i, y) => (y * 0.9f) + (i % 3), gzip: true);

        var result = await client.SubmitAsync("tiny-comp", path, "first try");

        Assert.Equal(SubmissionStatus.Complete, result.State);
        Assert.Equal(Rmsle.Compute(predictions.AsSpan(0, comp.PublicRows), comp.Actual.AsSpan(0, comp.PublicRows)), Score(result.PublicScore), 5);
        Assert.Null(result.PrivateScore);
        Assert.Equal("submission.csv.gz", result.FileName);
        Assert.Equal("first try", result.Description);

        var mine = await client.ListSubmissionsAsync("tiny-comp");
        Assert.Equal(result.Ref, Assert.Single(mine).Ref);
        var board = await client.GetLeaderboardAsync("tiny-comp");
        Assert.Equal("alice", Assert.Single(board).TeamName);
        Assert.Equal(result.PublicScore, board[0].Score);

        var competitions = await client.ListCompetitionsAsync();
        Assert.Equal("tiny-comp", Assert.Single(competitions).Name);
        Assert.Equal(5, competitions[0].MaxDailySubmissions);
    }

    [Fact]
    public async Task CreateSubmission_returns_before_scoring_and_the_submission_is_pending_until_scored()
    {
        var comp = TinyCompetition.Create(_temp.Path);
        await using var server = await TestServers.StartAsync(comp.Dir, scoring: false);
        using var client = TestServers.Client(server);
        var path = _temp.Combine("s.csv");
        comp.WriteSubmission(path, (_, y) => y);

        var submissionRef = await client.UploadAndCreateAsync("tiny-comp", path, "queued");
        var pending = await client.GetSubmissionAsync(submissionRef);
        Assert.Equal(SubmissionStatus.Pending, pending.State);
        Assert.Null(pending.PublicScore);

        await server.Scoring.ScoreAsync(submissionRef, CancellationToken.None);
        var scored = await client.GetSubmissionAsync(submissionRef);
        Assert.Equal(SubmissionStatus.Complete, scored.State);
        Assert.Equal(0, Score(scored.PublicScore), 9);
    }

    [Fact]
    public async Task The_daily_limit_refuses_the_next_submission_with_the_servers_message_and_resets_at_midnight_utc()
    {
        var comp = TinyCompetition.Create(_temp.Path, config: "daily_limit: 2\n");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 22, 0, 0, TimeSpan.Zero));
        await using var server = await TestServers.StartAsync(comp.Dir, time);
        using var client = TestServers.Client(server);
        var path = _temp.Combine("s.csv");
        comp.WriteSubmission(path, (_, y) => y + 1);

        await client.SubmitAsync("tiny-comp", path, "1");
        await client.SubmitAsync("tiny-comp", path, "2");
        var limits = await client.GetSubmissionLimitsAsync("tiny-comp");
        Assert.Equal(0, limits!.RemainingToday);

        var error = await Assert.ThrowsAsync<EsteiraException>(() => client.SubmitAsync("tiny-comp", path, "3"));
        Assert.Equal(ErrorCode.ExternalService, error.Code);
        Assert.Contains("daily submission limit reached", error.Message);
        Assert.Contains("HTTP 429", error.Message);
        Assert.Equal(2, (await client.ListSubmissionsAsync("tiny-comp")).Count);

        // The guard sees the server's count before anything is uploaded.
        var target = new KaggleTarget(client, "tiny-comp", "leaderboard");
        await using var ledger = await TestLedgers.OpenAsync(_temp);
        var refusal = await Assert.ThrowsAsync<EsteiraException>(() => Deployer.DeployAsync(
            new DeployRequest { FilePath = path, SamplePath = comp.SamplePath, Options = new GuardOptions { OverrideGate = true, AllowDuplicate = true } },
            target, ledger, time));
        Assert.Equal(ErrorCode.LimitExceeded, refusal.Code);
        Assert.Contains("rule 'budget'", refusal.Message);

        time.Advance(TimeSpan.FromHours(3));
        Assert.Equal(SubmissionStatus.Complete, (await client.SubmitAsync("tiny-comp", path, "next day")).State);
    }

    [Fact]
    public async Task A_bad_file_becomes_ERROR_naming_the_row_and_column_and_does_not_use_a_slot()
    {
        var comp = TinyCompetition.Create(_temp.Path, config: "daily_limit: 1\n");
        await using var server = await TestServers.StartAsync(comp.Dir);
        using var client = TestServers.Client(server);
        var bad = _temp.Combine("bad.csv");
        comp.WriteSubmission(bad, (i, y) => i == 3 ? -1 : y);

        var result = await client.SubmitAsync("tiny-comp", bad, "broken");

        Assert.Equal(SubmissionStatus.Error, result.State);
        Assert.Equal("line 5 column 'meter_reading': '-1' is not a finite number ≥ 0", result.ErrorDescription);
        Assert.Null(result.PublicScore);
        Assert.Equal(result.ErrorDescription, (await client.ListSubmissionsAsync("tiny-comp"))[0].ErrorDescription);

        var good = _temp.Combine("good.csv");
        comp.WriteSubmission(good, (_, y) => y);
        Assert.Equal(SubmissionStatus.Complete, (await client.SubmitAsync("tiny-comp", good, "fixed")).State);
    }

    [Fact]
    public async Task Format_errors_count_when_the_competition_says_so()
    {
        var comp = TinyCompetition.Create(_temp.Path, config: "daily_limit: 1\ncount_format_errors: true\n");
        await using var server = await TestServers.StartAsync(comp.Dir);
        using var client = TestServers.Client(server);
        var bad = _temp.Combine("bad.csv");
        File.WriteAllText(bad, "row_id,meter_reading\n0,1\n");

        Assert.Equal(SubmissionStatus.Error, (await client.SubmitAsync("tiny-comp", bad, "broken")).State);
        await Assert.ThrowsAsync<EsteiraException>(() => client.SubmitAsync("tiny-comp", bad, "again"));
    }

    [Fact]
    public async Task A_resend_of_the_same_bytes_is_refused_by_the_guard_unless_allowed()
    {
        var comp = TinyCompetition.Create(_temp.Path);
        await using var server = await TestServers.StartAsync(comp.Dir);
        using var client = TestServers.Client(server);
        var target = new KaggleTarget(client, "tiny-comp", "leaderboard");
        await using var log = await TestLedgers.OpenAsync(_temp);
        var path = _temp.Combine("sub.csv");
        comp.WriteSubmission(path, (_, y) => y * 1.2f);
        var request = new DeployRequest { FilePath = path, Message = "m", SamplePath = comp.SamplePath, Gate = GateSummary.Passed() };

        var first = await Deployer.DeployAsync(request, target, log, TimeProvider.System);
        await log.RecordAsync("leaderboard", "tiny-comp", first, request.Message);
        Assert.Equal(SubmissionStatus.Complete, first.Outcome.State);

        var error = await Assert.ThrowsAsync<EsteiraException>(() => Deployer.DeployAsync(request, target, log, TimeProvider.System));
        Assert.Equal(ErrorCode.Conflict, error.Code);
        Assert.Contains("rule 'duplicate'", error.Message);
        Assert.Contains($"as {first.Outcome.Reference}", error.Message);
        Assert.Single(await client.ListSubmissionsAsync("tiny-comp"));

        var again = await Deployer.DeployAsync(request with { Options = new GuardOptions { AllowDuplicate = true } }, target, log, TimeProvider.System);
        Assert.Equal(first.Outcome.PublicScore, again.Outcome.PublicScore);
    }

    [Fact]
    public async Task The_guard_refuses_a_file_that_does_not_match_the_sample_before_uploading()
    {
        var comp = TinyCompetition.Create(_temp.Path);
        await using var server = await TestServers.StartAsync(comp.Dir);
        using var client = TestServers.Client(server);
        var path = _temp.Combine("short.csv");
        File.WriteAllText(path, "row_id,meter_reading\n0,1\n1,2\n");

        await using var ledger = await TestLedgers.OpenAsync(_temp);
        var error = await Assert.ThrowsAsync<EsteiraException>(() => Deployer.DeployAsync(
            new DeployRequest { FilePath = path, SamplePath = comp.SamplePath, Gate = GateSummary.Passed() },
            new KaggleTarget(client, "tiny-comp", "leaderboard"), ledger, TimeProvider.System));

        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains("short.csv:4 column 'row_id': 198 of the sample submission's 200 ids are missing, e.g. row_id '2'; add one row per id", error.Message);
        Assert.Empty(await client.ListSubmissionsAsync("tiny-comp"));
    }

    [Fact]
    public async Task Private_scores_stay_hidden_until_the_reveal_and_then_rank_the_board()
    {
        var comp = TinyCompetition.Create(_temp.Path, config: "deadline: 2026-07-01T00:00:00Z\nprivate_reveal: 2026-07-02T00:00:00Z\n");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 20, 12, 0, 0, TimeSpan.Zero));
        await using var server = await TestServers.StartAsync(comp.Dir, time);
        using var alice = TestServers.Client(server);
        using var bob = TestServers.Client(server, "bob", "hunter2");
        var a = _temp.Combine("a.csv");
        var b = _temp.Combine("b.csv");

        // alice is better on the public half, bob on the private half.
        var pa = comp.WriteSubmission(a, (i, y) => i < comp.PublicRows ? y : y * 2);
        var pb = comp.WriteSubmission(b, (i, y) => i < comp.PublicRows ? y * 1.5f : y);
        var sa = await alice.SubmitAsync("tiny-comp", a, "a");
        var sb = await bob.SubmitAsync("tiny-comp", b, "b");

        Assert.Null(sa.PrivateScore);
        Assert.Null((await alice.GetSubmissionAsync(sa.Ref)).PrivateScore);
        Assert.All(await alice.ListSubmissionsAsync("tiny-comp"), s => Assert.Null(s.PrivateScore));
        Assert.Equal(["alice", "bob"], (await bob.GetLeaderboardAsync("tiny-comp")).Select(r => r.TeamName));

        time.SetUtcNow(new DateTimeOffset(2026, 7, 1, 12, 0, 0, TimeSpan.Zero));
        var closed = await Assert.ThrowsAsync<EsteiraException>(() => alice.SubmitAsync("tiny-comp", a, "late"));
        Assert.Equal(ErrorCode.Forbidden, closed.Code);
        Assert.Null((await alice.GetSubmissionAsync(sa.Ref)).PrivateScore);

        time.SetUtcNow(new DateTimeOffset(2026, 7, 2, 0, 0, 1, TimeSpan.Zero));
        var revealed = await alice.GetSubmissionAsync(sa.Ref);
        var privateHalf = comp.PublicRows..;
        Assert.Equal(Rmsle.Compute(pa.AsSpan(privateHalf), comp.Actual.AsSpan(privateHalf)), Score(revealed.PrivateScore), 5);
        var board = await alice.GetLeaderboardAsync("tiny-comp");
        Assert.Equal(["bob", "alice"], board.Select(r => r.TeamName));
        Assert.Equal(Rmsle.Compute(pb.AsSpan(privateHalf), comp.Actual.AsSpan(privateHalf)), Score(board[0].Score), 5);
        Assert.Equal(["alice", "bob"], (await alice.GetLeaderboardAsync("tiny-comp", overridePublic: true)).Select(r => r.TeamName));
        _ = sb;
    }

    [Fact]
    public async Task A_team_never_sees_another_teams_submissions()
    {
        var comp = TinyCompetition.Create(_temp.Path);
        await using var server = await TestServers.StartAsync(comp.Dir);
        using var alice = TestServers.Client(server);
        using var bob = TestServers.Client(server, "bob", "hunter2");
        var path = _temp.Combine("a.csv");
        comp.WriteSubmission(path, (_, y) => y);
        var mine = await alice.SubmitAsync("tiny-comp", path, "alice's secret idea");

        Assert.Empty(await bob.ListSubmissionsAsync("tiny-comp"));
        var error = await Assert.ThrowsAsync<EsteiraException>(() => bob.GetSubmissionAsync(mine.Ref));
        Assert.Contains("HTTP 404", error.Message);
        Assert.DoesNotContain("secret idea", error.Message);

        // Bob cannot create a submission from alice's upload token either.
        using var http = new HttpClient();
        using var start = await http.SendAsync(Rpc(server, "StartSubmissionUpload", new { competitionName = "tiny-comp", fileName = "x.csv", contentLength = 5 }));
        var slot = await start.Content.ReadFromJsonAsync<StartSubmissionUploadResponse>(KaggleJson.Options);
        using var put = await http.PutAsync(slot!.CreateUrl, new ByteArrayContent("12345"u8.ToArray()));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using var steal = await http.SendAsync(Rpc(server, "CreateSubmission", new { competitionName = "tiny-comp", blobFileTokens = slot.Token }, "bob", "hunter2"));
        Assert.Equal(HttpStatusCode.NotFound, steal.StatusCode);

        // The leaderboard is public: bob sees alice's best public score, nothing else.
        Assert.Equal("alice", Assert.Single(await bob.GetLeaderboardAsync("tiny-comp")).TeamName);
    }

    [Fact]
    public async Task Wrong_or_missing_credentials_get_401_and_a_bearer_key_works()
    {
        var comp = TinyCompetition.Create(_temp.Path);
        await using var server = await TestServers.StartAsync(comp.Dir);

        using var wrong = TestServers.Client(server, "alice", "not-the-key");
        var error = await Assert.ThrowsAsync<EsteiraException>(() => wrong.ListSubmissionsAsync("tiny-comp"));
        Assert.Equal(ErrorCode.Unauthorized, error.Code);
        Assert.Contains("HTTP 401", error.Message);
        Assert.DoesNotContain("not-the-key", error.Message);

        using var unknown = TestServers.Client(server, "mallory", "s3cret");
        Assert.Equal(ErrorCode.Unauthorized, (await Assert.ThrowsAsync<EsteiraException>(() => unknown.GetCompetitionAsync("tiny-comp"))).Code);

        using var http = new HttpClient();
        using var missing = await http.SendAsync(Rpc(server, "ListSubmissions", new { competitionName = "tiny-comp" }, user: null));
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Contains("missing credentials", await missing.Content.ReadAsStringAsync());
        Assert.NotEmpty(missing.Headers.WwwAuthenticate);

        using var bearer = TestServers.BearerClient(server, "hunter2");
        Assert.Empty(await bearer.ListSubmissionsAsync("tiny-comp"));

        using var introspect = await http.PostAsJsonAsync(new Uri(server.Addresses[0], "/api/v1/security.OAuthService/IntrospectToken"), new { token = "hunter2" });
        var answer = await introspect.Content.ReadFromJsonAsync<IntrospectTokenResponse>(KaggleJson.Options);
        Assert.True(answer!.Active);
        Assert.Equal("bob", answer.Username);
    }

    [Fact]
    public async Task A_restart_loses_nothing_pending_work_is_scored_and_open_upload_slots_still_work()
    {
        var comp = TinyCompetition.Create(_temp.Path, config: "daily_limit: 3\n");
        var path = _temp.Combine("s.csv");
        comp.WriteSubmission(path, (_, y) => y + 2);
        long pendingRef;
        StartSubmissionUploadResponse? slot;
        using var http = new HttpClient();

        await using (var first = await TestServers.StartAsync(comp.Dir, scoring: false))
        {
            using var client = TestServers.Client(first);
            pendingRef = await client.UploadAndCreateAsync("tiny-comp", path, "before restart");
            using var start = await http.SendAsync(Rpc(first, "StartSubmissionUpload", new { competitionName = "tiny-comp", fileName = "s.csv", contentLength = new FileInfo(path).Length }));
            slot = await start.Content.ReadFromJsonAsync<StartSubmissionUploadResponse>(KaggleJson.Options);
            using var put = await http.PutAsync(slot!.CreateUrl, new ByteArrayContent(await File.ReadAllBytesAsync(path)));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        await using var second = await TestServers.StartAsync(comp.Dir);
        using var again = TestServers.Client(second);
        var scored = await again.WaitForScoreAsync(pendingRef);
        Assert.Equal(SubmissionStatus.Complete, scored.State);
        Assert.Equal("before restart", scored.Description);

        using var create = await http.SendAsync(Rpc(second, "CreateSubmission", new { competitionName = "tiny-comp", blobFileTokens = slot.Token, submissionDescription = "after restart" }));
        Assert.Equal(HttpStatusCode.OK, create.StatusCode);
        var created = await create.Content.ReadFromJsonAsync<CreateSubmissionResponse>(KaggleJson.Options);
        Assert.Equal(SubmissionStatus.Complete, (await again.WaitForScoreAsync(created!.Ref)).State);

        var limits = await again.GetSubmissionLimitsAsync("tiny-comp");
        Assert.Equal(2, limits!.TodayCount);
        Assert.Equal(1, limits.RemainingToday);
    }

    [Fact]
    public async Task Oversized_uploads_are_refused_with_413()
    {
        var comp = TinyCompetition.Create(_temp.Path, rows: 300);
        await using var server = await TestServers.StartAsync(comp.Dir, maxUploadBytes: 1000);
        using var client = TestServers.Client(server);
        var path = _temp.Combine("big.csv");
        comp.WriteSubmission(path, (_, y) => y);

        var error = await Assert.ThrowsAsync<EsteiraException>(() => client.SubmitAsync("tiny-comp", path, "too big"));
        Assert.Contains("HTTP 413", error.Message);
        Assert.Contains("upload limit", error.Message);

        // Lying about the length does not help: the PUT itself is cut off at the limit.
        using var http = new HttpClient();
        using var start = await http.SendAsync(Rpc(server, "StartSubmissionUpload", new { competitionName = "tiny-comp", fileName = "x.csv", contentLength = 10 }));
        var slot = await start.Content.ReadFromJsonAsync<StartSubmissionUploadResponse>(KaggleJson.Options);
        using var put = await http.PutAsync(slot!.CreateUrl, new ByteArrayContent(new byte[5000]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, put.StatusCode);
        using var wrongLength = await http.PutAsync(slot.CreateUrl, new ByteArrayContent(new byte[20]));
        Assert.Equal(HttpStatusCode.BadRequest, wrongLength.StatusCode);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(comp.Dir, ".leaderboard", "uploads", "incoming")));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("..")]
    [InlineData("sub/../../x.csv")]
    [InlineData("C:\\Windows\\x.csv")]
    [InlineData("/etc/passwd")]
    public async Task File_names_that_try_to_leave_the_storage_folder_are_refused(string fileName)
    {
        var comp = TinyCompetition.Create(_temp.Path);
        await using var server = await TestServers.StartAsync(comp.Dir);
        using var http = new HttpClient();

        using var start = await http.SendAsync(Rpc(server, "StartSubmissionUpload", new { competitionName = "tiny-comp", fileName, contentLength = 10 }));

        Assert.Equal(HttpStatusCode.BadRequest, start.StatusCode);
        Assert.Contains("plain file name", await start.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Data_files_are_listed_and_downloaded_but_the_solution_and_traversal_are_not()
    {
        var comp = TinyCompetition.Create(_temp.Path, config: "title: Tiny\n");
        await using var server = await TestServers.StartAsync(comp.Dir);
        using var client = TestServers.Client(server);

        var files = await client.ListDataFilesAsync("tiny-comp");
        Assert.Equal(["building_metadata.csv", "sample_submission.csv", "test.csv"], files.Select(f => f.Name));

        var target = Path.Combine(_temp.Path, "cache");
        var paths = await client.DownloadCompetitionFilesAsync("tiny-comp", target);
        Assert.Equal(3, paths.Count);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(comp.Dir, "test.csv")), await File.ReadAllBytesAsync(Path.Combine(target, "test.csv")));

        foreach (var name in new[] { "solution.csv", "../solution.csv", "competition.yaml", ".leaderboard/state.db" })
        {
            var error = await Assert.ThrowsAsync<EsteiraException>(() => client.DownloadDataFileAsync("tiny-comp", Path.GetFileName(name), target));
            Assert.Contains("HTTP 404", error.Message);
        }

        using var http = new HttpClient();
        using var forged = await http.GetAsync(new Uri(server.Addresses[0], "/files/tiny-comp/solution.csv?expires=9999999999&sig=00"));
        Assert.Equal(HttpStatusCode.NotFound, forged.StatusCode);
    }

    [Fact]
    public async Task The_leaderboard_downloads_as_a_zip_with_a_content_length()
    {
        var comp = TinyCompetition.Create(_temp.Path);
        await using var server = await TestServers.StartAsync(comp.Dir);
        using var client = TestServers.Client(server);
        var path = _temp.Combine("s.csv");
        comp.WriteSubmission(path, (_, y) => y * 1.1f);
        var scored = await client.SubmitAsync("tiny-comp", path, "x");

        using var http = new HttpClient();
        using var response = await http.SendAsync(Rpc(server, "DownloadLeaderboard", new { competitionName = "tiny-comp" }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(bytes.Length, response.Content.Headers.ContentLength);
        using var zip = new ZipArchive(new MemoryStream(bytes));
        using var reader = new StreamReader(zip.Entries.Single().Open());
        var lines = (await reader.ReadToEndAsync()).Trim().Split('\n');
        Assert.Equal("TeamId,TeamName,SubmissionDate,Score", lines[0]);
        Assert.EndsWith($",alice,{lines[1].Split(',')[2]},{scored.PublicScore}", lines[1]);
    }

    [Fact]
    [Trait("Needs", "postgres")]
    public async Task State_can_live_in_PostgreSQL()
    {
        var connection = TestServices.Postgres;
        var name = "pg-" + Guid.NewGuid().ToString("N")[..10];
        var comp = TinyCompetition.Create(_temp.Path, name: name);
        var path = _temp.Combine("s.csv");
        comp.WriteSubmission(path, (_, y) => y);

        await using (var server = await TestServers.StartAsync(comp.Dir, state: "postgresql:" + connection))
        {
            using var client = TestServers.Client(server);
            Assert.Equal(SubmissionStatus.Complete, (await client.SubmitAsync(name, path, "pg")).State);
        }

        await using var restarted = await TestServers.StartAsync(comp.Dir, state: "postgresql:" + connection);
        using var again = TestServers.Client(restarted);
        Assert.Equal("pg", Assert.Single(await again.ListSubmissionsAsync(name)).Description);
    }

    // ---- the stock Kaggle CLI's wire shapes (issue 13) ----

    [Fact]
    public async Task A_file_with_every_field_quoted_as_pandas_QUOTE_ALL_writes_it_passes_the_guard_and_is_scored()
    {
        var comp = TinyCompetition.Create(_temp.Path);
        await using var server = await TestServers.StartAsync(comp.Dir);
        using var client = TestServers.Client(server);
        var plain = _temp.Combine("plain.csv");
        comp.WriteSubmission(plain, (i, y) => (y * 0.8f) + (i % 4));
        var quoted = _temp.Combine("quoted.csv");
        await File.WriteAllLinesAsync(quoted, (await File.ReadAllLinesAsync(plain)).Select(line => string.Join(',', line.Split(',').Select(f => $"\"{f}\""))));
        Assert.StartsWith("\"row_id\",\"meter_reading\"\n\"0\",\"", (await File.ReadAllTextAsync(quoted)).ReplaceLineEndings("\n"), StringComparison.Ordinal);
        var expected = await client.SubmitAsync("tiny-comp", plain, "plain");

        await using var ledger = await TestLedgers.OpenAsync(_temp);
        var outcome = await Deployer.DeployAsync(
            new DeployRequest { FilePath = quoted, SamplePath = comp.SamplePath, Gate = GateSummary.Passed(), Options = new GuardOptions { AllowDuplicate = true } },
            new KaggleTarget(client, "tiny-comp", "leaderboard"), ledger, TimeProvider.System);

        Assert.Equal(SubmissionStatus.Complete, outcome.Outcome.State);
        Assert.Equal(expected.PublicScore, outcome.Outcome.PublicScore);
    }

    [Fact]
    public async Task Competitions_list_page_2_is_empty_so_a_script_paging_until_empty_stops()
    {
        var comp = TinyCompetition.Create(_temp.Path);
        await using var server = await TestServers.StartAsync(comp.Dir);
        using var http = new HttpClient();

        async Task<ListCompetitionsResponse> PageAsync(object body)
        {
            using var response = await http.SendAsync(Rpc(server, "ListCompetitions", body));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<ListCompetitionsResponse>(KaggleJson.Options))!;
        }

        // What `kaggle competitions list --page N` sends.
        object Wire(int page) => new { group = "COMPETITION_LIST_TAB_EVERYTHING", category = "HOST_SEGMENT_UNSPECIFIED", sortBy = "COMPETITION_SORT_BY_BEST", search = "", page };
        Assert.Equal("tiny-comp", Assert.Single((await PageAsync(Wire(1))).Competitions).Ref);
        Assert.Empty((await PageAsync(Wire(2))).Competitions);
        Assert.Empty((await PageAsync(Wire(3))).Competitions);
        Assert.Single((await PageAsync(new { search = "", page = -1 })).Competitions);
        var first = await PageAsync(new { pageSize = 1 });
        Assert.Single(first.Competitions);
        Assert.Equal("", first.NextPageToken);
    }

    [Fact]
    public async Task DownloadDataFiles_redirects_to_a_zip_of_every_data_file_and_never_the_solution()
    {
        var comp = TinyCompetition.Create(_temp.Path, config: "title: Tiny\n");
        await using var server = await TestServers.StartAsync(comp.Dir);
        using var http = new HttpClient();

        // The stock CLI POSTs, follows the 302 with a GET and saves the body as <competition>.<extension of the final URL>.
        using var response = await http.SendAsync(Rpc(server, "DownloadDataFiles", new { competitionName = "tiny-comp" }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.EndsWith("/tiny-comp.zip", response.RequestMessage!.RequestUri!.AbsolutePath, StringComparison.Ordinal);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(bytes.Length, response.Content.Headers.ContentLength);
        Assert.NotNull(response.Content.Headers.LastModified);
        using var zip = new ZipArchive(new MemoryStream(bytes));
        Assert.Equal(["building_metadata.csv", "sample_submission.csv", "test.csv"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        foreach (var entry in zip.Entries)
        {
            using var content = new MemoryStream();
            await using (var stream = await entry.OpenAsync())
            {
                await stream.CopyToAsync(content);
            }

            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(comp.Dir, entry.FullName)), content.ToArray());
        }

        // The same bytes again (built once), and a forged or altered link is refused.
        using var again = await http.SendAsync(Rpc(server, "DownloadDataFiles", new { competitionName = "tiny-comp" }));
        Assert.Equal(bytes, await again.Content.ReadAsByteArrayAsync());
        using var forged = await http.GetAsync(new Uri(server.Addresses[0], "/data/tiny-comp.zip?expires=9999999999&sig=00"));
        Assert.Equal(HttpStatusCode.NotFound, forged.StatusCode);
        using var unauthenticated = await http.SendAsync(Rpc(server, "DownloadDataFiles", new { competitionName = "tiny-comp" }, user: null));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
    }

    [Fact]
    public async Task A_binary_upload_is_ERROR_with_a_printable_description_that_says_it_is_not_text()
    {
        var comp = TinyCompetition.Create(_temp.Path);
        await using var server = await TestServers.StartAsync(comp.Dir);
        using var client = TestServers.Client(server);
        var path = _temp.Combine("model.csv");
        await File.WriteAllBytesAsync(path, Enumerable.Range(0, 1024).Select(i => (byte)((i * 7) % 256)).ToArray());

        var result = await client.SubmitAsync("tiny-comp", path, "oops, the model");

        Assert.Equal(SubmissionStatus.Error, result.State);
        Assert.StartsWith("line 1 is not text: it starts with the bytes 00 07 0E 15 1C 23 2A 31 …", result.ErrorDescription, StringComparison.Ordinal);
        Assert.DoesNotContain(result.ErrorDescription!, char.IsControl);
    }

    [Fact]
    public async Task Of_four_concurrent_PUTs_to_one_upload_URL_exactly_one_wins_and_the_rest_get_409()
    {
        var comp = TinyCompetition.Create(_temp.Path);
        await using var server = await TestServers.StartAsync(comp.Dir);
        using var http = new HttpClient();
        var bodies = Enumerable.Range(1, 4)
            .Select(k => Encoding.UTF8.GetBytes("row_id,meter_reading\n" + string.Concat(Enumerable.Range(0, comp.Actual.Length).Select(i => $"{i},{k}.000\n"))))
            .ToList();
        using var start = await http.SendAsync(Rpc(server, "StartSubmissionUpload", new { competitionName = "tiny-comp", fileName = "s.csv", contentLength = bodies[0].Length }));
        var slot = (await start.Content.ReadFromJsonAsync<StartSubmissionUploadResponse>(KaggleJson.Options))!;

        using var go = new Barrier(4);
        var puts = bodies.Select(body => Task.Run(async () =>
        {
            go.SignalAndWait();
            using var put = await http.PutAsync(slot.CreateUrl, new ByteArrayContent(body));
            return put.StatusCode;
        })).ToList();
        var statuses = await Task.WhenAll(puts);

        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.Conflict));

        // The winner's bytes are the ones scored.
        var winner = Array.IndexOf(statuses, HttpStatusCode.OK) + 1;
        using var create = await http.SendAsync(Rpc(server, "CreateSubmission", new { competitionName = "tiny-comp", blobFileTokens = slot.Token, submissionDescription = "race" }));
        var created = (await create.Content.ReadFromJsonAsync<CreateSubmissionResponse>(KaggleJson.Options))!;
        using var client = TestServers.Client(server);
        var scored = await client.WaitForScoreAsync(created.Ref);
        var expected = Rmsle.Compute(Enumerable.Repeat((float)winner, comp.PublicRows).ToArray(), comp.Actual.AsSpan(0, comp.PublicRows));
        Assert.Equal(expected, Score(scored.PublicScore), 4);
    }
}
