using Esteira.Data.Submissions;
using Xunit;

namespace Esteira.Deploy.Tests;

public sealed class ScorerTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void Public_and_private_scores_equal_Rmsle_Compute_on_each_half(bool gzipSolution, bool gzipSubmission)
    {
        var comp = TinyCompetition.Create(_temp.Path, rows: 300, gzipSolution: gzipSolution);
        var path = _temp.Combine(gzipSubmission ? "sub.csv.gz" : "sub.csv");
        var predictions = comp.WriteSubmission(path, (i, y) => (y * 1.1f) + (i % 5));

        var solution = ReferenceRows.LoadSolution(Directory.GetFiles(comp.Dir, "solution.csv*")[0], EvalMetric.Rmsle);
        var check = SubmissionScorer.Check(path, solution);

        Assert.True(check.IsValid, check.Error?.ToString());
        Assert.Equal(300, check.Rows);
        var h = comp.PublicRows;
        Assert.Equal(Rmsle.Compute(predictions.AsSpan(0, h), comp.Actual.AsSpan(0, h)), check.PublicScore!.Value, 6);
        Assert.Equal(Rmsle.Compute(predictions.AsSpan(h), comp.Actual.AsSpan(h)), check.PrivateScore!.Value, 6);
    }

    [Theory]
    [InlineData("row_id,meter_reading\n0,1\n1,-2\n2,3\n", 3, "meter_reading", "finite number")]
    [InlineData("row_id,meter_reading\n0,1\n1,abc\n2,3\n", 3, "meter_reading", "'abc'")]
    [InlineData("row_id,meter_reading\n0,1\n1,NaN\n2,3\n", 3, "meter_reading", "finite")]
    [InlineData("row_id,meter_reading\n0,1\n0,2\n2,3\n", 3, "row_id", "row_id '0' appears more than once; keep one row per id")]
    [InlineData("row_id,meter_reading\n0,1\nx,2\n2,3\n", 3, "row_id", "row_id 'x' is not in the sample submission")]
    [InlineData("row_id,meter_reading\n0,1\n7,2\n2,3\n", 3, "row_id", "row_id '7' is not in the sample submission; submit exactly its ids")]
    [InlineData("row_id,meter_reading\n0,1\n1,2\n", 4, "row_id", "1 of the sample submission's 3 ids are missing, e.g. row_id '2'; add one row per id")]
    [InlineData("id,value\n0,1\n1,2\n2,3\n", 1, "id", "header")]
    [InlineData("row_id,meter_reading\n0,1\n1,2,9\n2,3\n", 3, "meter_reading", "more than 2 columns")]
    [InlineData("row_id,meter_reading\n0,1\n1\n2,3\n", 3, "meter_reading", "1 column")]
    [InlineData("row_id,meter_reading\n0,1\n\"1,2\n2,3\n", 3, "meter_reading", "quote that is never closed")]
    [InlineData("row_id,meter_reading\n0,1\n\"1\",\"2,5\"\n2,3\n", 3, "meter_reading", "'2,5' is not a finite number")]
    public void The_first_bad_row_and_column_are_named(string content, long line, string column, string problem)
    {
        var reference = ReferenceRows.FromArrays([0, 1, 2], [1, 2, 3], [RowUsage.Public, RowUsage.Public, RowUsage.Private], EvalMetric.Rmsle);
        var path = _temp.Combine("bad.csv");
        File.WriteAllText(path, content);

        var error = SubmissionScorer.Check(path, reference).Error;

        Assert.NotNull(error);
        Assert.Equal(line, error.Line);
        Assert.Equal(column, error.Column);
        Assert.Contains(problem, error.Problem);
    }

    [Theory]
    [InlineData("\"row_id\",\"meter_reading\"\r\n\"0\",\"1\"\r\n\"1\",\"2\"\r\n\"2\",\"3\"\r\n")]
    [InlineData("row_id,\"meter_reading\"\n0,\"1\"\n\"1\",2\n2,3\n")]
    public void Rfc_4180_quoted_fields_are_read_as_their_values(string content)
    {
        var reference = ReferenceRows.FromArrays([0, 1, 2], [1, 2, 3], [RowUsage.Public, RowUsage.Public, RowUsage.Private], EvalMetric.Rmse);
        var path = _temp.Combine("quoted.csv");
        File.WriteAllText(path, content);

        var check = SubmissionScorer.Check(path, reference);

        Assert.True(check.IsValid, check.Error?.ToString());
        Assert.Equal(3, check.Rows);
        Assert.Equal(0, check.PublicScore!.Value, 9);
    }

    [Fact]
    public void Crlf_a_bom_swapped_columns_and_exponents_are_accepted()
    {
        var reference = ReferenceRows.FromArrays([0, 1], [1, 100], [RowUsage.Public, RowUsage.Public], EvalMetric.Rmse);
        var path = _temp.Combine("ok.csv");
        File.WriteAllText(path, "\uFEFFmeter_reading,row_id\r\n1e2,1\r\n1.0,0\r\n");

        var check = SubmissionScorer.Check(path, reference);

        Assert.True(check.IsValid, check.Error?.ToString());
        Assert.Equal(0, check.PublicScore!.Value, 9);
        Assert.Null(check.PrivateScore);
    }

    [Fact]
    public void A_sample_submission_checks_ids_without_scoring()
    {
        var comp = TinyCompetition.Create(_temp.Path, rows: 50);
        var sample = ReferenceRows.LoadSample(comp.SamplePath);
        var path = _temp.Combine("s.csv");
        comp.WriteSubmission(path, (_, y) => y);

        var check = SubmissionScorer.Check(path, sample);

        Assert.True(check.IsValid);
        Assert.False(sample.CanScore);
        Assert.Null(check.PublicScore);
    }

    [Fact]
    public void Number_parsing_fast_path_matches_the_framework()
    {
        var random = new Random(3);
        for (var i = 0; i < 20000; i++)
        {
            var value = Math.Round(random.NextDouble() * Math.Pow(10, random.Next(0, 7)), random.Next(0, 6));
            var text = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Numbers.TryParseValue(System.Text.Encoding.ASCII.GetBytes(text), out var parsed));
            Assert.Equal(double.Parse(text, System.Globalization.CultureInfo.InvariantCulture), parsed);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    [InlineData(4)]
    [InlineData(1)]
    public void A_truncated_gzip_is_a_format_error_not_a_crash(int cutFromEnd)
    {
        // Given a gzipped submission cut short: in the middle (2 = half the file), or inside or just before its trailer,
        // where .NET's GZipStream alone reads the data as complete
        var comp = TinyCompetition.Create(_temp.Path, rows: 5000);
        var path = _temp.Combine("sub.csv.gz");
        comp.WriteSubmission(path, (_, y) => y, gzip: true);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(cutFromEnd == 2 ? bytes.Length / 2 : bytes.Length - cutFromEnd)]);

        // When it is scored
        var check = SubmissionScorer.Check(path, ReferenceRows.LoadSolution(Path.Combine(comp.Dir, "solution.csv"), EvalMetric.Rmsle));

        // Then it is refused as unreadable, not scored on the rows that were read
        Assert.False(check.IsValid);
        Assert.Contains("cannot be read as CSV", check.Error!.Problem, StringComparison.Ordinal);
    }
}
