using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Esteira.Data;
using Esteira.Ml;
using Esteira.Pipeline;

namespace Esteira.Cli.Tests;

using Cli = Esteira.Testing.Cli;

/// <summary>Runs the whole job on a cut of the bundled real sample (BDG2, CC BY-SA 4.0).</summary>
public sealed class RealSampleTests
{
    private static readonly int[] Buildings = [20, 46, 94, 96, 277, 294, 313, 345, 407, 432, 517, 555];

    [Fact]
    [Trait("Category", "Slow")] // several esteira processes end to end (7-17 s): CI runs it, the inner loop does not
    public void A_cut_of_the_real_sample_gives_a_checked_submission_and_beats_the_weekday_hour_profile()
    {
        var root = Directory.CreateTempSubdirectory("esteira-e2e-").FullName;
        var data = Path.Combine(root, "data");
        Cut(Repository.Sample, data, Buildings);

        var result = GepiiiRun.Execute(new RunOptions
        {
            DataPath = data,
            OutDir = Path.Combine(root, "out"),
            StateRoot = root,
            Gbm = new GbmOptions { Iterations = 150 },
        });

        // A valid submission: every test row once, finite, ≥ 0 (checked again here, independently of the run)
        Assert.True(File.Exists(result.Submission));
        using (var source = DatasetSource.Open(data))
        {
            var ids = GepiiiReader.Read(source).SampleRowIds;
            Assert.Equal(ids.Length, SubmissionFile.Check(result.Submission, ids));
        }

        // Better than a per-building weekday × hour profile on the same validation rows and folds
        var profile = ProfileOutOfFold(data, result.OutOfFold.Value!);
        Assert.True(result.Cv < profile, $"CV RMSLE {result.Cv:F4} is not better than the profile's {profile:F4}");
        Assert.Equal(3, result.Folds.Count);
        Assert.True(File.Exists(result.QualityReport));
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "out"), "*.tmp*"));
    }

    /// <summary>For each fold, the mean log1p reading per building, weekday and hour over the rows before the fold.</summary>
    private static double ProfileOutOfFold(string data, OutOfFold oof)
    {
        using var source = DatasetSource.Open(data);
        var train = GepiiiReader.Read(source).Train;
        var predicted = new float[oof.Rows.Length];
        foreach (var fold in oof.Folds)
        {
            var sums = new Dictionary<(int, int, int), (double Sum, int Count)>();
            for (var i = 0; i < train.Count; i++)
            {
                if (train.Hour[i] < fold.Origin)
                {
                    var key = (train.BuildingId[i], Timestamps.Weekday(train.Hour[i]), Timestamps.HourOfDay(train.Hour[i]));
                    var (s, c) = sums.GetValueOrDefault(key);
                    sums[key] = (s + Math.Log(1 + train.Reading[i]), c + 1);
                }
            }

            for (var k = 0; k < oof.Rows.Length; k++)
            {
                if (oof.Fold[k] == fold.Index)
                {
                    var r = oof.Rows[k];
                    var (s, c) = sums.GetValueOrDefault((train.BuildingId[r], Timestamps.Weekday(train.Hour[r]), Timestamps.HourOfDay(train.Hour[r])));
                    predicted[k] = c > 0 ? (float)(s / c) : 0;
                }
            }
        }

        return Rmsle.FromLogSpace(predicted, oof.ActualLog1p);
    }

    /// <summary>Copies the sample keeping only some buildings (and the matching test, sample and solution rows).</summary>
    internal static void Cut(string sample, string target, int[] buildings)
    {
        Directory.CreateDirectory(target);
        var keep = buildings.Select(b => b.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        var testIds = new HashSet<string>();
        Filter("building_metadata.csv", f => keep.Contains(f[1]));
        Filter("train.csv", f => keep.Contains(f[0]));
        Filter("test.csv", f =>
        {
            var ok = keep.Contains(f[1]);
            if (ok)
            {
                testIds.Add(f[0]);
            }

            return ok;
        });
        Filter("sample_submission.csv", f => testIds.Contains(f[0]));
        Filter("weather_train.csv", _ => true);
        Filter("weather_test.csv", _ => true);

        void Filter(string name, Func<string[], bool> predicate)
        {
            using var reader = new StreamReader(new GZipStream(File.OpenRead(Path.Combine(sample, name + ".gz")), CompressionMode.Decompress));
            var output = new StringBuilder(reader.ReadLine() + "\n");
            while (reader.ReadLine() is { } line)
            {
                if (predicate(line.Split(',')))
                {
                    output.Append(line).Append('\n');
                }
            }

            File.WriteAllText(Path.Combine(target, name), output.ToString());
        }
    }
}

