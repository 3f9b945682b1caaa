using System.Globalization;
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
}

/// <summary>One experiment of a workspace: <c>experiments/NAME/experiment.yaml</c>.</summary>
public sealed record Experiment(string Name, string Folder, ExperimentKind Kind, GbmOptions Gbm, string? Command, int TimeoutSeconds, IReadOnlyDictionary<string, string> Definition)
{
    /// <summary>A notebook experiment's notebook, relative to <see cref="Folder"/>.</summary>
    public string? Notebook { get; init; }

    /// <summary>A notebook experiment's parameters, in the order of experiment.yaml.</summary>
    public IReadOnlyList<NotebookParameter> Parameters { get; init; } = [];
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
    public const string FileName = "esteira.yaml";
    public const string ExperimentFile = "experiment.yaml";

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

    /// <summary>Loads and checks the workspace at <paramref name="root"/>; every error names file, line and key.</summary>
    public static Workspace Load(string root)
    {
        var file = Path.Combine(root, FileName);
        var yaml = YamlFile.Load(file, FileName);
        yaml.AllowOnly("competition", "dataset", "metric", "cv", "quality", "tracking", "artifacts", "stores", "deploy", "gate", "ci");
        var dataset = yaml.String("dataset") ?? throw yaml.Missing("dataset", "a folder, .zip, s3://bucket/prefix or kaggle://COMPETITION");
        var competition = LoadCompetition(yaml);

        var cv = yaml.Mapping("cv");
        cv?.AllowOnly("folds", "seed");
        var folds = cv?.Int("folds", 1, 20) ?? 3;
        var seed = cv?.Int("seed", 0, int.MaxValue) ?? 42;
        var quality = yaml.Mapping("quality");
        quality?.AllowOnly("keep_flagged");
        var keepFlagged = quality?.Bool("keep_flagged") ?? false;

        // tracking: URI | {uri: URI}; artifacts the same; stores: {tracking, artifacts} is another way to write both
        var stores = yaml.Mapping("stores");
        stores?.AllowOnly("tracking", "artifacts");
        var tracking = UriValue(yaml, "tracking") ?? (stores is null ? null : UriValue(stores, "tracking"));
        var artifacts = UriValue(yaml, "artifacts") ?? (stores is null ? null : UriValue(stores, "artifacts"));

        // deploy: TARGET is short for deploy: {target: TARGET}
        var deploy = yaml.IsScalar("deploy")
            ? new YamlMappingNode { { "target", yaml.String("deploy")! } }
            : yaml.Mapping("deploy")?.Node;
        var experimentsRoot = Path.Combine(root, "experiments");
        var experiments = Directory.Exists(experimentsRoot)
            ? Directory.GetDirectories(experimentsRoot).Order(StringComparer.Ordinal)
                .Where(d => File.Exists(Path.Combine(d, ExperimentFile)))
                .Select(d => LoadExperiment(root, d)).ToList()
            : [];
        if (experiments.Count == 0)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{file}: no experiments; add experiments/NAME/{ExperimentFile} (esteira init writes one)");
        }

