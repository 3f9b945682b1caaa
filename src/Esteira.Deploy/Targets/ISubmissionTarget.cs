using Esteira.Deploy.Kaggle;

namespace Esteira.Deploy.Targets;

/// <summary>Today's allowance as a target reports it; null fields mean "the target does not say".</summary>
public sealed record SubmissionBudget(int? DailyLimit, int? RemainingToday)
{
    /// <summary>Neither the limit nor what remains is known.</summary>
    public static SubmissionBudget Unknown { get; } = new(null, null);
}

/// <summary>One submission as a target reports it.</summary>
public sealed record SubmissionOutcome
{
    /// <summary>The target's reference for the submission (Kaggle's number, or the folder target's file name).</summary>
    public required string Reference { get; init; }
    /// <summary>The submitted file's name.</summary>
    public string? FileName { get; init; }
    /// <summary>When it was submitted.</summary>
    public DateTime? Date { get; init; }
    /// <summary>The message sent with it.</summary>
    public string? Description { get; init; }
    /// <summary>Pending, complete or error.</summary>
    public SubmissionStatus State { get; init; }
    /// <summary>The public score as the target writes it, or null until scored.</summary>
    public string? PublicScore { get; init; }
    /// <summary>The private score as the target writes it, or null until revealed.</summary>
    public string? PrivateScore { get; init; }
    /// <summary>Why scoring failed, or null.</summary>
    public string? ErrorDescription { get; init; }

    /// <summary>Where the file went, for targets that keep files (the folder target).</summary>
    public string? Location { get; init; }

    /// <summary>The outcome of an API submission; empty score and error texts become null.</summary>
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

    /// <summary>The competition submissions go to.</summary>
    string Competition { get; }

    /// <summary>Today's allowance, as far as the target says.</summary>
    Task<SubmissionBudget> GetBudgetAsync(CancellationToken cancellationToken = default);

    /// <summary>Sends the file and, where the target scores, waits for the score. An ERROR result is returned, not thrown.</summary>
    Task<SubmissionOutcome> SubmitAsync(string path, string message, IProgress<string>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>My submissions, newest first.</summary>
    Task<IReadOnlyList<SubmissionOutcome>> ListAsync(CancellationToken cancellationToken = default);
}

/// <summary>Kaggle or our leaderboard server: both speak the same RPC API.</summary>
public sealed class KaggleTarget(KaggleClient client, string competition, string kind = "kaggle", bool ownsClient = false) : ISubmissionTarget, IDisposable
{
    /// <summary>The client this target calls.</summary>
    public KaggleClient Client => client;

    /// <summary>Disposes the client when the target owns it.</summary>
    public void Dispose()
    {
        if (ownsClient)
        {
            client.Dispose();
        }
    }

    /// <c>kaggle</c> or <c>leaderboard</c>, as given.
    public string Kind => kind;

    /// <inheritdoc/>
    public string Competition => competition;

    /// <summary>The server's submission limits when it answers <c>GetSubmissionLimits</c> with a positive daily limit; otherwise the competition's daily maximum, with what remains unknown.</summary>
    public async Task<SubmissionBudget> GetBudgetAsync(CancellationToken cancellationToken = default)
    {
        if (await client.GetSubmissionLimitsAsync(competition, cancellationToken) is { } limits)
        {
            return limits.DailyLimit > 0 ? new SubmissionBudget(limits.DailyLimit, limits.RemainingToday) : SubmissionBudget.Unknown;
        }

        var info = await client.GetCompetitionAsync(competition, cancellationToken);
        return new SubmissionBudget(info.MaxDailySubmissions > 0 ? info.MaxDailySubmissions : null, null);
    }

    /// <inheritdoc/>
    public async Task<SubmissionOutcome> SubmitAsync(string path, string message, IProgress<string>? progress = null, CancellationToken cancellationToken = default) =>
        SubmissionOutcome.From(await client.SubmitAsync(competition, path, message, progress, cancellationToken));

    /// <inheritdoc/>
    public async Task<IReadOnlyList<SubmissionOutcome>> ListAsync(CancellationToken cancellationToken = default) =>
        (await client.ListSubmissionsAsync(competition, cancellationToken: cancellationToken)).Select(SubmissionOutcome.From).ToList();
}
