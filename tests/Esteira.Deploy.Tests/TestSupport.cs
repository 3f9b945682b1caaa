using System.Globalization;
using System.IO.Compression;
using System.Text;
using Esteira.Deploy.Kaggle;
using Esteira.Leaderboard;

namespace Esteira.Deploy.Tests;

/// <summary>A temporary folder removed at dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "esteira-deploy-tests", Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>A tiny competition in the GEPIII layout: rows 0..n-1, the first half Public, the rest Private.</summary>
public sealed class TinyCompetition
{
    public required string Dir { get; init; }
    public required float[] Actual { get; init; }
    public required int PublicRows { get; init; }

    public static TinyCompetition Create(string parent, string name = "tiny-comp", int rows = 200, string? config = null, bool gzipSolution = false, int seed = 7)
    {
        var dir = System.IO.Path.Combine(parent, name);
        Directory.CreateDirectory(dir);
        var random = new Random(seed);
        var actual = new float[rows];
        var publicRows = rows / 2;
        var test = new StringBuilder("row_id,building_id,meter,timestamp\n");
        var sample = new StringBuilder("row_id,meter_reading\n");
        var solution = new StringBuilder("row_id,meter_reading,Usage\n");
        for (var i = 0; i < rows; i++)
        {
            actual[i] = MathF.Round((float)(random.NextDouble() * 500), 3);
            test.Append(CultureInfo.InvariantCulture, $"{i},{i % 7},0,2017-01-01 {i % 24:00}:00:00\n");
            sample.Append(CultureInfo.InvariantCulture, $"{i},0\n");
            solution.Append(CultureInfo.InvariantCulture, $"{i},{actual[i]},{(i < publicRows ? "Public" : "Private")}\n");
        }

        File.WriteAllText(System.IO.Path.Combine(dir, "test.csv"), test.ToString());
        File.WriteAllText(System.IO.Path.Combine(dir, "sample_submission.csv"), sample.ToString());
        File.WriteAllText(System.IO.Path.Combine(dir, "building_metadata.csv"), "site_id,building_id,primary_use,square_feet,year_built,floor_count\n0,0,Education,100,,\n");
        if (gzipSolution)
        {
            using var gz = new GZipStream(File.Create(System.IO.Path.Combine(dir, "solution.csv.gz")), CompressionLevel.Fastest);
            gz.Write(Encoding.UTF8.GetBytes(solution.ToString()));
        }
        else
        {
            File.WriteAllText(System.IO.Path.Combine(dir, "solution.csv"), solution.ToString());
        }

        if (config is not null)
        {
            File.WriteAllText(System.IO.Path.Combine(dir, "competition.yaml"), config);
        }

        return new TinyCompetition { Dir = dir, Actual = actual, PublicRows = publicRows };
    }

    public string SamplePath => System.IO.Path.Combine(Dir, "sample_submission.csv");

    /// <summary>Writes a submission with predictions f(row, actual).</summary>
    public float[] WriteSubmission(string path, Func<int, float, float> predict, bool gzip = false)
    {
        var predictions = new float[Actual.Length];
        var text = new StringBuilder("row_id,meter_reading\n");
        for (var i = 0; i < Actual.Length; i++)
        {
            predictions[i] = predict(i, Actual[i]);
            text.Append(CultureInfo.InvariantCulture, $"{i},{predictions[i].ToString("R", CultureInfo.InvariantCulture)}\n");
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        if (gzip)
        {
            using var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest);
            gz.Write(bytes);
        }
        else
        {
            File.WriteAllBytes(path, bytes);
        }

        return predictions;
    }
}

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
