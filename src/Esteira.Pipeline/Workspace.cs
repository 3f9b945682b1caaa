using Esteira.Config;
using Esteira.Ml;
using Esteira.Pipeline.Profiles;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Esteira.Pipeline;

/// <summary>How an experiment produces predictions.</summary>
public enum ExperimentKind
{
    /// <summary>Esteira's built-in LightGBM on the prepared features.</summary>
    LightGbm,

    /// <summary>Any program that follows the contract in docs/contract.md.</summary>
    Command,

    /// <summary>A Jupyter notebook run headless by nbconvert, under the same contract as a command.</summary>
    Notebook,

    /// <summary>The naive baseline: per series, the last weeks' statistic per weekday × hour (<c>recent_profile</c>).</summary>
    RecentProfile,

    /// <summary>The seasonal baseline: per series, the statistic per weekday × hour over all training (<c>profile</c>).</summary>
    Profile,
}

/// <summary>One experiment of a workspace: <c>experiments/NAME/experiment.yaml</c>.</summary>
public sealed record Experiment(string Name, string Folder, ExperimentKind Kind, GbmOptions Gbm, string? Command, int TimeoutSeconds, IReadOnlyDictionary<string, string> Definition)
{
    /// <summary>A notebook experiment's notebook, relative to <see cref="Folder"/>.</summary>
    public string? Notebook { get; init; }

    /// <summary>A notebook experiment's parameters, in the order of experiment.yaml.</summary>
    public IReadOnlyList<NotebookParameter> Parameters { get; init; } = [];

    /// <summary>A <c>recent_profile</c> or <c>profile</c> experiment's window and statistic.</summary>
    public Baselines.ProfileOptions? Baseline { get; init; }
}

