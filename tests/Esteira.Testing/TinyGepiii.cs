using System.Text;

namespace Esteira.Testing;

/// <summary>
/// A tiny GEPIII dataset (the ASHRAE layout): two buildings at two sites, 40 days of hourly training readings with a
/// working-hours pattern, 10 days of test rows, and the weather of both periods. The whole pipeline runs on it in seconds.
/// </summary>
public static class TinyGepiii
{
    /// <summary>Writes the six files into <paramref name="folder"/> (created if missing).</summary>
    public static void WriteTo(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var (name, text) in Files())
        {
            File.WriteAllText(Path.Combine(folder, name), text);
        }
    }

    /// <summary>Each file's name and text.</summary>
    public static IEnumerable<(string Name, string Text)> Files()
    {
        var start = new DateTime(2016, 1, 1);
        var train = new StringBuilder("building_id,meter,timestamp,meter_reading\n");
        var test = new StringBuilder("row_id,building_id,meter,timestamp\n");
        var sample = new StringBuilder("row_id,meter_reading\n");
        var weatherTrain = new StringBuilder("site_id,timestamp,air_temperature,cloud_coverage,dew_temperature,precip_depth_1_hr,sea_level_pressure,wind_direction,wind_speed\n");
        var weatherTest = new StringBuilder(weatherTrain.ToString());
        const int TrainHours = 40 * 24;
        const int TestHours = 10 * 24;
        for (var h = 0; h < TrainHours + TestHours; h++)
        {
            var t = start.AddHours(h);
            foreach (var site in new[] { 0, 1 })
            {
                var temp = 10 + (8 * Math.Sin((h - 6) * Math.PI / 12));
                var line = FormattableString.Invariant($"{site},{t:yyyy-MM-dd HH:mm:ss},{temp:F1},,{temp - 3:F1},0,1015.0,180,2.5\n");
                (h < TrainHours ? weatherTrain : weatherTest).Append(line);
            }
        }

        var rowId = 0;
        for (var h = 0; h < TrainHours + TestHours; h++)
        {
            var t = start.AddHours(h);
            foreach (var building in new[] { 1, 7 })
            {
                if (h < TrainHours)
                {
                    var working = t.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && t.Hour is >= 8 and < 18;
                    var reading = (building == 1 ? 50 : 20) * (working ? 2.0 : 1.0) + (h % 7);
                    train.Append(FormattableString.Invariant($"{building},0,{t:yyyy-MM-dd HH:mm:ss},{reading:F2}\n"));
                }
                else
                {
                    test.Append(FormattableString.Invariant($"{rowId},{building},0,{t:yyyy-MM-dd HH:mm:ss}\n"));
                    sample.Append(FormattableString.Invariant($"{rowId},0\n"));
                    rowId++;
                }
            }
        }

        yield return ("building_metadata.csv", "site_id,building_id,primary_use,square_feet,year_built,floor_count\n0,1,Education,2720,2004,\n1,7,Office,12000,,3\n");
        yield return ("train.csv", train.ToString());
        yield return ("test.csv", test.ToString());
        yield return ("sample_submission.csv", sample.ToString());
        yield return ("weather_train.csv", weatherTrain.ToString());
        yield return ("weather_test.csv", weatherTest.ToString());
    }
}
