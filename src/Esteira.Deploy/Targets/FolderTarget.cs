using System.Globalization;

namespace Esteira.Deploy.Targets;

/// <summary>
/// Copies the checked file into a folder (a shared drive, a hand-off to another team), named
/// <c>&lt;UTC time&gt;-&lt;sha256 prefix&gt;-&lt;file name&gt;</c> so that files never overwrite each other. Nothing is scored.
/// </summary>
public sealed class FolderTarget(string destination, string competition, TimeProvider? time = null) : ISubmissionTarget
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Always <c>folder</c>.</summary>
    public string Kind => "folder";

    /// <summary>The competition name the ledger records (the folder target does not check it).</summary>
    public string Competition => competition;

    /// <summary>The folder files are copied into; created on the first submission.</summary>
    public string Destination => destination;

    /// <summary>Always <see cref="SubmissionBudget.Unknown"/>: a folder has no daily limit.</summary>
    public Task<SubmissionBudget> GetBudgetAsync(CancellationToken cancellationToken = default) => Task.FromResult(SubmissionBudget.Unknown);

    /// <summary>Copies the file in under a new, unique name (never overwriting) and writes the message beside it as <c>.txt</c>; the outcome is complete and unscored.</summary>
    public async Task<SubmissionOutcome> SubmitAsync(string path, string message, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(destination);
        var now = _time.GetUtcNow().UtcDateTime;
        var sha = await Deployer.Sha256Async(path, cancellationToken);
        var name = $"{now:yyyyMMdd'T'HHmmss'Z'}-{sha[..12]}-{Path.GetFileName(path)}";
        var target = Path.Combine(destination, name);
        progress?.Report($"copying to {target}");
        await AtomicFile.WriteAsync(target, async (output, ct) =>
        {
            await using var input = File.OpenRead(path);
            await input.CopyToAsync(output, ct);
        }, overwrite: false, cancellationToken);

        if (!string.IsNullOrEmpty(message))
        {
            await File.WriteAllTextAsync(target + ".txt", message + "\n", cancellationToken);
        }

        return new SubmissionOutcome
        {
            Reference = name,
            FileName = Path.GetFileName(path),
            Date = now,
            Description = message,
            State = SubmissionStatus.Complete,
            Location = target,
        };
    }

    /// <summary>The files in the folder, newest first (message files and unfinished copies left out).</summary>
    public Task<IReadOnlyList<SubmissionOutcome>> ListAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<SubmissionOutcome> result = !Directory.Exists(destination)
            ? []
            : Directory.EnumerateFiles(destination)
                .Where(f => !f.EndsWith(".txt", StringComparison.Ordinal) && !Path.GetFileName(f).Contains(AtomicFile.TempMarker, StringComparison.Ordinal))
                .Select(f => new FileInfo(f))
                .OrderByDescending(f => f.Name, StringComparer.Ordinal)
                .Select(f => new SubmissionOutcome
                {
                    Reference = f.Name,
                    FileName = f.Name.Length > 30 ? f.Name[30..] : f.Name,
                    Date = DateTime.TryParseExact(f.Name.Split('-')[0], "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
                        DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d) ? d : f.LastWriteTimeUtc,
                    Description = File.Exists(f.FullName + ".txt") ? File.ReadAllText(f.FullName + ".txt").Trim() : null,
                    State = SubmissionStatus.Complete,
                    Location = f.FullName,
                })
                .ToList();
        return Task.FromResult(result);
    }
}
