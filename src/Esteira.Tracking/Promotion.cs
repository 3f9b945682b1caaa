namespace Esteira.Tracking;

/// <summary>What a promotion did.</summary>
/// <param name="Version">The registered version the champion alias now points at.</param>
/// <param name="Change">The history entry explaining it.</param>
public sealed record PromotionResult(ModelVersion Version, AliasChange Change);

/// <summary>What the gate decided and, when it passed, the promotion it made.</summary>
public sealed record GateOutcome(GateVerdict Verdict, PromotionResult? Promotion);

/// <summary>Moves the champion: by the gate, or by a person overriding it. Every move is recorded with its reason.</summary>
public static class Promotion
{
    /// <summary>Registers <paramref name="runId"/> as a version of <paramref name="model"/> (the run's experiment when null)
    /// and points <c>champion</c> at it.</summary>
    /// <param name="store">The tracking store.</param>
    /// <param name="runId">A finished run.</param>
    /// <param name="model">The registered model; null for the run's experiment name.</param>
    /// <param name="kind">Gate or manual override.</param>
    /// <param name="reason">Why (required: every promotion is explained).</param>
    /// <param name="actor">Who; null for the current user.</param>
    /// <param name="cancellationToken">Cancels the promotion.</param>
    public static async Task<PromotionResult> PromoteAsync(ITrackingStore store, long runId, string? model, AliasChangeKind kind, string reason,
        string? actor = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new EsteiraException(ErrorCode.Usage, "a promotion needs a reason; add --reason \"why this run should be champion\"");
        }

        var run = await store.GetRunOrThrowAsync(runId, cancellationToken);
        var name = model ?? run.Experiment;
        var version = await store.RegisterVersionAsync(name, runId, kind == AliasChangeKind.Manual ? "manual promotion" : "passed the gate", cancellationToken);
        var change = await store.SetAliasAsync(name, TrackingStoreExtensions.ChampionAlias, version.Version, kind, reason, actor ?? Environment.UserName, cancellationToken);
        return new PromotionResult(version, change);
    }

    /// <summary>
    /// The gate step of a pipeline run: reads the champion of <paramref name="model"/> (the run's experiment when null),
    /// evaluates <paramref name="spec"/> on the finished run <paramref name="runId"/>, records the verdict with the run,
    /// and, when it passed, makes the run champion (the first passing run becomes champion when there is none).
    /// </summary>
    public static async Task<GateOutcome> GateAndPromoteAsync(ITrackingStore store, long runId, GateSpec spec, DataQualityFacts? quality = null,
        string? model = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(spec);
        var run = await store.GetRunOrThrowAsync(runId, cancellationToken);
        var name = model ?? run.Experiment;
        var champion = await store.GetChampionAsync(name, cancellationToken);
        Run? championRun = champion is null || champion.RunId == runId ? null : await store.GetRunAsync(champion.RunId, cancellationToken);
        var verdict = Gate.Evaluate(spec, GateMetrics.FromRun(run, spec.Metric),
            championRun is null ? null : GateMetrics.FromRun(championRun, spec.Metric), quality, championRun?.Id);
        await store.RecordGateVerdictAsync(runId, verdict, cancellationToken);
        if (!verdict.Passed || champion?.RunId == runId)
        {
            return new GateOutcome(verdict, null);
        }

        var promotion = await PromoteAsync(store, runId, name, AliasChangeKind.Gate, verdict.Summary, "esteira gate", cancellationToken);
        return new GateOutcome(verdict, promotion);
    }
}
