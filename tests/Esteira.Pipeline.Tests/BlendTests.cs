using System.Text.Json;
using Esteira.Pipeline.Cache;
using Esteira.Pipeline.Runs;
using Esteira.Tracking;

namespace Esteira.Pipeline.Tests;

using Cli = Esteira.Testing.Cli;

public sealed class BlendTests
{
    [Fact]
    public void A_blend_of_two_tracked_runs_is_a_run_no_worse_than_its_best_part_and_reproducible()
    {
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var second = Path.Combine(root, "experiments", "shallow");
        Directory.CreateDirectory(second);
        File.WriteAllText(Path.Combine(second, "experiment.yaml"), "kind: lightgbm\nseed: 9\nparams:\n  iterations: 15\n  leaves: 4\n");
        var run = Cli.Esteira(root, "run", "--json");
        Assert.True(run.Exit == 0, run.Err);
        var parts = JsonDocument.Parse(run.Out).RootElement.GetProperty("experiments").EnumerateArray()
            .Select(e => e.GetProperty("result").GetProperty("cv_rmsle").GetDouble()).ToList();

        var first = Cli.Esteira(root, "blend", "1", "2");
        Assert.True(first.Exit == 0, first.Err);
        Assert.Contains("blend → run 3", first.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(root, "out", "blend", "submission.csv.gz")));

        var shown = Cli.Esteira(root, "runs", "show", "3", "--json");
        Assert.True(shown.Exit == 0, shown.Err);
        using var json = JsonDocument.Parse(shown.Out);
        var text = json.RootElement.ToString();
        Assert.Contains("blend", text, StringComparison.Ordinal);
        var blendCv = FindMetric(json.RootElement, "cv_rmsle");
        Assert.True(blendCv <= parts.Min() + 1e-4, $"blend {blendCv} vs parts {string.Join(", ", parts)}");

