using System.Text.Json;
using Esteira.Deploy.Kaggle;
using Esteira.Leaderboard;

namespace Esteira.Cli.Tests;

using Cli = Esteira.Testing.Cli;

/// <summary>
/// The shape of every workspace command's <c>--json</c> output — each key path with the JSON type of its value — equals
/// its file under <c>tests/Esteira.Cli.Tests/golden/json/</c>, so a renamed, dropped or re-cased key shows up as a diff in
/// review (scripts and CI jobs read these objects). Values are not pinned: times, hashes and scores differ per run.
/// After a deliberate change, regenerate and review the diff:
/// <c>ESTEIRA_UPDATE_GOLDEN=1 dotnet test tests/Esteira.Cli.Tests -c Release --filter FullyQualifiedName~JsonShapeTests</c>.
/// <c>leaderboard show --json</c> asks a real leaderboard server, started in-process on a free loopback port.
/// </summary>
public sealed class JsonShapeTests
{
    [Fact]
    [Trait("Category", "Slow")] // several esteira processes end to end (7-17 s): CI runs it, the inner loop does not
    public void Every_workspace_commands_json_has_the_shape_of_its_golden_file()
    {
        // Given a workspace that ran twice (so that there are two runs to compare and a champion to deploy)
        using var ds = new TempDataset();
        var root = TestWorkspace.Create(ds);
        using var store = new TempFolder();
        string[][] commands =
        [
            ["run", "--json"],
            ["run", "--force", "train", "--json"],
            ["plan", "--json"],
            ["runs", "list", "--json"],
            ["runs", "compare", "1", "2", "--json"],
            ["promote", "2", "--reason", "json shape", "--json"],
            ["deploy", "--json"],
            ["submissions", "list", "--json"],
            ["submissions", "ledger", "--json"],
            ["cache", "list", "--json"],
            ["cache", "prune", "--dry-run", "--json"],
            ["push", "--store", store.Path, "--json"],
            ["pull", "--store", store.Path, "--json"],
            ["report", "--json"],
            ["ci", "gitlab", "--json"],
            ["ci", "github", "--json"],
        ];
        var problems = new List<string>();

        foreach (var args in commands)
        {
            // When
            var (exit, stdout, stderr) = Cli.Esteira(root, args);
            var name = string.Join('-', ["esteira", .. args.TakeWhile(a => !a.StartsWith('-') && !char.IsDigit(a[0]))]) + (args.Contains("--force") ? "-force" : "") + ".txt";
            if (exit != 0)
            {
                problems.Add($"esteira {string.Join(' ', args)} exited {exit}: {stderr.Trim()}");
                continue;
            }

            Compare(name, stdout, args, problems);
        }

        Assert.True(problems.Count == 0,
            "--json shapes differ from tests/Esteira.Cli.Tests/golden/json (if the change is meant, rerun with ESTEIRA_UPDATE_GOLDEN=1 and review the diff):\n"
            + string.Join('\n', problems));
    }

