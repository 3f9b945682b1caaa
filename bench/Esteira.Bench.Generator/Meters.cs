namespace Esteira.Bench.Generator;

internal sealed record Meter(int BuildingId, int Type, int SiteId, Calibration.UseGroup Group, double SquareFeet);

internal static class MeterAssignment
{
    public const int Electricity = 1413, ChilledWater = 498, Steam = 324, HotWater = 145;

    /// <summary>
    /// Deterministic (by seed) assignment of the GEPIII meter counts to the real buildings: each building
    /// has at most one meter per type; thermal meters are drawn with weights site propensity x sqrt(size)
    /// (campuses differ in their utilities); the buildings without electricity are drawn among those with
    /// a thermal meter, so every building has at least one meter. With scale &lt; 1 a deterministic subset
    /// of buildings keeps its meters.
    /// </summary>
    public static List<Meter> Assign(List<Building> buildings, int seed, double scale)
    {
        int nb = buildings.Count;
        var has = new bool[nb, 4];
        double medianSqft = buildings.Select(b => b.SquareFeet).Order().ElementAt(nb / 2);
        int[] counts = [0, ChilledWater, Steam, HotWater];
        for (int type = 1; type <= 3; type++)
        {
            var sitePropensity = new double[Skeleton.Sites];
            for (int s = 0; s < Skeleton.Sites; s++)
            {
                var rs = Rng.For(seed, 5001, s, type);
                sitePropensity[s] = Math.Exp(rs.Normal());
            }
            var rng = Rng.For(seed, 5002, type);
            var keys = new double[nb];
            for (int i = 0; i < nb; i++)
            {
                double w = sitePropensity[buildings[i].SiteId] * Math.Sqrt(buildings[i].SquareFeet / medianSqft);
                keys[i] = Math.Log(1 - rng.NextDouble()) / w; // Efraimidis-Spirakis: take the largest keys
            }
            foreach (int i in TopK(keys, Math.Min(counts[type], nb))) has[i, type] = true;
        }
        // electricity everywhere except (nb - Electricity) buildings that have some thermal meter
        for (int i = 0; i < nb; i++) has[i, 0] = true;
        int noElec = Math.Max(0, nb - Electricity);
        {
            var rng = Rng.For(seed, 5003);
            var keys = new double[nb];
            for (int i = 0; i < nb; i++)
                keys[i] = has[i, 1] || has[i, 2] || has[i, 3] ? rng.NextDouble() : double.NegativeInfinity;
            foreach (int i in TopK(keys, noElec)) has[i, 0] = false;
        }
        // subset for scale < 1
        var keep = new bool[nb];
        {
            var rng = Rng.For(seed, 5004);
            var keys = new double[nb];
            for (int i = 0; i < nb; i++) keys[i] = rng.NextDouble();
            int k = (int)Math.Round(Math.Clamp(scale, 0, 1) * nb);
            foreach (int i in TopK(keys, Math.Max(1, k))) keep[i] = true;
        }
        var meters = new List<Meter>();
        for (int i = 0; i < nb; i++)
        {
            if (!keep[i]) continue;
            var b = buildings[i];
            for (int type = 0; type < 4; type++)
                if (has[i, type])
                    meters.Add(new Meter(b.BuildingId, type, b.SiteId, Calibration.GroupOf(b.PrimaryUse), b.SquareFeet));
        }
        return meters;
    }

    private static IEnumerable<int> TopK(double[] keys, int k) =>
        Enumerable.Range(0, keys.Length).OrderByDescending(i => keys[i]).ThenBy(i => i).Take(k);
}

/// <summary>Synthetic hourly reading series of one meter over 2016-2018 (local time).</summary>
internal static class SeriesModel
{
    private static readonly double[][][] LnProfile = BuildLnProfiles(); // [group][0 weekday Mon..Fri (5x24) | 1 weekend (24)]

