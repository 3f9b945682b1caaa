namespace Esteira.Bench.Generator;

/// <summary>
/// Constants of the synthetic reading model.
///
/// MEASURED: the constants marked "measured" were measured on the small REAL sample
/// /work/shared/data/bdg2-electricity-2016 (36 buildings, electricity, 2016, GEPIII sites 0/2/3;
/// train.csv Jan-Aug joined with test.csv + solution.csv Sep-Dec, timestamps local, weather shifted
/// from UTC by the site offset; site-0 rows before 2016-05-21 left out, they are the known GEPIII
/// zero/garbage period) with bench/calibrate/calibrate.py, and copied here by hand.
/// Re-run: /usr/bin/python3 bench/calibrate/calibrate.py
///
/// ASSUMED: the constants marked "assumed" have no real counterpart in that sample (it has only
/// electricity and was cleaned of zeros, constant runs and shifts); they are plausible GEPIII-like
/// choices, not measurements.
/// </summary>
internal static class Calibration
{
    // ---- measured: building level vs size (electricity, kWh) ----
    // ln(mean hourly kWh) = LevelIntercept + LevelSlope * ln(square_feet) + N(0, LevelResidualSd)
    public const double LevelIntercept = -3.512;
    public const double LevelSlope = 0.729;
    public const double LevelResidualSd = 1.092;

    // ---- measured: daily shapes, reading / building mean, by hour of local day ----
    // Weekday rows are normalised to a weekday mean of 1; weekend rows are relative to the weekday mean
    // (so they carry the weekend drop). Group "Other" was measured on the sample's Parking + Retail.
    public enum UseGroup { Education, Entertainment, Lodging, Office, PublicServices, Other }

    public static readonly double[][] WeekdayProfile =
    [
        // Education (buildings 14)
        [0.838, 0.831, 0.886, 0.897, 0.903, 0.925, 0.967, 1.003, 1.057, 1.1, 1.125, 1.124, 1.12, 1.116, 1.11, 1.097, 1.079, 1.053, 1.028, 1.017, 1.01, 0.967, 0.904, 0.844],
        // Entertainment/public assembly (buildings 3)
        [0.727, 0.733, 0.731, 0.73, 0.737, 0.88, 1.016, 1.023, 1.06, 1.12, 1.162, 1.179, 1.184, 1.19, 1.196, 1.179, 1.155, 1.126, 1.14, 1.142, 1.078, 0.898, 0.869, 0.747],
        // Lodging/residential (buildings 5)
        [1.012, 0.995, 0.943, 0.938, 0.917, 0.916, 0.899, 0.913, 0.941, 0.933, 0.958, 0.982, 1.038, 1.044, 1.048, 1.032, 1.054, 1.051, 1.051, 1.056, 1.059, 1.079, 1.085, 1.058],
        // Office (buildings 8)
        [0.699, 0.698, 0.694, 0.696, 0.744, 0.864, 0.983, 1.073, 1.176, 1.229, 1.252, 1.269, 1.279, 1.28, 1.27, 1.261, 1.24, 1.167, 1.026, 0.891, 0.836, 0.812, 0.795, 0.765],
        // Public services (buildings 4)
        [0.913, 0.912, 0.914, 0.92, 0.933, 0.975, 1.014, 1.021, 1.021, 1.042, 1.082, 1.086, 1.083, 1.091, 1.062, 1.021, 1.004, 1.001, 1.012, 1.018, 1.028, 0.98, 0.94, 0.927],
        // Other (buildings 2)
        [1.054, 1.015, 0.976, 0.965, 0.927, 0.931, 0.912, 0.736, 0.758, 0.796, 0.841, 0.9, 0.95, 0.977, 1.029, 1.101, 1.101, 1.069, 1.1, 1.151, 1.341, 1.161, 1.112, 1.098],
    ];

    public static readonly double[][] WeekendProfile =
    [
        [0.807, 0.799, 0.801, 0.802, 0.867, 0.898, 0.922, 0.925, 0.929, 0.933, 0.937, 0.939, 0.946, 0.953, 0.946, 0.941, 0.939, 0.943, 0.932, 0.937, 0.918, 0.891, 0.851, 0.811],
        [0.718, 0.736, 0.733, 0.737, 0.742, 0.888, 1.023, 1.021, 1.029, 1.059, 1.101, 1.129, 1.154, 1.169, 1.147, 1.137, 1.107, 1.088, 1.111, 1.121, 1.08, 0.918, 0.888, 0.744],
        [0.993, 0.952, 0.906, 0.896, 0.877, 0.887, 0.887, 0.884, 0.904, 0.95, 0.98, 1.015, 1.058, 1.043, 1.031, 1.056, 1.04, 1.033, 1.048, 1.056, 1.043, 1.058, 1.051, 1.025],
        [0.693, 0.691, 0.687, 0.685, 0.687, 0.725, 0.768, 0.781, 0.794, 0.796, 0.8, 0.809, 0.815, 0.821, 0.818, 0.82, 0.808, 0.802, 0.785, 0.771, 0.765, 0.756, 0.75, 0.729],
        [0.918, 0.911, 0.904, 0.906, 0.911, 0.919, 0.9, 0.877, 0.852, 0.867, 0.892, 0.907, 0.909, 0.93, 0.942, 0.945, 0.94, 0.906, 0.887, 0.899, 0.917, 0.92, 0.917, 0.912],
        [1.083, 1.038, 1.006, 0.995, 0.944, 0.929, 0.917, 0.744, 0.714, 0.772, 0.812, 0.871, 0.908, 1.008, 1.025, 1.098, 1.09, 1.096, 1.126, 1.204, 1.261, 1.173, 1.106, 1.115],
    ];

