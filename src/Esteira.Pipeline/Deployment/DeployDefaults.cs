using Esteira.Deploy.Targets;
using YamlDotNet.RepresentationModel;

namespace Esteira.Pipeline.Deployment;

/// <summary>
/// esteira.yaml's <c>deploy:</c> section (<c>target</c>, <c>competition</c>, <c>server</c>, <c>dest</c>) and the workspace's
/// dataset and metric fill what the command line left at its defaults, when a workspace deploys its champion.
/// </summary>
public static class DeployDefaults
{
    /// <summary>The target when neither the command line nor esteira.yaml names one.</summary>
    public const string Target = "folder";

    /// <summary><paramref name="request"/> with the workspace's defaults where it names nothing.</summary>
    /// <remarks>
    /// <para>A target kind of <see cref="Target"/> counts as "not named": the command line cannot tell the default from an explicit one.</para>
    /// <para><c>dest</c> (from either place) is relative to the workspace; the sample is the dataset's <c>sample_submission.csv</c>
    /// (or <c>.csv.gz</c>, which wins when both exist).</para>
    /// </remarks>
    public static DeploymentRequest Apply(DeploymentRequest request, Workspace workspace)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(workspace);
        string? Value(string key) => workspace.Deploy is { } d && d.Children.TryGetValue(new YamlScalarNode(key), out var v) ? (v as YamlScalarNode)?.Value : null;
        var dest = request.Target.Destination ?? Value("dest");
        string? sample = null;
        foreach (var name in new[] { "sample_submission.csv", "sample_submission.csv.gz" })
        {
            var candidate = Path.Combine(workspace.Dataset, name);
            if (File.Exists(candidate))
            {
                sample = candidate;
            }
        }

        return request with
        {
            Target = new TargetSpec
            {
                Kind = request.Target.Kind == Target ? Value("target") ?? Target : request.Target.Kind,
                Competition = request.Target.Competition ?? Value("competition"),
                Server = request.Target.Server ?? Value("server"),
                Destination = dest is null ? null : Path.GetFullPath(Path.Combine(workspace.Root, dest)),
                Time = request.Target.Time,
            },
            Sample = request.Sample ?? sample,
            Metric = request.Metric ?? workspace.CompetitionSettings.Metric,
        };
    }
}
