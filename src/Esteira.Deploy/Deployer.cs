using System.Security.Cryptography;
using Esteira.Data.Submissions;
using Esteira.Deploy.Guard;
using Esteira.Deploy.Targets;

namespace Esteira.Deploy;

/// <summary>What <c>esteira deploy</c> was asked to do.</summary>
public sealed record DeployRequest
{
    /// <summary>The submission file to send.</summary>
    public required string FilePath { get; init; }
    /// <summary>The description sent with the submission; empty for none.</summary>
    public string Message { get; init; } = "";

    /// <summary>sample_submission.csv[.gz]; when null, one beside the file is used if there is one.</summary>
    public string? SamplePath { get; init; }

    /// <summary>The competition metric: it decides which values the check accepts; null means RMSLE (finite, ≥ 0).</summary>
    public EvalMetric? Metric { get; init; }

    /// <summary>The gate's verdict on the model that produced the file; not evaluated unless the caller says.</summary>
    public GateSummary Gate { get; init; } = GateSummary.NotEvaluated;
    /// <summary>The user's overrides of the gate and duplicate rules.</summary>
    public GuardOptions Options { get; init; } = new();
}

/// <summary>The facts the guard saw and, when it let the file through, what the target said.</summary>
public sealed record DeployResult(GuardFacts Facts, SubmissionOutcome Outcome);

/// <summary>guard → submit → wait for the score, for any <see cref="ISubmissionTarget"/>.</summary>
public static class Deployer
{
    /// <summary>Runs the guard and, if it allows, submits. Throws the guard's first refusal; an ERROR score is returned in the result.</summary>
    public static async Task<DeployResult> DeployAsync(DeployRequest request, ISubmissionTarget target, ISubmissionHistory history, TimeProvider time,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var facts = await GatherFactsAsync(request, target, history, time, progress, cancellationToken);
        SubmissionGuard.Evaluate(facts, request.Options).ThrowIfRefused();
        var outcome = await target.SubmitAsync(request.FilePath, request.Message, progress, cancellationToken);
        return new DeployResult(facts, outcome);
    }

    /// <summary>The I/O half of the guard: hashes and checks the file, asks the target and the ledger.</summary>
    public static async Task<GuardFacts> GatherFactsAsync(DeployRequest request, ISubmissionTarget target, ISubmissionHistory history, TimeProvider time,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(time);
        if (!File.Exists(request.FilePath))
        {
            throw new EsteiraException(ErrorCode.NotFound, $"{request.FilePath}: no such file; pass the submission file with --file");
        }

        progress?.Report("hashing the file");
        var sha = await Sha256Async(request.FilePath, cancellationToken);

        var sample = request.SamplePath ?? FindSampleBeside(request.FilePath);
        SubmissionCheck? check = null;
        string? unavailable = null;
        if (sample is null)
        {
            unavailable = $"no sample_submission.csv was given and none lies beside {Path.GetFileName(request.FilePath)}";
        }
        else
        {
            progress?.Report($"checking against {Path.GetFileName(sample)}");
            var reference = ReferenceRows.LoadSample(sample, request.Metric);
            check = SubmissionScorer.Check(request.FilePath, reference);
        }

        progress?.Report($"asking {target.Kind} for today's budget");
        var budget = await target.GetBudgetAsync(cancellationToken);
        var since = SubmissionGuard.StartOfUtcDay(time.GetUtcNow());
        var count = await history.CountSinceAsync(target.Kind, target.Competition, since, cancellationToken);
        var same = await history.FindByContentAsync(target.Kind, target.Competition, sha, cancellationToken);

        return new GuardFacts
        {
            Target = target.Kind,
            Competition = target.Competition,
            FileName = Path.GetFileName(request.FilePath),
            Sha256 = sha,
            Rows = check?.Rows ?? 0,
            FormatError = check?.Error,
            CheckUnavailable = unavailable,
            Gate = request.Gate,
            ServerRemainingToday = budget.RemainingToday,
            DailyLimit = budget.DailyLimit,
            LedgerCountToday = count,
            SameContent = same,
        };
    }

    /// <summary>Lower-case hex SHA-256 of a file's bytes (as uploaded, i.e. of the .gz itself for a gzipped file).</summary>
    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken = default)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return Convert.ToHexStringLower(hash);
    }

    private static string? FindSampleBeside(string filePath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(filePath))!;
        return new[] { "sample_submission.csv", "sample_submission.csv.gz" }.Select(n => Path.Combine(dir, n)).FirstOrDefault(File.Exists);
    }
}
