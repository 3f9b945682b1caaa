using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Esteira.Config;
using Esteira.Deploy;
using Esteira.Deploy.Guard;
using Esteira.Tracking;

namespace Esteira.Pipeline.Deployment;

/// <summary>
/// The guard's history over the tracking store's submission ledger: the one client-side record of what was sent where,
/// for a given file and a workspace's champion alike (the default store is SQLite under <c>.esteira/</c>, so no server is
/// needed). Ledger rows are keyed <c>target/competition</c> (<see cref="Key"/>).
/// </summary>
/// <remarks>
/// Earlier versions kept file deploys in a log of their own, <c>.esteira/deploy-log.jsonl</c>. Opening imports that log
/// into the ledger once and renames it to <c>deploy-log.jsonl.imported</c>; the ledger skips entries it already holds, so a
/// crash between the import and the rename cannot count a submission twice.
/// </remarks>
public sealed class LedgerHistory : ISubmissionHistory, IAsyncDisposable
{
    /// <summary>Where earlier versions kept their deploy log, relative to the workspace (or the current folder outside one).</summary>
    public static readonly string LegacyLog = Path.Combine(".esteira", "deploy-log.jsonl");

    // camelCase, as earlier versions wrote the log.
    private static readonly JsonSerializerOptions LegacyJson = new(JsonSerializerDefaults.Web);

    private LedgerHistory(ITrackingStore store) => Store = store;

    /// <summary>The tracking store whose ledger this is; closed with the history.</summary>
    public ITrackingStore Store { get; }

    /// <summary>The ledger's target key for a competition on a deploy target: <c>target/competition</c>.</summary>
    public static string Key(string target, string competition) => $"{target}/{competition}";

