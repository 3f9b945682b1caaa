using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Esteira.Cli.Tests;

/// <summary>
/// SLOW, needs gitlab-ci-local, PostgreSQL, Jupyter (installed and started by .ci/services.sh): Esteira as a team adopts
/// it. The packed tool, a workspace in its own git repository pinning that tool, the generated .gitlab-ci.yml run by a
/// real GitLab runner implementation (gitlab-ci-local, shell executor, one folder per job), the data fetched by every
/// job from our leaderboard server with kaggle://, the runs in a shared PostgreSQL store, deploys to that server.
/// </summary>
[Trait("Category", "Slow")]
[Trait("Needs", "gitlab")]
[Collection(ToolPackage.Collection)]
public sealed partial class GitLabPipelineTests(ToolPackage tool)
{
    private const string Team = "alice";
    private const string TeamKey = "e2e-alice-key";

    [Fact]
    public void Merge_requests_are_gated_and_reported_and_main_deploys_the_champion_once()
    {
        var runner = Environment.GetEnvironmentVariable("ESTEIRA_TEST_GITLAB_CI_LOCAL")
            ?? throw new InvalidOperationException("ESTEIRA_TEST_GITLAB_CI_LOCAL is not set: run 'source .ci/services.sh' first (it installs gitlab-ci-local)");
        var tracking = TrackingUri(TestServices.Postgres);
        var root = tool.Temp("gitlab");
        using var server = LeaderboardServer.Start(tool, Competition(root));
        var repo = Workspace(root, server.Url, naiveBaseline: true);
        var pipeline = new Pipeline(tool, runner, repo, new Dictionary<string, string>
        {
            ["ESTEIRA_TRACKING_URI"] = tracking,
            ["ESTEIRA_KAGGLE_SERVER"] = server.Url,
            ["KAGGLE_USERNAME"] = Team,
            ["KAGGLE_KEY"] = TeamKey,
            // gitlab-ci-local's CI_PROJECT_DIR is /builds/…, shared by every run on this machine: the packages of an earlier
            // build of the same version would be restored from there. A team's version numbers never repeat; ours do.
            ["NUGET_PACKAGES"] = Path.Combine(root, "job-nuget-packages"),
        });

        // 1. main: a team starts from a naive baseline (the median of the last 8 weeks per weekday × hour, a built-in
        //    experiment kind): the first champion is gated in, deployed, and its public score lands in the ledger.
        var first = pipeline.Run("main");
        Assert.True(first.Passed("validate", "train:baseline", "gate", "report", "deploy"), first.History);
        Assert.Matches(ChampionOf("baseline"), first.Log);
        Assert.Matches(PublicScore(), first.Log);
        var ledger = Ledger(repo, tracking);
        var sent = Assert.Single(ledger);
        Assert.NotNull(sent.PublicScore);

        // 2. A merge request adding a clearly worse experiment (a constant prediction) and a notebook: the gate job fails,
        //    the report still runs and names the refusal and its reasons, nothing is deployed.
        Git(repo, "checkout", "-q", "-b", "add-constant", "main");
        AddExperiment(repo, "constant", "kind: command\ncommand: /usr/bin/python3 constant.py\n", ("constant.py", ConstantPy));
        AddNotebook(repo);
        Commit(repo, "add a constant experiment and a notebook");
        var refused = pipeline.Run("add-constant", mergeRequest: true);
        Assert.True(refused.Passed("train:baseline", "train:constant", "train:notebook", "report"), refused.History);
        Assert.True(refused.Failed("gate"), refused.History);
        Assert.False(refused.Ran("deploy"), refused.Log);
        var report = File.ReadAllText(refused.Artifact("report", "report.md"));
        Assert.Contains("### Experiment `constant`", report, StringComparison.Ordinal);
        Assert.Contains("Gate: **failed**", report, StringComparison.Ordinal);
        Assert.Contains("improvement over champion", report, StringComparison.Ordinal);
        Assert.Contains("the gate refused constant", refused.Log, StringComparison.Ordinal);
        Assert.Matches(@"\| `baseline` \|.*\| reproduces it \|", report);
        // The notebook ran inside its job; its executed copy came back with the job's artifacts and is linked from the report.
        var executed = refused.Artifacts("executed.ipynb");
        Assert.Single(executed);
        Assert.Contains("injected-parameters", File.ReadAllText(executed[0]), StringComparison.Ordinal);
        Assert.Contains("[the executed notebook](notebook-executed.ipynb)", report, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllText(executed[0]), File.ReadAllText(refused.Artifact("report", "notebook-executed.ipynb")));
        Assert.Single(Ledger(repo, tracking));

        // 3. A merge request with a better experiment (the built-in model, 30 rounds) passes the gate, and does not move
        //    the champion (only main does). (On this sample its backtest is 0.361 against the naive profile's 0.494.)
        Git(repo, "checkout", "-q", "-b", "add-small", "main");
        AddExperiment(repo, "small", "kind: lightgbm\nseed: 42\nparams:\n  iterations: 30\n  leaves: 63\n");
        Commit(repo, "add a small model");
        var better = pipeline.Run("add-small", mergeRequest: true);
        Assert.True(better.Passed("train:baseline", "train:small", "gate", "report"), better.History);
        Assert.Contains("small (run", better.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("is now the champion", better.Log, StringComparison.Ordinal);

        // 4. Merged: main promotes it and deploys it once; 5. the next main pipeline sends nothing new.
        Git(repo, "checkout", "-q", "main");
        Git(repo, "merge", "-q", "--no-ff", "-m", "Merge add-small", "add-small");
        var merged = pipeline.Run("main");
        Assert.True(merged.Passed("gate", "deploy"), merged.History);
        Assert.Matches(ChampionOf("small"), merged.Log);
        Assert.Matches(PublicScore(), merged.Log);
        Assert.Equal(2, Ledger(repo, tracking).Count);

        Git(repo, "commit", "-q", "--allow-empty", "-m", "docs");
        var again = pipeline.Run("main");
        Assert.True(again.Passed("gate", "deploy"), again.History);
        Assert.Contains("nothing new to send", again.Log, StringComparison.Ordinal);
        var final = Ledger(repo, tracking);
        Assert.Equal(2, final.Count);
        Assert.All(final, entry => Assert.NotNull(entry.PublicScore));
    }

    [Fact]
    public void With_the_embedded_SQLite_store_the_runs_meet_at_the_gate_and_a_folder_deploy_outlives_its_job()
    {
        var runner = Environment.GetEnvironmentVariable("ESTEIRA_TEST_GITLAB_CI_LOCAL")
            ?? throw new InvalidOperationException("ESTEIRA_TEST_GITLAB_CI_LOCAL is not set: run 'source .ci/services.sh' first (it installs gitlab-ci-local)");
        var root = tool.Temp("gitlab-sqlite");
        using var server = LeaderboardServer.Start(tool, Competition(root));
        // The scaffold as esteira init writes it (SQLite tracking, folder deploy), with only the dataset and the rounds changed.
        var repo = Workspace(root, server.Url, scaffoldStores: true);
        var pipeline = new Pipeline(tool, runner, repo, new Dictionary<string, string>
        {
            ["ESTEIRA_KAGGLE_SERVER"] = server.Url,
            ["KAGGLE_USERNAME"] = Team,
            ["KAGGLE_KEY"] = TeamKey,
            ["NUGET_PACKAGES"] = Path.Combine(root, "job-nuget-packages"),
        });

        var first = pipeline.Run("main", keepCaches: true);
        Assert.True(first.Passed("validate", "train:baseline", "gate", "report", "deploy"), first.History);
        var deployed = first.Artifacts("*.csv.gz").Where(f => f.Contains($"{Path.DirectorySeparatorChar}submissions{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).ToList();
        Assert.Single(deployed);

        // Two new experiments pushed to main: three train jobs, three SQLite files, all merged at the gate, which knows the
        // champion from the CI cache of main's last pipeline. (A merge request's pipeline finds it through the cache's
        // fallback_keys on GitLab; gitlab-ci-local does not implement those, and a CI cache is best effort anyway: the
        // durable choice, PostgreSQL, is what the other test runs.)
        AddExperiment(repo, "constant", "kind: command\ncommand: /usr/bin/python3 constant.py\n", ("constant.py", ConstantPy));
        AddExperiment(repo, "small", "kind: lightgbm\nseed: 42\nparams:\n  iterations: 3\n  leaves: 4\n");
        Commit(repo, "two more experiments");
        var second = pipeline.Run("main", keepCaches: true);
        Assert.True(second.Passed("train:baseline", "train:constant", "train:small", "report"), second.History);
        Assert.True(second.Failed("gate"), second.History);
        Assert.False(second.Ran("deploy"), second.History);
        Assert.Equal(3, Regex.Count(second.Log, @"imported 1 run\(s\) from out/\w+/runs\.db"));
        Assert.Matches(@"constant \(run \d+\): REFUSED", second.Log);
        Assert.Matches(@"small \(run \d+\): passed", second.Log);
        Assert.Matches(@"baseline \(run \d+\): reproduces the champion", second.Log);
        var report = File.ReadAllText(second.Artifact("report", "report.md"));
        Assert.Contains("Gate: **failed**", report, StringComparison.Ordinal);
    }

    private const string ConstantPy = """
        # A clearly worse model: 1 kWh for every row, out of fold and on the test set.
        import os
        import numpy as np
        features, output = os.environ["ESTEIRA_FEATURES"], os.environ["ESTEIRA_OUTPUT"]
        rows = lambda table: len(np.load(os.path.join(features, table, "baseline.npy"), mmap_mode="r"))
        np.save(os.path.join(output, "oof.npy"), np.ones(rows("valid"), dtype=np.float32))
        np.save(os.path.join(output, "test.npy"), np.ones(rows("test"), dtype=np.float32))

        """;

    /// <summary>The competition folder the server hosts: the bundled sample's files and its solution (never served).</summary>
    private static string Competition(string root)
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, "competition", "bdg2")).FullName;
        foreach (var file in Directory.GetFiles(Repository.Sample))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        return folder;
    }

