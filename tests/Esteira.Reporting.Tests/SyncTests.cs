using System.Text;
using System.Text.Json;
using Esteira.Artifacts;
using Esteira.Pipeline;
using Esteira.Pipeline.Cache;

namespace Esteira.Reporting.Tests;

/// <summary>The remote cache: push from one workspace, pull into another, and the next run reuses everything.</summary>
[Collection(TrainedGroup.Name)]
public sealed class SyncTests(TrainedWorkspace trained)
{
    [Fact]
    public async Task Pushed_entries_pulled_into_a_fresh_workspace_are_reused_by_its_run_local_store()
    {
        var store = ArtifactStores.Open(trained.NewFolder("store"), trained.Workspace.Root);
        await PushPullRunAsync(store);
    }

    [Fact]
    [Trait("Needs", "s3")]
    public async Task Pushed_entries_pulled_into_a_fresh_workspace_are_reused_by_its_run_s3()
    {
        // Given a bucket named the way CI names it: ESTEIRA_ARTIFACTS_URI, credentials from the AWS variables
        var bucket = await TestServices.NewBucketAsync();
        var environment = TestServices.S3Environment(name => name == Stores.ArtifactsVariable ? TestServices.S3Uri(bucket, "team/esteira") : null);
        using var store = (S3ArtifactStore)Stores.OpenArtifacts(trained.Workspace, environment);
        Assert.StartsWith($"s3://{bucket}/team/esteira", store.Location, StringComparison.Ordinal);

        await PushPullRunAsync(store);
    }

