namespace Esteira.Data;

/// <summary>
/// Groups rows into series (one per building and meter) with each series' rows in time order, without
/// moving the data: <see cref="Order"/> is a permutation and <see cref="Start"/> the offsets into it.
/// </summary>
public sealed class SeriesIndex
{
    private SeriesIndex(int[] order, int[] start, int[] buildingId, byte[] meter, int[] seriesOfRow)
    {
        Order = order;
        Start = start;
        BuildingId = buildingId;
        Meter = meter;
        SeriesOfRow = seriesOfRow;
    }

    /// <summary>Row numbers ordered by series, then by hour.</summary>
    public int[] Order { get; }

    /// <summary>Series s holds <c>Order[Start[s]..Start[s+1]]</c>; length is series count + 1.</summary>
    public int[] Start { get; }

    /// <summary>Building id of each series.</summary>
    public int[] BuildingId { get; }
    /// <summary>Meter kind code of each series.</summary>
    public byte[] Meter { get; }

    /// <summary>The series number of every row.</summary>
    public int[] SeriesOfRow { get; }

    /// <summary>Number of series.</summary>
    public int Count => BuildingId.Length;

    /// <summary>Finds the series s of (building, meter), or −1.</summary>
    public int Find(int buildingId, byte meter)
    {
        // Series are sorted by (building, meter), so a binary search over the packed key works.
        long key = ((long)buildingId << 8) | meter;
        int lo = 0, hi = Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            long k = ((long)BuildingId[mid] << 8) | Meter[mid];
            if (k == key)
            {
                return mid;
            }

            if (k < key)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return -1;
    }

    /// <summary>
    /// Builds the index with a counting sort by series (linear time) and an insertion-friendly sort of each
    /// series by hour (files are usually already in time order). Calls <paramref name="onDuplicate"/> with the two
    /// rows of the first repeated (series, hour), if any.
    /// </summary>
    public static SeriesIndex Build(int[] buildingId, byte[] meter, int[] hour, Action<int, int>? onDuplicate = null)
    {
        var n = hour.Length;
        var keys = new Dictionary<long, int>();
        foreach (var i in Enumerable.Range(0, n))
        {
            keys.TryAdd(((long)buildingId[i] << 8) | meter[i], 0);
        }

        var sortedKeys = keys.Keys.Order().ToArray();
        for (var s = 0; s < sortedKeys.Length; s++)
        {
            keys[sortedKeys[s]] = s;
        }

        var seriesOfRow = new int[n];
        var start = new int[sortedKeys.Length + 1];
        for (var i = 0; i < n; i++)
        {
            var s = keys[((long)buildingId[i] << 8) | meter[i]];
            seriesOfRow[i] = s;
            start[s + 1]++;
        }

        for (var s = 0; s < sortedKeys.Length; s++)
        {
            start[s + 1] += start[s];
        }

        var order = new int[n];
        var fill = start[..^1].ToArray();
        for (var i = 0; i < n; i++)
        {
            order[fill[seriesOfRow[i]]++] = i;
        }

        var hoursBuffer = Array.Empty<int>();
        for (var s = 0; s < sortedKeys.Length; s++)
        {
            var span = order.AsSpan(start[s], start[s + 1] - start[s]);
            if (!IsSortedByHour(span, hour))
            {
                if (hoursBuffer.Length < span.Length)
                {
                    hoursBuffer = new int[span.Length];
                }

                var hours = hoursBuffer.AsSpan(0, span.Length);
                for (var k = 0; k < span.Length; k++)
                {
                    hours[k] = hour[span[k]];
                }

                hours.Sort(span); // stable enough: equal hours are duplicates and rejected below
            }

            if (onDuplicate is not null)
            {
                for (var k = 1; k < span.Length; k++)
                {
                    if (hour[span[k]] == hour[span[k - 1]])
                    {
                        onDuplicate(Math.Min(span[k - 1], span[k]), Math.Max(span[k - 1], span[k]));
                        break;
                    }
                }
            }
        }

        var b = new int[sortedKeys.Length];
        var m = new byte[sortedKeys.Length];
        for (var s = 0; s < sortedKeys.Length; s++)
        {
            b[s] = (int)(sortedKeys[s] >> 8);
            m[s] = (byte)(sortedKeys[s] & 0xFF);
        }

        return new SeriesIndex(order, start, b, m, seriesOfRow);
    }

    private static bool IsSortedByHour(ReadOnlySpan<int> rows, int[] hour)
    {
        for (var k = 1; k < rows.Length; k++)
        {
            if (hour[rows[k]] < hour[rows[k - 1]])
            {
                return false;
            }
        }

        return true;
    }
}