    private static double[][][] BuildLnProfiles()
    {
        int ng = Calibration.WeekdayProfile.Length;
        var p = new double[ng][][];
        for (int g = 0; g < ng; g++)
        {
            var wd = new double[5 * 24];
            for (int dow = 0; dow < 5; dow++)
                for (int h = 0; h < 24; h++)
                    wd[dow * 24 + h] = Math.Log(Calibration.WeekdayProfile[g][h] * Calibration.WeekdayFactor[g][dow]);
            var we = new double[24];
            for (int h = 0; h < 24; h++) we[h] = Math.Log(Calibration.WeekendProfile[g][h]);
            p[g] = [wd, we];
        }
        return p;
    }

    /// <summary>
    /// Fills y (reading, or NaN for a train-period gap) for every local hour of 2016-2018.
    /// siteOutages: train-period hours where the whole site has no data.
    /// </summary>
    public static void Generate(Meter m, SiteClimate c, int seed, bool huge, List<(int start, int len)> siteOutages, double[] y)
    {
        var r = Rng.For(seed, m.BuildingId, m.Type, 1);
        var rb = Rng.For(seed, m.BuildingId, 0, 2); // building-level draws shared by its meters
        double lnElec = Calibration.LevelIntercept + Calibration.LevelSlope * Math.Log(m.SquareFeet)
                        + Calibration.LevelResidualSd * rb.Normal();
        bool thermal = m.Type != 0;
        double lnL = lnElec;
        switch (m.Type)
        {
            case 0 when m.SiteId == 0: lnL += Math.Log(Calibration.Site0Kbtu); break;
            case 1: lnL += Math.Log(Calibration.ChilledWaterRatioMedian) + Calibration.ChilledWaterRatioSd * r.Normal(); break;
            case 2: lnL += Math.Log(Calibration.SteamRatioMedian) + Calibration.SteamRatioSd * r.Normal(); break;
            case 3: lnL += Math.Log(Calibration.HotWaterRatioMedian) + Calibration.HotWaterRatioSd * r.Normal(); break;
        }
        if (huge) lnL += Math.Log(Calibration.HugeSteamFactor);

        double alpha = Math.Clamp(1 + Calibration.AmplitudeExponentSd * r.Normal(), 0.15, 2.5);
        if (thermal) alpha *= Calibration.ThermalOccupancyShare;
        double noiseScale = thermal ? Calibration.ThermalNoiseFactor : 1.0;
        double sigH = noiseScale * Calibration.HourlyNoiseSd * Math.Exp(Calibration.HourlyNoiseSdSpread * r.Normal());
        double sigD = Math.Min(0.6, noiseScale * Calibration.DailyNoiseSd * Math.Exp(Calibration.DailyNoiseSdSpread * r.Normal()));
        double phiH = Calibration.HourlyNoisePhi, phiD = Calibration.DailyNoisePhi;
        double innovH = Math.Sqrt(1 - phiH * phiH) * sigH, innovD = Math.Sqrt(1 - phiD * phiD) * sigD;

        // temperature response
        double cc = Math.Max(0, Calibration.ElecCoolSlopeMedian + Calibration.ElecCoolSlopeSd * r.Normal());
        double ch = Calibration.ElecHeatSlopeMedian + Calibration.ElecHeatSlopeSd * r.Normal();
        double tbal = m.Type == 1 ? r.Uniform(12, 20) : r.Uniform(14, 20);
        double b0 = m.Type == 1 ? r.Uniform(0.05, 0.4) : r.Uniform(0.05, 0.3);
        double k = Calibration.ThermalSlopePerDegree * Math.Exp(0.3 * r.Normal());
        bool seasonalOff = thermal && r.Chance(Calibration.SeasonalOffProbability);
        // slow seasonal drift not explained by temperature (assumed, +/- ~5 %)
        double seasonAmp = 0.05 * r.Normal(), seasonPhase = r.Uniform(0, 2 * Math.PI);

        var lnProf = LnProfile[(int)m.Group];
        bool edu = m.Group == Calibration.UseGroup.Education;
        double d = sigD * r.Normal(), e = sigH * r.Normal();
        for (int day = 0; day < HourGrid.TotalDays; day++)
        {
            d = phiD * d + innovD * r.Normal();
            int dow = HourGrid.DayOfWeek(day);
            bool off = dow >= 5 || HourGrid.IsHoliday(day, c.Uk);
            double lnDay = seasonAmp * Math.Sin(2 * Math.PI * day / 365.25 + seasonPhase) + d;
            if (edu)
            {
                var (brk, f) = HourGrid.Academic(day);
                off |= brk;
                lnDay += Math.Log(f);
            }
            ReadOnlySpan<double> prof = off ? lnProf[1] : lnProf[0].AsSpan(dow * 24, 24);
            for (int h = 0; h < 24; h++)
            {
                int i = day * 24 + h;
                e = phiH * e + innovH * r.Normal();
                double v = Math.Exp(lnL + alpha * prof[h] + lnDay + e);
                double t24 = c.Ema24[i];
                switch (m.Type)
                {
                    case 0:
                        v *= Math.Clamp(1 + cc * Math.Max(t24 - Calibration.ElecCoolBalance, 0)
                                          + ch * Math.Max(Calibration.ElecHeatBalance - t24, 0), 0.3, 3.0);
                        break;
                    case 1:
                        {
                            double tm = 0.5 * c.Now[i] + 0.5 * t24;
                            v *= b0 + k * Math.Max(0, tm - tbal);
                            if (seasonalOff && c.Ema168[i] < tbal - 3) v = 0;
                            break;
                        }
                    default:
                        {
                            double tm = 0.5 * c.Now[i] + 0.5 * t24;
                            v *= b0 + k * Math.Max(0, tbal - tm);
                            if (seasonalOff && c.Ema168[i] > tbal + 3) v = 0;
                            break;
                        }
                }
                y[i] = v;
            }
        }

        // level shift at a random date (train or test period)
        if (r.Chance(Calibration.LevelShiftProbability))
        {
            int at = r.Int(744, HourGrid.TotalHours - 744);
            double s = r.Uniform(0.2, 0.6);
            double f = r.Chance(0.5) ? 1 + s : 1 - s;
            for (int i = at; i < HourGrid.TotalHours; i++) y[i] *= f;
        }
        // broken meter: runs of zeros (6 h .. 90 days, median 3 days)
        if (r.Chance(Calibration.ZeroRunMeterProbability))
        {
            int n = r.Int(1, 4);
            for (int j = 0; j < n; j++)
            {
                int len = (int)Math.Clamp(Math.Exp(Math.Log(72) + 1.5 * r.Normal()), 6, 2160);
                int start = r.Int(0, HourGrid.TotalHours - len);
                Array.Fill(y, 0, start, len);
            }
        }
        // site 0 electricity reads 0 until about 20 May 2016 (the well-known GEPIII site-0 artefact)
        if (m.Type == 0 && m.SiteId == 0 && r.Chance(Calibration.Site0ZeroProbability))
        {
            int end = (int)(new DateTime(2016, 5, 20) - HourGrid.Start).TotalHours + r.Int(-240, 241);
            Array.Fill(y, 0, 0, end);
        }
        // one >= 24 h run of a repeated value in 2016 (upstream gap filling)
        if (r.Chance(Calibration.ConstantRunProbability))
        {
            int len = r.Int(24, 241);
            int start = r.Int(0, HourGrid.TrainHours - len);
            Array.Fill(y, y[start], start, len);
        }
        // train gaps: long outage, short gaps, site outages
        if (r.Chance(Calibration.LongOutageProbability))
        {
            int len = r.Int(168, 1681);
            Array.Fill(y, double.NaN, r.Int(0, HourGrid.TrainHours - len), len);
        }
        int shortGaps = r.Poisson(Calibration.ShortGapsPerMeter);
        for (int j = 0; j < shortGaps; j++)
        {
            int len = r.Int(1, 7);
            Array.Fill(y, double.NaN, r.Int(0, HourGrid.TrainHours - len), len);
        }
        foreach (var (start, len) in siteOutages) Array.Fill(y, double.NaN, start, len);
    }

    /// <summary>Train-period outages of a whole site (data logger down): 1-2 runs of 6-72 h.</summary>
    public static List<(int start, int len)> SiteOutages(int seed, int site)
    {
        var r = Rng.For(seed, 6001, site);
        var list = new List<(int, int)>();
        int n = r.Int(1, 3);
        for (int j = 0; j < n; j++)
        {
            int len = r.Int(6, 73);
            list.Add((r.Int(0, HourGrid.TrainHours - len), len));
        }
        return list;
    }
}
