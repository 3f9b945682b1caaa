using System.Text.Json;

namespace Esteira.Pipeline.Cache;

/// <summary>The manifest of a cache entry.</summary>
public sealed record CacheManifest(string Stage, string Key, int Run, DateTimeOffset Created, IReadOnlyDictionary<string, string> Inputs);

/// <summary>A committed cache entry: the stage that wrote it, the last run that wrote or reused it, its size on disk.</summary>
public sealed record CacheEntry(string Key, string Stage, int LastRun, long Bytes, DateTimeOffset Created);

/// <summary>
/// Content-addressed stage outputs under <c>.esteira/</c>: <c>cache/KEY/</c> holds a stage's output files and its
/// <c>manifest.json</c>. An entry is written in <c>tmp/</c> and renamed into place whole, so an interrupted run
/// (Ctrl-C, kill -9) never leaves a half-written entry; the last-inputs memo used for reasons lives in <c>state/</c>.
/// </summary>
public sealed class StageCache : IPlanState
{
    public const string ManifestFile = "manifest.json";
    private const string LastRunFile = "last-run";

    public StageCache(string esteiraFolder)
    {
        Root = esteiraFolder;
        Directory.CreateDirectory(CacheFolder);
        Directory.CreateDirectory(TempFolder);
        Directory.CreateDirectory(StateFolder);
    }

    public string Root { get; }
    public string CacheFolder => Path.Combine(Root, "cache");
    public string TempFolder => Path.Combine(Root, "tmp");
    public string StateFolder => Path.Combine(Root, "state");

    /// <summary>The folder of a committed entry (which may not exist).</summary>
    public string EntryFolder(string key) => Path.Combine(CacheFolder, key);

    public int? CachedRun(string key)
    {
        var manifest = Path.Combine(EntryFolder(key), ManifestFile);
        if (!File.Exists(manifest))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<CacheManifest>(File.ReadAllText(manifest))?.Run;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public IReadOnlyDictionary<string, string>? LastInputs(string stageId)
    {
        var path = LastInputsPath(stageId);
        return File.Exists(path) ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)) : null;
    }

    /// <summary>A fresh folder in which a stage writes its outputs before <see cref="Commit"/>.</summary>
    public string NewWorkFolder(string stageId)
    {
        var folder = Path.Combine(TempFolder, $"{Safe(stageId)}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>Moves a finished work folder into the cache under the stage's key and remembers its inputs.</summary>
    public string Commit(PlannedStage stage, string workFolder, int run)
    {
        var manifest = new CacheManifest(stage.Id, stage.Key, run, DateTimeOffset.UtcNow, stage.Inputs);
        File.WriteAllText(Path.Combine(workFolder, ManifestFile), JsonSerializer.Serialize(manifest));
        var target = EntryFolder(stage.Key);
        if (Directory.Exists(target))
        {
            Directory.Delete(target, recursive: true); // a forced rerun replaces the entry
        }

        Directory.Move(workFolder, target);
        RememberInputs(stage);
        return target;
    }

    /// <summary>Records the inputs of a stage that was reused, so that later reasons compare against it.</summary>
    public void RememberInputs(PlannedStage stage)
    {
        var path = LastInputsPath(stage.Id);
        var temp = path + $".tmp-{Environment.ProcessId}";
        File.WriteAllText(temp, JsonSerializer.Serialize(stage.Inputs));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Records that run <paramref name="run"/> reused the entry, so that pruning keeps what recent runs need.</summary>
    public void MarkUsed(string key, int run)
    {
        var path = Path.Combine(EntryFolder(key), LastRunFile);
        var temp = path + $".tmp-{Environment.ProcessId}";
        File.WriteAllText(temp, run.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The number of the last run started in this workspace (0 before the first).</summary>
    public int LastRunNumber()
    {
        var path = Path.Combine(StateFolder, "run-counter");
        return File.Exists(path) && int.TryParse(File.ReadAllText(path), out var n) ? n : 0;
    }

    /// <summary>The committed entries, newest use first. A folder without a readable manifest is listed as stage "?".</summary>
    public IReadOnlyList<CacheEntry> Entries() =>
        Directory.GetDirectories(CacheFolder).Select(ReadEntry).OrderByDescending(e => e.LastRun).ThenBy(e => e.Stage, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Removes the entries no run among the last <paramref name="keepRuns"/> wrote or reused, and returns them (without
    /// removing anything when <paramref name="dryRun"/>). Each entry is first renamed out of <c>cache/</c>, so an
    /// interrupted prune never leaves a half-deleted entry that a later run would take for a valid one. The caller
    /// holds the workspace lock.
    /// </summary>
    public IReadOnlyList<CacheEntry> Prune(int keepRuns, bool dryRun)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepRuns);
        var oldestKept = LastRunNumber() - keepRuns + 1;
        var removed = Entries().Where(e => e.LastRun < oldestKept).ToList();
        if (!dryRun)
        {
            foreach (var entry in removed)
            {
                var doomed = Path.Combine(TempFolder, $"prune-{Environment.ProcessId}-{Guid.NewGuid():N}");
                Directory.Move(EntryFolder(entry.Key), doomed);
                Directory.Delete(doomed, recursive: true);
            }
        }

        return removed;
    }

    private static CacheEntry ReadEntry(string folder)
    {
        var bytes = new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        CacheManifest? manifest = null;
        try
        {
            manifest = JsonSerializer.Deserialize<CacheManifest>(File.ReadAllText(Path.Combine(folder, ManifestFile)));
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
        }

        var lastRunPath = Path.Combine(folder, LastRunFile);
        var reused = File.Exists(lastRunPath) && int.TryParse(File.ReadAllText(lastRunPath), out var r) ? r : 0;
        var created = manifest?.Created ?? new DateTimeOffset(Directory.GetCreationTimeUtc(folder), TimeSpan.Zero);
        return new CacheEntry(Path.GetFileName(folder), manifest?.Stage ?? "?", Math.Max(manifest?.Run ?? 0, reused), bytes, created);
    }

    /// <summary>Removes work folders left by runs that were killed (only those of processes no longer alive).</summary>
    public int CleanAbandonedWork()
    {
        var removed = 0;
        foreach (var dir in Directory.GetDirectories(TempFolder))
        {
            var parts = Path.GetFileName(dir).Split('-');
            if (parts.Length >= 3 && int.TryParse(parts[^2], out var pid) && !IsAlive(pid))
            {
                Directory.Delete(dir, recursive: true);
                removed++;
            }
        }

        return removed;
    }

    /// <summary>The next run number of this workspace.</summary>
    public int NextRunNumber()
    {
        var path = Path.Combine(StateFolder, "run-counter");
        var last = File.Exists(path) && int.TryParse(File.ReadAllText(path), out var n) ? n : 0;
        var temp = path + $".tmp-{Environment.ProcessId}";
        File.WriteAllText(temp, (last + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.Move(temp, path, overwrite: true);
        return last + 1;
    }

    private string LastInputsPath(string stageId) => Path.Combine(StateFolder, Safe(stageId) + ".inputs.json");

    private static string Safe(string id) => id.Replace(':', '_').Replace('/', '_');

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
