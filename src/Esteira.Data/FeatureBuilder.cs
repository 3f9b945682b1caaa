using System.Collections.Concurrent;

namespace Esteira.Data;

/// <summary>Features as columns: one float array per feature, reused chunk after chunk.</summary>
public sealed class FeatureMatrix
{
    /// <summary>Allocates one column of <paramref name="capacity"/> rows per feature name.</summary>
    public FeatureMatrix(string[] names, int capacity)
    {
        Names = names;
        Columns = names.Select(_ => new float[capacity]).ToArray();
        Baseline = new float[capacity];
    }

    /// <summary>The feature names, one per entry of <see cref="Columns"/>.</summary>
    public string[] Names { get; }

    /// <summary>How many rows the last <see cref="FeatureBuilder.Build"/> filled.</summary>
    public int Rows { get; internal set; }

    /// <summary>One array per feature, sized to the capacity; only the first <see cref="Rows"/> entries are current.</summary>
    public float[][] Columns { get; }

    /// <summary>
    /// Each row's long-run profile level in log1p space (same hour and kind of day, up to 26 weeks before its
    /// cutoff, stale regimes left out). The model learns log1p(reading) − baseline, so a level shift
    /// after the training period moves the prediction with it.
    /// </summary>
    public float[] Baseline { get; }
}

/// <summary>The GEPIII feature columns, in the order of <see cref="FeatureMatrix.Columns"/> and of <see cref="FeatureBuilder.Names"/>.</summary>
public enum FeatureColumn
{
    /// <summary>The building's id, as a number.</summary>
    BuildingId,
    /// <summary>The meter kind code (0 electricity, 1 chilled water, 2 steam, 3 hot water).</summary>
    Meter,
    /// <summary>The building's site id.</summary>
    SiteId,
    /// <summary>The building's primary use, as a code into <see cref="Buildings.PrimaryUseNames"/>.</summary>
    PrimaryUse,
    /// <summary>The logarithm of the building's floor area (square feet).</summary>
    LogSquareFeet,
    /// <summary>The building's construction year; NaN when unknown.</summary>
    YearBuilt,
    /// <summary>The building's number of floors; NaN when unknown.</summary>
    FloorCount,
    /// <summary>Hour of the local day, 0–23.</summary>
    Hour,
    /// <summary>Day of the week of the local hour, 0 = Monday (5 and 6 are the weekend).</summary>
    Weekday,
    /// <summary>1 on a US federal holiday at a US site, else 0.</summary>
    IsHoliday,
    /// <summary>1 on a weekend day or holiday, else 0.</summary>
    IsDayOff,

    /// <summary>The first of the weather columns, which follow <see cref="WeatherRows.ValueColumns"/> in its order.</summary>
    AirTemperature,
    /// <summary>Cloud coverage at the site at that hour.</summary>
    CloudCoverage,
    /// <summary>Dew-point temperature at the site at that hour.</summary>
    DewTemperature,
    /// <summary>Precipitation depth over the hour.</summary>
    PrecipDepth1Hr,
    /// <summary>Sea-level pressure at the site at that hour.</summary>
    SeaLevelPressure,
    /// <summary>Wind direction at the site at that hour.</summary>
    WindDirection,
    /// <summary>Wind speed at the site at that hour.</summary>
    WindSpeed,
    /// <summary>Trailing 24-hour mean air temperature.</summary>
    AirTemperatureMean24,
    /// <summary>Trailing 72-hour mean air temperature.</summary>
    AirTemperatureMean72,
    /// <summary>Air temperature three hours earlier.</summary>
    AirTemperatureLag3,
    /// <summary>Trailing 24-hour mean dew-point temperature.</summary>
    DewTemperatureMean24,
    /// <summary>The series' recent level before the row's cutoff; NaN for meters other than electricity.</summary>
    Level,
    /// <summary>The series' recent level for the same hour and kind of day before the cutoff; NaN for meters other than electricity.</summary>
    LevelProfile,
    /// <summary>The air temperature over the window behind <see cref="Level"/>; NaN for meters other than electricity.</summary>
    LevelTemperature,
    /// <summary>The 24-hour mean temperature minus <see cref="LevelTemperature"/>: how much warmer or colder it is than when the level was measured.</summary>
    TemperatureVsLevel,
    /// <summary>Days from the row's cutoff to its hour; NaN when the series has no training history.</summary>
    HorizonDays,
    /// <summary>The series' level over the long window before the cutoff; NaN for meters other than electricity.</summary>
    LevelLong,
    /// <summary>The profile level (same hour and kind of day) over the long window; NaN for meters other than electricity.</summary>
    ProfileLong,
    /// <see cref="Level"/> minus <see cref="LevelLong"/>: the recent change of level.
    LevelChange,
    /// <summary>The air temperature over the window behind <see cref="LevelLong"/>; NaN for meters other than electricity.</summary>
    LongTemperature,
    /// <summary>The 24-hour mean temperature minus <see cref="LongTemperature"/>.</summary>
    TemperatureVsLong,
}