/// <summary>A workspace: <c>esteira.yaml</c> and its experiments.</summary>
public sealed record Workspace(
    string Root,
    string Dataset,
    int Folds,
    bool KeepFlagged,
    string? Tracking,
    string? Artifacts,
    YamlMappingNode? Gate,
    YamlMappingNode? Deploy,
    IReadOnlyList<Experiment> Experiments)
{
    /// <summary>The workspace's configuration file, esteira.yaml.</summary>
    public const string FileName = WorkspaceConfig.FileName;
    /// <summary>The file that marks a folder under the workspace as an experiment.</summary>
    public const string ExperimentFile = WorkspaceConfig.ExperimentFile;

    /// <summary>The workspace's .esteira folder: cache, temporary outputs, state and lock.</summary>
    public string StateFolder => Path.Combine(Root, ".esteira");

    /// <summary>The competition: its name, profile, metric and (tabular) columns; <c>competition:</c> in esteira.yaml.</summary>
    public CompetitionSettings CompetitionSettings { get; init; } = new();

    /// <summary>The seed of the shared features stage (<c>cv.seed</c>): the training rows' history cutoffs.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>The competition profile: the one named in esteira.yaml, else the one that recognises the dataset.</summary>
    /// <remarks>Resolve a remote dataset first (it must be a local folder or .zip to be recognised).</remarks>
    public ICompetitionProfile Profile => CompetitionProfiles.Resolve(CompetitionSettings.Profile, Dataset);

    /// <summary>The registered model whose champion every experiment of the workspace competes with.</summary>
    public string ChampionModel => CompetitionSettings.Name ?? DefaultModel;

    /// <summary>The champion's model name when esteira.yaml names no competition.</summary>
    public const string DefaultModel = "workspace";

    /// <summary>Finds esteira.yaml in <paramref name="start"/> or above; null when there is none.</summary>
    public static string? Find(string start) => WorkspaceConfig.Find(start);

    /// <summary>esteira.yaml as read (null for the implicit workspace of a run outside any workspace).</summary>
    public WorkspaceConfig? Config { get; init; }

    /// <summary>Loads and checks the workspace at <paramref name="root"/>; every error names file, line and key.</summary>
    public static Workspace Load(string root)
    {
        var config = WorkspaceConfig.Load(root);
        var experiments = config.Experiments.Select(name => LoadExperiment(root, Path.Combine(root, "experiments", name))).ToList();
        return new Workspace(root, config.DatasetPath, config.Folds, config.KeepFlagged, config.Tracking, config.Artifacts, config.Gate, config.Deploy, experiments)
        {
            CompetitionSettings = config.Competition,
            Seed = config.Seed,
            Config = config,
        };
    }

    private static Experiment LoadExperiment(string root, string folder)
    {
        var name = Path.GetFileName(folder);
        var display = Path.GetRelativePath(root, Path.Combine(folder, ExperimentFile));
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z0-9_][A-Za-z0-9_.+-]*$"))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{display}: experiment name '{name}' may only hold letters, digits, '_', '.', '+', '-'; rename the folder");
        }

        var yaml = YamlFile.Load(Path.Combine(folder, ExperimentFile), display);
        yaml.AllowOnly("kind", "seed", "params", "command", "notebook", "parameters", "timeout", "description");
        var kindText = yaml.String("kind") ?? "lightgbm";
        var kind = kindText switch
        {
            "lightgbm" => ExperimentKind.LightGbm,
            "command" => ExperimentKind.Command,
            "notebook" => ExperimentKind.Notebook,
            "recent_profile" => ExperimentKind.RecentProfile,
            "profile" => ExperimentKind.Profile,
            _ => throw yaml.Bad("kind", $"'{kindText}' is not an experiment kind", "use lightgbm, command, notebook, recent_profile or profile"),
        };
        var seed = yaml.Int("seed", 0, int.MaxValue) ?? 42;
        var gbm = new GbmOptions { Seed = seed };
        var p = yaml.Mapping("params");
        var baseline = kind switch
        {
            ExperimentKind.RecentProfile => LoadProfileOptions(p, Baselines.ProfileOptions.Recent),
            ExperimentKind.Profile => LoadProfileOptions(p, Baselines.ProfileOptions.AllHistory),
            _ => null,
        };
        if (p is not null && baseline is null)
        {
            p.AllowOnly("tune", "iterations", "leaves", "learning_rate", "min_leaf_rows", "feature_fraction", "bagging_fraction", "l2", "max_bins", "max_train_rows", "threads");
            gbm = gbm with
            {
                Iterations = p.Int("iterations", 1, 100_000) ?? gbm.Iterations,
                Leaves = p.Int("leaves", 2, 131_072) ?? gbm.Leaves,
                LearningRate = p.Double("learning_rate", 1e-6, 1) ?? gbm.LearningRate,
                MinLeafRows = p.Int("min_leaf_rows", 1, 1_000_000) ?? gbm.MinLeafRows,
                FeatureFraction = p.Double("feature_fraction", 0.01, 1) ?? gbm.FeatureFraction,
                BaggingFraction = p.Double("bagging_fraction", 0.01, 1) ?? gbm.BaggingFraction,
                L2 = p.Double("l2", 0, 1e6) ?? gbm.L2,
                MaxBins = p.Int("max_bins", 2, 65_535) ?? gbm.MaxBins,
                MaxTrainRows = p.Int("max_train_rows", 0, int.MaxValue) ?? gbm.MaxTrainRows,
                Threads = p.Int("threads", 0, 1024) ?? gbm.Threads,
            };
        }

        // tabular: leaves and iterations are chosen on CV unless the experiment fixes either (or says tune: false)
        gbm = gbm with { Tune = p?.Bool("tune") ?? (p?.String("leaves") is null && p?.String("iterations") is null) };

        var command = yaml.String("command");
        if (kind == ExperimentKind.Command && string.IsNullOrWhiteSpace(command))
        {
            throw yaml.Missing("command", "the program to run, e.g. python3 train.py");
        }

        var (notebook, parameters) = LoadNotebook(yaml, kind, folder);
        var timeout = yaml.Int("timeout", 1, 7 * 24 * 3600) ?? 3600;
        var definition = new Dictionary<string, string>(yaml.Flatten("experiment."), StringComparer.Ordinal)
        {
            ["experiment.kind"] = kindText,

            // Two experiments never share an entry, even with identical definitions: each is its own result.
            ["experiment.name"] = name,
        };
        if (kind is ExperimentKind.Command or ExperimentKind.Notebook)
        {
            // A command or notebook experiment's code is part of its definition: hash every file beside experiment.yaml
            // (Jupyter's autosaved checkpoints aside).
            foreach (var f in Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var relative = Path.GetRelativePath(folder, f);
                if (!relative.StartsWith("out", StringComparison.Ordinal) && !relative.Contains("__pycache__", StringComparison.Ordinal)
                    && !relative.Contains(".ipynb_checkpoints", StringComparison.Ordinal))
                {
                    definition["code:" + relative] = Hash(f);
                }
            }
        }

        if (notebook is not null)
        {
            // The notebook may live outside the folder (../shared/train.ipynb); the literals keep 1 and "1" apart.
            definition["notebook:" + notebook] = Hash(Path.Combine(folder, notebook));
            foreach (var parameter in parameters)
            {
                definition["notebook.parameter." + parameter.Name] = parameter.PythonLiteral;
            }
        }

        return new Experiment(name, folder, kind, gbm, command, timeout, definition) { Notebook = notebook, Parameters = parameters, Baseline = baseline };
    }

    private static Baselines.ProfileOptions LoadProfileOptions(YamlFile? p, Baselines.ProfileOptions defaults)
    {
        if (p is null)
        {
            return defaults;
        }

        p.AllowOnly("weeks", "statistic");
        var statistic = p.String("statistic") switch
        {
            null => defaults.Statistic,
            "median" => Baselines.ProfileStatistic.Median,
            "mean" => Baselines.ProfileStatistic.Mean,
            var other => throw p.Bad("statistic", $"'{other}' is not a profile statistic", "use median or mean"),
        };
        return new Baselines.ProfileOptions(p.Int("weeks", 0, 520) ?? defaults.Weeks, statistic);
    }

    private static string Hash(string file) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file)));

    private static (string? Notebook, List<NotebookParameter> Parameters) LoadNotebook(YamlFile yaml, ExperimentKind kind, string folder)
    {
        var notebook = yaml.String("notebook");
        var mapping = yaml.Mapping("parameters");
        if (kind != ExperimentKind.Notebook)
        {
            return notebook is not null ? throw yaml.Bad("notebook", "only a notebook experiment has a notebook", "remove it or write kind: notebook")
                : mapping is not null ? throw yaml.Bad("parameters", "only a notebook experiment has parameters", "remove them or write kind: notebook")
                : (null, []);
        }

        if (string.IsNullOrWhiteSpace(notebook))
        {
            throw yaml.Missing("notebook", "the notebook to run, relative to the experiment's folder, e.g. train.ipynb");
        }

        if (!File.Exists(Path.Combine(folder, notebook)))
        {
            throw yaml.Bad("notebook", $"'{notebook}' not found beside experiment.yaml", "fix the path (relative to the experiment's folder)");
        }

        var parameters = new List<NotebookParameter>();
        foreach (var (key, value) in mapping?.Node.Children ?? Enumerable.Empty<KeyValuePair<YamlNode, YamlNode>>())
        {
            var name = ((YamlScalarNode)key).Value ?? "";
            if (!NotebookParameters.IsIdentifier(name))
            {
                throw mapping!.Bad(name, $"'{name}' is not a Python variable name", "use letters, digits and '_', not starting with a digit");
            }

            if (value is not YamlScalarNode scalar)
            {
                throw mapping!.Bad(name, "expected a single value (number, true/false or text)", "write it on one line");
            }

            var quoted = scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded;
            parameters.Add(new NotebookParameter(name, NotebookParameters.ToPython(scalar.Value ?? "", quoted)));
        }

        return (notebook, parameters);
    }
}
