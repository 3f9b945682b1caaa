namespace Esteira.Pipeline;

/// <summary>One series' CV score under the model and under two baselines no data scientist would ship.</summary>
/// <param name="BuildingId">The building.</param>
/// <param name="Meter">The meter type.</param>
/// <param name="Rows">Its CV rows.</param>
/// <param name="Model">The model's RMSLE on them.</param>
/// <param name="Profile">The long-run profile's (same hour and kind of day, up to 26 weeks before the fold's origin).</param>
/// <param name="RecentProfile">The recent profile's (the same over the last four weeks).</param>
public sealed record SeriesBaselines(int BuildingId, int Meter, int Rows, double Model, double Profile, double RecentProfile)
{
    /// <summary>How much worse the model is than the better baseline (positive: a baseline wins).</summary>
    public double Margin => Model - Math.Min(Profile, RecentProfile);
}

/// <summary>
/// Where a naive baseline beats the model, series by series, on the CV rows: the honest check that a model earns its
/// keep everywhere, not only on average. The baselines are the features' own profile columns as of each fold's origin,
/// so they see exactly the history the model saw.
/// </summary>
/// <param name="Series">How many series the CV rows hold.</param>
/// <param name="Losses">The series where a baseline is better, worst first.</param>
public sealed record BaselineComparison(int Series, IReadOnlyList<SeriesBaselines> Losses)
{
    /// <summary>Compares the model's out-of-fold predictions (log1p) with the baselines of the rows of a GEPIII <c>valid/</c> table.</summary>
    public static BaselineComparison Of(string validFolder, float[] predictedLog1p, float[] actualLog1p)
    {
        var building = ColumnTable.ReadFloat(validFolder, "building_id");
        var meter = ColumnTable.ReadFloat(validFolder, "meter");
        var profile = ColumnTable.ReadFloat(validFolder, "baseline");
        var recent = ColumnTable.ReadFloat(validFolder, "level_profile");
        var sums = new Dictionary<(int Building, int Meter), (int Rows, double Model, double Profile, double Recent)>();
        for (var k = 0; k < actualLog1p.Length; k++)
        {
            var key = ((int)building[k], (int)meter[k]);
            var y = actualLog1p[k];
            var p = MathF.Max(0, profile[k]);
            var r = float.IsFinite(recent[k]) ? MathF.Max(0, recent[k]) : p; // no recent readings: the profile stands in
            var (rows, m, pr, re) = sums.GetValueOrDefault(key);
            sums[key] = (rows + 1, m + Square(predictedLog1p[k] - y), pr + Square(p - y), re + Square(r - y));
        }

        var losses = sums
            .Select(e => new SeriesBaselines(e.Key.Building, e.Key.Meter, e.Value.Rows,
                Math.Round(Math.Sqrt(e.Value.Model / e.Value.Rows), 5), Math.Round(Math.Sqrt(e.Value.Profile / e.Value.Rows), 5), Math.Round(Math.Sqrt(e.Value.Recent / e.Value.Rows), 5)))
            .Where(s => s.Margin > 0)
            .OrderByDescending(s => s.Margin)
            .ToList();
        return new BaselineComparison(sums.Count, losses);
    }

    private static double Square(double x) => x * x;
}
