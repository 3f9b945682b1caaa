using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text.Json;

namespace Esteira.Pipeline.Cache;

/// <summary>The manifest of a cache entry.</summary>
/// <param name="Stage">The stage that wrote the entry.</param>
/// <param name="Key">The entry's key.</param>
/// <param name="Run">The run that wrote it.</param>
/// <param name="Created">When it was committed.</param>
/// <param name="Inputs">The inputs its key was computed from.</param>
/// <param name="Files">
/// Each output file (path relative to the entry, <c>/</c>-separated) with its size and SHA-256, recorded at commit. Null in
/// manifests written before files were recorded; such entries are used without verification, as before.
/// </param>
public sealed record CacheManifest(string Stage, string Key, int Run, DateTimeOffset Created, IReadOnlyDictionary<string, string> Inputs,
    IReadOnlyDictionary<string, CachedFile>? Files = null);

/// <summary>
/// An output file as its manifest records it: its size, its SHA-256 (its identity, compared by push and pull; null when
/// only the size was recorded) and its XXH128 (null in manifests written before it was recorded), with which every
/// process checks the file before reusing it: at full GEPIII scale the features entry is 11 GB, and SHA-256 over it
/// took a no-op rerun 10.7 s where XXH128 reads at memory speed.
/// </summary>
public sealed record CachedFile(long Size, string? Sha256, string? Xxh128 = null);

/// <summary>A committed cache entry: the stage that wrote it, the last run that wrote or reused it, its size on disk.</summary>
public sealed record CacheEntry(string Key, string Stage, int LastRun, long Bytes, DateTimeOffset Created);

/// <summary>
/// Content-addressed stage outputs under <c>.esteira/</c>: <c>cache/KEY/</c> holds a stage's output files and its
/// <c>manifest.json</c>. An entry is written in <c>tmp/</c> and renamed into place whole, so an interrupted run
/// (Ctrl-C, kill -9) never leaves a half-written entry; the last-inputs memo used for reasons lives in <c>state/</c>.
/// A forced rerun first renames the old entry out of <c>cache/</c> into <c>tmp/</c>, then renames the new one in, so a
/// kill between the two leaves the key absent, never half there.
/// </summary>
/// <remarks>
/// An entry is verified before it is reused (<see cref="Lookup"/>): every file its manifest lists must exist with the
/// recorded size, and the first time this process uses a file, with the recorded XXH128 (or SHA-256, for older
/// manifests), its files hashed on every core (a file whose size or modification time changed since is hashed again). An entry that fails is reported as incomplete or damaged, so the
/// stage runs again and <see cref="Commit"/> moves the bad entry out.
/// </remarks>
public sealed class StageCache : IPlanState
{
    /// <summary>The file in each entry that lists its files with their sizes and hashes.</summary>
    public const string ManifestFile = "manifest.json";
    private const string LastRunFile = "last-run";

    /// <summary>Files whose content this process has checked ("xxh128:" or "sha256:" + full path → size, modification time, hash).</summary>
    private static readonly ConcurrentDictionary<string, FileStamp> s_verified = new(StringComparer.Ordinal);

    private readonly TimeProvider _time;

    /// <summary>Opens (creating its folders) the cache under <paramref name="esteiraFolder"/>; <paramref name="time"/> stamps committed entries.</summary>
    public StageCache(string esteiraFolder, TimeProvider? time = null)
    {
        Root = esteiraFolder;
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(CacheFolder);
        Directory.CreateDirectory(TempFolder);
        Directory.CreateDirectory(StateFolder);
    }

    /// <summary>The workspace's .esteira folder the cache lives in.</summary>
    public string Root { get; }
    /// <summary>Committed entries, one folder per stage key.</summary>
    public string CacheFolder => Path.Combine(Root, "cache");
    /// <summary>Where stages write before their output is committed.</summary>
    public string TempFolder => Path.Combine(Root, "tmp");
    /// <summary>Small per-workspace state such as the run counter and each stage's last inputs.</summary>
    public string StateFolder => Path.Combine(Root, "state");

    /// <summary>The folder of a committed entry (which may not exist).</summary>
    public string EntryFolder(string key) => Path.Combine(CacheFolder, key);

    /// <summary>The run that produced the entry <paramref name="key"/>, or null when there is no usable (complete, undamaged) entry.</summary>
    public int? CachedRun(string key) => Lookup(key) is { State: CacheState.Valid } hit ? hit.Run : null;

