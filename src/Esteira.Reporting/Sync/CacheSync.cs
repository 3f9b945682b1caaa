using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Esteira.Pipeline;
using Esteira.Pipeline.Cache;

namespace Esteira.Reporting.Sync;

/// <summary>What happened to one cache entry during a push or a pull.</summary>
public enum SyncAction
{
    /// <summary>Uploaded to the store (push).</summary>
    Pushed,

    /// <summary>Downloaded into the local cache (pull).</summary>
    Pulled,

    /// <summary>Push: the store already holds the complete entry. Pull: the local cache already holds it.</summary>
    AlreadyThere,

    /// <summary>Pull: neither the local cache nor the store holds it; <c>esteira run</c> will compute it.</summary>
    NotInStore,
}

/// <summary>One cache entry of a push or pull.</summary>
/// <param name="Stage">The stage that produced it, e.g. <c>train:baseline</c>.</param>
/// <param name="Key">Its cache key (64 hex digits).</param>
/// <param name="Action">What was done.</param>
/// <param name="Files">Files moved (manifest included); 0 when nothing moved.</param>
/// <param name="Bytes">Bytes moved.</param>
/// <param name="Run">The run number that produced the entry, when known.</param>
public sealed record SyncEntry(string Stage, string Key, SyncAction Action, int Files, long Bytes, int? Run);

/// <summary>The outcome of a push or pull.</summary>
public sealed record SyncResult(string Store, IReadOnlyList<SyncEntry> Entries, double Seconds)
{
    public int Count(SyncAction action) => Entries.Count(e => e.Action == action);

    public long BytesMoved => Entries.Sum(e => e.Bytes);
}

/// <summary>
/// Shares pipeline cache entries through an <see cref="IArtifactStore"/>, so that one machine reuses what another
/// computed. An entry <c>.esteira/cache/KEY/…</c> lives in the store as <c>cache/KEY/…</c>; its
/// <c>manifest.json</c> goes up last and so marks a complete remote entry: an interrupted push leaves an entry
/// that no pull trusts, and the next push completes it.
/// </summary>
/// <remarks>
/// A pull downloads into <c>.esteira/tmp/</c> and renames the finished folder into <c>.esteira/cache/KEY</c>, so an
/// interrupted pull leaves nothing half-written in the cache (the next run's clean-up removes the leftovers). Keys
/// are content hashes of the inputs, so an entry never changes once written and a push never overwrites a complete one.
/// </remarks>
public static partial class CacheSync
{
    /// <summary>Where cache entries live in the store.</summary>
    public const string RemoteRoot = "cache";

    private const int Parallelism = 4;

    /// <summary>The store key of a file of an entry.</summary>
    public static string RemoteKey(string key, string relativePath) => $"{RemoteRoot}/{key}/{relativePath}";

    /// <summary>True for a well-formed cache key (SHA-256, lowercase hex).</summary>
    public static bool IsKey(string key) => KeyPattern().IsMatch(key);

    /// <summary>Uploads every complete local entry that the store does not hold yet, manifest last.</summary>
    /// <param name="esteiraFolder">The workspace's <c>.esteira</c> folder.</param>
    /// <param name="store">The shared store.</param>
    /// <param name="progress">Told about each entry as it is done.</param>
    /// <param name="cancellationToken">Stops between files.</param>
    public static async Task<SyncResult> PushAsync(string esteiraFolder, IArtifactStore store, IProgress<SyncEntry>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var clock = Stopwatch.StartNew();
        var cache = new StageCache(esteiraFolder);
        var entries = new List<SyncEntry>();
        foreach (var (key, manifest) in LocalEntries(cache))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var folder = cache.EntryFolder(key);
            if (await store.ExistsAsync(RemoteKey(key, StageCache.ManifestFile), cancellationToken))
            {
                Report(new SyncEntry(manifest.Stage, key, SyncAction.AlreadyThere, 0, 0, manifest.Run));
                continue;
            }

            var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
                .Where(f => f != StageCache.ManifestFile)
                .Order(StringComparer.Ordinal)
                .ToList();
            long bytes = 0;
            await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (relative, ct) =>
            {
                var path = Path.Combine(folder, relative);
                await using var stream = File.OpenRead(path);
                await store.PutAsync(RemoteKey(key, relative), stream, ct);
                Interlocked.Add(ref bytes, stream.Length);
            });

            // Last: its presence is what tells a pull the entry is complete.
            var manifestPath = Path.Combine(folder, StageCache.ManifestFile);
            await using (var stream = File.OpenRead(manifestPath))
            {
                await store.PutAsync(RemoteKey(key, StageCache.ManifestFile), stream, cancellationToken);
                bytes += stream.Length;
            }

