using Esteira.Config;
using Esteira.Data;
using Esteira.Ml;
using Esteira.Pipeline.Cache;

namespace Esteira.Pipeline.Profiles;

/// <summary>ASHRAE Great Energy Predictor III: meters, buildings and UTC weather; RMSLE on meter_reading.</summary>
public sealed class GepiiiProfile : ICompetitionProfile
{
    /// <summary>The profile's name in esteira.yaml and summary.json.</summary>
    public const string ProfileName = "gepiii";

    /// <summary>The one instance (it has no state).</summary>
    public static GepiiiProfile Instance { get; } = new();

    /// <inheritdoc/>
    public string Name => ProfileName;

    /// <inheritdoc/>
    public bool Recognises(string dataset)
    {
        using var source = DatasetSource.Open(dataset);
        return source.Has(GepiiiReader.BuildingsFile) || source.Has(GepiiiReader.WeatherTrainFile);
    }

    /// <inheritdoc/>
    public CompetitionSettings Describe(string dataset, CompetitionSettings given) =>
        given with { Name = given.Name ?? "ashrae-energy-prediction", Profile = ProfileName, Metric = EvalMetric.Rmsle.Name };

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, string Hash)> DatasetHashes(string dataset, FileHasher hasher)
    {
        if (File.Exists(dataset))
        {
            return [(Path.GetFileName(dataset), hasher.Hash(dataset))];
        }

        using var source = DatasetSource.Open(dataset);
        return GepiiiReader.Files.Select(f =>
        {
            var display = source.DisplayName(f);
            return (Path.GetFileName(display), hasher.Hash(display));
        }).ToList();
    }

    /// <inheritdoc/>
    public FeaturesSummary Features(FeaturesRequest request, string output, IRunObserver observer)
    {
        if (request.Competition.Metric is { } metric && !string.Equals(metric, EvalMetric.Rmsle.Name, StringComparison.OrdinalIgnoreCase))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"competition.metric: GEPIII is scored with rmsle, not '{metric}'; remove the metric or set it to rmsle");
        }

        return GepiiiStages.Features(request.Dataset, request.Folds, request.KeepFlagged, request.Seed, output, observer);
    }

    /// <inheritdoc/>
    public ModelMetrics TrainLightGbm(string features, GbmOptions options, string output, IRunObserver observer) =>
        GepiiiStages.TrainLightGbm(features, options, output, observer);

    /// <inheritdoc/>
    public ModelMetrics WritePredictions(string features, float[] oof, float[] test, IReadOnlyList<FeatureGain> importance, string output) =>
        GepiiiStages.WritePredictions(features, oof, test, importance, output);

    /// <inheritdoc/>
    public long Submission(string features, string model, string output, IRunObserver observer) =>
        GepiiiStages.Submission(features, model, output, observer);
}
