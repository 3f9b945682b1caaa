using Esteira.Deploy.Kaggle;

namespace Esteira.Deploy.Targets;

/// <summary>Today's allowance as a target reports it; null fields mean "the target does not say".</summary>
public sealed record SubmissionBudget(int? DailyLimit, int? RemainingToday)
{
    public static SubmissionBudget Unknown { get; } = new(null, null);
}

/// <summary>One submission as a target reports it.</summary>
public sealed record SubmissionOutcome
{
    public required string Reference { get; init; }
    public string? FileName { get; init; }
    public DateTime? Date { get; init; }
    public string? Description { get; init; }
    public SubmissionStatus State { get; init; }
    public string? PublicScore { get; init; }
    public string? PrivateScore { get; init; }
    public string? ErrorDescription { get; init; }

    /// <summary>Where the file went, for targets that keep files (the folder target).</summary>
    public string? Location { get; init; }

    public static SubmissionOutcome From(ApiSubmission s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new SubmissionOutcome
        {
            Reference = s.Ref.ToString(System.Globalization.CultureInfo.InvariantCulture),
            FileName = s.FileName,
            Date = s.Date,
            Description = s.Description,
            State = s.State,
            PublicScore = string.IsNullOrEmpty(s.PublicScore) ? null : s.PublicScore,
            PrivateScore = string.IsNullOrEmpty(s.PrivateScore) ? null : s.PrivateScore,
            ErrorDescription = string.IsNullOrEmpty(s.ErrorDescription) ? null : s.ErrorDescription,
        };
    }
}

/// <summary>
/// Where a checked submission goes: Kaggle, our leaderboard server, or a folder. Implementations do no checking of their
/// own: the guard runs before <see cref="SubmitAsync"/>.
/// </summary>
public interface ISubmissionTarget
{
    /// <summary><c>kaggle</c>, <c>leaderboard</c> or <c>folder</c>: the name the ledger records.</summary>
    string Kind { get; }

    string Competition { get; }

    Task<SubmissionBudget> GetBudgetAsync(CancellationToken cancellationToken = default);

    /// <summary>Sends the file and, where the target scores, waits for the score. An ERROR result is returned, not thrown.</summary>
    Task<SubmissionOutcome> SubmitAsync(string path, string message, IProgress<string>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>My submissions, newest first.</summary>
    Task<IReadOnlyList<SubmissionOutcome>> ListAsync(CancellationToken cancellationToken = default);
}

/// <summary>Kaggle or our leaderboard server: both speak the same RPC API.</summary>
public sealed class KaggleTarget(KaggleClient client, string competition, string kind = "kaggle", bool ownsClient = false) : ISubmissionTarget, IDisposable
{
    public KaggleClient Client => client;

    public void Dispose()
    {
        if (ownsClient)
        {
            client.Dispose();
        }
    }

    public string Kind => kind;

    public string Competition => competition;

    public async Task<SubmissionBudget> GetBudgetAsync(CancellationToken cancellationToken = default)
    {
        if (await client.GetSubmissionLimitsAsync(competition, cancellationToken) is { } limits)
        {
            return limits.DailyLimit > 0 ? new SubmissionBudget(limits.DailyLimit, limits.RemainingToday) : SubmissionBudget.Unknown;
        }

        var info = await client.GetCompetitionAsync(competition, cancellationToken);
        return new SubmissionBudget(info.MaxDailySubmissions > 0 ? info.MaxDailySubmissions : null, null);
    }

    public async Task<SubmissionOutcome> SubmitAsync(string path, string message, IProgress<string>? progress = null, CancellationToken cancellationToken = default) =>
        SubmissionOutcome.From(await client.SubmitAsync(competition, path, message, progress, cancellationToken));

    public async Task<IReadOnlyList<SubmissionOutcome>> ListAsync(CancellationToken cancellationToken = default) =>
        (await client.ListSubmissionsAsync(competition, cancellationToken: cancellationToken)).Select(SubmissionOutcome.From).ToList();
}
