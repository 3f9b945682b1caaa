using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Esteira.Tracking;

/// <summary>Whether a smaller or a larger metric value is better.</summary>
public enum MetricDirection
{
    /// <summary>Lower is better (RMSLE, RMSE, loss).</summary>
    Minimize,

    /// <summary>Higher is better (accuracy, AUC).</summary>
    Maximize,
}

/// <summary>
/// The gate a challenger must pass to become champion, as declared under <c>gate:</c> in esteira.yaml.
/// Every threshold is optional; only the ones given become conditions.
/// </summary>
/// <remarks>
/// <code>
/// gate:
///   metric: cv_rmsle
///   direction: minimize          # default; 'maximize' when higher is better
///   max: 0.6                     # absolute: the metric must be ≤ 0.6 (min: for a floor)
///   min_improvement: 0.002       # over the champion, in metric units (positive = better)
///   min_relative_improvement: 0.0  # over the champion, as a fraction of the champion's value
///   max_fold_regression: 0.05    # no CV fold may be worse than the champion's same fold by more than this
///   max_flagged_fraction: 0.2    # data quality: at most this fraction of training rows flagged
/// </code>
/// </remarks>
public sealed record GateSpec
{
    /// <summary>The metric the gate reads (its summary value and per-fold values).</summary>
    public required string Metric { get; init; }

    /// <summary>Whether lower (the default) or higher values of <see cref="Metric"/> are better.</summary>
    public MetricDirection Direction { get; init; } = MetricDirection.Minimize;

    /// <summary>Absolute ceiling on the metric.</summary>
    public double? Max { get; init; }

    /// <summary>Absolute floor on the metric.</summary>
    public double? Min { get; init; }

    /// <summary>Least improvement over the champion, in metric units (positive means better).</summary>
    public double? MinImprovement { get; init; }

    /// <summary>Least improvement over the champion as a fraction of the champion's value.</summary>
    public double? MinRelativeImprovement { get; init; }

    /// <summary>Largest allowed regression on any CV fold against the champion's same fold, in metric units.</summary>
    public double? MaxFoldRegression { get; init; }

    /// <summary>Largest allowed fraction of training rows flagged by the data-quality screen.</summary>
    public double? MaxFlaggedFraction { get; init; }

    private static readonly string[] KnownKeys =
        ["metric", "direction", "max", "min", "min_improvement", "min_relative_improvement", "max_fold_regression", "max_flagged_fraction"];

    /// <summary>Parses a YAML document that is either the gate mapping itself or has it under a top-level <c>gate:</c> key.</summary>
    /// <param name="yaml">The YAML text.</param>
    /// <param name="source">The file name used in error messages.</param>
    public static GateSpec Parse(string yaml, string source = "esteira.yaml")
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw EsteiraException.BadInput(source, e.Start.Line, null, $"not valid YAML ({e.Message})", "fix the syntax");
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw EsteiraException.BadInput(source, null, null, "expected a mapping with a 'gate:' key", "see the gate example in the docs");
        }

        var gate = root.Children.TryGetValue(new YamlScalarNode("gate"), out var node) ? node : root;
        if (gate is not YamlMappingNode mapping)
        {
            throw EsteiraException.BadInput(source, gate.Start.Line, null, "'gate' is not a mapping", "write 'gate:' followed by indented keys such as 'metric: cv_rmsle'");
        }

        return FromYaml(mapping, source);
    }

    /// <summary>Reads the gate from its YAML mapping (the value of <c>gate:</c>), for callers that parse esteira.yaml themselves.</summary>
    /// <param name="mapping">The value of <c>gate:</c>.</param>
    /// <param name="source">The file, for error messages.</param>
    /// <param name="defaultMetric">The metric when the gate names none (a workspace's <c>cv_</c> + its competition metric).</param>
    /// <remarks>Without <c>direction</c>, a <c>cv_</c> metric of a known competition metric takes that metric's goal (<c>cv_auc</c>:
    /// maximize); any other metric is minimized.</remarks>
    public static GateSpec FromYaml(YamlMappingNode mapping, string source = "esteira.yaml", string? defaultMetric = null)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        string? metric = null;
        MetricDirection? direction = null;
        var numbers = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            var line = keyNode.Start.Line;
            if (!KnownKeys.Contains(key))
            {
                throw EsteiraException.BadInput(source, line, null, $"unknown gate key 'gate.{key}'", $"use one of: {string.Join(", ", KnownKeys)}");
            }

            var text = (valueNode as YamlScalarNode)?.Value;
            if (string.IsNullOrWhiteSpace(text))
            {
                throw EsteiraException.BadInput(source, valueNode.Start.Line, null, $"'gate.{key}' has no value", "give a single value, or remove the key");
            }

            switch (key)
            {
                case "metric":
                    metric = text.Trim();
                    break;
                case "direction":
                    direction = text.Trim().ToUpperInvariant() switch
                    {
                        "MINIMIZE" or "MINIMISE" => MetricDirection.Minimize,
                        "MAXIMIZE" or "MAXIMISE" => MetricDirection.Maximize,
                        _ => throw EsteiraException.BadInput(source, valueNode.Start.Line, null,
                            $"'gate.direction' is '{text}'", "write 'minimize' (lower is better, e.g. rmsle) or 'maximize'"),
                    };
                    break;
                default:
                    if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
                    {
                        throw EsteiraException.BadInput(source, valueNode.Start.Line, null, $"'gate.{key}' is '{text}', not a number", "write a number such as 0.05");
                    }

                    numbers[key] = number;
                    break;
            }
        }

        metric ??= defaultMetric;
        if (metric is null)
        {
            throw EsteiraException.BadInput(source, mapping.Start.Line, null, "the gate has no 'metric'", "add 'metric: cv_rmsle' (the metric the gate compares)");
        }

        direction ??= metric.StartsWith("cv_", StringComparison.Ordinal) && EvalMetric.Find(metric[3..]) is { Goal: MetricGoal.Maximize }
            ? MetricDirection.Maximize
            : MetricDirection.Minimize;

        if (numbers.TryGetValue("max_flagged_fraction", out var fraction) && fraction is < 0 or > 1)
        {
            throw EsteiraException.BadInput(source, mapping.Start.Line, null, $"'gate.max_flagged_fraction' is {fraction}", "give a fraction between 0 and 1");
        }

        if (numbers.TryGetValue("max_fold_regression", out var regression) && regression < 0)
        {
            throw EsteiraException.BadInput(source, mapping.Start.Line, null, $"'gate.max_fold_regression' is {regression}", "give a non-negative number in metric units");
        }

        double? Get(string key) => numbers.TryGetValue(key, out var v) ? v : null;
        return new GateSpec
        {
            Metric = Names.Check(metric, "gate.metric"),
            Direction = direction.Value,
            Max = Get("max"),
            Min = Get("min"),
            MinImprovement = Get("min_improvement"),
            MinRelativeImprovement = Get("min_relative_improvement"),
            MaxFoldRegression = Get("max_fold_regression"),
            MaxFlaggedFraction = Get("max_flagged_fraction"),
        };
    }
}
