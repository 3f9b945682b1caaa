namespace Esteira.Tracking;

/// <summary>A submission about to be recorded (right before or right after sending it).</summary>
public sealed record NewSubmission
{
    /// <summary>The run the predictions came from, when there is one.</summary>
    public long? RunId { get; init; }

    /// <summary>SHA-256 of the submitted file, lower-case hex.</summary>
    public required string FileSha256 { get; init; }

    /// <summary>The target's name, e.g. <c>kaggle:ashrae-energy-prediction</c> or <c>leaderboard:local</c>.</summary>
    public required string Target { get; init; }

    /// <summary>The status to record it with; <see cref="SubmissionStatus.Pending"/> until the target scores it.</summary>
    public SubmissionStatus Status { get; init; } = SubmissionStatus.Pending;

    /// <summary>The local cross-validation score of the run, for comparing with the public score later.</summary>
    public double? CvScore { get; init; }

    /// <summary>The target's public leaderboard score, when already known.</summary>
    public double? PublicScore { get; init; }

    /// <summary>The target's private leaderboard score, when already known.</summary>
    public double? PrivateScore { get; init; }

    /// <summary>The target's own id for the submission, when it gives one.</summary>
    public string? ExternalId { get; init; }

    /// <summary>A free-text note, or the target's error message.</summary>
    public string? Message { get; init; }
}

/// <summary>A submission recorded elsewhere, with the time it was sent, for <see cref="ISubmissionLedger.ImportSubmissionsAsync"/>.</summary>
/// <param name="Submission">What was sent where.</param>
/// <param name="SubmittedAt">When it was sent; the ledger's daily count uses it.</param>
public sealed record ImportedSubmission(NewSubmission Submission, DateTimeOffset SubmittedAt);

/// <summary>A change to a recorded submission; null members are left as they are.</summary>
public sealed record SubmissionUpdate
{
    /// <summary>The new status.</summary>
    public SubmissionStatus? Status { get; init; }

    /// <summary>The public leaderboard score the target gave.</summary>
    public double? PublicScore { get; init; }

    /// <summary>The private leaderboard score the target gave.</summary>
    public double? PrivateScore { get; init; }

    /// <summary>The target's own id for the submission.</summary>
    public string? ExternalId { get; init; }

    /// <summary>A free-text note, or the target's error message.</summary>
    public string? Message { get; init; }
}

/// <summary>One row of the submission ledger.</summary>
public sealed record Submission
{
    /// <summary>The ledger's id for the submission.</summary>
    public required long Id { get; init; }

    /// <summary>The run the predictions came from, when there is one.</summary>
    public long? RunId { get; init; }

    /// <summary>SHA-256 of the submitted file, lower-case hex.</summary>
    public required string FileSha256 { get; init; }

    /// <summary>The target's name, e.g. <c>kaggle:ashrae-energy-prediction</c>.</summary>
    public required string Target { get; init; }

    /// <summary>Whether the target has scored it, or rejected it.</summary>
    public required SubmissionStatus Status { get; init; }

    /// <summary>The run's local cross-validation score, for comparing with the public score.</summary>
    public double? CvScore { get; init; }

    /// <summary>The target's public leaderboard score, once known.</summary>
    public double? PublicScore { get; init; }

    /// <summary>The target's private leaderboard score, once known.</summary>
    public double? PrivateScore { get; init; }

    /// <summary>The target's own id for the submission, when it gave one.</summary>
    public string? ExternalId { get; init; }

    /// <summary>A free-text note, or the target's error message.</summary>
    public string? Message { get; init; }

    /// <summary>When the submission was recorded.</summary>
    public required DateTimeOffset SubmittedAt { get; init; }

    /// <summary>When the row last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>Which ledger rows <see cref="ISubmissionLedger.ListSubmissionsAsync"/> returns (newest first).</summary>
public sealed record SubmissionQuery
{
    /// <summary>Only submissions to this target; null for all targets.</summary>
    public string? Target { get; init; }

    /// <summary>Only submissions from this run; null for all runs.</summary>
    public long? RunId { get; init; }

    /// <summary>At most this many rows (values below 1 count as 1).</summary>
    public int Limit { get; init; } = 100;
}
