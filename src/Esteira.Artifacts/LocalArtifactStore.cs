using System.Buffers;
using System.Runtime.CompilerServices;

namespace Esteira.Artifacts;

/// <summary>An <see cref="IArtifactStore"/> in a local folder: one file per key, '/' mapped to folders.</summary>
/// <remarks>
/// A put writes a temporary file in the destination folder and renames it over the key, so readers see
/// the old object or the new one, never a partial file, even if the process is killed mid-write (a crash can
/// leave a temporary file behind; <see cref="ListAsync"/> never shows it). Safe to use from several threads
/// and processes at once: the last rename wins.
/// </remarks>
public sealed class LocalArtifactStore : IArtifactStore
{
    /// <summary>Names of in-flight temporary files start with this; keys whose last segment does are refused.</summary>
    internal const string TempPrefix = ".esteira-tmp-";

    private const int BufferSize = 1 << 16;

    private readonly string _root;

    /// <summary>Opens (and creates if needed) the store rooted at <paramref name="root"/>.</summary>
    /// <exception cref="EsteiraException">The folder cannot be created (<see cref="ErrorCode.BadInput"/>).</exception>
    public LocalArtifactStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        _root = Path.GetFullPath(root);
        try
        {
            Directory.CreateDirectory(_root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EsteiraException(ErrorCode.BadInput,
                $"artifact folder '{_root}' cannot be created ({e.GetType().Name}: {e.Message}); choose a writable folder", e);
        }
    }

    /// <summary>The absolute folder that holds the objects.</summary>
    public string Root => _root;

    /// <inheritdoc/>
    public string Location => "file:" + _root;

    /// <inheritdoc/>
    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(File.Exists(path));
    }

    /// <inheritdoc/>
    /// <remarks>A failure of <paramref name="content"/> itself propagates unchanged; failures to write are <see cref="EsteiraException"/>s.</remarks>
    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = PathOf(key);
        var folder = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(folder, TempPrefix + Guid.NewGuid().ToString("N"));
        FileStream? file = null;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            file = Storage(key, path, () =>
            {
                Directory.CreateDirectory(folder);
                return new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
            });

            int read;
            while ((read = await content.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                await Storage(key, path, () => file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).AsTask());
            }

            // Durable before it becomes visible: a rename of unflushed data can surface as an empty file after a power loss.
            Storage(key, path, () =>
            {
                file.Flush(flushToDisk: true);
                file.Dispose();
                File.Move(temp, path, overwrite: true);
                return 0;
            });
        }
        catch
        {
            file?.Dispose();
            TryDelete(temp);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc/>
    public Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            // FileShare.Delete: a concurrent put renames over the key or a delete unlinks it; this reader keeps the old bytes.
            Stream stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
            return Task.FromResult<Stream?>(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
        catch (UnauthorizedAccessException) when (Directory.Exists(path))
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArtifactPrefix.Validate(prefix);
        // Only the folder that the prefix fully names needs walking; the rest of the prefix filters names.
        var lastSlash = prefix.LastIndexOf('/');
        var start = lastSlash < 0 ? _root : Path.Combine(_root, prefix[..lastSlash].Replace('/', Path.DirectorySeparatorChar));
        if (!Directory.Exists(start))
        {
            yield break;
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        var keys = new List<string>();
        foreach (var file in Directory.EnumerateFiles(start, "*", options))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Path.GetFileName(file).StartsWith(TempPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var key = Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                keys.Add(key);
            }
        }

        keys.Sort(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            yield return key;
        }

        await Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing there: deleting a missing key is not an error.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EsteiraException(ErrorCode.PipelineFailed,
                $"artifact '{key}' cannot be deleted from {Location} ({e.GetType().Name}: {e.Message}); check the folder's permissions");
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public override string ToString() => Location;

    private string PathOf(string key)
    {
        ArtifactKeys.Validate(key);
        if (key[(key.LastIndexOf('/') + 1)..].StartsWith(TempPrefix, StringComparison.Ordinal))
        {
            throw new EsteiraException(ErrorCode.BadInput,
                $"artifact key '{key}' ends in a name starting with '{TempPrefix}', which the local store reserves for in-flight writes; rename it");
        }

        return Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));
    }

    private T Storage<T>(string key, string path, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageFailure(key, path, e);
        }
    }

    private async Task Storage(string key, string path, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageFailure(key, path, e);
        }
    }

    private EsteiraException StorageFailure(string key, string path, Exception e) =>
        Directory.Exists(path) || IsBlockedByFile(Path.GetDirectoryName(path)!)
            ? new EsteiraException(ErrorCode.Conflict,
                $"artifact '{key}' cannot be written to {Location}: a local store cannot hold both a key and keys below it (like 'a/b' and 'a/b/c'); use distinct key paths", e)
            : new EsteiraException(ErrorCode.PipelineFailed,
                $"artifact '{key}' cannot be written to {Location} ({e.GetType().Name}: {e.Message}); check the folder's permissions and free space", e);

    private static bool IsBlockedByFile(string folder)
    {
        for (var dir = folder; !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(dir))
            {
                return true;
            }
        }

        return false;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temporary file is invisible to List and harmless.
        }
    }
}
