namespace Esteira.Data;

/// <summary>Reads and checks the six files of the GEPIII layout into columns.</summary>
public static class GepiiiReader
{
    /// <summary>Hourly meter readings for training.</summary>
    public const string TrainFile = "train.csv";
    /// <summary>The rows to predict.</summary>
    public const string TestFile = "test.csv";
    /// <summary>Per-building metadata: site, primary use, size, year built, floors.</summary>
    public const string BuildingsFile = "building_metadata.csv";
    /// <summary>Hourly weather per site over the training period.</summary>
    public const string WeatherTrainFile = "weather_train.csv";
    /// <summary>Hourly weather per site over the test period.</summary>
    public const string WeatherTestFile = "weather_test.csv";
    /// <summary>The expected submission shape: row_id and meter_reading.</summary>
    public const string SampleSubmissionFile = "sample_submission.csv";

    /// <summary>Every file a dataset must hold.</summary>
    public static readonly string[] Files = [TrainFile, TestFile, BuildingsFile, WeatherTrainFile, WeatherTestFile, SampleSubmissionFile];

    private const int MaxMeter = 3;

    /// <summary>
    /// Reads all six files; the large ones in parallel. <paramref name="rowsRead"/> receives the running total of rows.
    /// </summary>
    public static GepiiiDataset Read(DatasetSource source, IProgress<long>? rowsRead = null)
    {
        foreach (var file in Files)
        {
            _ = source.DisplayName(file); // fail on a missing file before reading anything
        }

        var counter = new RowCounter(rowsRead);
        var buildings = ReadBuildings(source);

        // A zip archive is not safe to read from two threads; folders are.
        var parallel = !source.Path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase);
        MeterReadings? train = null;
        TestRows? test = null;
        WeatherRows? weather = null;
        int[]? sample = null;
        var jobs = new Action[]
        {
            () => train = ReadTrain(source, buildings, counter),
            () => test = ReadTest(source, buildings, counter),
            () => weather = ReadWeather(source, counter),
            () => sample = ReadSampleSubmission(source, counter),
        };
        if (parallel)
        {
            try
            {
                Parallel.Invoke(new ParallelOptions { MaxDegreeOfParallelism = 2 }, jobs);
            }
            catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(x => x is EsteiraException) is { } first)
            {
                throw first;
            }
        }
        else
        {
            foreach (var job in jobs)
            {
                job();
            }
        }

        counter.Flush();
        CheckTimeline(source.DisplayName(TrainFile), train!.Hour, i => train.Line[i]);
        CheckTimeline(source.DisplayName(TestFile), test!.Hour, i => i + 2L);
        return new GepiiiDataset { Train = train!, Test = test!, Buildings = buildings, Weather = weather!, SampleRowIds = sample! };
    }

    /// <summary>The longest stretch without a single row that a meter file may have inside it.</summary>
    public const int MaxGapHours = 366 * 24;

    /// <summary>
    /// Refuses a file whose timestamps fall apart in two, more than <see cref="MaxGapHours"/> from each other: the smaller part is a
    /// typo (a reading in 2099 among 2016's), and left in it would stretch the training period and its folds to the typo.
    /// </summary>
    internal static void CheckTimeline(string display, int[] hours, Func<int, long> lineOf)
    {
        if (hours.Length < 2)
        {
            return;
        }

        var (first, last) = (hours.Min(), hours.Max());
        if ((long)last - first <= MaxGapHours)
        {
            return;
        }

        var present = new System.Collections.BitArray(last - first + 1);
        foreach (var hour in hours)
        {
            present[hour - first] = true;
        }

        var (gapStart, gapEnd, previous) = (0, 0, 0);
        for (var h = 1; h < present.Length; h++)
        {
            if (present[h])
            {
                if (h - previous > gapEnd - gapStart)
                {
                    (gapStart, gapEnd) = (previous, h);
                }

                previous = h;
            }
        }

        if (gapEnd - gapStart <= MaxGapHours)
        {
            return;
        }

        var split = first + gapEnd;
        var later = hours.Count(h => h >= split);
        var outlierIsLater = later <= hours.Length - later;
        var row = Array.FindIndex(hours, h => outlierIsLater ? h >= split : h < split);
        var (restFrom, restTo) = outlierIsLater ? (first, first + gapStart) : (split, last);
        throw EsteiraException.BadInput(display, lineOf(row), "timestamp",
            $"'{Timestamps.Format(hours[row])}' is {(gapEnd - gapStart) / 24:N0} days {(outlierIsLater ? "after" : "before")} the file's other {(outlierIsLater ? hours.Length - later : later):N0} rows ({Timestamps.Format(restFrom)} .. {Timestamps.Format(restTo)}); is the year a typo?",
            "fix that cell or remove the row");
    }

    /// <summary>Reads building_metadata.csv; rejects a building id that appears twice. Missing numbers become NaN.</summary>
    public static Buildings ReadBuildings(DatasetSource source)
    {
        using var csv = CsvFile.Open(source, BuildingsFile, "site_id", "building_id", "primary_use", "square_feet", "year_built", "floor_count");
        var site = new GrowableColumn<int>();
        var id = new GrowableColumn<int>();
        var use = new GrowableColumn<int>();
        var sqft = new GrowableColumn<float>();
        var year = new GrowableColumn<float>();
        var floors = new GrowableColumn<float>();
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        var rowOf = new Dictionary<int, int>();
        while (csv.Read())
        {
            var buildingId = csv.Int(1);
            if (!rowOf.TryAdd(buildingId, id.Count))
            {
                throw csv.Bad(1, $"building_id {buildingId} appears twice", "keep one row per building");
            }

            site.Add(csv.Int(0));
            id.Add(buildingId);
            var name = csv.String(2);
            if (!uses.TryGetValue(name, out var code))
            {
                code = uses.Count;
                uses.Add(name, code);
            }

            use.Add(code);
            sqft.Add(csv.FloatOrNaN(3));
            year.Add(csv.FloatOrNaN(4));
            floors.Add(csv.FloatOrNaN(5));
        }

        return new Buildings
        {
            SiteId = site.ToArray(),
            BuildingId = id.ToArray(),
            PrimaryUse = use.ToArray(),
            PrimaryUseNames = uses.OrderBy(p => p.Value).Select(p => p.Key).ToArray(),
            SquareFeet = sqft.ToArray(),
            YearBuilt = year.ToArray(),
            FloorCount = floors.ToArray(),
            RowOf = rowOf,
        };
    }

    private static MeterReadings ReadTrain(DatasetSource source, Buildings buildings, RowCounter counter)
    {
        var pending = 0;
        using var csv = CsvFile.Open(source, TrainFile, "building_id", "meter", "timestamp", "meter_reading");
        var building = new GrowableColumn<int>(1 << 20);
        var meter = new GrowableColumn<byte>(1 << 20);
        var hour = new GrowableColumn<int>(1 << 20);
        var reading = new GrowableColumn<float>(1 << 20);
        var line = new GrowableColumn<int>(1 << 20);
        while (csv.Read())
        {
            var b = csv.Int(0);
            if (!buildings.RowOf.ContainsKey(b))
            {
                throw csv.Bad(0, $"building_id {b} is not in {source.DisplayName(BuildingsFile)}", "add the building to the metadata or remove its rows");
            }

            building.Add(b);
            meter.Add(ReadMeter(csv, 1));
            hour.Add(csv.Hour(2));
            var r = csv.Float(3);
            if (!float.IsFinite(r) || r < 0)
            {
                throw csv.Bad(3, $"meter_reading {r} is {(float.IsFinite(r) ? "negative" : "not finite")}, expected a finite value ≥ 0",
                    "remove the row or fix the reading");
            }

            reading.Add(r);
            line.Add((int)Math.Min(int.MaxValue, csv.Line));
            counter.Tick(ref pending);
        }

        counter.Publish(ref pending);
        return new MeterReadings { BuildingId = building.ToArray(), Meter = meter.ToArray(), Hour = hour.ToArray(), Reading = reading.ToArray(), Line = line.ToArray() };
    }

    private static TestRows ReadTest(DatasetSource source, Buildings buildings, RowCounter counter)
    {
        var pending = 0;
        using var csv = CsvFile.Open(source, TestFile, "row_id", "building_id", "meter", "timestamp");
        var rowId = new GrowableColumn<int>(1 << 20);
        var building = new GrowableColumn<int>(1 << 20);
        var meter = new GrowableColumn<byte>(1 << 20);
        var hour = new GrowableColumn<int>(1 << 20);
        while (csv.Read())
        {
            rowId.Add(csv.Int(0));
            var b = csv.Int(1);
            if (!buildings.RowOf.ContainsKey(b))
            {
                throw csv.Bad(1, $"building_id {b} is not in {source.DisplayName(BuildingsFile)}", "add the building to the metadata");
            }

            building.Add(b);
            meter.Add(ReadMeter(csv, 2));
            hour.Add(csv.Hour(3));
            counter.Tick(ref pending);
        }

        counter.Publish(ref pending);
        return new TestRows { RowId = rowId.ToArray(), BuildingId = building.ToArray(), Meter = meter.ToArray(), Hour = hour.ToArray() };
    }

    private static WeatherRows ReadWeather(DatasetSource source, RowCounter counter)
    {
        var site = new GrowableColumn<int>(1 << 16);
        var hour = new GrowableColumn<int>(1 << 16);
        var values = WeatherRows.ValueColumns.Select(_ => new GrowableColumn<float>(1 << 16)).ToArray();
        var seen = new HashSet<long>();
        var pending = 0;
        foreach (var file in new[] { WeatherTrainFile, WeatherTestFile })
        {
            using var csv = CsvFile.Open(source, file, ["site_id", "timestamp", .. WeatherRows.ValueColumns]);
            while (csv.Read())
            {
                var s = csv.Int(0);
                var h = csv.Hour(1);
                if (!seen.Add(((long)s << 32) | (uint)h))
                {
                    throw csv.Bad(1, $"site {s} at {Timestamps.Format(h)} appears twice (weather_train and weather_test are concatenated)", "keep one row per site and hour");
                }

                site.Add(s);
                hour.Add(h);
                for (var v = 0; v < values.Length; v++)
                {
                    values[v].Add(csv.FloatOrNaN(2 + v));
                }

                counter.Tick(ref pending);
            }
        }

        counter.Publish(ref pending);
        return new WeatherRows { SiteId = site.ToArray(), Hour = hour.ToArray(), Values = values.Select(v => v.ToArray()).ToArray() };
    }

    private static int[] ReadSampleSubmission(DatasetSource source, RowCounter counter)
    {
        var pending = 0;
        using var csv = CsvFile.Open(source, SampleSubmissionFile, "row_id", "meter_reading");
        var rowId = new GrowableColumn<int>(1 << 20);
        while (csv.Read())
        {
            rowId.Add(csv.Int(0));
            counter.Tick(ref pending);
        }

        counter.Publish(ref pending);
        return rowId.ToArray();
    }

    private static byte ReadMeter(CsvFile csv, int column)
    {
        var m = csv.Int(column);
        return m is >= 0 and <= MaxMeter
            ? (byte)m
            : throw csv.Bad(column, $"meter {m} is not a GEPIII meter type, expected 0 (electricity), 1 (chilled water), 2 (steam) or 3 (hot water)", "fix the meter column");
    }

    /// <summary>Counts rows across threads and reports in batches so progress costs nothing per row.</summary>
    private sealed class RowCounter(IProgress<long>? progress)
    {
        private const int Batch = 65_536;
        private long _total;

        /// <summary>Counts one row in the caller's own <paramref name="pending"/> counter; publishes every batch.</summary>
        public void Tick(ref int pending)
        {
            if (++pending == Batch)
            {
                Publish(ref pending);
            }
        }

        public void Publish(ref int pending)
        {
            var total = Interlocked.Add(ref _total, pending);
            pending = 0;
            progress?.Report(total);
        }

        public void Flush() => progress?.Report(Interlocked.Read(ref _total));
    }
}