    [Fact]
    public async Task Leaderboard_show_json_has_the_shape_of_its_golden_file()
    {
        // Given our leaderboard server, in-process, where two teams have a scored submission each
        using var temp = new TempFolder();
        var comp = TinyCompetition.Create(temp.Path);
        await using var server = await LeaderboardServer.StartAsync(new LeaderboardServerOptions
        {
            CompetitionDir = comp.Dir,
            Teams = [TeamKey.Parse("alice:s3cret"), TeamKey.Parse("bob:hunter2")],
            Urls = "http://127.0.0.1:0",
            Environment = new Dictionary<string, string?>(),
            ConfigureLogging = _ => { },
        });
        var url = server.Addresses[0].ToString();
        foreach (var (team, key, scale) in new[] { ("alice", "s3cret", 1.0f), ("bob", "hunter2", 1.3f) })
        {
            var file = temp.Combine($"{team}.csv");
            comp.WriteSubmission(file, (_, y) => y * scale);
            using var client = new KaggleClient(new KaggleClientOptions
            {
                ApiBase = KaggleEndpoint.FromServer(url),
                Credentials = KaggleCredentials.ApiKey(team, key, "test"),
                ServiceName = "leaderboard",
                PollInterval = TimeSpan.FromMilliseconds(20),
                ScoreTimeout = TimeSpan.FromSeconds(30),
            });
            Assert.Equal(SubmissionStatus.Complete, (await client.SubmitAsync("tiny-comp", file, team)).State);
        }

        // When the CLI shows the board as JSON, with alice's key from the environment only
        string[] args = ["leaderboard", "show", "--target", "leaderboard", "--server", url, "--json"];
        var environment = new Dictionary<string, string?>
        {
            ["KAGGLE_USERNAME"] = "alice",
            ["KAGGLE_KEY"] = "s3cret",
            ["KAGGLE_API_TOKEN"] = null,
            ["KAGGLE_CONFIG_DIR"] = temp.Path,
            ["ESTEIRA_LEADERBOARD_URL"] = null,
        };
        var (exit, stdout, stderr) = Cli.Esteira(temp.Path, environment, args);

        // Then it lists both teams, snake_case, and has the golden's shape
        Assert.True(exit == 0, $"esteira {string.Join(' ', args)} exited {exit}: {stderr.Trim()}");
        using (var board = JsonDocument.Parse(stdout))
        {
            Assert.Equal(["alice", "bob"], board.RootElement.EnumerateArray().Select(r => r.GetProperty("team_name").GetString()));
        }

        var problems = new List<string>();
        Compare("esteira-leaderboard-show.txt", stdout, args, problems);
        Assert.True(problems.Count == 0, "--json shape differs from tests/Esteira.Cli.Tests/golden/json (if the change is meant, rerun with ESTEIRA_UPDATE_GOLDEN=1 and review the diff):\n"
            + string.Join('\n', problems));
    }

    [Fact]
    public void A_shape_lists_every_key_path_once_with_its_types()
    {
        var shape = Shape("""{"b":[{"x":1},{"x":null,"y":"s"}],"a":{"c":true}}""");

        Assert.Equal("a: object\na.c: boolean\nb: array\nb[]: object\nb[].x: null|number\nb[].y: string\n", shape);
    }

    /// <summary>Compares the shape of <paramref name="stdout"/> with golden file <paramref name="name"/> (or writes it, with
    /// ESTEIRA_UPDATE_GOLDEN=1), adding what differs to <paramref name="problems"/>.</summary>
    private static void Compare(string name, string stdout, string[] args, List<string> problems)
    {
        var folder = Path.Combine(Repository.Root, "tests", "Esteira.Cli.Tests", "golden", "json");
        string actual;
        try
        {
            actual = Shape(stdout);
        }
        catch (JsonException e)
        {
            problems.Add($"esteira {string.Join(' ', args)} printed no single JSON value ({e.Message}): {stdout[..Math.Min(200, stdout.Length)]}");
            return;
        }

        var file = Path.Combine(folder, name);
        if (Environment.GetEnvironmentVariable("ESTEIRA_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(file, actual);
            return;
        }

        if (!File.Exists(file))
        {
            problems.Add($"{name} is missing");
        }
        else if (File.ReadAllText(file).ReplaceLineEndings("\n") is var expected && expected != actual)
        {
            var lost = expected.Split('\n').Except(actual.Split('\n'));
            var gained = actual.Split('\n').Except(expected.Split('\n'));
            problems.Add($"{name}: no longer has [{string.Join(", ", lost)}]; now also has [{string.Join(", ", gained)}]");
        }
    }

    /// <summary>Every key path of <paramref name="json"/> (array items as <c>[]</c>) with the JSON types seen there, one per line, sorted.</summary>
    private static string Shape(string json)
    {
        using var document = JsonDocument.Parse(json);
        var types = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);

        void Walk(JsonElement element, string path)
        {
            if (path.Length > 0)
            {
                if (!types.TryGetValue(path, out var seen))
                {
                    types[path] = seen = new SortedSet<string>(StringComparer.Ordinal);
                }

                seen.Add(element.ValueKind switch
                {
                    JsonValueKind.Object => "object",
                    JsonValueKind.Array => "array",
                    JsonValueKind.String => "string",
                    JsonValueKind.Number => "number",
                    JsonValueKind.True or JsonValueKind.False => "boolean",
                    _ => "null",
                });
            }

            if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in element.EnumerateObject())
                {
                    Walk(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}");
                }
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, path + "[]");
                }
            }
        }

        Walk(document.RootElement, "");
        return string.Concat(types.Select(p => $"{p.Key}: {string.Join('|', p.Value)}\n"));
    }
}
