using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Esteira.Ci;

/// <summary>Reads a <see cref="WorkspaceShape"/> from a workspace folder.</summary>
/// <remarks>
/// From <c>esteira.yaml</c> only these keys are read (everything else is left to the commands that own it):
/// <c>tracking</c> (a URI, or a mapping with <c>uri</c>), <c>artifacts</c> (a URI, or a mapping with <c>uri</c>),
/// <c>stores: {tracking, artifacts}</c> as an alternative spelling, and <c>deploy</c> (a target name, or a mapping
/// with <c>target</c>). Experiments are the folders of <c>experiments/</c> that hold an <c>experiment.yaml</c>.
/// Without an esteira.yaml the shape is <see cref="WorkspaceShape.Default"/>.
/// </remarks>
public static partial class WorkspaceShapeReader
{
    /// <summary>The workspace file name.</summary>
    public const string FileName = "esteira.yaml";

    /// <summary>Reads the shape of the workspace in <paramref name="folder"/>.</summary>
    /// <exception cref="EsteiraException">esteira.yaml is malformed, or names no experiment (<see cref="ErrorCode.BadInput"/>).</exception>
    public static WorkspaceShape Read(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var file = Path.Combine(folder, FileName);
        if (!File.Exists(file))
        {
            return WorkspaceShape.Default;
        }

        var root = Load(file);
        var tracking = Uri(root, file, "tracking") ?? Uri(Child(root, file, "stores"), file, "tracking");
        var artifacts = Uri(root, file, "artifacts") ?? Uri(Child(root, file, "stores"), file, "artifacts");
        var deploy = Child(root, file, "deploy") switch
        {
            null => null,
            YamlScalarNode scalar => NonEmpty(scalar.Value),
            YamlMappingNode => Scalar(Child(root, file, "deploy"), file, "target"),
            var other => throw Bad(file, other, "deploy", "a target name or a mapping with 'target'"),
        };

        var ci = Child(root, file, "ci");
        var apt = Child(ci, file, "apt") switch
        {
            null => [],
            YamlSequenceNode list => list.Children.Select(c => c is YamlScalarNode { Value: { Length: > 0 } v } && AptName().IsMatch(v)
                ? v
                : throw Bad(file, c, "ci.apt", "Debian package names such as jupyter-nbconvert")).ToList(),
            var other => throw Bad(file, other, "ci.apt", "a list of Debian package names, e.g. [jupyter-nbconvert, python3-ipykernel]"),
        };
        var dest = Child(root, file, "deploy") is YamlMappingNode ? Scalar(Child(root, file, "deploy"), file, "dest") : null;
        return new WorkspaceShape(Experiments(folder, file), SchemeOf(tracking), S3Only(artifacts), deploy)
        {
            Image = Scalar(ci, file, "image"),
            AptPackages = apt,
            DeployFolder = dest,
        };
    }

    private static IReadOnlyList<string> Experiments(string folder, string file)
    {
        var experiments = Path.Combine(folder, "experiments");
        var names = Directory.Exists(experiments)
            ? Directory.EnumerateDirectories(experiments)
                .Where(d => File.Exists(Path.Combine(d, "experiment.yaml")))
                .Select(d => Path.GetFileName(d))
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];
        if (names.Count == 0)
        {
            throw new EsteiraException(ErrorCode.BadInput,
                $"{file} is here but no folder of {experiments} holds an experiment.yaml; add one (esteira init scaffolds experiments/baseline)");
        }

        foreach (var name in names)
        {
            WorkspaceShape.ValidateExperimentName(name, Path.Combine(experiments, name));
        }

        return names;
    }

    private static YamlMappingNode? Load(string file)
    {
        try
        {
            using var reader = new StreamReader(file);
            var stream = new YamlStream();
            stream.Load(reader);
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            {
                return null;
            }

            return stream.Documents[0].RootNode as YamlMappingNode
                ?? throw EsteiraException.BadInput(file, stream.Documents[0].RootNode.Start.Line, null, "the document is not a mapping of keys", "write 'key: value' lines at the top level");
        }
        catch (YamlException e)
        {
            throw EsteiraException.BadInput(file, e.Start.Line, null, $"not valid YAML ({e.Message})", "fix the syntax");
        }
    }

    private static YamlNode? Child(YamlNode? parent, string file, string key)
    {
        if (parent is null)
        {
            return null;
        }

        if (parent is not YamlMappingNode mapping)
        {
            throw Bad(file, parent, key, "a mapping");
        }

        return mapping.Children.TryGetValue(new YamlScalarNode(key), out var child) && child is not YamlScalarNode { Value: null or "" or "~" or "null" } ? child : null;
    }

    private static string? Uri(YamlNode? parent, string file, string key) => Child(parent, file, key) switch
    {
        null => null,
        YamlScalarNode scalar => NonEmpty(scalar.Value),
        YamlMappingNode mapping => Scalar(mapping, file, "uri"),
        var other => throw Bad(file, other, key, "a URI or a mapping with 'uri'"),
    };

    private static string? Scalar(YamlNode? parent, string file, string key) => Child(parent, file, key) switch
    {
        null => null,
        YamlScalarNode scalar => NonEmpty(scalar.Value),
        var other => throw Bad(file, other, key, "a single value"),
    };

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

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

    private static EsteiraException Bad(string file, YamlNode node, string key, string expected) =>
        EsteiraException.BadInput(file, node.Start.Line, key, $"expected {expected}", $"fix '{key}' or remove it");

    /// <summary>Throws unless every entry is a Debian package name (they go into a shell line).</summary>
    public static IReadOnlyList<string> CheckAptPackages(IReadOnlyList<string> packages, string where) =>
        packages.Select(p => AptName().IsMatch(p)
            ? p
            : throw new EsteiraException(ErrorCode.Usage, $"{where} '{p}': not a Debian package name; use names such as jupyter-nbconvert")).ToList();

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9+.-]+$")]
    private static partial System.Text.RegularExpressions.Regex AptName();
}
