using System.Globalization;
using System.Text;

namespace Esteira.Bench.Generator;

internal sealed record Building(int SiteId, int BuildingId, string PrimaryUse, double SquareFeet);

/// <summary>The real GEPIII skeleton: building metadata and 2016 weather (UTC) of the 16 sites.</summary>
internal sealed class Skeleton
{
    public const int Sites = 16;

    /// <summary>Site UTC offsets (hours, standard time) used by the GEPIII winners to align weather.</summary>
    public static readonly int[] UtcOffset = [-5, 0, -7, -5, -8, 0, -5, -5, -5, -6, -7, -5, 0, -6, -5, -5];

    public const string WeatherHeader =
        "site_id,timestamp,air_temperature,cloud_coverage,dew_temperature,precip_depth_1_hr,sea_level_pressure,wind_direction,wind_speed";

    public required List<Building> Buildings { get; init; }

    /// <summary>Raw cells of weather_train.csv per site and 2016 UTC hour (null = row absent).</summary>
    public required string[]?[][] Weather2016 { get; init; }

    public static Skeleton Load(string dir)
    {
        var buildings = new List<Building>();
        using (var r = new StreamReader(Path.Combine(dir, "building_metadata.csv")))
        {
            string header = r.ReadLine() ?? throw new InvalidDataException("empty building_metadata.csv");
            if (!header.StartsWith("site_id,building_id,primary_use,square_feet", StringComparison.Ordinal))
                throw new InvalidDataException("unexpected building_metadata.csv header: " + header);
            string? line;
            while ((line = r.ReadLine()) != null)
            {
                if (line.Length == 0) continue;
                var f = line.Split(',');
                buildings.Add(new Building(int.Parse(f[0], CultureInfo.InvariantCulture), int.Parse(f[1], CultureInfo.InvariantCulture),
                    f[2], double.Parse(f[3], CultureInfo.InvariantCulture)));
            }
        }
        buildings.Sort((a, b) => a.BuildingId.CompareTo(b.BuildingId));

        var weather = new string[]?[Sites][];
        for (int s = 0; s < Sites; s++) weather[s] = new string[]?[HourGrid.TrainHours];
        using (var r = new StreamReader(Path.Combine(dir, "weather_train.csv")))
        {
            string header = r.ReadLine() ?? throw new InvalidDataException("empty weather_train.csv");
            if (header != WeatherHeader) throw new InvalidDataException("unexpected weather_train.csv header: " + header);
            string? line;
            while ((line = r.ReadLine()) != null)
            {
                if (line.Length == 0) continue;
                var f = line.Split(',');
                int site = int.Parse(f[0], CultureInfo.InvariantCulture);
                var t = DateTime.ParseExact(f[1], "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
                int h = (int)(t - HourGrid.Start).TotalHours;
                if (h >= 0 && h < HourGrid.TrainHours) weather[site][h] = f;
            }
        }
        return new Skeleton { Buildings = buildings, Weather2016 = weather };
    }

    private static double Cell(string s) => s.Length == 0 ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture);