/// <summary>The CLI as a user runs it: a separate process, its exit code, its output.</summary>
public sealed class CliTests
{
    private static (int Exit, string Out, string Err) Esteira(string workingDirectory, params string[] args) => Cli.Esteira(workingDirectory, args);

    [Fact]
    public void Run_with_json_prints_one_object_with_the_score_folds_and_submission()
    {
        using var ds = new TempDataset();
        var (exit, stdout, stderr) = Esteira(ds.Root, "run", "--data", ds.Data, "--out", ds.Out, "--json", "--iterations", "30", "--folds", "2");
        Assert.True(exit == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var cv = json.RootElement.GetProperty("cv_rmsle").GetDouble();
        Assert.InRange(cv, 0, 1);
        Assert.Equal(2, json.RootElement.GetProperty("folds").GetArrayLength());
        var submission = json.RootElement.GetProperty("submission").GetString()!;
        Assert.Equal(Path.Combine(ds.Out, "submission.csv.gz"), submission);
        Assert.True(File.Exists(submission));
        // the published quality report carries, per experiment, where a naive profile beats its model
        using var quality = JsonDocument.Parse(File.ReadAllText(Path.Combine(ds.Out, "quality.json")));
        Assert.True(quality.RootElement.TryGetProperty("findings", out _));
        var compared = quality.RootElement.GetProperty("baselines").GetProperty("default");
        Assert.Equal(json.RootElement.GetProperty("baselines").GetProperty("series").GetInt32(), compared.GetProperty("series").GetInt32());
        Assert.Equal(json.RootElement.GetProperty("baselines").GetProperty("losses").GetInt32(), compared.GetProperty("losses").GetArrayLength());
    }

    [Theory]
    [InlineData("train.csv", "1,0,2016-01-01 02:00:00,52.00", "1,0,2016-01-01 02:00:00,-4", "train.csv:6 column 'meter_reading'")]
    [InlineData("weather_train.csv", "air_temperature", "air_temp", "weather_train.csv:1 column 'air_temperature'")]
    [InlineData("building_metadata.csv", "0,1,Education,2720", "0,1,Education,big", "building_metadata.csv:2 column 'square_feet'")]
    public void Bad_input_exits_2_with_one_line_and_writes_nothing(string file, string from, string to, string expected)
    {
        using var ds = new TempDataset();
        ds.Replace(file, from, to);
        var (exit, stdout, stderr) = Esteira(ds.Root, "run", "--data", ds.Data, "--out", ds.Out);
        Assert.Equal(2, exit);
        var lines = stderr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(ds.Out));
    }

    [Fact]
    public void A_missing_data_folder_exits_2()
    {
        using var ds = new TempDataset();
        var (exit, _, stderr) = Esteira(ds.Root, "run", "--data", Path.Combine(ds.Root, "nope"), "--out", ds.Out);
        Assert.Equal(2, exit);
        Assert.Contains("no such folder or file", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_option_is_a_usage_error()
    {
        using var ds = new TempDataset();
        var (exit, _, stderr) = Esteira(ds.Root, "run", "--bogus");
        Assert.Equal(2, exit);
        Assert.StartsWith("error: ", stderr, StringComparison.Ordinal);
    }
}
