namespace Esteira;

/// <summary>
/// A flat store of immutable blobs addressed by key (a relative, '/'-separated path such as
/// <c>cache/ab/abcdef…/features.arrow</c>). Implementations: a local folder (<c>file:</c>) and an
/// S3-compatible bucket (<c>s3:</c>); both pass the same contract suite.
/// </summary>
/// <remarks>
/// A put is atomic: readers see either no object or the complete one, never a partial write, even when the
/// writer crashes. Putting an existing key replaces it. "Not found" is a value (null/false), not an error.
/// Keys are validated: no empty segments, no <c>..</c>, no leading '/', no backslashes.
/// </remarks>
public interface IArtifactStore
{
    /// <summary>Where the store lives, for messages; never contains credentials.</summary>
    string Location { get; }

    /// <summary>True when <paramref name="key"/> holds an object.</summary>
    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Stores the whole of <paramref name="content"/> under <paramref name="key"/>, atomically.</summary>
    Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Opens the object for reading, or returns null when there is none.</summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Every key that starts with <paramref name="prefix"/>, in ordinal order.</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Removes the object; removing a missing key is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken = default);
}

/// <summary>Checks artifact keys, shared by every <see cref="IArtifactStore"/>.</summary>
public static class ArtifactKeys
{
    /// <summary>Throws a <see cref="ErrorCode.BadInput"/> error unless <paramref name="key"/> is a safe relative key.</summary>
    public static string Validate(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var bad = key.Length == 0 || key.StartsWith('/') || key.EndsWith('/') || key.Contains('\\', StringComparison.Ordinal)
            || key.Split('/').Any(segment => segment is "" or "." or "..") || key.Any(char.IsControl);
        return bad
            ? throw new EsteiraException(ErrorCode.BadInput, $"artifact key '{key}' is not a relative path of plain segments (no '..', no leading '/', no backslash)")
            : key;
    }
}
