using Esteira.Config;
using Esteira.Deploy;
using Esteira.Deploy.Guard;
using Esteira.Deploy.Kaggle;
using Esteira.Deploy.Targets;
using Esteira.Tracking;

namespace Esteira.Pipeline.Deployment;

/// <summary>What <c>esteira deploy</c> was asked to send, and where.</summary>
public sealed record DeploymentRequest
{
    /// <summary>The submission file; null deploys the workspace champion's (see <see cref="ChampionDeploy"/>).</summary>
    public string? File { get; init; }

    /// <summary>Without <see cref="File"/>: deploy only if the champion is a run of this experiment.</summary>
    public string? Experiment { get; init; }

    /// <summary>Where the file goes; a champion deploy takes what this leaves open from esteira.yaml (<see cref="DeployDefaults"/>).</summary>
    public required TargetSpec Target { get; init; }

    /// <summary>The submission's description; empty for a champion deploy means one naming the champion run.</summary>
    public string Message { get; init; } = "";

    /// <summary>sample_submission.csv[.gz] to check the file against; null: the one beside the file, or the dataset's.</summary>
    public string? Sample { get; init; }

    /// <summary>The competition metric's name, which decides what values the check accepts; null: the workspace's, else RMSLE.</summary>
    public string? Metric { get; init; }

    /// <summary>Which guard rules to waive.</summary>
    public GuardOptions Guard { get; init; } = new();

    /// <summary>The tracking store whose submission ledger is the guard's history (a <c>--tracking</c> value); null:
    /// ESTEIRA_TRACKING_URI, then esteira.yaml's <c>tracking:</c>, then SQLite at <c>.esteira/esteira.db</c>.</summary>
    public string? Tracking { get; init; }

    /// <summary>Outside a workspace, the folder whose <c>.esteira/</c> holds the default store and any old deploy log; null: the current folder.</summary>
    public string? Folder { get; init; }
}

/// <summary>
/// One submission on its way to a target: <see cref="OpenAsync"/> settles what is sent (a file, or the workspace's champion
/// with its gate verdict) and where, and opens the tracking store's ledger, the guard's history either way;
/// <see cref="SendAsync"/> guards, submits and records the outcome there. A caller tells the user what is about to be sent in between.
/// </summary>
public sealed class SubmissionDeployment : IAsyncDisposable
{
    private readonly DeploymentRequest _request;
    private readonly TimeProvider _time;

    private SubmissionDeployment(DeploymentRequest request, LedgerHistory ledger, ISubmissionTarget target, ChampionDeploy? champion, Submission? alreadySent, TimeProvider time)
    {
        _request = request;
        Ledger = ledger;
        _time = time;
        Target = target;
        Champion = champion;
        AlreadySent = alreadySent;
    }

    /// <summary>The tracking store's submission ledger: the guard's history, and where the outcome is recorded.</summary>
    public LedgerHistory Ledger { get; }

    /// <summary>The target the submission goes to.</summary>
    public ISubmissionTarget Target { get; }

    /// <summary>The champion being deployed; null when a file was given.</summary>
    public ChampionDeploy? Champion { get; }

    /// <summary>
    /// The ledger's entry for the champion at this target when it was sent before and duplicates are not allowed: the
    /// champion has not changed since, so a scheduled or repeated pipeline sends nothing.
    /// </summary>
    public Submission? AlreadySent { get; }

    /// <summary>The submission's description: the request's, or for a champion one naming its run.</summary>
    public string Message => _request.Message.Length > 0 || Champion is null
        ? _request.Message
        : $"esteira champion run {Champion.Champion.Id} ({Champion.Experiment})";

