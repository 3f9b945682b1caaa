using System.Text;

namespace Esteira;

/// <summary>
/// Writes files and folders so that a reader sees the old content or the new, never half of it: the content goes to a
/// temporary sibling, is flushed to disk, and is renamed into place; on failure the temporary sibling is deleted and the
/// target is left as it was.
/// </summary>
/// <remarks>
/// <para>The temporary sibling is named <c>NAME.tmp-PID-RANDOM</c> plus the target's extension (so that a writer that picks
/// the format from the extension, like an image library, still picks the right one). Code that lists a folder skips
/// names containing <see cref="TempMarker"/>; a process killed mid-write can leave one behind, never a half-written target.</para>
/// <para>The flush before the rename matters: a rename of unflushed data can surface as an empty file after a power loss.</para>
/// <para>Thread safety: calls are independent; concurrent writers of one path each rename a whole file, and the last wins
/// (or, with <c>overwrite: false</c>, the first wins and the others throw <see cref="IOException"/>).</para>
/// </remarks>
public static class AtomicFile
{
    /// <summary>The text every temporary sibling's name contains.</summary>
    public const string TempMarker = ".tmp-";

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>A fresh temporary sibling of <paramref name="path"/> (not created).</summary>
    public static string TempPathFor(string path) =>
        $"{path}{TempMarker}{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}{Path.GetExtension(path)}";

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark.</summary>
    /// <exception cref="IOException">The file cannot be written, or <paramref name="overwrite"/> is false and it exists.</exception>
    public static void WriteAllText(string path, string text, bool overwrite = true) =>
        Write(path, stream => stream.Write(Utf8NoBom.GetBytes(text)), overwrite);

    /// <summary>Copies <paramref name="source"/> to <paramref name="path"/>.</summary>
    /// <exception cref="IOException">Either file cannot be read or written.</exception>
    public static void Copy(string source, string path, bool overwrite = true) =>
        WriteFile(path, temp => File.Copy(source, temp), overwrite);

    /// <summary>Writes the file through <paramref name="write"/>, which gets a stream over the temporary sibling.</summary>
    /// <remarks><paramref name="write"/> may wrap the stream (gzip, a writer) and dispose the wrapper; the stream stays usable to flush.</remarks>
    /// <exception cref="IOException">The file cannot be written, or <paramref name="overwrite"/> is false and it exists.</exception>
    public static void Write(string path, Action<Stream> write, bool overwrite = true) =>
        WriteFile(path, temp =>
        {
            using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            write(new KeepOpen(file));
            file.Flush(flushToDisk: true);
        }, overwrite);

    /// <summary>The asynchronous form of <see cref="Write(string, Action{Stream}, bool)"/>.</summary>
    /// <exception cref="IOException">The file cannot be written, or <paramref name="overwrite"/> is false and it exists.</exception>
    public static Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, bool overwrite = true, CancellationToken cancellationToken = default) =>
        WriteFileAsync(path, async temp =>
        {
            await using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await write(new KeepOpen(file), cancellationToken);
            file.Flush(flushToDisk: true);
        }, overwrite);

    /// <summary>
    /// For a writer that takes a path (an image library, a database, <see cref="File.Copy(string, string)"/>):
    /// <paramref name="write"/> creates the temporary sibling whose path it is given, which is then renamed into place.
    /// </summary>
    /// <exception cref="IOException">The file cannot be written, or <paramref name="overwrite"/> is false and it exists.</exception>
    public static void WriteFile(string path, Action<string> write, bool overwrite = true)
    {
        var temp = TempPathFor(path);
        try
        {
            write(temp);
            File.Move(temp, path, overwrite);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <summary>The asynchronous form of <see cref="WriteFile(string, Action{string}, bool)"/>.</summary>
    /// <exception cref="IOException">The file cannot be written, or <paramref name="overwrite"/> is false and it exists.</exception>
    public static async Task WriteFileAsync(string path, Func<string, Task> write, bool overwrite = true)
    {
        var temp = TempPathFor(path);
        try
        {
            await write(temp);
            File.Move(temp, path, overwrite);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <summary>
    /// Fills a new folder through <paramref name="fill"/> (given the path of an empty temporary sibling folder) and renames
    /// it to <paramref name="folder"/>, which must not exist yet; on failure the temporary folder is removed.
    /// </summary>
    /// <returns>What <paramref name="fill"/> returned.</returns>
    /// <exception cref="IOException"><paramref name="folder"/> exists, or the folder cannot be written.</exception>
    public static async Task<T> WriteDirectoryAsync<T>(string folder, Func<string, Task<T>> fill)
    {
        var temp = TempPathFor(folder);
        Directory.CreateDirectory(temp);
        try
        {
            var result = await fill(temp);
            Directory.Move(temp, folder);
            return result;
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp); // no-op once renamed
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The target is untouched either way; a stray temporary sibling is skipped by listings.
        }
    }

    /// <summary>
    /// The file under a writer's wrapper (gzip, zip, a text writer): disposing the wrapper must not close the file, which
    /// is still flushed to disk before the rename. Everything else, seeking included, goes to the file.
    /// </summary>
    private sealed class KeepOpen(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => inner.Position = value; }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void SetLength(long value) => inner.SetLength(value);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.WriteAsync(buffer, offset, count, cancellationToken);
    }
}
