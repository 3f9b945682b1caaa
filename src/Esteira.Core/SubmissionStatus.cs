namespace Esteira;

/// <summary>Where a submission stands at its target: in the tracking ledger, the deploy log and the leaderboard server alike.</summary>
/// <remarks>
/// The numbers and the names are stored: the leaderboard store keeps the number, the deploy log the name, the tracking
/// ledger the name in lower case. Never renumber or rename a member.
/// </remarks>
public enum SubmissionStatus
{
    /// <summary>Sent; the target has not scored it yet.</summary>
    Pending = 0,

    /// <summary>Scored.</summary>
    Complete = 1,

    /// <summary>The target rejected it or scoring failed.</summary>
    Error = 2,
}
