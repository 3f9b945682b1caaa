using System.Text;

namespace Esteira.Artifacts.Tests;

public sealed class LocalArtifactStoreTests : ArtifactStoreContract, IDisposable
{
    private readonly TempFolder _folder = new();

    protected override IArtifactStore CreateStore() => new LocalArtifactStore(_folder.Combine("store-" + Guid.NewGuid().ToString("N")[..8]));

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_put_in_flight_is_invisible_and_writes_its_temporary_file_beside_the_target()
    {
        // Given a put whose source stops half-way until released
        var store = (LocalArtifactStore)CreateStore();
        var data = RandomBytes(200_000, seed: 7);
        using var source = new GatedStream(data, before: 100_000);
        var put = store.PutAsync("cache/ab/model.bin", source);
        await source.ReachedGate;

        // Then, mid-write: no object, no key in List, and the partial bytes sit in a temporary file in the same folder
        Assert.False(await store.ExistsAsync("cache/ab/model.bin"));
        Assert.Null(await store.OpenReadAsync("cache/ab/model.bin"));
        Assert.Empty(await ListAsync(store, ""));
        var temp = Assert.Single(Directory.GetFiles(Path.Combine(store.Root, "cache", "ab")));
        Assert.StartsWith(LocalArtifactStore.TempPrefix, Path.GetFileName(temp), StringComparison.Ordinal);

        // When released
        source.Release();
        await put;

        // Then the whole object appears at once and the temporary file is gone
        Assert.Equal(data, await ReadAllAsync(store, "cache/ab/model.bin"));
        Assert.Equal(["cache/ab/model.bin"], Directory.GetFiles(Path.Combine(store.Root, "cache", "ab")).Select(f => "cache/ab/" + Path.GetFileName(f)));
    }

    [Fact]
    public async Task A_failed_put_removes_its_temporary_file()
    {
        var store = (LocalArtifactStore)CreateStore();

        await Assert.ThrowsAsync<IOException>(() => store.PutAsync("cache/x.bin", new SourceStream(RandomBytes(50_000, 8), failAfter: 20_000)));

        Assert.Empty(Directory.GetFiles(store.Root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_leftover_temporary_file_from_a_crash_is_never_listed()
    {
        var store = (LocalArtifactStore)CreateStore();
        Directory.CreateDirectory(Path.Combine(store.Root, "cache"));
        await File.WriteAllTextAsync(Path.Combine(store.Root, "cache", LocalArtifactStore.TempPrefix + "deadbeef"), "half");
        await PutAsync(store, "cache/ok", "ok");

        Assert.Equal(["cache/ok"], await ListAsync(store, ""));
    }

    [Fact]
    public async Task Keys_that_look_like_temporary_files_are_refused()
    {
        var store = CreateStore();

        var error = await Assert.ThrowsAsync<EsteiraException>(() => PutAsync(store, "cache/" + LocalArtifactStore.TempPrefix + "x", "x"));

        Assert.Equal(ErrorCode.BadInput, error.Code);
    }

    [Fact]
    public async Task A_key_below_an_existing_object_is_a_conflict_with_a_clear_message()
    {
        var store = CreateStore();
        await PutAsync(store, "a/b", "object");

        var error = await Assert.ThrowsAsync<EsteiraException>(() => PutAsync(store, "a/b/c", "below"));

        Assert.Equal(ErrorCode.Conflict, error.Code);
        Assert.Contains("'a/b/c'", error.Message, StringComparison.Ordinal);
        Assert.Equal("object", Encoding.UTF8.GetString((await ReadAllAsync(store, "a/b"))!));
    }

    [Fact]
    public async Task A_reader_keeps_the_bytes_it_opened_while_the_key_is_replaced()
    {
        var store = CreateStore();
        await PutAsync(store, "k", "old contents");

        await using var reader = await store.OpenReadAsync("k");
        await PutAsync(store, "k", "new");
        using var text = new StreamReader(reader!);

        Assert.Equal("old contents", await text.ReadToEndAsync());
        Assert.Equal("new", Encoding.UTF8.GetString((await ReadAllAsync(store, "k"))!));
    }

    [Fact]
    // Not in the contract: the local S3-API server (s3rver) writes objects in place, so racing puts of one key
    // can mix there; S3 itself replaces objects atomically.
    public async Task Concurrent_puts_of_one_key_leave_exactly_one_whole_version()
    {
        // Given eight writers racing on the same key with different 300 KB payloads
        var store = CreateStore();
        var payloads = Enumerable.Range(0, 8).Select(i => RandomBytes(300_000, 100 + i)).ToArray();

        // When
        await Task.WhenAll(payloads.Select(p => Task.Run(() => store.PutAsync("race/key", new MemoryStream(p)))));

        // Then: one of them, intact; never a mix
        var back = await ReadAllAsync(store, "race/key");
        Assert.Contains(payloads, p => p.AsSpan().SequenceEqual(back));
        Assert.Equal(["race/key"], await ListAsync(store, ""));
    }

    [Fact]
    public void The_location_is_a_file_uri_of_the_absolute_folder()
    {
        var store = (LocalArtifactStore)CreateStore();

        Assert.Equal("file:" + store.Root, store.Location);
        Assert.True(Path.IsPathFullyQualified(store.Root));
    }
}