    /// <summary>
    /// What the cache holds for <paramref name="key"/>: nothing, a usable entry, or an entry that is incomplete (no readable
    /// manifest, a listed file missing, no output at all) or damaged (a listed file's size or SHA-256 differs).
    /// </summary>
    public CacheLookup Lookup(string key)
    {
        var folder = EntryFolder(key);
        if (!Directory.Exists(folder))
        {
            return CacheLookup.Absent;
        }

        var manifestPath = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifestPath))
        {
            return new CacheLookup(CacheState.Incomplete, 0, $"{ManifestFile} is missing");
        }

        CacheManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<CacheManifest>(File.ReadAllText(manifestPath));
        }
        catch (JsonException)
        {
            manifest = null;
        }

        if (manifest is null)
        {
            return new CacheLookup(CacheState.Incomplete, 0, $"{ManifestFile} is unreadable");
        }

        if (manifest.Files is null)
        {
            // Written before files were recorded: nothing to verify, but a folder holding nothing besides its manifest is
            // what an interrupted replacement used to leave behind, and no stage produces nothing.
            return OutputFiles(folder).Any()
                ? new CacheLookup(CacheState.Valid, manifest.Run, "")
                : new CacheLookup(CacheState.Incomplete, 0, "it holds no output files");
        }

        var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        var files = manifest.Files.OrderBy(f => f.Key, StringComparer.Ordinal).ToList();
        foreach (var (name, expected) in files)
        {
            var info = new FileInfo(Path.GetFullPath(Path.Combine(folder, name)));
            if (!info.FullName.StartsWith(root, StringComparison.Ordinal))
            {
                return new CacheLookup(CacheState.Damaged, 0, $"{ManifestFile} names '{name}', outside the entry");
            }

            if (!info.Exists)
            {
                return new CacheLookup(CacheState.Incomplete, 0, $"{name} is missing");
            }

            if (info.Length != expected.Size)
            {
                return new CacheLookup(CacheState.Damaged, 0, $"{name} size mismatch ({info.Length} bytes, {expected.Size} recorded)");
            }
        }

        // the contents last: every core hashes, and the first mismatch in name order is the one reported
        var matches = new bool[files.Count];
        Parallel.For(0, files.Count, i => matches[i] = ContentMatches(new FileInfo(Path.GetFullPath(Path.Combine(folder, files[i].Key))), files[i].Value));
        var bad = Array.IndexOf(matches, false);
        return bad >= 0
            ? new CacheLookup(CacheState.Damaged, 0, $"{files[bad].Key} hash mismatch")
            : new CacheLookup(CacheState.Valid, manifest.Run, "");
    }

    /// <summary>The inputs recorded the last time <paramref name="stageId"/> ran, to explain what changed; null when none were recorded.</summary>
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

    /// <summary>
    /// Records each output file's size and SHA-256 in the manifest, moves the finished work folder into the cache under
    /// the stage's key and remembers its inputs. An entry already there (a forced rerun, or an incomplete or damaged entry)
    /// is first renamed out of <c>cache/</c> into <c>tmp/</c> and removed after the new one is in place.
    /// </summary>
    public string Commit(PlannedStage stage, string workFolder, int run)
    {
        var files = new Dictionary<string, CachedFile>(StringComparer.Ordinal);
        var hashed = new List<(string Name, string Sha256)>();
        foreach (var (name, path) in OutputFiles(workFolder))
        {
            var (sha, xxh) = HashesOf(path);
            files[name] = new CachedFile(new FileInfo(path).Length, sha, xxh);
            hashed.Add((name, xxh));
        }

        var manifest = new CacheManifest(stage.Id, stage.Key, run, _time.GetUtcNow(), stage.Inputs, files);
        File.WriteAllText(Path.Combine(workFolder, ManifestFile), JsonSerializer.Serialize(manifest));
        var target = EntryFolder(stage.Key);
        var replaced = Directory.Exists(target) ? Discard(stage.Key, stage.Id) : null;
        Directory.Move(workFolder, target);

        // This process wrote and hashed these files: no need to hash them again when a later stage reuses them.
        foreach (var (name, xxh) in hashed)
        {
            Remember(new FileInfo(Path.Combine(target, name)), xxh);
        }

        if (replaced is not null)
        {
            TryDelete(replaced); // if this fails or the process dies, the next run's CleanAbandonedWork removes it
        }

        RememberInputs(stage);
        return target;
    }

    /// <summary>
    /// Renames the entry <paramref name="key"/> out of <c>cache/</c> into a folder of <c>tmp/</c> named like a work folder
    /// (so that <see cref="CleanAbandonedWork"/> removes it once this process is gone) and returns that folder.
    /// </summary>
    public string Discard(string key, string stageId)
    {
        var doomed = Path.Combine(TempFolder, $"replaced_{Safe(stageId)}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.Move(EntryFolder(key), doomed);
        return doomed;
    }

    /// <summary>Records the inputs of a stage that was reused, so that later reasons compare against it.</summary>
    public void RememberInputs(PlannedStage stage)
    {
        var path = LastInputsPath(stage.Id);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(stage.Inputs));
    }

    /// <summary>Records that run <paramref name="run"/> reused the entry, so that pruning keeps what recent runs need.</summary>
    public void MarkUsed(string key, int run)
    {
        var path = Path.Combine(EntryFolder(key), LastRunFile);
        AtomicFile.WriteAllText(path, run.ToString(System.Globalization.CultureInfo.InvariantCulture));
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
        AtomicFile.WriteAllText(path, (last + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        return last + 1;
    }

    /// <summary>The files a stage wrote into an entry or work folder, by their <c>/</c>-separated relative names (the manifest and the reuse marks excluded).</summary>
    private static IEnumerable<(string Name, string Path)> OutputFiles(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(path => (Name: Path.GetRelativePath(folder, path).Replace(Path.DirectorySeparatorChar, '/'), Path: path))
            .Where(f => f.Name != ManifestFile && f.Name != LastRunFile && !f.Name.StartsWith(LastRunFile + AtomicFile.TempMarker, StringComparison.Ordinal))
            .OrderBy(f => f.Name, StringComparer.Ordinal);

    /// <summary>SHA-256 and XXH128 of a file, in one read.</summary>
    private static (string Sha256, string Xxh128) HashesOf(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var xxh = new XxHash128();
        var buffer = new byte[1 << 20];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            sha.AppendData(buffer, 0, read);
            xxh.Append(buffer.AsSpan(0, read));
        }

        return (Convert.ToHexStringLower(sha.GetHashAndReset()), Convert.ToHexStringLower(xxh.GetCurrentHash()));
    }

    /// <summary>
    /// True when the file's content hash is the one <paramref name="expected"/> records (XXH128 when it has one, else
    /// SHA-256; true when it has neither); hashed once per process unless its size or time changes.
    /// </summary>
    private static bool ContentMatches(FileInfo info, CachedFile expected)
    {
        var (recorded, fast) = expected.Xxh128 is { } x ? (x, true) : (expected.Sha256, false);
        if (recorded is null)
        {
            return true;
        }

        var key = (fast ? "xxh128:" : "sha256:") + info.FullName;
        if (s_verified.TryGetValue(key, out var seen) && seen.Size == info.Length && seen.ModifiedTicks == info.LastWriteTimeUtc.Ticks)
        {
            return string.Equals(seen.Hash, recorded, StringComparison.OrdinalIgnoreCase);
        }

        using var stream = new FileStream(info.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        string actual;
        if (fast)
        {
            var xxh = new XxHash128();
            xxh.Append(stream);
            actual = Convert.ToHexStringLower(xxh.GetCurrentHash());
        }
        else
        {
            actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        }

        s_verified[key] = new FileStamp(info.Length, info.LastWriteTimeUtc.Ticks, actual);
        return string.Equals(actual, recorded, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Remembers the XXH128 of a file this process wrote and hashed, so that reusing it later needs no hashing.</summary>
    private static void Remember(FileInfo info, string xxh128) =>
        s_verified["xxh128:" + info.FullName] = new FileStamp(info.Length, info.LastWriteTimeUtc.Ticks, xxh128);

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private string LastInputsPath(string stageId) => Path.Combine(StateFolder, Safe(stageId) + ".inputs.json");

    private static string Safe(string id) => id.Replace(':', '_').Replace('/', '_');

    private sealed record FileStamp(long Size, long ModifiedTicks, string Hash);

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
