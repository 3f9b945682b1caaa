using Esteira.Config;
using Esteira.Pipeline.Cache;
using Esteira.Tracking;

namespace Esteira.Pipeline.Runs;

/// <summary>
/// <c>esteira pull</c>'s work: what the workspace's plan needs, plus the blends, then <see cref="CacheSync.PullAsync"/>.
/// </summary>
/// <remarks>
/// A blend is not declared in <c>esteira.yaml</c>, so the plan does not name it. Two things do: the memo of the blends
/// last made on this machine (<see cref="BlendStage.Remembered"/>), and the tracking store, whose blend runs record
/// their stage key as the experiment hash. A fresh clone has no memo, so the tracking store is what lets it pull the
/// blends another machine made and pushed.
/// </remarks>
public static class PullAndTrack
{
    /// <summary>How many of the newest finished runs are searched for blends: a blend older than that is made again.</summary>
    public const int RunsSearched = 1000;

    /// <summary>
    /// Pulls the entries of <paramref name="workspace"/>'s plan and, unless <paramref name="experiment"/> narrows it,
    /// of its blends: those remembered here and the newest blend run of each name in the tracking store.
    /// </summary>
    /// <param name="workspace">The workspace, its dataset already local (see <see cref="RemoteDatasets"/>).</param>
    /// <param name="experiment">Only this experiment's stages (and no blends); null for all.</param>
    /// <param name="store">The artifact store to pull from.</param>
    /// <param name="progress">Told about each entry as it is done.</param>
    /// <param name="cancellationToken">Cancels the tracking store calls and the downloads.</param>
    /// <exception cref="EsteiraException">The tracking store failed, a run holds the workspace, or the store's entry is not what its key says.</exception>
    public static async Task<SyncResult> PullAsync(Workspace workspace, string? experiment, IArtifactStore store, IProgress<SyncEntry>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(store);
        var plan = WorkspaceRunner.Plan(workspace, new RunRequest { OutDir = "out", Experiment = experiment }).ToList();
        var notes = new Dictionary<string, string>(StringComparer.Ordinal);
        var warnings = new List<string>();
        if (experiment is null)
        {
            var known = plan.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
            foreach (var blend in BlendStage.Remembered(workspace).Where(b => known.Add(b.Key)))
            {
                plan.Add(blend);
            }

            var featuresKey = plan.Single(s => s.Id == WorkspaceRunner.FeaturesStage).Key;
            IReadOnlyList<(PlannedStage Blend, string Note)> tracked = [];
            try
            {
                tracked = await TrackedBlendsAsync(workspace, featuresKey, cancellationToken);
            }
            catch (EsteiraException e) when (e.Code == ErrorCode.ExternalService)
            {
                // An unreachable tracking store: the stages the plan names do not need it, so pull them and say what was skipped.
                warnings.Add($"blends made on other machines were not looked up: {e.Message}");
            }

            foreach (var (blend, note) in tracked)
            {
                if (known.Add(blend.Key))
                {
                    plan.Add(blend);
                    notes[blend.Key] = note;
                }
            }
        }

        SyncEntry Noted(SyncEntry entry) => notes.TryGetValue(entry.Key, out var note) ? entry with { Note = note } : entry;
        var noted = progress is null ? null : new NotingProgress(progress, Noted);
        var result = await CacheSync.PullAsync(workspace.StateFolder, plan, store, noted, cancellationToken);
        return result with { Entries = result.Entries.Select(Noted).ToList(), Warnings = warnings };
    }

    /// <summary>
    /// The newest finished blend run of each name among the <see cref="RunsSearched"/> newest runs of the workspace's
    /// tracking store that blended predictions made on <paramref name="featuresKey"/> (a blend of other features can
    /// never be reused here: its stage key would differ), as the stage <c>blend:NAME</c> with the recorded key, and a
    /// note for the user: which run names it, and whether its parts come from experiments this workspace no longer (or
    /// never) had.
    /// </summary>
    /// <exception cref="EsteiraException">The tracking store failed.</exception>
    public static async Task<IReadOnlyList<(PlannedStage Blend, string Note)>> TrackedBlendsAsync(Workspace workspace, string featuresKey,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        await using var tracking = await TrackingStores.OpenAsync(WorkspaceConfig.TrackingUri(workspace.Config), workspace.Root, cancellationToken: cancellationToken);
        var newest = await tracking.ListRunsAsync(new RunQuery { Status = RunStatus.Finished, Limit = RunsSearched }, cancellationToken);
        var runs = await tracking.GetRunsAsync(newest.Select(r => r.Id).ToList(), cancellationToken);

        // The key comes from a shared store and becomes a path, locally and in the artifact store: only a well-formed one is taken.
        var blends = runs.Where(r => r.Lineage.BlendOf.Count > 0 && r.Lineage.DatasetHash == featuresKey && r.Lineage.ExperimentHash is { } key && CacheSync.IsKey(key))
            .OrderByDescending(r => r.Id)
            .DistinctBy(r => r.Experiment, StringComparer.Ordinal)
            .ToList();
        if (blends.Count == 0)
        {
            return [];
        }

        var byId = runs.ToDictionary(r => r.Id);
        var missing = blends.SelectMany(b => b.Lineage.BlendOf).Select(p => p.RunId).Where(id => !byId.ContainsKey(id)).Distinct().ToList();
        foreach (var part in await tracking.GetRunsAsync(missing, cancellationToken))
        {
            byId[part.Id] = part;
        }

        var experiments = workspace.Experiments.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        var stages = new List<(PlannedStage, string)>();
        foreach (var blend in blends)
        {
            var elsewhere = blend.Lineage.BlendOf
                .Select(p => (p.RunId, Experiment: byId.GetValueOrDefault(p.RunId)?.Experiment))
                .Where(p => p.Experiment is null || !experiments.Contains(p.Experiment))
                .Select(p => p.Experiment is null ? $"run {p.RunId} (no longer tracked)" : $"run {p.RunId} ({p.Experiment})")
                .ToList();
            var note = $"named by tracked run {blend.Id}" + (elsewhere.Count == 0 ? ""
                : $"; its part{(elsewhere.Count == 1 ? "" : "s")} {string.Join(", ", elsewhere)} {(elsewhere.Count == 1 ? "is" : "are")} not among this workspace's experiments");
            var id = $"{BlendStage.Kind}:{blend.Experiment}";
            stages.Add((new PlannedStage(id, blend.Lineage.ExperimentHash!, Run: true, "", new Dictionary<string, string>()), note));
        }

        return stages;
    }

    /// <summary>Passes each entry on with its note, synchronously and in order.</summary>
    private sealed class NotingProgress(IProgress<SyncEntry> inner, Func<SyncEntry, SyncEntry> note) : IProgress<SyncEntry>
    {
        public void Report(SyncEntry value) => inner.Report(note(value));
    }
}