    private async Task PushPullRunAsync(IArtifactStore store)
    {
        // Given the trained workspace's cache: features, then train and check for each of its two runs
        var local = new StageCache(trained.Workspace.StateFolder).Entries();
        Assert.Equal(5, local.Count);

        // When it pushes
        var pushed = await CacheSync.PushAsync(trained.Workspace.StateFolder, store);

        // Then every entry is in the store, manifest included, with its files
        Assert.All(pushed.Entries, e => Assert.Equal(SyncAction.Pushed, e.Action));
        Assert.Equal(local.Select(e => e.Key).Order(), pushed.Entries.Select(e => e.Key).Order());
        foreach (var entry in pushed.Entries)
        {
            Assert.True(await store.ExistsAsync(CacheSync.RemoteKey(entry.Key, StageCache.ManifestFile)));
            var files = Directory.GetFiles(Path.Combine(trained.Workspace.StateFolder, "cache", entry.Key), "*", SearchOption.AllDirectories);
            Assert.Equal(files.Length, entry.Files);
            Assert.Equal(files.Sum(f => new FileInfo(f).Length), entry.Bytes);
        }

        // And a second push finds everything there
        var again = await CacheSync.PushAsync(trained.Workspace.StateFolder, store);
        Assert.All(again.Entries, e => Assert.Equal(SyncAction.AlreadyThere, e.Action));

        // Given a second workspace: same dataset and experiment, fresh .esteira, which would run everything
        var fresh = trained.Fresh();
        var plan = WorkspaceRunner.Plan(fresh, new RunRequest { OutDir = "out" });
        Assert.All(plan, p => Assert.True(p.Run, p.Id));

        // When it pulls
        var pulled = await CacheSync.PullAsync(fresh.StateFolder, plan, store);

        // Then each stage of its plan came down whole, and nothing is left in tmp/
        Assert.Equal(["features", "train:baseline", "check:baseline"], pulled.Entries.Select(e => e.Stage));
        Assert.All(pulled.Entries, e => Assert.Equal(SyncAction.Pulled, e.Action));
        Assert.Equal(trained.ChallengerKey, pulled.Entries[1].Key);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(fresh.StateFolder, "tmp")));
        foreach (var entry in pulled.Entries)
        {
            var source = Path.Combine(trained.Workspace.StateFolder, "cache", entry.Key);
            var copy = Path.Combine(fresh.StateFolder, "cache", entry.Key);
            foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
            {
                Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(copy, Path.GetRelativePath(source, file))));
            }
        }

        // And a real run reuses all of it, saying which run computed it
        var run = TinyWorkspace.Run(fresh);
        Assert.All(run.Plan, p => Assert.False(p.Run, $"{p.Id}: {p.Reason}"));
        Assert.Equal("skipped, unchanged since run 1", run.Plan[0].Reason);
        Assert.Equal("skipped, unchanged since run 2", run.Plan[1].Reason);
        Assert.Equal(trained.ChallengerMetrics.Cv, run.Experiments[0].Metrics.Cv);
        Assert.True(File.Exists(run.Experiments[0].Submission));

        // And pulling again finds everything local
        var second = await CacheSync.PullAsync(fresh.StateFolder, WorkspaceRunner.Plan(fresh, new RunRequest { OutDir = "out" }), store);
        Assert.All(second.Entries, e => Assert.Equal(SyncAction.AlreadyThere, e.Action));
    }

    [Fact]
    public async Task An_entry_without_its_manifest_is_never_pulled()
    {
        // Given a store where a push of the features entry was interrupted: files up, manifest not
        var store = ArtifactStores.Open(trained.NewFolder("store"), trained.Workspace.Root);
        var fresh = trained.Fresh();
        var plan = WorkspaceRunner.Plan(fresh, new RunRequest { OutDir = "out" });
        await store.PutAsync(CacheSync.RemoteKey(plan[0].Key, "summary.json"), new MemoryStream(Encoding.UTF8.GetBytes("{}")));

        // When
        var pulled = await CacheSync.PullAsync(fresh.StateFolder, plan, store);

        // Then nothing is taken, and the run would compute everything
        Assert.All(pulled.Entries, e => Assert.Equal(SyncAction.NotInStore, e.Action));
        Assert.False(Directory.Exists(Path.Combine(fresh.StateFolder, "cache", plan[0].Key)));
        Assert.All(WorkspaceRunner.Plan(fresh, new RunRequest { OutDir = "out" }), p => Assert.True(p.Run));
    }

    [Fact]
    public async Task A_manifest_that_names_another_key_is_refused_and_leaves_nothing()
    {
        // Given a remote entry whose manifest belongs to another key
        var store = ArtifactStores.Open(trained.NewFolder("store"), trained.Workspace.Root);
        var fresh = trained.Fresh();
        var plan = WorkspaceRunner.Plan(fresh, new RunRequest { OutDir = "out" });
        var manifest = new CacheManifest("features", new string('0', 64), 1, DateTimeOffset.UtcNow, new Dictionary<string, string>());
        await store.PutAsync(CacheSync.RemoteKey(plan[0].Key, StageCache.ManifestFile), new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(manifest)));

        // When / Then
        var error = await Assert.ThrowsAsync<EsteiraException>(() => CacheSync.PullAsync(fresh.StateFolder, plan, store));
        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains("push again", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(fresh.StateFolder, "cache", plan[0].Key)));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(fresh.StateFolder, "tmp")));
    }

    [Fact]
    public async Task A_damaged_stored_file_is_named_by_pull_and_not_taken_and_push_repairs_it()
    {
        // Given a store holding the pushed entries, one byte of the trained model flipped in the store
        var storeFolder = trained.NewFolder("store");
        var store = ArtifactStores.Open(storeFolder, trained.Workspace.Root);
        await CacheSync.PushAsync(trained.Workspace.StateFolder, store);
        var key = trained.ChallengerKey;
        var manifest = (await CacheSync.ReadRemoteManifestAsync(store, key))!;
        var name = manifest.Files!.Keys.Order(StringComparer.Ordinal).First(f => f.EndsWith(".txt", StringComparison.Ordinal) || f.EndsWith(".npy", StringComparison.Ordinal));
        var stored = Directory.GetFiles(storeFolder, "*", SearchOption.AllDirectories).Single(f => f.Replace('\\', '/').EndsWith($"{key}/{name}", StringComparison.Ordinal));
        var bytes = await File.ReadAllBytesAsync(stored);
        bytes[bytes.Length / 2] ^= 0x20;
        await File.WriteAllBytesAsync(stored, bytes);

        // When a fresh workspace pulls
        var fresh = trained.Fresh();
        var pulled = await CacheSync.PullAsync(fresh.StateFolder, WorkspaceRunner.Plan(fresh, new RunRequest { OutDir = "out" }), store);

        // Then the damaged entry is named, file and all, and not taken; the others come down
        var damaged = Assert.Single(pulled.Entries, e => e.Action == SyncAction.Damaged);
        Assert.Equal(key, damaged.Key);
        Assert.Equal($"{CacheSync.RemoteKey(key, name)} is damaged: its SHA-256 differs from its manifest's", damaged.Problem);
        Assert.False(Directory.Exists(Path.Combine(fresh.StateFolder, "cache", key)));
        Assert.Equal(2, pulled.Count(SyncAction.Pulled));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(fresh.StateFolder, "tmp")));

        // When the laptop pushes again
        var pushed = await CacheSync.PushAsync(trained.Workspace.StateFolder, store);

        // Then it finds the damage and repairs that file only; the rest was already there
        var repaired = Assert.Single(pushed.Entries, e => e.Action == SyncAction.Repaired);
        Assert.Equal(key, repaired.Key);
        Assert.Equal($"{CacheSync.RemoteKey(key, name)} is damaged (SHA-256 differs)", repaired.Problem);
        Assert.Equal(2, repaired.Files); // the file and the manifest
        Assert.All(pushed.Entries.Where(e => e.Key != key), e => Assert.Equal(SyncAction.AlreadyThere, e.Action));

        // And the next pull takes it
        var again = await CacheSync.PullAsync(fresh.StateFolder, WorkspaceRunner.Plan(fresh, new RunRequest { OutDir = "out" }), store);
        Assert.Equal(SyncAction.Pulled, Assert.Single(again.Entries, e => e.Key == key).Action);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(trained.Workspace.StateFolder, "cache", key, name)),
            await File.ReadAllBytesAsync(Path.Combine(fresh.StateFolder, "cache", key, name)));
    }

    [Fact]
    public async Task A_store_client_failing_on_an_object_is_one_line_naming_the_object_not_its_exception()
    {
        var inner = ArtifactStores.Open(trained.NewFolder("store"), trained.Workspace.Root);
        await CacheSync.PushAsync(trained.Workspace.StateFolder, inner);
        var failing = new FailingStore(inner, "summary.json");
        var fresh = trained.Fresh();

        var error = await Assert.ThrowsAsync<EsteiraException>(() => CacheSync.PullAsync(fresh.StateFolder, WorkspaceRunner.Plan(fresh, new RunRequest { OutDir = "out" }), failing));

        Assert.Equal(ErrorCode.ExternalService, error.Code);
        Assert.Matches(@"^file:.*: reading cache/[0-9a-f]{64}/summary\.json failed \(IOException: checksum mismatch\); pull again, and if it fails again the stored object is damaged: 'esteira push' from a machine that has this entry repairs it$", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(fresh.StateFolder, "tmp")));
    }

    /// <summary>A store whose client throws its own exception when one object is read, as an SDK does on a bad checksum.</summary>
    private sealed class FailingStore(IArtifactStore inner, string suffix) : IArtifactStore
    {
        public string Location => inner.Location;

        public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) => inner.ExistsAsync(key, cancellationToken);

        public Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default) => inner.PutAsync(key, content, cancellationToken);

        public Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default) =>
            key.EndsWith(suffix, StringComparison.Ordinal) ? throw new IOException("checksum mismatch") : inner.OpenReadAsync(key, cancellationToken);

        public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);
    }

    [Fact]
    public void The_environment_overrides_esteira_yaml_and_a_missing_store_says_what_to_do()
    {
        var workspace = trained.Workspace;
        Assert.Equal(".esteira/artifacts", Stores.ArtifactsUri(workspace, _ => null));
        Assert.Equal("s3://b/p", Stores.ArtifactsUri(workspace, n => n == Stores.ArtifactsVariable ? "s3://b/p" : null));
        Assert.Equal("/x", Stores.ArtifactsUri(workspace, n => n == Stores.ArtifactsVariable ? "s3://b/p" : null, option: "/x"));
        Assert.Equal("postgresql://h/db", Stores.TrackingUri(workspace, n => n == Stores.TrackingVariable ? "postgresql://h/db" : null));

        var error = Assert.Throws<EsteiraException>(() => Stores.OpenArtifacts(workspace with { Artifacts = null }, _ => null));
        Assert.Equal(ErrorCode.Usage, error.Code);
        Assert.Contains(Stores.ArtifactsVariable, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cli_pushes_pulls_and_the_next_run_says_it_reused_the_outputs()
    {
        // Given a store named by ESTEIRA_ARTIFACTS_URI, as the generated CI does
        var storeFolder = trained.NewFolder("store");
        var environment = new Dictionary<string, string> { [Stores.ArtifactsVariable] = storeFolder };
        var laptop = trained.Clone();
        var runner = trained.Fresh();

        // When the laptop pushes and the runner pulls
        var push = Cli.Run(laptop.Root, environment, "push");
        var pull = Cli.Run(runner.Root, environment, "pull");
        var json = Cli.Run(runner.Root, environment, "pull", "--json");
        var run = Cli.Run(runner.Root, environment, "run");

        // Then each says what it moved, and the run computes nothing
        Assert.True(push.Exit == 0, push.Err);
        Assert.Matches(@"pushed train:baseline \(key [0-9a-f]{12}…, \d+ files, [\d.]+ kB\) to file:", push.Out);
        Assert.Contains("5 pushed", push.Out, StringComparison.Ordinal);
        Assert.True(pull.Exit == 0, pull.Err);
        Assert.Matches(@"pulled train:baseline \(key [0-9a-f]{12}…, \d+ files, [\d.]+ kB, from run 2\) from file:", pull.Out);
        Assert.Contains("3 pulled", pull.Out, StringComparison.Ordinal);
        using (var document = JsonDocument.Parse(json.Out))
        {
            Assert.All(document.RootElement.GetProperty("entries").EnumerateArray(), e => Assert.Equal("already_there", e.GetProperty("action").GetString()));
        }

        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains("features: skipped, unchanged since run 1", run.Out, StringComparison.Ordinal);
        Assert.Contains("train:baseline: skipped, unchanged since run 2", run.Out, StringComparison.Ordinal);
        Assert.Contains("check:baseline: skipped, unchanged since run 2", run.Out, StringComparison.Ordinal);
    }
}
