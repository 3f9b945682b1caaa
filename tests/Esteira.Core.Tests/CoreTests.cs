using Esteira.Data;
using Esteira.Ml;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Esteira.Core.Tests;

public sealed class RmsleTests
{
    [Fact]
    public void Matches_hand_computed_values()
    {
        // ln(1+0) − ln(1+0) = 0; ln(1+(e−1)) − ln(1+0) = 1  →  sqrt((0 + 1) / 2)
        Assert.Equal(Math.Sqrt(0.5), Rmsle.Compute([0f, MathF.E - 1], [0f, 0f]), 6);

        // ln(3) − ln(1) and ln(1) − ln(3): both squared are ln(3)²  →  ln 3
        Assert.Equal(Math.Log(3), Rmsle.Compute([2f, 0f], [0f, 2f]), 6);
        Assert.Equal(0, Rmsle.Compute([5f, 7f], [5f, 7f]));
    }

    [Fact]
    public void Log_space_form_agrees_with_the_plain_form()
    {
        float[] p = [1, 10, 100, 0];
        float[] y = [2, 8, 150, 3];
        var plain = Rmsle.Compute(p, y);
        var logged = Rmsle.FromLogSpace(p.Select(v => MathF.Log(1 + v)).ToArray(), y.Select(v => MathF.Log(1 + v)).ToArray());
        Assert.Equal(plain, logged, 5);
    }

    [Fact]
    public void Refuses_mismatched_or_empty_input()
    {
        Assert.Throws<ArgumentException>(() => Rmsle.Compute([1f], [1f, 2f]));
        Assert.Throws<ArgumentException>(() => Rmsle.Compute([], []));
    }

    [Fact]
    public void Every_error_code_maps_to_an_exit_code_and_an_http_status()
    {
        foreach (var code in Enum.GetValues<ErrorCode>())
        {
            Assert.InRange(ErrorCodes.ExitCode(code), 1, 3);
            Assert.InRange(ErrorCodes.HttpStatus(code), 400, 599);
        }

        Assert.Equal(2, ErrorCodes.ExitCode(ErrorCode.BadInput));
        Assert.Equal(1, ErrorCodes.ExitCode(ErrorCode.GateFailed));
        Assert.Equal(3, ErrorCodes.ExitCode(ErrorCode.ExternalService));
    }
}

public sealed class TimeBlockFoldTests
{
    [Property(MaxTest = 300)]
    public Property No_validation_hour_precedes_a_training_hour(PositiveInt startDay, PositiveInt extraHours, PositiveInt foldCount)
    {
        var folds = 1 + (foldCount.Get % 6);
        var first = (startDay.Get % 20000) * 24;
        var last = first + ((folds + 1) * 24) + (extraHours.Get % 20000) - 1;
        var plan = TimeBlockFolds.Plan(first, last, folds);
        var ok = plan.Count == folds
            && plan.All(f => f.Origin > first && f.End > f.Origin && (f.Origin - first) % 24 == 0)
            && plan.Zip(plan.Skip(1)).All(p => p.First.End == p.Second.Origin)
            && plan[^1].End == last + 1;
        return ok.Label($"first={first} last={last} folds={folds}: {string.Join("; ", plan)}");
    }

    [Fact]
    public void Training_rows_of_a_fold_all_precede_its_validation_block()
    {
        // Given hourly rows over 100 days and the run's row selection
        var hours = Enumerable.Range(0, 100 * 24).ToArray();
        foreach (var fold in TimeBlockFolds.Plan(0, hours[^1], 3))
        {
            var train = hours.Where(h => h < fold.Origin).ToArray();
            var valid = hours.Where(h => h >= fold.Origin && h < fold.End).ToArray();
            Assert.True(train.Max() < valid.Min());
        }
    }

    [Fact]
    public void Too_short_a_period_is_a_clear_error()
    {
        var error = Assert.Throws<EsteiraException>(() => TimeBlockFolds.Plan(0, 47, 3));
        Assert.Contains("too short for 3 time-block folds", error.Message, StringComparison.Ordinal);
    }
}

public sealed class LevelHistoryTests
{
    [Property(MaxTest = 200)]
    public Property A_level_only_sees_readings_before_its_cutoff(PositiveInt cutoffDay, NonNegativeInt seed)
    {
        // Given 60 days of one series, and the same series with every reading from the cutoff on replaced
        const int Hours = 60 * 24;
        var cutoff = 24 * (1 + (cutoffDay.Get % 58));
        var random = new Random(seed.Get);
        var reading = Enumerable.Range(0, Hours).Select(_ => (float)random.Next(0, 100)).ToArray();
        var altered = reading.Select((r, h) => h >= cutoff ? r * 7 + 3 : r).ToArray();
        var building = new int[Hours];
        var meter = new byte[Hours];
        var hour = Enumerable.Range(0, Hours).ToArray();
        var dayOff = hour.Select(h => Timestamps.Weekday(h) >= 5).ToArray();
        var temperature = new float[Hours];
        var series = SeriesIndex.Build(building, meter, hour);
        var a = LevelHistory.Build(series, hour, reading, temperature, dayOff);
        var b = LevelHistory.Build(series, hour, altered, temperature, dayOff);

        // Then the level and profile as of the cutoff are the same
        var same = a.Level(0, cutoff) == b.Level(0, cutoff)
            && Enumerable.Range(0, LevelHistory.ProfileClasses).All(c => a.ProfileLevel(0, cutoff, c).Equals(b.ProfileLevel(0, cutoff, c)));
        return same.ToProperty();
    }

