using System.Globalization;
using System.Diagnostics;
using System.Text.Json;
using Esteira.Pipeline;
using Esteira.Pipeline.Cache;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Esteira.Tests;

public sealed class StageKeyTests
{
    [Property(MaxTest = 300)]
    public Property The_key_does_not_depend_on_input_order(NonEmptyString[] names, int seed)
    {
        var inputs = names.Select((n, i) => (n.Get, i.ToString(System.Globalization.CultureInfo.InvariantCulture))).DistinctBy(p => p.Get).ToList();
        var shuffled = inputs.OrderBy(_ => new Random(seed).Next()).ToList();
        var a = StageKeys.Key(inputs.ToDictionary(p => p.Get, p => p.Item2));
        var b = StageKeys.Key(shuffled.ToDictionary(p => p.Get, p => p.Item2));
        return (a == b).ToProperty();
    }

    [Property(MaxTest = 300)]
    public Property Any_changed_value_changes_the_key(NonEmptyString name, string value, string other)
    {
        var a = StageKeys.Key(new Dictionary<string, string> { [name.Get] = value ?? "" });
        var b = StageKeys.Key(new Dictionary<string, string> { [name.Get] = other ?? "" });
        return ((value ?? "") == (other ?? "") == (a == b)).ToProperty();
    }

    [Fact]
    public void Names_and_values_cannot_be_confused_by_their_separators()
    {
        Assert.NotEqual(
            StageKeys.Key(new Dictionary<string, string> { ["a"] = "b=c" }),
            StageKeys.Key(new Dictionary<string, string> { ["a=b"] = "c" }));
        Assert.NotEqual(
            StageKeys.Key(new Dictionary<string, string> { ["a"] = "1\n2:b=3" }),
            StageKeys.Key(new Dictionary<string, string> { ["a"] = "1", ["b"] = "3" }));
    }
}

public sealed class PlannerTests
{
    private sealed class State : IPlanState
    {
        public Dictionary<string, int> Cached { get; } = [];
        public Dictionary<string, IReadOnlyDictionary<string, string>> Last { get; } = [];

        public int? CachedRun(string key) => Cached.TryGetValue(key, out var run) ? run : null;

        public IReadOnlyDictionary<string, string>? LastInputs(string stageId) => Last.GetValueOrDefault(stageId);

        public void Remember(IEnumerable<PlannedStage> plan, int run)
        {
            foreach (var p in plan)
            {
                Cached[p.Key] = run;
                Last[p.Id] = p.Inputs;
            }
        }
    }

    private static List<StageSpec> Graph(string weatherHash = "w1", string leaves = "63") =>
    [
        new("features", [], new Dictionary<string, string> { ["file:train.csv"] = "t1", ["file:weather_train.csv"] = weatherHash }),
        new("train:a", ["features"], new Dictionary<string, string> { ["params.leaves"] = leaves }),
        new("check:a", ["train:a"], new Dictionary<string, string>()),
        new("train:b", ["features"], new Dictionary<string, string> { ["params.leaves"] = "15" }),
        new("check:b", ["train:b"], new Dictionary<string, string>()),
    ];

    [Fact]
    public void A_first_run_runs_everything_and_a_second_reuses_everything()
    {
        var state = new State();
        var first = PipelinePlanner.Plan(Graph(), state);
        Assert.All(first, p => Assert.True(p.Run));
        Assert.All(first, p => Assert.Equal("ran because it never ran here before", p.Reason));
        state.Remember(first, 1);

        var second = PipelinePlanner.Plan(Graph(), state);
        Assert.All(second, p => Assert.False(p.Run));
        Assert.All(second, p => Assert.Equal("skipped, unchanged since run 1", p.Reason));
    }

