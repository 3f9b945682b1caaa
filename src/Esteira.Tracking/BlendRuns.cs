using System.Globalization;

namespace Esteira.Tracking;

/// <summary>A tracked run taken as a blend part, and the folder of its model's outputs.</summary>
/// <param name="Run">The tracked run.</param>
/// <param name="ModelFolder">Its <c>model</c> artifact, resolved against the workspace.</param>
public sealed record BlendPartRun(Run Run, string ModelFolder);

/// <summary>The tracked runs a blend is made of, all trained on one features entry.</summary>
/// <param name="Parts">The runs, in the order given, without repeats.</param>
/// <param name="FeaturesKey">The dataset hash (the features cache key) they share.</param>
public sealed record BlendParts(IReadOnlyList<BlendPartRun> Parts, string FeaturesKey);

/// <summary>A finished blend, as the tracking store records it.</summary>
public sealed record NewBlendRun
{
    /// <summary>The blend run's experiment name.</summary>
    public required string Experiment { get; init; }

    /// <summary>The parts, in the order of <see cref="Weights"/>.</summary>
    public required BlendParts Parts { get; init; }

    /// <summary>One weight per part.</summary>
    public required IReadOnlyList<double> Weights { get; init; }

    /// <summary>The blend stage's cache key, recorded as the experiment hash.</summary>
    public required string StageKey { get; init; }

    /// <summary>The Esteira build that produced it.</summary>
    public required string EsteiraVersion { get; init; }

    /// <summary>The blend's out-of-fold metrics (the summary and each fold).</summary>
    public required IReadOnlyList<MetricPoint> Metrics { get; init; }

    /// <summary>The published submission.</summary>
    public required string Submission { get; init; }

    /// <summary>The blend's outputs (its cache entry).</summary>
    public required string Model { get; init; }
}

/// <summary>
/// The tracking side of <c>esteira blend</c>: which outputs the parts' runs point at, and the blend's own run, whose
/// lineage names its parts and weights (<see cref="RunLineage.BlendOf"/>).
/// </summary>
public static class BlendRuns
{
    /// <summary>Looks up the runs to blend and checks that their model outputs are here and were trained on the same features.</summary>
    /// <param name="store">The tracking store.</param>
    /// <param name="runIds">The runs; a run given twice counts once.</param>
    /// <param name="workspaceRoot">Relative <c>model</c> artifacts are resolved against it.</param>
    /// <param name="cancellationToken">Cancels the lookups.</param>
    /// <exception cref="EsteiraException">A run is unknown or its outputs are not in this workspace (<see cref="ErrorCode.NotFound"/>),
    /// or the runs were trained on different features (<see cref="ErrorCode.BadInput"/>).</exception>
    public static async Task<BlendParts> ResolveAsync(ITrackingStore store, IReadOnlyList<long> runIds, string workspaceRoot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(runIds);
        var parts = new List<BlendPartRun>();
        foreach (var id in runIds.Distinct())
        {
            var run = await store.GetRunAsync(id, cancellationToken) ?? throw new EsteiraException(ErrorCode.NotFound, $"run {id}: not in the tracking store; see 'esteira runs list'");
            var model = run.Artifacts.GetValueOrDefault("model") is { } artifact ? Path.GetFullPath(artifact, workspaceRoot) : null;
            if (model is null || !Directory.Exists(Path.Combine(model, "oof")))
            {
                throw new EsteiraException(ErrorCode.NotFound, $"run {id}: its model outputs are not in this workspace's cache; run 'esteira pull' or rerun its experiment");
            }

            parts.Add(new BlendPartRun(run, model));
        }

        var features = parts.Select(p => p.Run.Lineage.DatasetHash).Distinct().ToList();
        if (features.Count != 1 || features[0] is not { } featuresKey)
        {
            throw new EsteiraException(ErrorCode.BadInput,
                $"runs {string.Join(", ", runIds)} were trained on different features (dataset, folds or quality options); a blend needs the same out-of-fold rows");
        }

        return new BlendParts(parts, featuresKey);
    }

    /// <summary>Records the blend as a finished run and returns its id.</summary>
    public static async Task<long> RecordAsync(IRunStore store, NewBlendRun blend, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(blend);
        var parts = blend.Parts.Parts;
        await using var recorder = await RunRecorder.StartAsync(store, new NewRun
        {
            Experiment = blend.Experiment,
            Params = parts.Select((p, i) => (p, i)).ToDictionary(x => $"weight.run{x.p.Run.Id}", x => blend.Weights[x.i].ToString("G6", CultureInfo.InvariantCulture)),
            Lineage = new RunLineage
            {
                DatasetHash = blend.Parts.FeaturesKey,
                ExperimentHash = blend.StageKey,
                EsteiraVersion = blend.EsteiraVersion,
                Machine = Environment.MachineName,
                BlendOf = parts.Select((p, i) => new BlendPart(p.Run.Id, blend.Weights[i])).ToList(),
            },
        }, cancellationToken: cancellationToken);
        await recorder.LogMetricsAsync(blend.Metrics, cancellationToken);
        await recorder.LogArtifactAsync("submission", blend.Submission, cancellationToken);
        await recorder.LogArtifactAsync("model", blend.Model, cancellationToken);
        await recorder.CompleteAsync(cancellationToken);
        return recorder.RunId;
    }
}
