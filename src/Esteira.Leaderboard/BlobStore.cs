using System.Buffers;
using System.Security.Cryptography;

namespace Esteira.Leaderboard;

/// <summary>
/// Uploaded files, stored by content: <c>&lt;root&gt;/ab/abcdef…</c> where the name is the SHA-256 of the bytes. No name a
/// client sends ever becomes part of a path, so nothing can escape the folder; identical uploads are stored once.
/// </summary>
public sealed class BlobStore
{
    private readonly string _root;

    /// <summary>Opens (creating if needed) the store under <paramref name="root"/> and deletes partial uploads left by a previous run.</summary>
    public BlobStore(string root)
    {
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(Path.Combine(_root, "incoming"));

        // Partial uploads of a previous run are garbage: their slots are still open and can be uploaded again.
        foreach (var stale in Directory.EnumerateFiles(Path.Combine(_root, "incoming")))
        {
            File.Delete(stale);
        }
    }

    /// <summary>The store's folder, as a full path.</summary>
    public string Root => _root;

    /// <summary>
    /// Streams <paramref name="body"/> to a temporary file while hashing it, then renames it to its content address.
    /// Fails with <see cref="ErrorCode.LimitExceeded"/> past <paramref name="maxBytes"/> and with
    /// <see cref="ErrorCode.BadInput"/> when the size differs from <paramref name="declaredLength"/>.
    /// </summary>
    public async Task<(string Sha256, long Size)> ReceiveAsync(Stream body, long maxBytes, long declaredLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var temp = Path.Combine(_root, "incoming", Guid.NewGuid().ToString("N"));
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                int read;
                while ((read = await body.ReadAsync(buffer.AsMemory(0, 1 << 16), cancellationToken)) > 0)
                {
                    size += read;
                    if (size > maxBytes)
                    {
                        throw TooLarge(maxBytes);
                    }

                    hash.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }

                output.Flush(flushToDisk: true);
            }

            if (size != declaredLength)
            {
                throw new EsteiraException(ErrorCode.BadInput,
                    $"the upload has {size} bytes but StartSubmissionUpload declared contentLength {declaredLength}; start a new upload with the right length");
            }

            var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            var target = PathOf(sha);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (File.Exists(target))
            {
                // Fresh again: the sweeper of expired uploads leaves recently received files alone.
                File.SetLastWriteTimeUtc(target, FileSystemNow());
                File.Delete(temp);
            }
            else
            {
                File.Move(temp, target);
            }

            return (sha, size);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>
    /// Deletes a stored blob unless it was received in the last minute (a PUT of the same bytes may be recording it right now);
    /// true when it was deleted.
    /// </summary>
    public bool Delete(string sha256)
    {
        var path = PathOf(sha256);
        if (!File.Exists(path) || FileSystemNow() - File.GetLastWriteTimeUtc(path) < TimeSpan.FromMinutes(1))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    /// <summary>The path of a stored blob; the hash must be 64 lower-case hex digits.</summary>
    public string PathOf(string sha256)
    {
        if (sha256.Length != 64 || !sha256.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
        {
            throw new EsteiraException(ErrorCode.BadInput, "a blob name must be a SHA-256 in lower-case hex");
        }

        return Path.Combine(_root, sha256[..2], sha256);
    }

    internal static EsteiraException TooLarge(long maxBytes)
    {
        var error = new EsteiraException(ErrorCode.LimitExceeded,
            $"the file is larger than this competition's upload limit of {maxBytes >> 20} MiB; gzip it (the server reads .gz) or ask the host to raise max_upload_mb");
        error.Data[ApiErrors.HttpStatusKey] = 413;
        return error;
    }

    /// <summary>
    /// The system clock, not the service's <see cref="TimeProvider"/>: it is compared with the modification times the
    /// file system stamps, which follow the system clock whatever clock the service runs on.
    /// </summary>
    private static DateTime FileSystemNow() => TimeProvider.System.GetUtcNow().UtcDateTime;
}
