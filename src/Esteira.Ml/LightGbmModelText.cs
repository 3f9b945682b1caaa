using System.Globalization;

namespace Esteira.Ml;

/// <summary>One tree of LightGBM's text model format, as the arrays it is written with.</summary>
/// <remarks>
/// Internal nodes are 0..leaves-2; a child &gt;= 0 is an internal node, a child &lt; 0 is leaf ~child. A single-leaf tree
/// has empty node arrays.
/// </remarks>
internal sealed record LightGbmTree(int[] Feature, double[] Threshold, int[] Decision, int[] Left, int[] Right, double[] LeafValue)
{
    /// <summary>
    /// Where a NaN goes at internal node <paramref name="node"/>: right when the model sends missing values right, or,
    /// when the feature had no missing values in training (LightGBM then reads NaN as 0), when 0 is above the threshold.
    /// </summary>
    public bool NanRight(int node)
    {
        var missing = (Decision[node] >> 2) & 3; // 0 none (NaN is read as 0), 2 NaN
        var defaultLeft = (Decision[node] & 2) != 0;
        return missing == 2 ? !defaultLeft : 0 > Threshold[node];
    }

    /// <summary>
    /// The float t such that LightGBM sends a float x right at the node exactly when x &gt; t. LightGBM compares
    /// <c>(double)x &lt;= threshold</c>, so t is the largest float not above the threshold, except near zero: its
    /// predictor reads every |x| &lt;= 1e-35 (kZeroThreshold) as 0, and it writes thresholds of ±1e-35 around the zero bin.
    /// A threshold in [-1e-35, 0) then sends all of [-1e-35, 1e-35] right (x &gt;= -1e-35); one in [0, 1e-35) sends it
    /// left (x &gt; 1e-35).
    /// </summary>
    public float FloatThreshold(int node)
    {
        const double zero = 1e-35f; // LightGBM's kZeroThreshold is the float 1e-35f, as a double
        var value = Threshold[node];
        if (value >= -zero && value < 0)
        {
            var below = FloatAtMost(-zero);
            return below == -zero ? MathF.BitDecrement(below) : below;
        }

        return FloatAtMost(value >= 0 && value < zero ? zero : value);
    }

    /// <summary>The largest float not above <paramref name="value"/>: for a float x, x ≤ it exactly when (double)x ≤ value.</summary>
    private static float FloatAtMost(double value)
    {
        var f = (float)value;
        return f > value ? MathF.BitDecrement(f) : f;
    }
}

/// <summary>Reads the trees of LightGBM's text model format for the compiled scorers.</summary>
internal static class LightGbmModelText
{
    /// <summary>
    /// The model's feature count and trees; null when the model uses something the compiled scorers do not (categorical
    /// splits, zero-as-missing, linear trees, several trees per iteration, an objective with an output transform).
    /// </summary>
    public static (int Features, List<LightGbmTree> Trees)? TryParse(string modelText)
    {
        var lines = modelText.Split('\n');
        var header = Fields(lines, 0, out var firstTree);
        var objective = header.GetValueOrDefault("objective", "");
        if (!header.TryGetValue("max_feature_idx", out var maxFeature) || header.GetValueOrDefault("num_tree_per_iteration", "1") != "1"
            || !objective.StartsWith("regression", StringComparison.Ordinal) || objective.Contains("sqrt", StringComparison.Ordinal))
        {
            return null;
        }

        var trees = new List<LightGbmTree>();
        for (var at = firstTree; at < lines.Length && lines[at].StartsWith("Tree=", StringComparison.Ordinal);)
        {
            var tree = Fields(lines, at + 1, out at);
            if (tree.GetValueOrDefault("num_cat", "0") != "0" || tree.GetValueOrDefault("is_linear", "0") != "0")
            {
                return null;
            }

            var leafValue = Doubles(tree["leaf_value"]);
            if (int.Parse(tree["num_leaves"], CultureInfo.InvariantCulture) == 1)
            {
                trees.Add(new LightGbmTree([], [], [], [], [], leafValue));
                continue;
            }

            var decision = Ints(tree["decision_type"]);
            if (decision.Any(d => (d & 1) != 0 || ((d >> 2) & 3) == 1))
            {
                return null; // categorical or zero-as-missing
            }

            trees.Add(new LightGbmTree(Ints(tree["split_feature"]), Doubles(tree["threshold"]), decision, Ints(tree["left_child"]),
                Ints(tree["right_child"]), leafValue));
        }

        return trees.Count == 0 ? null : (int.Parse(maxFeature, CultureInfo.InvariantCulture) + 1, trees);
    }

    /// <summary>The key=value lines from <paramref name="from"/> to the next blank line; <paramref name="next"/> is the first line after the blank ones.</summary>
    private static Dictionary<string, string> Fields(string[] lines, int from, out int next)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var at = from;
        for (; at < lines.Length && lines[at].TrimEnd('\r').Length > 0; at++)
        {
            var line = lines[at].TrimEnd('\r');
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                fields[line[..eq]] = line[(eq + 1)..];
            }
        }

        while (at < lines.Length && lines[at].TrimEnd('\r').Length == 0)
        {
            at++;
        }

        next = at;
        return fields;
    }

    private static int[] Ints(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();

    private static double[] Doubles(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Double).ToArray();

    /// <summary>A number as C++ streams print it: LightGBM writes infinite thresholds as inf and -inf.</summary>
    private static double Double(string text) => text switch
    {
        "inf" or "+inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        "nan" or "-nan" => double.NaN,
        _ => double.Parse(text, CultureInfo.InvariantCulture),
    };
}
