namespace Esteira.Pipeline.Tests.Ci;

/// <summary>Builds workspace folders of a given shape in a temporary folder.</summary>
internal sealed class Workspace : IDisposable
{
    private readonly TempFolder _folder = new();

    public string Path => _folder.Path;

    public static Workspace Create(string? esteiraYaml, params string[] experiments)
    {
        var workspace = new Workspace();
        if (esteiraYaml is not null)
        {
            // every workspace names its dataset (esteira.yaml's one required key); appended, so that line numbers stay
            var dataset = esteiraYaml.Contains("dataset:", StringComparison.Ordinal) || esteiraYaml.StartsWith("- ", StringComparison.Ordinal) ? "" : "\ndataset: data\n";
            File.WriteAllText(workspace._folder.Combine("esteira.yaml"), esteiraYaml + dataset);
        }

        foreach (var experiment in experiments)
        {
            Directory.CreateDirectory(workspace._folder.Combine("experiments", experiment));
            File.WriteAllText(workspace._folder.Combine("experiments", experiment, "experiment.yaml"), "kind: declarative\n");
        }

        return workspace;
    }

    public void Dispose() => _folder.Dispose();
}

/// <summary>The workspace shapes every generator is checked against.</summary>
public static class Shapes
{
    public const string TrackingPassword = "Pg-P4ssw0rd-in-esteira-yaml";

    private static readonly Dictionary<string, (string? Yaml, string[] Experiments)> All = new()
    {
        ["no esteira.yaml"] = (null, []),
        ["one experiment, embedded stores"] = ("competition: ashrae-energy-prediction\n", ["baseline"]),
        ["three experiments, S3 and PostgreSQL, Kaggle"] = (
            $"""
            competition: ashrae-energy-prediction
            tracking: postgresql://ci:{TrackingPassword}@db.internal:5432/esteira
            artifacts: s3://team-ml-artifacts/esteira?endpoint=https://minio.internal:9000&region=eu-west-1
            deploy:
              target: kaggle
            """,
            ["baseline", "lgbm-deep", "weather_lags"]),
        ["names needing YAML quoting, S3 only"] = (
            """
            stores:
              artifacts:
                uri: s3://team-ml-artifacts/esteira
            deploy: leaderboard
            """,
            ["true", "123", "on", "null", "1e3", "2024-01-01", "0x1F", "yes", "1.0", "No"]),
        ["PostgreSQL only"] = (
            $"tracking:\n  uri: postgres://ci:{TrackingPassword}@db/esteira\ndeploy: kaggle\n",
            ["a", "b"]),
    };

    public static TheoryData<string> Names => [.. All.Keys];

    internal static Workspace Create(string name) => Workspace.Create(All[name].Yaml, All[name].Experiments);

    internal static string[] ExpectedExperiments(string name) => All[name].Experiments is { Length: > 0 } e ? [.. e.Order(StringComparer.Ordinal)] : ["baseline"];
}
