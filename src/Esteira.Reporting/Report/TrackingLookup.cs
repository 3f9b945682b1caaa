using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Esteira.Pipeline;
using Esteira.Pipeline.Cache;
using Esteira.Tracking;

namespace Esteira.Reporting.Report;

/// <summary>What the report compares against: the champion, or a run named on the command line.</summary>
/// <param name="Label">For people, e.g. "champion (version 3, run 12)".</param>
/// <param name="Run">The run.</param>
/// <param name="ModelKeys">Cache keys the run names in its artifacts and tags, most likely the model's first.</param>
public sealed record Baseline(string Label, Run Run, IReadOnlyList<string> ModelKeys);

/// <summary>What the tracking store knows about one experiment's current result.</summary>
public sealed record TrackingFacts
{
    /// <summary>The run recorded for the current result, when one matches it.</summary>
    public Run? Challenger { get; init; }

    /// <summary>How <see cref="Challenger"/> was matched ("by cache key", "by cv_rmsle").</summary>
    public string? ChallengerMatch { get; init; }

    /// <summary>The run to compare with, or null with <see cref="NoBaseline"/> saying why.</summary>
    public Baseline? Baseline { get; init; }

    /// <summary>Why there is no <see cref="Baseline"/>, for the report; null when there is one.</summary>
    public string? NoBaseline { get; init; }
}

/// <summary>
/// Reads the champion and the run of the current result from the tracking store. A run is tied to its cache entry by
/// an artifact or tag whose value names the train stage's cache key (e.g. artifact <c>model</c> = <c>cache/KEY</c>);
/// failing that, the newest finished run of the experiment with the same cv_rmsle is taken.
/// </summary>
public static partial class TrackingLookup
{
    /// <summary>The <c>--against</c> value that compares with the registered model's champion.</summary>
    public const string Champion = "champion";
    /// <summary>The tracked metric key a baseline run's score is read from.</summary>
    public const string Metric = "cv_rmsle";
    private const int RunsToSearch = 200;

