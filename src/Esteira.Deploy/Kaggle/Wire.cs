using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Esteira.Deploy.Kaggle;

// The JSON objects of the Kaggle competitions RPC API (kagglesdk competition_api_service types), shared by our
// client and our server. Field names are lowerCamelCase; defaults may be omitted on the wire, so every field is
// optional when reading (a missing submission status means PENDING).

/// <summary>A competition as the API describes it (<c>GetCompetition</c>, <c>ListCompetitions</c>).</summary>
public sealed record ApiCompetition
{
    /// <summary>The competition's numeric id.</summary>
    public long Id { get; init; }
    /// <summary>The competition's slug or URL (Kaggle sends a URL); see <see cref="Name"/>.</summary>
    public string? Ref { get; init; }
    /// <summary>The competition's title.</summary>
    public string? Title { get; init; }
    /// <summary>The competition's web page.</summary>
    public string? Url { get; init; }
    /// <summary>The short description.</summary>
    public string? Description { get; init; }
    /// <summary>The host organisation's name.</summary>
    public string? OrganizationName { get; init; }
    /// <summary>The competition's category, as the API names it.</summary>
    public string? Category { get; init; }
    /// <summary>The prize, as display text.</summary>
    public string? Reward { get; init; }
    /// <summary>When submissions close.</summary>
    public DateTime? Deadline { get; init; }
    /// <summary>When the competition opened.</summary>
    public DateTime? EnabledDate { get; init; }
    /// <summary>How many teams have entered.</summary>
    public int TeamCount { get; init; }
    /// <summary>True when the calling user has entered.</summary>
    public bool UserHasEntered { get; init; }
    /// <summary>Submissions allowed per team per UTC day; 0 when not given.</summary>
    public int MaxDailySubmissions { get; init; }
    /// <summary>The largest team allowed.</summary>
    public int MaxTeamSize { get; init; }
    /// <summary>The scoring metric's name.</summary>
    public string? EvaluationMetric { get; init; }
    /// <summary>True when the competition accepts no submissions.</summary>
    public bool SubmissionsDisabled { get; init; }
    /// <summary>The host's name.</summary>
    public string? HostName { get; init; }

    /// <summary>The competition's slug, from <see cref="Ref"/> or <see cref="Url"/> (Kaggle puts a URL in <c>ref</c>).</summary>
    [JsonIgnore]
    public string Name => LastSegment(Ref) ?? LastSegment(Url) ?? "";

    private static string? LastSegment(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null : value.TrimEnd('/').Split('/')[^1];
}

/// <summary>One data file of a competition (<c>ListDataFiles</c>).</summary>
public sealed record ApiDataFile
{
    /// <summary>The file's reference in the API.</summary>
    public string? Ref { get; init; }
    /// <summary>The file's name.</summary>
    public string? Name { get; init; }
    /// <summary>The file's description.</summary>
    public string? Description { get; init; }
    /// <summary>The file's size in bytes.</summary>
    public long TotalBytes { get; init; }
    /// <summary>The file's URL.</summary>
    public string? Url { get; init; }
    /// <summary>When the file was created.</summary>
    public DateTime? CreationDate { get; init; }
}

/// <summary>One submission as the API describes it (<c>GetSubmission</c>, <c>ListSubmissions</c>).</summary>
public sealed record ApiSubmission
{
    /// <summary>The submission's reference number.</summary>
    public long Ref { get; init; }
    /// <summary>The submitted file's size in bytes.</summary>
    public long TotalBytes { get; init; }
    /// <summary>When it was submitted.</summary>
    public DateTime? Date { get; init; }
    /// <summary>The message sent with it.</summary>
    public string? Description { get; init; }
    /// <summary>Why scoring failed, when it did.</summary>
    public string? ErrorDescription { get; init; }
    /// <summary>The submitted file's name.</summary>
    public string? FileName { get; init; }
    /// <summary>The public score as the API writes it (text); empty until scored.</summary>
    public string? PublicScore { get; init; }
    /// <summary>The private score as the API writes it (text); empty until revealed.</summary>
    public string? PrivateScore { get; init; }
    /// <summary>The raw wire status (e.g. <c>COMPLETE</c>); <see cref="State"/> reads it.</summary>
    public string? Status { get; init; }
    /// <summary>The submitting user's display name.</summary>
    public string? SubmittedBy { get; init; }
    /// <summary>The submitting user's reference.</summary>
    public string? SubmittedByRef { get; init; }
    /// <summary>The submitting team's name.</summary>
    public string? TeamName { get; init; }
    /// <summary>The submission's URL.</summary>
    public string? Url { get; init; }

