using Esteira.Deploy.Kaggle;

namespace Esteira.Leaderboard;

/// <summary>The competition as the Kaggle API describes it: the one competition this server hosts, and its data files.</summary>
public sealed class CompetitionCatalog(CompetitionDefinition competition, TeamAuthenticator teams, TimeProvider time)
{
    /// <summary>The competition in the Kaggle API's shape; its URL is under <paramref name="baseUrl"/>.</summary>
    public ApiCompetition Describe(Uri baseUrl) => new()
    {
        Id = 1,
        Ref = competition.Name,
        Title = competition.Title,
        Url = new Uri(baseUrl, $"competitions/{competition.Name}").AbsoluteUri,
        Description = competition.Description,
        OrganizationName = "esteira",
        Category = "Community",
        Reward = "Knowledge",
        Deadline = competition.Deadline,
        TeamCount = teams.Teams.Count,
        UserHasEntered = true,
        MaxDailySubmissions = competition.DailyLimit,
        MaxTeamSize = 1,
        EvaluationMetric = competition.Metric.ToString().ToUpperInvariant(),
        SubmissionsDisabled = competition.IsClosed(time.GetUtcNow()),
        HostName = "esteira",
    };

    /// <summary>ListCompetitions: this competition when the search matches its name or title, else none.</summary>
    public ListCompetitionsResponse List(RpcRequest request, Uri baseUrl)
    {
        ArgumentNullException.ThrowIfNull(request);
        var search = request.Search?.Trim() ?? "";
        var matches = search.Length == 0
            || competition.Name.Contains(search, StringComparison.OrdinalIgnoreCase)
            || competition.Title.Contains(search, StringComparison.OrdinalIgnoreCase);
        List<ApiCompetition> all = matches ? [Describe(baseUrl)] : [];
        var (page, next) = RpcRules.Page(all, request, 20);
        return new ListCompetitionsResponse { Competitions = page, NextPageToken = next };
    }

    /// <summary>GetCompetition.</summary>
    public ApiCompetition Get(RpcRequest request, Uri baseUrl)
    {
        competition.RequireCompetition(request);
        return Describe(baseUrl);
    }

    /// <summary>ListDataFiles: exactly <see cref="CompetitionDefinition.DataFiles"/>.</summary>
    public ListDataFilesResponse ListDataFiles(RpcRequest request)
    {
        competition.RequireCompetition(request);
        var files = competition.DataFiles().Select(f => new ApiDataFile
        {
            Ref = f.Name,
            Name = f.Name,
            TotalBytes = f.Length,
            CreationDate = f.LastWriteTimeUtc,
        }).ToList();
        var (page, next) = RpcRules.Page(files, request, 200);
        return new ListDataFilesResponse { Files = page, NextPageToken = next };
    }
}
