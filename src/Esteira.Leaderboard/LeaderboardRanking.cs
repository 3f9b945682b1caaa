using Esteira.Deploy.Kaggle;

namespace Esteira.Leaderboard;

/// <summary>One team's line on a board: the submission that represents it and the score it is ranked by.</summary>
public sealed record RankedEntry(string Team, SubmissionRecord Submission, double Score);

/// <summary>
/// Orders the leaderboard by the competition metric's <see cref="EvalMetric.Goal"/>: lower first for errors and losses,
/// higher first for AUC and accuracy. Ties go to the earlier submission, on both boards. A pure function of the stored
/// submissions, so the public board, the private board and the downloaded CSV cannot disagree.
/// </summary>
public static class LeaderboardRanking
{
    /// <summary>
    /// The public board ranks each team's best public score; the private board (<paramref name="usePrivate"/>) ranks each
    /// team by the better private score of its two best-public submissions (Kaggle's automatic selection). Only
    /// <see cref="SubmissionState.Complete"/> submissions with a public score take part.
    /// </summary>
    public static IReadOnlyList<RankedEntry> Rank(IEnumerable<SubmissionRecord> submissions, EvalMetric metric, bool usePrivate)
    {
        ArgumentNullException.ThrowIfNull(submissions);
        ArgumentNullException.ThrowIfNull(metric);
        var sign = metric.Goal == MetricGoal.Minimize ? 1.0 : -1.0;
        return submissions
            .Where(s => s.Status == SubmissionState.Complete && s.PublicScore is not null)
            .GroupBy(s => s.Team, StringComparer.Ordinal)
            .Select(g =>
            {
                var byPublic = g.OrderBy(s => Key(sign, s.PublicScore!.Value)).ThenBy(s => s.SubmittedUtc).ThenBy(s => s.Ref).ToList();
                var chosen = usePrivate
                    ? byPublic.Take(2).Where(s => s.PrivateScore is not null).OrderBy(s => Key(sign, s.PrivateScore!.Value)).ThenBy(s => s.SubmittedUtc).ThenBy(s => s.Ref).FirstOrDefault()
                    : byPublic[0];
                return chosen is null ? null : new RankedEntry(g.Key, chosen, usePrivate ? chosen.PrivateScore!.Value : chosen.PublicScore!.Value);
            })
            .OfType<RankedEntry>()
            .OrderBy(x => Key(sign, x.Score)).ThenBy(x => x.Submission.SubmittedUtc).ThenBy(x => x.Submission.Ref)
            .ToList();
    }

    /// <summary>The sort key: smaller is better; a score that is not a number ranks last.</summary>
    private static double Key(double sign, double score) => double.IsNaN(score) ? double.PositiveInfinity : sign * score;
}
