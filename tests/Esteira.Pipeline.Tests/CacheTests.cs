using System.Security.Cryptography;
using System.Text.Json;
using Esteira.Pipeline.Cache;

namespace Esteira.Pipeline.Tests;

using Cli = Esteira.Testing.Cli;

/// <summary>The stage cache never reuses a half or damaged entry: it says so and recomputes.</summary>
public sealed class StageCacheTests
{
    private static WorkspaceRunResult Run(string root, List<string>? messages = null, params string[] force) =>
        WorkspaceRunner.Run(Workspace.Load(root), new RunRequest { OutDir = Path.Combine(root, "out"), Force = force.ToHashSet() },
            messages is null ? SilentObserver.Instance : new Recorder(messages));

    private static string Entry(string root, WorkspaceRunResult run, string stage) =>
        Path.Combine(root, ".esteira", "cache", run.Plan.Single(p => p.Id == stage).Key);

    private static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static string FirstNpy(string entry) =>
        Directory.GetFiles(entry, "*.npy", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();

    [Fact]
    public void An_entry_left_with_only_its_manifest_by_a_killed_replacement_is_rerun_not_reused()
    {
        // Given a train entry as a kill between deleting the old files and renaming the new entry in used to leave it
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var first = Run(root);
        var entry = Entry(root, first, "train:baseline");
        foreach (var file in Directory.GetFiles(entry, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != StageCache.ManifestFile))
        {
            File.Delete(file);
        }

        // When
        var messages = new List<string>();
        var next = Run(root, messages);

        // Then the stage reruns and says why, and what depends on it is whole again
        var train = next.Plan.Single(p => p.Id == "train:baseline");
        Assert.True(train.Run);
        Assert.StartsWith("ran because its cached result was incomplete: ", train.Reason, StringComparison.Ordinal);
        Assert.Contains(messages, m => m.StartsWith("train:baseline: ran because its cached result was incomplete", StringComparison.Ordinal));
        Assert.False(next.Plan.Single(p => p.Id == "features").Run);
        Assert.Equal(first.Experiments[0].Metrics.Cv, next.Experiments[0].Metrics.Cv);
        Assert.True(File.Exists(next.Experiments[0].Submission));
        Assert.Equal(CacheState.Valid, new StageCache(Path.Combine(root, ".esteira")).Lookup(train.Key).State);
        Assert.All(Run(root).Plan, p => Assert.False(p.Run, $"{p.Id} reran a third time"));
    }

    [Fact]
    public void An_entry_folder_without_a_manifest_is_rerun()
    {
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var first = Run(root);
        File.Delete(Path.Combine(Entry(root, first, "check:baseline"), StageCache.ManifestFile));

        var next = Run(root).Plan.Single(p => p.Id == "check:baseline");
        Assert.Equal("ran because its cached result was incomplete: manifest.json is missing", next.Reason);
    }

    [Fact]
    public void A_flipped_byte_in_a_cached_npy_is_detected_and_the_stage_recomputes_the_same_result()
    {
        // Given a clean run and one byte flipped in a cached .npy of the features (same size)
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var first = Run(root);
        var cleanSubmission = Sha(first.Experiments[0].Submission);
        var npy = FirstNpy(Entry(root, first, "features"));
        var name = Path.GetRelativePath(Entry(root, first, "features"), npy).Replace(Path.DirectorySeparatorChar, '/');
        var clean = Sha(npy);
        var bytes = File.ReadAllBytes(npy);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(npy, bytes);

        // When
        var messages = new List<string>();
        var next = Run(root, messages);

        // Then the run says the entry was damaged, recomputes it, and the result is the clean one
        var features = next.Plan.Single(p => p.Id == "features");
        Assert.True(features.Run);
        Assert.Equal($"ran because its cached result was damaged: {name} hash mismatch", features.Reason);
        Assert.Contains(messages, m => m.Contains("damaged", StringComparison.Ordinal));
        Assert.Equal(clean, Sha(npy));
        Assert.Equal(first.Experiments[0].Metrics.Cv, next.Experiments[0].Metrics.Cv);
        Assert.Equal(cleanSubmission, Sha(next.Experiments[0].Submission));
        Assert.Single(Directory.GetDirectories(Path.Combine(root, ".esteira", "cache")), d => d == Entry(root, first, "features"));
        Assert.Empty(Directory.GetDirectories(Path.Combine(root, ".esteira", "tmp")));
    }

    [Fact]
    public void A_flipped_byte_with_its_time_kept_is_found_by_the_next_process()
    {
        // Given bit rot: a byte flipped with neither size nor modification time changed (this process verified it already)
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var first = Run(root);
        var npy = FirstNpy(Entry(root, first, "features"));
        var modified = File.GetLastWriteTimeUtc(npy);
        var bytes = File.ReadAllBytes(npy);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(npy, bytes);
        File.SetLastWriteTimeUtc(npy, modified);

        // When another esteira process plans
        var (exit, stdout, stderr) = Cli.Esteira(root, "plan", "--json");

        // Then it hashes what it would reuse and says the entry is damaged
        Assert.True(exit == 0, stderr);
        Assert.Contains("\"stage\":\"features\",\"run\":true,\"reason\":\"ran because its cached result was damaged: ", stdout, StringComparison.Ordinal);
        Assert.Contains("hash mismatch", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Entries_record_sha256_and_xxh128_and_an_older_manifest_with_sha256_alone_is_still_checked()
    {
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var first = Run(root);
        var entry = Entry(root, first, "features");
        var manifestPath = Path.Combine(entry, StageCache.ManifestFile);
        var manifest = JsonSerializer.Deserialize<CacheManifest>(File.ReadAllText(manifestPath))!;

        // Given every file recorded with both hashes, each the file's own
        Assert.NotEmpty(manifest.Files!);
        Assert.All(manifest.Files!, f =>
        {
            var bytes = File.ReadAllBytes(Path.Combine(entry, f.Key));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), f.Value.Sha256);
            Assert.Equal(Convert.ToHexStringLower(System.IO.Hashing.XxHash128.Hash(bytes)), f.Value.Xxh128);
        });

        // When the manifest is rewritten as older versions wrote it (no XXH128) and a byte flips with its time kept
        File.WriteAllText(manifestPath, JsonSerializer.Serialize(manifest with
        {
            Files = manifest.Files!.ToDictionary(f => f.Key, f => f.Value with { Xxh128 = null }),
        }));
        var npy = FirstNpy(entry);
        var modified = File.GetLastWriteTimeUtc(npy);
        var bytes = File.ReadAllBytes(npy);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(npy, bytes);
        File.SetLastWriteTimeUtc(npy, modified);
        var (exit, stdout, stderr) = Cli.Esteira(root, "plan", "--json");

        // Then the next process checks it with SHA-256 and finds it damaged
        Assert.True(exit == 0, stderr);
        Assert.Contains("\"stage\":\"features\",\"run\":true,\"reason\":\"ran because its cached result was damaged: ", stdout, StringComparison.Ordinal);
        Assert.Contains("hash mismatch", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_cached_file_is_a_size_mismatch()
    {
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var first = Run(root);
        var submission = Path.Combine(Entry(root, first, "check:baseline"), "submission.csv.gz");
        var length = new FileInfo(submission).Length;
        using (var file = new FileStream(submission, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(length / 2);
        }

        var next = Run(root);
        var check = next.Plan.Single(p => p.Id == "check:baseline");
        Assert.Equal($"ran because its cached result was damaged: submission.csv.gz size mismatch ({length / 2} bytes, {length} recorded)", check.Reason);
        Assert.Equal(length, new FileInfo(submission).Length);
        Assert.False(next.Plan.Single(p => p.Id == "train:baseline").Run);
    }

    [Fact]
    public void A_forced_rerun_replaces_the_entry_and_leaves_no_stray_folder()
    {
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var first = Run(root);
        var cache = Path.Combine(root, ".esteira", "cache");
        var before = Directory.GetDirectories(cache).Order(StringComparer.Ordinal).ToList();

        var forced = Run(root, force: "train:baseline");

        Assert.Equal("forced (--force train:baseline)", forced.Plan.Single(p => p.Id == "train:baseline").Reason);
        Assert.Equal(before, Directory.GetDirectories(cache).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(root, ".esteira", "tmp")));
        var stageCache = new StageCache(Path.Combine(root, ".esteira"));
        Assert.All(forced.Plan, p => Assert.Equal(CacheState.Valid, stageCache.Lookup(p.Key).State));
        var manifest = JsonSerializer.Deserialize<CacheManifest>(File.ReadAllText(Path.Combine(Entry(root, forced, "train:baseline"), StageCache.ManifestFile)))!;
        Assert.Equal(forced.Run, manifest.Run);
        Assert.NotEmpty(manifest.Files!);
        Assert.All(manifest.Files!, f => Assert.Equal(64, f.Value.Sha256!.Length));
        Assert.All(Run(root).Plan, p => Assert.Equal($"skipped, unchanged since run {(p.Id == "features" ? first.Run : forced.Run)}", p.Reason));
    }

    [Fact]
    public void A_replacement_interrupted_after_the_old_entry_moved_out_leaves_the_key_absent_and_tmp_swept()
    {
        // Given a run killed between the two renames: the old entry sits in tmp/ under a dead process id, the key is absent
        using var ds = new TempDataset();
        var root = WorkspaceTests.Create(ds);
        var first = Run(root);
        var entry = Entry(root, first, "train:baseline");
        var moved = Path.Combine(root, ".esteira", "tmp", $"replaced_train_baseline-{int.MaxValue - 7}-0123");
        Directory.Move(entry, moved);

        var next = Run(root);
        Assert.Equal("ran because its earlier outputs are no longer in the cache", next.Plan.Single(p => p.Id == "train:baseline").Reason);
        Assert.False(Directory.Exists(moved));
        Assert.True(Directory.Exists(entry));
    }

    [Fact]
    public void Manifests_without_hashes_or_files_are_verified_by_what_they_record()
    {
        using var temp = new TempDataset();
        var cache = new StageCache(Path.Combine(temp.Root, ".esteira"));
        var key = new string('a', 64);
        var folder = cache.EntryFolder(key);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "metrics.json"), "{}");

        void Write(IReadOnlyDictionary<string, CachedFile>? files) => File.WriteAllText(Path.Combine(folder, StageCache.ManifestFile),
            JsonSerializer.Serialize(new CacheManifest("train:a", key, 4, DateTimeOffset.UtcNow, new Dictionary<string, string>(), files)));

        // An older manifest (no files recorded) is used as before
        Write(null);
        Assert.Equal(new CacheLookup(CacheState.Valid, 4, ""), cache.Lookup(key));
        Assert.Equal(4, cache.CachedRun(key));

        // Sizes without hashes: the size is checked
        Write(new Dictionary<string, CachedFile> { ["metrics.json"] = new(2, null) });
        Assert.Equal(CacheState.Valid, cache.Lookup(key).State);
        Write(new Dictionary<string, CachedFile> { ["metrics.json"] = new(3, null) });
        Assert.Equal(new CacheLookup(CacheState.Damaged, 0, "metrics.json size mismatch (2 bytes, 3 recorded)"), cache.Lookup(key));
        Assert.Null(cache.CachedRun(key));

        // A listed file that is gone, or a name that leaves the entry
        Write(new Dictionary<string, CachedFile> { ["oof/prediction.npy"] = new(8, null) });
        Assert.Equal(new CacheLookup(CacheState.Incomplete, 0, "oof/prediction.npy is missing"), cache.Lookup(key));
        Write(new Dictionary<string, CachedFile> { ["../x"] = new(8, null) });
        Assert.Equal(CacheState.Damaged, cache.Lookup(key).State);

        // An older manifest left alone in its folder
        File.Delete(Path.Combine(folder, "metrics.json"));
        Write(null);
        Assert.Equal(new CacheLookup(CacheState.Incomplete, 0, "it holds no output files"), cache.Lookup(key));
        Assert.Equal(CacheState.Absent, cache.Lookup(new string('b', 64)).State);
    }

    private sealed class Recorder(List<string> messages) : IRunObserver
    {
        public void StageStarted(string stage, long? total, string unit)
        {
        }

        public void Progress(long done)
        {
        }

        public void StageFinished(string stage, double seconds, string summary)
        {
        }

        public void Warn(string message) => messages.Add(message);

        public void Info(string message) => messages.Add(message);
    }
}