    /// <summary>The status with the wire's leniency applied: absent means pending, case does not matter.</summary>
    [JsonIgnore]
    public SubmissionStatus State => SubmissionStatusWire.Parse(Status);
}

/// <summary>One team's entry on a leaderboard (<c>GetLeaderboard</c>).</summary>
public sealed record ApiLeaderboardSubmission
{
    /// <summary>The team's id.</summary>
    public long TeamId { get; init; }
    /// <summary>The team's name.</summary>
    public string? TeamName { get; init; }
    /// <summary>When the scored submission was made.</summary>
    public DateTime? SubmissionDate { get; init; }
    /// <summary>The team's score as the API writes it (text).</summary>
    public string? Score { get; init; }
}

/// <summary>One page of <c>ListCompetitions</c>.</summary>
public sealed record ListCompetitionsResponse
{
    /// <summary>The competitions on this page.</summary>
    public List<ApiCompetition> Competitions { get; init; } = [];
    /// <summary>The token for the next page; null or empty on the last.</summary>
    public string? NextPageToken { get; init; }
}

/// <summary>One page of <c>ListDataFiles</c>.</summary>
public sealed record ListDataFilesResponse
{
    /// <summary>The data files on this page.</summary>
    public List<ApiDataFile> Files { get; init; } = [];
    /// <summary>The token for the next page; null or empty on the last.</summary>
    public string? NextPageToken { get; init; }
}

/// <summary>One page of <c>ListSubmissions</c>.</summary>
public sealed record ListSubmissionsResponse
{
    /// <summary>The submissions on this page.</summary>
    public List<ApiSubmission> Submissions { get; init; } = [];
    /// <summary>The token for the next page; null or empty on the last.</summary>
    public string? NextPageToken { get; init; }
}

/// <summary>One page of <c>GetLeaderboard</c>.</summary>
public sealed record GetLeaderboardResponse
{
    /// <summary>The leaderboard entries on this page.</summary>
    public List<ApiLeaderboardSubmission> Submissions { get; init; } = [];
    /// <summary>The token for the next page; null or empty on the last.</summary>
    public string? NextPageToken { get; init; }
}

/// <summary>The answer to <c>StartSubmissionUpload</c>: where to PUT the file and the token naming it.</summary>
public sealed record StartSubmissionUploadResponse
{
    /// <summary>The upload's token, passed on to <c>CreateSubmission</c>.</summary>
    public string? Token { get; init; }
    /// <summary>The URL to PUT the file's bytes to.</summary>
    public string? CreateUrl { get; init; }
}

/// <summary>The answer to <c>CreateSubmission</c>.</summary>
public sealed record CreateSubmissionResponse
{
    /// <summary>The server's message about the submission.</summary>
    public string? Message { get; init; }
    /// <summary>The new submission's reference number.</summary>
    public long Ref { get; init; }
}

/// <summary>Our server's answer to <c>GetSubmissionLimits</c> (Kaggle has a method of that name; its field names are unverified).</summary>
public sealed record SubmissionLimitsResponse
{
    /// <summary>Submissions allowed per UTC day.</summary>
    public int DailyLimit { get; init; }
    /// <summary>Submissions made today.</summary>
    public int TodayCount { get; init; }
    /// <summary>Submissions still allowed today.</summary>
    public int RemainingToday { get; init; }
    /// <summary>When today's count resets (UTC).</summary>
    public DateTime? ResetTime { get; init; }
}

/// <summary>The answer to token introspection: whether a token is valid and whose it is.</summary>
public sealed record IntrospectTokenResponse
{
    /// <summary>True when the token is valid.</summary>
    public bool Active { get; init; }
    /// <summary>The token owner's user name.</summary>
    public string? Username { get; init; }
    /// <summary>The token owner's user id.</summary>
    public long UserId { get; init; }
    /// <summary>The client the token was issued to.</summary>
    public string? ClientId { get; init; }
    /// <summary>The token's scope.</summary>
    public string? Scope { get; init; }
}

/// <summary>A <see cref="SubmissionStatus"/> as Kaggle's API writes it (<c>COMPLETE</c>, <c>SubmissionStatus.ERROR</c>, …).</summary>
public static class SubmissionStatusWire
{
    /// <summary>Reads the wire status: absent or unknown means pending; case-insensitive; accepts the enum-name prefix.</summary>
    public static SubmissionStatus Parse(string? status)
    {
        var s = status?.Trim() ?? "";
        var dot = s.LastIndexOf('.');
        if (dot >= 0)
        {
            s = s[(dot + 1)..];
        }

        return s.ToUpperInvariant() switch
        {
            "COMPLETE" => SubmissionStatus.Complete,
            "ERROR" => SubmissionStatus.Error,
            _ => SubmissionStatus.Pending,
        };
    }

    /// <summary>The wire name of <paramref name="state"/>: <c>COMPLETE</c>, <c>ERROR</c> or <c>PENDING</c>.</summary>
    public static string ToWire(SubmissionStatus state) => state switch
    {
        SubmissionStatus.Complete => "COMPLETE",
        SubmissionStatus.Error => "ERROR",
        _ => "PENDING",
    };
}

/// <summary>JSON settings both sides use: camelCase, nulls left out, numbers readable from strings (proto3 int64).</summary>
public static class KaggleJson
{
    /// <summary>The shared options; read-only once made.</summary>
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.AllowReadingFromString,
        };
        options.Converters.Add(new UtcDateTimeConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Writes <c>2026-01-30T15:19:08.000Z</c> as kagglesdk does; reads any ISO-8601 form.</summary>
    private sealed class UtcDateTimeConverter : JsonConverter<DateTime>
    {
        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTime.Parse(reader.GetString() ?? "", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
    }
}