    /// <summary>A team's repository: esteira init with a kaggle:// dataset, a NuGet feed, shared PostgreSQL tracking,
    /// the leaderboard as deploy target, Jupyter for notebook jobs, and the generated .gitlab-ci.yml.</summary>
    private string Workspace(string root, string serverUrl, bool scaffoldStores = false, bool naiveBaseline = false)
    {
        var repo = Path.Combine(root, "repo");
        Directory.CreateDirectory(repo);
        Git(repo, "init", "-q", "-b", "main");
        Git(repo, "config", "user.email", "ci@example.com");
        Git(repo, "config", "user.name", "CI");
        Esteira(repo, "init", ".", "--data", "kaggle://bdg2");
        File.WriteAllText(Path.Combine(repo, "nuget.config"), tool.NuGetConfig);
        if (!scaffoldStores)
        {
            var yaml = File.ReadAllText(Path.Combine(repo, "esteira.yaml"));
            yaml = TrackingLine().Replace(yaml, "tracking: postgresql://tracking.internal/esteira   # the password is in ESTEIRA_TRACKING_URI");
            yaml = DeploySection().Replace(yaml, $"deploy:\n  target: leaderboard\n  server: {serverUrl}\n  competition: bdg2\n");
            yaml += "ci:\n  apt: [jupyter-nbconvert, python3-ipykernel]\n";
            File.WriteAllText(Path.Combine(repo, "esteira.yaml"), yaml);
        }

        var baseline = Path.Combine(repo, "experiments", "baseline", "experiment.yaml");
        File.WriteAllText(baseline, File.ReadAllText(baseline).Replace("iterations: 400", "iterations: 60", StringComparison.Ordinal));
        if (naiveBaseline)
        {
            // the template's naive recent-profile experiment, as the team's only one
            Directory.Delete(Path.Combine(repo, "experiments", "baseline"), recursive: true);
            Directory.Move(Path.Combine(repo, "experiments", "recent-profile"), Path.Combine(repo, "experiments", "baseline"));
        }
        File.AppendAllText(Path.Combine(repo, ".gitignore"), ".gitlab-ci-local/\n");
        Commit(repo, "an esteira workspace");
        return repo;
    }

