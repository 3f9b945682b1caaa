using System.Globalization;

namespace Esteira.Leaderboard;

/// <summary>The fields of any RPC request body we read; every method uses a subset, unknown fields are ignored.</summary>
public sealed record RpcRequest
{
    /// <summary>The competition the request is about; must name the hosted one.</summary>
    public string? CompetitionName { get; init; }
    /// <summary>The name of the file being uploaded (StartSubmissionUpload).</summary>
    public string? FileName { get; init; }
    /// <summary>The declared size in bytes of the file to upload.</summary>
    public long ContentLength { get; init; }
    /// <summary>The file's modification time as the Kaggle client sends it; accepted and not used.</summary>
    public long LastModifiedEpochSeconds { get; init; }
    /// <summary>The upload token a CreateSubmission request submits.</summary>
    public string? BlobFileTokens { get; init; }
    /// <summary>The team's description of a submission.</summary>
    public string? SubmissionDescription { get; init; }
    /// <summary>The submission number a request asks about.</summary>
    public long Ref { get; init; }
    /// <summary>Rows per page; 0 or less means the method's default, capped at 500.</summary>
    public int PageSize { get; init; }

    /// <summary>The old 1-based page number (<c>competitions list --page 2</c>); -1 or absent means "use pageToken".</summary>
    public int Page { get; init; }
    /// <summary>The offset of the page to return, as handed back by the previous page; empty for the first.</summary>
    public string? PageToken { get; init; }
    /// <summary>Rank by public scores even after the private ones are revealed.</summary>
    public bool OverridePublic { get; init; }
    /// <summary>ListCompetitions filter, matched against the competition's name and title.</summary>
    public string? Search { get; init; }
    /// <summary>The bearer token an introspection request asks about.</summary>
    public string? Token { get; init; }
}

/// <summary>Checks and paging every RPC method shares.</summary>
internal static class RpcRules
{
    private const int MaxPageSize = 500;

    /// <summary>The page size of the methods that list submissions or rankings.</summary>
    public const int DefaultPageSize = 50;

    /// <exception cref="EsteiraException">The request names no competition, or another one than this server hosts.</exception>
    public static void RequireCompetition(this CompetitionDefinition competition, RpcRequest request)
    {
        var name = request.CompetitionName?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"competitionName is missing; this server hosts '{competition.Name}'");
        }

        if (!name.Equals(competition.Name, StringComparison.OrdinalIgnoreCase))
        {
            throw new EsteiraException(ErrorCode.NotFound, $"competition '{name}' not found; this server hosts '{competition.Name}'");
        }
    }

    /// <exception cref="EsteiraException">The competition's deadline has passed.</exception>
    public static void RequireOpen(this CompetitionDefinition competition, TimeProvider time)
    {
        if (competition.IsClosed(time.GetUtcNow()))
        {
            throw new EsteiraException(ErrorCode.Forbidden, $"{competition.Name} closed at {competition.Deadline:yyyy-MM-dd HH:mm} UTC; submissions are no longer accepted");
        }
    }

    public static (List<T> Page, string Next) Page<T>(List<T> all, RpcRequest request, int defaultSize)
    {
        var size = request.PageSize <= 0 ? defaultSize : Math.Min(request.PageSize, MaxPageSize);
        // A pageToken is our offset; without one, the old 1-based page number counts pages of this size. A page past the
        // end is empty, so a script that pages until nothing comes back stops.
        var offset = int.TryParse(request.PageToken, NumberStyles.None, CultureInfo.InvariantCulture, out var o) ? o
            : request.Page > 1 ? (int)Math.Min(int.MaxValue, (request.Page - 1L) * size)
            : 0;
        var page = all.Skip(offset).Take(size).ToList();
        var next = offset + size < all.Count ? (offset + size).ToString(CultureInfo.InvariantCulture) : "";
        return (page, next);
    }
}
