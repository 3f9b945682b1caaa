using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Esteira.Config;

/// <summary>A YAML mapping that knows its file and reports errors as "file:line key 'a.b': problem; remedy".</summary>
public sealed class YamlFile
{
    private readonly string _display;
    private readonly string _prefix;

    private YamlFile(string display, YamlMappingNode node, string prefix)
    {
        _display = display;
        Node = node;
        _prefix = prefix;
    }

    /// <summary>The underlying YAML mapping this object reads.</summary>
    public YamlMappingNode Node { get; }

    /// <summary>Reads the YAML file at <paramref name="path"/> (named <paramref name="display"/> in errors); throws a bad-input <see cref="EsteiraException"/> when it is missing, not valid YAML or not a mapping.</summary>
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

    /// <summary>Throws a bad-input error naming the line when this mapping holds a key other than <paramref name="keys"/>.</summary>
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

    /// <summary>The nested mapping under <paramref name="key"/> (its errors name the dotted key path); null when absent; throws when the value is not a mapping.</summary>
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

    /// <summary>A list of single values, each matching <paramref name="pattern"/>; null when the key is absent.</summary>
    public IReadOnlyList<string>? StringList(string key, System.Text.RegularExpressions.Regex pattern, string expected) => Get(key) switch
    {
        null => null,
        YamlSequenceNode list => list.Children.Select(c => c is YamlScalarNode { Value: { Length: > 0 } v } && pattern.IsMatch(v)
            ? v
            : throw new EsteiraException(ErrorCode.BadInput, $"{_display}:{c.Start.Line} key '{_prefix}{key}': '{(c as YamlScalarNode)?.Value}' is not one of {expected}; fix or remove it")).ToList(),
        _ => throw Bad(key, $"expected a list of {expected}", "write it as [a, b]"),
    };

    /// <summary>True when <paramref name="key"/> holds a single value (not a mapping or list, and present).</summary>
    public bool IsScalar(string key) => Get(key) is YamlScalarNode;

    /// <summary>"file:line key 'a.b'" for messages about <paramref name="key"/>.</summary>
    public string Where(string key) => $"{_display}:{(Get(key)?.Start.Line ?? Node.Start.Line)} key '{_prefix}{key}'";

    /// <summary>The single value under <paramref name="key"/>; null when absent or empty; throws when it is a mapping or list.</summary>
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

    /// <summary>The whole number under <paramref name="key"/>, which must lie in [<paramref name="min"/>, <paramref name="max"/>]; null when absent.</summary>
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

    /// <summary>The number under <paramref name="key"/> (invariant culture), which must lie in [<paramref name="min"/>, <paramref name="max"/>]; null when absent.</summary>
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

    /// <summary>The boolean under <paramref name="key"/> (true/yes or false/no); null when absent.</summary>
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

    /// <summary>A bad-input error for <paramref name="key"/> as "file:line key 'a.b': problem; remedy", for the caller to throw.</summary>
    public EsteiraException Bad(string key, string problem, string remedy)
    {
        var line = Get(key)?.Start.Line ?? Node.Start.Line;
        return new EsteiraException(ErrorCode.BadInput, $"{_display}:{line} key '{_prefix}{key}': {problem}; {remedy}");
    }

    /// <summary>A bad-input error saying the required <paramref name="key"/> is missing and what value was <paramref name="expected"/>.</summary>
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
