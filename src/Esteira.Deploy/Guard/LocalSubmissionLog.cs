using System.Text.Json;
using System.Text.Json.Serialization;
using Esteira.Deploy.Targets;

namespace Esteira.Deploy.Guard;

/// <summary>
/// A stop-gap ledger: one JSON line per submission in a local file (default <c>.esteira/deploy-log.jsonl</c>), so that the
/// duplicate and budget rules work before the tracking store's ledger is wired in. Appends are whole lines; a torn last
/// line (a crash mid-write) is skipped when reading.
/// </summary>
public sealed class LocalSubmissionLog(string path) : ISubmissionHistory
{
    // camelCase, not EsteiraJson's snake_case: logs already on disk were written so, and would lose multi-word fields.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>The log file's path, as given.</summary>
    public string Path => path;

    /// <summary>Appends one line for a submission sent to <paramref name="target"/>/<paramref name="competition"/> at <paramref name="at"/>.</summary>
    public async Task RecordAsync(string target, string competition, string sha256, SubmissionOutcome outcome, DateTimeOffset at,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var entry = new Entry(target, competition, sha256, at, outcome.Reference, outcome.Description, outcome.State, outcome.PublicScore);
        var line = JsonSerializer.Serialize(entry, Json) + "\n";
        await Gate.WaitAsync(cancellationToken);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
            await File.AppendAllTextAsync(path, line, cancellationToken);
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<PriorSubmission>> FindByContentAsync(string target, string competition, string sha256, CancellationToken cancellationToken = default) =>
        (await ReadAsync(cancellationToken))
            .Where(e => e.Target == target && e.Competition == competition && e.Sha256 == sha256)
            .OrderByDescending(e => e.At)
            .Select(e => new PriorSubmission(e.At, e.Reference, e.Message))
            .ToList();

    /// <inheritdoc/>
    public async Task<int> CountSinceAsync(string target, string competition, DateTimeOffset sinceUtc, CancellationToken cancellationToken = default) =>
        (await ReadAsync(cancellationToken)).Count(e => e.Target == target && e.Competition == competition && e.At >= sinceUtc);

    private async Task<List<Entry>> ReadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        var entries = new List<Entry>();
        foreach (var line in await File.ReadAllLinesAsync(path, cancellationToken))
        {
            try
            {
                if (JsonSerializer.Deserialize<Entry>(line, Json) is { } entry)
                {
                    entries.Add(entry);
                }
            }
            catch (JsonException)
            {
                // A torn line from an interrupted append; the entries around it are intact.
            }
        }

        return entries;
    }

    // the state by name ("Complete"), as the log has always held it
    private sealed record Entry(string Target, string Competition, string Sha256, DateTimeOffset At, string? Reference, string? Message,
        [property: JsonConverter(typeof(JsonStringEnumConverter<SubmissionStatus>))] SubmissionStatus State, string? PublicScore);
}