    // measured: day-of-week factor Monday..Friday (mean of weekdays = 1), per group.
    public static readonly double[][] WeekdayFactor =
    [
        [0.975, 1.001, 1.033, 1.015, 0.976],
        [0.983, 0.989, 0.996, 1.013, 1.018],
        [1.015, 0.987, 0.978, 1.004, 1.016],
        [0.988, 1.018, 1.015, 1.01, 0.97],
        [0.973, 1.015, 1.017, 1.01, 0.985],
        [1.014, 0.989, 0.991, 0.989, 1.017],
    ];

    /// <summary>Maps a GEPIII primary_use to the measured profile group (uses absent from the sample: assumed).</summary>
    public static UseGroup GroupOf(string primaryUse) => primaryUse switch
    {
        "Education" => UseGroup.Education,
        "Entertainment/public assembly" or "Religious worship" => UseGroup.Entertainment,
        "Lodging/residential" or "Healthcare" => UseGroup.Lodging,
        "Office" or "Services" or "Technology/science" or "Manufacturing/industrial" or "Warehouse/storage" => UseGroup.Office,
        "Public services" or "Utility" or "Food sales and service" => UseGroup.PublicServices,
        _ => UseGroup.Other, // Parking, Retail, Other
    };

    // ---- measured: spread of the daily amplitude across buildings ----
    // ln(max/min of weekday profile) had mean 0.463, sd 0.289 over buildings -> each meter raises its
    // group profile to a power alpha ~ 1 + N(0, 0.289/0.463).
    public const double AmplitudeExponentSd = 0.62;

    // ---- measured: electricity temperature response (per-building fit of daily reading/median on
    // max(T-18,0) and max(12-T,0), T = daily mean air temperature; quartiles over buildings) ----
    // cooling slope: q25 -0.0042, median 0.0090, q75 0.0252 per degC; heating slope q25 -0.040,
    // median 0.0140, q75 0.0467 per degC. Drawn per meter as N(median, IQR/1.35), cooling clipped at 0.
    public const double ElecCoolBalance = 18.0, ElecCoolSlopeMedian = 0.0090, ElecCoolSlopeSd = 0.0218;
    public const double ElecHeatBalance = 12.0, ElecHeatSlopeMedian = 0.0140, ElecHeatSlopeSd = 0.0642;

    // ---- measured: noise (ln reading minus building x weekend x hour mean) ----
    // hourly residual (after removing each day's mean): per-building median sd 0.115, lag-1 autocorr 0.727
    // daily offset vs 31-day rolling median: per-building sd q25 0.071 / median 0.107 / q75 0.186,
    // lag-1 (day) autocorr 0.587.
    public const double HourlyNoiseSd = 0.115, HourlyNoisePhi = 0.727, HourlyNoiseSdSpread = 0.35;
    public const double DailyNoiseSd = 0.107, DailyNoisePhi = 0.587, DailyNoiseSdSpread = 0.6;

    // ---- assumed: other meter types (no real counterpart in the sample) ----
    // level relative to the building's electricity level: ln ratio ~ N(ln median, sd)
    public const double ChilledWaterRatioMedian = 2.0, ChilledWaterRatioSd = 0.8;
    public const double SteamRatioMedian = 3.0, SteamRatioSd = 0.9;
    public const double HotWaterRatioMedian = 1.0, HotWaterRatioSd = 0.9;
    // chilled water: b0 + k * max(0, Tmix - Tbal); steam / hot water: b0 + k * max(0, Tbal - Tmix)
    // with Tmix = 0.5 * T(now) + 0.5 * 24 h exponential moving average (thermal mass).
    public const double ThermalSlopePerDegree = 0.10;
    public const double ThermalNoiseFactor = 1.5;   // thermal meters are noisier than electricity
    public const double ThermalOccupancyShare = 0.4; // share of the profile exponent kept by thermal meters

    // ---- assumed: data-quality artefacts (GEPIII-like) ----
    public const double LevelShiftProbability = 0.12; // factor 1 +/- U(0.2, 0.6) from a random date on
    public const double ZeroRunMeterProbability = 0.15;
    public const double SeasonalOffProbability = 0.45; // chiller off in winter / boiler off in summer -> exact 0
    public const double Site0ZeroProbability = 0.90;   // site-0 electricity reads 0 until ~20 May 2016 (as in GEPIII)
    public const double Site0Kbtu = 3.412;             // GEPIII site-0 electricity was in kBTU
    public const double ConstantRunProbability = 0.05; // one >= 24 h run of a repeated value in 2016
    public const double LongOutageProbability = 0.12;  // train gap of 1-10 weeks
    public const double ShortGapsPerMeter = 36;        // train gaps of 1-6 h (Poisson mean)
    public const double HugeSteamFactor = 1000;        // one steam meter reads ~1000x (GEPIII building 1099 style)
}
