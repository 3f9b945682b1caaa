using Esteira.Config;
using System.Globalization;
using Esteira.Deploy;
using Esteira.Deploy.Guard;
using Esteira.Tracking;

namespace Esteira.Pipeline.Deployment;

/// <summary>
/// Deploy inside a workspace: the champion's submission, the gate's stored verdict, and the tracking store's
/// submission ledger as the guard's history (daily budget, duplicates), with every outcome recorded there.
/// </summary>
public sealed class ChampionDeploy : ISubmissionHistory, IAsyncDisposable
{
    private readonly ITrackingStore _store;

    private readonly string _root;

    private ChampionDeploy(ITrackingStore store, Run champion, string experiment, string root)
    {
        _store = store;
        _root = root;
        Champion = champion;
        Experiment = experiment;
    }

    /// <summary>The champion run.</summary>
    public Run Champion { get; }
    /// <summary>The experiment the champion run belongs to.</summary>
    public string Experiment { get; }

    /// <summary>The champion's submission file; a path recorded relative to the workspace is found in this job's folder.</summary>
    public string Submission => Champion.Artifacts.TryGetValue("submission", out var recorded) && Path.Combine(_root, recorded) is var path && File.Exists(path)
        ? path
        : throw new EsteiraException(ErrorCode.NotFound,
            $"champion run {Champion.Id} ({Experiment}) has no submission file here ({recorded ?? "none recorded"}); run 'esteira run' (or 'esteira pull'), or in CI give the deploy job the train jobs' out/ artifacts");

    /// <summary>The gate verdict stored with the champion; a champion promoted by hand counts as passed.</summary>
    public GateSummary Gate => Champion.Gate switch
    {
        { Passed: true } g => GateSummary.Passed(g.Summary),
        { } g => GateSummary.Failed(g.Summary),
        null => GateSummary.Passed($"champion run {Champion.Id}, promoted by hand"),
    };

    /// <summary>The workspace's champion (one for all experiments: see <see cref="WorkspaceGate"/>).</summary>
    public static async Task<ChampionDeploy> OpenAsync(Workspace workspace, string? experiment, CancellationToken cancellationToken)
    {
        var store = await TrackingStores.OpenAsync(WorkspaceConfig.TrackingUri(workspace.Config), workspace.Root, cancellationToken: cancellationToken);
        var champion = await store.GetChampionAsync(workspace.ChampionModel, cancellationToken) is { } version ? await store.GetRunAsync(version.RunId, cancellationToken) : null;
        if (champion is null || (experiment is not null && champion.Experiment != experiment))
        {
            await store.DisposeAsync();
            throw new EsteiraException(ErrorCode.NotFound, champion is null
                ? $"{workspace.ChampionModel} has no champion yet: run 'esteira run' (or 'esteira gate --promote') until an experiment passes the gate, or 'esteira promote RUN --reason …'"
                : $"the champion of {workspace.ChampionModel} is run {champion.Id} of {champion.Experiment}, not of {experiment}; deploy the champion, or promote another run first");
        }

        return new ChampionDeploy(store, champion, champion.Experiment, workspace.Root);
    }

    /// <summary>The ledger's earlier entry for the champion run at <paramref name="target"/>, when it was already sent (and not rejected).</summary>
    public async Task<Submission?> AlreadySentAsync(string target, string competition, CancellationToken cancellationToken)
    {
        var all = await _store.ListSubmissionsAsync(new SubmissionQuery { Target = Key(target, competition), Limit = 10_000 }, cancellationToken);
        return all.FirstOrDefault(s => s.RunId == Champion.Id && s.Status != SubmissionStatus.Error);
    }

    /// <summary>The ledger's target key for a competition on a deploy target: <c>target/competition</c>.</summary>
    public static string Key(string target, string competition) => $"{target}/{competition}";

    /// <inheritdoc/>
    public async Task<IReadOnlyList<PriorSubmission>> FindByContentAsync(string target, string competition, string sha256, CancellationToken cancellationToken = default)
    {
        var all = await _store.ListSubmissionsAsync(new SubmissionQuery { Target = Key(target, competition), Limit = 10_000 }, cancellationToken);
        return all.Where(s => s.FileSha256 == sha256 && s.Status != SubmissionStatus.Error)
            .Select(s => new PriorSubmission(s.SubmittedAt, s.ExternalId, s.Message)).ToList();
    }

    /// <inheritdoc/>
    public Task<int> CountSinceAsync(string target, string competition, DateTimeOffset sinceUtc, CancellationToken cancellationToken = default) =>
        _store.CountSubmissionsSinceAsync(Key(target, competition), sinceUtc, cancellationToken);

    /// <summary>Records a deploy outcome of the champion run in the tracking store's submission ledger.</summary>
    public async Task RecordAsync(string target, string competition, DeployResult result, string message, CancellationToken cancellationToken)
    {
        var o = result.Outcome;
        await _store.AddSubmissionAsync(new NewSubmission
        {
            RunId = Champion.Id,
            FileSha256 = result.Facts.Sha256,
            Target = Key(target, competition),
            Status = o.State,
            CvScore = Champion.Metric("cv_rmsle"),
            PublicScore = Parse(o.PublicScore),
            PrivateScore = Parse(o.PrivateScore),
            ExternalId = o.Reference,
            Message = message,
        }, cancellationToken: cancellationToken);
    }

    /// <summary>Closes the tracking store.</summary>
    public ValueTask DisposeAsync() => _store.DisposeAsync();

    private static double? Parse(string? score) =>
        double.TryParse(score, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
}