    [Fact]
    public void A_changed_parameter_reruns_only_its_experiment_and_says_why()
    {
        var state = new State();
        state.Remember(PipelinePlanner.Plan(Graph(), state), 1);
        var plan = PipelinePlanner.Plan(Graph(leaves: "31"), state).ToDictionary(p => p.Id);
        Assert.False(plan["features"].Run);
        Assert.Equal("ran because params.leaves changed 63 → 31", plan["train:a"].Reason);
        Assert.Equal("ran because train:a reran", plan["check:a"].Reason);
        Assert.False(plan["train:b"].Run);
        Assert.False(plan["check:b"].Run);
    }

    [Fact]
    public void A_changed_file_reruns_everything_after_it_and_names_the_file()
    {
        var state = new State();
        state.Remember(PipelinePlanner.Plan(Graph(), state), 1);
        var plan = PipelinePlanner.Plan(Graph(weatherHash: "w2"), state);
        Assert.All(plan, p => Assert.True(p.Run));
        Assert.Equal("ran because weather_train.csv changed", plan[0].Reason);
        Assert.Equal("ran because features reran", plan.Single(p => p.Id == "train:b").Reason);
    }

    [Fact]
    public void Going_back_to_an_earlier_definition_reuses_its_cached_outputs()
    {
        var state = new State();
        state.Remember(PipelinePlanner.Plan(Graph(), state), 1);
        state.Remember(PipelinePlanner.Plan(Graph(leaves: "31"), state), 2);
        var plan = PipelinePlanner.Plan(Graph(), state).Single(p => p.Id == "train:a");
        Assert.Equal("skipped, unchanged since run 1", plan.Reason);
    }

    [Fact]
    public void Forcing_a_stage_reruns_it_and_what_depends_on_it()
    {
        var state = new State();
        state.Remember(PipelinePlanner.Plan(Graph(), state), 1);
        var plan = PipelinePlanner.Plan(Graph(), state, new HashSet<string> { "train:b" }).ToDictionary(p => p.Id);
        Assert.Equal("forced (--force train:b)", plan["train:b"].Reason);
        Assert.Equal("forced: depends on train:b", plan["check:b"].Reason);
        Assert.False(plan["train:a"].Run);
        Assert.False(plan["features"].Run);
    }

