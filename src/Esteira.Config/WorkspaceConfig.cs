using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Esteira.Config;

/// <summary>
/// What a workspace declares about its competition (<c>competition:</c> in esteira.yaml, or the options of
/// <c>esteira run</c> outside a workspace). Null fields are inferred by the profile from the data.
/// </summary>
public sealed record CompetitionSettings
{
    /// <summary>The competition's name: the champion's registered model, the Kaggle or leaderboard competition.</summary>
    public string? Name { get; init; }

    /// <summary><c>gepiii</c>, <c>tabular</c>, or null to recognise the dataset's layout.</summary>
    public string? Profile { get; init; }

    /// <summary>The metric (<see cref="EvalMetric.Name"/>); null: the profile's default for the task.</summary>
    public string? Metric { get; init; }

    /// <summary>Tabular: the id column (default: the sample submission's first column).</summary>
    public string? Id { get; init; }

    /// <summary>Tabular: the target column (default: the sample submission's second column).</summary>
    public string? Target { get; init; }

    /// <summary>Tabular: the time column that orders the CV folds; <c>none</c> for K-fold; null to infer.</summary>
    public string? Time { get; init; }

    /// <summary>Tabular: <c>regression</c> or <c>binary</c>; null to infer from the target's values.</summary>
    public string? Task { get; init; }

    /// <summary>The settings as cache-key entries (only those given: an inferred value follows the data's hash).</summary>
    public IEnumerable<KeyValuePair<string, string>> KeyEntries()
    {
        foreach (var (key, value) in new[] { ("profile", Profile), ("metric", Metric), ("id", Id), ("target", Target), ("time", Time), ("task", Task) })
        {
            if (value is not null)
            {
                yield return new("competition." + key, value);
            }
        }
    }
}

/// <summary>
/// A workspace's <c>esteira.yaml</c>, read once into records: every command, the CI generator and the gate use this one
/// model. Errors name the file, the line and the key. Values that commands and the environment may override are resolved
/// by <see cref="Resolve"/>: option, then environment variable, then this file, then the default.
/// </summary>
public sealed partial record WorkspaceConfig
{
    /// <summary>The workspace configuration file name, at the workspace root.</summary>
    public const string FileName = "esteira.yaml";
    /// <summary>The file name of an experiment's own settings, in the experiment folder.</summary>
    public const string ExperimentFile = "experiment.yaml";

    /// <summary>The environment variable that overrides <see cref="Tracking"/> (a CI secret: it may hold a password).</summary>
    public const string TrackingVariable = "ESTEIRA_TRACKING_URI";

    /// <summary>The environment variable that overrides <see cref="Artifacts"/>.</summary>
    public const string ArtifactsVariable = "ESTEIRA_ARTIFACTS_URI";

    /// <summary>The workspace folder (holds esteira.yaml).</summary>
    public required string Root { get; init; }

    /// <summary><c>dataset:</c> as written (a path relative to <see cref="Root"/>, <c>s3://…</c> or <c>kaggle://…</c>).</summary>
    public required string Dataset { get; init; }

    /// <summary><c>competition:</c>: the competition settings (defaults when the section is absent).</summary>
    public CompetitionSettings Competition { get; init; } = new();

    /// <summary><c>cv.folds</c>: the CV folds every experiment shares.</summary>
    public int Folds { get; init; } = 3;

    /// <summary><c>cv.seed</c>: the seed of the shared features stage.</summary>
    public int Seed { get; init; } = 42;

    /// <summary><c>quality.keep_flagged</c>.</summary>
    public bool KeepFlagged { get; init; }

    /// <summary><c>tracking:</c> (a URI, <c>{uri: …}</c> or <c>stores.tracking</c>); null: the embedded SQLite file.</summary>
    public string? Tracking { get; init; }

    /// <summary><c>artifacts:</c> (a URI, <c>{uri: …}</c> or <c>stores.artifacts</c>); null: none.</summary>
    public string? Artifacts { get; init; }

