namespace Esteira.Data;

/// <summary>
/// Timestamps as whole hours since 1970-01-01 00:00 in an <see cref="int"/>: one column, no objects,
/// and arithmetic in hours is what an hourly data set needs.
/// </summary>
public static class Timestamps
{
    /// <summary>The first year a timestamp may have: hours count from 1970-01-01, and weekdays and holidays assume no earlier one.</summary>
    public const int MinYear = 1970;

    /// <summary>The last year a timestamp may have: a meter reading from 2100 on is a typo, and would stretch every per-hour table to it.</summary>
    public const int MaxYear = 2099;

    private static readonly int EpochDay = new DateOnly(1970, 1, 1).DayNumber;

    /// <summary>Parses <c>yyyy-MM-dd HH:mm:ss</c> (or <c>yyyy-MM-dd HH:mm</c>) that falls on a whole hour, in the years <see cref="MinYear"/>–<see cref="MaxYear"/>.</summary>
    public static bool TryParseHour(ReadOnlySpan<char> s, out int hour, out string problem)
    {
        hour = 0;
        if (s.Length is not (19 or 16) || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':'
            || (s.Length == 19 && s[16] != ':'))
        {
            problem = "is not a timestamp, expected yyyy-MM-dd HH:mm:ss";
            return false;
        }

        if (!TryDigits(s, 0, 4, out var y) || !TryDigits(s, 5, 2, out var mo) || !TryDigits(s, 8, 2, out var d)
            || !TryDigits(s, 11, 2, out var h) || !TryDigits(s, 14, 2, out var mi))
        {
            problem = "is not a timestamp, expected yyyy-MM-dd HH:mm:ss";
            return false;
        }

        var sec = 0;
        if (s.Length == 19 && !TryDigits(s, 17, 2, out sec))
        {
            problem = "is not a timestamp, expected yyyy-MM-dd HH:mm:ss";
            return false;
        }

        if (y is < MinYear or > MaxYear)
        {
            problem = $"is outside the years {MinYear}–{MaxYear} that Esteira reads (is the year a typo?)";
            return false;
        }

        if (mo is < 1 or > 12 || d < 1 || d > DateTime.DaysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59)
        {
            problem = "is not a valid date and time";
            return false;
        }

        if (mi != 0 || sec != 0)
        {
            problem = "is not on the hour, expected minutes and seconds 00 (hourly data)";
            return false;
        }

        hour = ((new DateOnly(y, mo, d).DayNumber - EpochDay) * 24) + h;
        problem = "";
        return true;
    }

    /// <summary>The <see cref="DateTime"/> of an hour index (kind unspecified: the clock is the file's).</summary>
    public static DateTime ToDateTime(int hour) => DateTime.UnixEpoch.AddHours(hour);

    /// <summary>The hour index of a date and hour.</summary>
    public static int FromDateTime(DateTime value) => (int)Math.Floor((value - DateTime.UnixEpoch).TotalHours);

    /// <summary>Day of week with Monday = 0.</summary>
    public static int Weekday(int hour) => (int)(((hour / 24) + 3) % 7); // 1970-01-01 was a Thursday

    /// <summary>Hour of day, 0–23.</summary>
    public static int HourOfDay(int hour) => hour % 24;

    /// <summary>Formats an hour index as <c>yyyy-MM-dd HH:mm:ss</c>.</summary>
    public static string Format(int hour) => ToDateTime(hour).ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

    private static bool TryDigits(ReadOnlySpan<char> s, int start, int length, out int value)
    {
        value = 0;
        for (var i = start; i < start + length; i++)
        {
            var c = s[i] - '0';
            if ((uint)c > 9)
            {
                return false;
            }

            value = (value * 10) + c;
        }

        return true;
    }
}
