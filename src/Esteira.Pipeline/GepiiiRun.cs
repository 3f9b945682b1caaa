using System.Globalization;
using System.Text.Json;
using Esteira.Data;
using Esteira.Ml;

namespace Esteira.Pipeline;

/// <summary>What a run outside a workspace needs: where the data is, where to write, and how to model.</summary>
public sealed record RunOptions
{
    /// <summary>The GEPIII dataset: a folder or one .zip.</summary>
    public required string DataPath { get; init; }
    /// <summary>Where the submission is written.</summary>
    public required string OutDir { get; init; }
    /// <summary>Number of cross-validation folds.</summary>
    public int Folds { get; init; } = 3;
    /// <summary>The LightGBM settings.</summary>
    public GbmOptions Gbm { get; init; } = new();

    /// <summary>
    /// Keep training rows the quality screen flagged (runs of ≥ 24 h identical or zero readings, dormant starts,
    /// stale regimes); by default they are left out of training, of validation and of every series' level.
    /// </summary>
    public bool KeepFlagged { get; init; }

    /// <summary>Folder that holds the <c>.esteira/</c> cache; the current folder by default.</summary>
    public string? StateRoot { get; init; }

    /// <summary>Stages to rerun even when cached.</summary>
    public IReadOnlySet<string> Force { get; init; } = new HashSet<string>();

    /// <summary>The competition's profile, metric and columns; null fields are inferred from the data.</summary>
    public Config.CompetitionSettings Competition { get; init; } = new();
}

/// <summary>One CV fold's result.</summary>
public sealed record FoldScore(int Fold, string ValidFrom, string ValidTo, int TrainRows, int ValidRows, double Score);

/// <summary>Everything a run produced.</summary>
public sealed record RunResult(
    string Metric,
    double Cv,
    IReadOnlyList<FoldScore> Folds,
    string Submission,
    string QualityReport,
    long TrainRows,
    long TestRows,
    int Series,
    int FlaggedRows,
    IReadOnlyList<SiteAlignment> Alignment,
    IReadOnlyList<SeriesQuality> Quality,
    IReadOnlyList<FeatureGain> Importance,
    IReadOnlyList<Cache.PlannedStage> Plan,
    double Seconds,
    Lazy<OutOfFold?> OutOfFold)
{
    /// <summary>What the profile inferred about the data's columns (the tabular profile's <c>schema.json</c>); empty for GEPIII.</summary>
    public IReadOnlyList<Esteira.Data.Tabular.TabularColumn> Schema { get; init; } = [];

    /// <summary>Dataset-wide quality warnings (sites without weather, unseen test series, …), from quality.json.</summary>
    public IReadOnlyList<QualityFinding> Findings { get; init; } = [];

    /// <summary>The length of the CV windows in days when they are a backtest one forecast horizon long (GEPIII); null for other folds.</summary>
    public int? BacktestDays { get; init; }

    /// <summary>Days per CV block when the folds are blocks of days dealt in turn (a test between training days); null for other folds.</summary>
    public int? BlockDays { get; init; }

    /// <summary>How much of each correction to the profile the CV windows kept, per meter type (the built-in GEPIII model); else empty.</summary>
    public IReadOnlyList<KeptShare> Kept { get; init; } = [];

    /// <summary>The series where a naive baseline beats the model on the CV rows (GEPIII); null for other profiles.</summary>
    public BaselineComparison? Baselines { get; init; }
}

/// <summary>GEPIII's out-of-fold predictions: for each validated training row, its fold and the prediction in log1p space.</summary>
public sealed record OutOfFold(int[] Rows, int[] Fold, float[] PredictedLog1p, float[] ActualLog1p, IReadOnlyList<TimeFold> Folds);

/// <summary>
/// The main job on a GEPIII dataset without a workspace (<c>esteira run --data PATH</c>): one built-in LightGBM
/// experiment, cached in <c>.esteira/</c> of the current folder like any workspace run.
/// </summary>
public static class GepiiiRun
{
    /// <summary>Runs features, train and check on the dataset, reusing cached stages, and returns the outcome.</summary>
    public static RunResult Execute(RunOptions options, IRunObserver? observer = null)
    {
        var workspace = ImplicitWorkspace(options);
        var result = WorkspaceRunner.Run(workspace, new RunRequest { OutDir = options.OutDir, Force = options.Force }, observer ?? SilentObserver.Instance);
        return ToRunResult(result, result.Experiments[0]);
    }