    /// <summary><c>deploy:</c> as a mapping (<c>deploy: kaggle</c> is read as <c>{target: kaggle}</c>); null when absent.</summary>
    public YamlMappingNode? Deploy { get; init; }

    /// <summary><c>gate:</c>, parsed by the gate itself; null when absent.</summary>
    public YamlMappingNode? Gate { get; init; }

    /// <summary><c>ci.image</c>.</summary>
    public string? CiImage { get; init; }

    /// <summary><c>ci.apt</c>: Debian package names.</summary>
    public IReadOnlyList<string> CiApt { get; init; } = [];

    /// <summary>The experiments: folders of <c>experiments/</c> that hold an experiment.yaml, in ordinal order.</summary>
    public IReadOnlyList<string> Experiments { get; init; } = [];

    /// <summary><c>deploy.target</c>; null for the default.</summary>
    public string? DeployTarget => Value(Deploy, "target");

    /// <summary><c>deploy.dest</c> of a folder target.</summary>
    public string? DeployFolder => Value(Deploy, "dest");

    /// <summary>The dataset as a full path, or the URI as written.</summary>
    public string DatasetPath => Dataset.Contains("://", StringComparison.Ordinal) ? Dataset : Path.GetFullPath(Path.Combine(Root, Dataset));

    /// <summary>The one resolution rule: the command's option, then the environment, then esteira.yaml, then the default.</summary>
    public static string? Resolve(string? option, string? environment, string? file, string? fallback = null) =>
        NonEmpty(option) ?? NonEmpty(environment) ?? NonEmpty(file) ?? fallback;

    /// <summary>The tracking store URI: <paramref name="option"/>, then ESTEIRA_TRACKING_URI, then <c>tracking:</c>; null means the default SQLite file.</summary>
    public static string? TrackingUri(WorkspaceConfig? config, string? option = null, Func<string, string?>? environment = null) =>
        Resolve(option, (environment ?? Environment.GetEnvironmentVariable)(TrackingVariable), config?.Tracking);

    /// <summary>The artifact store URI: <paramref name="option"/>, then ESTEIRA_ARTIFACTS_URI, then <c>artifacts:</c>; null when none.</summary>
    public static string? ArtifactsUri(WorkspaceConfig? config, string? option = null, Func<string, string?>? environment = null) =>
        Resolve(option, (environment ?? Environment.GetEnvironmentVariable)(ArtifactsVariable), config?.Artifacts);

