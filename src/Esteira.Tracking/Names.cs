namespace Esteira.Tracking;

/// <summary>Checks names and values at the public boundary so that stores can trust their inputs.</summary>
internal static class Names
{
    public const int MaxNameLength = 250;
    public const int MaxValueLength = 8000;

    public static string Check(string? name, string what)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{what} is empty; give a name of 1 to {MaxNameLength} characters");
        }

        if (name.Length > MaxNameLength || name.Any(char.IsControl) || name.Trim().Length != name.Length)
        {
            throw new EsteiraException(ErrorCode.BadInput,
                $"{what} '{Shorten(name)}' is not a valid name; use 1 to {MaxNameLength} characters without control characters or surrounding spaces");
        }

        return name;
    }

    public static string CheckValue(string? value, string what)
    {
        if (value is null)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{what} has no value; give a string (it may be empty)");
        }

        if (value.Length > MaxValueLength)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{what} is {value.Length} characters long; the limit is {MaxValueLength}, store long text as an artifact instead");
        }

        // A URI with a password must never be stored: mask it on the way in.
        return Secrets.MaskPasswords(value);
    }

    public static IReadOnlyDictionary<string, string> CheckMap(IReadOnlyDictionary<string, string>? map, string what)
    {
        var checkedMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in map ?? new Dictionary<string, string>())
        {
            Check(key, $"{what} name");
            checkedMap[key] = CheckValue(value, $"{what} '{key}'");
        }

        return checkedMap;
    }

    public static void CheckRunId(long runId)
    {
        if (runId <= 0)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"run id {runId} is not valid; run ids are positive integers (see 'esteira runs list')");
        }
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
