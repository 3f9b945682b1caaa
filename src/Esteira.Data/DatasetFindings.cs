namespace Esteira.Data;

/// <summary>One dataset-wide quality finding: a warning, never an error (the run goes on).</summary>
/// <param name="Kind">
/// <c>site_without_weather</c>, <c>site_without_temperature</c>, <c>non_finite_weather</c>, <c>unseen_test_series</c> or
/// <c>test_inside_training</c>.
/// </param>
/// <param name="Count">How many sites, values, series or rows it concerns.</param>
/// <param name="Message">One line saying what was found, an example and what it means for the model.</param>
public sealed record QualityFinding(string Kind, int Count, string Message);

/// <summary>
/// The quality findings that span files, where <see cref="QualityScreen"/> looks at one training series at a time: sites
/// without any weather or without a single temperature, infinite weather values, test series never seen in training, and
/// test rows inside the training period.
/// </summary>
public static class DatasetFindings
{
    /// <summary>Finding kind: a site that has buildings but no weather rows at all.</summary>
    public const string SiteWithoutWeather = "site_without_weather";
    /// <summary>Finding kind: a site whose weather rows never hold an air temperature.</summary>
    public const string SiteWithoutTemperature = "site_without_temperature";
    /// <summary>Finding kind: weather cells that are infinite rather than a number or missing.</summary>
    public const string NonFiniteWeather = "non_finite_weather";
    /// <summary>Finding kind: a (building, meter) series in test.csv with no training readings.</summary>
    public const string UnseenTestSeries = "unseen_test_series";
    /// <summary>Finding kind: test rows whose timestamp falls inside the training period.</summary>
    public const string TestInsideTraining = "test_inside_training";

    /// <summary>Every finding of <paramref name="data"/>, in the order of the kinds above.</summary>
    public static IReadOnlyList<QualityFinding> Find(GepiiiDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var findings = new List<QualityFinding>();
        Weather(data, findings);
        TestAgainstTraining(data, findings);
        return findings;
    }

    private static void Weather(GepiiiDataset data, List<QualityFinding> findings)
    {
        var buildings = data.Buildings;
        var weather = data.Weather;
        var used = new SortedDictionary<int, HashSet<int>>();
        void Use(int buildingId)
        {
            if (buildings.RowOf.TryGetValue(buildingId, out var row))
            {
                var site = buildings.SiteId[row];
                if (!used.TryGetValue(site, out var ids))
                {
                    used[site] = ids = [];
                }

                ids.Add(buildingId);
            }
        }

        ForEachChange(data.Train.BuildingId, Use);
        ForEachChange(data.Test.BuildingId, Use);

        var temperature = weather.Values[Array.IndexOf(WeatherRows.ValueColumns, "air_temperature")];
        var rows = new Dictionary<int, (int Rows, int Temperatures)>();
        for (var i = 0; i < weather.Count; i++)
        {
            var (n, t) = rows.GetValueOrDefault(weather.SiteId[i]);
            rows[weather.SiteId[i]] = (n + 1, t + (float.IsNaN(temperature[i]) ? 0 : 1));
        }

        foreach (var (site, ids) in used)
        {
            if (!rows.TryGetValue(site, out var counts))
            {
                findings.Add(new QualityFinding(SiteWithoutWeather, 1,
                    $"site {site}: no weather rows at all (weather_train.csv, weather_test.csv), so its {ids.Count} building(s) get no weather features; add the site's weather or expect weaker predictions there"));
            }
            else if (counts.Temperatures == 0)
            {
                findings.Add(new QualityFinding(SiteWithoutTemperature, 1,
                    $"site {site}: all {counts.Rows:N0} air_temperature values are missing, so its {ids.Count} building(s) get no temperature features; check the weather files"));
            }
        }

        for (var c = 0; c < WeatherRows.ValueColumns.Length; c++)
        {
            var values = weather.Values[c];
            var count = 0;
            var first = -1;
            for (var i = 0; i < values.Length; i++)
            {
                if (float.IsInfinity(values[i]))
                {
                    count++;
                    first = first < 0 ? i : first;
                }
            }

            if (count > 0)
            {
                findings.Add(new QualityFinding(NonFiniteWeather, count,
                    $"weather: {count:N0} {WeatherRows.ValueColumns[c]} value(s) are infinite, the first at site {weather.SiteId[first]}, {Timestamps.Format(weather.Hour[first])} ({values[first].ToString(System.Globalization.CultureInfo.InvariantCulture)}); fix them or leave the cells empty"));
            }
        }
    }

    private static void TestAgainstTraining(GepiiiDataset data, List<QualityFinding> findings)
    {
        var train = data.Train;
        var test = data.Test;
        if (test.Count == 0)
        {
            return;
        }

        var seen = new HashSet<long>();
        var last = long.MinValue;
        for (var i = 0; i < train.Count; i++)
        {
            var key = Key(train.BuildingId[i], train.Meter[i]);
            if (key != last)
            {
                seen.Add(key);
                last = key;
            }
        }

        var unseen = new HashSet<long>();
        var unseenRows = 0;
        last = long.MinValue;
        var lastSeen = true;
        for (var i = 0; i < test.Count; i++)
        {
            var key = Key(test.BuildingId[i], test.Meter[i]);
            if (key != last)
            {
                last = key;
                lastSeen = seen.Contains(key);
                if (!lastSeen)
                {
                    unseen.Add(key);
                }
            }

            unseenRows += lastSeen ? 0 : 1;
        }

        if (unseen.Count > 0)
        {
            var example = unseen.Min();
            findings.Add(new QualityFinding(UnseenTestSeries, unseen.Count,
                $"test: {unseen.Count:N0} series ({unseenRows:N0} rows) never seen in training, e.g. building {example >> 8} meter {example & 0xff}; their predictions rest on other buildings alone"));
        }

        if (train.Count == 0)
        {
            return;
        }

        var (firstHour, lastHour) = (train.Hour.Min(), train.Hour.Max());
        var inside = 0;
        var exampleRow = -1;
        for (var i = 0; i < test.Count; i++)
        {
            if (test.Hour[i] >= firstHour && test.Hour[i] <= lastHour)
            {
                inside++;
                exampleRow = exampleRow < 0 ? i : exampleRow;
            }
        }

        if (inside > 0)
        {
            findings.Add(new QualityFinding(TestInsideTraining, inside,
                $"test: {inside:N0} rows fall inside the training period ({Timestamps.Format(firstHour)} .. {Timestamps.Format(lastHour)}), e.g. row_id {test.RowId[exampleRow]} at {Timestamps.Format(test.Hour[exampleRow])}; the cross-validation, which forecasts forward in time, may not match how they score"));
        }
    }

    private static long Key(int buildingId, byte meter) => ((long)buildingId << 8) | meter;

    private static void ForEachChange(int[] values, Action<int> action)
    {
        var last = int.MinValue;
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] != last || i == 0)
            {
                last = values[i];
                action(last);
            }
        }
    }
}
