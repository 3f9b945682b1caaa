namespace Esteira.Pipeline.Tests;

/// <summary>The GEPIII CV windows: one forecast horizon long from each fold's origin, and only series with a past.</summary>
public sealed class BacktestTests
{
    [Fact]
    public void Each_window_is_one_test_horizon_long_and_holds_only_series_with_history_before_its_origin()
    {
        using var folder = new TempFolder();
        var data = folder.Combine("data");
        Directory.CreateDirectory(data);
        // building 7's readings start on day 20: fold 1 (origin day 13) cannot stand for a test row of it, fold 2 can
        foreach (var (name, text) in TinyGepiii.Files())
        {
            var lines = text.Split('\n').Where(l => name != "train.csv" || !l.StartsWith("7,0,2016-01-", StringComparison.Ordinal) || string.CompareOrdinal(l, 4, "2016-01-21", 0, 10) >= 0);
            File.WriteAllText(Path.Combine(data, name), string.Join('\n', lines));
        }

        var output = folder.Combine("features");
        Directory.CreateDirectory(output);
        var summary = GepiiiStages.Features(data, 2, false, 42, output, new SilentObserver());
        Assert.Equal(10, summary.HorizonDays);
        Assert.All(summary.Folds, f => Assert.Equal(10 * 24, f.End - f.Origin)); // the blocks are 13 days long; the windows the test's 10

        var fold = ColumnTable.ReadInt(Path.Combine(output, "valid"), "fold");
        var building = ColumnTable.ReadFloat(Path.Combine(output, "valid"), "building_id");
        var trainRow = ColumnTable.ReadInt(Path.Combine(output, "valid"), "train_row");
        var time = ColumnTable.ReadInt(Path.Combine(output, "train"), "time");
        foreach (var f in summary.Folds)
        {
            var rows = Enumerable.Range(0, fold.Length).Where(k => fold[k] == f.Index).ToArray();
            Assert.All(rows, k => Assert.InRange(time[trainRow[k]], f.Origin, f.End - 1));
            var buildings = rows.Select(k => (int)building[k]).Distinct().Order().ToArray();
            Assert.Equal(f.Index == 1 ? [1] : [1, 7], buildings);
            Assert.Equal(buildings.Length * 10 * 24, rows.Length); // every hour of the window, of every series with a past
        }

        // the weather adjustment is written beside each row (zero here: every day of this data has the same mean temperature)
        var adjustment = ColumnTable.ReadFloat(Path.Combine(output, "valid"), "weather_adjustment");
        Assert.Equal(fold.Length, adjustment.Length);
        Assert.All(adjustment, a => Assert.Equal(0f, a));
    }
}
