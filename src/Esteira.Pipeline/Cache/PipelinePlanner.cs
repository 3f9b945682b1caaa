namespace Esteira.Pipeline.Cache;

/// <summary>A stage of the DAG: its own inputs (files by hash, parameters, versions) and the stages it consumes.</summary>
public sealed record StageSpec(string Id, IReadOnlyList<string> DependsOn, IReadOnlyDictionary<string, string> Inputs);

/// <summary>What the planner decided for one stage, and why.</summary>
/// <param name="Id">The stage.</param>
/// <param name="Key">Its cache key: SHA-256 of its inputs and its dependencies' keys.</param>
/// <param name="Run">True when it must run; false when its outputs are reused from the cache.</param>
/// <param name="Reason">One line for the user: "ran because weather_train.csv changed", "skipped, unchanged since run 12".</param>
/// <param name="Inputs">The full inputs the key was computed from (dependencies included as <c>stage:ID</c>).</param>
public sealed record PlannedStage(string Id, string Key, bool Run, string Reason, IReadOnlyDictionary<string, string> Inputs);

/// <summary>What the cache and the last runs know, as the planner sees it.</summary>
public interface IPlanState
{
    /// <summary>The run number that produced the cache entry <paramref name="key"/>, or null when there is none.</summary>
    int? CachedRun(string key);

    /// <summary>The inputs of the last successful run of <paramref name="stageId"/>, or null.</summary>
    IReadOnlyDictionary<string, string>? LastInputs(string stageId);

    /// <summary>
    /// What the cache holds for <paramref name="key"/>, including entries that are there but unusable (incomplete or
    /// damaged), so that the plan can say why such a stage runs again. By default, what <see cref="CachedRun"/> says.
    /// </summary>
    CacheLookup Lookup(string key) => CachedRun(key) is { } run ? new CacheLookup(CacheState.Valid, run, "") : CacheLookup.Absent;
}

/// <summary>The state of a cache entry: absent, usable, or present but unusable.</summary>
public enum CacheState
{
    /// <summary>No entry for the key.</summary>
    Absent,

    /// <summary>A complete entry whose files match its manifest.</summary>
    Valid,

    /// <summary>An entry without a readable manifest or missing a file its manifest lists (an interrupted write or replacement).</summary>
    Incomplete,

    /// <summary>An entry with a file whose size or SHA-256 differs from its manifest.</summary>
    Damaged,
}

/// <summary>What the cache holds for a key.</summary>
/// <param name="State">Absent, valid, incomplete or damaged.</param>
/// <param name="Run">For a valid entry, the run that produced it.</param>
/// <param name="Detail">For an unusable entry, what is wrong ("oof.npy hash mismatch"); empty otherwise.</param>
public sealed record CacheLookup(CacheState State, int Run, string Detail)
{
    /// <summary>Nothing cached for the key.</summary>
    public static CacheLookup Absent { get; } = new(CacheState.Absent, 0, "");
}

/// <summary>
/// Plans a run: which stages execute and why. A pure function of the graph, the cache's contents (as
/// <see cref="IPlanState"/> reports them) and the forced stages; it touches no disk itself. A cache entry that is there
/// but incomplete or damaged counts as absent, and the reason says so.
/// </summary>
/// <remarks>
/// <code>
///   features ──► train:a ──► check:a
///            └─► train:b ──► check:b
/// </code>
/// With <c>train:a</c> cached and <c>params.leaves</c> of b changed, the plan is: features skipped, train:a skipped,
/// check:a skipped, train:b runs ("params.leaves changed 63 → 31"), check:b runs ("train:b reran").
/// A stage's key includes its dependencies' keys, so a change upstream changes every key downstream.
/// </remarks>
public static class PipelinePlanner
{
    /// <summary>Each stage in <paramref name="stages"/> with whether it runs and why: it runs when forced, when its cache entry is not valid, or when a stage it depends on runs.</summary>
    public static IReadOnlyList<PlannedStage> Plan(IReadOnlyList<StageSpec> stages, IPlanState state, IReadOnlySet<string>? forced = null)
    {
        forced ??= new HashSet<string>();
        var byId = new Dictionary<string, StageSpec>(StringComparer.Ordinal);
        foreach (var stage in stages)
        {
            if (!byId.TryAdd(stage.Id, stage))
            {
                throw new EsteiraException(ErrorCode.BadInput, $"stage '{stage.Id}' is declared twice; stage ids must be unique");
            }
        }

        // a kind without a name (--force train) means every stage of that kind: train:a, train:b, …
        var byName = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in forced)
        {
            var matching = byId.ContainsKey(f) ? [f] : byId.Keys.Where(id => id.StartsWith(f + ":", StringComparison.Ordinal)).ToList();
            if (matching.Count == 0)
            {
                throw new EsteiraException(ErrorCode.Usage, $"--force {f}: no such stage; stages are {string.Join(", ", byId.Keys)} (a kind alone, e.g. train, means all of its stages)");
            }

            byName.UnionWith(matching);
        }

