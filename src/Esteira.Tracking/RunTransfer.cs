using Microsoft.Data.Sqlite;

namespace Esteira.Tracking;

/// <summary>What one copy did.</summary>
/// <param name="Copied">Runs written to the target as new runs.</param>
/// <param name="Skipped">Runs the target already had (same <see cref="Run.Uid"/>), left as they were.</param>
public sealed record TransferResult(int Copied, int Skipped)
{
    /// <summary>Runs read from the source.</summary>
    public int Total => Copied + Skipped;
}

/// <summary>
/// Copies runs between tracking stores, so that the runs several CI jobs recorded in their own SQLite files can be
/// merged into one store (never by overwriting one file with another).
/// </summary>
/// <remarks>
/// <para>Every run of the source is written to the target as a new run, with a new id and everything else as
/// recorded: status, start, end and heartbeat times, owner, error, lineage, params, tags, metrics (summary, per fold,
/// per step), stage durations, artifacts and the gate verdict. Run ids inside a run (a blend's parts, the champion a
/// verdict compared with) are rewritten to the target's ids.</para>
/// <para>Copying is idempotent, keyed by <see cref="Run.Uid"/>, which a run keeps in every store it is copied to: a
/// run the target already has is skipped, so importing the same file twice, or the same run by two paths
/// (A → B → C and A → C), never makes a duplicate. A skipped run is not updated: a run copied while it was still
/// running stays running in the target.</para>
/// <para>The model registry (versions, aliases such as the champion) and the submission ledger are not copied: the
/// target keeps its own.</para>
/// </remarks>
public static class RunTransfer
{
    /// <summary>The most runs one copy reads from a source.</summary>
    public const int MaxRuns = 100_000;

    private const int RunsPerRead = 200;

    /// <summary>Copies every run of <paramref name="source"/> that <paramref name="target"/> does not have yet.</summary>
    /// <param name="source">The store to read.</param>
    /// <param name="target">The store to write; each run is one transaction, so an interrupted copy can simply be run again.</param>
    /// <param name="cancellationToken">Cancels between runs.</param>
    /// <returns>How many runs were copied and how many the target already had.</returns>
    /// <exception cref="EsteiraException"><see cref="ErrorCode.LimitExceeded"/> when the source has more than <see cref="MaxRuns"/> runs.</exception>
    public static async Task<TransferResult> CopyRunsAsync(IRunStore source, IRunStore target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var listed = await source.ListRunsAsync(new RunQuery { Limit = MaxRuns }, cancellationToken);
        if (listed.Count >= MaxRuns)
        {
            throw new EsteiraException(ErrorCode.LimitExceeded, $"the source store has {MaxRuns} runs or more; copy at most {MaxRuns - 1} runs at a time");
        }

        var sourceIds = listed.Select(r => r.Id).Order().ToList();
        var known = sourceIds.ToHashSet();
        var targetIds = new Dictionary<long, long>();
        var deferred = new List<Run>();
        int copied = 0, skipped = 0;

        async Task CopyAsync(Run run)
        {
            var result = await target.ImportRunAsync(Remap(run, targetIds), cancellationToken);
            targetIds[run.Id] = result.RunId;
            if (result.Created)
            {
                copied++;
                if (run.Gate is { ChampionRunId: { } champion } gate && champion == run.Id)
                {
                    // A champion gated again names itself, and its new id is known only now.
                    await target.RecordGateVerdictAsync(result.RunId, gate with { ChampionRunId = result.RunId }, cancellationToken);
                }
            }
            else
            {
                skipped++;
            }
        }

        // Oldest first, so the runs a run names (blend parts, the champion) are usually copied before it. A run naming
        // a later run waits until that one is copied; only a cycle (possible through manual promotions) is copied
        // with the ids it could not map left as they were.
        foreach (var chunk in sourceIds.Chunk(RunsPerRead))
        {
            foreach (var run in await source.GetRunsAsync(chunk, cancellationToken))
            {
                if (References(run).Any(id => id != run.Id && known.Contains(id) && !targetIds.ContainsKey(id)))
                {
                    deferred.Add(run);
                }
                else
                {
                    await CopyAsync(run);
                }
            }
        }

        while (deferred.Count > 0)
        {
            var ready = deferred.Where(r => References(r).All(id => !known.Contains(id) || targetIds.ContainsKey(id) || id == r.Id)).ToList();
            var batch = ready.Count > 0 ? ready : [deferred[0]];
            foreach (var run in batch)
            {
                deferred.Remove(run);
                await CopyAsync(run);
            }
        }

        return new TransferResult(copied, skipped);
    }

    /// <summary>Writes every run of <paramref name="source"/> to a new SQLite file at <paramref name="path"/>, replacing
    /// any file there only once the copy is complete (it is built beside it and then renamed).</summary>
    /// <remarks>The file is left in rollback-journal mode, one self-contained file ready to upload as a CI artifact;
    /// opening it as a store switches it back to WAL.</remarks>
    /// <param name="source">The store to read.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="cancellationToken">Cancels the export; nothing is left behind.</param>
    /// <exception cref="EsteiraException"><see cref="ErrorCode.BadInput"/> when <paramref name="path"/> is the source's own file or a folder.</exception>
    public static async Task<TransferResult> ExportToSqliteAsync(IRunStore source, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (source is SqliteTrackingStore sqlite && string.Equals(sqlite.DatabasePath, full, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{full} is the tracking store being exported; give --out another file, e.g. out/runs.db");
        }

        if (Directory.Exists(full))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{full} is a folder; give --out a file name, e.g. {Path.Combine(path, "runs.db")}");
        }

        var folder = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(folder);
            TransferResult result;
            await using (var target = await SqliteTrackingStore.OpenAsync(temp, cancellationToken: cancellationToken))
            {
                result = await CopyRunsAsync(source, target, cancellationToken);
            }

            // Fold the WAL into the file so that the one file holds everything.
            await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temp, Pooling = false }.ToString()))
            {
                await connection.OpenAsync(cancellationToken);
                await using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA journal_mode = DELETE";
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            // A WAL left by an earlier database at this path must not be replayed into the new one.
            DeleteSidecars(full);
            File.Move(temp, full, overwrite: true);
            return result;
        }
        catch (SqliteException e)
        {
            throw new EsteiraException(ErrorCode.ExternalService, $"cannot write {full}: {e.Message.ReplaceLineEndings(" ")}; check that the folder is writable", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"cannot write {full}: {e.Message}; check that the folder is writable", e);
        }
        finally
        {
            DeleteQuietly(temp);
        }
    }

    private static IEnumerable<long> References(Run run) =>
        run.Lineage.BlendOf.Select(p => p.RunId).Concat(run.Gate?.ChampionRunId is { } champion ? [champion] : []);

    private static Run Remap(Run run, Dictionary<long, long> targetIds)
    {
        long Map(long id) => targetIds.GetValueOrDefault(id, id);
        return run with
        {
            Lineage = run.Lineage with { BlendOf = run.Lineage.BlendOf.Select(p => p with { RunId = Map(p.RunId) }).ToList() },
            Gate = run.Gate is { ChampionRunId: { } champion } gate ? gate with { ChampionRunId = Map(champion) } : run.Gate,
        };
    }

    private static void DeleteQuietly(string databasePath)
    {
        try
        {
            DeleteSidecars(databasePath);
            File.Delete(databasePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the export already failed or succeeded; a stray temporary file is harmless.
        }
    }

    private static void DeleteSidecars(string databasePath)
    {
        File.Delete(databasePath + "-wal");
        File.Delete(databasePath + "-shm");
        File.Delete(databasePath + "-journal");
    }
}
