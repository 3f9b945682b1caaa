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

    /// <summary>The local submission log that is the guard's history when <see cref="File"/> is given.</summary>
    public required string Log { get; init; }
}

/// <summary>
/// One submission on its way to a target: <see cref="OpenAsync"/> settles what is sent (a file, or the workspace's champion
/// with its gate verdict and the tracking store's ledger as history) and where; <see cref="SendAsync"/> guards, submits and
/// records the outcome. A caller tells the user what is about to be sent in between.
/// </summary>
public sealed class SubmissionDeployment : IAsyncDisposable
{
    private readonly DeploymentRequest _request;
    private readonly LocalSubmissionLog _log;
    private readonly TimeProvider _time;

    private SubmissionDeployment(DeploymentRequest request, ISubmissionTarget target, ChampionDeploy? champion, Submission? alreadySent, TimeProvider time)
    {
        _request = request;
        _log = new LocalSubmissionLog(request.Log);
        _time = time;
        Target = target;
        Champion = champion;
        AlreadySent = alreadySent;
    }

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
    /// <param name="progress">Told what a remote dataset download did (a champion deploy reads the dataset's sample submission).</param>
    /// <param name="time">The clock of the guard's daily budget and of the local log.</param>
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
        ChampionDeploy? champion = null;
        ISubmissionTarget? target = null;
        try
        {
            if (request.File is null)
            {
                if (workspaceRoot is null)
                {
                    throw new EsteiraException(ErrorCode.Usage, "--file is required outside a workspace: the submission to send");
                }

                champion = await ChampionDeploy.OpenAsync(Workspace.Load(workspaceRoot), request.Experiment, cancellationToken);
                request = DeployDefaults.Apply(request, await RemoteDatasets.ResolveAsync(Workspace.Load(workspaceRoot), progress, cancellationToken));
            }

            target = await SubmissionTargets.CreateAsync(request.Target with { Time = time }, KaggleCredentialLocator.ProcessEnvironment(), cancellationToken);
            var sent = champion is not null && !request.Guard.AllowDuplicate ? await champion.AlreadySentAsync(target.Kind, target.Competition, cancellationToken) : null;
            return new SubmissionDeployment(request, target, champion, sent, time);
        }
        catch
        {
            (target as IDisposable)?.Dispose();
            if (champion is not null)
            {
                await champion.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Guards the submission, sends it, and records the outcome in the ledger (a champion) or the local log (a file).</summary>
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
        }, Target, Champion is null ? _log : Champion, _time, progress, cancellationToken);
        if (Champion is null)
        {
            await _log.RecordAsync(Target.Kind, Target.Competition, result.Facts.Sha256, result.Outcome, _time.GetUtcNow(), cancellationToken);
        }
        else
        {
            await Champion.RecordAsync(Target.Kind, Target.Competition, result, Message, cancellationToken);
        }

        return result;
    }

    /// <summary>Releases the target's connection and the champion's tracking store.</summary>
    public async ValueTask DisposeAsync()
    {
        (Target as IDisposable)?.Dispose();
        if (Champion is not null)
        {
            await Champion.DisposeAsync();
        }
    }
}