    /// <summary>Finds esteira.yaml in <paramref name="start"/> or above; null when there is none.</summary>
    public static string? Find(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, FileName)))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>Reads <c>esteira.yaml</c> of <paramref name="root"/>; every error names file, line and key.</summary>
    public static WorkspaceConfig Load(string root)
    {
        var file = Path.Combine(root, FileName);
        var yaml = YamlFile.Load(file, FileName);
        yaml.AllowOnly("competition", "dataset", "metric", "cv", "quality", "tracking", "artifacts", "stores", "deploy", "gate", "ci");
        var dataset = yaml.String("dataset") ?? throw yaml.Missing("dataset", "a folder, .zip, s3://bucket/prefix or kaggle://COMPETITION");

        var cv = yaml.Mapping("cv");
        cv?.AllowOnly("folds", "seed");
        var quality = yaml.Mapping("quality");
        quality?.AllowOnly("keep_flagged");

        // tracking: URI | {uri: URI}; artifacts the same; stores: {tracking, artifacts} is another way to write both
        var stores = yaml.Mapping("stores");
        stores?.AllowOnly("tracking", "artifacts");

        // deploy: TARGET is short for deploy: {target: TARGET}
        var deploy = yaml.IsScalar("deploy") ? new YamlMappingNode { { "target", yaml.String("deploy")! } } : yaml.Mapping("deploy")?.Node;

        var ci = yaml.Mapping("ci");
        ci?.AllowOnly("image", "apt", "schedule");
        return new WorkspaceConfig
        {
            Root = root,
            Dataset = dataset,
            Competition = LoadCompetition(yaml),
            Folds = cv?.Int("folds", 1, 20) ?? 3,
            Seed = cv?.Int("seed", 0, int.MaxValue) ?? 42,
            KeepFlagged = quality?.Bool("keep_flagged") ?? false,
            Tracking = UriValue(yaml, "tracking") ?? (stores is null ? null : UriValue(stores, "tracking")),
            Artifacts = UriValue(yaml, "artifacts") ?? (stores is null ? null : UriValue(stores, "artifacts")),
            Deploy = deploy,
            Gate = yaml.Mapping("gate")?.Node,
            CiImage = ci?.String("image"),
            CiApt = ci?.StringList("apt", AptName(), "Debian package names such as jupyter-nbconvert") ?? [],
            Experiments = FindExperiments(root),
        };
    }

    /// <summary>Checks Debian package names (they go into a shell line).</summary>
    public static IReadOnlyList<string> CheckAptPackages(IReadOnlyList<string> packages, string where) =>
        packages.Select(p => AptName().IsMatch(p)
            ? p
            : throw new EsteiraException(ErrorCode.Usage, $"{where} '{p}': not a Debian package name; use names such as jupyter-nbconvert")).ToList();

    private static IReadOnlyList<string> FindExperiments(string root)
    {
        var folder = Path.Combine(root, "experiments");
        var names = Directory.Exists(folder)
            ? Directory.GetDirectories(folder).Where(d => File.Exists(Path.Combine(d, ExperimentFile))).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal).ToList()
            : [];
        if (names.Count == 0)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{Path.Combine(root, FileName)}: no experiments; add experiments/NAME/{ExperimentFile} (esteira init writes one)");
        }

        foreach (var name in names)
        {
            if (!ExperimentName().IsMatch(name))
            {
                throw new EsteiraException(ErrorCode.BadInput,
                    $"{Path.Combine("experiments", name, ExperimentFile)}: experiment name '{name}' may only hold letters, digits, '_', '.', '+', '-' (not first), at most 64 characters (it names CI jobs and paths); rename the folder");
            }
        }

        return names;
    }

    /// <summary><c>competition: NAME</c>, or a mapping with name, profile, metric, id, target, time and task; a top-level <c>metric:</c> also counts.</summary>
    private static CompetitionSettings LoadCompetition(YamlFile yaml)
    {
        var topMetric = yaml.String("metric") is { } m ? EvalMetric.Parse(m, yaml.Where("metric")).Name : null;
        if (yaml.IsScalar("competition") || yaml.Mapping("competition") is not { } c)
        {
            return new CompetitionSettings { Name = yaml.String("competition"), Metric = topMetric };
        }

        c.AllowOnly("name", "profile", "metric", "id", "target", "time", "task");
        var task = c.String("task");
        if (task is not null and not ("regression" or "binary"))
        {
            throw c.Bad("task", $"'{task}' is not a task", "use regression or binary");
        }

        return new CompetitionSettings
        {
            Name = c.String("name"),
            Profile = c.String("profile"),
            Metric = c.String("metric") is { } metric ? EvalMetric.Parse(metric, c.Where("metric")).Name : topMetric,
            Id = c.String("id"),
            Target = c.String("target"),
            Time = c.String("time"),
            Task = task,
        };
    }

    private static string? UriValue(YamlFile yaml, string key)
    {
        if (yaml.IsScalar(key) || yaml.Mapping(key) is not { } mapping)
        {
            return yaml.String(key);
        }

        mapping.AllowOnly("uri");
        return mapping.String("uri") ?? throw mapping.Missing("uri", "the store's URI");
    }

    private static string? Value(YamlMappingNode? mapping, string key) =>
        mapping is not null && mapping.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode { Value: { Length: > 0 } text } ? text.Trim() : null;

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    [GeneratedRegex("^[a-z0-9][a-z0-9+.-]+$")]
    private static partial Regex AptName();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}$")]
    private static partial Regex ExperimentName();
}