/// <summary>
/// Builds GEPIII features for any set of rows: building metadata, calendar, aligned weather with trailing
/// means, and the series' recent level as of a per-row cutoff hour (only readings before it are used).
/// </summary>
public sealed class FeatureBuilder
{
    /// <summary>The feature columns' names, in <see cref="FeatureColumn"/> order (the matrix's and the model's).</summary>
    public static readonly string[] Names = Enum.GetValues<FeatureColumn>().Select(NameOf).ToArray();

    private static string NameOf(FeatureColumn column) => column switch
    {
        FeatureColumn.BuildingId => "building_id",
        FeatureColumn.Meter => "meter",
        FeatureColumn.SiteId => "site_id",
        FeatureColumn.PrimaryUse => "primary_use",
        FeatureColumn.LogSquareFeet => "log_square_feet",
        FeatureColumn.YearBuilt => "year_built",
        FeatureColumn.FloorCount => "floor_count",
        FeatureColumn.Hour => "hour",
        FeatureColumn.Weekday => "weekday",
        FeatureColumn.IsHoliday => "is_holiday",
        FeatureColumn.IsDayOff => "is_day_off",
        >= FeatureColumn.AirTemperature and <= FeatureColumn.WindSpeed => WeatherRows.ValueColumns[column - FeatureColumn.AirTemperature],
        FeatureColumn.AirTemperatureMean24 => "air_temperature_mean24",
        FeatureColumn.AirTemperatureMean72 => "air_temperature_mean72",
        FeatureColumn.AirTemperatureLag3 => "air_temperature_lag3",
        FeatureColumn.DewTemperatureMean24 => "dew_temperature_mean24",
        FeatureColumn.Level => "level",
        FeatureColumn.LevelProfile => "level_profile",
        FeatureColumn.LevelTemperature => "level_temperature",
        FeatureColumn.TemperatureVsLevel => "temperature_vs_level",
        FeatureColumn.HorizonDays => "horizon_days",
        FeatureColumn.LevelLong => "level_long",
        FeatureColumn.ProfileLong => "profile_long",
        FeatureColumn.LevelChange => "level_change",
        FeatureColumn.LongTemperature => "long_temperature",
        FeatureColumn.TemperatureVsLong => "temperature_vs_long",
        _ => throw new ArgumentOutOfRangeException(nameof(column), column, "not a feature column"),
    };

    private readonly Buildings _buildings;
    private readonly IReadOnlyDictionary<int, SiteWeather> _weather;
    private readonly IReadOnlyDictionary<int, float[][]> _derived;
    private readonly LevelHistory _history;
    private readonly BuildingLookups[] _seriesBuilding;
    private readonly ConcurrentBag<LevelMemo> _memos = [];

    /// <summary>Prepares lookups and derived weather (trailing means) for the given buildings, site weather and level history.</summary>
    public FeatureBuilder(Buildings buildings, IReadOnlyDictionary<int, SiteWeather> weather, LevelHistory history)
    {
        _buildings = buildings;
        _weather = weather;
        _history = history;
        _derived = weather.ToDictionary(p => p.Key, p => Derive(p.Value));
        var series = history.Series;
        _seriesBuilding = Enumerable.Range(0, series.Count).Select(s => LookUp(series.BuildingId[s])).ToArray();
    }

    /// <summary>Whether a local hour at a site is a weekend day or a (US federal) holiday.</summary>
    public static bool IsDayOff(int siteId, int hour) => Timestamps.Weekday(hour) >= 5 || IsHoliday(siteId, hour);