    private static string F1(double v)
    {
        v = Math.Round(v, 1, MidpointRounding.AwayFromZero);
        if (v == 0) v = 0; // no "-0.0"
        return v.ToString("F1", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Replays 2016 weather for 2017 and 2018 (same month/day/hour, UTC; Feb 29 is skipped) with small
    /// deterministic noise: a per-day AR(1) anomaly (sd 1.0 degC, phi 0.7) plus hourly noise on air and dew
    /// temperature, noise on pressure and wind speed; cloud cover, precipitation and wind direction are copied.
    /// Rows absent in 2016 stay absent, empty cells stay empty.
    /// Returns the UTC air temperature of 2016-2018 (NaN where absent) and writes weather_test.csv.
    /// </summary>
    public double[][] WriteWeatherTest(string path, bool gzip, int seed, out long rows)
    {
        var air = new double[Sites][];
        rows = 0;
        using var w = new CsvOut(path, gzip);
        w.Raw(Encoding.ASCII.GetBytes(WeatherHeader + "\n"));
        Span<byte> ts = stackalloc byte[HourGrid.TimestampLength];
        for (int s = 0; s < Sites; s++)
        {
            var a = air[s] = new double[HourGrid.TotalHours];
            for (int h = 0; h < HourGrid.TrainHours; h++)
                a[h] = Weather2016[s][h] is { } f ? Cell(f[2]) : double.NaN;
            byte[] sitePrefix = Encoding.ASCII.GetBytes(s.ToString(CultureInfo.InvariantCulture) + ",");
            for (int year = 2017; year <= 2018; year++)
            {
                var rng = Rng.For(seed, 7001, s, year);
                double tAnom = 0, pAnom = 0;
                var jan1 = new DateTime(year, 1, 1);
                int baseHour = (int)(jan1 - HourGrid.Start).TotalHours;
                for (int d = 0; d < 365; d++)
                {
                    tAnom = 0.7 * tAnom + Math.Sqrt(1 - 0.49) * 1.0 * rng.Normal();
                    pAnom = 0.7 * pAnom + Math.Sqrt(1 - 0.49) * 1.5 * rng.Normal();
                    var date = jan1.AddDays(d);
                    int src0 = (int)(new DateTime(2016, date.Month, date.Day) - HourGrid.Start).TotalHours;
                    for (int hh = 0; hh < 24; hh++)
                    {
                        double eAir = 0.3 * rng.Normal(), eDew = 0.3 * rng.Normal(), eP = 0.3 * rng.Normal(), eW = 0.3 * rng.Normal();
                        int hour = baseHour + d * 24 + hh;
                        a[hour] = double.NaN;
                        var f = Weather2016[s][src0 + hh];
                        if (f is null) continue;
                        double at = Cell(f[2]), dt = Cell(f[4]), p = Cell(f[6]), ws = Cell(f[8]);
                        string atS = "", dtS = "", pS = "", wsS = "";
                        if (!double.IsNaN(at)) { at = Math.Round(at + tAnom + eAir, 1); atS = F1(at); a[hour] = at; }
                        if (!double.IsNaN(dt))
                        {
                            dt += tAnom + eDew;
                            if (!double.IsNaN(at) && dt > at) dt = at;
                            dtS = F1(dt);
                        }
                        if (!double.IsNaN(p)) pS = F1(p + pAnom + eP);
                        if (!double.IsNaN(ws)) wsS = F1(ws == 0 ? 0 : Math.Max(0, ws + eW));
                        HourGrid.WriteTimestamp(HourGrid.Start.AddHours(hour), ts);
                        w.Raw(sitePrefix); w.Raw(ts); w.Byte((byte)',');
                        w.Raw(Encoding.ASCII.GetBytes(string.Join(',', atS, f[3], dtS, f[5], pS, f[7], wsS)));
                        w.Byte((byte)'\n');
                        rows++;
                    }
                }
            }
        }
        return air;
    }
}

/// <summary>Per-site temperature series on the LOCAL hourly grid (weather is UTC; shifted by the site offset).</summary>
internal sealed class SiteClimate
{
    public required int Offset { get; init; }
    public required bool Uk { get; init; }
    public required float[] Now { get; init; }     // interpolated air temperature at the local hour
    public required float[] Ema24 { get; init; }   // exponential moving average, 24 h time constant
    public required float[] Ema168 { get; init; }  // 1 week time constant (season / plant on-off)

    public static SiteClimate From(double[] airUtc, int offset)
    {
        int n = airUtc.Length;
        // linear interpolation over gaps, nearest value at the ends
        var t = (double[])airUtc.Clone();
        int prev = -1;
        for (int i = 0; i < n; i++)
        {
            if (double.IsNaN(t[i])) continue;
            if (prev < 0) for (int k = 0; k < i; k++) t[k] = t[i];
            else for (int k = prev + 1; k < i; k++) t[k] = t[prev] + (t[i] - t[prev]) * (k - prev) / (i - prev);
            prev = i;
        }
        if (prev < 0) Array.Fill(t, 15.0);
        else for (int k = prev + 1; k < n; k++) t[k] = t[prev];

        var now = new float[HourGrid.TotalHours];
        var e24 = new float[HourGrid.TotalHours];
        var e168 = new float[HourGrid.TotalHours];
        double a = t[Math.Min(n - 1, -offset)], b = a;
        for (int i = 0; i < HourGrid.TotalHours; i++)
        {
            double x = t[Math.Min(n - 1, i - offset)]; // local = UTC + offset  =>  UTC index = local - offset
            a += (x - a) / 24.0;
            b += (x - b) / 168.0;
            now[i] = (float)x; e24[i] = (float)a; e168[i] = (float)b;
        }
        return new SiteClimate { Offset = offset, Uk = offset == 0, Now = now, Ema24 = e24, Ema168 = e168 };
    }
}