        forced = byName;

        var planned = new Dictionary<string, PlannedStage>(StringComparer.Ordinal);
        var order = new List<PlannedStage>();
        var visiting = new HashSet<string>(StringComparer.Ordinal);

        PlannedStage Visit(string id, string from)
        {
            if (planned.TryGetValue(id, out var done))
            {
                return done;
            }

            if (!byId.TryGetValue(id, out var stage))
            {
                throw new EsteiraException(ErrorCode.BadInput, $"stage '{from}' depends on '{id}', which is not a stage");
            }

            if (!visiting.Add(id))
            {
                throw new EsteiraException(ErrorCode.BadInput, $"stages form a cycle through '{id}'");
            }

            var deps = stage.DependsOn.Select(d => Visit(d, id)).ToList();
            var inputs = new Dictionary<string, string>(stage.Inputs, StringComparer.Ordinal);
            foreach (var dep in deps)
            {
                inputs["stage:" + dep.Id] = dep.Key;
            }

            var key = StageKeys.Key(inputs);
            var forcedDep = deps.FirstOrDefault(d => d.Run && d.Reason.StartsWith("forced", StringComparison.Ordinal));
            string reason;
            bool run;
            if (forced.Contains(id))
            {
                (run, reason) = (true, $"forced (--force {id})");
            }
            else if (forcedDep is not null)
            {
                (run, reason) = (true, $"forced: depends on {forcedDep.Id}");
            }
            else
            {
                var cached = state.Lookup(key);
                (run, reason) = cached.State switch
                {
                    CacheState.Valid => (false, $"skipped, unchanged since run {cached.Run}"),
                    CacheState.Incomplete => (true, $"ran because its cached result was incomplete: {cached.Detail}"),
                    CacheState.Damaged => (true, $"ran because its cached result was damaged: {cached.Detail}"),
                    _ => (true, "ran because " + Explain(inputs, state.LastInputs(id), deps)),
                };
            }

            visiting.Remove(id);
            var result = new PlannedStage(id, key, run, reason, inputs);
            planned[id] = result;
            order.Add(result);
            return result;
        }

        foreach (var stage in stages)
        {
            Visit(stage.Id, stage.Id);
        }

        return order;
    }

    /// <summary>Names what differs from the last run: changed files first, then parameters, then upstream stages.</summary>
    public static string Explain(IReadOnlyDictionary<string, string> now, IReadOnlyDictionary<string, string>? before, IReadOnlyList<PlannedStage> deps)
    {
        if (before is null)
        {
            return "it never ran here before";
        }

        var changes = new List<string>();
        foreach (var (name, value) in now.OrderBy(p => Rank(p.Key)).ThenBy(p => p.Key, StringComparer.Ordinal))
        {
            if (before.TryGetValue(name, out var old) && old == value)
            {
                continue;
            }

            changes.Add(name switch
            {
                _ when name.StartsWith("file:", StringComparison.Ordinal) => old is null ? $"{name[5..]} was added" : $"{name[5..]} changed",
                _ when name.StartsWith("stage:", StringComparison.Ordinal) => deps.FirstOrDefault(d => d.Id == name[6..]) is { Run: true }
                    ? $"{name[6..]} reran" : $"{name[6..]} changed",
                _ => old is null ? $"{name} was added ({Short(value)})" : $"{name} changed {Short(old)} → {Short(value)}",
            });
        }

        foreach (var name in before.Keys.Where(k => !now.ContainsKey(k)).Order(StringComparer.Ordinal))
        {
            changes.Add($"{name} was removed");
        }

        return changes.Count == 0 ? "its earlier outputs are no longer in the cache" : string.Join(", ", changes.Take(4)) + (changes.Count > 4 ? $" and {changes.Count - 4} more" : "");
    }

    private static int Rank(string name) =>
        name.StartsWith("file:", StringComparison.Ordinal) ? 0 : name.StartsWith("stage:", StringComparison.Ordinal) ? 2 : 1;

    private static string Short(string value) => value.Length <= 32 ? value : value[..10] + "…" + value[^10..];
}
