using Esteira.Deploy;
using Esteira.Deploy.Guard;
using Esteira.Tracking;

namespace Esteira.Pipeline.Deployment;

/// <summary>
/// Deploy inside a workspace: the champion's submission and the gate's stored verdict. The guard's history, and where the
/// outcome is recorded, is the tracking store's submission ledger (<see cref="LedgerHistory"/>), as for any deploy.
/// </summary>
public sealed class ChampionDeploy
{
    private readonly LedgerHistory _ledger;

    private readonly string _root;

    private ChampionDeploy(LedgerHistory ledger, Run champion, string experiment, string root)
    {
        _ledger = ledger;
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

    /// <summary>The workspace's champion (one for all experiments: see <see cref="WorkspaceGate"/>), read from the ledger's store.</summary>
    public static async Task<ChampionDeploy> OpenAsync(Workspace workspace, string? experiment, LedgerHistory ledger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(ledger);
        var store = ledger.Store;
        var champion = await store.GetChampionAsync(workspace.ChampionModel, cancellationToken) is { } version ? await store.GetRunAsync(version.RunId, cancellationToken) : null;
        if (champion is null || (experiment is not null && champion.Experiment != experiment))
        {
            throw new EsteiraException(ErrorCode.NotFound, champion is null
                ? $"{workspace.ChampionModel} has no champion yet: run 'esteira run' (or 'esteira gate --promote') until an experiment passes the gate, or 'esteira promote RUN --reason …'"
                : $"the champion of {workspace.ChampionModel} is run {champion.Id} of {champion.Experiment}, not of {experiment}; deploy the champion, or promote another run first");
        }

        return new ChampionDeploy(ledger, champion, champion.Experiment, workspace.Root);
    }

    /// <summary>
    /// The ledger's earlier entry for the champion run at <paramref name="target"/>, or for a run whose submission had the same
    /// bytes (a new champion can predict exactly what the last one did), when it was already sent (and not rejected).
    /// </summary>
    public async Task<Submission?> AlreadySentAsync(string target, string competition, CancellationToken cancellationToken)
    {
        var submission = Submission;
        var sha256 = File.Exists(submission) ? await Deployer.Sha256Async(submission, cancellationToken) : null;
        return await _ledger.LastSentAsync(target, competition, Champion.Id, sha256, cancellationToken);
    }

    /// <summary>Records a deploy outcome of the champion run, with its CV score, in the ledger.</summary>
    public Task RecordAsync(string target, string competition, DeployResult result, string message, CancellationToken cancellationToken) =>
        _ledger.RecordAsync(target, competition, result, message, Champion.Id, Champion.Metric("cv_rmsle"), cancellationToken);
}
