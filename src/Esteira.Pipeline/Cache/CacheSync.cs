using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Esteira.Pipeline.Cache;

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

    /// <summary>
    /// Push: the store's entry was damaged (a file missing, of another size or hash than the manifest says) and the
    /// damaged files were uploaded again; <see cref="SyncEntry.Problem"/> names them.
    /// </summary>
    Repaired,

    /// <summary>
    /// Pull: the store's entry is damaged and was not taken; <see cref="SyncEntry.Problem"/> names the file.
    /// <c>esteira run</c> will compute it, and <c>esteira push</c> from a machine that has it repairs the store.
    /// </summary>
    Damaged,
}

/// <summary>One cache entry of a push or pull.</summary>
/// <param name="Stage">The stage that produced it, e.g. <c>train:baseline</c>.</param>
/// <param name="Key">Its cache key (64 hex digits).</param>
/// <param name="Action">What was done.</param>
/// <param name="Files">Files moved (manifest included); 0 when nothing moved.</param>
/// <param name="Bytes">Bytes moved.</param>
/// <param name="Run">The run number that produced the entry, when known.</param>
/// <param name="Problem">For <see cref="SyncAction.Repaired"/> and <see cref="SyncAction.Damaged"/>: which file of the store was damaged and how.</param>
/// <param name="Note">Why a pull looked for this entry when the plan does not explain it, e.g. the tracked run that names a blend.</param>
public sealed record SyncEntry(string Stage, string Key, SyncAction Action, int Files, long Bytes, int? Run, string? Problem = null, string? Note = null);

/// <summary>The outcome of a push or pull.</summary>
public sealed record SyncResult(string Store, IReadOnlyList<SyncEntry> Entries, double Seconds)
{
    /// <summary>How many entries ended with <paramref name="action"/>.</summary>
    public int Count(SyncAction action) => Entries.Count(e => e.Action == action);

    /// <summary>Total bytes moved over all entries.</summary>
    public long BytesMoved => Entries.Sum(e => e.Bytes);

    /// <summary>What the push or pull could not do but did not stop for, one line each (e.g. the tracking store was unreachable).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
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
            var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
                .Where(f => f != StageCache.ManifestFile)
                .Order(StringComparer.Ordinal)
                .ToList();
            string? problem = null;
            if (await store.ExistsAsync(RemoteKey(key, StageCache.ManifestFile), cancellationToken))
            {
                // A complete remote entry: check it against this cache's manifest, file by file, and upload what is damaged.
                var damaged = await DamagedRemoteFilesAsync(store, key, folder, files, manifest, cancellationToken);
                if (damaged.Count == 0)
                {
                    Report(new SyncEntry(manifest.Stage, key, SyncAction.AlreadyThere, 0, 0, manifest.Run));
                    continue;
                }

                problem = string.Join("; ", damaged.Select(d => $"{RemoteKey(key, d.File)} {d.Problem}"));
                files = damaged.Select(d => d.File).Where(f => f != StageCache.ManifestFile).ToList();

                // Incomplete again while it is repaired, so no pull takes it half way.
                await store.DeleteAsync(RemoteKey(key, StageCache.ManifestFile), cancellationToken);
            }

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

