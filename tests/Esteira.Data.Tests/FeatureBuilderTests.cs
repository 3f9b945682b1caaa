
namespace Esteira.Data.Tests;

public sealed class FeatureBuilderTests
{
    [Fact]
    public void Features_do_not_depend_on_row_order_threads_or_what_the_builder_saw_before()
    {
        // Given the bundled sample's test rows (one cutoff, the end of training) and its train rows with random cutoffs
        using var source = DatasetSource.Open(Repository.Sample);
        var data = GepiiiReader.Read(source);
        var series = SeriesIndex.Build(data.Train.BuildingId, data.Train.Meter, data.Train.Hour);
        var (weather, _) = WeatherAlignment.Align(data.Weather);
        var history = LevelHistory.Build(series, data.Train.Hour, data.Train.Reading,
            r => weather.TryGetValue(data.Buildings.SiteId[data.Buildings.RowOf[data.Train.BuildingId[r]]], out var w) ? w.At(0, data.Train.Hour[r]) : float.NaN,
            r => FeatureBuilder.IsDayOff(data.Buildings.SiteId[data.Buildings.RowOf[data.Train.BuildingId[r]]], data.Train.Hour[r]));
        var trainEnd = data.Train.Hour.Max() + 1;
        var random = new Random(17);
        var building = data.Test.BuildingId.Concat(data.Train.BuildingId).ToArray();
        var meter = data.Test.Meter.Concat(data.Train.Meter).ToArray();
        var hour = data.Test.Hour.Concat(data.Train.Hour).ToArray();
        var cutoff = data.Test.Hour.Select(_ => trainEnd).Concat(data.Train.Hour.Select(h => ((h / 24) - random.Next(1, 60)) * 24)).ToArray();
        var rows = hour.Length;

        // When they are built in file order on one thread, and shuffled on three threads by a builder used before
        var inOrder = new FeatureMatrix(FeatureBuilder.Names, rows);
        new FeatureBuilder(data.Buildings, weather, history).Build(building, meter, hour, cutoff, rows, inOrder, threads: 1);
        var permutation = Enumerable.Range(0, rows).OrderBy(_ => random.Next()).ToArray();
        int[] Shuffle(int[] values) => permutation.Select(p => values[p]).ToArray();
        var shuffled = new FeatureMatrix(FeatureBuilder.Names, rows);
        var used = new FeatureBuilder(data.Buildings, weather, history);
        used.Build(building, meter, hour, cutoff.Select(c => c - (24 * 7)).ToArray(), rows, shuffled, threads: 3);
        used.Build(Shuffle(building), permutation.Select(p => meter[p]).ToArray(), Shuffle(hour), Shuffle(cutoff), rows, shuffled, threads: 3);

        // Then every value of every row is the same, bit for bit (NaN included)
        for (var f = 0; f <= FeatureBuilder.Names.Length; f++)
        {
            var expected = f < FeatureBuilder.Names.Length ? inOrder.Columns[f] : inOrder.Baseline;
            var actual = f < FeatureBuilder.Names.Length ? shuffled.Columns[f] : shuffled.Baseline;
            for (var k = 0; k < rows; k++)
            {
                if (BitConverter.SingleToInt32Bits(expected[permutation[k]]) != BitConverter.SingleToInt32Bits(actual[k]))
                {
                    Assert.Fail($"feature {(f < FeatureBuilder.Names.Length ? FeatureBuilder.Names[f] : "baseline")}, row {permutation[k]}: {expected[permutation[k]]} in order, {actual[k]} shuffled");
                }
            }
        }

        // and the levels vary, so that the comparison is not between constant columns
        Assert.True(inOrder.Columns[Array.IndexOf(FeatureBuilder.Names, "level")].Where(float.IsFinite).Distinct().Count() > 1000);
    }

    [Fact]
    public void Feature_names_keep_the_order_models_were_trained_with()
    {
        // Given the names a trained model.txt lists, in matrix order
        string[] trained =
        [
            "building_id", "meter", "site_id", "primary_use", "log_square_feet", "year_built", "floor_count",
            "hour", "weekday", "is_holiday", "is_day_off",
            "air_temperature", "cloud_coverage", "dew_temperature", "precip_depth_1_hr", "sea_level_pressure", "wind_direction", "wind_speed",
            "air_temperature_mean24", "air_temperature_mean72", "air_temperature_lag3", "dew_temperature_mean24",
            "level", "level_profile", "level_temperature", "temperature_vs_level", "horizon_days",
            "level_long", "profile_long", "level_change", "long_temperature", "temperature_vs_long",
        ];

        // Then every column is named once, at its index, and the weather columns are the weather file's values in its order
        Assert.Equal(trained, FeatureBuilder.Names);
        Assert.Equal(Enum.GetValues<FeatureColumn>().Length, FeatureBuilder.Names.Length);
        Assert.Equal("level", FeatureBuilder.Names[(int)FeatureColumn.Level]);
        Assert.Equal(WeatherRows.ValueColumns, FeatureBuilder.Names[(int)FeatureColumn.AirTemperature..((int)FeatureColumn.WindSpeed + 1)]);
    }
}
