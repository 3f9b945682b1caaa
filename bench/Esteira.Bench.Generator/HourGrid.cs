namespace Esteira.Bench.Generator;

/// <summary>Hourly local-time grid 2016-01-01 00:00 .. 2018-12-31 23:00 and its day attributes.</summary>
internal static class HourGrid
{
    public static readonly DateTime Start = new(2016, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
    public const int TrainHours = 8784;          // 2016 (leap year)
    public const int TotalHours = 8784 + 8760 + 8760;
    public const int TotalDays = TotalHours / 24;
    public const int TimestampLength = 19;       // "yyyy-MM-dd HH:mm:ss"

    /// <summary>ASCII "yyyy-MM-dd HH:mm:ss" of every grid hour, back to back.</summary>
    public static readonly byte[] Timestamps = BuildTimestamps();

    public static ReadOnlySpan<byte> Timestamp(int hour) => Timestamps.AsSpan(hour * TimestampLength, TimestampLength);

    private static byte[] BuildTimestamps()
    {
        var b = new byte[TotalHours * TimestampLength];
        for (int i = 0; i < TotalHours; i++)
            WriteTimestamp(Start.AddHours(i), b.AsSpan(i * TimestampLength, TimestampLength));
        return b;
    }

    public static void WriteTimestamp(DateTime t, Span<byte> dst)
    {
        Put(dst, 0, t.Year, 4); dst[4] = (byte)'-'; Put(dst, 5, t.Month, 2); dst[7] = (byte)'-';
        Put(dst, 8, t.Day, 2); dst[10] = (byte)' '; Put(dst, 11, t.Hour, 2); dst[13] = (byte)':';
        Put(dst, 14, t.Minute, 2); dst[16] = (byte)':'; Put(dst, 17, t.Second, 2);
    }

    private static void Put(Span<byte> dst, int at, int value, int width)
    {
        for (int k = width - 1; k >= 0; k--) { dst[at + k] = (byte)('0' + value % 10); value /= 10; }
    }

    /// <summary>Monday = 0 .. Sunday = 6 for a day index from 2016-01-01 (a Friday).</summary>
    public static int DayOfWeek(int day) => (day + 4) % 7;

    public static DateTime Date(int day) => Start.AddDays(day);

    // Public holidays treated like weekends (observed dates). US list for North-American sites,
    // UK list for the sites with UTC offset 0 (GEPIII sites 1, 5, 12).
    private static readonly HashSet<DateTime> UsHolidays = Dates(
        "2016-01-01 2016-01-18 2016-05-30 2016-07-04 2016-09-05 2016-11-24 2016-11-25 2016-12-26 " +
        "2017-01-02 2017-01-16 2017-05-29 2017-07-04 2017-09-04 2017-11-23 2017-11-24 2017-12-25 " +
        "2018-01-01 2018-01-15 2018-05-28 2018-07-04 2018-09-03 2018-11-22 2018-11-23 2018-12-25");
    private static readonly HashSet<DateTime> UkHolidays = Dates(
        "2016-01-01 2016-03-25 2016-03-28 2016-05-02 2016-05-30 2016-08-29 2016-12-26 2016-12-27 " +
        "2017-01-02 2017-04-14 2017-04-17 2017-05-01 2017-05-29 2017-08-28 2017-12-25 2017-12-26 " +
        "2018-01-01 2018-03-30 2018-04-02 2018-05-07 2018-05-28 2018-08-27 2018-12-25 2018-12-26");

    private static HashSet<DateTime> Dates(string s) =>
        s.Split(' ', StringSplitOptions.RemoveEmptyEntries)
         .Select(x => DateTime.ParseExact(x, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture))
         .ToHashSet();

    public static bool IsHoliday(int day, bool uk) => (uk ? UkHolidays : UsHolidays).Contains(Date(day));

    /// <summary>Assumed academic calendar factor for Education (breaks); 1 otherwise.</summary>
    public static (bool breakDay, double factor) Academic(int day)
    {
        var d = Date(day);
        int m = d.Month, dd = d.Day;
        if ((m == 12 && dd >= 22) || (m == 1 && dd <= 2)) return (true, 0.9);   // winter break
        if (m == 3 && dd >= 12 && dd <= 18) return (false, 0.92);               // spring break week
        if (m is 6 or 7 || (m == 8 && dd <= 15)) return (false, 0.93);          // summer session
        return (false, 1.0);
    }
}
