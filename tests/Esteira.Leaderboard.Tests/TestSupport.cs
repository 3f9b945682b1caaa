using Esteira.Deploy.Kaggle;

namespace Esteira.Leaderboard.Tests;

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
