
namespace Esteira.Pipeline.Ci;

/// <summary>What a generated pipeline needs to know about a workspace; never holds a secret.</summary>
/// <param name="Experiments">Experiment names (folders of <c>experiments/</c>), in ordinal order; at least one.</param>
/// <param name="TrackingScheme">The tracking store's scheme (<c>sqlite</c>, <c>postgresql</c>…), or null for the default; the URI itself may hold a password and is not kept.</param>
/// <param name="ArtifactsUri">The artifact store URI when it is on S3 (<c>s3://bucket/prefix</c>, parameters dropped), else null.</param>
/// <param name="DeployTarget">The deploy target's name (<c>kaggle</c>, <c>leaderboard</c>, <c>folder</c>…), or null for the default.</param>
public sealed record WorkspaceShape(IReadOnlyList<string> Experiments, string? TrackingScheme, string? ArtifactsUri, string? DeployTarget)
{
    /// <summary>The shape of a folder with no esteira.yaml: the one built-in experiment, embedded stores.</summary>
    public static WorkspaceShape Default { get; } = new(["baseline"], null, null, null);

    /// <summary>The image the jobs run in (<c>ci.image</c>); null for the .NET SDK image with Esteira as a local tool.</summary>
    public string? Image { get; init; }

    /// <summary>Extra Debian packages the jobs install (<c>ci.apt</c>), e.g. jupyter-nbconvert for notebook experiments.</summary>
    public IReadOnlyList<string> AptPackages { get; init; } = [];

    /// <summary>Where a <c>folder</c> deploy writes (<c>deploy.dest</c>), kept as a CI artifact so that it outlives the job.</summary>
    public string? DeployFolder { get; init; }

    /// <summary>The job image.</summary>
    public string JobImage => Image ?? PipelineCommands.Image;

    /// <summary>How the jobs call Esteira: the pinned local tool in the SDK image, or the one on PATH in a custom image.</summary>
    public string EsteiraCommand => Image is null ? PipelineCommands.LocalTool : PipelineCommands.OnPath;

    /// <summary>True when the deploy target is a folder.</summary>
    public bool DeploysToFolder => DeployTarget is null or "folder";

    /// <summary>True when runs go to a shared PostgreSQL tracking store.</summary>
    public bool SharesTracking => TrackingScheme is "postgresql" or "postgres";

    /// <summary>True when stage outputs are shared through an S3 bucket.</summary>
    public bool SharesArtifacts => ArtifactsUri is not null;

    /// <summary>True when the deploy target is Kaggle, which needs KAGGLE_USERNAME and KAGGLE_KEY.</summary>
    public bool DeploysToKaggle => string.Equals(DeployTarget, "kaggle", StringComparison.OrdinalIgnoreCase);
}