        var datasetPath = dataset.Contains("://", StringComparison.Ordinal) ? dataset : Path.GetFullPath(Path.Combine(root, dataset));
        var ci = yaml.Mapping("ci");
        ci?.AllowOnly("image", "apt", "schedule");
        return new Workspace(root, datasetPath, folds, keepFlagged, tracking, artifacts, yaml.Mapping("gate")?.Node, deploy, experiments)
        {
            CompetitionSettings = competition,
            Seed = seed,
        };
    }

    /// <summary><c>competition: NAME</c>, or a mapping with name, profile, metric, id, target, time and task; a top-level <c>metric:</c> also counts.</summary>
    private static CompetitionSettings LoadCompetition(YamlFile yaml)
    {
        var topMetric = yaml.String("metric");
        if (topMetric is not null)
        {
            EvalMetric.Parse(topMetric, yaml.Where("metric"));
        }

        if (!yaml.IsScalar("competition") && yaml.Mapping("competition") is { } c)
        {
            c.AllowOnly("name", "profile", "metric", "id", "target", "time", "task");
            var metric = c.String("metric") ?? topMetric;
            if (metric is not null)
            {
                metric = EvalMetric.Parse(metric, c.Where("metric")).Name;
            }

            var profile = c.String("profile");
            if (profile is not null && !CompetitionProfiles.All.Any(p => p.Name == profile))
            {
                throw c.Bad("profile", $"'{profile}' is not a profile", $"use one of {string.Join(", ", CompetitionProfiles.All.Select(p => p.Name))}, or remove it to recognise the dataset");
            }

            var task = c.String("task");
            if (task is not null and not ("regression" or "binary"))
            {
                throw c.Bad("task", $"'{task}' is not a task", "use regression or binary");
            }

            return new CompetitionSettings { Name = c.String("name"), Profile = profile, Metric = metric, Id = c.String("id"), Target = c.String("target"), Time = c.String("time"), Task = task };
        }

        return new CompetitionSettings { Name = yaml.String("competition"), Metric = topMetric is null ? null : EvalMetric.Parse(topMetric, yaml.Where("metric")).Name };
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
            _ => throw yaml.Bad("kind", $"'{kindText}' is not an experiment kind", "use lightgbm, command or notebook"),
        };
        var seed = yaml.Int("seed", 0, int.MaxValue) ?? 42;
        var gbm = new GbmOptions { Seed = seed };
        var p = yaml.Mapping("params");
        if (p is not null)
        {
            p.AllowOnly("iterations", "leaves", "learning_rate", "min_leaf_rows", "feature_fraction", "bagging_fraction", "l2", "max_bins", "max_train_rows", "threads");
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

        return new Experiment(name, folder, kind, gbm, command, timeout, definition) { Notebook = notebook, Parameters = parameters };
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

/// <summary>A YAML mapping that knows its file and reports errors as "file:line key 'a.b': problem; remedy".</summary>
internal sealed class YamlFile
{
    private readonly string _display;
    private readonly string _prefix;

    private YamlFile(string display, YamlMappingNode node, string prefix)
    {
        _display = display;
        Node = node;
        _prefix = prefix;
    }

    public YamlMappingNode Node { get; }

    public static YamlFile Load(string path, string display)
    {
        if (!File.Exists(path))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{display}: not found; run 'esteira init' or create it");
        }

        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{display}:{e.Start.Line}: not valid YAML ({FirstLine(e.Message)}); fix the syntax at that line");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner gives up this way on some malformed input (e.g. an unclosed '[').
            throw new EsteiraException(ErrorCode.BadInput, $"{display}: not valid YAML (an unclosed bracket or quote?); fix the syntax");
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{display}:1: expected a mapping of keys to values");
        }

        return new YamlFile(display, root, "");
    }

    public void AllowOnly(params string[] keys)
    {
        foreach (var (key, _) in Node.Children)
        {
            var name = (key as YamlScalarNode)?.Value ?? "";
            if (!keys.Contains(name))
            {
                throw new EsteiraException(ErrorCode.BadInput,
                    $"{_display}:{key.Start.Line} key '{_prefix}{name}': unknown key; expected one of {string.Join(", ", keys)}");
            }
        }
    }

    public YamlFile? Mapping(string key)
    {
        var node = Get(key);
        return node switch
        {
            null => null,
            YamlMappingNode m => new YamlFile(_display, m, _prefix + key + "."),
            _ => throw Bad(key, "expected a mapping (indented keys)", "indent the keys under it"),
        };
    }

    /// <summary>True when <paramref name="key"/> holds a single value (not a mapping or list, and present).</summary>
    public bool IsScalar(string key) => Get(key) is YamlScalarNode;

    /// <summary>"file:line key 'a.b'" for messages about <paramref name="key"/>.</summary>
    public string Where(string key) => $"{_display}:{(Get(key)?.Start.Line ?? Node.Start.Line)} key '{_prefix}{key}'";

    public string? String(string key)
    {
        var node = Get(key);
        return node switch
        {
            null => null,
            YamlScalarNode s when s.Value is { Length: > 0 } v => v,
            YamlScalarNode => null,
            _ => throw Bad(key, "expected a single value", "write it on one line"),
        };
    }

    public int? Int(string key, int min, int max)
    {
        var text = String(key);
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw Bad(key, $"'{text}' is not a whole number from {min} to {max}", "fix the value");
    }

    public double? Double(string key, double min, double max)
    {
        var text = String(key);
        if (text is null)
        {
            return null;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw Bad(key, $"'{text}' is not a number from {min} to {max}", "fix the value");
    }

    public bool? Bool(string key)
    {
        var text = String(key);
        return text switch
        {
            null => null,
            "true" or "yes" => true,
            "false" or "no" => false,
            _ => throw Bad(key, $"'{text}' is not true or false", "write true or false"),
        };
    }

    /// <summary>Every scalar under this mapping as "prefix.path" → value, for cache keys.</summary>
    public IEnumerable<KeyValuePair<string, string>> Flatten(string prefix) => Flatten(Node, prefix);

    public EsteiraException Bad(string key, string problem, string remedy)
    {
        var line = Get(key)?.Start.Line ?? Node.Start.Line;
        return new EsteiraException(ErrorCode.BadInput, $"{_display}:{line} key '{_prefix}{key}': {problem}; {remedy}");
    }

    public EsteiraException Missing(string key, string expected) =>
        new(ErrorCode.BadInput, $"{_display}:{Node.Start.Line} key '{_prefix}{key}': missing; expected {expected}");

    private YamlNode? Get(string key) =>
        Node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static IEnumerable<KeyValuePair<string, string>> Flatten(YamlNode node, string prefix) => node switch
    {
        YamlMappingNode m => m.Children.SelectMany(c => Flatten(c.Value, prefix + ((YamlScalarNode)c.Key).Value + ".")),
        YamlSequenceNode s => s.Children.SelectMany((c, i) => Flatten(c, prefix + i.ToString(CultureInfo.InvariantCulture) + ".")),
        YamlScalarNode v => [new(prefix.TrimEnd('.'), v.Value ?? "")],
        _ => [],
    };

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
