using System.Globalization;
using System.IO.Compression;
using System.Text;
using Esteira.Deploy.Kaggle;

namespace Esteira.Leaderboard;

/// <summary>
/// The rankings, as GetLeaderboard and DownloadLeaderboard serve them: the public board shows each team's best public
/// score; once the private scores are revealed (and unless <c>overridePublic</c>), each team is ranked by the better private
/// score of its two best-public submissions (Kaggle's automatic selection). Better is the metric's goal
/// (<see cref="LeaderboardRanking"/>); ties go to the earlier submission.
/// </summary>
public sealed class Standings(CompetitionDefinition competition, ILeaderboardStore store, TeamAuthenticator teams, TimeProvider time)
{
    /// <summary>The name DownloadLeaderboard gives its zip: <c>&lt;competition&gt;.zip</c>.</summary>
    public string ZipName => competition.Name + ".zip";

    /// <summary>One page of the ranking.</summary>
    public async Task<GetLeaderboardResponse> GetLeaderboardAsync(RpcRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        competition.RequireCompetition(request);
        var rows = await RankAsync(usePrivate: !request.OverridePublic && competition.IsRevealed(time.GetUtcNow()), cancellationToken);
        var (page, next) = RpcRules.Page(rows, request, RpcRules.DefaultPageSize);
        return new GetLeaderboardResponse { Submissions = page, NextPageToken = next };
    }

    /// <summary>The leaderboard as a zip holding one CSV, as DownloadLeaderboard serves it.</summary>
    public async Task<byte[]> LeaderboardZipAsync(RpcRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        competition.RequireCompetition(request);
        var usePrivate = !request.OverridePublic && competition.IsRevealed(time.GetUtcNow());
        var rows = await RankAsync(usePrivate, cancellationToken);
        var csv = new StringBuilder("TeamId,TeamName,SubmissionDate,Score\n");
        foreach (var row in rows)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{row.TeamId},{row.TeamName},{row.SubmissionDate:yyyy-MM-dd HH:mm:ss},{row.Score}\n");
        }

        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            var entry = zip.CreateEntry($"{competition.Name}-{(usePrivate ? "private" : "public")}leaderboard.csv", CompressionLevel.Fastest);
            await using var stream = await entry.OpenAsync(cancellationToken);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(csv.ToString()), cancellationToken);
        }

        return buffer.ToArray();
    }

    private async Task<List<ApiLeaderboardSubmission>> RankAsync(bool usePrivate, CancellationToken cancellationToken)
    {
        var complete = (await store.ListSubmissionsAsync(competition.Name, null, cancellationToken))
            .Where(s => s.Status == SubmissionState.Complete && s.PublicScore is not null)
            .ToList();
        var teamIds = teams.Teams.ToDictionary(t => t.Name, t => t.Id, StringComparer.Ordinal);
        return LeaderboardRanking.Rank(complete, competition.Metric, usePrivate)
            .Select(x => new ApiLeaderboardSubmission
            {
                TeamId = teamIds.GetValueOrDefault(x.Team),
                TeamName = x.Team,
                SubmissionDate = x.Submission.SubmittedUtc,
                Score = WireFormat.Score(x.Score),
            })
            .ToList();
    }
}
