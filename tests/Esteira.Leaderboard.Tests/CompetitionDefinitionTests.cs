using Xunit;

namespace Esteira.Leaderboard.Tests;

public sealed class CompetitionDefinitionTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Without_a_config_the_defaults_apply()
    {
        var comp = TinyCompetition.Create(_temp.Path, name: "my-comp");
        var definition = CompetitionDefinition.Load(comp.Dir);

        Assert.Equal("my-comp", definition.Name);
        Assert.Equal(EvalMetric.Rmsle, definition.Metric);
        Assert.Equal(5, definition.DailyLimit);
        Assert.Null(definition.Deadline);
        Assert.False(definition.IsRevealed(DateTimeOffset.MaxValue));
        Assert.False(definition.CountFormatErrors);
    }

    [Fact]
    public void The_limits_that_keep_one_team_from_stalling_the_server_have_defaults_and_can_be_set()
    {
        var defaults = CompetitionDefinition.Load(TinyCompetition.Create(_temp.Path, name: "plain").Dir);
        Assert.Equal(
            (TimeSpan.FromSeconds(120), 2, TimeSpan.FromHours(1), 2 * defaults.MaxUploadBytes, 10, TimeSpan.FromSeconds(60)),
            (defaults.ScoringTimeout, defaults.ScoringWorkers, defaults.UploadExpiry, defaults.EffectiveUploadQuotaBytes, defaults.LoginMaxFailures, defaults.LoginWindow));

        var set = CompetitionDefinition.Load(TinyCompetition.Create(_temp.Path, name: "set",
            config: "scoring_timeout_seconds: 30\nscoring_workers: 1\nupload_expiry_minutes: 15\nupload_quota_mb: 100\nlogin_max_failures: 0\nlogin_window_seconds: 300\n").Dir);
        Assert.Equal(
            (TimeSpan.FromSeconds(30), 1, TimeSpan.FromMinutes(15), 100L << 20, 0, TimeSpan.FromSeconds(300)),
            (set.ScoringTimeout, set.ScoringWorkers, set.UploadExpiry, set.EffectiveUploadQuotaBytes, set.LoginMaxFailures, set.LoginWindow));
        Assert.Equal(set.UploadExpiry, set.WithMaxUploadBytes(5).UploadExpiry);

        var bad = TinyCompetition.Create(_temp.Path, name: "bad", config: "scoring_workers: 0\n");
        var error = Assert.Throws<EsteiraException>(() => CompetitionDefinition.Load(bad.Dir));
        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains("scoring_workers 1-64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Yaml_and_json_configs_set_every_key_and_teams_can_take_keys_from_the_environment()
    {
        var comp = TinyCompetition.Create(_temp.Path, config: "name: renamed\nmetric: mae\ndaily_limit: 0\ndeadline: 2026-01-01T00:00:00Z\ncount_format_errors: true\nteams:\n  - name: alice\n    key_env: ALICE_KEY\n");
        var definition = CompetitionDefinition.Load(comp.Dir, new Dictionary<string, string?> { ["ALICE_KEY"] = "from-env" });
        Assert.Equal("renamed", definition.Name);
        Assert.Equal(EvalMetric.Mae, definition.Metric);
        Assert.Equal(0, definition.DailyLimit);
        Assert.Equal(definition.Deadline, definition.PrivateReveal);
        Assert.Equal("from-env", Assert.Single(definition.Teams).Key);

        var json = TinyCompetition.Create(_temp.Path, name: "json-comp");
        File.WriteAllText(Path.Combine(json.Dir, "competition.json"), "{\"daily_limit\": 3, \"private_reveal\": \"2026-03-01T00:00:00Z\"}");
        var fromJson = CompetitionDefinition.Load(json.Dir);
        Assert.Equal(3, fromJson.DailyLimit);
        Assert.True(fromJson.IsRevealed(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero)));
    }

    [Theory]
    [InlineData("daily_limt: 3\n", "competition.yaml:1")]
    [InlineData("metric: f1\n", "competition.yaml: metric 'f1' is not supported; use one of rmsle, rmse, mae, auc, logloss, accuracy")]
    [InlineData("deadline: soon\n", "deadline 'soon'")]
    [InlineData("teams:\n  - name: alice\n    key_env: NOPE\n", "$NOPE")]
    public void Config_mistakes_name_the_file_and_key(string yaml, string expected)
    {
        var comp = TinyCompetition.Create(_temp.Path, config: yaml);
        var error = Assert.Throws<EsteiraException>(() => CompetitionDefinition.Load(comp.Dir, new Dictionary<string, string?>()));
        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_folder_without_a_solution_is_refused_with_what_to_add()
    {
        Directory.CreateDirectory(_temp.Combine("empty"));
        var error = Assert.Throws<EsteiraException>(() => CompetitionDefinition.Load(_temp.Combine("empty")));
        Assert.Contains("row_id,meter_reading,Usage", error.Message);
    }

    [Fact]
    public void Team_arguments_parse_and_never_print_the_key()
    {
        var team = TeamKey.Parse("alice:s3:cret");
        Assert.Equal("alice", team.Name);
        Assert.Equal("s3:cret", team.Key);
        Assert.DoesNotContain("cret", team.ToString());
        Assert.Throws<EsteiraException>(() => TeamKey.Parse("alice"));
        Assert.Throws<EsteiraException>(() => TeamKey.Parse("../x:key"));
    }

    [Fact]
    public void State_uris_choose_the_store_and_hide_passwords()
    {
        Assert.IsType<SqliteLeaderboardStore>(StateLocation.Open("sqlite:" + _temp.Combine("s.db")));
        var npgsql = StateLocation.ToNpgsql("postgresql://bob:p%40ss@db.example:5433/lb?sslmode=disable");
        Assert.Contains("Host=db.example", npgsql);
        Assert.Contains("Port=5433", npgsql);
        Assert.Contains("Database=lb", npgsql);
        Assert.Contains("Password=p@ss", npgsql);
        Assert.Equal("postgresql://bob:****@db.example/lb", StateLocation.Mask("postgresql://bob:secret@db.example/lb"));
        var error = Assert.Throws<EsteiraException>(() => StateLocation.Open("mysql://x"));
        Assert.Contains("sqlite:", error.Message);
    }
}
