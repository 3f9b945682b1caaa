using System.IO.Compression;
using System.Text;

namespace Esteira.Tests;

/// <summary>Builds a tiny GEPIII dataset in a temporary folder; any file can be replaced to inject a fault.</summary>
internal sealed class TempDataset : IDisposable
{
    public TempDataset()
    {
        Root = Directory.CreateTempSubdirectory("esteira-test-").FullName;
        Data = Path.Combine(Root, "data");
        Out = Path.Combine(Root, "out");
        Directory.CreateDirectory(Data);
        foreach (var (name, text) in Valid())
        {
            Write(name, text);
        }
    }

    public string Root { get; }
    public string Data { get; }
    public string Out { get; }

    public TempDataset Write(string name, string text)
    {
        File.WriteAllText(Path.Combine(Data, name), text);
        return this;
    }

    /// <summary>Appends a line to one of the files.</summary>
    public TempDataset Append(string name, string line)
    {
        File.AppendAllText(Path.Combine(Data, name), line + "\n");
        return this;
    }

    /// <summary>Replaces the first occurrence of <paramref name="from"/> in a file.</summary>
    public TempDataset Replace(string name, string from, string to)
    {
        var path = Path.Combine(Data, name);
        var text = File.ReadAllText(path);
        var at = text.IndexOf(from, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{from}' not in {name}");
        File.WriteAllText(path, string.Concat(text.AsSpan(0, at), to, text.AsSpan(at + from.Length)));
        return this;
    }

    public string Zip(string name = "data.zip")
    {
        var zip = Path.Combine(Root, name);
        ZipFile.CreateFromDirectory(Data, zip);
        return zip;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Two buildings at two sites, 40 days of hourly training readings, 10 days of test rows.</summary>
    public static IEnumerable<(string Name, string Text)> Valid()
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