    /// <summary>The one-experiment workspace a run outside any workspace stands for; its cache is <c>.esteira/</c> of the state root.</summary>
    public static Workspace ImplicitWorkspace(RunOptions options)
    {
        var root = Path.GetFullPath(options.StateRoot ?? Environment.CurrentDirectory);
        var data = Path.GetFullPath(options.DataPath);
        var definition = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["experiment.kind"] = "lightgbm",
            ["experiment.name"] = "default",
            ["experiment.seed"] = options.Gbm.Seed.ToString(CultureInfo.InvariantCulture),
            ["experiment.params.iterations"] = options.Gbm.Iterations.ToString(CultureInfo.InvariantCulture),
            ["experiment.params.leaves"] = options.Gbm.Leaves.ToString(CultureInfo.InvariantCulture),
            ["experiment.params.learning_rate"] = options.Gbm.LearningRate.ToString(CultureInfo.InvariantCulture),
            ["experiment.params.min_leaf_rows"] = options.Gbm.MinLeafRows.ToString(CultureInfo.InvariantCulture),
            ["experiment.params.feature_fraction"] = options.Gbm.FeatureFraction.ToString(CultureInfo.InvariantCulture),
            ["experiment.params.bagging_fraction"] = options.Gbm.BaggingFraction.ToString(CultureInfo.InvariantCulture),
            ["experiment.params.l2"] = options.Gbm.L2.ToString(CultureInfo.InvariantCulture),
            ["experiment.params.max_bins"] = options.Gbm.MaxBins.ToString(CultureInfo.InvariantCulture),
            ["experiment.params.max_train_rows"] = options.Gbm.MaxTrainRows.ToString(CultureInfo.InvariantCulture),
            ["experiment.params.tune"] = options.Gbm.Tune ? "true" : "false",
        };
        var experiment = new Experiment("default", root, ExperimentKind.LightGbm, options.Gbm, null, 0, definition);
        return new Workspace(root, data, options.Folds, options.KeepFlagged, null, null, null, null, [experiment])
        {
            CompetitionSettings = options.Competition,
            Seed = options.Gbm.Seed,
        };
    }

    /// <summary>The flat result of one experiment of a workspace run.</summary>
    public static RunResult ToRunResult(WorkspaceRunResult run, ExperimentResult experiment)
    {
        var features = run.FeaturesFolder;
        var valid = Path.Combine(features, "valid");
        var quality = JsonSerializer.Deserialize<QualityJson>(File.ReadAllText(Path.Combine(features, GepiiiStages.QualityFile)), EsteiraJson.Options)!;
        var gepiii = run.Features.Profile == Profiles.GepiiiProfile.ProfileName;
        var schemaFile = Path.Combine(features, SchemaFile);
        return new RunResult(
            experiment.Metrics.Metric, experiment.Metrics.Cv, experiment.Metrics.Folds, experiment.Submission, run.QualityReport,
            run.Features.TrainRows, run.Features.TestRows, run.Features.Series, run.Features.FlaggedRows, run.Features.Alignment,
            quality.Series ?? [], experiment.Metrics.Importance, run.Plan, run.Seconds,
            // read on demand: at full scale these are four 15M-row columns, and a no-op rerun spent 0.9 s on them unread
            new Lazy<OutOfFold?>(() => gepiii
                ? new OutOfFold(ColumnTable.ReadInt(valid, "train_row"), ColumnTable.ReadInt(valid, "fold"),
                    ColumnTable.ReadFloat(Path.Combine(experiment.ModelFolder, "oof"), "prediction").Select(v => MathF.Log(1 + v)).ToArray(),
                    ColumnTable.ReadFloat(valid, "label"), run.Features.Folds)
                : null))
        {
            Schema = File.Exists(schemaFile) ? JsonSerializer.Deserialize<List<Esteira.Data.Tabular.TabularColumn>>(File.ReadAllText(schemaFile), EsteiraJson.Options)! : [],
            Findings = quality.Findings ?? [],
            BacktestDays = gepiii ? run.Features.HorizonDays : null,
            BlockDays = run.Features.FoldKind == "blocks" ? run.Features.BlockDays : null,
            Kept = experiment.Metrics.Kept ?? [],
            Baselines = experiment.Metrics.Baselines,
        };
    }

    /// <summary>A profile's account of the columns it inferred (a list of <see cref="Esteira.Data.Tabular.TabularColumn"/>), in the features folder.</summary>
    public const string SchemaFile = "schema.json";

    /// <summary>
    /// The history bound of each training row: a whole number of days before its hour, spread evenly (and
    /// deterministically) between one day and <paramref name="horizon"/>, so that the model learns how far a
    /// level may be trusted at every distance the test set asks for.
    /// </summary>
    public static int[] TrainingCutoffs(int[] hour, int horizon, int seed)
    {
        var cutoff = new int[hour.Length];
        TrainingCutoffs(hour, 0, horizon, seed, cutoff);
        return cutoff;
    }

    /// <summary>The cutoffs of rows [<paramref name="firstRow"/>, + hour.Length), into <paramref name="cutoff"/>: each row's depends only on its index and hour.</summary>
    public static void TrainingCutoffs(ReadOnlySpan<int> hour, int firstRow, int horizon, int seed, Span<int> cutoff)
    {
        var days = Math.Max(1, horizon / 24);
        for (var k = 0; k < hour.Length; k++)
        {
            var i = firstRow + k;
            var mix = (uint)((i * 2654435761u) ^ (uint)(seed * 40503));
            mix ^= mix >> 15;
            mix *= 2246822519u;
            mix ^= mix >> 13;
            var lagDays = 1 + (int)(mix % (uint)days);
            cutoff[k] = ((hour[k] / 24) - lagDays + 1) * 24;
        }
    }

    private sealed record QualityJson(int FlaggedRows, IReadOnlyList<SeriesQuality> Series, IReadOnlyList<QualityFinding>? Findings);
}
