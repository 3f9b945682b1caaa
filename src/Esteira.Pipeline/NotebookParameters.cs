using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Esteira.Pipeline;

/// <summary>One notebook parameter: a Python identifier and its value as a Python literal.</summary>
public sealed record NotebookParameter(string Name, string PythonLiteral);

/// <summary>
/// Parameter injection as papermill does it: a code cell tagged <c>injected-parameters</c> that assigns every
/// parameter goes right after the cell tagged <c>parameters</c> (its defaults), or at the top when no cell is tagged.
/// Pure functions: notebook JSON in, notebook JSON out.
/// </summary>
public static partial class NotebookParameters
{
    /// <summary>The tag of the cell holding the notebook's default parameters.</summary>
    public const string ParametersTag = "parameters";
    /// <summary>The tag of the cell Esteira inserts with the run's parameters.</summary>
    public const string InjectedTag = "injected-parameters";

    private static readonly HashSet<string> PythonKeywords = new(StringComparer.Ordinal)
    {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else",
        "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
        "return", "try", "while", "with", "yield",
    };

    /// <summary>True when <paramref name="name"/> can be assigned in Python (an ASCII identifier, not a keyword).</summary>
    public static bool IsIdentifier(string name) => IdentifierPattern().IsMatch(name) && !PythonKeywords.Contains(name);

    /// <summary>
    /// The Python literal for a YAML scalar, typed as YAML 1.2's core schema does for plain scalars: integers, floats,
    /// true/false (→ True/False), null/~ (→ None); anything else, and every quoted scalar, is a string.
    /// </summary>
    public static string ToPython(string value, bool quoted)
    {
        if (!quoted)
        {
            switch (value)
            {
                case "true" or "True" or "TRUE":
                    return "True";
                case "false" or "False" or "FALSE":
                    return "False";
                case "" or "~" or "null" or "Null" or "NULL":
                    return "None";
                case ".inf" or "+.inf" or ".Inf" or "+.Inf" or ".INF" or "+.INF":
                    return "float('inf')";
                case "-.inf" or "-.Inf" or "-.INF":
                    return "float('-inf')";
                case ".nan" or ".NaN" or ".NAN":
                    return "float('nan')";
            }

            if (IntegerPattern().IsMatch(value))
            {
                // Python refuses leading zeros ("007"); the value is what counts.
                return BigInteger.Parse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
            }

            if (FloatPattern().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            {
                var text = d.ToString("R", CultureInfo.InvariantCulture);
                return text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.Ordinal) ? text : text + ".0";
            }
        }

        return PythonString(value);
    }

    /// <summary>
    /// A double-quoted Python string literal with JSON-style escapes (<c>\"</c>, <c>\\</c>, <c>\n</c>, <c>\uXXXX</c> for
    /// other control characters and lone surrogates); every other character is kept as it is.
    /// </summary>
    public static string PythonString(string value)
    {
        var b = new StringBuilder(value.Length + 2).Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                    {
                        b.Append(c).Append(value[++i]);
                    }
                    else if (c < ' ' || c == '\x7f' || char.IsSurrogate(c))
                    {
                        b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        b.Append(c);
                    }

                    break;
            }
        }

        return b.Append('"').ToString();
    }

    /// <summary>The source of the injected cell: a comment line, then one assignment per parameter.</summary>
    public static string CellSource(IReadOnlyList<NotebookParameter> parameters) =>
        "# Parameters injected by Esteira (experiment.yaml)\n" + string.Join("\n", parameters.Select(p => $"{p.Name} = {p.PythonLiteral}"));

    /// <summary>
    /// Returns <paramref name="notebookJson"/> with the parameters cell injected (replacing any earlier injected cell).
    /// Throws <see cref="EsteiraException"/> (bad input) when the text is not an nbformat 4 notebook.
    /// </summary>
    public static string Inject(string notebookJson, IReadOnlyList<NotebookParameter> parameters, string display)
    {
        JsonObject notebook;
        try
        {
            notebook = JsonNode.Parse(notebookJson) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{display}: not a notebook ({FirstLine(e.Message)}); save it from Jupyter as .ipynb (nbformat 4)");
        }

        if (notebook["nbformat"]?.GetValueKind() != JsonValueKind.Number || notebook["nbformat"]!.GetValue<int>() != 4 || notebook["cells"] is not JsonArray cells)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{display}: not an nbformat 4 notebook (no 'nbformat': 4 or no 'cells'); save it from Jupyter as .ipynb");
        }

        for (var i = cells.Count - 1; i >= 0; i--)
        {
            if (HasTag(cells[i], InjectedTag))
            {
                cells.RemoveAt(i);
            }
        }

        var tagged = -1;
        for (var i = 0; i < cells.Count && tagged < 0; i++)
        {
            if (HasTag(cells[i], ParametersTag))
            {
                tagged = i;
            }
        }

        var source = CellSource(parameters).Split('\n');
        var cell = new JsonObject
        {
            ["cell_type"] = "code",
            ["execution_count"] = null,
            ["metadata"] = new JsonObject { ["tags"] = new JsonArray(InjectedTag) },
            ["outputs"] = new JsonArray(),
            ["source"] = new JsonArray(source.Select((line, i) => (JsonNode?)JsonValue.Create(i < source.Length - 1 ? line + "\n" : line)).ToArray()),
        };
        if ((notebook["nbformat_minor"]?.GetValueKind() == JsonValueKind.Number ? notebook["nbformat_minor"]!.GetValue<int>() : 0) >= 5)
        {
            // nbformat 4.5 gives every cell a unique id.
            var ids = cells.Select(c => (c as JsonObject)?["id"]?.ToString()).ToHashSet(StringComparer.Ordinal);
            var id = InjectedTag;
            for (var n = 2; ids.Contains(id); n++)
            {
                id = $"{InjectedTag}-{n}";
            }

            cell.Insert(0, "id", id);
        }

        cells.Insert(tagged + 1, cell);
        // Not EsteiraJson: nbformat's keys are kept as they are, and Jupyter's own one-space indent keeps diffs small.
        return notebook.ToJsonString(new JsonSerializerOptions { WriteIndented = true, IndentSize = 1, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    private static bool HasTag(JsonNode? cell, string tag) =>
        cell is JsonObject c && c["metadata"] is JsonObject m && m["tags"] is JsonArray tags
        && tags.Any(t => t?.GetValueKind() == JsonValueKind.String && t.GetValue<string>() == tag);

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
