namespace Esteira.Data;

/// <summary>Features as columns: one float array per feature, reused chunk after chunk.</summary>
public sealed class FeatureMatrix
{
    public FeatureMatrix(string[] names, int capacity)
    {
        Names = names;
        Columns = names.Select(_ => new float[capacity]).ToArray();
        Baseline = new float[capacity];
    }

    public string[] Names { get; }

    /// <summary>How many rows the last <see cref="FeatureBuilder.Build"/> filled.</summary>
    public int Rows { get; internal set; }

    public float[][] Columns { get; }

    /// <summary>
    /// Each row's long-run profile level in log1p space (same hour and kind of day, up to 26 weeks before its
    /// cutoff, stale regimes left out). The model learns log1p(reading) − baseline, so a level shift
    /// after the training period moves the prediction with it.
    /// </summary>
    public float[] Baseline { get; }
}

/// <summary>
/// Builds GEPIII features for any set of rows: building metadata, calendar, aligned weather with trailing
/// means, and the series' recent level as of a per-row cutoff hour (only readings before it are used).
/// </summary>
public sealed class FeatureBuilder
{
    public static readonly string[] Names =
    [
        "building_id", "meter", "site_id", "primary_use", "log_square_feet", "year_built", "floor_count",
        "hour", "weekday", "is_holiday", "is_day_off",
        "air_temperature", "cloud_coverage", "dew_temperature", "precip_depth_1_hr", "sea_level_pressure", "wind_direction", "wind_speed",
        "air_temperature_mean24", "air_temperature_mean72", "air_temperature_lag3", "dew_temperature_mean24",
        "level", "level_profile", "level_temperature", "temperature_vs_level", "horizon_days",
        "level_long", "profile_long", "level_change", "long_temperature", "temperature_vs_long",
    ];

    private readonly Buildings _buildings;
    private readonly IReadOnlyDictionary<int, SiteWeather> _weather;
    private readonly IReadOnlyDictionary<int, float[][]> _derived;
    private readonly LevelHistory _history;

    public FeatureBuilder(Buildings buildings, IReadOnlyDictionary<int, SiteWeather> weather, LevelHistory history)
    {
        _buildings = buildings;
        _weather = weather;
        _history = history;
        _derived = weather.ToDictionary(p => p.Key, p => Derive(p.Value));
    }

    /// <summary>Whether a local hour at a site is a weekend day or a (US federal) holiday.</summary>
    public static bool IsDayOff(int siteId, int hour) => Timestamps.Weekday(hour) >= 5 || IsHoliday(siteId, hour);

    public static bool IsHoliday(int siteId, int hour) =>
        !Holidays.NonUsSites.Contains(siteId) && Holidays.IsUsFederalHoliday(hour / 24);

    /// <summary>The air temperature at a building's site at a local hour.</summary>
    public float Temperature(int buildingId, int hour) =>
        _weather.TryGetValue(_buildings.SiteId[_buildings.RowOf[buildingId]], out var w) ? w.At(0, hour) : float.NaN;