    /// <summary>Opens the tracking store and imports an old <see cref="LegacyLog"/> under <paramref name="root"/>, if there is one.</summary>
    /// <param name="trackingUri">The store's URI, resolved as every tracking command resolves it; null: SQLite at <c>.esteira/esteira.db</c>.</param>
    /// <param name="root">The workspace root, or outside a workspace the current folder.</param>
    /// <param name="time">The clock the ledger stamps new submissions with; null for the system clock.</param>
    /// <param name="report">Told in one line what an import did.</param>
    /// <param name="cancellationToken">Cancels the store's calls.</param>
    /// <exception cref="EsteiraException">The store cannot be opened, or the old log holds an entry the ledger refuses.</exception>
    public static async Task<LedgerHistory> OpenAsync(string? trackingUri, string root, TimeProvider? time, Action<string>? report,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(root);
        var store = await TrackingStores.OpenAsync(trackingUri, root, time, cancellationToken);
        try
        {
            if (await ImportLegacyLogAsync(store, Path.Combine(root, LegacyLog), cancellationToken) is { } line)
            {
                report?.Invoke(line);
            }

            return new LedgerHistory(store);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens the ledger a command run in <paramref name="folder"/> uses: the workspace's store (the folder with
    /// esteira.yaml, here or above), else the default store under <paramref name="folder"/>, as every tracking command resolves it.</summary>
    /// <param name="folder">The folder the command runs in.</param>
    /// <param name="trackingOption">A <c>--tracking</c> value, or null.</param>
    /// <param name="report">Told in one line what an import of an old deploy log did.</param>
    /// <param name="cancellationToken">Cancels the store's calls.</param>
    public static Task<LedgerHistory> OpenInAsync(string folder, string? trackingOption, Action<string>? report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var root = WorkspaceConfig.Find(folder);
        return OpenAsync(WorkspaceConfig.TrackingUri(root is null ? null : WorkspaceConfig.Load(root), trackingOption), root ?? folder, null, report, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>Submissions the target scored as an error are left out: they did not take a place on the board.</remarks>
    public async Task<IReadOnlyList<PriorSubmission>> FindByContentAsync(string target, string competition, string sha256, CancellationToken cancellationToken = default)
    {
        var all = await Store.ListSubmissionsAsync(new SubmissionQuery { Target = Key(target, competition), Limit = 10_000 }, cancellationToken);
        return all.Where(s => s.FileSha256 == sha256 && s.Status != SubmissionStatus.Error)
            .Select(s => new PriorSubmission(s.SubmittedAt, s.ExternalId, s.Message)).ToList();
    }

    /// <inheritdoc/>
    public Task<int> CountSinceAsync(string target, string competition, DateTimeOffset sinceUtc, CancellationToken cancellationToken = default) =>
        Store.CountSubmissionsSinceAsync(Key(target, competition), sinceUtc, cancellationToken);

    /// <summary>The newest ledger entry for <paramref name="runId"/> (or for the same bytes, <paramref name="sha256"/>, from any run)
    /// at <paramref name="target"/>/<paramref name="competition"/> that the target did not reject, or null.</summary>
    public async Task<Submission?> LastSentAsync(string target, string competition, long runId, string? sha256 = null, CancellationToken cancellationToken = default)
    {
        var all = await Store.ListSubmissionsAsync(new SubmissionQuery { Target = Key(target, competition), Limit = 10_000 }, cancellationToken);
        return all.FirstOrDefault(s => (s.RunId == runId || (sha256 is not null && s.FileSha256 == sha256)) && s.Status != SubmissionStatus.Error);
    }

    /// <summary>Records a deploy's outcome; the store masks any password in the message on the way in.</summary>
    /// <param name="target">The target's kind.</param>
    /// <param name="competition">The competition it went to.</param>
    /// <param name="result">What the guard saw and what the target said.</param>
    /// <param name="message">The submission's description.</param>
    /// <param name="runId">The run the file came from, when known (a champion deploy).</param>
    /// <param name="cvScore">That run's cross-validation score, for comparing with the public score later.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public Task RecordAsync(string target, string competition, DeployResult result, string message, long? runId = null, double? cvScore = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        var o = result.Outcome;
        return Store.AddSubmissionAsync(new NewSubmission
        {
            RunId = runId,
            FileSha256 = result.Facts.Sha256,
            Target = Key(target, competition),
            Status = o.State,
            CvScore = cvScore,
            PublicScore = Score(o.PublicScore),
            PrivateScore = Score(o.PrivateScore),
            ExternalId = o.Reference,
            Message = message,
        }, cancellationToken: cancellationToken);
    }

    /// <summary>Closes the tracking store.</summary>
    public ValueTask DisposeAsync() => Store.DisposeAsync();

    /// <summary>Imports the old log at <paramref name="path"/> and renames it; returns the line to tell the user, or null without a log.</summary>
    private static async Task<string?> ImportLegacyLogAsync(ITrackingStore store, string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var entries = ReadLegacyLog(await File.ReadAllLinesAsync(path, cancellationToken));
        int added;
        try
        {
            added = await store.ImportSubmissionsAsync(entries, cancellationToken);
        }
        catch (EsteiraException e) when (e.Code == ErrorCode.BadInput)
        {
            throw new EsteiraException(ErrorCode.BadInput,
                $"cannot import the old deploy log {path} into the submission ledger: {e.Message}; fix or delete that line, then deploy again", e);
        }

        var renamed = RenameImported(path);
        var skipped = entries.Count - added;
        return $"imported {added} submission{(added == 1 ? "" : "s")} from {path} into the submission ledger of {store.Location}"
            + (skipped > 0 ? $" ({skipped} already there)" : "")
            + (renamed is null ? "" : $"; the old log is now {Path.GetFileName(renamed)}");
    }

    /// <summary>Renames the imported log so it is not read again; null when another process renamed it first.</summary>
    private static string? RenameImported(string path)
    {
        // A name already taken (a log imported before, then written again by an older version) gets a number.
        var renamed = path + ".imported";
        for (var n = 2; File.Exists(renamed); n++)
        {
            renamed = $"{path}.imported.{n}";
        }

        try
        {
            File.Move(path, renamed);
            return renamed;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private static List<ImportedSubmission> ReadLegacyLog(IEnumerable<string> lines)
    {
        var entries = new List<ImportedSubmission>();
        foreach (var line in lines)
        {
            LegacyEntry? entry;
            try
            {
                entry = JsonSerializer.Deserialize<LegacyEntry>(line, LegacyJson);
            }
            catch (JsonException)
            {
                // A torn line from an interrupted append; the entries around it are intact.
                continue;
            }

            if (entry is null || string.IsNullOrEmpty(entry.Target) || string.IsNullOrEmpty(entry.Competition) || string.IsNullOrEmpty(entry.Sha256))
            {
                continue;
            }

            entries.Add(new ImportedSubmission(new NewSubmission
            {
                FileSha256 = entry.Sha256,
                Target = Key(entry.Target, entry.Competition),
                Status = entry.State,
                PublicScore = Score(entry.PublicScore),
                ExternalId = entry.Reference,
                Message = entry.Message,
            }, entry.At));
        }

        return entries;
    }

    private static double? Score(string? score) =>
        double.TryParse(score, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;

    // One line of the old log; the state by name ("Complete"), as it was always written.
    private sealed record LegacyEntry(string Target, string Competition, string Sha256, DateTimeOffset At, string? Reference, string? Message,
        [property: JsonConverter(typeof(JsonStringEnumConverter<SubmissionStatus>))] SubmissionStatus State, string? PublicScore);
}