    private static void AddExperiment(string repo, string name, string yaml, params (string File, string Text)[] files)
    {
        var folder = Directory.CreateDirectory(Path.Combine(repo, "experiments", name)).FullName;
        File.WriteAllText(Path.Combine(folder, "experiment.yaml"), yaml);
        foreach (var (file, text) in files)
        {
            File.WriteAllText(Path.Combine(folder, file), text);
        }
    }

    /// <summary>The shipped notebook example, copied as a data scientist would.</summary>
    private static void AddNotebook(string repo)
    {
        var folder = Directory.CreateDirectory(Path.Combine(repo, "experiments", "notebook")).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(Repository.Root, "examples", "notebook-ridge")))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }
    }

    /// <summary>Regenerates the pipeline (a new experiment is a new job) and commits everything.</summary>
    private void Commit(string repo, string message)
    {
        Esteira(repo, "ci", "gitlab", "--force");
        Git(repo, "add", "-A");
        Git(repo, "commit", "-q", "-m", message);
    }

    private void Esteira(string folder, params string[] args)
    {
        var (exit, stdout, stderr) = tool.Run(tool.Executable, folder, new Dictionary<string, string>(), args);
        Assert.True(exit == 0, $"esteira {string.Join(' ', args)}: {stdout}{stderr}");
    }

    private List<LedgerEntry> Ledger(string repo, string tracking)
    {
        var (exit, stdout, stderr) = tool.Run(tool.Executable, repo, new Dictionary<string, string> { ["ESTEIRA_TRACKING_URI"] = tracking }, "submissions", "--json");
        Assert.True(exit == 0, stdout + stderr);
        return JsonSerializer.Deserialize<LedgerPage>(stdout, WebJson)!.Submissions;
    }

    // esteira's --json is snake_case (and enums are strings)
    private static readonly JsonSerializerOptions WebJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record LedgerPage(List<LedgerEntry> Submissions);

    private sealed record LedgerEntry(long Id, long? RunId, double? PublicScore, string Status);

    private static void Git(string repo, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = repo, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', args)}: {output}");
    }

    /// <summary>postgresql://USER@HOST:PORT/DB?schema=NEW from the Npgsql string .ci/services.sh exports: a fresh schema per run.</summary>
    private static string TrackingUri(string npgsql)
    {
        var parts = npgsql.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        var password = parts.TryGetValue("password", out var p) ? ":" + Uri.EscapeDataString(p) : "";
        return $"postgresql://{parts["username"]}{password}@{parts["host"]}:{parts.GetValueOrDefault("port", "5432")}/{parts["database"]}?schema=e2e_{Guid.NewGuid():N}";
    }

    [GeneratedRegex(@"submitted leaderboard/bdg2 #\d+: public score \d")]
    private static partial Regex PublicScore();

    [GeneratedRegex("(?m)^tracking: .*$")]
    private static partial Regex TrackingLine();

    [GeneratedRegex(@"(?ms)^deploy:\n(  .*?\n)+")]
    private static partial Regex DeploySection();

    private static Regex ChampionOf(string experiment) => new($@"run \d+ is now the champion[\s\S]*deploying champion run \d+ \({experiment},");

    /// <summary>Runs the repository's .gitlab-ci.yml with gitlab-ci-local: shell executor, each job in its own folder.</summary>
    private sealed class Pipeline(ToolPackage tool, string runner, string repo, IReadOnlyDictionary<string, string> variables)
    {
        private readonly System.Text.StringBuilder _history = new();

        public Result Run(string branch, bool mergeRequest = false, bool keepCaches = false)
        {
            var args = new List<string> { "--force-shell-executor", "--shell-isolation", "--color=false" };
            foreach (var (name, value) in variables)
            {
                args.AddRange(["--variable", $"{name}={value}"]);
            }

            if (mergeRequest)
            {
                args.AddRange(["--variable", "CI_PIPELINE_SOURCE=merge_request_event"]);
            }

            // Each pipeline starts like a runner's: no job folders or artifacts of the last one (and no caches unless kept).
            var state = Path.Combine(repo, ".gitlab-ci-local");
            foreach (var folder in keepCaches ? new[] { "builds", "artifacts" } : ["."])
            {
                if (Directory.Exists(Path.Combine(state, folder)))
                {
                    Directory.Delete(Path.Combine(state, folder), recursive: true);
                }
            }

            var (_, stdout, stderr) = tool.Run(runner, repo, new Dictionary<string, string>(), [.. args]);
            var log = $"--- pipeline on {branch} ---\n{stdout}{stderr}";
            _history.Append(log);
            // A failure message carries every pipeline so far: what went wrong often started in an earlier one.
            return new Result(log, _history.ToString(), state);
        }
    }

    private sealed partial class Result(string log, string history, string state)
    {
        public string Log { get; } = log;

        public string History { get; } = history;

        public bool Passed(params string[] jobs) => jobs.All(j => Status(j) == "PASS");

        public bool Failed(string job) => Status(job) == "FAIL";

        public bool Ran(string job) => Status(job) is not null;

        /// <summary>A file of a job's artifacts.</summary>
        public string Artifact(string job, string name) =>
            Directory.GetFiles(Path.Combine(state, "artifacts"), name, SearchOption.AllDirectories)
                .FirstOrDefault(f => f.Contains(Path.DirectorySeparatorChar + job + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            ?? throw new FileNotFoundException($"no {name} in the artifacts of {job}:\n{Log}");

        public string[] Artifacts(string name) => Directory.GetFiles(Path.Combine(state, "artifacts"), name, SearchOption.AllDirectories);

        // The summary at the end: " PASS  gate", " FAIL  gate" (a job that did not run is not listed).
        private string? Status(string job) =>
            Log.Split('\n').Select(l => SummaryLine().Match(l)).Where(m => m.Success && m.Groups[2].Value == job).Select(m => m.Groups[1].Value).LastOrDefault();

        [GeneratedRegex(@"^\s*(PASS|FAIL|WARN)\s+(\S+)\s*$")]
        private static partial Regex SummaryLine();
    }

    /// <summary>The leaderboard server, started from the installed tool on a free loopback port.</summary>
    private sealed partial class LeaderboardServer : IDisposable
    {
        private readonly Process _process;

        private LeaderboardServer(Process process, string url)
        {
            _process = process;
            Url = url;
        }

        public string Url { get; }

        public static LeaderboardServer Start(ToolPackage tool, string competition)
        {
            var start = new ProcessStartInfo(tool.Executable) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = competition };
            foreach (var a in new[] { "leaderboard", "serve", "--competition", competition, "--team", $"{Team}:{TeamKey}", "--urls", "http://127.0.0.1:0" })
            {
                start.ArgumentList.Add(a);
            }

            foreach (var (name, value) in tool.Environment)
            {
                start.Environment[name] = value;
            }

            var process = Process.Start(start)!;
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (DateTime.UtcNow < deadline && process.StandardOutput.ReadLine() is { } line)
            {
                if (ServingLine().Match(line) is { Success: true } m)
                {
                    // Keep draining the output so that the server never blocks on a full pipe.
                    _ = process.StandardOutput.ReadToEndAsync();
                    return new LeaderboardServer(process, m.Groups[1].Value.TrimEnd('/'));
                }
            }

            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("the leaderboard server did not say where it listens");
        }

        public void Dispose()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
        }

        [GeneratedRegex(@"at (http://127\.0\.0\.1:\d+/?)")]
        private static partial Regex ServingLine();
    }
}
