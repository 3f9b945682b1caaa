namespace Esteira.Artifacts;

/// <summary>Checks list prefixes: empty, or a key's beginning that could not escape the store.</summary>
internal static class ArtifactPrefix
{
    public static string Validate(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length == 0)
        {
            return prefix;
        }

        // A prefix is a key, possibly cut mid-segment or ending in '/'.
        var asKey = prefix.EndsWith('/') ? prefix[..^1] : prefix;
        try
        {
            ArtifactKeys.Validate(asKey);
        }
        catch (EsteiraException e)
        {
            throw new EsteiraException(ErrorCode.BadInput,
                $"artifact prefix '{prefix}' is not empty nor the start of a relative key (no '..', no leading '/', no backslash, no empty segment)", e);
        }

        return prefix;
    }
}
