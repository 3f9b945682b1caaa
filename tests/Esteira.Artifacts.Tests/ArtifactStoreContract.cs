using System.Security.Cryptography;
using System.Text;

namespace Esteira.Artifacts.Tests;

/// <summary>The behaviour every <see cref="IArtifactStore"/> promises; each implementation derives and supplies a fresh, empty store.</summary>
public abstract class ArtifactStoreContract
{
    /// <summary>A new, empty store, isolated from other tests.</summary>
    protected abstract IArtifactStore CreateStore();

    protected static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    protected static async Task<byte[]?> ReadAllAsync(IArtifactStore store, string key)
    {
        await using var stream = await store.OpenReadAsync(key);
        if (stream is null)
        {
            return null;
        }

        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    protected static async Task<List<string>> ListAsync(IArtifactStore store, string prefix)
    {
        var keys = new List<string>();
        await foreach (var key in store.ListAsync(prefix))
        {
            keys.Add(key);
        }

        return keys;
    }

    protected static Task PutAsync(IArtifactStore store, string key, string text) =>
        store.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public async Task A_put_object_reads_back_byte_for_byte()
    {
        // Given
        var store = CreateStore();
        var data = RandomBytes(1234, seed: 1);

        // When
        await store.PutAsync("runs/r1/metrics.json", new MemoryStream(data));

        // Then
        Assert.True(await store.ExistsAsync("runs/r1/metrics.json"));
        Assert.Equal(data, await ReadAllAsync(store, "runs/r1/metrics.json"));
    }

    [Fact]
    public async Task A_multi_megabyte_object_from_a_non_seekable_source_round_trips()
    {
        // Given: 13 MiB, more than one S3 multipart part, from a stream with no length and short reads
        var store = CreateStore();
        var data = RandomBytes((13 * 1024 * 1024) + 17, seed: 2);

        // When
        await store.PutAsync("cache/ab/abcdef/features.arrow", new SourceStream(data));

        // Then
        var back = await ReadAllAsync(store, "cache/ab/abcdef/features.arrow");
        Assert.NotNull(back);
        Assert.Equal(data.Length, back.Length);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(back));
    }

    [Fact]
    public async Task An_empty_object_is_an_object()
    {
        var store = CreateStore();

        await store.PutAsync("empty.bin", new MemoryStream());

        Assert.True(await store.ExistsAsync("empty.bin"));
        Assert.Equal(Array.Empty<byte>(), await ReadAllAsync(store, "empty.bin"));
        Assert.Equal(["empty.bin"], await ListAsync(store, ""));
    }

    [Fact]
    public async Task A_missing_key_is_null_and_false_not_an_error()
    {
        var store = CreateStore();
        await PutAsync(store, "present/a", "x");

        Assert.False(await store.ExistsAsync("absent"));
        Assert.Null(await store.OpenReadAsync("absent"));
        Assert.False(await store.ExistsAsync("present/a/deeper"));
        Assert.Null(await store.OpenReadAsync("present/b"));
        Assert.Empty(await ListAsync(store, "absent/"));
    }

    [Fact]
    public async Task Putting_an_existing_key_replaces_the_object()
    {
        var store = CreateStore();
        await PutAsync(store, "model/champion.txt", "first, and longer than the second");

        await PutAsync(store, "model/champion.txt", "second");

        Assert.Equal("second", Encoding.UTF8.GetString((await ReadAllAsync(store, "model/champion.txt"))!));
        Assert.Equal(["model/champion.txt"], await ListAsync(store, "model/"));
    }

    [Fact]
    public async Task List_returns_the_keys_under_a_prefix_in_ordinal_order()
    {
        // Given keys put out of order, with case and punctuation that culture-aware sorting would reorder
        var store = CreateStore();
        string[] keys = ["b/2", "a/10", "a/1", "a/B", "a/a", "a/_", "a/2", "ab", "a-b/x", "a/sub/z", "a/sub/y"];
        foreach (var key in keys)
        {
            await PutAsync(store, key, key);
        }

        // Then
        Assert.Equal(keys.Order(StringComparer.Ordinal), await ListAsync(store, ""));
        Assert.Equal(["a/1", "a/10", "a/2", "a/B", "a/_", "a/a", "a/sub/y", "a/sub/z"], await ListAsync(store, "a/"));
        // A prefix need not end on a segment boundary.
        Assert.Equal(["a-b/x", "a/1", "a/10", "a/2", "a/B", "a/_", "a/a", "a/sub/y", "a/sub/z", "ab"], await ListAsync(store, "a"));
        Assert.Equal(["a/sub/y", "a/sub/z"], await ListAsync(store, "a/s"));
        Assert.Equal(["a/1", "a/10"], await ListAsync(store, "a/1"));
        Assert.Empty(await ListAsync(store, "zzz"));
    }

