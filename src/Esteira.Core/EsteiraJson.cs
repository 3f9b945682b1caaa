using System.Text.Json;
using System.Text.Json.Serialization;

namespace Esteira;

/// <summary>
/// The one JSON shape of Esteira's own files and of every <c>--json</c> output: snake_case names, enums as snake_case
/// strings, nulls left out, NaN and infinities allowed (a diverged model's metric is NaN and must still be shown), names
/// matched without regard to case when reading.
/// </summary>
/// <remarks>
/// Formats owned by someone else keep their own options, each with a comment saying why: Kaggle's wire protocol
/// (camelCase, <c>KaggleJson</c>), Jupyter notebooks (nbformat), and files already on users' disks in another casing.
/// Both instances are read-only once first used, and safe to share between threads.
/// </remarks>
public static class EsteiraJson
{
    /// <summary>Compact: for files and for machine-read output.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
    };

    /// <summary>Like <see cref="Options"/>, indented, for people reading <c>--json</c> output or a stage's files.</summary>
    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };
}
