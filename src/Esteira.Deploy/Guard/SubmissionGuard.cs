using Esteira.Data.Submissions;

namespace Esteira.Deploy.Guard;

/// <summary>
/// What the ledger knows about earlier submissions; the guard's only view of history. Implemented over the tracking
/// store's submission ledger (<c>Esteira.Pipeline.Deployment.LedgerHistory</c>), for every deploy.
/// </summary>
public interface ISubmissionHistory
{
    /// <summary>Earlier submissions to <paramref name="target"/>/<paramref name="competition"/> whose file had this SHA-256
    /// (lower-case hex), newest first; empty when none.</summary>
    Task<IReadOnlyList<PriorSubmission>> FindByContentAsync(string target, string competition, string sha256, CancellationToken cancellationToken = default);

    /// <summary>How many submissions to <paramref name="target"/>/<paramref name="competition"/> were sent at or after
    /// <paramref name="sinceUtc"/> (the guard passes the last 00:00 UTC).</summary>
    Task<int> CountSinceAsync(string target, string competition, DateTimeOffset sinceUtc, CancellationToken cancellationToken = default);
}

/// <summary>One earlier submission of the same content.</summary>
public sealed record PriorSubmission(DateTimeOffset SubmittedAt, string? Reference, string? Message);

/// <summary>The gate's verdict as far as the guard needs it.</summary>
public enum GateState
{
    /// <summary>The gate passed the model.</summary>
    Passed,
    /// <summary>The gate failed the model; the guard refuses unless <c>--override-gate</c>.</summary>
    Failed,
    /// <summary>No gate verdict is known for the model.</summary>
    NotEvaluated,
}

/// <summary>
/// What the guard knows of the gate's verdict on the model that produced the file: passed, failed or not evaluated, and
/// one line of detail. The tracking store's full verdict (metrics, thresholds, champion) is <c>Esteira.Tracking.GateVerdict</c>.
/// </summary>
public sealed record GateSummary(GateState State, string? Detail = null)
{
    /// <summary>The gate passed, with an optional detail line.</summary>
    public static GateSummary Passed(string? detail = null) => new(GateState.Passed, detail);

    /// <summary>The gate failed, and why.</summary>
    public static GateSummary Failed(string reason) => new(GateState.Failed, reason);

    /// <summary>No verdict is known.</summary>
    public static GateSummary NotEvaluated { get; } = new(GateState.NotEvaluated);
}

/// <summary>Everything the guard decides on, gathered beforehand (see <see cref="Deployer.GatherFactsAsync"/>).</summary>
public sealed record GuardFacts
{
    /// <summary>The target's kind (<c>kaggle</c>, <c>leaderboard</c> or <c>folder</c>).</summary>
    public required string Target { get; init; }
    /// <summary>The competition the file goes to.</summary>
    public required string Competition { get; init; }
    /// <summary>The file's name, without its folder.</summary>
    public required string FileName { get; init; }
    /// <summary>SHA-256 of the file's bytes, lower-case hex: what the duplicate rule compares.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Rows in the file when the check passed.</summary>
    public long Rows { get; init; }

    /// <summary>The first format problem, or null when the file passed the check.</summary>
    public SubmissionFormatError? FormatError { get; init; }

    /// <summary>Why the check could not run at all (no sample submission), or null.</summary>
    public string? CheckUnavailable { get; init; }

    /// <summary>What is known of the gate's verdict on the model.</summary>
    public required GateSummary Gate { get; init; }

    /// <summary>What the target's server says remains today, when it says; this wins over the ledger.</summary>
    public int? ServerRemainingToday { get; init; }

    /// <summary>The daily limit, when known (from the server's competition record).</summary>
    public int? DailyLimit { get; init; }

    /// <summary>The ledger's count of submissions to this target since 00:00 UTC.</summary>
    public int LedgerCountToday { get; init; }

    /// <summary>Earlier submissions of the same bytes to the same target and competition, newest first.</summary>
    public IReadOnlyList<PriorSubmission> SameContent { get; init; } = [];
}

/// <summary>The explicit overrides a user may give.</summary>
public sealed record GuardOptions
{
    /// <summary>Send although the gate did not pass (<c>--override-gate</c>).</summary>
    public bool OverrideGate { get; init; }

    /// <summary>Send although the same bytes were sent before (<c>--allow-duplicate</c>).</summary>
    public bool AllowDuplicate { get; init; }
}

/// <summary>One rule that said no: its name, the error class and a one-line message that says what to do.</summary>
public sealed record GuardRefusal(string Rule, ErrorCode Code, string Message);

