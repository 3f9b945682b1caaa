namespace Esteira.Data;

/// <summary>US federal holidays (observed dates), computed by rule so that any year works.</summary>
public static class Holidays
{
    /// <summary>GEPIII sites outside the US (UK and Ireland: offset 0); every other site uses US holidays.</summary>
    public static readonly IReadOnlySet<int> NonUsSites = new HashSet<int> { 1, 5, 12 };

    private const int FirstYear = 1970;
    private const int LastYear = 2100;
    private static readonly int EpochDay = new DateOnly(FirstYear, 1, 1).DayNumber;
    private static readonly bool[] UsByDay = BuildUsByDay();

    /// <summary>True when <paramref name="date"/> is a US federal holiday as observed.</summary>
    public static bool IsUsFederalHoliday(DateOnly date)
    {
        var day = date.DayNumber - EpochDay;
        return (uint)day < (uint)UsByDay.Length
            ? UsByDay[day]
            : UsFederal(date.Year).Contains(date) || UsFederal(date.Year + 1).Contains(date);
    }

    /// <summary>True when the day <paramref name="dayIndex"/> (days since 1970-01-01) is a US federal holiday.</summary>
    public static bool IsUsFederalHoliday(int dayIndex) =>
        (uint)dayIndex < (uint)UsByDay.Length ? UsByDay[dayIndex] : IsUsFederalHoliday(DateOnly.FromDayNumber(EpochDay + dayIndex));

    /// <summary>The observed US federal holidays of <paramref name="year"/>.</summary>
    public static IEnumerable<DateOnly> UsFederal(int year)
    {
        yield return Observed(new DateOnly(year, 1, 1));
        yield return Nth(year, 1, DayOfWeek.Monday, 3);   // Martin Luther King Jr. Day
        yield return Nth(year, 2, DayOfWeek.Monday, 3);   // Washington's Birthday
        yield return Last(year, 5, DayOfWeek.Monday);     // Memorial Day
        if (year >= 2021)
        {
            yield return Observed(new DateOnly(year, 6, 19));
        }

        yield return Observed(new DateOnly(year, 7, 4));
        yield return Nth(year, 9, DayOfWeek.Monday, 1);   // Labor Day
        yield return Nth(year, 10, DayOfWeek.Monday, 2);  // Columbus Day
        yield return Observed(new DateOnly(year, 11, 11));
        yield return Nth(year, 11, DayOfWeek.Thursday, 4); // Thanksgiving
        yield return Observed(new DateOnly(year, 12, 25));
    }

    private static bool[] BuildUsByDay()
    {
        var days = new bool[new DateOnly(LastYear, 12, 31).DayNumber - EpochDay + 1];
        for (var year = FirstYear; year <= LastYear + 1; year++)
        {
            foreach (var d in UsFederal(year))
            {
                var i = d.DayNumber - EpochDay;
                if ((uint)i < (uint)days.Length)
                {
                    days[i] = true;
                }
            }
        }

        return days;
    }

    private static DateOnly Observed(DateOnly d) => d.DayOfWeek switch
    {
        DayOfWeek.Saturday => d.AddDays(-1),
        DayOfWeek.Sunday => d.AddDays(1),
        _ => d,
    };

    private static DateOnly Nth(int year, int month, DayOfWeek day, int n)
    {
        var first = new DateOnly(year, month, 1);
        var delta = ((int)day - (int)first.DayOfWeek + 7) % 7;
        return first.AddDays(delta + (7 * (n - 1)));
    }

    private static DateOnly Last(int year, int month, DayOfWeek day)
    {
        var last = new DateOnly(year, month, DateTime.DaysInMonth(year, month));
        var delta = ((int)last.DayOfWeek - (int)day + 7) % 7;
        return last.AddDays(-delta);
    }
}
