namespace Esteira.Data.Tests;

/// <summary>The per-series change-point response to temperature, fitted as of a cutoff.</summary>
public sealed class WeatherResponseTests
{
    private static readonly int Start = Timestamps.FromDateTime(new DateTime(2016, 1, 1, 0, 0, 0, DateTimeKind.Utc));

    /// <summary>
    /// One series, every hour of <paramref name="days"/> days; a day's temperature swings between −5 and 30 °C and its
    /// log1p level is <paramref name="level"/>(temperature). Returns the response and the daily temperatures.
    /// </summary>
    private static (WeatherResponse Response, float[] Temperature) Series(int days, Func<float, double> level, Func<int, float>? temperatureOfDay = null)
    {
        temperatureOfDay ??= d => (float)(12.5 - (17.5 * Math.Cos(2 * Math.PI * d / 97.0)));
        var n = days * 24;
        var (building, meter, hour, reading) = (new int[n], new byte[n], new int[n], new float[n]);
        var temperature = new float[days];
        for (var d = 0; d < days; d++)
        {
            temperature[d] = temperatureOfDay(d);
            for (var h = 0; h < 24; h++)
            {
                var i = (d * 24) + h;
                (building[i], hour[i]) = (7, Start + i);
                reading[i] = (float)(Math.Exp(level(temperature[d])) - 1);
            }
        }

        var series = SeriesIndex.Build(building, meter, hour);
        return (WeatherResponse.Build(series, hour, reading, r => temperature[(hour[r] - Start) / 24]), temperature);
    }

    private static double V(float t) => 3 + (0.05 * Math.Max(0, 14 - t)) + (0.08 * Math.Max(0, t - 14));

    [Fact]
    public void A_heating_and_cooling_response_is_recovered_with_its_balance_point()
    {
        var (response, _) = Series(200, V);
        var curve = response.At(0, Start + (200 * 24))!;
        Assert.Equal(14f, curve.Balance);
        Assert.Equal(0.08 * 11, curve.At(25) - curve.At(14), 3);
        Assert.Equal(0.05 * 14, curve.At(0) - curve.At(14), 3);
        Assert.True(curve.Sse < 1e-6, $"an exact response leaves no error: {curve.Sse}");
    }

    [Fact]
    public void The_adjustment_is_centred_on_the_long_profiles_window()
    {
        // the mean adjustment over the last 182 days' own temperatures is zero: the profile already holds their weather
        var (response, temperature) = Series(240, V);
        var curve = response.At(0, Start + (240 * 24))!;
        var mean = temperature.Skip(240 - WeatherResponse.ReferenceDays).Average(t => curve.Adjustment(t));
        Assert.Equal(0, mean, 4);
        Assert.Equal(0f, curve.Adjustment(float.NaN));
    }

    [Fact]
    public void No_day_at_or_after_the_cutoff_is_used()
    {
        var cutoff = Start + (150 * 24);
        var (before, _) = Series(200, V);
        var (truncated, _) = Series(150, V);
        var a = before.At(0, cutoff)!;
        Assert.Equal(truncated.At(0, cutoff), a);

        // every day from the cutoff on at 40 °C (and its level with it): the fit as of the cutoff cannot tell
        var (hot, _) = Series(200, V, d => d < 150 ? (float)(12.5 - (17.5 * Math.Cos(2 * Math.PI * d / 97.0))) : 40f);
        Assert.Equal(a, hot.At(0, cutoff));
        Assert.NotEqual(a, hot.At(0, cutoff + (24 * 10)));
    }

    [Fact]
    public void Temperatures_beyond_the_range_the_fit_saw_are_clamped()
    {
        // only spring: 0..15 °C. Summer heat must not extend the heating slope
        var (response, _) = Series(120, V, d => d * 15f / 119);
        var curve = response.At(0, Start + (120 * 24))!;
        Assert.Equal(curve.At(15), curve.At(35));
        Assert.Equal(curve.At(0), curve.At(-20));
        Assert.True(curve.At(0) - curve.At(15) > 0.5, "spring's heating response is kept inside the range");
    }

    [Fact]
    public void Too_few_days_or_an_unknown_series_give_no_response()
    {
        var (response, _) = Series(60, V);
        Assert.Null(response.At(0, Start + ((WeatherResponse.MinDays - 1) * 24)));
        Assert.NotNull(response.At(0, Start + (WeatherResponse.MinDays * 24)));
        Assert.Null(response.At(-1, Start + (60 * 24)));
    }
}
