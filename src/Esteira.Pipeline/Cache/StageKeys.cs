using System.Security.Cryptography;
using System.Text;

namespace Esteira.Pipeline.Cache;

/// <summary>
/// Canonical form of a stage's inputs and its key: inputs are flat name → value pairs (file hashes as
/// <c>file:train.csv</c>, parameters as <c>params.leaves</c>, upstream stages as <c>stage:features</c>),
/// sorted ordinally and written one per line, so that the key never depends on order, culture or formatting.
/// </summary>
public static class StageKeys
{
    /// <summary>The canonical text of <paramref name="inputs"/>.</summary>
    public static string Canonical(IReadOnlyDictionary<string, string> inputs)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in inputs.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            // Length-prefixing makes the encoding unambiguous whatever the names and values contain.
            text.Append(name.Length).Append(':').Append(name).Append('=').Append(value.Length).Append(':').Append(value).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>SHA-256 of the canonical inputs, lowercase hex.</summary>
    public static string Key(IReadOnlyDictionary<string, string> inputs) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(inputs))));
}