    /// <summary>Settles what is sent and where.</summary>
    /// <param name="request">The file (or none: the champion), the target and the guard's options.</param>
    /// <param name="workspaceRoot">The workspace the command runs in, null outside one.</param>
    /// <param name="progress">Told what a remote dataset download did (a champion deploy reads the dataset's sample submission), and
    /// in one line what importing an old <c>.esteira/deploy-log.jsonl</c> into the ledger did.</param>
    /// <param name="time">The clock of the guard's daily budget and of the ledger.</param>
    /// <param name="cancellationToken">Cancels the store, dataset and target calls.</param>
    /// <exception cref="EsteiraException">
    /// <see cref="ErrorCode.Usage"/> without a file outside a workspace; <see cref="ErrorCode.NotFound"/> when the workspace has no
    /// champion (of the experiment asked for); a bad target or an unreachable store or service.
    /// </exception>
    public static async Task<SubmissionDeployment> OpenAsync(DeploymentRequest request, string? workspaceRoot, Action<string> progress, TimeProvider time,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(time);
        if (request.File is null && workspaceRoot is null)
        {
            throw new EsteiraException(ErrorCode.Usage, "--file is required outside a workspace: the submission to send");
        }

        var workspace = workspaceRoot is null ? null : Workspace.Load(workspaceRoot);
        var ledger = await LedgerHistory.OpenAsync(WorkspaceConfig.TrackingUri(workspace?.Config, request.Tracking),
            workspaceRoot ?? request.Folder ?? Directory.GetCurrentDirectory(), time, progress, cancellationToken);
        ChampionDeploy? champion = null;
        ISubmissionTarget? target = null;
        try
        {
            if (request.File is null)
            {
                champion = await ChampionDeploy.OpenAsync(workspace!, request.Experiment, ledger, cancellationToken);
                request = DeployDefaults.Apply(request, await RemoteDatasets.ResolveAsync(workspace!, progress, cancellationToken));
            }

            target = await SubmissionTargets.CreateAsync(request.Target with { Time = time }, KaggleCredentialLocator.ProcessEnvironment(), cancellationToken);
            var sent = champion is not null && !request.Guard.AllowDuplicate ? await champion.AlreadySentAsync(target.Kind, target.Competition, cancellationToken) : null;
            return new SubmissionDeployment(request, ledger, target, champion, sent, time);
        }
        catch
        {
            (target as IDisposable)?.Dispose();
            await ledger.DisposeAsync();
            throw;
        }
    }

    /// <summary>Guards the submission, sends it, and records the outcome in the ledger (with the run and its CV for a champion).</summary>
    /// <param name="progress">Told of each step: hashing, checking, asking for the budget, uploading, waiting for the score.</param>
    /// <param name="cancellationToken">Cancels the guard's and the target's calls.</param>
    /// <returns>What the guard saw and what the target said; a submission the target scored as an error is returned, not thrown.</returns>
    /// <exception cref="EsteiraException">The guard's first refusal; the champion's submission file is missing; the target failed.</exception>
    public async Task<DeployResult> SendAsync(IProgress<string>? progress, CancellationToken cancellationToken = default)
    {
        var result = await Deployer.DeployAsync(new DeployRequest
        {
            FilePath = Champion?.Submission ?? _request.File!,
            Message = Message,
            SamplePath = _request.Sample,
            Metric = _request.Metric is null ? null : EvalMetric.Parse(_request.Metric, "--metric"),
            Gate = Champion?.Gate ?? GateSummary.NotEvaluated,
            Options = _request.Guard,
        }, Target, Ledger, _time, progress, cancellationToken);
        if (Champion is null)
        {
            await Ledger.RecordAsync(Target.Kind, Target.Competition, result, Message, cancellationToken: cancellationToken);
        }
        else
        {
            await Champion.RecordAsync(Target.Kind, Target.Competition, result, Message, cancellationToken);
        }

        return result;
    }

    /// <summary>Releases the target's connection and closes the tracking store.</summary>
    public async ValueTask DisposeAsync()
    {
        (Target as IDisposable)?.Dispose();
        await Ledger.DisposeAsync();
    }
}