            Report(new SyncEntry(manifest.Stage, key, SyncAction.Pushed, files.Count + 1, bytes, manifest.Run));
        }

        return new SyncResult(store.Location, entries, clock.Elapsed.TotalSeconds);

        void Report(SyncEntry entry)
        {
            entries.Add(entry);
            progress?.Report(entry);
        }
    }

    /// <summary>
    /// Downloads, for each stage of <paramref name="plan"/> whose key is not in the local cache, the complete entry
    /// from the store when it holds one. The next <c>esteira run</c> then reuses it ("skipped, unchanged since run N").
    /// </summary>
    /// <param name="esteiraFolder">The workspace's <c>.esteira</c> folder.</param>
    /// <param name="plan">The plan whose keys to fetch (see <see cref="WorkspaceRunner.Plan"/>).</param>
    /// <param name="store">The shared store.</param>
    /// <param name="progress">Told about each entry as it is done.</param>
    /// <param name="cancellationToken">Stops between files; the partial download is removed.</param>
    /// <exception cref="EsteiraException">A run holds the workspace (<see cref="ErrorCode.Conflict"/>), or a remote manifest
    /// does not describe its key (<see cref="ErrorCode.BadInput"/>).</exception>
    public static async Task<SyncResult> PullAsync(string esteiraFolder, IReadOnlyList<PlannedStage> plan, IArtifactStore store,
        IProgress<SyncEntry>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(store);
        var clock = Stopwatch.StartNew();

        // Renaming into the cache while a run plans against it is safe, but a run also cleans tmp/: take its lock.
        using var workspaceLock = WorkspaceLock.Acquire(esteiraFolder);
        var cache = new StageCache(esteiraFolder);
        var entries = new List<SyncEntry>();
        foreach (var stage in plan)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (cache.CachedRun(stage.Key) is { } localRun)
            {
                Report(new SyncEntry(stage.Id, stage.Key, SyncAction.AlreadyThere, 0, 0, localRun));
                continue;
            }

            var manifestKey = RemoteKey(stage.Key, StageCache.ManifestFile);
            if (!await store.ExistsAsync(manifestKey, cancellationToken))
            {
                Report(new SyncEntry(stage.Id, stage.Key, SyncAction.NotInStore, 0, 0, null));
                continue;
            }

            Report(await DownloadAsync(cache, stage, store, cancellationToken));
        }

        return new SyncResult(store.Location, entries, clock.Elapsed.TotalSeconds);

        void Report(SyncEntry entry)
        {
            entries.Add(entry);
            progress?.Report(entry);
        }
    }

    /// <summary>Reads the manifest of a remote entry, or null when the store holds no complete entry for <paramref name="key"/>.</summary>
    public static async Task<CacheManifest?> ReadRemoteManifestAsync(IArtifactStore store, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        await using var stream = await store.OpenReadAsync(RemoteKey(key, StageCache.ManifestFile), cancellationToken);
        if (stream is null)
        {
            return null;
        }

        try
        {
            return await JsonSerializer.DeserializeAsync<CacheManifest>(stream, cancellationToken: cancellationToken);
        }
        catch (JsonException e)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{store.Location}: {RemoteKey(key, StageCache.ManifestFile)} is not a cache manifest ({e.Message}); delete that entry from the store and push again");
        }
    }

    private static async Task<SyncEntry> DownloadAsync(StageCache cache, PlannedStage stage, IArtifactStore store, CancellationToken cancellationToken)
    {
        var prefix = $"{RemoteRoot}/{stage.Key}/";
        var keys = new List<string>();
        await foreach (var key in store.ListAsync(prefix, cancellationToken))
        {
            keys.Add(key);
        }

        // Named like a run's work folder (…-PID-GUID), so that the next run removes it if this process dies.
        var work = Path.Combine(cache.TempFolder, $"pull_{stage.Id.Replace(':', '_')}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        var root = Path.GetFullPath(work) + Path.DirectorySeparatorChar;
        try
        {
            long bytes = 0;
            await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (key, ct) =>
            {
                var relative = key[prefix.Length..];
                var target = Path.GetFullPath(Path.Combine(work, relative));
                if (!target.StartsWith(root, StringComparison.Ordinal))
                {
                    throw new EsteiraException(ErrorCode.BadInput, $"{store.Location}: '{key}' points outside its cache entry; delete that entry from the store and push again");
                }

                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await using var source = await store.OpenReadAsync(key, ct)
                    ?? throw new EsteiraException(ErrorCode.ExternalService, $"{store.Location}: '{key}' was listed but could not be read; pull again");
                await using var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                await source.CopyToAsync(file, ct);
                Interlocked.Add(ref bytes, file.Length);
            });

            var manifest = ReadManifest(Path.Combine(work, StageCache.ManifestFile));
            if (manifest?.Key != stage.Key)
            {
                throw new EsteiraException(ErrorCode.BadInput,
                    $"{store.Location}: {RemoteKey(stage.Key, StageCache.ManifestFile)} describes key '{manifest?.Key}', not '{stage.Key}'; delete that entry from the store and push again");
            }

            var target = cache.EntryFolder(stage.Key);
            try
            {
                Directory.Move(work, target);
            }
            catch (IOException) when (Directory.Exists(target))
            {
                // Another process committed the same key meanwhile; entries are immutable, so theirs is as good.
                return new SyncEntry(stage.Id, stage.Key, SyncAction.AlreadyThere, 0, 0, cache.CachedRun(stage.Key));
            }

            return new SyncEntry(stage.Id, stage.Key, SyncAction.Pulled, keys.Count, bytes, manifest.Run);
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    /// <summary>The complete entries of the local cache (those with a readable manifest), oldest first.</summary>
    internal static IEnumerable<(string Key, CacheManifest Manifest)> LocalEntries(StageCache cache) =>
        Directory.GetDirectories(cache.CacheFolder)
            .Select(d => (Key: Path.GetFileName(d), Manifest: ReadManifest(Path.Combine(d, StageCache.ManifestFile))))
            .Where(e => IsKey(e.Key) && e.Manifest is not null)
            .Select(e => (e.Key, e.Manifest!))
            .OrderBy(e => e.Item2.Created)
            .ThenBy(e => e.Key, StringComparer.Ordinal);

    private static CacheManifest? ReadManifest(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<CacheManifest>(File.ReadAllText(path));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex KeyPattern();
}
