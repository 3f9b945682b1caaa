using Esteira.Config;
using Esteira.Ml;
using Esteira.Pipeline.Cache;

namespace Esteira.Pipeline.Profiles;

/// <summary>What the features stage is given: the dataset and the workspace's CV, quality and competition settings.</summary>
public sealed record FeaturesRequest(string Dataset, int Folds, bool KeepFlagged, int Seed, CompetitionSettings Competition);

/// <summary>
/// A competition profile: what is specific to one kind of competition — its files, their schema, its features, its
/// metric's conventions. The pipeline owns the stages' order, keys and caching; a profile owns their content. Every
/// stage reads folders and writes one folder, so that its outputs can be cached and shared without being understood.
/// </summary>
/// <remarks>
/// A features folder always holds <c>summary.json</c> (<see cref="FeaturesSummary"/>, whose <c>profile</c> names the
/// profile that wrote it), <c>quality.json</c>, and the tables <c>train/</c>, <c>valid/</c> and <c>test/</c> described
/// in docs/contract.md, so that command and notebook experiments and blends work the same for every profile.
/// </remarks>
public interface ICompetitionProfile
{
    /// <summary>The name written in esteira.yaml's <c>competition.profile</c> and in <c>summary.json</c>.</summary>
    string Name { get; }

    /// <summary>True when <paramref name="dataset"/> (a folder or one .zip) is laid out for this profile.</summary>
    bool Recognises(string dataset);

    /// <summary>
    /// The competition settings for <paramref name="dataset"/>: <paramref name="given"/> with what it leaves open inferred
    /// from the data (profile, metric, and a tabular profile's id, target, time column and task), for <c>esteira init</c>
    /// to write into esteira.yaml where the user can edit it.
    /// </summary>
    CompetitionSettings Describe(string dataset, CompetitionSettings given);

    /// <summary>The dataset's files with their content hashes: they key the features stage.</summary>
    IReadOnlyList<(string Name, string Hash)> DatasetHashes(string dataset, FileHasher hasher);

    /// <summary>ingest → validate → features: reads and checks the dataset and writes the features folder.</summary>
    FeaturesSummary Features(FeaturesRequest request, string output, IRunObserver observer);

    /// <summary>train → predict: the built-in LightGBM on the features folder's CV folds, then a final model.</summary>
    ModelMetrics TrainLightGbm(string features, GbmOptions options, string output, IRunObserver observer);

    /// <summary>
    /// Checks predictions in the target's units (one per <c>valid/</c> and <c>test/</c> row), scores the out-of-fold ones
    /// with the competition's metric and writes them with the metrics. Used by built-in, command, notebook and blend models.
    /// </summary>
    ModelMetrics WritePredictions(string features, float[] oof, float[] test, IReadOnlyList<FeatureGain> importance, string output);

    /// <summary>check: writes the submission from the test predictions and checks it against the sample submission.</summary>
    long Submission(string features, string model, string output, IRunObserver observer);
}
