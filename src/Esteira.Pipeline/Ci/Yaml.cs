using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.EventEmitters;

namespace Esteira.Pipeline.Ci;

/// <summary>Builds ordered YAML documents from plain maps and lists, and emits them safely quoted.</summary>
internal static partial class Yaml
{
    // Strings that a YAML 1.1 or 1.2 reader would take for a bool, null or number ("on", "yes", "123", "1e3") are quoted.
    private static readonly ISerializer Serializer = new SerializerBuilder()
        .WithQuotingNecessaryStrings(quoteYaml1_1Strings: true)
        .WithIndentedSequences()
        .WithNewLine("\n")
        .DisableAliases()
        .WithEventEmitter(next => new MultilineAsLiteral(next))
        .WithEventEmitter(next => new QuoteLookalikes(next))
        .Build();

    /// <summary>A mapping in the given key order; entries whose value is null are left out.</summary>
    public static OrderedDictionary<string, object> Map(params (string Key, object? Value)[] entries)
    {
        var map = new OrderedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var (key, value) in entries)
        {
            if (value is not null)
            {
                map.Add(key, value);
            }
        }

        return map;
    }

    /// <summary>A sequence; null items are left out.</summary>
    public static List<object> List(params object?[] items) => [.. items.OfType<object>()];

    /// <summary>The document as YAML text, after <paramref name="header"/> lines written as comments.</summary>
    public static string Emit(object document, IEnumerable<string> header)
    {
        var comments = string.Concat(header.Select(line => line.Length == 0 ? "#\n" : "# " + line + "\n"));
        return comments + Serializer.Serialize(document);
    }

    /// <summary>
    /// Quotes every string that some YAML reader could type as anything else: YamlDotNet's own check follows one
    /// YAML version (it leaves <c>1e3</c> plain, a float to YAML 1.2), so anything that starts like a number or
    /// is a bool/null word in 1.1 or 1.2 is double-quoted.
    /// </summary>
    private sealed partial class QuoteLookalikes(IEventEmitter next) : ChainedEventEmitter(next)
    {
        public override void Emit(ScalarEventInfo eventInfo, IEmitter emitter)
        {
            if (eventInfo.Source.Value is string text && (text.Length == 0 || Lookalike().IsMatch(text)))
            {
                eventInfo.Style = ScalarStyle.DoubleQuoted;
            }

            base.Emit(eventInfo, emitter);
        }

        [GeneratedRegex(@"^([-+.]?[0-9]|[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$|(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)$)")]
        private static partial Regex Lookalike();
    }

    /// <summary>Multi-line values (lists of paths, scripts) read best as literal blocks.</summary>
    private sealed class MultilineAsLiteral(IEventEmitter next) : ChainedEventEmitter(next)
    {
        public override void Emit(ScalarEventInfo eventInfo, IEmitter emitter)
        {
            if (eventInfo.Source.Value is string text && text.Contains('\n', StringComparison.Ordinal))
            {
                eventInfo.Style = ScalarStyle.Literal;
            }

            base.Emit(eventInfo, emitter);
        }
    }
}
