using System.Text.Json;
using Esteira.Ml;
using Esteira.Pipeline.Cache;
using Esteira.Pipeline.Profiles;

namespace Esteira.Pipeline;

/// <summary>What to blend: the trained models' output folders (each with <c>oof/</c> and <c>test/</c> predictions) on one features entry.</summary>
public sealed record BlendRequest
{
    /// <summary>The blend's name: its stage is <c>blend:NAME</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The cache key of the features entry every part was trained on (the parts' dataset hash).</summary>
    public required string FeaturesKey { get; init; }

    /// <summary>The parts' model folders, in the order their weights are reported.</summary>
    public required IReadOnlyList<string> Parts { get; init; }

    /// <summary>Where the blend's submission is published.</summary>
    public required string OutDir { get; init; }
}

/// <summary>The outcome of a blend, fitted now or reused from the cache.</summary>
/// <param name="Run">The workspace run number of this blend.</param>
/// <param name="Stage">The planned <c>blend:NAME</c> stage: its key and why it ran or was skipped.</param>
/// <param name="Weights">One weight per part, in the request's order.</param>
/// <param name="Metrics">The blend's out-of-fold metrics.</param>
/// <param name="EntryFolder">The blend's cache entry (predictions, metrics, submission).</param>
/// <param name="Submission">The published submission.</param>
public sealed record BlendResult(int Run, PlannedStage Stage, IReadOnlyList<double> Weights, ModelMetrics Metrics, string EntryFolder, string Submission);

/// <summary>
/// <c>blend:NAME</c>, a cached stage like <c>train:NAME</c>: its key covers the parts' out-of-fold and test predictions
/// (by content hash, in order), the features entry, the method and the Esteira version. Its entry holds the blended
/// predictions, their metrics, the submission and the fitted weights, so that an identical blend is reused (and says
/// so), and <c>cache prune</c>, <c>push</c> and <c>pull</c> treat it as every other entry.
/// </summary>
/// <remarks>
/// The weights are fitted where the metric is least squares: in log1p space for RMSLE (GEPIII's label is already
/// there), else in the target's units. A blend counts as a workspace run: it takes the next run number, and marks the
/// features and part entries it read as used by that run, so that <c>cache prune --keep-runs 1</c> keeps what it needs.
/// </remarks>
public static class BlendStage
{
    /// <summary>The stage kind; a blend's stage id is <c>blend:NAME</c>.</summary>
    public const string Kind = "blend";

    /// <summary>The fitted weights in a blend's entry.</summary>
    public const string WeightsFile = "blend.json";

    /// <summary>The method that fits the weights; part of the key, so that another method never reuses these outputs.</summary>
    private const string Method = "nnls";

