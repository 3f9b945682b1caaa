using Esteira.Artifacts;
using Esteira.Pipeline;

namespace Esteira.Reporting;

/// <summary>Which artifact and tracking stores a workspace uses: the environment overrides esteira.yaml.</summary>
/// <remarks>The generated CI sets <c>ESTEIRA_ARTIFACTS_URI</c> and <c>ESTEIRA_TRACKING_URI</c>, so that one workspace
/// file serves a laptop (local folder, SQLite) and the runners (bucket, PostgreSQL).</remarks>
public static class Stores
{
    /// <summary>The environment variable that overrides the workspace's <c>artifacts:</c>.</summary>
    public const string ArtifactsVariable = Config.WorkspaceConfig.ArtifactsVariable;
    /// <summary>The environment variable that overrides the workspace's <c>tracking:</c>.</summary>
    public const string TrackingVariable = Config.WorkspaceConfig.TrackingVariable;

    /// <summary>The artifact store URI: <paramref name="option"/>, then ESTEIRA_ARTIFACTS_URI, then <c>artifacts:</c>; null when none.</summary>
    public static string? ArtifactsUri(Workspace workspace, Func<string, string?> environment, string? option = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(environment);
        return Config.WorkspaceConfig.Resolve(option, environment(ArtifactsVariable), workspace.Artifacts);
    }

    /// <summary>The tracking store URI: <paramref name="option"/>, then ESTEIRA_TRACKING_URI, then <c>tracking:</c>; null means the default SQLite file.</summary>
    public static string? TrackingUri(Workspace workspace, Func<string, string?> environment, string? option = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(environment);
        return Config.WorkspaceConfig.Resolve(option, environment(TrackingVariable), workspace.Tracking);
    }

    /// <summary>Opens the workspace's artifact store, or fails with the remedy when it has none.</summary>
    /// <exception cref="EsteiraException">No store is configured (<see cref="ErrorCode.Usage"/>) or its URI is malformed (<see cref="ErrorCode.BadInput"/>).</exception>
    public static IArtifactStore OpenArtifacts(Workspace workspace, Func<string, string?> environment, string? option = null) =>
        ArtifactsUri(workspace, environment, option) is { } uri
            ? ArtifactStores.Open(uri, workspace.Root, new AwsEnvironment(environment))
            : throw new EsteiraException(ErrorCode.Usage,
                $"{Path.Combine(workspace.Root, Workspace.FileName)}: no artifact store; add 'artifacts: s3://BUCKET/PREFIX' (or a folder) to it, or set {ArtifactsVariable}");

}
