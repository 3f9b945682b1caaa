namespace Esteira.Tracking;

/// <summary>How one experiment's run came out of the workspace gate.</summary>
public enum GateRole
{
    /// <summary>The run reproduces the champion (same experiment, same data): nothing to decide.</summary>
    Champion,

    /// <summary>The run reproduces a result the default branch already gated (a former champion, an also-ran): it is not
    /// what this change brings, so it is shown but never fails the gate.</summary>
    Unchanged,

    /// <summary>A challenger the gate let through.</summary>
    Passed,

    /// <summary>A challenger the gate refused.</summary>
    Refused,
}

/// <summary>One experiment's run as the workspace gate saw it.</summary>
/// <param name="Experiment">The experiment.</param>
/// <param name="RunId">Its run.</param>
/// <param name="Role">Champion, passed or refused.</param>
/// <param name="Verdict">The gate's verdict, null for <see cref="GateRole.Champion"/>.</param>
public sealed record GatedRun(string Experiment, long RunId, GateRole Role, GateVerdict? Verdict);

/// <summary>What the workspace gate decided.</summary>
/// <param name="Model">The registered model whose champion the runs competed with.</param>
/// <param name="ChampionRunId">The champion before the gate, when there was one.</param>
/// <param name="Runs">One entry per candidate run.</param>
/// <param name="Promoted">The run made champion, when the gate promoted one.</param>
public sealed record WorkspaceGateResult(string Model, long? ChampionRunId, IReadOnlyList<GatedRun> Runs, long? Promoted)
{
    /// <summary>True when no challenger was refused.</summary>
    public bool Passed => Runs.All(r => r.Role != GateRole.Refused);
}

/// <summary>
/// The gate of a workspace: its experiments compete with one champion (the workspace's registered model), not each
/// with its own. Every candidate run other than a reproduction of the champion is evaluated against the champion;
/// when asked to promote, the best passing challenger becomes champion. A refused challenger fails the gate.
/// </summary>
public static class WorkspaceGate
{
    /// <summary>Tag of a run gated on the default branch (<c>--promote</c>): its result is part of the workspace's history.</summary>
    public const string DefaultBranchTag = "esteira.gate.default_branch";

    /// <summary>Evaluates <paramref name="candidates"/> (run ids, one per experiment) and records each verdict with its run.</summary>
    /// <param name="store">The tracking store.</param>
    /// <param name="model">The workspace's registered model.</param>
    /// <param name="spec">The declared gate.</param>
    /// <param name="candidates">The runs to decide on.</param>
    /// <param name="quality">Data-quality facts by run id (the fraction of flagged training rows).</param>
    /// <param name="promote">Make the best passing challenger champion (on the default branch; never in a merge request).</param>
    /// <param name="cancellationToken">Cancels the store calls.</param>
    public static async Task<WorkspaceGateResult> DecideAsync(ITrackingStore store, string model, GateSpec spec, IReadOnlyList<long> candidates,
        Func<Run, DataQualityFacts>? quality, bool promote, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(candidates);
        var champion = await store.GetChampionAsync(model, cancellationToken);
        var championRun = champion is null ? null : await store.GetRunAsync(champion.RunId, cancellationToken);
        var championMetrics = championRun is null ? null : GateMetrics.FromRun(championRun, spec.Metric);
        var runs = await store.GetRunsAsync(candidates, cancellationToken);
        var settled = await SettledResultsAsync(store, runs, cancellationToken);
        var gated = new List<GatedRun>();
        var passed = new List<(Run Run, double Value)>();
        foreach (var run in runs.OrderBy(r => r.Experiment, StringComparer.Ordinal))
        {
            if (championRun is not null && Reproduces(run, championRun))
            {
                gated.Add(new GatedRun(run.Experiment, run.Id, GateRole.Champion, null));
                continue;
            }

            if (run.Lineage.ExperimentHash is { } hash && settled.Contains(hash))
            {
                gated.Add(new GatedRun(run.Experiment, run.Id, GateRole.Unchanged, null));
                continue;
            }

            var verdict = Gate.Evaluate(spec, GateMetrics.FromRun(run, spec.Metric), championMetrics, quality?.Invoke(run), championRun?.Id);
            await store.RecordGateVerdictAsync(run.Id, verdict, cancellationToken);
            gated.Add(new GatedRun(run.Experiment, run.Id, verdict.Passed ? GateRole.Passed : GateRole.Refused, verdict));
            if (verdict.Passed && run.Metric(spec.Metric) is { } value)
            {
                passed.Add((run, value));
            }
        }

        long? promoted = null;
        if (promote)
        {
            // What the default branch gated is settled: later pipelines judge only what changes.
            foreach (var run in runs)
            {
                await store.SetTagsAsync(run.Id, new Dictionary<string, string> { [DefaultBranchTag] = "true" }, cancellationToken);
            }
        }

        if (promote && passed.Count > 0)
        {
            var sign = spec.Direction == MetricDirection.Minimize ? 1 : -1;
            var best = passed.OrderBy(p => sign * p.Value).ThenBy(p => p.Run.Id).First().Run;
            var verdict = gated.Single(g => g.RunId == best.Id).Verdict!;
            await Promotion.PromoteAsync(store, best.Id, model, AliasChangeKind.Gate, $"{best.Experiment}: {verdict.Summary}", "esteira gate", cancellationToken);
            promoted = best.Id;
        }

        return new WorkspaceGateResult(model, championRun?.Id, gated, promoted);
    }

    /// <summary>The experiment hashes of the candidates' experiments that an earlier default-branch gate already judged.</summary>
    private static async Task<HashSet<string>> SettledResultsAsync(ITrackingStore store, IReadOnlyList<Run> candidates, CancellationToken cancellationToken)
    {
        var settled = new HashSet<string>(StringComparer.Ordinal);
        foreach (var experiment in candidates.Select(c => c.Experiment).Distinct(StringComparer.Ordinal))
        {
            var earlier = await store.ListRunsAsync(new RunQuery { Experiment = experiment, Status = RunStatus.Finished, Limit = 200 }, cancellationToken);
            var ids = earlier.Select(r => r.Id).Except(candidates.Select(c => c.Id)).ToList();
            foreach (var run in ids.Count == 0 ? [] : await store.GetRunsAsync(ids, cancellationToken))
            {
                if (run.Tags.ContainsKey(DefaultBranchTag) && run.Lineage.ExperimentHash is { } hash)
                {
                    settled.Add(hash);
                }
            }
        }

        return settled;
    }

    /// <summary>True when <paramref name="run"/> is the champion itself or a rerun of it: the same experiment on the same data.</summary>
    public static bool Reproduces(Run run, Run champion) =>
        run.Id == champion.Id
        || (run.Experiment == champion.Experiment && run.Lineage.ExperimentHash is { } hash && hash == champion.Lineage.ExperimentHash);
}
