using System.Globalization;
using Esteira.Deploy.Kaggle;

namespace Esteira.Leaderboard;

/// <summary>How stored submissions and scores go over the wire.</summary>
public static class WireFormat
{
    /// <summary>Scores go over the wire as strings with five decimals, as Kaggle shows them.</summary>
    public static string? Score(double? score) => score?.ToString("F5", CultureInfo.InvariantCulture);

    /// <summary>
    /// A submission as its team sees it: scores only once COMPLETE, the private one only after the reveal
    /// (<paramref name="revealed"/>).
    /// </summary>
    public static ApiSubmission Submission(SubmissionRecord record, bool revealed)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new()
        {
            Ref = record.Ref,
            TotalBytes = record.TotalBytes,
            Date = record.SubmittedUtc,
            Description = record.Description,
            ErrorDescription = record.ErrorDescription,
            FileName = record.FileName,
            PublicScore = record.Status == SubmissionState.Complete ? Score(record.PublicScore) : null,
            PrivateScore = record.Status == SubmissionState.Complete && revealed ? Score(record.PrivateScore) : null,
            Status = SubmissionStates.ToWire(record.Status),
            SubmittedBy = record.Team,
            SubmittedByRef = record.Team,
            TeamName = record.Team,
        };
    }
}
