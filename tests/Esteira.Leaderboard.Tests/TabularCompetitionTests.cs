using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Esteira.Deploy;
using Esteira.Data.Submissions;
using Esteira.Deploy.Guard;
using Esteira.Deploy.Targets;
using Xunit;

namespace Esteira.Leaderboard.Tests;

/// <summary>
/// A Kaggle-style tabular competition (ids of any kind, any metric of the catalog) on the submission check, the scorer
/// and the leaderboard server.
/// </summary>
public sealed class TabularCompetitionTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Writes a competition folder: sample (ID,TARGET), solution (ID,TARGET,Usage), test.csv and competition.yaml.</summary>
    private string Competition(string name, string idColumn, string valueColumn, (string Id, double Truth, string Usage)[] rows, string config)
    {
        var dir = _temp.Combine(name);
        Directory.CreateDirectory(dir);
        static string Cell(string id) => id.Contains(',', StringComparison.Ordinal) || id.Contains('"', StringComparison.Ordinal) ? $"\"{id.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : id;
        File.WriteAllText(Path.Combine(dir, "sample_submission.csv"), $"{idColumn},{valueColumn}\n" + string.Concat(rows.Select(r => $"{Cell(r.Id)},0.5\n")));
        File.WriteAllText(Path.Combine(dir, "solution.csv"), $"{idColumn},{valueColumn},Usage\n" + string.Concat(rows.Select(r => FormattableString.Invariant($"{Cell(r.Id)},{r.Truth},{r.Usage}\n"))));
        File.WriteAllText(Path.Combine(dir, "test.csv"), $"{idColumn},feature\n" + string.Concat(rows.Select(r => $"{Cell(r.Id)},1\n")));
        File.WriteAllText(Path.Combine(dir, "competition.yaml"), config);
        return dir;
    }

    private static readonly (string Id, double Truth, string Usage)[] Hours =
    [
        ("2011-01-20 00:00:00", 0, "Public"),
        ("2011-01-20 01:00:00", 1, "Public"),
        ("2011-01-20 02:00:00", 3, "Public"),
        ("2011-01-20 03:00:00", 7, "Private"),
        ("2011-01-20 04:00:00", 15, "Private"),
        ("2011-01-20 05:00:00", 2, "Ignored"),
    ];

    // Public: truths 1,0,1,0; Private: 0,1,1,0. The ids hold a comma and a doubled quote (RFC 4180).
    private static readonly (string Id, double Truth, string Usage)[] Labels =
    [
        ("a", 1, "Public"),
        ("b", 0, "Public"),
        ("x,1", 1, "Public"),
        ("q\"1", 0, "Public"),
        ("p1", 0, "Private"),
        ("p2", 1, "Private"),
        ("p3", 1, "Private"),
        ("p4", 0, "Private"),
    ];

    private static double Log1p(double x) => Math.Log(1 + x);

    [Fact]
    public void Timestamp_ids_score_rmsle_to_the_hand_computed_value_in_any_row_order_quoted_or_gzipped()
    {
        // Given a solution keyed by timestamps and a submission in another order, some ids quoted, gzipped
        var dir = Competition("bikes", "datetime", "count", Hours, "metric: rmsle\n");
        var path = _temp.Combine("sub.csv.gz");
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        {
            gz.Write(Encoding.UTF8.GetBytes("datetime,count\n\"2011-01-20 05:00:00\",9\n2011-01-20 02:00:00,0\n2011-01-20 00:00:00,1\n\"2011-01-20 01:00:00\",1\n2011-01-20 04:00:00,15\n2011-01-20 03:00:00,3\n"));
        }

        // When it is scored
        var solution = ReferenceRows.LoadSolution(Path.Combine(dir, "solution.csv"), EvalMetric.Rmsle);
        var check = SubmissionScorer.Check(path, solution);

        // Then public = sqrt(((ln 2 − ln 1)² + 0 + (ln 1 − ln 4)²) / 3), private = sqrt(((ln 4 − ln 8)² + 0) / 2)
        Assert.False(solution.IntegerIds);
        Assert.True(check.IsValid, check.Error?.ToString());
        Assert.Equal(6, check.Rows);
        Assert.Equal(Math.Sqrt((Math.Pow(Log1p(1) - Log1p(0), 2) + Math.Pow(Log1p(0) - Log1p(3), 2)) / 3), check.PublicScore!.Value, 6);
        Assert.Equal(Math.Sqrt(Math.Pow(Log1p(3) - Log1p(7), 2) / 2), check.PrivateScore!.Value, 6);
    }

    [Fact]
    public void Auc_and_logloss_equal_the_hand_computed_values_and_string_ids_are_unquoted_as_RFC_4180_says()
    {
        var dir = Competition("churn", "customer", "churned", Labels, "metric: auc\n");
        var path = _temp.Combine("sub.csv");
        File.WriteAllText(path, "customer,churned\na,0.9\nb,0.3\n\"x,1\",0.4\n\"q\"\"1\",0.5\np1,0.2\np2,0.2\np3,0.8\np4,0.1\n");

        var auc = SubmissionScorer.Check(path, ReferenceRows.LoadSolution(Path.Combine(dir, "solution.csv"), EvalMetric.Auc));
        var logloss = SubmissionScorer.Check(path, ReferenceRows.LoadSolution(Path.Combine(dir, "solution.csv"), EvalMetric.LogLoss));

        // Public pairs (positive, negative): (.9,.3) (.9,.5) (.4,.3) win, (.4,.5) loses → 3/4.
        // Private: (.2,.2) ties → ½, (.2,.1) (.8,.2) (.8,.1) win → 3.5/4.
        Assert.True(auc.IsValid, auc.Error?.ToString());
        Assert.Equal(0.75, auc.PublicScore!.Value, 12);
        Assert.Equal(0.875, auc.PrivateScore!.Value, 12);
        var expected = -(Math.Log(0.9) + Math.Log(1 - 0.3) + Math.Log(0.4) + Math.Log(1 - 0.5)) / 4;
        Assert.Equal(expected, logloss.PublicScore!.Value, 6);
    }

    [Fact]
    public void Auc_accepts_any_finite_score_but_logloss_wants_probabilities()
    {
        var dir = Competition("churn", "customer", "churned", Labels, "metric: auc\n");
        var path = _temp.Combine("sub.csv");
        File.WriteAllText(path, "customer,churned\na,9\nb,-3\n\"x,1\",4\n\"q\"\"1\",5\np1,-2\np2,-2\np3,8\np4,-11\n");

        var auc = SubmissionScorer.Check(path, ReferenceRows.LoadSample(Path.Combine(dir, "sample_submission.csv"), EvalMetric.Auc));
        var logloss = SubmissionScorer.Check(path, ReferenceRows.LoadSample(Path.Combine(dir, "sample_submission.csv"), EvalMetric.LogLoss));

        Assert.True(auc.IsValid, auc.Error?.ToString());
        Assert.Equal("line 2 column 'churned': '9' is not a probability: a finite number within [0, 1]", logloss.Error?.ToString());
    }

    [Theory]
    [InlineData("datetime,count\n2011-01-20 00:00:00,1\n2011-01-20 00:00:00,2\n", 3, "datetime", "datetime '2011-01-20 00:00:00' appears more than once; keep one row per id")]
    [InlineData("datetime,count\n2011-01-20 00:00:00,1\n2011-01-21 00:00:00,2\n", 3, "datetime", "datetime '2011-01-21 00:00:00' is not in the sample submission; submit exactly its ids")]
    [InlineData("datetime,count\n2011-01-20 00:00:00,1\n2011-01-20 01:00:00,1\n2011-01-20 02:00:00,1\n2011-01-20 03:00:00,1\n2011-01-20 04:00:00,1\n", 7, "datetime",
        "1 of the sample submission's 6 ids are missing, e.g. datetime '2011-01-20 05:00:00'; add one row per id")]
    [InlineData("id,count\n2011-01-20 00:00:00,1\n", 1, "id", "header is 'id,count', expected 'datetime,count'")]
    [InlineData("datetime,count\n2011-01-20 00:00:00,1\n2011-01-20 01:00:00,inf\n", 3, "count", "'inf' is not a finite number ≥ 0")]
    [InlineData("datetime,count\n2011-01-20 00:00:00,NaN\n", 2, "count", "'NaN' is not a finite number ≥ 0")]
    public async Task The_guards_check_names_file_line_and_column_in_one_line(string content, long line, string column, string problem)
    {
        // Given the sample of a timestamp-keyed competition and a bad file beside nothing
        var dir = Competition("bikes", "datetime", "count", Hours, "metric: rmsle\n");
        var path = _temp.Combine("submission.csv");
        File.WriteAllText(path, content);
        var request = new DeployRequest { FilePath = path, SamplePath = Path.Combine(dir, "sample_submission.csv"), Gate = GateSummary.Passed() };

        // When the guard gathers its facts and decides
        await using var ledger = await TestLedgers.OpenAsync(_temp);
        var facts = await Deployer.GatherFactsAsync(request, new FolderTarget(_temp.Combine("handoff"), "bikes", TimeProvider.System), ledger, TimeProvider.System);
        var refusal = Assert.Single(SubmissionGuard.Evaluate(facts, new GuardOptions()).Refusals);

        // Then rule 'check' refuses with one line: file:line column 'name': problem; remedy
        Assert.Equal(line, facts.FormatError!.Line);
        Assert.Equal(column, facts.FormatError.Column);
        Assert.Equal("check", refusal.Rule);
        Assert.StartsWith($"submission.csv:{line} column '{column}': {problem}", refusal.Message);
        Assert.DoesNotContain('\n', refusal.Message);
    }

    [Fact]
    public void Dense_integer_ids_keep_the_array_path_and_other_ids_switch_to_the_dictionary()
    {
        var dense = Competition("dense", "PassengerId", "Survived", [("892", 0, "Public"), ("893", 1, "Public"), ("894", 0, "Private"), ("895", 1, "Private")], "metric: accuracy\n");
        var padded = Competition("padded", "id", "y", [("1", 0, "Public"), ("2", 1, "Public"), ("003", 0, "Private"), ("4", 1, "Private")], "metric: accuracy\n");
        var path = _temp.Combine("sub.csv");
        File.WriteAllText(path, "id,y\n003,0.1\n1,0.2\n2,0.7\n4,0.4\n");

        Assert.True(ReferenceRows.LoadSolution(Path.Combine(dense, "solution.csv"), EvalMetric.Accuracy).IntegerIds);
        var rows = ReferenceRows.LoadSolution(Path.Combine(padded, "solution.csv"), EvalMetric.Accuracy);
        Assert.False(rows.IntegerIds);
        var check = SubmissionScorer.Check(path, rows);
        Assert.True(check.IsValid, check.Error?.ToString());
        Assert.Equal(1.0, check.PublicScore!.Value, 12);
        Assert.Equal(0.5, check.PrivateScore!.Value, 12);
    }

    [Theory]
    [InlineData("rmsle")]
    [InlineData("rmse")]
    [InlineData("mae")]
    [InlineData("logloss")]
    [InlineData("accuracy")]
    [InlineData("auc")]
    public void Every_metric_scores_as_EvalMetric_does_for_integer_and_string_ids(string name)
    {
        // The streamed metrics (rmsle, rmse, mae) must agree with the catalog's one implementation too.
        var metric = EvalMetric.Parse(name, "test");
        var random = new Random(11);
        var truth = Enumerable.Range(0, 60).Select(i => metric.Classification ? i % 3 == 0 ? 1.0 : 0.0 : Math.Round(random.NextDouble() * 50, 2)).ToArray();
        var predicted = truth.Select(t => metric.Classification ? Math.Round(Math.Clamp((t * 0.6) + (random.NextDouble() * 0.5), 0, 1), 3) : Math.Round(t * (0.7 + (random.NextDouble() * 0.6)), 3)).ToArray();
        foreach (var prefix in new[] { "", "id-" })
        {
            var dir = Competition($"{name}{prefix}", "id", "y", truth.Select((t, i) => ($"{prefix}{i}", t, i % 2 == 0 ? "Public" : "Private")).ToArray(), $"metric: {name}\n");
            var path = _temp.Combine($"{name}{prefix}.csv");
            File.WriteAllText(path, "y,id\n" + string.Concat(predicted.Select((p, i) => FormattableString.Invariant($"{p},{prefix}{i}\n")).Reverse()));

            var rows = ReferenceRows.LoadSolution(Path.Combine(dir, "solution.csv"), metric);
            var check = SubmissionScorer.Check(path, rows);

            Assert.Equal(prefix.Length == 0, rows.IntegerIds);
            Assert.True(check.IsValid, check.Error?.ToString());
            double[] Half(double[] values, int r) => values.Where((_, i) => i % 2 == r).ToArray();
            Assert.Equal(metric.Score(Half(predicted, 0), Half(truth, 0)), check.PublicScore!.Value, 5);
            Assert.Equal(metric.Score(Half(predicted, 1), Half(truth, 1)), check.PrivateScore!.Value, 5);
        }
    }

    [Fact]
    public void An_auc_solution_whose_board_holds_one_class_is_refused_when_loaded()
    {
        var dir = Competition("one-class", "id", "y", [("a", 1, "Public"), ("b", 1, "Public"), ("c", 0, "Private"), ("d", 1, "Private")], "metric: auc\n");

        var error = Assert.Throws<EsteiraException>(() => ReferenceRows.LoadSolution(Path.Combine(dir, "solution.csv"), EvalMetric.Auc));

        Assert.Contains("solution.csv column 'y': the Public rows hold only positives, so their AUC is undefined", error.Message);
    }

    [Fact]
    public async Task Higher_auc_ranks_first_on_the_public_and_the_private_board_ties_go_to_the_earlier_submission()
    {
        // Given an AUC competition keyed by strings with a deadline and a reveal
        var labels = Enumerable.Range(0, 20).Select(i => ($"cust-{i:00}", (double)(i % 2), i < 10 ? "Public" : "Private")).ToArray();
        var dir = Competition("churn", "customer", "churned", labels, "metric: auc\ndaily_limit: 0\ndeadline: 2026-07-01T00:00:00Z\nprivate_reveal: 2026-07-02T00:00:00Z\n");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 20, 12, 0, 0, TimeSpan.Zero));
        await using var server = await TestServers.StartAsync(dir, time, teams: ["alice:s3cret", "bob:hunter2", "carol:pw"]);
        using var alice = TestServers.Client(server);
        using var bob = TestServers.Client(server, "bob", "hunter2");
        using var carol = TestServers.Client(server, "carol", "pw");

        // alice ranks the public half perfectly and the private half backwards; bob the other way round; carol sends
        // alice's file a minute later (a tie on both boards).
        string Write(string file, Func<int, double> predict)
        {
            var path = _temp.Combine(file);
            File.WriteAllText(path, "customer,churned\n" + string.Concat(Enumerable.Range(0, 20).Select(i => FormattableString.Invariant($"cust-{i:00},{predict(i)}\n"))));
            return path;
        }

        double Perfect(int i) => (i % 2 == 1 ? 0.6 : 0.2) + (i / 100.0);
        var a = Write("a.csv", i => i < 10 ? Perfect(i) : 1 - Perfect(i));
        var b = Write("b.csv", i => i < 10 ? 0.5 + ((i % 3) / 10.0) : Perfect(i));
        var sa = await alice.SubmitAsync("churn", a, "a");
        time.Advance(TimeSpan.FromMinutes(1));
        var sb = await bob.SubmitAsync("churn", b, "b");
        time.Advance(TimeSpan.FromMinutes(1));
        await carol.SubmitAsync("churn", a, "same as alice");

        // Then AUC is the hand-computed value and higher ranks first
        Assert.Equal("1.00000", sa.PublicScore);
        var bPublic = EvalMetric.Auc.Score(Enumerable.Range(0, 10).Select(i => 0.5 + ((i % 3) / 10.0)).ToArray(), Enumerable.Range(0, 10).Select(i => (double)(i % 2)).ToArray());
        Assert.Equal(WireFormat.Score(bPublic), sb.PublicScore);
        Assert.True(bPublic < 1);
        Assert.Equal(["alice", "carol", "bob"], (await bob.GetLeaderboardAsync("churn")).Select(r => r.TeamName));
        Assert.Equal("TeamName:alice,carol,bob", await DownloadedOrder(server, "alice", "s3cret"));

        // After the reveal the private board ranks bob (AUC 1) above alice and carol (AUC 0), alice first of the tie
        time.SetUtcNow(new DateTimeOffset(2026, 7, 2, 0, 0, 1, TimeSpan.Zero));
        var board = await alice.GetLeaderboardAsync("churn");
        Assert.Equal(["bob", "alice", "carol"], board.Select(r => r.TeamName));
        Assert.Equal(["1.00000", "0.00000", "0.00000"], board.Select(r => r.Score));
        Assert.Equal("TeamName:bob,alice,carol", await DownloadedOrder(server, "alice", "s3cret"));
        Assert.Equal(["alice", "carol", "bob"], (await alice.GetLeaderboardAsync("churn", overridePublic: true)).Select(r => r.TeamName));
        Assert.Equal("0.00000", (await alice.GetSubmissionAsync(sa.Ref)).PrivateScore);
    }

    [Theory]
    [InlineData("metric: AUC\n", "auc", MetricGoal.Maximize)]
    [InlineData("metric: logloss\n", "logloss", MetricGoal.Minimize)]
    [InlineData("metric: accuracy\n", "accuracy", MetricGoal.Maximize)]
    [InlineData("title: no metric\n", "rmsle", MetricGoal.Minimize)]
    public void The_competition_metric_is_any_catalog_metric(string config, string name, MetricGoal goal)
    {
        var dir = Competition("c", "id", "y", Labels, config);

        var metric = CompetitionDefinition.Load(dir).Metric;

        Assert.Same(EvalMetric.Find(name), metric);
        Assert.Equal(goal, metric.Goal);
    }

    [Fact]
    public void The_ranking_follows_the_goal_and_breaks_ties_by_time()
    {
        var t0 = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        SubmissionRecord S(long r, string team, double pub, double priv, int minute) => new()
        {
            Ref = r, Team = team, FileName = "f", ContentSha256 = "x", Status = SubmissionStatus.Complete, PublicScore = pub, PrivateScore = priv, SubmittedUtc = t0.AddMinutes(minute),
        };

        // bob's second submission is his best public for a maximised metric, his first for a minimised one.
        SubmissionRecord[] all = [S(1, "alice", 0.8, 0.7, 0), S(2, "bob", 0.7, 0.9, 1), S(3, "bob", 0.85, 0.6, 2), S(4, "carol", 0.8, 0.7, 3)];

        Assert.Equal(["bob", "alice", "carol"], LeaderboardRanking.Rank(all, EvalMetric.Auc, usePrivate: false).Select(e => e.Team));
        Assert.Equal(3, LeaderboardRanking.Rank(all, EvalMetric.Auc, usePrivate: false)[0].Submission.Ref);
        Assert.Equal(["bob", "alice", "carol"], LeaderboardRanking.Rank(all, EvalMetric.Rmse, usePrivate: false).Select(e => e.Team));
        Assert.Equal(2, LeaderboardRanking.Rank(all, EvalMetric.Rmse, usePrivate: false)[0].Submission.Ref);
        Assert.Equal([0.9, 0.7, 0.7], LeaderboardRanking.Rank(all, EvalMetric.Auc, usePrivate: true).Select(e => e.Score));
        Assert.Equal(["bob", "alice", "carol"], LeaderboardRanking.Rank(all, EvalMetric.LogLoss, usePrivate: true).Select(e => e.Team));
    }

    private static async Task<string> DownloadedOrder(LeaderboardServer server, string user, string key)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Addresses[0], "/api/v1/competitions.CompetitionApiService/DownloadLeaderboard"))
        {
            Content = JsonContent.Create(new { competitionName = "churn" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{key}")));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));
        using var reader = new StreamReader(zip.Entries.Single().Open());
        var lines = (await reader.ReadToEndAsync()).Trim().Split('\n');
        return "TeamName:" + string.Join(',', lines.Skip(1).Select(l => l.Split(',')[1]));
    }
}
