using System.IO.Compression;
using System.Text;

namespace Esteira.Data.Tests;

using Cli = Esteira.Testing.Cli;

/// <summary>Damaged input is refused with one line naming the file (issue 13, "Reading"), never read as if whole.</summary>
public sealed class DamagedInputTests
{
    private static EsteiraException Fails(string path)
    {
        var error = Assert.Throws<EsteiraException>(() =>
        {
            using var source = DatasetSource.Open(path);
            GepiiiReader.Read(source);
        });
        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.DoesNotContain('\n', error.Message);
        return error;
    }

    private static string Gzip(TempDataset ds, string name, bool keepPlain = false)
    {
        var file = Path.Combine(ds.Data, name);
        using (var input = File.OpenRead(file))
        using (var output = new GZipStream(File.Create(file + ".gz"), CompressionLevel.Fastest))
        {
            input.CopyTo(output);
        }

        if (!keepPlain)
        {
            File.Delete(file);
        }

        return file + ".gz";
    }

    private static void AssertOneLineExit2(int exit, string stdout, string stderr, string expected)
    {
        Assert.True(exit == 2, $"exit {exit}: {stderr}");
        var lines = stderr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void A_gzip_cut_short_is_refused(double keep)
    {
        using var ds = new TempDataset();
        var gz = Gzip(ds, "train.csv");
        var bytes = File.ReadAllBytes(gz);
        File.WriteAllBytes(gz, bytes[..(int)(bytes.Length * keep)]);
        var message = Fails(ds.Data).Message;
        Assert.StartsWith($"{gz}: truncated or damaged gzip (", message, StringComparison.Ordinal);
        Assert.EndsWith("; download it again", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gzip_without_its_trailer_is_refused()
    {
        using var ds = new TempDataset();
        var gz = Gzip(ds, "test.csv");
        var bytes = File.ReadAllBytes(gz);
        File.WriteAllBytes(gz, bytes[..^8]); // every deflate block is there; only the CRC and size are gone
        Assert.StartsWith($"{gz}: truncated or damaged gzip (", Fails(ds.Data).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(6)] // CRC-32
    [InlineData(2)] // ISIZE
    public void A_gzip_with_a_bad_trailer_is_called_damaged(int fromEnd)
    {
        using var ds = new TempDataset();
        var gz = Gzip(ds, "weather_train.csv");
        var bytes = File.ReadAllBytes(gz);
        bytes[^fromEnd] ^= 0x10;
        File.WriteAllBytes(gz, bytes);
        var message = Fails(ds.Data).Message;
        Assert.StartsWith($"{gz}: truncated or damaged gzip (", message, StringComparison.Ordinal);
        Assert.DoesNotContain("unsupported compression method", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stored_zip_member_with_one_flipped_digit_is_refused()
    {
        using var ds = new TempDataset();
        var zip = Path.Combine(ds.Root, "data.zip");
        ZipFile.CreateFromDirectory(ds.Data, zip, CompressionLevel.NoCompression, includeBaseDirectory: false);
        var bytes = File.ReadAllBytes(zip);
        var row = Encoding.ASCII.GetBytes("1,0,2016-01-01 02:00:00,52.00");
        var at = bytes.AsSpan().IndexOf(row);
        Assert.True(at >= 0);
        bytes[at + row.Length - 4] = (byte)'3'; // 52.00 → 53.00: still a valid reading
        File.WriteAllBytes(zip, bytes);
        var message = Fails(zip).Message;
        Assert.StartsWith($"{zip}!train.csv: damaged zip member (", message, StringComparison.Ordinal);
        Assert.EndsWith("; download it again", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_rows_merged_by_a_lost_line_break_are_refused()
    {
        using var ds = new TempDataset();
        ds.Replace("train.csv", "1,0,2016-01-01 02:00:00,52.00\n", "1,0,2016-01-01 02:00:00,52.00");
        var message = Fails(ds.Data).Message;
        Assert.Contains("train.csv:6: row has 7 fields, expected 4", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_header_naming_a_column_twice_is_refused()
    {
        using var ds = new TempDataset();
        var file = Path.Combine(ds.Data, "train.csv");
        var lines = File.ReadAllLines(file);
        File.WriteAllLines(file, [lines[0] + ",meter", .. lines[1..].Select(l => l + ",0")]);
        var message = Fails(ds.Data).Message;
        Assert.Contains("train.csv:1 column 'meter'", message, StringComparison.Ordinal);
        Assert.Contains("twice (fields 2 and 5)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_present_both_plain_and_gzipped_is_refused_naming_both()
    {
        using var ds = new TempDataset();
        var gz = Gzip(ds, "train.csv", keepPlain: true);
        var message = Fails(ds.Data).Message;
        Assert.Contains(Path.Combine(ds.Data, "train.csv") + " and " + gz + " are both present", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_with_only_a_header_is_bad_input()
    {
        using var ds = new TempDataset();
        ds.Write("test.csv", "row_id,building_id,meter,timestamp\n");
        Assert.Contains("test.csv: has a header but no rows", Fails(ds.Data).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_line_longer_than_the_limit_says_so_without_naming_a_setting()
    {
        using var ds = new TempDataset();
        ds.Append("train.csv", "1,0,2016-02-11 00:00:00," + new string('9', CsvFile.MaxLineLength + 10));
        var message = Fails(ds.Data).Message;
        Assert.Contains($"train.csv:1922: the line is longer than {CsvFile.MaxLineLength} bytes", message, StringComparison.Ordinal);
        Assert.DoesNotContain("MaxBufferSize", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("train.csv", "0000-01-01 00:00:00")]
    [InlineData("train.csv", "2100-01-05 00:00:00")]
    [InlineData("test.csv", "1969-12-31 23:00:00")]
    [InlineData("weather_train.csv", "2100-01-05 00:00:00")]
    public void A_timestamp_outside_1970_to_2099_is_bad_input_naming_file_line_and_column(string file, string timestamp)
    {
        using var ds = new TempDataset();
        var original = file == "test.csv" ? "2016-02-10 00:00:00" : "2016-01-05 00:00:00";
        ds.Replace(file, original, timestamp);
        var line = File.ReadAllLines(Path.Combine(ds.Data, file)).ToList().FindIndex(l => l.Contains(timestamp, StringComparison.Ordinal)) + 1;

        var message = Fails(ds.Data).Message;

        Assert.Equal($"{Path.Combine(ds.Data, file)}:{line} column 'timestamp': '{timestamp}' is outside the years 1970–2099 that Esteira reads (is the year a typo?); fix that cell or remove the row", message);
    }

    [Fact]
    public void A_reading_years_away_from_the_rest_of_its_file_is_bad_input_naming_it()
    {
        using var ds = new TempDataset();
        ds.Replace("train.csv", "1,0,2016-01-05 00:00:00", "1,0,2099-01-05 00:00:00");
        var days = (int)((new DateTime(2099, 1, 5) - new DateTime(2016, 2, 9, 23, 0, 0)).TotalHours / 24);
        Assert.Equal($"{Path.Combine(ds.Data, "train.csv")}:194 column 'timestamp': '2099-01-05 00:00:00' is {days:N0} days after the file's other 1,919 rows (2016-01-01 00:00:00 .. 2016-02-09 23:00:00); is the year a typo?; fix that cell or remove the row",
            Fails(ds.Data).Message);

        using var early = new TempDataset();
        early.Replace("test.csv", "0,1,0,2016-02-10 00:00:00", "0,1,0,2014-02-10 00:00:00");
        Assert.Equal($"{Path.Combine(early.Data, "test.csv")}:2 column 'timestamp': '2014-02-10 00:00:00' is 730 days before the file's other 479 rows (2016-02-10 00:00:00 .. 2016-02-19 23:00:00); is the year a typo?; fix that cell or remove the row",
            Fails(early.Data).Message);
    }

    [Theory]
    [InlineData("2100-01-05 00:00:00", "outside the years 1970–2099")]
    [InlineData("2099-01-05 00:00:00", "days after the file's other 1,919 rows")]
    public void Cli_a_reading_in_the_year_2100_or_2099_exits_2_with_one_line_before_any_training(string timestamp, string expected)
    {
        using var ds = new TempDataset();
        ds.Replace("train.csv", "2016-01-05 00:00:00", timestamp);
        var (exit, stdout, stderr) = Cli.Esteira(ds.Root, "run", "--data", ds.Data, "--out", ds.Out);
        AssertOneLineExit2(exit, stdout, stderr, $"train.csv:194 column 'timestamp': '{timestamp}' is ");
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("train ", stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(ds.Out));
    }

    [Fact]
    public void Cli_a_file_with_only_a_header_exits_2_with_one_line()
    {
        using var ds = new TempDataset();
        ds.Write("train.csv", "building_id,meter,timestamp,meter_reading\n");
        var (exit, stdout, stderr) = Cli.Esteira(ds.Root, "run", "--data", ds.Data, "--out", ds.Out);
        AssertOneLineExit2(exit, stdout, stderr, "train.csv: has a header but no rows");
        Assert.False(Directory.Exists(ds.Out));
    }

    [Fact]
    public void Cli_a_truncated_gzip_exits_2_with_one_line()
    {
        using var ds = new TempDataset();
        var gz = Gzip(ds, "train.csv");
        var bytes = File.ReadAllBytes(gz);
        File.WriteAllBytes(gz, bytes[..(bytes.Length / 2)]);
        var (exit, stdout, stderr) = Cli.Esteira(ds.Root, "run", "--data", ds.Data, "--out", ds.Out);
        AssertOneLineExit2(exit, stdout, stderr, "train.csv.gz: truncated or damaged gzip (");
    }

    [Theory]
    [InlineData("")]
    [InlineData("sub")]
    public void Cli_an_out_that_is_a_file_or_under_one_exits_2_before_any_work(string below)
    {
        using var ds = new TempDataset();
        var file = Path.Combine(ds.Root, "taken");
        File.WriteAllText(file, "not a folder");
        var target = below.Length == 0 ? file : Path.Combine(file, below);
        var (exit, stdout, stderr) = Cli.Esteira(ds.Root, "run", "--data", ds.Data, "--out", target);
        AssertOneLineExit2(exit, stdout, stderr, $"--out {target}: ");
        Assert.DoesNotContain("reading", stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("not a folder", File.ReadAllText(file));
    }
}