        // Reproducible: the same parts give the same weights and score, reused from the cache, which says so.
        Assert.Contains("blend:blend: ran because it never ran here before", first.Out, StringComparison.Ordinal);
        var again = Cli.Esteira(root, "blend", "1", "2");
        Assert.True(again.Exit == 0, again.Err);
        Assert.Contains("blend:blend: skipped, unchanged since run 2", again.Out, StringComparison.Ordinal);
        Assert.Contains("blend → run 4", again.Out, StringComparison.Ordinal);
        Assert.Contains("weight", Table(first.Out), StringComparison.Ordinal);
        Assert.Equal(Table(first.Out), Table(again.Out));
        Assert.False(Directory.Exists(Path.Combine(root, ".esteira", "blends")));
    }

    [Fact]
    [Trait("Category", "Slow")] // several esteira processes end to end (7-17 s): CI runs it, the inner loop does not
    public void A_blend_is_a_cache_entry_that_prune_push_and_pull_treat_like_any_stage()
    {
        // Given a workspace run once (run 1) with two experiments, then blended (run 2)
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var second = Path.Combine(root, "experiments", "shallow");
        Directory.CreateDirectory(second);
        File.WriteAllText(Path.Combine(second, "experiment.yaml"), "kind: lightgbm\nseed: 9\nparams:\n  iterations: 15\n  leaves: 4\n");
        Assert.Equal(0, Cli.Esteira(root, "run").Exit);
        var blended = Cli.Esteira(root, "blend", "1", "2");
        Assert.True(blended.Exit == 0, blended.Err);
        var entries = CacheEntries(root);
        var blend = Assert.Single(entries, e => e.Stage == "blend:blend");
        Assert.Equal(2, blend.LastRun);
        var store = Path.Combine(ds.Root, "store");

        // When it pushes, the blend's entry goes up with the others
        var push = Cli.Esteira(root, "push", "--store", store, "--json");
        Assert.True(push.Exit == 0, push.Err);
        Assert.Contains(SyncEntries(push.Out), e => e.Stage == "blend:blend" && e.Key == blend.Key && e.Action == "pushed");

        // When it prunes to the last run, the blend and what it read (features, both models) stay; the checks go
        var pruned = Prune(root);
        Assert.Equal(["check:baseline", "check:shallow"], pruned.Select(e => e.Stage).Order(StringComparer.Ordinal));
        Assert.Contains(CacheEntries(root), e => e.Key == blend.Key);

        // When a later run (3) does not use the blend, the next prune removes it like any stage's entry
        Assert.Equal(0, Cli.Esteira(root, "run").Exit);
        Assert.Contains(Prune(root), e => e.Key == blend.Key);
        Assert.DoesNotContain(CacheEntries(root), e => e.Key == blend.Key);

        // Then pull brings it back from the store, and the same blend is a cache hit
        var pull = Cli.Esteira(root, "pull", "--store", store, "--json");
        Assert.True(pull.Exit == 0, pull.Err);
        Assert.Contains(SyncEntries(pull.Out), e => e.Stage == "blend:blend" && e.Key == blend.Key && e.Action == "pulled");
        var again = Cli.Esteira(root, "blend", "1", "2");
        Assert.True(again.Exit == 0, again.Err);
        Assert.Contains("blend:blend: skipped, unchanged since run 2", again.Out, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Slow")] // several esteira processes end to end (7-17 s): CI runs it, the inner loop does not
    public void A_fresh_clone_pulls_the_blends_its_tracking_store_names_and_reuses_them()
    {
        // Given a workspace whose tracking store and artifact store are shared (as a team's database and bucket are),
        // run once with two experiments (runs 1, 2), blended (run 3) and pushed
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var second = Path.Combine(root, "experiments", "shallow");
        Directory.CreateDirectory(second);
        File.WriteAllText(Path.Combine(second, "experiment.yaml"), "kind: lightgbm\nseed: 9\nparams:\n  iterations: 15\n  leaves: 4\n");
        var yaml = Path.Combine(root, "esteira.yaml");
        File.WriteAllText(yaml, File.ReadAllText(yaml)
            .Replace("tracking: sqlite:.esteira/esteira.db", "tracking: sqlite://" + Path.Combine(ds.Root, "team.db"), StringComparison.Ordinal)
            .Replace("artifacts: .esteira/artifacts", "artifacts: " + Path.Combine(ds.Root, "bucket"), StringComparison.Ordinal));
        Assert.Equal(0, Cli.Esteira(root, "run").Exit);
        var blended = Cli.Esteira(root, "blend", "1", "2");
        Assert.True(blended.Exit == 0, blended.Err);
        var blend = Assert.Single(CacheEntries(root), e => e.Stage == "blend:blend");
        var push = Cli.Esteira(root, "push");
        Assert.True(push.Exit == 0, push.Err);

        // When a fresh clone (no .esteira/: no memo of the blend) pulls
        var clone = Clone(root, Path.Combine(ds.Root, "clone"), "baseline", "shallow");
        var pull = Cli.Esteira(clone, "pull", "--json");

        // Then the blend comes down with the experiments' entries, and blending the same runs there reuses it
        Assert.True(pull.Exit == 0, pull.Err);
        Assert.Contains(SyncEntries(pull.Out), e => e.Stage == "blend:blend" && e.Key == blend.Key && e.Action == "pulled");
        Assert.Contains(CacheEntries(clone), e => e.Key == blend.Key);
        var again = Cli.Esteira(clone, "blend", "1", "2");
        Assert.True(again.Exit == 0, again.Err);
        Assert.Contains("blend:blend: skipped, unchanged since run 2", again.Out, StringComparison.Ordinal);

        // And a clone that no longer has one of the blended experiments still pulls the blend, and says why: the newest
        // blend run of that name (4, the clone's) names it
        var narrower = Clone(root, Path.Combine(ds.Root, "narrower"), "baseline");
        var narrowPull = Cli.Esteira(narrower, "pull");
        Assert.True(narrowPull.Exit == 0, narrowPull.Err);
        Assert.Contains("pulled blend:blend (key " + blend.Key[..12], narrowPull.Out, StringComparison.Ordinal);
        Assert.Matches(@"named by tracked run 4; its part run 2 \(shallow\) is not among this workspace's experiments", narrowPull.Out);

        // And a clone whose tracking store cannot be reached still pulls what its plan names, and says which lookup it
        // skipped, without the store's password
        var offline = Clone(root, Path.Combine(ds.Root, "offline"), "baseline");
        var offlineYaml = Path.Combine(offline, "esteira.yaml");
        File.WriteAllText(offlineYaml, File.ReadAllText(offlineYaml)
            .Replace("tracking: sqlite://" + Path.Combine(ds.Root, "team.db"), "tracking: postgresql://esteira:s3cret@127.0.0.1:1/esteira", StringComparison.Ordinal));
        var offlinePull = Cli.Esteira(offline, "pull", "--json");
        Assert.True(offlinePull.Exit == 0, offlinePull.Err);
        Assert.Contains(SyncEntries(offlinePull.Out), e => e.Stage == "train:baseline" && e.Action == "pulled");
        Assert.DoesNotContain(SyncEntries(offlinePull.Out), e => e.Stage == "blend:blend");
        var warning = Assert.Single(JsonDocument.Parse(offlinePull.Out).RootElement.GetProperty("warnings").EnumerateArray()).GetString();
        Assert.StartsWith("blends made on other machines were not looked up: ", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", offlinePull.Out + offlinePull.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_tracked_blends_to_pull_are_the_newest_well_formed_blend_run_of_each_name()
    {
        // Given a tracking store with two experiment runs, two blends named "ens" (the second newer), an unfinished blend,
        // a blend whose recorded key is not a cache key (it would become a path), and a newer "ens" blend made on other
        // features (another workspace sharing the store)
        using var ds = new TempDataset();
        var workspace = Workspace.Load(WorkspaceTests.Create(ds));
        string Key(char c) => new(c, 64);
        await using (var tracking = await TrackingStores.OpenAsync(null, workspace.Root))
        {
            async Task<long> Record(string experiment, string? key, long[] parts, bool finish = true, string features = "f")
            {
                var id = await tracking.StartRunAsync(new NewRun
                {
                    Experiment = experiment,
                    Lineage = new RunLineage { DatasetHash = features, ExperimentHash = key, BlendOf = parts.Select(p => new BlendPart(p, 0.5)).ToList() },
                });
                if (finish)
                {
                    await tracking.FinishRunAsync(id, RunStatus.Finished);
                }

                return id;
            }

            Assert.Equal(1, await Record("baseline", Key('1'), []));
            Assert.Equal(2, await Record("gone", Key('2'), []));
            await Record("ens", Key('a'), [1, 2]);
            await Record("ens", Key('b'), [1, 2]);
            await Record("wip", Key('c'), [1, 2], finish: false);
            await Record("odd", "../../outside", [1, 2]);
            await Record("ens", Key('d'), [1, 2], features: "other");
        }

        // When pull asks which blends the tracking store names for features "f"
        var blends = await PullAndTrack.TrackedBlendsAsync(workspace, "f");

        // Then only the newest "ens" is taken, as blend:ens with its key, noting the part outside the workspace
        var (stage, note) = Assert.Single(blends);
        Assert.Equal("blend:ens", stage.Id);
        Assert.Equal(Key('b'), stage.Key);
        Assert.Equal("named by tracked run 4; its part run 2 (gone) is not among this workspace's experiments", note);
    }

    /// <summary>What a fresh clone of <paramref name="root"/> holds: esteira.yaml and the named experiments, no <c>.esteira/</c>.</summary>
    private static string Clone(string root, string folder, params string[] experiments)
    {
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(root, "esteira.yaml"), Path.Combine(folder, "esteira.yaml"));
        foreach (var experiment in experiments)
        {
            var target = Path.Combine(folder, "experiments", experiment);
            Directory.CreateDirectory(target);
            foreach (var file in Directory.GetFiles(Path.Combine(root, "experiments", experiment)))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }

        return folder;
    }

    private sealed record Entry(string Key, string Stage, int LastRun);

    private sealed record Synced(string Key, string Stage, string Action);

    private static List<Entry> CacheEntries(string root)
    {
        var list = Cli.Esteira(root, "cache", "list", "--json");
        Assert.True(list.Exit == 0, list.Err);
        return ReadEntries(JsonDocument.Parse(list.Out).RootElement.GetProperty("entries"));
    }

    private static List<Entry> Prune(string root)
    {
        var prune = Cli.Esteira(root, "cache", "prune", "--keep-runs", "1", "--json");
        Assert.True(prune.Exit == 0, prune.Err);
        return ReadEntries(JsonDocument.Parse(prune.Out).RootElement.GetProperty("removed"));
    }

    private static List<Entry> ReadEntries(JsonElement array) =>
        array.EnumerateArray().Select(e => new Entry(e.GetProperty("key").GetString()!, e.GetProperty("stage").GetString()!, e.GetProperty("last_run").GetInt32())).ToList();

    private static List<Synced> SyncEntries(string json) =>
        JsonDocument.Parse(json).RootElement.GetProperty("entries").EnumerateArray()
            .Select(e => new Synced(e.GetProperty("key").GetString()!, e.GetProperty("stage").GetString()!, e.GetProperty("action").GetString()!)).ToList();

    [Fact]
    public void A_blend_key_follows_the_parts_prediction_contents_not_their_folders()
    {
        // Given two parts' outputs, and a copy of them in other folders
        using var ds = new TempDataset();
        string Part(string folder, string oof, string test)
        {
            var path = Path.Combine(ds.Root, folder);
            foreach (var (split, content) in new[] { ("oof", oof), ("test", test) })
            {
                Directory.CreateDirectory(Path.Combine(path, split));
                File.WriteAllText(Path.Combine(path, split, "prediction.npy"), content);
            }

            return path;
        }

        var hasher = new FileHasher(Path.Combine(ds.Root, "state"));
        string Key(params string[] parts) => StageKeys.Key(BlendStage.Spec(new BlendRequest { Name = "b", FeaturesKey = "f", Parts = parts, OutDir = ds.Out }, hasher).Inputs);
        var a = Part("a", "oof a", "test a");
        var b = Part("b", "oof b", "test b");
        var key = Key(a, b);

        // Then the copies have the same key; another test prediction, other features or another order (the entry keeps the
        // weights in the parts' order) give another key
        Assert.Equal(key, Key(Part("copy-a", "oof a", "test a"), Part("copy-b", "oof b", "test b")));
        Assert.NotEqual(key, Key(a, Part("c", "oof b", "test c")));
        Assert.NotEqual(key, Key(b, a));
        Assert.NotEqual(key, StageKeys.Key(BlendStage.Spec(new BlendRequest { Name = "b", FeaturesKey = "g", Parts = [a, b], OutDir = ds.Out }, hasher).Inputs));
    }

    [Fact]
    public void Blending_an_unknown_run_is_a_clear_error()
    {
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var result = Cli.Esteira(root, "blend", "41", "42");
        Assert.Equal(2, result.Exit);
        Assert.Contains("run 41: not in the tracking store", result.Err, StringComparison.Ordinal);
    }

    /// <summary>The weights table (parts, OOF RMSLE, weights, blend score), without the run number or the gate.</summary>
    private static string Table(string output) =>
        string.Join("\n", output.Split('\n').SkipWhile(l => !l.Contains("blend → run", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => !l.StartsWith("submission:", StringComparison.Ordinal)));

    private static double FindMetric(JsonElement element, string name)
    {
        foreach (var metric in Descendants(element).Where(e => e.ValueKind == JsonValueKind.Object))
        {
            if (metric.TryGetProperty("name", out var n) && n.GetString() == name && metric.TryGetProperty("value", out var v)
                && (!metric.TryGetProperty("fold", out var f) || f.ValueKind == JsonValueKind.Null))
            {
                return v.GetDouble();
            }
        }

        throw new InvalidOperationException($"no summary metric {name} in {element}");
    }

    private static IEnumerable<JsonElement> Descendants(JsonElement e)
    {
        yield return e;
        var children = e.ValueKind switch
        {
            JsonValueKind.Object => e.EnumerateObject().Select(p => p.Value),
            JsonValueKind.Array => e.EnumerateArray(),
            _ => [],
        };
        foreach (var c in children.SelectMany(Descendants))
        {
            yield return c;
        }
    }
}
