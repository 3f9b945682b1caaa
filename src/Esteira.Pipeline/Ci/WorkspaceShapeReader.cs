namespace Esteira.Pipeline.Ci;

/// <summary>Reads a <see cref="WorkspaceShape"/> from a workspace's <see cref="Config.WorkspaceConfig"/> (the one reader of esteira.yaml).</summary>
/// <remarks>Without an esteira.yaml the shape is <see cref="WorkspaceShape.Default"/>.</remarks>
public static class WorkspaceShapeReader
{
    /// <summary>The workspace file name.</summary>
    public const string FileName = Config.WorkspaceConfig.FileName;

    /// <summary>Reads the shape of the workspace in <paramref name="folder"/>.</summary>
    /// <exception cref="EsteiraException">esteira.yaml is malformed, or names no experiment (<see cref="ErrorCode.BadInput"/>).</exception>
    public static WorkspaceShape Read(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!File.Exists(Path.Combine(folder, FileName)))
        {
            return WorkspaceShape.Default;
        }

        var config = Config.WorkspaceConfig.Load(folder);
        return new WorkspaceShape(config.Experiments, SchemeOf(config.Tracking), S3Only(config.Artifacts), config.DeployTarget)
        {
            Image = config.CiImage,
            AptPackages = config.CiApt,
            DeployFolder = config.DeployFolder,
        };
    }

    private static string? SchemeOf(string? uri)
    {
        if (uri is null)
        {
            return null;
        }

        var colon = uri.IndexOf(':');
        return colon > 1 ? uri[..colon].ToLowerInvariant() : "sqlite";
    }

    private static string? S3Only(string? uri)
    {
        if (uri is null || !uri.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        // Only bucket and prefix go into a generated file: the query (endpoint, region) belongs to CI variables.
        var query = uri.IndexOf('?');
        var bare = query < 0 ? uri : uri[..query];
        return bare.Contains('@')
            ? throw new EsteiraException(ErrorCode.BadInput, "esteira.yaml: the artifacts s3:// URI must not hold credentials; set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY as CI variables instead")
            : bare;
    }

    /// <summary>Throws unless every entry is a Debian package name (they go into a shell line).</summary>
    public static IReadOnlyList<string> CheckAptPackages(IReadOnlyList<string> packages, string where) => Config.WorkspaceConfig.CheckAptPackages(packages, where);
}
