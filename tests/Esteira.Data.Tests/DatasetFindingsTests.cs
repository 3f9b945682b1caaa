using System.Text.Json;

namespace Esteira.Data.Tests;

using Cli = Esteira.Testing.Cli;

/// <summary>Dataset-wide quality findings (issue 13): warned in the quality table and quality.json, never errors.</summary>
public sealed class DatasetFindingsTests
{
    private static IReadOnlyList<QualityFinding> Find(TempDataset ds)
    {
        using var source = DatasetSource.Open(ds.Data);
        return DatasetFindings.Find(GepiiiReader.Read(source));
    }

    /// <summary>Rewrites every line of a file through <paramref name="map"/> (the header is passed too).</summary>
    private static void MapLines(TempDataset ds, string file, Func<string, string?> map)
    {
        var path = Path.Combine(ds.Data, file);
        var lines = File.ReadAllLines(path).Select(map).OfType<string>();
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
    }

    /// <summary>Empties the air_temperature (third) cell of site 1's weather rows.</summary>
    private static void NoTemperatureAtSite1(TempDataset ds)
    {
        foreach (var file in new[] { "weather_train.csv", "weather_test.csv" })
        {
            MapLines(ds, file, l => l.StartsWith("1,", StringComparison.Ordinal) ? string.Join(',', l.Split(',').Select((c, i) => i == 2 ? "" : c)) : l);
        }
    }

    [Fact]
    public void A_clean_dataset_has_no_findings()
    {
        using var ds = new TempDataset();
        Assert.Empty(Find(ds));
    }

    [Fact]
    public void A_site_without_any_weather_is_found()
    {
        using var ds = new TempDataset();
        MapLines(ds, "weather_train.csv", l => l.StartsWith("1,", StringComparison.Ordinal) ? null : l);
        MapLines(ds, "weather_test.csv", l => l.StartsWith("1,", StringComparison.Ordinal) ? null : l);

        var finding = Assert.Single(Find(ds));

        Assert.Equal(new QualityFinding(DatasetFindings.SiteWithoutWeather, 1,
            "site 1: no weather rows at all (weather_train.csv, weather_test.csv), so its 1 building(s) get no weather features; add the site's weather or expect weaker predictions there"), finding);
    }

    [Fact]
    public void A_site_whose_temperatures_are_all_missing_is_found()
    {
        using var ds = new TempDataset();
        NoTemperatureAtSite1(ds);

        var finding = Assert.Single(Find(ds));

        Assert.Equal(DatasetFindings.SiteWithoutTemperature, finding.Kind);
        Assert.Equal("site 1: all 1,200 air_temperature values are missing, so its 1 building(s) get no temperature features; check the weather files", finding.Message);
    }

    [Fact]
    public void Infinite_weather_values_are_found_with_the_first_one()
    {
        using var ds = new TempDataset();
        ds.Replace("weather_train.csv", "0,2016-01-03 05:00:00,", "0,2016-01-03 05:00:00,1e40,");
        ds.Replace("weather_test.csv", ",180,2.5", ",-Infinity,2.5");
        MapLines(ds, "weather_train.csv", l => l.Split(',') is { Length: 10 } cells ? string.Join(',', cells.Where((_, i) => i != 3)) : l);

        var findings = Find(ds);

        Assert.Equal(
            [
                "weather: 1 air_temperature value(s) are infinite, the first at site 0, 2016-01-03 05:00:00 (Infinity); fix them or leave the cells empty",
                "weather: 1 wind_direction value(s) are infinite, the first at site 0, 2016-02-10 00:00:00 (-Infinity); fix them or leave the cells empty",
            ],
            findings.Select(f => f.Message));
        Assert.All(findings, f => Assert.Equal(DatasetFindings.NonFiniteWeather, f.Kind));
    }

    [Fact]
    public void Test_series_never_seen_in_training_and_test_rows_inside_the_training_period_are_found()
    {
        using var ds = new TempDataset();
        ds.Replace("test.csv", "0,1,0,2016-02-10 00:00:00", "0,1,2,2016-02-10 00:00:00");
        ds.Replace("test.csv", "2,1,0,2016-02-10 01:00:00", "2,1,0,2016-01-20 01:00:00");

        var findings = Find(ds);

        Assert.Equal(
            [
                new QualityFinding(DatasetFindings.UnseenTestSeries, 1,
                    "test: 1 series (1 rows) never seen in training, e.g. building 1 meter 2; their predictions rest on other buildings alone"),
                new QualityFinding(DatasetFindings.TestInsideTraining, 1,
                    "test: 1 rows fall inside the training period (2016-01-01 00:00:00 .. 2016-02-09 23:00:00), e.g. row_id 2 at 2016-01-20 01:00:00; the cross-validation, which forecasts forward in time, may not match how they score"),
            ],
            findings);
    }

    [Fact]
    public void Cli_run_warns_in_the_quality_table_and_quality_json_and_still_succeeds()
    {
        using var ds = new TempDataset();
        NoTemperatureAtSite1(ds);
        ds.Replace("test.csv", "0,1,0,2016-02-10 00:00:00", "0,1,2,2016-02-10 00:00:00");

        var (exit, stdout, stderr) = Cli.Esteira(ds.Root, "run", "--data", ds.Data, "--out", ds.Out, "--iterations", "20", "--folds", "2");

        Assert.True(exit == 0, stderr);
        Assert.Contains("data quality (all files): warnings", stdout, StringComparison.Ordinal);
        Assert.Contains("site_without_temperature", stdout, StringComparison.Ordinal);
        Assert.Contains("unseen_test_series", stdout, StringComparison.Ordinal);
        using var quality = JsonDocument.Parse(File.ReadAllText(Path.Combine(ds.Out, "quality.json")));
        var kinds = quality.RootElement.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("kind").GetString()).ToList();
        Assert.Equal([DatasetFindings.SiteWithoutTemperature, DatasetFindings.UnseenTestSeries], kinds);
        Assert.StartsWith("site 1: all 1,200 air_temperature values are missing",
            quality.RootElement.GetProperty("findings")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
