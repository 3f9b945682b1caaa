using System.Diagnostics;
using System.Globalization;
using Esteira.Config;
using Esteira.Ml;
using Esteira.Pipeline.Profiles;
using Xunit.Abstractions;

namespace Esteira.Pipeline.Tests;

/// <summary>
/// Measurements, not checks of speed: the tabular profile with LightGBM's default options on the real data sets.
/// bike-sharing's solution.csv is read here only to measure the submission, never to train or choose anything.
/// Run with <c>--filter FullyQualifiedName~TabularMeasurement --logger "console;verbosity=detailed"</c>.
/// </summary>
[Trait("Category", "Slow")]
public sealed class TabularMeasurement(ITestOutputHelper output)
{
    [Fact]
    public void BikeSharingCvAndTestRmsleWithDefaultOptions()
    {
        var data = TabularProfileTests.SharedData("bike-sharing-demand");
        var (metrics, submission, seconds) = Run(data, new CompetitionSettings { Metric = "rmsle" });

        using var gz = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(data, "solution.csv.gz")), System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        var truth = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.TrimEnd('\r').Split(','))
            .ToDictionary(f => f[0], f => double.Parse(f[1], CultureInfo.InvariantCulture));
        var (_, ids, values) = TabularProfileTests.ReadSubmission(submission);
        var test = EvalMetric.Rmsle.Score(values.ToArray(), ids.Select(id => truth[id]).ToArray());

        output.WriteLine($"bike-sharing: CV RMSLE {metrics.Cv:F5} (folds {string.Join(", ", metrics.Folds.Select(f => f.Score.ToString("F4", CultureInfo.InvariantCulture)))}), test RMSLE {test:F5}, {seconds:F1} s");
        // the issue's target (0.3855 at seed 42 when written; 0.412 before neighbour features and day blocks)
        Assert.True(test <= 0.39, $"test RMSLE {test}");
    }

    [Fact]
    public void AdultIncomeCvAucWithDefaultOptions()
    {
        var (metrics, _, seconds) = Run(TabularProfileTests.SharedData("adult-income"), new CompetitionSettings());

        output.WriteLine($"adult-income: CV AUC {metrics.Cv:F5} (folds {string.Join(", ", metrics.Folds.Select(f => f.Score.ToString("F4", CultureInfo.InvariantCulture)))}), {seconds:F1} s");
        Assert.True(metrics.Cv > 0.925, $"CV AUC {metrics.Cv}"); // 0.9282 when written
    }

    private static (ModelMetrics Metrics, string Submission, double Seconds) Run(string data, CompetitionSettings settings)
    {
        var root = Directory.CreateTempSubdirectory("esteira-measure-").FullName;
        try
        {
            var features = Directory.CreateDirectory(Path.Combine(root, "features")).FullName;
            var model = Directory.CreateDirectory(Path.Combine(root, "model")).FullName;
            var watch = Stopwatch.StartNew();
            TabularProfile.Instance.Features(new FeaturesRequest(data, 3, false, 42, settings), features, SilentObserver.Instance);
            var metrics = TabularProfile.Instance.TrainLightGbm(features, new GbmOptions { Tune = true }, model, SilentObserver.Instance);
            TabularProfile.Instance.Submission(features, model, model, SilentObserver.Instance);
            var seconds = watch.Elapsed.TotalSeconds;
            var kept = Path.Combine(Path.GetTempPath(), $"esteira-measure-{Path.GetFileName(data)}.csv.gz");
            File.Copy(Path.Combine(model, GepiiiStages.SubmissionFile), kept, overwrite: true);
            return (metrics, kept, seconds);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
