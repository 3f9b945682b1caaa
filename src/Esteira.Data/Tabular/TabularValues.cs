using System.Globalization;

namespace Esteira.Data.Tabular;

/// <summary>How the tabular profile reads one cell: missing-value tokens, numbers and dates, all culture-invariant.</summary>
public static class TabularValues
{
    /// <summary>The date and time layouts a column may use to be a datetime column.</summary>
    public static readonly string[] DateFormats =
    [
        "yyyy-MM-dd", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-dd HH:mm", "MM/dd/yyyy", "MM/dd/yyyy HH:mm",
        "M/d/yyyy", "M/d/yyyy H:mm", "yyyyMMddTHHmmss", "yyyyMMdd",
    ];

    private static readonly HashSet<string> MissingTokens = new(StringComparer.OrdinalIgnoreCase) { "", "?", "NA", "N/A", "NaN", "null", "None" };

    /// <summary>True for an empty cell or a missing-value token (<c>?</c>, <c>NA</c>, <c>N/A</c>, <c>NaN</c>, <c>null</c>, <c>None</c>; any case, trimmed).</summary>
    public static bool IsMissing(string value) => MissingTokens.Contains(value.Trim());

    /// <summary>A finite number in the invariant culture.</summary>
    public static bool TryNumber(string value, out double number) =>
        double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out number) && double.IsFinite(number);

    /// <summary>A date or date and time in one of <see cref="DateFormats"/>.</summary>
    public static bool TryDate(string value, out DateTime date) =>
        DateTime.TryParseExact(value.Trim(), DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    /// <summary>True when every value is eight digits that read as a plausible <c>yyyyMMdd</c> date (a numeric-looking date column).</summary>
    public static bool AllCompactDates(IEnumerable<string> values) =>
        values.All(v => v.Trim() is { Length: 8 } t && t.All(char.IsAsciiDigit)
            && DateTime.TryParseExact(t, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) && d.Year is >= 1900 and <= 2100);

    /// <summary>Whole hours since 1970-01-01 00:00 (of the file's clock).</summary>
    public static int HoursSinceEpoch(DateTime date) => (int)Math.Floor((date - DateTime.UnixEpoch).TotalHours);
}
