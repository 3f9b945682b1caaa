using Esteira.Deploy.Kaggle;
using Esteira.Leaderboard;
using Esteira.Pipeline.Deployment;

namespace Esteira.Deploy.Tests;

/// <summary>Starts our leaderboard server on a free loopback port.</summary>
public static class TestServers
{
    public static Task<LeaderboardServer> StartAsync(string competitionDir, TimeProvider? time = null, string? state = null, bool scoring = true,
        long? maxUploadBytes = null, params string[] teams) =>
        LeaderboardServer.StartAsync(new LeaderboardServerOptions
        {
            CompetitionDir = competitionDir,
            Teams = (teams.Length == 0 ? ["alice:s3cret", "bob:hunter2"] : teams).Select(TeamKey.Parse).ToList(),
            Urls = "http://127.0.0.1:0",
            State = state,
            Time = time ?? TimeProvider.System,
            ScoringEnabled = scoring,
            MaxUploadBytes = maxUploadBytes,
            Environment = new Dictionary<string, string?>(),
            ConfigureLogging = _ => { },
        });

    public static KaggleClient Client(LeaderboardServer server, string user = "alice", string key = "s3cret", TimeProvider? time = null) =>
        new(new KaggleClientOptions
        {
            ApiBase = KaggleEndpoint.FromServer(server.Addresses[0].ToString()),
            Credentials = KaggleCredentials.ApiKey(user, key, "test"),
            ServiceName = "leaderboard",
            PollInterval = TimeSpan.FromMilliseconds(20),
            MaxPollInterval = TimeSpan.FromMilliseconds(100),
            ScoreTimeout = TimeSpan.FromSeconds(30),
            Time = time ?? TimeProvider.System,
        });

    public static KaggleClient BearerClient(LeaderboardServer server, string token) =>
        new(new KaggleClientOptions
        {
            ApiBase = KaggleEndpoint.FromServer(server.Addresses[0].ToString()),
            Credentials = KaggleCredentials.AccessToken(token, "test"),
            ServiceName = "leaderboard",
            PollInterval = TimeSpan.FromMilliseconds(20),
        });
}

/// <summary>The guard's history as every deploy has it: the submission ledger of a SQLite tracking store in a temp folder.</summary>
public static class TestLedgers
{
    public static Task<LedgerHistory> OpenAsync(TempFolder temp, TimeProvider? time = null, Action<string>? report = null) =>
        LedgerHistory.OpenAsync(temp.Combine(Path.Combine(".esteira", "esteira.db")), temp.Path, time, report);
}
