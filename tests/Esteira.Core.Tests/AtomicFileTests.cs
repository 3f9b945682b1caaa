using System.IO.Compression;

namespace Esteira.Core.Tests;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("esteira-atomic-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_failure_mid_write_leaves_no_file_and_no_temporary_sibling()
    {
        // Given a writer that fails after writing part of the content
        var path = Path.Combine(_folder, "submission.csv.gz");

        // When
        var error = Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write("row_id,meter_reading\n"u8);
            throw new IOException("disk full");
        }));

        // Then
        Assert.Equal("disk full", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));
    }

    [Fact]
    public void A_failure_mid_write_keeps_the_old_content()
    {
        // Given
        var path = Path.Combine(_folder, "state.json");
        AtomicFile.WriteAllText(path, "old");

        // When
        Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteFile(path, temp =>
        {
            File.WriteAllText(temp, "half of the new");
            throw new InvalidOperationException("renderer crashed");
        }));

        // Then
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.EnumerateFileSystemEntries(_folder));
    }

    [Fact]
    public async Task A_failed_or_cancelled_async_write_leaves_nothing()
    {
        // Given
        var path = Path.Combine(_folder, "copy.csv");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        // When
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            await stream.WriteAsync(new byte[100], ct);
        }, cancellationToken: cancelled.Token));

        // Then
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));
    }

    [Fact]
    public void A_wrapper_disposed_by_the_writer_does_not_lose_the_content()
    {
        // Given a gzip wrapper that the writer disposes itself (its footer is written on dispose)
        var path = Path.Combine(_folder, "a.txt.gz");

        // When
        AtomicFile.Write(path, file =>
        {
            using var gzip = new GZipStream(file, CompressionLevel.Fastest);
            using var writer = new StreamWriter(gzip);
            writer.Write("hello");
        });

        // Then
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        Assert.Equal("hello", reader.ReadToEnd());
    }

    [Fact]
    public void Without_overwrite_an_existing_file_wins_and_no_temporary_sibling_stays()
    {
        // Given
        var path = Path.Combine(_folder, "esteira.yaml");
        AtomicFile.WriteAllText(path, "first");

        // When / Then
        Assert.Throws<IOException>(() => AtomicFile.WriteAllText(path, "second", overwrite: false));
        Assert.Equal("first", File.ReadAllText(path));
        Assert.Single(Directory.EnumerateFileSystemEntries(_folder));
    }

    [Fact]
    public void The_temporary_sibling_keeps_the_extension_and_is_marked()
    {
        var temp = AtomicFile.TempPathFor(Path.Combine(_folder, "plot.png"));

        Assert.EndsWith(".png", temp, StringComparison.Ordinal);
        Assert.Contains(AtomicFile.TempMarker, Path.GetFileName(temp), StringComparison.Ordinal);
        Assert.Equal(_folder, Path.GetDirectoryName(temp));
        Assert.NotEqual(temp, AtomicFile.TempPathFor(Path.Combine(_folder, "plot.png")));
    }

    [Fact]
    public async Task A_directory_appears_whole_or_not_at_all()
    {
        // Given
        var target = Path.Combine(_folder, "dataset");

        // When a fill fails half-way
        await Assert.ThrowsAsync<IOException>(() => AtomicFile.WriteDirectoryAsync<int>(target, async temp =>
        {
            await File.WriteAllTextAsync(Path.Combine(temp, "train.csv"), "a,b\n");
            throw new IOException("connection reset");
        }));

        // Then nothing is left
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));

        // And a fill that succeeds is renamed into place with what it wrote
        var said = await AtomicFile.WriteDirectoryAsync(target, async temp =>
        {
            await File.WriteAllTextAsync(Path.Combine(temp, "train.csv"), "a,b\n");
            return "1 file";
        });
        Assert.Equal("1 file", said);
        Assert.Equal(["train.csv"], Directory.EnumerateFiles(target).Select(Path.GetFileName));
        Assert.Single(Directory.EnumerateFileSystemEntries(_folder));
    }
}