/// <summary>The guard's answer on one file.</summary>
/// <param name="Refusals">Every rule that said no, in rule order; empty when the file may be sent.</param>
public sealed record GuardDecision(IReadOnlyList<GuardRefusal> Refusals)
{
    /// <summary>True when no rule refused.</summary>
    public bool Allowed => Refusals.Count == 0;

    /// <summary>Throws the first refusal as an <see cref="EsteiraException"/> (naming the others, if any).</summary>
    public void ThrowIfRefused()
    {
        if (Allowed)
        {
            return;
        }

        var first = Refusals[0];
        var more = Refusals.Count > 1 ? $" (also refused by: {string.Join(", ", Refusals.Skip(1).Select(r => r.Rule))})" : "";
        throw new EsteiraException(first.Code, $"not sent, rule '{first.Rule}': {first.Message}{more}");
    }
}

/// <summary>
/// The guard in front of every upload, to any target: a pure function of the gathered facts. Rules, in order:
/// <c>check</c> (the file matches sample_submission.csv: every row_id once, values finite and ≥ 0),
/// <c>gate</c> (the gate passed, or <c>--override-gate</c>), <c>budget</c> (today's submissions left, from the server
/// when it says, else the ledger's count since 00:00 UTC against the daily limit) and <c>duplicate</c> (these exact bytes
/// were not sent before, or <c>--allow-duplicate</c>).
/// </summary>
public static class SubmissionGuard
{
    /// <summary>Applies every rule to <paramref name="facts"/> and returns all refusals (it sends nothing and throws nothing).</summary>
    public static GuardDecision Evaluate(GuardFacts facts, GuardOptions options)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(options);
        var refusals = new List<GuardRefusal>();

        if (facts.CheckUnavailable is { } unavailable)
        {
            refusals.Add(new GuardRefusal("check", ErrorCode.BadInput, $"{unavailable}; pass --sample PATH to sample_submission.csv"));
        }
        else if (facts.FormatError is { } error)
        {
            refusals.Add(new GuardRefusal("check", ErrorCode.BadInput,
                $"{facts.FileName}:{error.Line} column '{error.Column}': {error.Problem}; fix the file so it matches sample_submission.csv"));
        }

        switch (facts.Gate.State)
        {
            case GateState.Failed when !options.OverrideGate:
                refusals.Add(new GuardRefusal("gate", ErrorCode.GateFailed,
                    $"the gate failed ({facts.Gate.Detail ?? "no reason given"}); improve the model, or pass --override-gate to send it anyway"));
                break;
            case GateState.NotEvaluated when !options.OverrideGate:
                refusals.Add(new GuardRefusal("gate", ErrorCode.GateFailed,
                    "no gate verdict is known for this file; run the pipeline so the gate evaluates it, or pass --override-gate to send it anyway"));
                break;
        }

        if (facts.ServerRemainingToday is { } remaining)
        {
            if (remaining <= 0)
            {
                refusals.Add(new GuardRefusal("budget", ErrorCode.LimitExceeded,
                    $"{facts.Target} says no submission to {facts.Competition} remains today{(facts.DailyLimit is { } l ? $" (limit {l})" : "")}; wait for the reset at 00:00 UTC"));
            }
        }
        else if (facts.DailyLimit is { } limit && limit > 0 && facts.LedgerCountToday >= limit)
        {
            refusals.Add(new GuardRefusal("budget", ErrorCode.LimitExceeded,
                $"the ledger counts {facts.LedgerCountToday} submissions to {facts.Target}/{facts.Competition} since 00:00 UTC and the daily limit is {limit}; wait for the reset at 00:00 UTC"));
        }

        if (facts.SameContent.Count > 0 && !options.AllowDuplicate)
        {
            var prior = facts.SameContent[0];
            var reference = prior.Reference is null ? "" : $" as {prior.Reference}";
            refusals.Add(new GuardRefusal("duplicate", ErrorCode.Conflict,
                $"these exact bytes (sha256 {facts.Sha256[..12]}…) were already sent to {facts.Target}/{facts.Competition}{reference} at {prior.SubmittedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC; a resend wastes a submission, pass --allow-duplicate to send it anyway"));
        }

        return new GuardDecision(refusals);
    }

    /// <summary>The most recent 00:00 UTC at or before <paramref name="now"/>: the daily limit's reset.</summary>
    public static DateTimeOffset StartOfUtcDay(DateTimeOffset now) => new(now.UtcDateTime.Date, TimeSpan.Zero);
}