    /// <summary>The blend's stage: its inputs are the parts' prediction hashes, the features key, the method and the version.</summary>
    /// <exception cref="EsteiraException">A part's predictions are missing (<see cref="ErrorCode.NotFound"/>).</exception>
    public static StageSpec Spec(BlendRequest request, FileHasher hasher)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(hasher);
        var inputs = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["esteira.version"] = WorkspaceRunner.ToolVersion,
            ["blend.method"] = Method,
            ["stage:" + WorkspaceRunner.FeaturesStage] = request.FeaturesKey,
        };
        for (var i = 0; i < request.Parts.Count; i++)
        {
            foreach (var split in new[] { "oof", "test" })
            {
                var predictions = Path.Combine(request.Parts[i], split, "prediction.npy");
                if (!File.Exists(predictions))
                {
                    throw new EsteiraException(ErrorCode.NotFound, $"{request.Parts[i]}: no {split} predictions; a blend part must be a trained model's outputs");
                }

                inputs[$"part.{i + 1}.{split}"] = hasher.Hash(predictions);
            }
        }

        return new StageSpec($"{Kind}:{request.Name}", [], inputs);
    }

    /// <summary>
    /// Reuses the blend's cache entry or fits the weights, writes the blended predictions, metrics and submission and
    /// commits them; then publishes the submission to <see cref="BlendRequest.OutDir"/>. Holds the workspace lock.
    /// </summary>
    /// <exception cref="EsteiraException">Another run holds the workspace (<see cref="ErrorCode.Conflict"/>), or the
    /// features or a part's predictions are not in this workspace (<see cref="ErrorCode.NotFound"/>).</exception>
    public static BlendResult Run(Workspace workspace, BlendRequest request, IRunObserver observer)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(request);
        using var workspaceLock = WorkspaceLock.Acquire(workspace.StateFolder);
        var cache = new StageCache(workspace.StateFolder);
        cache.CleanAbandonedWork();
        var featuresFolder = cache.EntryFolder(request.FeaturesKey);
        if (cache.CachedRun(request.FeaturesKey) is null)
        {
            throw new EsteiraException(ErrorCode.NotFound,
                $"features {request.FeaturesKey[..Math.Min(12, request.FeaturesKey.Length)]}…: not in this workspace's cache; run 'esteira pull' or 'esteira run' first");
        }

        var hasher = new FileHasher(cache.StateFolder);
        var spec = Spec(request, hasher);
        hasher.Save();
        var stage = PipelinePlanner.Plan([spec], cache).Single();
        var run = cache.NextRunNumber();
        var entry = WorkspaceRunner.Execute(cache, stage, run, observer, work => Fit(featuresFolder, request.Parts, work, observer));

        // The blend read these entries: they stay as long as it does.
        cache.MarkUsed(request.FeaturesKey, run);
        foreach (var part in request.Parts)
        {
            var folder = Path.GetFullPath(part);
            if (Path.GetDirectoryName(folder) == Path.GetFullPath(cache.CacheFolder))
            {
                cache.MarkUsed(Path.GetFileName(folder), run);
            }
        }

        Directory.CreateDirectory(request.OutDir);
        var submission = Path.GetFullPath(Path.Combine(request.OutDir, GepiiiStages.SubmissionFile));
        AtomicFile.Copy(Path.Combine(entry, GepiiiStages.SubmissionFile), submission);
        var weights = JsonSerializer.Deserialize<BlendWeights>(File.ReadAllText(Path.Combine(entry, WeightsFile)), EsteiraJson.Options)!;
        return new BlendResult(run, stage, weights.Weights, GepiiiStages.ReadMetrics(entry), entry, submission);
    }

    /// <summary>
    /// The blends last made in this workspace, each planned from the inputs it last ran with: what <c>esteira pull</c>
    /// fetches besides the workspace's own stages (a blend is not declared in <c>esteira.yaml</c>, so only its memo names it).
    /// </summary>
    public static IReadOnlyList<PlannedStage> Remembered(Workspace workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var cache = new StageCache(workspace.StateFolder);
        var prefix = Kind + "_";
        var suffix = ".inputs.json";
        var stages = new List<PlannedStage>();
        foreach (var file in Directory.GetFiles(cache.StateFolder, prefix + "*" + suffix).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file)[prefix.Length..^suffix.Length];
            var id = $"{Kind}:{name}";
            if (cache.LastInputs(id) is { } inputs)
            {
                stages.Add(new PlannedStage(id, StageKeys.Key(inputs), Run: true, "", inputs));
            }
        }

        return stages;
    }

    /// <summary>Fits the weights on the out-of-fold predictions and applies them to both splits, into <paramref name="work"/>.</summary>
    private static BlendFit Fit(string featuresFolder, IReadOnlyList<string> parts, string work, IRunObserver observer)
    {
        var profile = CompetitionProfiles.ForFeatures(featuresFolder);
        var summary = GepiiiStages.ReadSummary(featuresFolder);
        var logSpace = summary.Metric == EvalMetric.Rmsle.Name;
        var label = ColumnTable.ReadFloat(Path.Combine(featuresFolder, "valid"), "label");
        var actual = logSpace && summary.Profile != GepiiiProfile.ProfileName ? Log1p(label) : label;
        float[] Space(float[] predictions) => logSpace ? Log1p(predictions) : predictions;
        float[] Back(float[] blended) => logSpace ? Expm1(blended) : blended;
        var oof = parts.Select(p => Space(ColumnTable.ReadFloat(Path.Combine(p, "oof"), "prediction"))).ToList();
        var test = parts.Select(p => Space(ColumnTable.ReadFloat(Path.Combine(p, "test"), "prediction"))).ToList();
        var fit = Blend.FitWeights(oof, actual);
        profile.WritePredictions(featuresFolder, Back(Blend.Apply(fit.Weights, oof)), Back(Blend.Apply(fit.Weights, test)), [], work);
        profile.Submission(featuresFolder, work, work, observer);
        File.WriteAllText(Path.Combine(work, WeightsFile), JsonSerializer.Serialize(new BlendWeights(fit.Weights), EsteiraJson.Options));
        return fit;
    }

    private static float[] Log1p(float[] values) => values.Select(v => MathF.Log(1 + v)).ToArray();

    private static float[] Expm1(float[] values) => values.Select(v => MathF.Max(0, MathF.Exp(v) - 1)).ToArray();

    /// <summary>The content of <see cref="WeightsFile"/>.</summary>
    private sealed record BlendWeights(IReadOnlyList<double> Weights);
}
