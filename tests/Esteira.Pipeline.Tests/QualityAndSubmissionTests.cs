using System.IO.Compression;
using Esteira.Data;

namespace Esteira.Pipeline.Tests;

public sealed class QualityScreenTests
{
    private static (MeterReadings Train, SeriesIndex Series) Series(float[] readings, int[]? hours = null, byte meter = 0)
    {
        hours ??= Enumerable.Range(0, readings.Length).ToArray();
        var train = new MeterReadings
        {
            BuildingId = new int[readings.Length],
            Meter = Enumerable.Repeat(meter, readings.Length).ToArray(),
            Hour = hours,
            Reading = readings,
            Line = Enumerable.Range(2, readings.Length).ToArray(),
        };
        return (train, SeriesIndex.Build(train.BuildingId, train.Meter, train.Hour));
    }

    private static float[] Varying(int n, float level = 10) => Enumerable.Range(0, n).Select(i => level + (i % 5)).ToArray();

    [Fact]
    public void Runs_of_24_identical_or_zero_readings_are_flagged_and_shorter_ones_are_not()
    {
        var readings = Varying(400);
        Array.Fill(readings, 7f, 50, 24);   // constant run of exactly 24 h
        Array.Fill(readings, 0f, 150, 30);  // zero run of 30 h
        Array.Fill(readings, 9f, 250, 23);  // 23 h: not flagged
        var (train, series) = Series(readings);
        var report = QualityScreen.Screen(train, series);
        var q = report.Series.Single();
        Assert.Equal((1, 24, 1, 30), (q.ConstantRuns, q.ConstantHours, q.ZeroRuns, q.ZeroHours));
        Assert.Equal(54, report.FlaggedRows);
        Assert.True(report.Flagged[50] && report.Flagged[73] && !report.Flagged[74] && !report.Flagged[250]);
    }

    [Fact]
    public void Missing_hours_are_counted_against_the_training_period()
    {
        var hours = Enumerable.Range(0, 100).Where(h => h % 10 != 0).ToArray();
        var (train, series) = Series(Varying(hours.Length), hours);
        Assert.Equal(9, QualityScreen.Screen(train, series).Series.Single().MissingHours);
    }

    [Fact]
    public void A_level_shift_is_reported_with_its_date_and_an_electricity_regime_change_flags_the_old_regime()
    {
        // Given 12 weeks at level ~10 then 12 weeks at level ~60 (×5.4 in log1p terms)
        const int Half = 12 * 7 * 24;
        var readings = Varying(Half).Concat(Varying(Half, 60)).ToArray();
        var (train, series) = Series(readings);
        var q = QualityScreen.Screen(train, series).Series.Single();
        Assert.Equal(1, q.LevelShifts);
        Assert.Equal(Timestamps.Format(Half)[..10], q.LargestShiftAt);
        Assert.Equal(Half, q.StaleRegimeHours);
        Assert.Equal(q.LargestShiftAt, q.RegimeStart);
    }

    [Fact]
    public void A_jump_after_sparse_early_readings_starts_the_regime_at_the_jump()
    {
        // Given a meter that logs a few readings a fortnight at ~20 for 10 weeks, then a fortnight of 40 readings at ~80
        // and one of 20 at ~15, then every hour at ~130 for 20 weeks: the regime starts with the hourly readings. The
        // widest gap between the means before and after a split sits two fortnights earlier (it keeps the ~80 readings
        // out of "before"); the least-squares change point, which weighs each side by its readings, does not.
        const int Window = QualityScreen.ShiftWindowHours;
        var early = new (int Count, float Level)[] { (10, 20), (3, 20), (3, 20), (3, 20), (20, 20), (40, 80), (20, 15) };
        var hours = early.SelectMany((w, i) => Enumerable.Range(0, w.Count).Select(k => (i * Window) + (k * 5))).ToList();
        var readings = early.SelectMany(w => Enumerable.Range(0, w.Count).Select(k => w.Level + (k % 3))).ToList();
        var sparse = hours.Count;
        hours.AddRange(Enumerable.Range(7 * Window, 10 * Window));
        readings.AddRange(Enumerable.Range(0, 10 * Window).Select(k => 130f + (k % 5)));
        var (train, series) = Series([.. readings], [.. hours]);

        var q = QualityScreen.Screen(train, series).Series.Single();

        Assert.Equal(Timestamps.Format(7 * Window)[..10], q.RegimeStart);
        Assert.Equal(sparse, q.StaleRegimeHours);
    }

