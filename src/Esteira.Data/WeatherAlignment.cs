namespace Esteira.Data;

/// <summary>How one site's weather was shifted from UTC to local time.</summary>
/// <param name="SiteId">The site.</param>
/// <param name="KnownOffset">The GEPIII winners' offset (hours, standard time), if the site is known.</param>
/// <param name="EstimatedOffset">Offset estimated from the hour of peak mean air temperature (peak assumed at 14:00 local).</param>
/// <param name="UsedOffset">The offset applied: the known one where it exists, else the estimate.</param>
/// <param name="FilledCells">Weather cells filled by interpolation across short gaps.</param>
public sealed record SiteAlignment(int SiteId, int? KnownOffset, int? EstimatedOffset, int UsedOffset, long FilledCells)
{
    /// <summary>True when the estimate and the known offset disagree by more than one hour.</summary>
    public bool Disagrees => KnownOffset is { } k && EstimatedOffset is { } e && Math.Abs(k - e) > 1;
}

/// <summary>Weather per site on a dense local-time hourly grid; every column NaN where unknown.</summary>
public sealed class SiteWeather
{
    internal SiteWeather(int siteId, int firstLocalHour, float[][] values)
    {
        SiteId = siteId;
        FirstLocalHour = firstLocalHour;
        Values = values;
    }

    /// <summary>The site this weather belongs to.</summary>
    public int SiteId { get; }
    /// <summary>The local hour index of the first entry of each <see cref="Values"/> array.</summary>
    public int FirstLocalHour { get; }

    /// <summary>One dense array per <see cref="WeatherRows.ValueColumns"/> entry.</summary>
    public float[][] Values { get; }

    /// <summary>Number of hours on the grid.</summary>
    public int Length => Values[0].Length;

    /// <summary>The value of column <paramref name="column"/> at local hour <paramref name="localHour"/>, NaN outside the grid.</summary>
    public float At(int column, int localHour)
    {
        var i = localHour - FirstLocalHour;
        return (uint)i < (uint)Length ? Values[column][i] : float.NaN;
    }
}

/// <summary>Shifts UTC weather to local time per site and fills short gaps.</summary>
public static class WeatherAlignment
{
    /// <summary>Assumed local hour of the daily temperature peak, used to estimate a site's offset.</summary>
    public const int PeakLocalHour = 14;

    /// <summary>Longest run of missing hours filled by linear interpolation.</summary>
    public const int MaxInterpolatedGap = 6;

    /// <summary>Site UTC offsets (hours, standard time) the GEPIII winners used.</summary>
    public static readonly IReadOnlyDictionary<int, int> GepiiiOffsets = new Dictionary<int, int>
    {
        [0] = -5, [1] = 0, [2] = -7, [3] = -5, [4] = -8, [5] = 0, [6] = -5, [7] = -5,
        [8] = -5, [9] = -6, [10] = -7, [11] = -5, [12] = 0, [13] = -6, [14] = -5, [15] = -5,
    };

    /// <summary>Aligns every site's weather; returns the dense local grids and one alignment record per site.</summary>
    public static (IReadOnlyDictionary<int, SiteWeather> Sites, IReadOnlyList<SiteAlignment> Report) Align(
        WeatherRows weather, IReadOnlyDictionary<int, int>? knownOffsets = null)
    {
        knownOffsets ??= GepiiiOffsets;
        var sites = new Dictionary<int, SiteWeather>();
        var report = new List<SiteAlignment>();
        foreach (var group in Enumerable.Range(0, weather.Count).GroupBy(i => weather.SiteId[i]).OrderBy(g => g.Key))
        {
            var rows = group.ToArray();
            var estimated = EstimateOffset(weather, rows);
            int? known = knownOffsets.TryGetValue(group.Key, out var k) ? k : null;
            var used = known ?? estimated ?? 0;
            var first = rows.Min(r => weather.Hour[r]);
            var last = rows.Max(r => weather.Hour[r]);
            var length = last - first + 1;
            var values = new float[WeatherRows.ValueColumns.Length][];
            long filled = 0;
            for (var c = 0; c < values.Length; c++)
            {
                var dense = new float[length];
                Array.Fill(dense, float.NaN);
                foreach (var r in rows)
                {
                    dense[weather.Hour[r] - first] = weather.Values[c][r];
                }

                filled += FillShortGaps(dense, MaxInterpolatedGap);
                values[c] = dense;
            }

            sites[group.Key] = new SiteWeather(group.Key, first + used, values);
            report.Add(new SiteAlignment(group.Key, known, estimated, used, filled));
        }

        return (sites, report);
    }

    /// <summary>
    /// The offset (local − UTC, hours in −12..11) that puts the hour of peak mean air temperature at
    /// <see cref="PeakLocalHour"/>; null when the site has no temperature readings.
    /// </summary>
    public static int? EstimateOffset(WeatherRows weather, IEnumerable<int> rows)
    {
        var sum = new double[24];
        var count = new int[24];
        foreach (var r in rows)
        {
            var t = weather.Values[0][r];
            if (float.IsFinite(t))
            {
                var h = Timestamps.HourOfDay(weather.Hour[r]);
                sum[h] += t;
                count[h]++;
            }
        }

        if (count.Sum() == 0)
        {
            return null;
        }

        var peak = Enumerable.Range(0, 24).Where(h => count[h] > 0).MaxBy(h => sum[h] / count[h]);
        var offset = PeakLocalHour - peak;
        return ((offset % 24) + 24 + 12) % 24 - 12;
    }

    /// <summary>Linearly interpolates runs of NaN no longer than <paramref name="maxGap"/> between two known values.</summary>
    public static int FillShortGaps(Span<float> values, int maxGap)
    {
        var filled = 0;
        var lastKnown = -1;
        for (var i = 0; i < values.Length; i++)
        {
            if (float.IsNaN(values[i]))
            {
                continue;
            }

            var gap = i - lastKnown - 1;
            if (lastKnown >= 0 && gap > 0 && gap <= maxGap)
            {
                var a = values[lastKnown];
                var step = (values[i] - a) / (gap + 1);
                for (var k = 1; k <= gap; k++)
                {
                    values[lastKnown + k] = a + (step * k);
                }

                filled += gap;
            }

            lastKnown = i;
        }

        return filled;
    }
}
