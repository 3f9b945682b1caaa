using System.Text.RegularExpressions;

namespace Esteira.Artifacts;

/// <summary>The registry of artifact stores, chosen by URI scheme.</summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>file:PATH</c>, <c>file:///ABSOLUTE</c> or a plain path → <see cref="LocalArtifactStore"/>; a relative path is relative to the workspace.</item>
/// <item><c>s3://BUCKET/PREFIX[?endpoint=URL&amp;region=NAME&amp;path_style=true]</c> → <see cref="S3ArtifactStore"/>, credentials from the AWS variables or profile.</item>
/// </list>
/// </remarks>
public static partial class ArtifactStores
{
    /// <summary>The schemes <see cref="Open(string, string)"/> knows.</summary>
    public static IReadOnlyList<string> Schemes { get; } = ["file", "s3"];

    /// <summary>Opens the store named by <paramref name="uri"/>, reading AWS settings from the process environment.</summary>
    /// <exception cref="EsteiraException">The URI is malformed or its scheme unknown (<see cref="ErrorCode.BadInput"/>).</exception>
    public static IArtifactStore Open(string uri, string workspaceRoot) => Open(uri, workspaceRoot, AwsEnvironment.Process);

    /// <summary>Opens the store named by <paramref name="uri"/>, reading AWS settings from <paramref name="environment"/>.</summary>
    /// <exception cref="EsteiraException">The URI is malformed or its scheme unknown (<see cref="ErrorCode.BadInput"/>).</exception>
    public static IArtifactStore Open(string uri, string workspaceRoot, AwsEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(workspaceRoot);
        ArgumentNullException.ThrowIfNull(environment);
        if (string.IsNullOrWhiteSpace(uri))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"the artifact store URI is empty; expected {Expected}");
        }

        var match = Scheme().Match(uri);
        if (!match.Success)
        {
            return new LocalArtifactStore(Path.GetFullPath(uri, Path.GetFullPath(workspaceRoot)));
        }

        var scheme = match.Groups[1].Value.ToLowerInvariant();
        switch (scheme)
        {
            case "file":
                return new LocalArtifactStore(Path.GetFullPath(FilePath(uri), Path.GetFullPath(workspaceRoot)));
            case "s3":
                var parsed = S3Uri.Parse(uri);
                return new S3ArtifactStore(parsed.Bucket, parsed.Prefix, parsed.Options, environment);
            default:
                throw new EsteiraException(ErrorCode.BadInput,
                    $"artifact store URI scheme '{scheme}:' is unknown; known schemes: {string.Join(", ", Schemes.Select(s => s + ":"))} (expected {Expected})");
        }
    }

    private const string Expected = "file:PATH, a plain path, or s3://BUCKET/PREFIX";

    private static string FilePath(string uri)
    {
        // file:///abs/path and file://localhost/abs/path are URLs; file:rel/path and file:/abs/path are plain paths after the colon.
        if (uri.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || !(parsed.Host.Length == 0 || parsed.IsLoopback))
            {
                throw new EsteiraException(ErrorCode.BadInput, $"artifact store URI '{uri}' names a remote host; use file:PATH or file:///ABSOLUTE/PATH");
            }

            return Uri.UnescapeDataString(parsed.AbsolutePath);
        }

        var path = uri[5..];
        return path.Length == 0
            ? throw new EsteiraException(ErrorCode.BadInput, $"artifact store URI '{uri}' has no path; expected file:PATH")
            : path;
    }

    // Two letters at least, so that a Windows drive ("C:\…") stays a plain path.
    [GeneratedRegex("^([A-Za-z][A-Za-z0-9+.-]+):")]
    private static partial Regex Scheme();
}
