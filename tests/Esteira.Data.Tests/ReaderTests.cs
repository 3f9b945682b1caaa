using System.IO.Compression;

namespace Esteira.Data.Tests;

public sealed class ReaderTests
{
    private static GepiiiDataset Read(string path)
    {
        using var source = DatasetSource.Open(path);
        return GepiiiReader.Read(source);
    }

    private static EsteiraException Fails(string path)
    {
        var error = Assert.Throws<EsteiraException>(() => Read(path));
        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.DoesNotContain('\n', error.Message);
        return error;
    }

    [Fact]
    public void Reads_every_file_into_columns()
    {
        using var ds = new TempDataset();
        var data = Read(ds.Data);
        Assert.Equal(2 * 40 * 24, data.Train.Count);
        Assert.Equal(2 * 10 * 24, data.Test.Count);
        Assert.Equal(2, data.Buildings.Count);
        Assert.Equal(2 * 50 * 24, data.Weather.Count);
        Assert.Equal(data.Test.RowId, data.SampleRowIds);
        Assert.True(float.IsNaN(data.Buildings.FloorCount[0]));
        Assert.Equal(Timestamps.FromDateTime(new DateTime(2016, 1, 1)), data.Train.Hour[0]);
    }

    [Fact]
    public void Gzipped_files_and_a_zip_read_the_same_as_plain_files()
    {
        using var ds = new TempDataset();
        var plain = Read(ds.Data);
        var zip = ds.Zip();
        foreach (var file in Directory.GetFiles(ds.Data))
        {
            using (var input = File.OpenRead(file))
            using (var output = new GZipStream(File.Create(file + ".gz"), CompressionLevel.Fastest))
            {
                input.CopyTo(output);
            }

            File.Delete(file);
        }

        var gz = Read(ds.Data);
        var zipped = Read(zip);
        Assert.Equal(plain.Train.Reading, gz.Train.Reading);
        Assert.Equal(plain.Train.Hour, zipped.Train.Hour);
        Assert.Equal(plain.Test.RowId, zipped.Test.RowId);
    }

    [Fact]
    public void A_truncated_zip_is_named_and_called_truncated()
    {
        using var ds = new TempDataset();
        var zip = ds.Zip();
        var bytes = File.ReadAllBytes(zip);
        File.WriteAllBytes(zip, bytes[..(bytes.Length / 2)]);
        var error = Fails(zip);
        Assert.Contains("data.zip", error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        using var ds = new TempDataset();
        File.Delete(Path.Combine(ds.Data, "weather_test.csv"));
        Assert.Contains("missing file weather_test.csv", Fails(ds.Data).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_column_names_file_and_column()
    {
        using var ds = new TempDataset();
        ds.Replace("train.csv", "meter_reading", "reading");
        var message = Fails(ds.Data).Message;
        Assert.Contains("train.csv:1 column 'meter_reading'", message, StringComparison.Ordinal);
        Assert.Contains("missing column", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc", "is not a number")]
    [InlineData("-1.5", "negative")]
    [InlineData("NaN", "not finite")]
    [InlineData("Infinity", "not finite")]
    public void A_bad_reading_names_file_line_and_column(string value, string problem)
    {
        using var ds = new TempDataset();
        ds.Replace("train.csv", "1,0,2016-01-01 02:00:00,52.00", $"1,0,2016-01-01 02:00:00,{value}");
        var message = Fails(ds.Data).Message;
        Assert.Contains("train.csv:6 column 'meter_reading'", message, StringComparison.Ordinal);
        Assert.Contains(problem, message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_timestamp_off_the_hour_is_rejected()
    {
        using var ds = new TempDataset();
        ds.Replace("train.csv", "7,0,2016-01-01 01:00:00", "7,0,2016-01-01 01:30:00");
        var message = Fails(ds.Data).Message;
        Assert.Contains("train.csv:5 column 'timestamp'", message, StringComparison.Ordinal);
        Assert.Contains("not on the hour", message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unparsable_timestamp_is_rejected()
    {
        using var ds = new TempDataset();
        ds.Replace("test.csv", "2016-02-10 00:00:00", "10/02/2016 00:00");
        Assert.Contains("test.csv:2 column 'timestamp'", Fails(ds.Data).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_building_absent_from_the_metadata_is_rejected()
    {
        using var ds = new TempDataset();
        ds.Append("train.csv", "99,0,2016-01-05 00:00:00,1.0");
        var message = Fails(ds.Data).Message;
        Assert.Contains("train.csv:1922 column 'building_id'", message, StringComparison.Ordinal);
        Assert.Contains("building_id 99 is not in ", message, StringComparison.Ordinal);
        Assert.EndsWith("building_metadata.csv; add the building to the metadata or remove its rows", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_key_names_both_lines()
    {
        using var ds = new TempDataset();
        ds.Append("train.csv", "7,0,2016-01-01 03:00:00,1.0");
        var error = Assert.Throws<EsteiraException>(() => Pipeline.GepiiiRun.Execute(new Pipeline.RunOptions { DataPath = ds.Data, OutDir = ds.Out, StateRoot = ds.Root }));
        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains("train.csv:1922", error.Message, StringComparison.Ordinal);
        Assert.Contains("repeats line 9", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(ds.Out));
    }

    [Fact]
    public void A_short_row_is_reported_as_truncated()
    {
        using var ds = new TempDataset();
        ds.Append("train.csv", "7,0,2016-02-11");
        var message = Fails(ds.Data).Message;
        Assert.Contains("train.csv:1922", message, StringComparison.Ordinal);
        Assert.Contains("fields", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2016-01-01 00:00:00", 2016, 1, 1, 0)]
    [InlineData("2016-02-29 23:00:00", 2016, 2, 29, 23)]
    [InlineData("2018-12-31 05:00", 2018, 12, 31, 5)]
    public void Timestamps_parse_to_hour_indexes(string text, int y, int m, int d, int h)
    {
        Assert.True(Timestamps.TryParseHour(text, out var hour, out _));
        Assert.Equal(new DateTime(y, m, d, h, 0, 0), Timestamps.ToDateTime(hour));
        Assert.Equal(text, Timestamps.Format(hour)[..text.Length]);
    }

    [Theory]
    [InlineData("2016-02-30 00:00:00")]
    [InlineData("2016-01-01 24:00:00")]
    [InlineData("2016-01-01T00:00:01")]
    [InlineData("")]
    public void Bad_timestamps_do_not_parse(string text) => Assert.False(Timestamps.TryParseHour(text, out _, out _));
}