    /// <summary>
    /// Features for the first <paramref name="rows"/> rows of the key arrays, into <paramref name="into"/> (in parallel
    /// chunks); <paramref name="cutoff"/> bounds the history each row may see (exclusive).
    /// </summary>
    public void Build(int[] buildingId, byte[] meter, int[] hour, int[] cutoff, int rows, FeatureMatrix into)
    {
        if (rows > into.Baseline.Length)
        {
            throw new ArgumentException($"{rows} rows do not fit a matrix of {into.Baseline.Length}");
        }

        const int Chunk = 1 << 16;
        var chunks = (rows + Chunk - 1) / Chunk;
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, c =>
        {
            var start = c * Chunk;
            var length = Math.Min(Chunk, rows - start);
            Fill(into, start, buildingId.AsSpan(start, length), meter.AsSpan(start, length), hour.AsSpan(start, length), cutoff.AsSpan(start, length));
        });
        into.Rows = rows;
    }

    private void Fill(FeatureMatrix m, int offset, ReadOnlySpan<int> buildingId, ReadOnlySpan<byte> meter, ReadOnlySpan<int> hour, ReadOnlySpan<int> cutoff)
    {
        var col = m.Columns;

        // Rows come grouped by series more often than not (test.csv is sorted by building, meter and time, and all
        // its rows share one cutoff), so the lookups of the previous row's series and cutoff are kept and reused.
        var series = new SeriesLookups(this);
        for (var k = 0; k < hour.Length; k++)
        {
            var i = offset + k;
            series.MoveTo(buildingId[k], meter[k]);
            var site = series.Site;
            var h = hour[k];
            col[0][i] = buildingId[k];
            col[1][i] = meter[k];
            col[2][i] = site;
            col[3][i] = series.PrimaryUse;
            col[4][i] = series.LogSquareFeet;
            col[5][i] = series.YearBuilt;
            col[6][i] = series.FloorCount;
            col[7][i] = Timestamps.HourOfDay(h);
            col[8][i] = Timestamps.Weekday(h);
            var holiday = IsHoliday(site, h);
            var dayOff = holiday || Timestamps.Weekday(h) >= 5;
            col[9][i] = holiday ? 1 : 0;
            col[10][i] = dayOff ? 1 : 0;
            float temperature24 = float.NaN;
            if (series.Weather is { } w)
            {
                for (var v = 0; v < WeatherRows.ValueColumns.Length; v++)
                {
                    col[11 + v][i] = w.At(v, h);
                }

                var d = series.Derived!;
                var at = h - w.FirstLocalHour;
                var inside = (uint)at < (uint)w.Length;
                temperature24 = inside ? d[0][at] : float.NaN;
                col[18][i] = temperature24;
                col[19][i] = inside ? d[1][at] : float.NaN;
                col[20][i] = w.At(0, h - 3);
                col[21][i] = inside ? d[2][at] : float.NaN;
            }
            else
            {
                for (var v = 11; v <= 21; v++)
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
                col[26][i] = (h - c) / 24f;
            }
            else
            {
                col[26][i] = float.NaN;
            }

            if (meter[k] != 0)
            {
                // Last season's level says little about a heating or cooling meter this season (measured on the bench data).
                level = profile = levelTemperature = levelLong = profileLong = longTemperature = float.NaN;
            }

            col[22][i] = level;
            col[23][i] = profile;
            col[24][i] = levelTemperature;
            col[25][i] = temperature24 - levelTemperature;
            col[27][i] = levelLong;
            col[28][i] = profileLong;
            col[29][i] = level - levelLong;
            col[30][i] = longTemperature;
            col[31][i] = temperature24 - longTemperature;
            // Electricity follows its recent level; heating and cooling meters follow the weather, and a level taken
            // from last season misleads them: they are modelled directly, with the levels only as features.
            var baseline = profileLong;
            m.Baseline[i] = meter[k] != 0 ? 0 : float.IsFinite(baseline) ? baseline : float.IsFinite(level) ? level : _history.MeterMean[meter[k]];
        }
    }

    /// <summary>One series' metadata, weather and levels, looked up again only when the series or the cutoff changes.</summary>
    private struct SeriesLookups(FeatureBuilder builder)
    {
        private int _building = -1;
        private int _meter = -1;
        private int _levelCutoff = int.MinValue;
        private (float, float, float, float) _levels;
        private int _profileCutoff = int.MinValue;
        private readonly (float, float)[] _profiles = new (float, float)[LevelHistory.ProfileClasses];
        private ulong _profileKnown; // bit per class: _profiles holds it for _profileCutoff

        public int Site { get; private set; }
        public int PrimaryUse { get; private set; }
        public float LogSquareFeet { get; private set; }
        public float YearBuilt { get; private set; }
        public float FloorCount { get; private set; }
        public SiteWeather? Weather { get; private set; }
        public float[][]? Derived { get; private set; }
        public int Index { get; private set; } = -1;

        public void MoveTo(int building, byte meter)
        {
            if (building == _building && meter == _meter)
            {
                return;
            }

            if (building != _building)
            {
                var buildings = builder._buildings;
                var b = buildings.RowOf[building];
                Site = buildings.SiteId[b];
                PrimaryUse = buildings.PrimaryUse[b];
                LogSquareFeet = MathF.Log(buildings.SquareFeet[b]);
                YearBuilt = buildings.YearBuilt[b];
                FloorCount = buildings.FloorCount[b];
                Weather = builder._weather.TryGetValue(Site, out var w) ? w : null;
                Derived = Weather is null ? null : builder._derived[Site];
                _building = building;
            }

            _meter = meter;
            Index = builder._history.Series.Find(building, meter);
            _levelCutoff = _profileCutoff = int.MinValue;
        }

        public (float Level, float Temperature, float LevelLong, float LongTemperature) Levels(int cutoff)
        {
            if (cutoff != _levelCutoff)
            {
                var history = builder._history;
                var (level, temperature) = history.Level(Index, cutoff);
                var (levelLong, longTemperature) = history.Level(Index, cutoff, LevelHistory.LongWindow);
                _levels = (level, temperature, levelLong, longTemperature);
                _levelCutoff = cutoff;
            }

            return _levels;
        }

        public (float Profile, float ProfileLong) Profiles(int cutoff, int profileClass)
        {
            if (cutoff != _profileCutoff)
            {
                _profileKnown = 0;
                _profileCutoff = cutoff;
            }

            if ((_profileKnown & (1UL << profileClass)) == 0)
            {
                var history = builder._history;
                _profiles[profileClass] = (history.ProfileLevel(Index, cutoff, profileClass), history.ProfileLevel(Index, cutoff, profileClass, LevelHistory.LongProfileWeeks));
                _profileKnown |= 1UL << profileClass;
            }

            return _profiles[profileClass];
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