    [Fact]
    public void Forcing_a_kind_alone_forces_every_stage_of_that_kind_and_an_unknown_one_is_refused()
    {
        var state = new State();
        state.Remember(PipelinePlanner.Plan(Graph(), state), 1);
        var plan = PipelinePlanner.Plan(Graph(), state, new HashSet<string> { "train" }).ToDictionary(p => p.Id);
        Assert.Equal("forced (--force train:a)", plan["train:a"].Reason);
        Assert.Equal("forced (--force train:b)", plan["train:b"].Reason);
        Assert.Equal("forced: depends on train:a", plan["check:a"].Reason);
        Assert.False(plan["features"].Run);

        var refused = Assert.Throws<EsteiraException>(() => PipelinePlanner.Plan(Graph(), state, new HashSet<string> { "tra" }));
        Assert.Equal(ErrorCode.Usage, refused.Code);
        Assert.StartsWith("--force tra: no such stage; stages are features, ", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dependencies_come_before_dependants_whatever_the_declaration_order()
    {
        var graph = Graph();
        graph.Reverse();
        var order = PipelinePlanner.Plan(graph, new State()).Select(p => p.Id).ToList();
        Assert.True(order.IndexOf("features") < order.IndexOf("train:a"));
        Assert.True(order.IndexOf("train:a") < order.IndexOf("check:a"));
    }

    [Fact]
    public void Cycles_unknown_dependencies_and_unknown_forced_stages_are_errors()
    {
        var cycle = new List<StageSpec> { new("a", ["b"], new Dictionary<string, string>()), new("b", ["a"], new Dictionary<string, string>()) };
        Assert.Contains("cycle", Assert.Throws<EsteiraException>(() => PipelinePlanner.Plan(cycle, new State())).Message, StringComparison.Ordinal);
        var dangling = new List<StageSpec> { new("a", ["zzz"], new Dictionary<string, string>()) };
        Assert.Contains("'zzz', which is not a stage", Assert.Throws<EsteiraException>(() => PipelinePlanner.Plan(dangling, new State())).Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.Usage, Assert.Throws<EsteiraException>(() => PipelinePlanner.Plan(Graph(), new State(), new HashSet<string> { "nope" })).Code);
    }
}

/// <summary>Workspaces on the tiny dataset, run through the real runner and cache.</summary>
public sealed class WorkspaceTests
{
    internal static string Create(TempDataset ds, string experimentYaml = "kind: lightgbm\nparams:\n  iterations: 20\n  leaves: 15\n")
    {
        var root = Path.Combine(ds.Root, "ws");
        WorkspaceTemplate.Create(root, ds.Data);
        File.WriteAllText(Path.Combine(root, "esteira.yaml"), File.ReadAllText(Path.Combine(root, "esteira.yaml")).Replace("folds: 3", "folds: 2", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(root, "experiments", "baseline", "experiment.yaml"), experimentYaml);
        return root;
    }

    private static WorkspaceRunResult Run(string root, string? experiment = null, params string[] force) =>
        WorkspaceRunner.Run(Workspace.Load(root), new RunRequest { OutDir = Path.Combine(root, "out"), Experiment = experiment, Force = force.ToHashSet() }, SilentObserver.Instance);

    [Fact]
    public void Reruns_only_what_changed_and_says_why()
    {
        using var ds = new TempDataset();
        var root = Create(ds);
        var first = Run(root);
        Assert.All(first.Plan, p => Assert.True(p.Run));
        Assert.True(File.Exists(Path.Combine(root, "out", "submission.csv.gz")));

        var second = Run(root);
        Assert.All(second.Plan, p => Assert.Equal($"skipped, unchanged since run {first.Run}", p.Reason));
        Assert.Equal(first.Experiments[0].Metrics.Cv, second.Experiments[0].Metrics.Cv);

        File.WriteAllText(Path.Combine(root, "experiments", "baseline", "experiment.yaml"), "kind: lightgbm\nparams:\n  iterations: 25\n  leaves: 15\n");
        var third = Run(root).Plan.ToDictionary(p => p.Id);
        Assert.False(third["features"].Run);
        Assert.Equal("ran because experiment.params.iterations changed 20 → 25", third["train:baseline"].Reason);
        Assert.Equal("ran because train:baseline reran", third["check:baseline"].Reason);

        ds.Replace("weather_train.csv", "0,2016-01-01 05:00:00,", "0,2016-01-01 05:00:00,1");
        Assert.Equal("ran because weather_train.csv changed", Run(root).Plan[0].Reason);
    }

    [Fact]
    public void Leftovers_of_a_killed_run_are_removed_and_never_reused()
    {
        using var ds = new TempDataset();
        var root = Create(ds);
        Run(root);

        // Given the half-written output of a process that no longer exists
        var dead = Path.Combine(root, ".esteira", "tmp", $"train_baseline-{int.MaxValue - 7}-0123");
        Directory.CreateDirectory(dead);
        File.WriteAllText(Path.Combine(dead, "partial.npy"), "half");

        Run(root, force: "train:baseline");
        Assert.False(Directory.Exists(dead));
        Assert.All(Directory.GetDirectories(Path.Combine(root, ".esteira", "cache")), d => Assert.True(File.Exists(Path.Combine(d, StageCache.ManifestFile))));
    }

    [Fact]
    public void Cache_prune_deletes_only_what_recent_runs_did_not_use()
    {
        using var ds = new TempDataset();
        var root = Create(ds);
        var experiment = Path.Combine(root, "experiments", "baseline", "experiment.yaml");
        Run(root);
        File.WriteAllText(experiment, "kind: lightgbm\nparams:\n  iterations: 21\n  leaves: 15\n");
        Run(root);
        File.WriteAllText(experiment, "kind: lightgbm\nparams:\n  iterations: 22\n  leaves: 15\n");
        var latest = Run(root);
        var cache = Path.Combine(root, ".esteira", "cache");
        var needed = latest.Plan.Select(p => p.Key).ToHashSet();
        Assert.Equal(7, Directory.GetDirectories(cache).Length); // features + 3 × (train, check)

        var (exit, stdout, _) = Cli.Esteira(root, "cache", "prune", "--dry-run", "--json");
        Assert.Equal(0, exit);
        using (var dry = JsonDocument.Parse(stdout))
        {
            Assert.Equal(4, dry.RootElement.GetProperty("removed").GetArrayLength());
        }

        Assert.Equal(7, Directory.GetDirectories(cache).Length);

        (exit, stdout, _) = Cli.Esteira(root, "cache", "prune", "--keep-runs", "1", "--json");
        Assert.Equal(0, exit);
        using (var pruned = JsonDocument.Parse(stdout))
        {
            var removed = pruned.RootElement.GetProperty("removed").EnumerateArray().Select(e => e.GetProperty("key").GetString()!).ToList();
            Assert.Equal(4, removed.Count);
            Assert.DoesNotContain(removed, needed.Contains);
            Assert.True(pruned.RootElement.GetProperty("bytes").GetInt64() > 0);
        }

        Assert.Equal(needed.Order(), Directory.GetDirectories(cache).Select(Path.GetFileName).Order());
        Assert.Empty(Directory.GetDirectories(Path.Combine(root, ".esteira", "tmp")));
        Assert.All(Run(root).Plan, p => Assert.False(p.Run, $"{p.Id} reran after the prune"));
    }

    [Fact]
    public void Cache_prune_refuses_a_workspace_in_use()
    {
        using var ds = new TempDataset();
        var root = Create(ds);
        Run(root);
        using var held = WorkspaceLock.Acquire(Path.Combine(root, ".esteira"));
        var (exit, _, stderr) = Cli.Esteira(root, "cache", "prune");
        Assert.Equal(2, exit);
        Assert.Contains("another esteira run", stderr, StringComparison.Ordinal);
        Assert.Equal(3, Directory.GetDirectories(Path.Combine(root, ".esteira", "cache")).Length);
    }

    [Fact]
    public void A_second_run_on_a_locked_workspace_is_refused_with_a_clear_message()
    {
        using var ds = new TempDataset();
        var root = Create(ds);
        using var held = WorkspaceLock.Acquire(Path.Combine(root, ".esteira"));
        var (exit, _, stderr) = Cli.Esteira(root, "run");
        Assert.Equal(2, exit);
        Assert.Contains("another esteira run", stderr, StringComparison.Ordinal);
        Assert.Contains($"pid {Environment.ProcessId}", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_killed_with_sigkill_leaves_a_cache_the_next_run_completes()
    {
        using var ds = new TempDataset();
        var root = Create(ds, "kind: lightgbm\nparams:\n  iterations: 2000\n  leaves: 63\n");
        using (var process = Cli.Start(root, "run"))
        {
            // Kill it once the features are cached and training is under way: the train stage's progress line (what the
            // CLI prints for its bar when the output is not a terminal, e.g. "train: 0%") says so.
            var training = await Cli.WaitForLineAsync(process, line => line.StartsWith("train:", StringComparison.Ordinal) && line.EndsWith('%'), TimeSpan.FromMinutes(2));
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.True(training, "the run ended before its train stage started");
        }

        Assert.All(Directory.GetDirectories(Path.Combine(root, ".esteira", "cache")), d => Assert.True(File.Exists(Path.Combine(d, StageCache.ManifestFile))));
        File.WriteAllText(Path.Combine(root, "experiments", "baseline", "experiment.yaml"), "kind: lightgbm\nparams:\n  iterations: 20\n  leaves: 15\n");
        var next = Run(root);
        Assert.Equal(3, next.Plan.Count);
        Assert.True(File.Exists(next.Experiments[0].Submission));
    }

    [Theory]
    [InlineData("esteira.yaml", "  folds: 2", "  foldz: 2", "esteira.yaml:{line} key 'cv.foldz': unknown key")]
    [InlineData("esteira.yaml", "folds: 2", "folds: two", "esteira.yaml:{line} key 'cv.folds': 'two' is not a whole number")]
    [InlineData("esteira.yaml", "metric: rmsle", "metric: [rmsle", "esteira.yaml:")]
    [InlineData("esteira.yaml", "metric: rmsle", "metric: r2", "esteira.yaml:{line} key 'competition.metric': metric 'r2' is not supported; use one of rmsle, rmse, mae, auc, logloss, accuracy")]
    [InlineData("experiments/baseline/experiment.yaml", "leaves: 15", "leaves: -3", "experiment.yaml:4 key 'params.leaves': '-3' is not a whole number from 2")]
    [InlineData("experiments/baseline/experiment.yaml", "kind: lightgbm", "kind: xgboost", "experiment.yaml:1 key 'kind': 'xgboost' is not an experiment kind")]
    [InlineData("experiments/baseline/experiment.yaml", "kind: lightgbm", "kind: command", "key 'command': missing")]
    public void Bad_configuration_names_file_line_and_key_and_exits_2(string file, string from, string to, string expected)
    {
        using var ds = new TempDataset();
        var root = Create(ds);
        var path = Path.Combine(root, file);
        var text = File.ReadAllText(path).Replace(from, to, StringComparison.Ordinal);
        File.WriteAllText(path, text);
        expected = expected.Replace("{line}", (text.Split('\n').ToList().FindIndex(l => l.Contains(to.Trim(), StringComparison.Ordinal)) + 1).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var (exit, _, stderr) = Cli.Esteira(root, "run");
        Assert.Equal(2, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_shows_what_would_run_and_runs_nothing()
    {
        using var ds = new TempDataset();
        var root = Create(ds);
        var (exit, stdout, _) = Cli.Esteira(root, "plan", "--json");
        Assert.Equal(0, exit);
        Assert.Contains("\"stage\":\"train:baseline\",\"run\":true,\"reason\":\"ran because it never ran here before\"", stdout, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(Path.Combine(root, ".esteira", "cache")));
    }
}

/// <summary>Command experiments: the contract checked end to end with real programs.</summary>
public sealed class CommandExperimentTests
{
    private static string Workspace(TempDataset ds, string command, string? extraFile = null, string? extraText = null)
    {
        var root = WorkspaceTests.Create(ds, $"kind: command\ncommand: {command}\ntimeout: 60\n");
        if (extraFile is not null)
        {
            File.WriteAllText(Path.Combine(root, "experiments", "baseline", extraFile), extraText);
        }

        return root;
    }

    private static EsteiraException Fails(string root)
    {
        var error = Assert.Throws<EsteiraException>(() => WorkspaceRunner.Run(Pipeline.Workspace.Load(root), new RunRequest { OutDir = Path.Combine(root, "out") }, SilentObserver.Instance));
        Assert.Equal(ErrorCode.PipelineFailed, error.Code);
        var cached = Directory.GetDirectories(Path.Combine(root, ".esteira", "cache"));
        Assert.Single(cached); // only the features stage: nothing of the failed experiment is cached
        Assert.Empty(Directory.GetDirectories(Path.Combine(root, ".esteira", "tmp")));
        return error;
    }

    [Fact]
    [Trait("Needs", "python")]
    public void The_python_example_runs_end_to_end_and_esteira_scores_it()
    {
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var example = Path.Combine(root, "experiments", "ridge");
        Directory.CreateDirectory(example);
        foreach (var file in Directory.GetFiles(Path.Combine(Repository.Root, "examples", "python-ridge")))
        {
            File.Copy(file, Path.Combine(example, Path.GetFileName(file)));
        }

        var run = WorkspaceRunner.Run(Pipeline.Workspace.Load(root), new RunRequest { OutDir = Path.Combine(root, "out") }, SilentObserver.Instance);
        var ridge = run.Experiments.Single(e => e.Name == "ridge");
        Assert.InRange(ridge.Metrics.Cv, 0, 1);
        Assert.Equal(2, ridge.Metrics.Folds.Count);
        Assert.True(File.Exists(Path.Combine(root, "out", "ridge", "submission.csv.gz")));
        Assert.True(File.Exists(Path.Combine(root, "out", "baseline", "submission.csv.gz")));
    }

    [Fact]
    public void A_failing_command_is_reported_with_its_exit_code_and_last_output()
    {
        using var ds = new TempDataset();
        var message = Fails(Workspace(ds, "echo 'model exploded' >&2; exit 3")).Message;
        Assert.Contains("exited with code 3", message, StringComparison.Ordinal);
        Assert.Contains("model exploded", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_command_that_outlives_its_timeout_is_stopped()
    {
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds, "kind: command\ncommand: sleep 30\ntimeout: 1\n");
        Assert.Contains("did not finish within its timeout of 1 s", Fails(root).Message, StringComparison.Ordinal);
    }

    [Theory]
    [Trait("Needs", "python")]
    [InlineData("np.zeros(n_valid - 1)", "np.zeros(n_test)", "oof.npy: ", "predictions, expected")]
    [InlineData("np.ones(n_valid)", "np.r_[np.ones(n_test - 1), -2.0]", "test.npy: row ", "has prediction -2, expected a finite meter_reading ≥ 0")]
    [InlineData("np.r_[np.nan, np.ones(n_valid - 1)]", "np.ones(n_test)", "oof.npy: row 0 ", "has prediction NaN")]
    public void Bad_prediction_files_are_refused_naming_the_check_and_the_row(string oof, string test, string file, string expected)
    {
        using var ds = new TempDataset();
        var script = $"""
            import os, json, numpy as np
            f = os.environ["ESTEIRA_FEATURES"]
            n_valid = json.load(open(os.path.join(f, "valid", "table.json")))["rows"]
            n_test = json.load(open(os.path.join(f, "test", "table.json")))["rows"]
            np.save(os.path.join(os.environ["ESTEIRA_OUTPUT"], "oof.npy"), {oof})
            np.save(os.path.join(os.environ["ESTEIRA_OUTPUT"], "test.npy"), {test})
            """;
        var message = Fails(Workspace(ds, "/usr/bin/python3 bad.py", "bad.py", script)).Message;
        Assert.Contains(file, message, StringComparison.Ordinal);
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_prediction_file_is_named()
    {
        using var ds = new TempDataset();
        Assert.Contains("oof.npy: missing", Fails(Workspace(ds, "true")).Message, StringComparison.Ordinal);
    }
}

/// <summary>Runs the CLI as a separate process.</summary>
internal static class Cli
{
    public static Process Start(string workingDirectory, params string[] args) => Start(workingDirectory, null, args);

    /// <summary>Starts esteira with <paramref name="environment"/> over the test's own (a null value removes a variable).</summary>
    public static Process Start(string workingDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "esteira.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        return Process.Start(start)!;
    }

    /// <summary>
    /// Reads the process's standard output until a line matches (true) or the output ends (false); standard error is
    /// drained meanwhile, so that the process never blocks on it.
    /// </summary>
    public static async Task<bool> WaitForLineAsync(Process process, Func<string, bool> match, TimeSpan timeout)
    {
        _ = process.StandardError.ReadToEndAsync();
        using var stop = new CancellationTokenSource(timeout);
        while (await process.StandardOutput.ReadLineAsync(stop.Token) is { } line)
        {
            if (match(line))
            {
                return true;
            }
        }

        return false;
    }

    public static (int Exit, string Out, string Err) Esteira(string workingDirectory, params string[] args) => Esteira(workingDirectory, null, args);

    public static (int Exit, string Out, string Err) Esteira(string workingDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        using var process = Start(workingDirectory, environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