            Report(new SyncEntry(manifest.Stage, key, problem is null ? SyncAction.Pushed : SyncAction.Repaired, files.Count + 1, bytes, manifest.Run, problem));
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
                try
                {
                    await using var source = await store.OpenReadAsync(key, ct)
                        ?? throw new EsteiraException(ErrorCode.ExternalService, $"{store.Location}: '{key}' was listed but could not be read; pull again");
                    await using var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                    await source.CopyToAsync(file, ct);
                    Interlocked.Add(ref bytes, file.Length);
                }
                catch (Exception e) when (e is not (EsteiraException or OperationCanceledException or OutOfMemoryException))
                {
                    // The store's client (an SDK) failed on this object: say which, in one line, instead of its exception.
                    throw new EsteiraException(ErrorCode.ExternalService,
                        $"{store.Location}: reading {key} failed ({e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}); pull again, and if it fails again the stored object is damaged: " +
                        "'esteira push' from a machine that has this entry repairs it", e);
                }
            });

            var manifest = ReadManifest(Path.Combine(work, StageCache.ManifestFile));
            if (manifest?.Key != stage.Key)
            {
                throw new EsteiraException(ErrorCode.BadInput,
                    $"{store.Location}: {RemoteKey(stage.Key, StageCache.ManifestFile)} describes key '{manifest?.Key}', not '{stage.Key}'; delete that entry from the store and push again");
            }

            // Every file the manifest lists must have come down whole: a damaged one is named, and the entry is not taken.
            foreach (var (name, expected) in manifest.Files ?? new Dictionary<string, CachedFile>())
            {
                var path = Path.Combine(work, name);
                var problem = !File.Exists(path) ? "is missing"
                    : new FileInfo(path).Length != expected.Size ? $"has {new FileInfo(path).Length:N0} bytes, its manifest says {expected.Size:N0}"
                    : expected.Sha256 is { } sha && !string.Equals(await Sha256Async(File.OpenRead(path), cancellationToken), sha, StringComparison.OrdinalIgnoreCase)
                        ? "is damaged: its SHA-256 differs from its manifest's"
                        : null;
                if (problem is not null)
                {
                    return new SyncEntry(stage.Id, stage.Key, SyncAction.Damaged, 0, 0, manifest.Run, $"{RemoteKey(stage.Key, name)} {problem}");
                }
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

    /// <summary>
    /// The files of a complete remote entry that do not match this cache's entry: the remote manifest itself when it
    /// differs, and each file that is missing or whose size or SHA-256 is not the local manifest's (read and hashed, not kept).
    /// </summary>
    private static async Task<List<(string File, string Problem)>> DamagedRemoteFilesAsync(IArtifactStore store, string key, string folder, IReadOnlyList<string> files,
        CacheManifest local, CancellationToken cancellationToken)
    {
        var damaged = new List<(string File, string Problem)>();
        CacheManifest? remote;
        try
        {
            remote = await ReadRemoteManifestAsync(store, key, cancellationToken);
        }
        catch (EsteiraException)
        {
            remote = null;
        }

        var expectedFiles = local.Files ?? files.ToDictionary(f => f, f => new CachedFile(new FileInfo(Path.Combine(folder, f)).Length, null));
        if (remote?.Key != key || remote.Files is null || remote.Files.Count != expectedFiles.Count
            || remote.Files.Any(f => !expectedFiles.TryGetValue(f.Key, out var mine) || mine.Size != f.Value.Size || !string.Equals(mine.Sha256, f.Value.Sha256, StringComparison.OrdinalIgnoreCase)))
        {
            damaged.Add((StageCache.ManifestFile, "differs from this cache's manifest"));
        }

        var found = new System.Collections.Concurrent.ConcurrentBag<(string File, string Problem)>();
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (relative, ct) =>
        {
            var local = Path.Combine(folder, relative);
            var expected = expectedFiles.TryGetValue(relative, out var e) ? e : new CachedFile(new FileInfo(local).Length, null);
            var sha = expected.Sha256 ?? await Sha256Async(File.OpenRead(local), ct);
            try
            {
                await using var remoteStream = await store.OpenReadAsync(RemoteKey(key, relative), ct);
                if (remoteStream is null)
                {
                    found.Add((relative, "is missing"));
                    return;
                }

                var counting = new CountingStream(remoteStream);
                var remoteSha = await Sha256Async(counting, ct, leaveOpen: true);
                if (counting.Count != expected.Size)
                {
                    found.Add((relative, $"has {counting.Count:N0} bytes, not {expected.Size:N0}"));
                }
                else if (!string.Equals(remoteSha, sha, StringComparison.OrdinalIgnoreCase))
                {
                    found.Add((relative, "is damaged (SHA-256 differs)"));
                }
            }
            catch (Exception ex) when (ex is not (EsteiraException or OperationCanceledException or OutOfMemoryException))
            {
                found.Add((relative, $"cannot be read ({ex.GetType().Name})"));
            }
        });

        damaged.AddRange(found.OrderBy(f => f.File, StringComparer.Ordinal));
        return damaged;
    }

    private static async Task<string> Sha256Async(Stream stream, CancellationToken cancellationToken, bool leaveOpen = false)
    {
        try
        {
            return Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stream, cancellationToken));
        }
        finally
        {
            if (!leaveOpen)
            {
                await stream.DisposeAsync();
            }
        }
    }

    /// <summary>Counts the bytes read through it.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Count { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Count; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            Count += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            Count += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>The complete entries of the local cache (those with a readable manifest), oldest first.</summary>
    private static IEnumerable<(string Key, CacheManifest Manifest)> LocalEntries(StageCache cache) =>
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
