using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Esteira.Deploy.Kaggle;

// The JSON objects of the Kaggle competitions RPC API (kagglesdk competition_api_service types), shared by our
// client and our server. Field names are lowerCamelCase; defaults may be omitted on the wire, so every field is
// optional when reading (a missing submission status means PENDING).

public sealed record ApiCompetition
{
    public long Id { get; init; }
    public string? Ref { get; init; }
    public string? Title { get; init; }
    public string? Url { get; init; }
    public string? Description { get; init; }
    public string? OrganizationName { get; init; }
    public string? Category { get; init; }
    public string? Reward { get; init; }
    public DateTime? Deadline { get; init; }
    public DateTime? EnabledDate { get; init; }
    public int TeamCount { get; init; }
    public bool UserHasEntered { get; init; }
    public int MaxDailySubmissions { get; init; }
    public int MaxTeamSize { get; init; }
    public string? EvaluationMetric { get; init; }
    public bool SubmissionsDisabled { get; init; }
    public string? HostName { get; init; }

    /// <summary>The competition's slug, from <see cref="Ref"/> or <see cref="Url"/> (Kaggle puts a URL in <c>ref</c>).</summary>
    [JsonIgnore]
    public string Name => LastSegment(Ref) ?? LastSegment(Url) ?? "";

    private static string? LastSegment(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null : value.TrimEnd('/').Split('/')[^1];
}

public sealed record ApiDataFile
{
    public string? Ref { get; init; }
    public string? Name { get; init; }
    public string? Description { get; init; }
    public long TotalBytes { get; init; }
    public string? Url { get; init; }
    public DateTime? CreationDate { get; init; }
}

public sealed record ApiSubmission
{
    public long Ref { get; init; }
    public long TotalBytes { get; init; }
    public DateTime? Date { get; init; }
    public string? Description { get; init; }
    public string? ErrorDescription { get; init; }
    public string? FileName { get; init; }
    public string? PublicScore { get; init; }
    public string? PrivateScore { get; init; }
    public string? Status { get; init; }
    public string? SubmittedBy { get; init; }
    public string? SubmittedByRef { get; init; }
    public string? TeamName { get; init; }
    public string? Url { get; init; }

    /// <summary>The status with the wire's leniency applied: absent means pending, case does not matter.</summary>
    [JsonIgnore]
    public SubmissionStatus State => SubmissionStatusWire.Parse(Status);
}

public sealed record ApiLeaderboardSubmission
{
    public long TeamId { get; init; }
    public string? TeamName { get; init; }
    public DateTime? SubmissionDate { get; init; }
    public string? Score { get; init; }
}

public sealed record ListCompetitionsResponse
{
    public List<ApiCompetition> Competitions { get; init; } = [];
    public string? NextPageToken { get; init; }
}

public sealed record ListDataFilesResponse
{
    public List<ApiDataFile> Files { get; init; } = [];
    public string? NextPageToken { get; init; }
}

public sealed record ListSubmissionsResponse
{
    public List<ApiSubmission> Submissions { get; init; } = [];
    public string? NextPageToken { get; init; }
}

public sealed record GetLeaderboardResponse
{
    public List<ApiLeaderboardSubmission> Submissions { get; init; } = [];
    public string? NextPageToken { get; init; }
}

public sealed record StartSubmissionUploadResponse
{
    public string? Token { get; init; }
    public string? CreateUrl { get; init; }
}

public sealed record CreateSubmissionResponse
{
    public string? Message { get; init; }
    public long Ref { get; init; }
}

/// <summary>Our server's answer to <c>GetSubmissionLimits</c> (Kaggle has a method of that name; its field names are unverified).</summary>
public sealed record SubmissionLimitsResponse
{
    public int DailyLimit { get; init; }
    public int TodayCount { get; init; }
    public int RemainingToday { get; init; }
    public DateTime? ResetTime { get; init; }
}

public sealed record IntrospectTokenResponse
{
    public bool Active { get; init; }
    public string? Username { get; init; }
    public long UserId { get; init; }
    public string? ClientId { get; init; }
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