    /// <summary>Parses <c>--against</c>: <c>champion</c> or a run id.</summary>
    /// <exception cref="EsteiraException">Neither (<see cref="ErrorCode.Usage"/>).</exception>
    public static long? ParseAgainst(string against) =>
        string.Equals(against, Champion, StringComparison.OrdinalIgnoreCase) ? null
        : long.TryParse(against, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id
        : throw new EsteiraException(ErrorCode.Usage, $"--against '{against}': expected 'champion' or a run id such as 12 (see esteira runs list)");

    /// <summary>Finds the run of the current result (by cache key <paramref name="modelKey"/>, else by <paramref name="cvRmsle"/>) and the baseline named by <paramref name="against"/> (the champion of <paramref name="model"/> or a run id).</summary>
    public static async Task<TrackingFacts> ReadAsync(ITrackingStore store, string experiment, string model, string against, string modelKey, double cvRmsle,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var runId = ParseAgainst(against);
        var summaries = await store.ListRunsAsync(new RunQuery { Experiment = experiment, Limit = RunsToSearch }, cancellationToken);
        var runs = summaries.Count == 0 ? [] : await store.GetRunsAsync(summaries.Select(s => s.Id).ToList(), cancellationToken);
        var (challenger, match) = FindChallenger(runs, modelKey, cvRmsle);

        Baseline? baseline = null;
        string? why = null;
        if (runId is { } id)
        {
            var run = await store.GetRunOrThrowAsync(id, cancellationToken);
            baseline = new Baseline($"run {run.Id} ({run.Experiment})", run, KeysOf(run));
        }
        else if (await store.GetChampionAsync(model, cancellationToken) is { } version)
        {
            var run = await store.GetRunAsync(version.RunId, cancellationToken);
            if (run is not null && run.Id == challenger?.Id)
            {
                // The gate already promoted this result: what it replaced is the comparison that says what the change did.
                var previousId = run.Gate?.ChampionRunId ?? await PreviousChampionAsync(store, model, run.Id, cancellationToken);
                var previous = previousId is { } p ? await store.GetRunAsync(p, cancellationToken) : null;
                if (previous is null)
                {
                    why = $"this result is the champion of '{model}' (version {version.Version}) and there was none before it";
                }
                else
                {
                    baseline = new Baseline($"previous champion (run {previous.Id})", previous, KeysOf(previous));
                }
            }
            else if (run is null)
            {
                why = $"the champion of '{model}' (version {version.Version}) names run {version.RunId}, which is not in the tracking store";
            }
            else
            {
                baseline = new Baseline($"champion (version {version.Version}, run {run.Id})", run, KeysOf(run));
            }
        }
        else
        {
            why = $"no champion for model '{model}' yet: the first run that passes the gate becomes champion";
        }

        return new TrackingFacts { Challenger = challenger, ChallengerMatch = match, Baseline = baseline, NoBaseline = why };
    }

    /// <summary>The run the champion alias pointed at before it moved to <paramref name="runId"/>, from the alias history.</summary>
    private static async Task<long?> PreviousChampionAsync(ITrackingStore store, string model, long runId, CancellationToken cancellationToken)
    {
        var history = await store.GetAliasHistoryAsync(model, TrackingStoreExtensions.ChampionAlias, cancellationToken);
        if (history.LastOrDefault(c => c.RunId == runId)?.PreviousVersion is not { } version)
        {
            return null;
        }

        return (await store.ListVersionsAsync(model, cancellationToken)).FirstOrDefault(v => v.Version == version)?.RunId;
    }

    /// <summary>The newest run tied to <paramref name="modelKey"/>, else the newest finished run with the same score.</summary>
    internal static (Run? Run, string? Match) FindChallenger(IReadOnlyList<Run> newestFirst, string modelKey, double cvRmsle)
    {
        if (newestFirst.FirstOrDefault(r => References(r).Any(v => v.Contains(modelKey, StringComparison.Ordinal))) is { } byKey)
        {
            return (byKey, "by cache key");
        }

        // metrics.json rounds to 5 decimals; a tracked value may be rounded the same way or not at all.
        var byScore = newestFirst.FirstOrDefault(r => r.Status == RunStatus.Finished && r.Metric(Metric) is { } v && Math.Abs(v - cvRmsle) <= 5e-6);
        return byScore is null ? (null, null) : (byScore, $"by {Metric}");
    }

    /// <summary>Cache keys a run names, from its <c>model</c> artifact first, then other artifacts, then tags.</summary>
    internal static IReadOnlyList<string> KeysOf(Run run) =>
        References(run).SelectMany(v => KeyPattern().Matches(v).Select(m => m.Value)).Distinct().ToList();

    private static IEnumerable<string> References(Run run) =>
        run.Artifacts.OrderBy(a => a.Key == "model" ? 0 : 1).ThenBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Value)
            .Concat(run.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => t.Value));

    /// <summary>
    /// The baseline's out-of-fold predictions on the current features' validation rows: from the local cache, else from
    /// the artifact store. Null, with the reason, when they are not available or were made on other features.
    /// </summary>
    public static async Task<(float[]? Prediction, string? Why)> BaselineOofAsync(Baseline baseline, StageCache cache, IArtifactStore? store, string featuresKey,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(cache);
        if (baseline.ModelKeys.Count == 0)
        {
            return (null, $"run {baseline.Run.Id} records no cache key of its model (expected an artifact such as model = cache/KEY)");
        }

        string? why = null;
        foreach (var key in baseline.ModelKeys)
        {
            var local = ReadManifest(Path.Combine(cache.EntryFolder(key), StageCache.ManifestFile));
            if (local is not null && IsModel(local))
            {
                if (!SameFeatures(local, featuresKey))
                {
                    why = OtherFeatures(baseline);
                    continue;
                }

                return (OofData.ReadPrediction(Path.Combine(cache.EntryFolder(key), "oof")), null);
            }

            if (store is null)
            {
                continue;
            }

            var remote = await CacheSync.ReadRemoteManifestAsync(store, key, cancellationToken);
            if (remote is null || !IsModel(remote))
            {
                continue;
            }

            if (!SameFeatures(remote, featuresKey))
            {
                why = OtherFeatures(baseline);
                continue;
            }

            return (await DownloadOofAsync(cache, store, key, cancellationToken), null);
        }

        return (null, why ?? $"the outputs of run {baseline.Run.Id} (key {Short(baseline.ModelKeys[0])}) are neither in the local cache nor in the artifact store; push them from where it ran (esteira push)");
    }

    internal static string Short(string key) => key.Length > 12 ? key[..12] + "…" : key;

    private static async Task<float[]> DownloadOofAsync(StageCache cache, IArtifactStore store, string key, CancellationToken cancellationToken)
    {
        // Only the one file is needed; it is read from a scratch folder and never enters the cache, which holds whole entries only.
        var work = Path.Combine(cache.TempFolder, $"report_oof-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var remoteKey = CacheSync.RemoteKey(key, "oof/prediction.npy");
            await using (var source = await store.OpenReadAsync(remoteKey, cancellationToken)
                ?? throw new EsteiraException(ErrorCode.NotFound, $"{store.Location}: {remoteKey} is missing from a complete entry; push it again"))
            await using (var file = File.Create(Path.Combine(work, "prediction.npy")))
            {
                await source.CopyToAsync(file, cancellationToken);
            }

            return OofData.ReadPrediction(work);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static bool IsModel(CacheManifest manifest) => manifest.Stage.StartsWith("train:", StringComparison.Ordinal);

    private static bool SameFeatures(CacheManifest manifest, string featuresKey) =>
        manifest.Inputs.TryGetValue("stage:" + WorkspaceRunner.FeaturesStage, out var key) && key == featuresKey;

    private static string OtherFeatures(Baseline baseline) =>
        $"run {baseline.Run.Id} was trained on other features (the dataset, folds or quality settings changed), so its rows do not line up with this result's";

    private static CacheManifest? ReadManifest(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<CacheManifest>(File.ReadAllText(path)) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex("(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")]
    private static partial Regex KeyPattern();
}