    [Fact]
    public async Task Delete_removes_the_object_and_is_idempotent()
    {
        var store = CreateStore();
        await PutAsync(store, "tmp/x", "x");
        await PutAsync(store, "tmp/y", "y");

        await store.DeleteAsync("tmp/x");
        await store.DeleteAsync("tmp/x");
        await store.DeleteAsync("never/was/here");

        Assert.False(await store.ExistsAsync("tmp/x"));
        Assert.Null(await store.OpenReadAsync("tmp/x"));
        Assert.Equal(["tmp/y"], await ListAsync(store, ""));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/abs")]
    [InlineData("trailing/")]
    [InlineData("a//b")]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("a/./b")]
    [InlineData(".")]
    [InlineData("back\\slash")]
    [InlineData("control\nchar")]
    public async Task Invalid_keys_are_rejected_by_every_operation(string key)
    {
        var store = CreateStore();

        foreach (var operation in new Func<Task>[]
        {
            () => store.PutAsync(key, new MemoryStream([1])),
            () => store.OpenReadAsync(key),
            () => store.ExistsAsync(key),
            () => store.DeleteAsync(key),
        })
        {
            var error = await Assert.ThrowsAsync<EsteiraException>(operation);
            Assert.Equal(ErrorCode.BadInput, error.Code);
        }

        Assert.Empty(await ListAsync(store, ""));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("../")]
    [InlineData("a//")]
    [InlineData("a\\")]
    public async Task Invalid_prefixes_are_rejected(string prefix)
    {
        var store = CreateStore();

        var error = await Assert.ThrowsAsync<EsteiraException>(() => ListAsync(store, prefix));

        Assert.Equal(ErrorCode.BadInput, error.Code);
    }

    [Fact]
    public async Task Keys_with_spaces_and_non_ascii_characters_round_trip()
    {
        var store = CreateStore();
        const string key = "experiments/lgbm v2/ünïcode-ß+résumé.json";

        await PutAsync(store, key, "ok");

        Assert.Equal("ok", Encoding.UTF8.GetString((await ReadAllAsync(store, key))!));
        Assert.Equal([key], await ListAsync(store, "experiments/"));
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData((7 * 1024 * 1024) + 3)]
    public async Task A_put_whose_source_fails_midway_leaves_no_object(int failAfter)
    {
        // Given a source that breaks after some bytes (within the first part, or after a whole multipart part)
        var store = CreateStore();
        var data = RandomBytes(failAfter * 2, seed: 3);

        // When
        var error = await Assert.ThrowsAsync<IOException>(() => store.PutAsync("cache/partial.bin", new SourceStream(data, failAfter)));

        // Then: nothing visible, not even a temporary file
        Assert.Equal("the source connection was reset", error.Message);
        Assert.False(await store.ExistsAsync("cache/partial.bin"));
        Assert.Null(await store.OpenReadAsync("cache/partial.bin"));
        Assert.Empty(await ListAsync(store, ""));
    }

    [Fact]
    public async Task A_failed_overwrite_keeps_the_previous_object_whole()
    {
        var store = CreateStore();
        await PutAsync(store, "model/champion.txt", "the champion");

        await Assert.ThrowsAsync<IOException>(() => store.PutAsync("model/champion.txt", new SourceStream(RandomBytes(10_000, 4), failAfter: 5_000)));

        Assert.Equal("the champion", Encoding.UTF8.GetString((await ReadAllAsync(store, "model/champion.txt"))!));
        Assert.Equal(["model/champion.txt"], await ListAsync(store, ""));
    }

    [Fact]
    public async Task A_cancelled_put_leaves_no_object()
    {
        var store = CreateStore();
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PutAsync("cancelled", new MemoryStream(RandomBytes(100, 5)), cancel.Token));

        Assert.False(await store.ExistsAsync("cancelled"));
        Assert.Empty(await ListAsync(store, ""));
    }

    [Fact]
    public void Location_names_the_store()
    {
        var store = CreateStore();

        Assert.False(string.IsNullOrWhiteSpace(store.Location));
    }
}
