using System.Globalization;
using Esteira.Deploy;
using Esteira.Deploy.Guard;
using Esteira.Deploy.Kaggle;
using Esteira.Pipeline;
using Esteira.Tracking;
using DeployGate = Esteira.Deploy.Guard.GateVerdict;

namespace Esteira.Cli.Commands.Deploy;

/// <summary>
/// Deploy inside a workspace: the champion's submission, the gate's stored verdict, and the tracking store's
/// submission ledger as the guard's history (daily budget, duplicates), with every outcome recorded there.
/// </summary>
internal sealed class ChampionDeploy : ISubmissionHistory, IAsyncDisposable
{
    private readonly ITrackingStore _store;

    private ChampionDeploy(ITrackingStore store, Run champion, string experiment)
    {
        _store = store;
        Champion = champion;
        Experiment = experiment;
    }

    public Run Champion { get; }
    public string Experiment { get; }

    public string Submission => Champion.Artifacts.TryGetValue("submission", out var path) && File.Exists(path)
        ? path
        : throw new EsteiraException(ErrorCode.NotFound, $"champion run {Champion.Id} ({Experiment}) has no submission file on this machine; run 'esteira run' (or 'esteira pull') first");

    public DeployGate Gate => Champion.Gate switch
    {
        { Passed: true } g => DeployGate.Passed(g.Summary),
        { } g => DeployGate.Failed(g.Summary),
        null => DeployGate.Passed($"champion run {Champion.Id}, promoted by hand"),
    };

    /// <summary>The champion with the best CV RMSLE among the workspace's experiments (or of <paramref name="experiment"/>).</summary>
    public static async Task<ChampionDeploy> OpenAsync(Workspace workspace, string? experiment, CancellationToken cancellationToken)
    {
        var store = await TrackingStores.OpenAsync(Environment.GetEnvironmentVariable("ESTEIRA_TRACKING_URI") ?? workspace.Tracking, workspace.Root, cancellationToken: cancellationToken);
        var candidates = new List<(Run Run, string Experiment)>();
        foreach (var name in workspace.Experiments.Select(e => e.Name).Where(n => experiment is null || n == experiment))
        {
            if (await store.GetChampionAsync(name, cancellationToken) is { } version && await store.GetRunAsync(version.RunId, cancellationToken) is { } run)
            {
                candidates.Add((run, name));
            }
        }

        if (candidates.Count == 0)
        {
            await store.DisposeAsync();
            throw new EsteiraException(ErrorCode.NotFound,
                $"no champion{(experiment is null ? "" : $" for {experiment}")} yet: run 'esteira run' until an experiment passes the gate, or 'esteira promote RUN --reason …'");
        }

        var best = candidates.OrderBy(c => c.Run.Metric("cv_rmsle") ?? double.MaxValue).First();
        return new ChampionDeploy(store, best.Run, best.Experiment);
    }

    public static string Key(string target, string competition) => $"{target}/{competition}";

    public async Task<IReadOnlyList<PriorSubmission>> FindByContentAsync(string target, string competition, string sha256, CancellationToken cancellationToken = default)
    {
        var all = await _store.ListSubmissionsAsync(new SubmissionQuery { Target = Key(target, competition), Limit = 10_000 }, cancellationToken);
        return all.Where(s => s.FileSha256 == sha256 && s.Status != SubmissionStatus.Error)
            .Select(s => new PriorSubmission(s.SubmittedAt, s.ExternalId, s.Message)).ToList();
    }

    public Task<int> CountSinceAsync(string target, string competition, DateTimeOffset sinceUtc, CancellationToken cancellationToken = default) =>
        _store.CountSubmissionsSinceAsync(Key(target, competition), sinceUtc, cancellationToken);

    public async Task RecordAsync(string target, string competition, DeployResult result, string message, CancellationToken cancellationToken)
    {
        var o = result.Outcome;
        await _store.AddSubmissionAsync(new NewSubmission
        {
            RunId = Champion.Id,
            FileSha256 = result.Facts.Sha256,
            Target = Key(target, competition),
            Status = o.State switch { SubmissionState.Complete => SubmissionStatus.Complete, SubmissionState.Error => SubmissionStatus.Error, _ => SubmissionStatus.Pending },
            CvScore = Champion.Metric("cv_rmsle"),
            PublicScore = Parse(o.PublicScore),
            PrivateScore = Parse(o.PrivateScore),
            ExternalId = o.Reference,
            Message = message,
        }, cancellationToken: cancellationToken);
    }

    public ValueTask DisposeAsync() => _store.DisposeAsync();

    private static double? Parse(string? score) =>
        double.TryParse(score, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
}
