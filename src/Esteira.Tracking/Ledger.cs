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

    public SubmissionStatus Status { get; init; } = SubmissionStatus.Pending;

    /// <summary>The local cross-validation score of the run, for comparing with the public score later.</summary>
    public double? CvScore { get; init; }

    public double? PublicScore { get; init; }

    public double? PrivateScore { get; init; }

    /// <summary>The target's own id for the submission, when it gives one.</summary>
    public string? ExternalId { get; init; }

    public string? Message { get; init; }
}

/// <summary>A change to a recorded submission; null members are left as they are.</summary>
public sealed record SubmissionUpdate
{
    public SubmissionStatus? Status { get; init; }

    public double? PublicScore { get; init; }

    public double? PrivateScore { get; init; }

    public string? ExternalId { get; init; }

    public string? Message { get; init; }
}

/// <summary>One row of the submission ledger.</summary>
public sealed record Submission
{
    public required long Id { get; init; }

    public long? RunId { get; init; }

    public required string FileSha256 { get; init; }

    public required string Target { get; init; }

    public required SubmissionStatus Status { get; init; }

    public double? CvScore { get; init; }

    public double? PublicScore { get; init; }

    public double? PrivateScore { get; init; }

    public string? ExternalId { get; init; }

    public string? Message { get; init; }

    public required DateTimeOffset SubmittedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>Which ledger rows <see cref="ISubmissionLedger.ListSubmissionsAsync"/> returns (newest first).</summary>
public sealed record SubmissionQuery
{
    public string? Target { get; init; }

    public long? RunId { get; init; }

    public int Limit { get; init; } = 100;
}