    [Fact]
    public void Level_is_the_mean_log_reading_of_the_window()
    {
        int[] hour = [0, 1, 2, 3];
        float[] reading = [0, MathF.E - 1, 0, 0];
        var series = SeriesIndex.Build(new int[4], new byte[4], hour);
        var history = LevelHistory.Build(series, hour, reading, new float[4], new bool[4]);
        Assert.Equal(0.5f, history.Level(0, 2).Level, 5);
        Assert.True(float.IsNaN(history.Level(0, 0).Level));
    }
}

public sealed class WeatherAlignmentTests
{
    private static WeatherRows Sinusoid(int site, int peakUtcHour, int days = 10, Func<int, bool>? drop = null)
    {
        var hours = Enumerable.Range(0, days * 24).Where(h => drop is null || !drop(h)).ToArray();
        var values = WeatherRows.ValueColumns.Select(_ => new float[hours.Length]).ToArray();
        for (var i = 0; i < hours.Length; i++)
        {
            values[0][i] = 15 + (10 * MathF.Cos((hours[i] - peakUtcHour) * MathF.PI / 12));
        }

        return new WeatherRows { SiteId = hours.Select(_ => site).ToArray(), Hour = hours, Values = values };
    }

    [Theory]
    [InlineData(19, -5)]
    [InlineData(21, -7)]
    [InlineData(14, 0)]
    [InlineData(22, -8)]
    public void Offset_is_estimated_from_the_hour_of_peak_temperature(int peakUtc, int expected)
    {
        var weather = Sinusoid(0, peakUtc);
        Assert.Equal(expected, WeatherAlignment.EstimateOffset(weather, Enumerable.Range(0, weather.Count)));
    }

    [Fact]
    public void Known_offset_shifts_utc_to_local_and_disagreement_is_reported()
    {
        // Given site 0 (known UTC−5) whose temperature peaks at 14:00 UTC, as if it were on UTC
        var weather = Sinusoid(0, 14);
        var (sites, report) = WeatherAlignment.Align(weather);

        // Then local hour h reads the UTC hour h + 5
        Assert.Equal(weather.Values[0][10 + 5], sites[0].At(0, 10));
        Assert.Equal(-5, report[0].UsedOffset);
        Assert.Equal(0, report[0].EstimatedOffset);
        Assert.True(report[0].Disagrees);
    }

    [Fact]
    public void Unknown_sites_use_the_estimate()
    {
        var weather = Sinusoid(42, 20);
        var (_, report) = WeatherAlignment.Align(weather);
        Assert.Equal(-6, report[0].UsedOffset);
        Assert.Null(report[0].KnownOffset);
        Assert.False(report[0].Disagrees);
    }

    [Fact]
    public void Short_gaps_are_interpolated_and_long_gaps_left_missing()
    {
        float[] values = [0, float.NaN, float.NaN, 3, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN, 11];
        var filled = WeatherAlignment.FillShortGaps(values, 6);
        Assert.Equal(2, filled);
        Assert.Equal([0f, 1f, 2f, 3f], values[..4]);
        Assert.All(values[4..11], v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void Missing_weather_hours_inside_a_site_are_filled_after_alignment()
    {
        var weather = Sinusoid(1, 14, drop: h => h is 30 or 31);
        var (sites, report) = WeatherAlignment.Align(weather);
        Assert.False(float.IsNaN(sites[1].At(0, 30)));
        Assert.True(report[0].FilledCells >= 2);
    }
}

public sealed class HolidayTests
{
    [Fact]
    public void Us_federal_holidays_of_2016_as_observed()
    {
        var expected = new[] { "2016-01-01", "2016-01-18", "2016-02-15", "2016-05-30", "2016-07-04", "2016-09-05", "2016-10-10", "2016-11-11", "2016-11-24", "2016-12-26" };
        var actual = Enumerable.Range(0, 366).Select(d => new DateOnly(2016, 1, 1).AddDays(d)).Where(Holidays.IsUsFederalHoliday)
            .Select(d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Holidays_apply_to_us_sites_only()
    {
        var july4 = Timestamps.FromDateTime(new DateTime(2016, 7, 4, 12, 0, 0));
        Assert.True(FeatureBuilder.IsHoliday(0, july4));
        Assert.False(FeatureBuilder.IsHoliday(1, july4));
        Assert.True(FeatureBuilder.IsDayOff(1, Timestamps.FromDateTime(new DateTime(2016, 7, 2, 12, 0, 0))));
    }
}