    /// <summary>Whether a local hour at a site is a US federal holiday; always false at the non-US sites.</summary>
    public static bool IsHoliday(int siteId, int hour) =>
        !Holidays.NonUsSites.Contains(siteId) && Holidays.IsUsFederalHoliday(hour / 24);

    /// <summary>The air temperature at a building's site at a local hour.</summary>
    public float Temperature(int buildingId, int hour) =>
        _weather.TryGetValue(_buildings.SiteId[_buildings.RowOf[buildingId]], out var w) ? w.At(0, hour) : float.NaN;

    /// <summary>The trailing 24-hour mean air temperature at a building's site at a local hour; NaN where unknown.</summary>
    public float Temperature24(int buildingId, int hour)
    {
        var site = _buildings.SiteId[_buildings.RowOf[buildingId]];
        if (!_weather.TryGetValue(site, out var w))
        {
            return float.NaN;
        }

        var at = hour - w.FirstLocalHour;
        return (uint)at < (uint)w.Length ? _derived[site][0][at] : float.NaN;
    }

    /// <summary>
    /// Features for the first <paramref name="rows"/> rows of the key arrays, into <paramref name="into"/> (in parallel
    /// chunks); <paramref name="cutoff"/> bounds the history each row may see (exclusive); on at most
    /// <paramref name="threads"/> threads (0: one per core).
    /// </summary>
    /// <remarks>
    /// Each row's features depend on its keys only, never on the rows around it or on the thread that builds it:
    /// the result is the same for any order of the rows and any number of <paramref name="threads"/>.
    /// </remarks>
    public void Build(int[] buildingId, byte[] meter, int[] hour, int[] cutoff, int rows, FeatureMatrix into, int threads = 0)
    {
        if (rows > into.Baseline.Length)
        {
            throw new ArgumentException($"{rows} rows do not fit a matrix of {into.Baseline.Length}");
        }

        const int Chunk = 1 << 16;
        var chunks = (rows + Chunk - 1) / Chunk;
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount }, RentMemo, (c, _, memo) =>
        {
            var start = c * Chunk;
            var length = Math.Min(Chunk, rows - start);
            Fill(into, start, buildingId.AsSpan(start, length), meter.AsSpan(start, length), hour.AsSpan(start, length), cutoff.AsSpan(start, length), memo);
            return memo;
        }, _memos.Add);
        into.Rows = rows;
    }

    private LevelMemo RentMemo() => _memos.TryTake(out var memo) ? memo : new LevelMemo(_history.Series.Count);

    private void Fill(FeatureMatrix m, int offset, ReadOnlySpan<int> buildingId, ReadOnlySpan<byte> meter, ReadOnlySpan<int> hour, ReadOnlySpan<int> cutoff, LevelMemo memo)
    {
        var col = m.Columns;

        // Rows come grouped by series (GEPIII's test.csv: by building, meter and time) or by time (its train.csv, and
        // the bench's files), so a series' lookups are kept for the next row of the series, wherever it comes.
        var series = new SeriesLookups(this, memo);
        for (var k = 0; k < hour.Length; k++)
        {
            var i = offset + k;
            series.MoveTo(buildingId[k], meter[k]);
            var site = series.Site;
            var h = hour[k];
            col[(int)FeatureColumn.BuildingId][i] = buildingId[k];
            col[(int)FeatureColumn.Meter][i] = meter[k];
            col[(int)FeatureColumn.SiteId][i] = site;
            col[(int)FeatureColumn.PrimaryUse][i] = series.PrimaryUse;
            col[(int)FeatureColumn.LogSquareFeet][i] = series.LogSquareFeet;
            col[(int)FeatureColumn.YearBuilt][i] = series.YearBuilt;
            col[(int)FeatureColumn.FloorCount][i] = series.FloorCount;
            col[(int)FeatureColumn.Hour][i] = Timestamps.HourOfDay(h);
            col[(int)FeatureColumn.Weekday][i] = Timestamps.Weekday(h);
            var holiday = IsHoliday(site, h);
            var dayOff = holiday || Timestamps.Weekday(h) >= 5;
            col[(int)FeatureColumn.IsHoliday][i] = holiday ? 1 : 0;
            col[(int)FeatureColumn.IsDayOff][i] = dayOff ? 1 : 0;
            float temperature24 = float.NaN;
            if (series.Weather is { } w)
            {
                // The weather columns follow WeatherRows.ValueColumns, from air_temperature on.
                for (var v = 0; v < WeatherRows.ValueColumns.Length; v++)
                {
                    col[(int)FeatureColumn.AirTemperature + v][i] = w.At(v, h);
                }

                var d = series.Derived!;
                var at = h - w.FirstLocalHour;
                var inside = (uint)at < (uint)w.Length;
                temperature24 = inside ? d[0][at] : float.NaN;
                col[(int)FeatureColumn.AirTemperatureMean24][i] = temperature24;
                col[(int)FeatureColumn.AirTemperatureMean72][i] = inside ? d[1][at] : float.NaN;
                col[(int)FeatureColumn.AirTemperatureLag3][i] = w.At(0, h - 3);
                col[(int)FeatureColumn.DewTemperatureMean24][i] = inside ? d[2][at] : float.NaN;
            }
            else
            {
                for (var v = (int)FeatureColumn.AirTemperature; v <= (int)FeatureColumn.DewTemperatureMean24; v++)
                {
                    col[v][i] = float.NaN;
                }
            }

            float level = float.NaN, profile = float.NaN, levelTemperature = float.NaN;
            float levelLong = float.NaN, profileLong = float.NaN, longTemperature = float.NaN;
            if (series.Index >= 0)
            {
                var c = Math.Min(cutoff[k], h);
                (level, levelTemperature, levelLong, longTemperature) = series.Levels(c);
                (profile, profileLong) = series.Profiles(c, LevelHistory.ClassOf(h, dayOff));
                col[(int)FeatureColumn.HorizonDays][i] = (h - c) / 24f;
            }
            else
            {
                col[(int)FeatureColumn.HorizonDays][i] = float.NaN;
            }

            if (meter[k] != 0)
            {
                // Last season's level says little about a heating or cooling meter this season (measured on the bench data).
                level = profile = levelTemperature = levelLong = profileLong = longTemperature = float.NaN;
            }

            col[(int)FeatureColumn.Level][i] = level;
            col[(int)FeatureColumn.LevelProfile][i] = profile;
            col[(int)FeatureColumn.LevelTemperature][i] = levelTemperature;
            col[(int)FeatureColumn.TemperatureVsLevel][i] = temperature24 - levelTemperature;
            col[(int)FeatureColumn.LevelLong][i] = levelLong;
            col[(int)FeatureColumn.ProfileLong][i] = profileLong;
            col[(int)FeatureColumn.LevelChange][i] = level - levelLong;
            col[(int)FeatureColumn.LongTemperature][i] = longTemperature;
            col[(int)FeatureColumn.TemperatureVsLong][i] = temperature24 - longTemperature;
            // Electricity follows its recent level; heating and cooling meters follow the weather, and a level taken
            // from last season misleads them: they are modelled directly, with the levels only as features.
            var baseline = profileLong;
            m.Baseline[i] = meter[k] != 0 ? 0 : float.IsFinite(baseline) ? baseline : float.IsFinite(level) ? level : _history.MeterMean[meter[k]];
        }
    }

    /// <summary>A building's metadata and its site's weather, as the features use them.</summary>
    private sealed record BuildingLookups(int Site, int PrimaryUse, float LogSquareFeet, float YearBuilt, float FloorCount, SiteWeather? Weather, float[][]? Derived);

    private BuildingLookups LookUp(int building)
    {
        var b = _buildings.RowOf[building];
        var site = _buildings.SiteId[b];
        var weather = _weather.TryGetValue(site, out var w) ? w : null;
        return new(site, _buildings.PrimaryUse[b], MathF.Log(_buildings.SquareFeet[b]), _buildings.YearBuilt[b], _buildings.FloorCount[b],
            weather, weather is null ? null : _derived[site]);
    }

    /// <summary>
    /// One thread's levels and profiles per series, each for the cutoff it was last asked for: a pure function of
    /// (series, cutoff, class), kept between chunks and builds. Test rows share one cutoff, so each series' levels are
    /// computed once per thread, not once per row, whatever the order of the rows.
    /// </summary>
    private sealed class LevelMemo
    {
        public LevelMemo(int series)
        {
            LevelCutoff = new int[series];
            Levels = new (float, float, float, float)[series];
            ProfileCutoff = new int[series];
            ProfileKnown = new ulong[series];
            Profiles = new (float, float)[series * LevelHistory.ProfileClasses];
            Array.Fill(LevelCutoff, int.MinValue);
            Array.Fill(ProfileCutoff, int.MinValue);
        }

        public int[] LevelCutoff { get; }
        public (float, float, float, float)[] Levels { get; }
        public int[] ProfileCutoff { get; }
        public ulong[] ProfileKnown { get; } // bit per class: Profiles holds it for ProfileCutoff
        public (float, float)[] Profiles { get; }
    }

    /// <summary>The current row's series: metadata and weather looked up again only when the series changes.</summary>
    private struct SeriesLookups(FeatureBuilder builder, LevelMemo memo)
    {
        private int _building = -1;
        private int _meter = -1;
        private BuildingLookups? _lookups;

        public readonly int Site => _lookups!.Site;
        public readonly int PrimaryUse => _lookups!.PrimaryUse;
        public readonly float LogSquareFeet => _lookups!.LogSquareFeet;
        public readonly float YearBuilt => _lookups!.YearBuilt;
        public readonly float FloorCount => _lookups!.FloorCount;
        public readonly SiteWeather? Weather => _lookups!.Weather;
        public readonly float[][]? Derived => _lookups!.Derived;
        public int Index { get; private set; } = -1;

        public void MoveTo(int building, byte meter)
        {
            if (building == _building && meter == _meter)
            {
                return;
            }

            Index = builder._history.Series.Find(building, meter);
            // a series never seen in training (test only) has no precomputed lookups: its building's are made here
            _lookups = Index >= 0 ? builder._seriesBuilding[Index] : building == _building ? _lookups : builder.LookUp(building);
            _building = building;
            _meter = meter;
        }

        public readonly (float Level, float Temperature, float LevelLong, float LongTemperature) Levels(int cutoff)
        {
            var s = Index;
            if (memo.LevelCutoff[s] != cutoff)
            {
                var history = builder._history;
                var (level, temperature) = history.Level(s, cutoff);
                var (levelLong, longTemperature) = history.Level(s, cutoff, LevelHistory.LongWindow);
                memo.Levels[s] = (level, temperature, levelLong, longTemperature);
                memo.LevelCutoff[s] = cutoff;
            }

            return memo.Levels[s];
        }

        public readonly (float Profile, float ProfileLong) Profiles(int cutoff, int profileClass)
        {
            var s = Index;
            if (memo.ProfileCutoff[s] != cutoff)
            {
                memo.ProfileKnown[s] = 0;
                memo.ProfileCutoff[s] = cutoff;
            }

            var slot = (s * LevelHistory.ProfileClasses) + profileClass;
            if ((memo.ProfileKnown[s] & (1UL << profileClass)) == 0)
            {
                var history = builder._history;
                memo.Profiles[slot] = (history.ProfileLevel(s, cutoff, profileClass), history.ProfileLevel(s, cutoff, profileClass, LevelHistory.LongProfileWeeks));
                memo.ProfileKnown[s] |= 1UL << profileClass;
            }

            return memo.Profiles[slot];
        }
    }

    /// <summary>Trailing 24 h and 72 h mean temperature and 24 h mean dew point on a site's dense grid.</summary>
    private static float[][] Derive(SiteWeather w) =>
        [TrailingMean(w.Values[0], 24), TrailingMean(w.Values[0], 72), TrailingMean(w.Values[2], 24)];

    private static float[] TrailingMean(float[] values, int window)
    {
        var result = new float[values.Length];
        double sum = 0;
        var count = 0;
        for (var i = 0; i < values.Length; i++)
        {
            if (float.IsFinite(values[i]))
            {
                sum += values[i];
                count++;
            }

            if (i >= window && float.IsFinite(values[i - window]))
            {
                sum -= values[i - window];
                count--;
            }

            result[i] = count > 0 ? (float)(sum / count) : float.NaN;
        }

        return result;
    }
}
