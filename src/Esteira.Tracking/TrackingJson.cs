using System.Text.Json;
using System.Text.Json.Serialization;

namespace Esteira.Tracking;

/// <summary>The JSON settings for tracking records: snake_case like the rest of the CLI's <c>--json</c>, enums as
/// strings, NaN allowed (a diverged model's metric is NaN and must still be shown).</summary>
public static class TrackingJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
    };

    /// <summary>Like <see cref="Options"/>, indented, for people reading <c>--json</c> output.</summary>
    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };
}