    [Fact]
    public void A_steam_meter_off_for_the_summer_is_reported_but_not_flagged()
    {
        var readings = Varying(400);
        Array.Fill(readings, 0f, 100, 200);
        var (train, series) = Series(readings, meter: 2);
        var report = QualityScreen.Screen(train, series);
        Assert.Equal((1, 200), (report.Series.Single().ZeroRuns, report.Series.Single().ZeroHours));
        Assert.Equal(0, report.FlaggedRows);
    }

    [Fact]
    public void Heating_meters_keep_their_seasons()
    {
        const int Half = 12 * 7 * 24;
        var readings = Varying(Half).Concat(Varying(Half, 60)).ToArray();
        var (train, series) = Series(readings, meter: 2);
        Assert.Equal(0, QualityScreen.Screen(train, series).Series.Single().StaleRegimeHours);
    }
}

public sealed class SubmissionFileTests
{
    [Fact]
    public void Writes_atomically_and_reads_back_checked()
    {
        var dir = Directory.CreateTempSubdirectory("esteira-sub-").FullName;
        var path = Path.Combine(dir, "submission.csv.gz");
        SubmissionFile.WriteAtomic(path, [2, 0, 1], [1.5f, 0f, 123.45678f]);
        Assert.Equal(["submission.csv.gz"], Directory.GetFiles(dir).Select(Path.GetFileName));
        Assert.Equal(3, SubmissionFile.Check(path, [0, 1, 2]));
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        Assert.Equal("row_id,meter_reading\n2,1.5\n0,0\n1,123.4568\n", reader.ReadToEnd());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Parallel_gzip_members_decompress_to_the_single_stream_text(int workers)
    {
        // Given 300,000 rows with values of every magnitude the formatter meets (zeros, tiny, huge, rounded away)
        var (ids, predictions) = Rows(300_000, seed: workers);
        var single = new MemoryStream();
        using (var gzip = new GZipStream(single, CompressionLevel.Fastest, leaveOpen: true))
        {
            OldSingleStreamWrite(gzip, ids, predictions);
        }

        // When they are written as 10,000-row members compressed on several threads
        var members = new MemoryStream();
        SubmissionFile.WriteGzipMembers(members, ids, predictions, workers, memberRows: 10_000);

        // Then the file holds 30 members and decompresses to exactly the bytes of the old single-stream writer
        Assert.Equal(30, CountMembers(members.ToArray()));
        Assert.Equal(Gunzip(single.ToArray()), Gunzip(members.ToArray()));
    }

    [Fact]
    public void The_check_reads_a_multi_member_file_and_refuses_it_damaged()
    {
        var dir = Directory.CreateTempSubdirectory("esteira-sub-").FullName;
        var path = Path.Combine(dir, "submission.csv.gz");
        var (ids, predictions) = Rows(50_000, seed: 7);
        using (var file = File.Create(path))
        {
            SubmissionFile.WriteGzipMembers(file, ids, predictions, workers: 2, memberRows: 4_000);
        }

        var sample = ids.Order().ToArray();
        Assert.Equal(50_000, SubmissionFile.Check(path, sample));

        var bytes = File.ReadAllBytes(path);
        var cuts = new[] { bytes.Length / 2, bytes.Length - 9, bytes.Length - 8, bytes.Length - 4, bytes.Length - 1 };
        foreach (var cut in cuts)
        {
            File.WriteAllBytes(path, bytes[..cut]);
            Assert.True(Record.Exception(() => SubmissionFile.Check(path, sample)) is EsteiraException, $"cut at {cut} of {bytes.Length}");
        }

        var flipped = bytes.ToArray();
        flipped[bytes.Length / 3] ^= 0x40;
        File.WriteAllBytes(path, flipped);
        Assert.Throws<EsteiraException>(() => SubmissionFile.Check(path, sample));

        File.WriteAllBytes(path, bytes);
        Assert.Contains("1 of the sample submission's 50001 ids are missing, e.g. row_id '50000'", Assert.Throws<EsteiraException>(() => SubmissionFile.Check(path, [.. sample, 50_000])).Message, StringComparison.Ordinal);
    }

    /// <summary>SubmissionFile's writer as it was before parallel members, kept as the reference for the text.</summary>
    private static void OldSingleStreamWrite(Stream output, int[] rowIds, float[] predictions)
    {
        var buffer = new byte[1 << 16];
        var header = "row_id,meter_reading\n"u8;
        header.CopyTo(buffer);
        var used = header.Length;
        for (var i = 0; i < rowIds.Length; i++)
        {
            if (used > buffer.Length - 64)
            {
                output.Write(buffer, 0, used);
                used = 0;
            }

            System.Buffers.Text.Utf8Formatter.TryFormat(rowIds[i], buffer.AsSpan(used), out var n);
            used += n;
            buffer[used++] = (byte)',';
            System.Buffers.Text.Utf8Formatter.TryFormat(MathF.Round(predictions[i], 4), buffer.AsSpan(used), out n);
            used += n;
            buffer[used++] = (byte)'\n';
        }

        output.Write(buffer, 0, used);
    }

    private static (int[] Ids, float[] Predictions) Rows(int count, int seed)
    {
        var random = new Random(seed);
        var ids = Enumerable.Range(0, count).OrderBy(_ => random.Next()).ToArray();
        var predictions = new float[count];
        for (var i = 0; i < count; i++)
        {
            predictions[i] = (i % 10) switch
            {
                0 => 0f,
                1 => (float)(random.NextDouble() * 1e-4),
                2 => (float)(random.NextDouble() * 1e7),
                3 => BitConverter.Int32BitsToSingle(random.Next(1, 0x7F7FFFFF)),
                _ => MathF.Exp((float)((random.NextDouble() * 8) - 1)),
            };
        }

        return (ids, predictions);
    }

    private static byte[] Gunzip(byte[] gz)
    {
        using var input = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>
    /// Gzip members, counted by their header: zlib writes 1f 8b 08 00 and a zero mtime, 8 fixed bytes that compressed
    /// data of this size repeats by chance with a probability near 2⁻⁴⁴.
    /// </summary>
    private static int CountMembers(byte[] gz)
    {
        ReadOnlySpan<byte> header = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0];
        var count = 0;
        var rest = gz.AsSpan();
        for (int at; (at = rest.IndexOf(header)) >= 0; rest = rest[(at + 1)..])
        {
            count++;
        }

        return count;
    }

    [Theory]
    [InlineData("row_id,meter_reading\n0,1e3\n1, 2.5\n2,3.\n")]
    [InlineData("\uFEFFrow_id,meter_reading\r\n2,0.0001\r\n+1,1.5E-45\r\n 0,0")]
    public void The_check_accepts_what_number_parsing_accepts(string content)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("esteira-sub-").FullName, "submission.csv");
        File.WriteAllText(path, content);
        Assert.Equal(3, SubmissionFile.Check(path, [0, 1, 2]));
    }

    [Fact]
    public void The_check_takes_sparse_and_negative_sample_ids()
    {
        // Given sample row ids that are no dense range (one negative, one near int.MaxValue), one of them given twice
        var path = Path.Combine(Directory.CreateTempSubdirectory("esteira-sub-").FullName, "submission.csv");
        int[] sample = [-5, 2_000_000_000, 7, 7];
        File.WriteAllText(path, "row_id,meter_reading\n7,1\n-5,0\n2000000000,2.5\n");

        // When the submission holds each once, it passes; when it lacks one, the check names it
        Assert.Equal(3, SubmissionFile.Check(path, sample));
        File.WriteAllText(path, "row_id,meter_reading\n7,1\n2000000000,2.5\n");
        Assert.Contains("submission.csv:4 column 'row_id': 1 of the sample submission's 3 ids are missing, e.g. row_id '-5'",
            Assert.Throws<EsteiraException>(() => SubmissionFile.Check(path, sample)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("row_id,meter_reading\n0,1\n1,2\n", "submission.csv:4 column 'row_id': 1 of the sample submission's 3 ids are missing, e.g. row_id '2'; add one row per id")]
    [InlineData("row_id,meter_reading\n0,1\n1,2\n1,2\n2,1\n", "submission.csv:4 column 'row_id': row_id '1' appears more than once; keep one row per id")]
    [InlineData("row_id,meter_reading\n0,1\n1,-2\n2,1\n", "submission.csv:3 column 'meter_reading'")]
    [InlineData("row_id,meter_reading\n0,1\n1,NaN\n2,1\n", "submission.csv:3 column 'meter_reading'")]
    [InlineData("row_id,meter_reading\n0,1\n7,2\n2,1\n", "submission.csv:3 column 'row_id': row_id '7' is not in the sample submission; submit exactly its ids")]
    [InlineData("id,value\n0,1\n", "submission.csv:1 column 'id': header is 'id,value', expected 'row_id,meter_reading'")]
    public void The_check_names_the_first_bad_line(string content, string expected)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("esteira-sub-").FullName, "submission.csv");
        File.WriteAllText(path, content);
        var error = Assert.Throws<EsteiraException>(() => SubmissionFile.Check(path, [0, 1, 2]));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
